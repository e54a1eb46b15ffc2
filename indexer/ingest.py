"""Records into the catalog: hashing, permission-group resolution, text and language.

Unchanged records (same content hash) are skipped without any work; changed
ones replace the stored version.  Answers and comments always live in the group
of the post they belong to, whatever group they declare: content never moves to
a wider audience than its thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

from core.records import Comment, Document, Group, Person, Post, Problem, Record, record_to_dict
from indexer.analysis import detect_language
from indexer.catalog import Catalog, acl_token
from indexer.text import body_text

log = logging.getLogger(__name__)

BATCH_SIZE = 500


@dataclass
class IngestReport:
    """What an ingestion did, for the summary line and for tests."""

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.problems)


def record_key(record: Record) -> tuple[str, str]:
    """(type, id) as the catalog knows it."""
    return (type(record).__name__.lower(), record.id)


def _digest(payload: dict[str, Any]) -> tuple[str, str]:
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return data, hashlib.sha256(data.encode("utf-8")).hexdigest()


class Ingestor:
    """Writes batches of records into a catalog, one transaction per batch."""

    def __init__(self, catalog: Catalog, source: str, report: IngestReport) -> None:
        self.catalog = catalog
        self.source = source
        self.report = report
        self.seen: set[tuple[str, str]] = set()
        self._groups_of_posts: dict[str, str | None] = {}

    def ingest(self, stream: Iterable[Record | Problem]) -> None:
        """Consume a whole importer stream."""
        iterator = iter(stream)
        while batch := list(islice(iterator, BATCH_SIZE)):
            self._ingest_batch(batch)

    def _ingest_batch(self, batch: list[Record | Problem]) -> None:
        records: list[Record] = []
        for entry in batch:
            if isinstance(entry, Problem):
                self.report.problems.append(entry)
                log.warning("skipped %s", entry)
            else:
                records.append(entry)
        self.report.read += len(records)
        known = self.catalog.hashes(record_key(r) for r in records)
        with self.catalog.transaction() as generation:
            for record in records:
                self._ingest_record(record, known, generation)

    def _ingest_record(self, record: Record, known: dict[tuple[str, str], str],
                       generation: int) -> None:
        key = record_key(record)
        try:
            record = self._resolve_group(record)
        except LookupError as exc:
            self.report.problems.append(Problem(self.source, f"{key[0]} {record.id}", str(exc)))
            return
        if isinstance(record, Post | Comment | Document):
            self._groups_of_posts[record.id] = record.group
        self.seen.add(key)
        data, digest = _digest(record_to_dict(record))
        if known.get(key) == digest:
            self.report.unchanged += 1
            return
        if key in known:
            self.report.updated += 1
        else:
            self.report.added += 1
        self._write(record, data, digest, generation)

    def _write(self, record: Record, data: str, digest: str, generation: int) -> None:
        if isinstance(record, Person | Group):
            kind = record_key(record)[0]
            self.catalog.put_entity(kind, record.id, data, digest, self.source, generation)
            if isinstance(record, Group):
                self.catalog.put_memberships(record)
            return
        values = item_values(record)
        values.update(data=data, hash=digest, source=self.source)
        self.catalog.put_item(values, generation)
        if isinstance(record, Post) and record.kind in ("question", "answer"):
            self.catalog.touch_thread(record.id, record.parent, generation)

    def _parent_group(self, parent: str) -> tuple[bool, str | None]:
        if parent in self._groups_of_posts:
            return True, self._groups_of_posts[parent]
        item = self.catalog.item(parent)
        if item is None:
            return False, None
        return True, None if item.group == acl_token(None) else item.group

    def _resolve_group(self, record: Record) -> Record:
        """Answers and comments take their thread's group (fail closed when unknown)."""
        if not isinstance(record, Post | Comment):
            return record
        parent = record.post if isinstance(record, Comment) else (
            record.parent if isinstance(record, Post) else None)
        if not parent:
            return record
        found, group = self._parent_group(parent)
        if not found:
            if isinstance(record, Comment) and record.group is None:
                raise LookupError(f"comment on unknown post {parent!r}: its audience is unknown")
            return record
        if group != record.group:
            if record.group is not None:
                log.warning("%s %s declares group %r but its thread is in %r; using the thread's",
                            type(record).__name__, record.id, record.group, group)
            return replace(record, group=group)
        return record

    def prune(self) -> int:
        """Tombstone every record of this source that the last reading did not see."""
        stale = self.catalog.ids_from_source(self.source) - self.seen
        if not stale:
            return 0
        with self.catalog.transaction() as generation:
            for kind, ident in sorted(stale):
                self.catalog.delete(kind, ident, generation)
        self.report.removed += len(stale)
        return len(stale)


def item_values(record: Post | Comment | Document) -> dict[str, Any]:
    """The searchable columns of a post, comment or document."""
    if isinstance(record, Document):
        title, text, kind, tags, parent = record.title, record.text, "document", record.tags, None
    elif isinstance(record, Comment):
        title, kind, tags, parent = "", "comment", (), record.post
        text = body_text(record.body, record.body_format)
    else:
        title, kind, tags, parent = record.title, record.kind, record.tags, record.parent
        text = body_text(record.body, record.body_format)
    updated = getattr(record, "updated", None)
    return {
        "id": record.id,
        "type": type(record).__name__.lower(),
        "kind": kind,
        "group_id": acl_token(record.group),
        "author": record.author,
        "parent": parent,
        "title": title,
        "text": text,
        "lang": record.lang or detect_language(f"{title}\n{text}"),
        "tags": json.dumps(list(tags), ensure_ascii=False),
        "created": record.created.isoformat(),
        "updated": updated.isoformat() if updated else None,
    }
