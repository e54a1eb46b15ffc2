"""Frozen records for what an enterprise social network holds.

These are the only shapes that cross package boundaries.  They convert to and
from plain dicts (the JSONL export schema, see ``indexer/schema/records.schema.json``)
with :func:`record_to_dict` and :func:`record_from_dict`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias, TypeVar
from urllib.parse import urlsplit

from core.errors import InvalidRecordError

# Posts with ``group=None`` live in the company-wide feed; this token stands for it in ACLs.
COMPANY_FEED = "@feed"

PersonStatus = Literal["active", "departed"]
GroupVisibility = Literal["open", "private", "secret"]
GROUP_KINDS = ("project", "function", "site", "theme", "product", "internet", "general")
POST_KINDS = ("post", "question", "answer", "article", "event")
BODY_FORMATS = ("text", "html", "markdown")
ROLES = ("km_lead", "admin")
LANGUAGES = ("fr", "en")  # a content record's language, when the source knows it
# counts a record may carry: well inside SQLite's and Whoosh NUMERIC's 64-bit integers
COUNT_RANGES = {"reactions": (0, 10**9), "score": (-(10**9), 10**9)}
# the only links a record may carry (and the only ones shown): no javascript:, data:, ...
URL_SCHEMES = ("http", "https", "mailto")


@dataclass(frozen=True)
class Person:
    """Someone in the network: an employee, or a guest from a partner or client."""

    id: str
    name: str
    title: str = ""
    department: str = ""
    location: str = ""
    company: str = ""
    languages: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    about: str = ""
    status: PersonStatus = "active"
    guest: bool = False
    opted_out: bool = False
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    """A place where people post; its visibility decides who may read it."""

    id: str
    name: str
    kind: str = "general"
    visibility: GroupVisibility = "open"
    description: str = ""
    members: frozenset[str] = frozenset()
    guests: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Post:
    """A post, question, answer, article or event, in a group or the company feed."""

    id: str
    author: str | None
    created: datetime
    title: str = ""
    body: str = ""
    body_format: str = "text"
    group: str | None = None
    kind: str = "post"
    tags: tuple[str, ...] = ()
    updated: datetime | None = None
    parent: str | None = None
    accepted_answer: str | None = None
    reactions: int = 0
    score: int = 0
    url: str = ""
    lang: str | None = None


@dataclass(frozen=True)
class Comment:
    """A comment on a post; it lives in its post's group."""

    id: str
    post: str
    author: str | None
    created: datetime
    body: str = ""
    body_format: str = "text"
    group: str | None = None
    reactions: int = 0
    score: int = 0
    lang: str | None = None


@dataclass(frozen=True)
class Document:
    """A shared file: its extracted text and where it came from."""

    id: str
    title: str
    text: str
    source: str
    created: datetime
    group: str | None = None
    author: str | None = None
    format: str = "text"
    tags: tuple[str, ...] = ()
    updated: datetime | None = None
    lang: str | None = None


@dataclass(frozen=True)
class Problem:
    """A record an importer could not read: where it was and why."""

    source: str
    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.location}: {self.reason}"


Record: TypeAlias = Person | Group | Post | Comment | Document

RECORD_TYPES: dict[str, type] = {
    "person": Person,
    "group": Group,
    "post": Post,
    "comment": Comment,
    "document": Document,
}
TYPE_NAMES = {cls: name for name, cls in RECORD_TYPES.items()}
R = TypeVar("R", bound=Record)


