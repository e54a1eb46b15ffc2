"""Reading query parameters and JSON bodies; every error names the field at fault."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from flask import request

from web.errors import InvalidParameter

TRUE = ("1", "true", "yes", "on")
FALSE = ("", "0", "false", "no", "off")
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,100}")


def integer(name: str, default: int, low: int, high: int) -> int:
    """Query parameter ``name`` as a whole number in [low, high] (``default`` if absent)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    # ASCII digits only: int() would also take "٣", " 7 " or "1_000"
    if not WHOLE_NUMBER.fullmatch(raw):
        raise InvalidParameter(name, f"must be a whole number, got {raw[:40]!r}")
    value = int(raw)
    if not low <= value <= high:
        raise InvalidParameter(name, f"must be between {low} and {high}", minimum=low,
                               maximum=high)
    return value


def choice(name: str, default: str, valid: tuple[str, ...]) -> str:
    value = request.args.get(name) or default
    if value not in valid:
        raise InvalidParameter(name, f"must be one of {', '.join(valid)}", valid=list(valid))
    return value


def flag(name: str) -> bool:
    raw = request.args.get(name, "").strip().lower()
    if raw not in TRUE + FALSE:
        raise InvalidParameter(name, "must be true or false")
    return raw in TRUE


def text(name: str, max_chars: int = 1000) -> str:
    value = request.args.get(name, "").strip()
    if not value:
        raise InvalidParameter(name, "is required")
    if len(value) > max_chars:
        raise InvalidParameter(name, f"is longer than {max_chars} characters")
    return value


def json_object() -> dict[str, Any]:
    """The request's body as a JSON object; 400 naming ``body`` for anything else."""
    data = _json_body()
    if not isinstance(data, dict):
        raise InvalidParameter("body", "a JSON object is expected (Content-Type: "
                               "application/json)")
    return data


def _json_body() -> Any:
    """The parsed JSON body (None if it is not JSON): parsed here rather than by Flask so
    that a body nested too deeply for the parser is a 400, not a RecursionError."""
    if not request.is_json:
        return None
    try:
        return json.loads(request.get_data(cache=True))
    except RecursionError:
        raise InvalidParameter("body", "JSON nested too deeply") from None
    except ValueError:  # not JSON, or not in a Unicode encoding
        return None


def body_string(data: dict[str, Any], name: str, required: bool = True,
                max_chars: int = 1000) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameter(name, "must be a non-empty string")
    if len(value) > max_chars:
        raise InvalidParameter(name, f"is longer than {max_chars} characters")
    return value.strip()


def body_strings(data: dict[str, Any], name: str, max_items: int = 50) -> list[str]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InvalidParameter(name, "must be a list of non-empty strings")
    if len(value) > max_items:
        raise InvalidParameter(name, f"at most {max_items} items")
    return [v.strip() for v in value]


def body_datetime(data: dict[str, Any], name: str) -> datetime | None:
    value = data.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise InvalidParameter(name, "must be an ISO 8601 date or date-time")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
