"""Reading query parameters and JSON bodies; every error names the field at fault."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import request

from web.errors import InvalidParameter

TRUE = ("1", "true", "yes", "on")
FALSE = ("", "0", "false", "no", "off")


def integer(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(name, f"must be a whole number, got {raw[:40]!r}") from None
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
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidParameter("body", "a JSON object is expected (Content-Type: "
                               "application/json)")
    return data


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