def parse_datetime(value: Any) -> datetime:
    """An ISO 8601 string (or datetime) as an aware UTC datetime; naive means UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError(f"expected an ISO 8601 date, got {value!r}")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise ValueError(f"{value!r} is out of range once its UTC offset applies") from None


def safe_url(value: str) -> str:
    """``value`` if it is an absolute http(s) or mailto URL, else "" (links shown as given
    must not run script or load data: ``javascript:``, ``data:``, relative...)."""
    if not value or any(c.isspace() or not c.isprintable() for c in value):
        return ""  # browsers strip tabs and newlines: "java\tscript:" must not slip through
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES or (scheme != "mailto" and not parts.netloc):
        return ""
    return value if scheme != "mailto" or parts.path else ""


def record_to_dict(record: Record) -> dict[str, Any]:
    """A plain, JSON-ready dict with a ``type`` field (the JSONL export shape)."""
    out: dict[str, Any] = {"type": TYPE_NAMES[type(record)]}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, frozenset):
            value = sorted(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def _convert(cls: type, name: str, hint: str, value: Any) -> Any:
    if value is None:
        if "None" in hint:
            return None
        raise InvalidRecordError(f"field {name!r} may not be null")
    if "datetime" in hint:
        try:
            return parse_datetime(value)
        except ValueError as exc:
            raise InvalidRecordError(f"field {name!r}: {exc}") from None
    if "frozenset" in hint or "tuple" in hint:
        if not isinstance(value, list | tuple | set | frozenset) or not all(
            isinstance(v, str) for v in value
        ):
            raise InvalidRecordError(f"field {name!r} must be a list of strings")
        return frozenset(value) if "frozenset" in hint else tuple(value)
    expected = {"bool": bool, "int": int, "str": str}
    for key, kind in expected.items():
        if hint.startswith(key):
            # bool is an int in Python; refuse it where a count is expected
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise InvalidRecordError(f"field {name!r} must be {key}, got {value!r}")
            return value
    return value


def record_from_dict(data: dict[str, Any]) -> Record:
    """Build a record from a dict with a ``type`` field; errors name the field."""
    if not isinstance(data, dict):
        raise InvalidRecordError("a record must be a JSON object")
    kind = data.get("type")
    cls = RECORD_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        valid = ", ".join(RECORD_TYPES)
        raise InvalidRecordError(f"unknown record type {kind!r} (valid: {valid})")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known) - {"type"})
    if unknown:
        raise InvalidRecordError(f"unknown field(s) for {kind}: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, f in known.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise InvalidRecordError(f"{kind} is missing required field {name!r}")
            continue
        values[name] = _convert(cls, name, str(f.type), data[name])
    if not values.get("id") or not isinstance(values["id"], str):
        raise InvalidRecordError("field 'id' must be a non-empty string")
    _check_enums(str(kind), values)
    return cls(**values)


def checked_record(data: dict[str, Any]) -> Record:
    """A record from an importer's or the API's input: :func:`record_from_dict`, then
    :func:`check_record` (records read back from the catalog skip that second step, so a
    record stored before a check was added still displays)."""
    return check_record(record_from_dict(data))


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def check_record(record: R) -> R:
    """``record`` if its counts are in range and its link is safe; importers that build
    records themselves call it too.  Raises ``InvalidRecordError`` naming the field."""
    for name, (low, high) in COUNT_RANGES.items():
        value = getattr(record, name, None)
        if isinstance(value, int) and not low <= value <= high:
            raise InvalidRecordError(
                f"field {name!r} must be between {low} and {high}; got {_shown(value)}")
    url = getattr(record, "url", "")
    if url and not safe_url(url):
        raise InvalidRecordError(f"field 'url' must be an absolute http(s) or mailto "
                                 f"URL; got {_shown(url)}")
    return record


_ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("person", "status"): ("active", "departed"),
    ("group", "visibility"): ("open", "private", "secret"),
    ("group", "kind"): GROUP_KINDS,
    ("post", "kind"): POST_KINDS,
    ("post", "body_format"): BODY_FORMATS,
    ("comment", "body_format"): BODY_FORMATS,
    ("post", "lang"): LANGUAGES,
    ("comment", "lang"): LANGUAGES,
    ("document", "lang"): LANGUAGES,
}


def _check_enums(kind: str, values: dict[str, Any]) -> None:
    for (rtype, name), allowed in _ENUMS.items():
        if rtype == kind and values.get(name) is not None and values[name] not in allowed:
            raise InvalidRecordError(
                f"field {name!r} must be one of {', '.join(allowed)}; got {values[name]!r}"
            )
    for role in values.get("roles", ()):
        if role not in ROLES:
            raise InvalidRecordError(f"unknown role {role!r} (valid: {', '.join(ROLES)})")


__all__ = [
    "COMPANY_FEED",
    "COUNT_RANGES",
    "URL_SCHEMES",
    "Comment",
    "Document",
    "Group",
    "Person",
    "Post",
    "Problem",
    "Record",
    "check_record",
    "checked_record",
    "parse_datetime",
    "record_from_dict",
    "record_to_dict",
    "safe_url",
]
