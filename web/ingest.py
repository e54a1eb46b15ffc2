"""Connectors push records (the indexer's JSONL schema) and delete them.

A request is read whole and validated first: one bad record rejects it with the
record's position and the field at fault, and nothing is written.  Valid
records go through the indexer's :class:`~indexer.ingest.Ingestor` in one
catalog transaction, then the derived indexes catch up, all before the answer:
a 2xx means committed and searchable.

People and groups (memberships, guests, roles, departures) decide who may read what:
the social network is their source of truth, so only connector tokens push or delete
them.  An admin's own token may not add her to a secret group.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from core.errors import InvalidRecordError
from core.records import TYPE_NAMES, Group, Person, Record, checked_record
from indexer import Catalog, catalog_path
from indexer.ingest import Ingestor, IngestReport
from web.errors import Forbidden, InvalidParameter, NotFound

if TYPE_CHECKING:
    from web.services import Services

SOURCE = "api"
MAX_RECORDS = 10_000
ENTITY_TYPES = ("person", "group")
ENTITY_ROLE = "connector"  # the only role that may push or delete people and groups


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
            record = checked_record(entry)
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
    except ValueError:  # json.loads refuses integers of more than 4300 digits
        raise InvalidParameter("body", "invalid JSON: a number with too many digits") from None
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
        except ValueError:  # an integer of more than 4300 digits
            raise InvalidParameter("body", f"line {number}: invalid JSON: a number with too "
                                   "many digits", line=number) from None
    return entries


def require_entity_rights(records: list[Record], roles: frozenset[str]) -> None:
    """403 naming the first person or group record unless the token is a connector's:
    checked before anything is written, so a refused request changes nothing."""
    if ENTITY_ROLE in roles:
        return
    for position, record in enumerate(records):
        if isinstance(record, Person | Group):
            raise Forbidden(f"records[{position}]: {TYPE_NAMES[type(record)]} records (who "
                            "belongs where, roles) come from connector tokens only",
                            field=f"records[{position}]", record=position, roles=[ENTITY_ROLE])


def require_delete_rights(kind: str, roles: frozenset[str]) -> None:
    """Deleting a person or a group changes who may read what: connector tokens only."""
    if kind in ENTITY_TYPES and ENTITY_ROLE not in roles:
        raise Forbidden(f"{kind} records are deleted by connector tokens only",
                        field="type", roles=[ENTITY_ROLE])


def entity_changes(catalog: Catalog, records: list[Record]) -> dict[str, list[str]]:
    """Ids of the groups (visibility, members, guests...) and of the people whose roles
    ``records`` change, against the catalog as it is before they are written."""
    groups = [r for r in records if isinstance(r, Group)]
    people = [r for r in records if isinstance(r, Person)]
    old_groups = catalog.groups() if groups else {}
    old_people = catalog.people() if people else {}
    changed_roles = []
    for person in people:
        before = old_people.get(person.id)
        if set(person.roles) != set(before.roles if before else ()):
            changed_roles.append(person.id)
    return {"groups": sorted({g.id for g in groups if old_groups.get(g.id) != g}),
            "roles": sorted(set(changed_roles))}


def ingest_records(services: Services,
                   records: list[Record]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Write ``records`` to the catalog, then wait for the index update that covers them
    (shared with the writes committed meanwhile).  A summary for the answer, and the
    groups and roles changed (see :func:`entity_changes`) for the audit log."""
    report = IngestReport()
    with services.writing():
        catalog = Catalog(catalog_path(services.settings))
        try:
            changes = entity_changes(catalog, records)
            Ingestor(catalog, SOURCE, report).ingest(records)
            generation = catalog.generation
        finally:
            catalog.close()
    services.updater.wait_for(generation)
    summary = {"read": report.read, "added": report.added, "updated": report.updated,
               "unchanged": report.unchanged, "generation": generation,
               "skipped": [{"record": p.location, "reason": p.reason} for p in report.problems]}
    return summary, changes


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
