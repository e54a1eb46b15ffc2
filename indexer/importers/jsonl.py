"""JSONL export of the social network: one record per line with a ``type`` field.

The schema is published in ``indexer/schema/records.schema.json`` and documented
in README.  A bad line is reported with its line number; the others still import.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from core.errors import InvalidRecordError
from core.records import Problem, Record, checked_record
from indexer.importers import ImportOptions, SourceError

MAX_LINE_BYTES = 16 * 1024 * 1024


def read_jsonl(source: str, options: ImportOptions) -> Iterator[Record | Problem]:
    """Records of a JSONL file; ``options.group`` fills posts and documents without a group."""
    path = Path(source)
    if not path.is_file():
        raise SourceError(f"{source}: no such file")
    first_seen: dict[str, int] = {}
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = _parse_line(raw, options)
            except InvalidRecordError as exc:
                yield Problem(source, f"line {number}", str(exc))
                continue
            key = f"{type(record).__name__}:{record.id}"
            if key in first_seen:
                reason = f"duplicate id {record.id!r} (first on line {first_seen[key]})"
                yield Problem(source, f"line {number}", reason)
                continue
            first_seen[key] = number
            yield record


def _parse_line(raw: bytes, options: ImportOptions) -> Record:
    if len(raw) > MAX_LINE_BYTES:
        raise InvalidRecordError(f"line longer than {MAX_LINE_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8").lstrip("\ufeff"))  # a BOM from Windows tools
    except UnicodeDecodeError as exc:
        raise InvalidRecordError(f"invalid UTF-8 at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise InvalidRecordError(f"invalid JSON at column {exc.colno}: {exc.msg}") from None
    except ValueError:  # json.loads refuses integers of more than 4300 digits
        raise InvalidRecordError("invalid JSON: a number with too many digits") from None
    except RecursionError:
        raise InvalidRecordError("JSON nested too deeply") from None
    if (
        options.group
        and isinstance(data, dict)
        and data.get("type") in ("post", "document")
        and data.get("group") is None
    ):
        data = {**data, "group": options.group}
    return checked_record(data)
