"""The catalog: a SQLite database that is the source of truth.

It holds every record (people, groups, and the searchable items: posts,
comments, documents), group memberships, content hashes, key phrases, the
embedding cache keyed by (model, text hash), and a generation counter.  Each
write batch is one transaction that bumps the generation; derived indexes
(Whoosh, FAISS) remember the generation they reflect and catch up from here.
Deleted records stay as tombstones so that derived indexes can drop them.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.records import COMPANY_FEED, Group, Person, record_from_dict

log = logging.getLogger(__name__)

CATALOG_VERSION = 1
THREADS_META = "threads_settled"  # set once every reply has its thread root's group

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
    id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, hash TEXT NOT NULL,
    source TEXT, generation INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (type, id));
CREATE TABLE IF NOT EXISTS memberships (
    group_id TEXT NOT NULL, person_id TEXT NOT NULL, role TEXT NOT NULL,
    PRIMARY KEY (group_id, person_id));
CREATE INDEX IF NOT EXISTS memberships_person ON memberships (person_id);
CREATE TABLE IF NOT EXISTS items (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, kind TEXT NOT NULL,
    group_id TEXT NOT NULL, author TEXT, parent TEXT,
    title TEXT NOT NULL, text TEXT NOT NULL, lang TEXT NOT NULL, tags TEXT NOT NULL,
    created TEXT NOT NULL, updated TEXT,
    data TEXT NOT NULL, hash TEXT NOT NULL, source TEXT,
    generation INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS items_generation ON items (generation);
CREATE INDEX IF NOT EXISTS items_group ON items (group_id);
CREATE INDEX IF NOT EXISTS items_author ON items (author);
CREATE INDEX IF NOT EXISTS items_parent ON items (parent);
CREATE INDEX IF NOT EXISTS items_source ON items (source);
CREATE TABLE IF NOT EXISTS keyphrases (
    item_rowid INTEGER NOT NULL, phrase TEXT NOT NULL, score REAL NOT NULL,
    PRIMARY KEY (item_rowid, phrase));
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL, text_hash TEXT NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (model, text_hash)) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Item:
    """A searchable unit (post, comment or document) as the catalog stores it."""

    rowid: int
    id: str
    type: str
    kind: str
    group: str
    author: str | None
    parent: str | None
    title: str
    text: str
    lang: str
    tags: tuple[str, ...]
    created: datetime
    updated: datetime | None
    generation: int
    deleted: bool
    data: str

    @property
    def record(self) -> Any:
        """The original record (with its body in its original format, for display)."""
        return record_from_dict(json.loads(self.data))


ITEM_COLUMNS = (
    "rowid, id, type, kind, group_id, author, parent, title, text, lang, tags, "
    "created, updated, generation, deleted, data"
)


def _item(row: sqlite3.Row | tuple[Any, ...]) -> Item:
    values = list(row)
    values[10] = tuple(json.loads(values[10]))
    values[11] = datetime.fromisoformat(values[11])
    values[12] = datetime.fromisoformat(values[12]) if values[12] else None
    values[14] = bool(values[14])
    return Item(*values)


class Catalog:
    """Access to ``catalog.sqlite`` in a data folder.  Not shared across threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(_SCHEMA)
            self._check_version()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            if isinstance(exc, sqlite3.OperationalError):  # locked, disk full: not damage
                raise
            from core.errors import IndexMismatchError

            raise IndexMismatchError(
                f"the catalog {path} is damaged ({exc}); it is the source of truth, which "
                "`quisait rebuild` cannot recreate: restore it from a backup, or import "
                "the sources again into a new data folder") from None

    def _check_version(self) -> None:
        found = self.get_meta("catalog_version")
        if found is None:
            self.set_meta("catalog_version", str(CATALOG_VERSION))
            self.set_meta(THREADS_META, "1")  # a new catalog settles each thread as it goes
        elif int(found) != CATALOG_VERSION:
            from core.errors import IndexMismatchError

            raise IndexMismatchError(
                f"{self.path} has catalog version {found}, this quisait expects "
                f"{CATALOG_VERSION}; re-import the sources into a new data folder"
            )

    def close(self) -> None:
        self.db.close()

    # -- meta and generations -------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    @contextmanager
    def transaction(self) -> Iterator[int]:
        """One write transaction; yields the generation its changes carry.

        The generation only advances if the transaction changed something, so a run
        over unchanged sources leaves every derived index untouched.
        """
        self.db.execute("BEGIN IMMEDIATE")
        try:
            generation = self.generation + 1
            changes = self.db.total_changes
            yield generation
            if self.db.total_changes != changes:
                self.set_meta("generation", str(generation))
                # when the content last changed (the metrics' age of the last ingest)
                self.set_meta("generation_at", datetime.now(UTC).isoformat())
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    # -- reads -------------------------------------------------------------------

    def hashes(self, table_key: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Current content hashes of (type, id) pairs that exist and are not deleted."""
        found: dict[tuple[str, str], str] = {}
        for kind, ident in table_key:
            if kind in ("person", "group"):
                sql = "SELECT hash FROM entities WHERE type = ? AND id = ? AND deleted = 0"
                row = self.db.execute(sql, (kind, ident)).fetchone()
            else:
                sql = "SELECT hash FROM items WHERE type = ? AND id = ? AND deleted = 0"
                row = self.db.execute(sql, (kind, ident)).fetchone()
            if row:
                found[(kind, ident)] = row[0]
        return found

    def entity_generation(self) -> int:
        """The generation of the last change to a person or a group (memberships
        included): people and groups need reloading only when it moves."""
        row = self.db.execute("SELECT MAX(generation) FROM entities").fetchone()
        return int(row[0] or 0)

    def people(self) -> dict[str, Person]:
        """Every person, departed included, by id."""
        return {p.id: p for p in self._entities("person")}

    def groups(self) -> dict[str, Group]:
        """Every group by id."""
        return {g.id: g for g in self._entities("group")}

    def _entities(self, kind: str) -> Iterator[Any]:
        sql = "SELECT data FROM entities WHERE type = ? AND deleted = 0 ORDER BY id"
        for (data,) in self.db.execute(sql, (kind,)):
            yield record_from_dict(json.loads(data))

    def item(self, ident: str) -> Item | None:
        """The live item with this id, or None."""
        sql = f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ? AND deleted = 0"
        row = self.db.execute(sql, (ident,)).fetchone()
        return _item(row) if row else None

    def items_by_rowid(self, rowids: Iterable[int]) -> dict[int, Item]:
        """Live items by rowid (missing or deleted rowids are left out)."""
        wanted = list(rowids)
        found: dict[int, Item] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {ITEM_COLUMNS} FROM items WHERE rowid IN ({marks}) AND deleted = 0"
            found.update((row[0], _item(row)) for row in self.db.execute(sql, chunk))
        return found

    def changed_items(self, since: int, upto: int | None = None) -> Iterator[Item]:
        """Items (tombstones included) changed after generation ``since``, oldest first."""
        upto = self.generation if upto is None else upto
        sql = (
            f"SELECT {ITEM_COLUMNS} FROM items WHERE generation > ? AND generation <= ? "
            "ORDER BY generation, rowid"
        )
        for row in self.db.execute(sql, (since, upto)):
            yield _item(row)

    def changed_rowids(self, since: int) -> list[int]:
        """Rowids of the items (tombstones included) changed after generation ``since``:
        what a derived index at ``since`` has not caught up with yet."""
        return [r for (r,) in self.db.execute(
            "SELECT rowid FROM items WHERE generation > ?", (since,))]

    def newest_rowid(self, generation: int | None = None) -> int:
        """The highest item rowid.  Rowids grow with each item created and are never
        reused (an update keeps its row), so they are the cursor of "items created
        since".  With ``generation``: among the items no newer than it, so that every
        item up to the answer is in an index that reflects ``generation``."""
        if generation is None:
            row = self.db.execute("SELECT MAX(rowid) FROM items").fetchone()
        else:
            row = self.db.execute("SELECT MAX(rowid) FROM items WHERE generation <= ?",
                                  (generation,)).fetchone()
        return int(row[0] or 0)

    def created_between(self, after: int, upto: int) -> list[tuple[int, str, datetime]]:
        """(rowid, id, created) of the live items created after rowid ``after`` up to
        rowid ``upto``, oldest first."""
        rows = self.db.execute("SELECT rowid, id, created FROM items WHERE rowid > ? AND "
                               "rowid <= ? AND deleted = 0 ORDER BY rowid", (after, upto))
        return [(int(r), str(i), datetime.fromisoformat(c)) for r, i, c in rows]

    def thread_facts(self, item: Item) -> tuple[bool, bool]:
        """(answered, accepted): a question with live answers / an accepted answer;
        an answer that its question accepted."""
        if item.kind == "question":
            answered = self.db.execute(
                "SELECT 1 FROM items WHERE parent = ? AND kind = 'answer' AND deleted = 0 "
                "LIMIT 1", (item.id,)).fetchone() is not None
            # only a live answer of this very thread (hence of its group) counts
            chosen = json.loads(item.data).get("accepted_answer")
            accepted = bool(chosen) and self.db.execute(
                "SELECT 1 FROM items WHERE id = ? AND parent = ? AND kind = 'answer' "
                "AND group_id = ? AND deleted = 0", (chosen, item.id, item.group)
            ).fetchone() is not None
            return answered, accepted
        if item.kind == "answer" and item.parent:
            row = self.db.execute("SELECT data FROM items WHERE id = ? AND group_id = ? "
                                  "AND deleted = 0", (item.parent, item.group)).fetchone()
            accepted = bool(row) and json.loads(row[0]).get("accepted_answer") == item.id
            return False, accepted
        return False, False

    def thread_items(self, roots: Iterable[str]) -> list[Item]:
        """Live items of the threads rooted at ``roots``: the roots, their answers and
        comments, and the comments on those answers (for crediting people)."""
        wanted = list(dict.fromkeys(roots))
        found: dict[str, Item] = {}
        for _level in range(2):  # root -> answers and comments -> comments on answers
            for start in range(0, len(wanted), 400):
                chunk = wanted[start : start + 400]
                marks = ",".join("?" * len(chunk))
                sql = (f"SELECT {ITEM_COLUMNS} FROM items WHERE deleted = 0 "
                       f"AND (id IN ({marks}) OR parent IN ({marks}))")
                for row in self.db.execute(sql, chunk + chunk):
                    item = _item(row)
                    found.setdefault(item.id, item)
            wanted = [i.id for i in found.values() if i.kind == "answer"]
        return list(found.values())

    def activity(self) -> list[tuple[str, str, str, int, str]]:
        """(author, group, kind, live items, latest creation) for every author: the raw
        material of activity priors, to be filtered by what a viewer may read."""
        sql = ("SELECT author, group_id, kind, COUNT(*), MAX(created) FROM items "
               "WHERE deleted = 0 AND author IS NOT NULL GROUP BY author, group_id, kind")
        return [tuple(row) for row in self.db.execute(sql)]

    def accepted_activity(self) -> list[tuple[str, str, int]]:
        """(author, group, accepted answers) for every author of an accepted answer."""
        sql = ("SELECT a.author, a.group_id, COUNT(*) FROM items a JOIN items q "
               "ON a.parent = q.id WHERE a.kind = 'answer' AND a.deleted = 0 "
               "AND q.deleted = 0 AND a.author IS NOT NULL "
               "AND json_extract(q.data, '$.accepted_answer') = a.id GROUP BY 1, 2")
        return [tuple(row) for row in self.db.execute(sql)]

    def items_in_groups(self, groups: Iterable[str]) -> list[Item]:
        """Live items whose ACL token is among ``groups``, in rowid order (for tools that
        read whole groups: tuning pairs)."""
        wanted = sorted(groups)
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        sql = (f"SELECT {ITEM_COLUMNS} FROM items WHERE deleted = 0 AND group_id IN ({marks}) "
               "ORDER BY rowid")
        return [_item(row) for row in self.db.execute(sql, wanted)]

    def items_by_author(self, author: str, limit: int = 5000) -> list[Item]:
        """A person's live items, newest first."""
        sql = (f"SELECT {ITEM_COLUMNS} FROM items WHERE author = ? AND deleted = 0 "
               "ORDER BY created DESC LIMIT ?")
        return [_item(row) for row in self.db.execute(sql, (author, limit))]

    def items_by_id(self, ids: Iterable[str]) -> dict[str, Item]:
        """Live items by id (missing or deleted ids are left out)."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Item] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            sql = (f"SELECT {ITEM_COLUMNS} FROM items WHERE id IN ({','.join('?' * len(chunk))})"
                   " AND deleted = 0")
            found.update((row[1], _item(row)) for row in self.db.execute(sql, chunk))
        return found

    def keyphrases_of(self, rowids: Iterable[int]) -> dict[int, list[tuple[str, float]]]:
        """Key phrases of many items at once, best first."""
        wanted = list(rowids)
        found: dict[int, list[tuple[str, float]]] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            sql = (f"SELECT item_rowid, phrase, score FROM keyphrases WHERE item_rowid IN "
                   f"({','.join('?' * len(chunk))}) ORDER BY item_rowid, score DESC")
            for rowid, phrase, score in self.db.execute(sql, chunk):
                found.setdefault(rowid, []).append((phrase, score))
        return found

    def answer_months(self) -> list[tuple[str, str, str, int, int]]:
        """(author, group, month 'YYYY-MM', answers, accepted ones): recent activity,
        cheaply aggregated."""
        sql = ("SELECT a.author, a.group_id, substr(a.created, 1, 7), COUNT(*), "
               "COALESCE(SUM(json_extract(q.data, '$.accepted_answer') = a.id), 0) "
               "FROM items a LEFT JOIN items q ON q.id = a.parent AND q.deleted = 0 "
               "WHERE a.deleted = 0 AND a.kind = 'answer' AND a.author IS NOT NULL "
               "GROUP BY 1, 2, 3")
        return [tuple(row) for row in self.db.execute(sql)]

    def touch_thread(self, ident: str, parent: str | None, generation: int) -> None:
        """Mark a thread's question and answers changed: their answered/accepted flags
        depend on each other, so derived indexes must re-read them."""
        question = parent or ident
        self.db.execute("UPDATE items SET generation = ? WHERE deleted = 0 AND generation < ? "
                        "AND (id = ? OR (parent = ? AND kind = 'answer'))",
                        (generation, generation, question, question))

    def thread_root(self, ident: str) -> tuple[str, bool]:
        """(root id, found) of the thread ``ident`` belongs to, following parents
        (comment -> answer -> question), tombstones included.  ``found`` is False when an
        ancestor is missing (a reply that arrived before its post) or the chain loops or
        runs deeper than a thread can: such an item has no audience yet."""
        current = ident
        for _depth in range(THREAD_DEPTH + 1):
            row = self.db.execute("SELECT parent FROM items WHERE id = ?", (current,)).fetchone()
            if row is None:
                return current, False
            if not row[0]:
                return current, True
            current = row[0]
        return current, False

    def settle_thread(self, ident: str, generation: int) -> int:
        """Give ``ident`` and everything below it its thread root's group (``ORPHAN``, which
        nobody reads, while the root is unknown), marking what moved changed so the derived
        indexes re-read it.  Called after each item is written: when a root arrives or
        changes group, its whole thread follows.  Returns the number of items moved."""
        root, found = self.thread_root(ident)
        group = ORPHAN
        if found:
            group = self.db.execute("SELECT group_id FROM items WHERE id = ?",
                                    (root,)).fetchone()[0]
        lowest = 1 if found and root == ident else 0  # a root keeps its own group
        cursor = self.db.execute(
            "WITH RECURSIVE thread(id, depth) AS (SELECT ?, 0 UNION SELECT items.id, "
            "thread.depth + 1 FROM items JOIN thread ON items.parent = thread.id "
            "WHERE thread.depth < ?) "
            "UPDATE items SET group_id = ?, generation = ? WHERE group_id != ? AND deleted = 0 "
            "AND id IN "
            "(SELECT id FROM thread WHERE depth >= ?)",
            (ident, THREAD_DEPTH, group, generation, group, lowest))
        return cursor.rowcount

    def settle_all_threads(self, generation: int) -> int:
        """Re-resolve every reply's group from its thread root (for catalogs written
        before replies followed their thread); returns the number of items moved."""
        moved = 0
        replies = self.db.execute("SELECT id FROM items WHERE parent IS NOT NULL").fetchall()
        for (ident,) in replies:
            moved += self.settle_thread(ident, generation)
        return moved

    def settle_threads_once(self) -> int:
        """Run :meth:`settle_all_threads` once on a catalog written before replies
        followed their thread (under the data lock); returns the items moved."""
        if self.get_meta(THREADS_META) == "1":
            return 0
        with self.transaction() as generation:
            moved = self.settle_all_threads(generation)
            self.set_meta(THREADS_META, "1")
        if moved:
            log.warning("%d replies moved to their thread's group", moved)
        return moved

    def group_of_item(self, ident: str) -> str | None:
        row = self.db.execute(
            "SELECT group_id FROM items WHERE id = ? AND deleted = 0", (ident,)
        ).fetchone()
        return row[0] if row else None

    def ids_from_source(self, source: str) -> set[tuple[str, str]]:
        """(type, id) of live records last written by ``source``."""
        ids = {
            (t, i)
            for t, i in self.db.execute(
                "SELECT type, id FROM entities WHERE source = ? AND deleted = 0", (source,)
            )
        }
        sql = "SELECT type, id FROM items WHERE source = ? AND deleted = 0"
        ids.update(self.db.execute(sql, (source,)))
        return ids

    def counts(self) -> dict[str, Any]:
        """Live counts per type, kind, group and language (for ``quisait status``)."""
        def grouped(sql: str) -> dict[str, int]:
            return {str(k): n for k, n in self.db.execute(sql)}

        live = "FROM items WHERE deleted = 0 GROUP BY 1 ORDER BY 1"
        return {
            "entities": grouped(
                "SELECT type, COUNT(*) FROM entities WHERE deleted = 0 GROUP BY 1 ORDER BY 1"
            ),
            "items_by_type": grouped(f"SELECT type, COUNT(*) {live}"),
            "items_by_kind": grouped(f"SELECT kind, COUNT(*) {live}"),
            "items_by_group": grouped(f"SELECT group_id, COUNT(*) {live}"),
            "items_by_language": grouped(f"SELECT lang, COUNT(*) {live}"),
            "generation": self.generation,
        }

    # -- writes (inside a transaction) -------------------------------------------

    def put_entity(self, kind: str, ident: str, data: str, digest: str, source: str,
                   generation: int) -> None:
        self.db.execute(
            "INSERT INTO entities VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT (type, id) DO UPDATE "
            "SET data = excluded.data, hash = excluded.hash, source = excluded.source, "
            "generation = excluded.generation, deleted = 0",
            (ident, kind, data, digest, source, generation),
        )

    def put_memberships(self, group: Group) -> None:
        self.db.execute("DELETE FROM memberships WHERE group_id = ?", (group.id,))
        rows = [(group.id, p, "member") for p in group.members]
        rows += [(group.id, p, "guest") for p in group.guests if p not in group.members]
        self.db.executemany("INSERT INTO memberships VALUES (?, ?, ?)", rows)

    def put_item(self, values: dict[str, Any], generation: int) -> None:
        """Insert or replace an item, keeping its rowid when it already exists."""
        columns = [
            "id", "type", "kind", "group_id", "author", "parent", "title", "text", "lang",
            "tags", "created", "updated", "data", "hash", "source",
        ]
        row = [values[c] for c in columns] + [generation]
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
        self.db.execute(
            f"INSERT INTO items ({', '.join(columns)}, generation, deleted) "
            f"VALUES ({', '.join('?' * len(row))}, 0) ON CONFLICT (id) DO UPDATE SET "
            f"{updates}, generation = excluded.generation, deleted = 0",
            row,
        )

    def delete(self, kind: str, ident: str, generation: int) -> bool:
        """Tombstone a record; True if it existed."""
        if kind in ("person", "group"):
            cursor = self.db.execute(
                "UPDATE entities SET deleted = 1, generation = ? "
                "WHERE type = ? AND id = ? AND deleted = 0",
                (generation, kind, ident),
            )
            if kind == "group" and cursor.rowcount:
                self.db.execute("DELETE FROM memberships WHERE group_id = ?", (ident,))
            return cursor.rowcount > 0
        row = self.db.execute("SELECT parent FROM items WHERE id = ? AND deleted = 0",
                              (ident,)).fetchone()
        cursor = self.db.execute(
            "UPDATE items SET deleted = 1, generation = ? WHERE id = ? AND deleted = 0",
            (generation, ident),
        )
        if cursor.rowcount:
            self.touch_thread(ident, row[0] if row else None, generation)
            self.db.execute(
                "DELETE FROM keyphrases WHERE item_rowid = (SELECT rowid FROM items WHERE id = ?)",
                (ident,),
            )
        return cursor.rowcount > 0

    # -- key phrases and embedding cache -------------------------------------------

    def put_keyphrases(self, rowid: int, phrases: list[tuple[str, float]]) -> None:
        self.db.execute("DELETE FROM keyphrases WHERE item_rowid = ?", (rowid,))
        self.db.executemany(
            "INSERT OR REPLACE INTO keyphrases VALUES (?, ?, ?)",
            [(rowid, phrase, score) for phrase, score in phrases],
        )

    def keyphrases(self, rowid: int) -> list[tuple[str, float]]:
        sql = "SELECT phrase, score FROM keyphrases WHERE item_rowid = ? ORDER BY score DESC"
        return [(p, s) for p, s in self.db.execute(sql, (rowid,))]

    def cached_vectors(self, model: str, digests: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for start in range(0, len(digests), 500):
            chunk = digests[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = ("SELECT text_hash, vector FROM embeddings "
                   f"WHERE model = ? AND text_hash IN ({marks})")
            found.update(self.db.execute(sql, [model, *chunk]))
        return found

    def cache_vectors(self, model: str, vectors: dict[str, bytes]) -> None:
        self.db.executemany(
            "INSERT OR IGNORE INTO embeddings VALUES (?, ?, ?)",
            [(model, digest, blob) for digest, blob in vectors.items()],
        )


# the ACL token of a reply whose thread root is not known yet: no group, nobody reads it
ORPHAN = "@orphan"
THREAD_DEPTH = 4  # question -> answer -> comment, with room to spare


def acl_token(group: str | None) -> str:
    """The ACL token of a group id (``None`` is the company feed)."""
    return group if group else COMPANY_FEED
