"""The JSON Schema of the JSONL export, derived from the record dataclasses.

``indexer/records.schema.json`` is this schema written out; a test keeps the two
in sync.  Regenerate with ``python -m indexer.schema > indexer/records.schema.json``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from core.records import _ENUMS, COUNT_RANGES, RECORD_TYPES, ROLES, URL_SCHEMES

_DESCRIPTIONS = {
    "person": "Someone in the network: an employee, or a guest (partner, client).",
    "group": "A group; open groups are readable by employees, private/secret by members.",
    "post": "A post, question, answer, article or event; group null = company feed.",
    "comment": "A comment on a post; it lives in its post's group.",
    "document": "A shared file with its extracted text.",
}


def _field_schema(hint: str) -> dict[str, Any]:
    nullable = "None" in hint
    if "datetime" in hint:
        schema: dict[str, Any] = {"type": "string", "format": "date-time"}
    elif "frozenset" in hint or "tuple" in hint:
        schema = {"type": "array", "items": {"type": "string"}}
    elif hint.startswith("bool"):
        schema = {"type": "boolean"}
    elif hint.startswith("int"):
        schema = {"type": "integer"}
    else:
        schema = {"type": "string"}
    if nullable:
        schema["type"] = [schema["type"], "null"]
    return schema


def _any_case(word: str) -> str:
    return "".join(f"[{c}{c.upper()}]" for c in word)  # ECMA 262 regexes have no (?i)


# empty, or an absolute http(s) or mailto URL: no javascript:, data: or relative links
_URL_PATTERN = "^$|^(" + "|".join(
    _any_case(scheme) + (":\\S" if scheme == "mailto" else "://[^/?#\\s]")
    for scheme in URL_SCHEMES) + ")\\S*$"


def _record_schema(name: str, cls: type) -> dict[str, Any]:
    properties: dict[str, Any] = {"type": {"const": name}}
    required = ["type"]
    for f in dataclasses.fields(cls):
        properties[f.name] = _field_schema(str(f.type))
        if (name, f.name) in _ENUMS:
            nullable = "None" in str(f.type)
            properties[f.name]["enum"] = list(_ENUMS[(name, f.name)]) + ([None] if nullable else [])
        if f.default is dataclasses.MISSING:
            required.append(f.name)
    properties["id"]["minLength"] = 1
    for count, (low, high) in COUNT_RANGES.items():
        if count in properties:
            properties[count].update(minimum=low, maximum=high)
    if "url" in properties:
        properties["url"]["pattern"] = _URL_PATTERN
    if name == "person":
        properties["roles"]["items"]["enum"] = list(ROLES)
    return {
        "type": "object",
        "description": _DESCRIPTIONS[name],
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def records_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for one line of the JSONL export."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://quisait.example/records.schema.json",
        "title": "quisait record",
        "oneOf": [{"$ref": f"#/$defs/{name}"} for name in RECORD_TYPES],
        "$defs": {name: _record_schema(name, cls) for name, cls in RECORD_TYPES.items()},
    }


if __name__ == "__main__":
    print(json.dumps(records_schema(), indent=2, ensure_ascii=False))
