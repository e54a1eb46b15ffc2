"""One frozen ``Settings`` object: defaults, then ``quisait.toml``, then ``QUISAIT_*`` variables.

The CLI, the library and the web app all read the same object.  Every field is
documented in README's configuration table (a test checks it).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import ip_network
from pathlib import Path
from typing import Any

from core.errors import ConfigError

ENV_PREFIX = "QUISAIT_"
DEFAULT_MODEL = "all-MiniLM-L6-v2"
ENCODER_BACKENDS = ("torch", "onnx", "onnx-int8")
SERVING = ("local", "ray")


@dataclass(frozen=True)
class Settings:
    """Every knob of quisait, with its default."""

    data_dir: Path = Path("var/quisait")
    embedding_model: str = DEFAULT_MODEL
    embeddings: bool = True
    encoder_backend: str = "onnx-int8"  # measured: docs/tuning.md, README "Encoder backends"
    batch_size: int = 64
    threads: int = 2
    vector_index: str = "auto"
    hnsw_threshold: int = 100_000
    max_chunks: int = 64
    passage_tokens: int = 0
    passage_tokens_by_language: str = ""  # "en:128,fr:0"; measured: docs/tuning.md
    keyphrases: bool = True
    spelling_correction: bool = True  # search for the readable word one letter away; docs/tuning.md
    word_pairs: str = "fr"  # languages that score query words side by side; docs/tuning.md
    fusion: str = "weighted"
    semantic_weight: float = 0.5
    semantic_weight_other: float = 0.05
    semantic_weight_tuned: float = 0.3
    model_languages: str = "en"
    semantic_floor: float = 0.25
    recency_half_life_days: float = 0.0
    official_expired: str = "unmarked"
    review_days: int = 180
    review_notice_days: int = 14
    query_log: str = "hash"
    host: str = "127.0.0.1"
    port: int = 8080
    demo_login: bool = False
    trusted_header: str = ""
    metrics_loopback: bool = False
    access_log_queries: bool = False
    log_format: str = "text"
    proxy_secret: str = ""
    secret_key: str = ""
    secure_cookies: bool = False
    max_request_bytes: int = 16_000_000
    signin_rate: float = 300.0
    search_rate: float = 600.0
    write_rate: float = 60.0
    trusted_proxies: int = 0
    session_lifetime_hours: float = 12.0
    serving: str = "local"
    ray_address: str = ""
    replicas: int = 2
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = dataclasses.field(default="", repr=False)  # kept out of logs
    mail_from: str = ""
    public_url: str = ""
    outbox_max_attempts: int = 6
    outbox_retry_seconds: float = 60.0
    notify_timeout_seconds: float = 10.0
    webhook_allow_hosts: str = ""
    digest_per_person: int = 10
    digest_fanout: int = 5

    def __post_init__(self) -> None:
        if self.vector_index not in ("auto", "flat", "hnsw"):
            raise ConfigError(
                f"vector_index must be auto, flat or hnsw; got {self.vector_index!r}"
            )
        if self.encoder_backend not in ENCODER_BACKENDS:
            raise ConfigError(f"encoder_backend must be {', '.join(ENCODER_BACKENDS)}; "
                              f"got {self.encoder_backend!r}")
        if self.serving not in SERVING:
            raise ConfigError(f"serving must be {' or '.join(SERVING)}; got {self.serving!r}")
        if self.query_log not in ("hash", "none", "off"):
            raise ConfigError(f"query_log must be hash, none or off; got {self.query_log!r}")
        for name in ("batch_size", "threads", "hnsw_threshold", "max_chunks",
                     "max_request_bytes", "replicas", "digest_per_person", "digest_fanout"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        for name in ("signin_rate", "search_rate", "write_rate"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be 0 (no limit) or more")
        if self.passage_tokens and not 16 <= self.passage_tokens <= 4096:
            raise ConfigError("passage_tokens must be 0 (the model's window) or 16 to 4096")
        self.passage_windows()  # raises on a malformed list
        self.pair_languages()
        if self.trusted_proxies < 0:
            raise ConfigError("trusted_proxies must be 0 (none) or more")
        if not self.session_lifetime_hours > 0:
            raise ConfigError("session_lifetime_hours must be more than 0")
        for name in ("semantic_weight", "semantic_weight_other", "semantic_weight_tuned",
                     "semantic_floor"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be between 0 and 1")
        self._check_notify()

    def passage_windows(self) -> dict[str, int]:
        """``passage_tokens_by_language`` as language -> tokens (0: the model's window);
        languages not named use ``passage_tokens``."""
        windows: dict[str, int] = {}
        for entry in filter(None, (e.strip() for e in self.passage_tokens_by_language.split(","))):
            language, _, tokens = entry.partition(":")
            if not language.strip() or not tokens.strip().isdigit() or not (
                    int(tokens) == 0 or 16 <= int(tokens) <= 4096):
                raise ConfigError(f"passage_tokens_by_language: {entry!r} is not "
                                  "language:tokens (tokens 0, or 16 to 4096), as in en:128")
            windows[language.strip()] = int(tokens)
        return windows

    def pair_languages(self) -> frozenset[str]:
        """``word_pairs`` as a set of languages ("" or "none": no word pairs)."""
        named = {e.strip() for e in self.word_pairs.split(",")} - {"", "none"}
        unknown = named - {"en", "fr"}
        if unknown:
            raise ConfigError(f"word_pairs: unknown languages {sorted(unknown)} "
                              "(valid: en, fr, a comma-separated list, or none)")
        return frozenset(named)

    def _check_notify(self) -> None:
        if not 1 <= self.smtp_port <= 65535:
            raise ConfigError(f"smtp_port must be 1 to 65535; got {self.smtp_port}")
        if self.public_url and not self.public_url.startswith(("https://", "http://")):
            raise ConfigError(f"public_url must start with https:// or http://; "
                              f"got {self.public_url!r}")
        if self.mail_from and "@" not in self.mail_from:
            raise ConfigError(f"mail_from must be an email address; got {self.mail_from!r}")
        if self.outbox_max_attempts < 1:
            raise ConfigError("outbox_max_attempts must be at least 1")
        if self.outbox_retry_seconds < 0:
            raise ConfigError("outbox_retry_seconds must be 0 or more")
        if self.log_format not in ("text", "json"):
            raise ConfigError(f"log_format must be text or json; got {self.log_format!r}")
        if self.official_expired not in ("unmarked", "outdated"):
            raise ConfigError("official_expired must be unmarked or outdated; got "
                              f"{self.official_expired!r}")
        if not 1 <= self.review_days <= 3660 or not 0 <= self.review_notice_days <= 366:
            raise ConfigError("review_days must be 1 to 3660 and review_notice_days 0 to 366")
        if not self.notify_timeout_seconds > 0:
            raise ConfigError("notify_timeout_seconds must be more than 0")
        for entry in self.webhook_allow_hosts.split(","):
            entry = entry.strip()
            if "/" in entry or entry[:1].isdigit() or ":" in entry:
                try:
                    ip_network(entry, strict=False)
                except ValueError:
                    raise ConfigError(f"webhook_allow_hosts: {entry!r} is neither a host name "
                                      "nor an address or network (10.0.0.0/8)") from None

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (values are converted like env values)."""
        return dataclasses.replace(self, **_convert_all(changes, source="arguments"))


def _convert(name: str, value: Any, source: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    if name not in fields:
        valid = ", ".join(sorted(fields))
        raise ConfigError(f"unknown setting {name!r} in {source} (valid: {valid})")
    default = fields[name].default
    try:
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            lowered = str(value).strip().lower() if isinstance(value, str) else None
            if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(value)
            return lowered in ("1", "true", "yes", "on")
        if isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError(value)
            return float(value)
        if isinstance(default, int):
            # TOML gives real ints; a bool or a float here is a mistake, not a number
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ValueError(value)
            return int(value)
        if isinstance(default, Path):
            return Path(value).expanduser()
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name!r} in {source}: cannot read {value!r}") from None


def _convert_all(values: Mapping[str, Any], source: str) -> dict[str, Any]:
    return {name: _convert(name, value, source) for name, value in values.items()}


def load_settings(
    config: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Defaults, then the TOML file, then ``QUISAIT_*`` variables, then ``overrides``.

    The file is ``config``, else ``$QUISAIT_CONFIG``, else ``./quisait.toml`` if present.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config or (Path(environ["QUISAIT_CONFIG"]) if "QUISAIT_CONFIG" in environ else None)
    if path is None and Path("quisait.toml").is_file():
        path = Path("quisait.toml")
    if path is not None:
        try:
            with open(path, "rb") as handle:
                table = tomllib.load(handle)
        except FileNotFoundError:
            raise ConfigError(f"configuration file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"configuration file {path}: {exc}") from None
        values.update(_convert_all(table.get("quisait", table), source=str(path)))
    for key, raw in environ.items():
        if key.startswith(ENV_PREFIX) and key != "QUISAIT_CONFIG":
            name = key[len(ENV_PREFIX) :].lower()
            values[name] = _convert(name, raw, source=f"environment variable {key}")
    values.update(_convert_all({k: v for k, v in overrides.items() if v is not None}, "arguments"))
    return Settings(**values)
