"""Connectors push records (the indexer's JSONL schema) and delete them.

A request is read whole and validated first: one bad record rejects it with the
record's position and the field at fault, and nothing is written.  Valid
records go through the indexer's :class:`~indexer.ingest.Ingestor` in one
catalog transaction, then the derived indexes catch up, all before the answer:
a 2xx means committed and searchable.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from core.errors import InvalidRecordError
from core.records import Record, record_from_dict
from indexer import Catalog, catalog_path
from indexer.ingest import Ingestor, IngestReport
from web.errors import InvalidParameter, NotFound

if TYPE_CHECKING:
    from web.services import Services

SOURCE = "api"
MAX_RECORDS = 10_000
ENTITY_TYPES = ("person", "group")


def parse_records(payload: bytes, content_type: str) -> list[Record]:
    """Records of a JSON array (or one object) or of JSONL; 400 naming the culprit."""
    try:
        text = payload.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise InvalidParameter("body", f"invalid UTF-8 at byte {exc.start}") from None
    jsonl = "ndjson" in content_type or "jsonl" in content_type
    entries = _jsonl(text) if jsonl else _json(text)
    if not entries:
        raise InvalidParameter("body", "no records")
    if len(entries) > MAX_RECORDS:
        raise InvalidParameter("body", f"at most {MAX_RECORDS} records per request")
    records: list[Record] = []
    seen: set[tuple[str, str]] = set()
    for position, entry in enumerate(entries):
        try:
            record = record_from_dict(entry)
        except InvalidRecordError as exc:
            raise InvalidParameter(f"records[{position}]", str(exc), record=position) from None
        key = (type(record).__name__, record.id)
        if key in seen:
            raise InvalidParameter(f"records[{position}]", f"duplicate id {record.id!r}",
                                   record=position)
        seen.add(key)
        records.append(record)
    return records


def _json(text: str) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidParameter("body", f"invalid JSON at line {exc.lineno} column {exc.colno}: "
                               f"{exc.msg}") from None
    except RecursionError:
        raise InvalidParameter("body", "JSON nested too deeply") from None
    return data if isinstance(data, list) else [data]


def _jsonl(text: str) -> list[Any]:
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InvalidParameter("body", f"line {number}: invalid JSON at column "
                                   f"{exc.colno}: {exc.msg}", line=number) from None
        except RecursionError:
            raise InvalidParameter("body", f"line {number}: JSON nested too deeply",
                                   line=number) from None
    return entries


def ingest_records(services: Services, records: list[Record]) -> dict[str, Any]:
    """Write ``records`` to the catalog, then wait for the index update that covers them
    (shared with the writes committed meanwhile); a summary for the answer."""
    report = IngestReport()
    with services.writing():
        catalog = Catalog(catalog_path(services.settings))
        try:
            Ingestor(catalog, SOURCE, report).ingest(records)
            generation = catalog.generation
        finally:
            catalog.close()
    services.updater.wait_for(generation)
    return {"read": report.read, "added": report.added, "updated": report.updated,
            "unchanged": report.unchanged, "generation": generation,
            "skipped": [{"record": p.location, "reason": p.reason} for p in report.problems]}


def delete_record(services: Services, record_id: str, kind: str = "item") -> dict[str, Any]:
    """Tombstone a record and drop it from every index before answering; 404 if unknown."""
    with services.writing():
        catalog = Catalog(catalog_path(services.settings))
        try:
            with catalog.transaction() as generation:
                found = catalog.delete(kind, record_id, generation)
        finally:
            catalog.close()
    if not found:
        raise NotFound(f"no {kind if kind in ENTITY_TYPES else 'record'} {record_id!r}")
    services.updater.wait_for(generation)
    return {"deleted": record_id, "generation": generation}
