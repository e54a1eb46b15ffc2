"""Records into the catalog: hashing, permission-group resolution, text and language.

Unchanged records (same content hash, taken over the record as it was sent) are
skipped without any work; changed ones replace the stored version.  Answers and
comments always live in the group of their thread's root, whatever group they
declare: a reply that arrives before its post waits in no group at all (nobody
reads it), and when a root arrives or moves, its whole thread follows it
(:meth:`Catalog.settle_thread`).  Content never reaches a wider audience than its
thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from core.records import Comment, Document, Group, Person, Post, Problem, Record, record_to_dict
from indexer.analysis import detect_language
from indexer.catalog import Catalog, acl_token
from indexer.text import body_text

log = logging.getLogger(__name__)

BATCH_SIZE = 500
RESERVED_PREFIX = "@"  # ACL tokens that are not groups: the company feed, ORPHAN


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
        if isinstance(record, Group) and record.id.startswith(RESERVED_PREFIX):
            self.report.problems.append(Problem(
                self.source, f"group {record.id}",
                f"group ids starting with {RESERVED_PREFIX!r} are reserved (the company feed "
                "and replies waiting for their thread use them)"))
            return
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
        # the item, and its replies if it is a thread's root, take the root's group
        self.catalog.settle_thread(record.id, generation)
        if isinstance(record, Post) and record.kind in ("question", "answer"):
            self.catalog.touch_thread(record.id, record.parent, generation)

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
