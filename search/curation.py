"""What KM leads curate, stored as data: pins (best bets), synonyms, official/outdated marks.

It lives in ``curation.sqlite`` beside the catalog, its schema version in ``PRAGMA
user_version`` (:func:`core.store.migrate`).  Nothing here decides ranking:
:mod:`search.signals` applies it, in one place.

Verified content: an ``official`` mark has an owner (the person who answers for it) and a
review date.  Past that date it no longer counts as official (:meth:`Curation.marks`
gives the marks in effect: by default the item falls back to unmarked; ``expired =
"outdated"`` makes it outdated), until someone reviews it and sets a new date.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from core.store import Migration, migrate, open_store
from indexer.analysis import fold

MARKS = ("official", "outdated")
EXPIRED = ("unmarked", "outdated")  # what an official mark past its review date becomes
_SCHEMA = """
CREATE TABLE IF NOT EXISTS pins (
    id INTEGER PRIMARY KEY AUTOINCREMENT, pattern TEXT NOT NULL, item_id TEXT NOT NULL,
    audience TEXT NOT NULL, starts TEXT, ends TEXT, created_by TEXT, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS synonyms (
    set_id INTEGER NOT NULL, expression TEXT NOT NULL, normalised TEXT NOT NULL,
    PRIMARY KEY (set_id, normalised));
CREATE INDEX IF NOT EXISTS synonyms_normalised ON synonyms (normalised);
CREATE TABLE IF NOT EXISTS marks (item_id TEXT PRIMARY KEY, mark TEXT NOT NULL,
    marked_by TEXT, marked TEXT NOT NULL);
"""


def _create(db: sqlite3.Connection) -> None:
    # version 1: the tables as they were before versions (IF NOT EXISTS: a file of then
    # already has them)
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def _add_owner_and_review(db: sqlite3.Connection) -> None:
    # version 2: an official mark's owner and review date (marks of before have neither:
    # they stay official until someone sets a date)
    db.execute("ALTER TABLE marks ADD COLUMN owner TEXT")
    db.execute("ALTER TABLE marks ADD COLUMN review TEXT")


MIGRATIONS: list[Migration] = [_create, _add_owner_and_review]
_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})


def normalise(text: str) -> str:
    """Case, accents, apostrophes and spaces folded: how patterns and expressions compare."""
    return _SPACES.sub(" ", fold(text.translate(_APOSTROPHES).casefold())).strip()


@dataclass(frozen=True)
class Pin:
    """A best bet: when a query matches ``pattern``, ``item_id`` comes first."""

    id: int
    pattern: str
    item_id: str
    audience: tuple[str, ...] = ()  # group ids or roles; empty: everyone
    starts: datetime | None = None
    ends: datetime | None = None
    created_by: str | None = None

    def active(self, now: datetime) -> bool:
        started = self.starts is None or self.starts <= now
        return started and (self.ends is None or now < self.ends)

    def matches(self, query: str) -> bool:
        """Every word of the pattern occurs in the query (order and accents do not matter)."""
        words = set(normalise(query).split())
        return bool(self.pattern) and set(normalise(self.pattern).split()) <= words


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Mark:
    """A curation mark on an item, as stored."""

    item_id: str
    mark: str                 # one of MARKS
    marked_by: str | None
    marked: datetime
    owner: str | None = None  # who answers for an official item (its reviews)
    review: date | None = None  # the date it must be reviewed by (official marks)

    def expired(self, today: date) -> bool:
        """An official mark whose review date has passed."""
        return self.mark == "official" and self.review is not None and self.review < today

    def as_json(self) -> dict[str, object]:
        return {"item_id": self.item_id, "mark": self.mark, "owner": self.owner,
                "review": self.review.isoformat() if self.review else None,
                "marked_by": self.marked_by, "marked": self.marked.isoformat()}


def _mark(row: tuple[str, str, str | None, str, str | None, str | None]) -> Mark:
    item_id, mark, marked_by, marked, owner, review = row
    return Mark(item_id, mark, marked_by, datetime.fromisoformat(marked), owner,
                date.fromisoformat(review) if review else None)


class Curation:
    """Pins, synonyms and marks of a data folder.  Safe to share across threads."""

    def __init__(self, path: Path | None, expired: str = "unmarked") -> None:
        if expired not in EXPIRED:
            raise ValueError(f"expired must be one of {', '.join(EXPIRED)}")
        self._lock = threading.Lock()
        self.expired_becomes = expired
        self.db = open_store(path, "")
        self.schema_version = migrate(self.db, MIGRATIONS, "curation store")

    @classmethod
    def open(cls, folder: Path, expired: str = "unmarked") -> Curation:
        folder.mkdir(parents=True, exist_ok=True)
        return cls(folder / "curation.sqlite", expired)

    def close(self) -> None:
        self.db.close()

    # -- pins ------------------------------------------------------------------------

    def add_pin(self, pattern: str, item_id: str, audience: Iterable[str] = (),
                starts: datetime | None = None, ends: datetime | None = None,
                created_by: str | None = None) -> Pin:
        if not normalise(pattern):
            raise ValueError("a pin needs a query pattern")
        row = (pattern.strip(), item_id, json.dumps(sorted(set(audience))),
               starts.isoformat() if starts else None, ends.isoformat() if ends else None,
               created_by, datetime.now(UTC).isoformat())
        with self._lock:
            cursor = self.db.execute(
                "INSERT INTO pins (pattern, item_id, audience, starts, ends, created_by, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", row)
        return self.pin(int(cursor.lastrowid or 0))  # type: ignore[return-value]

    def pin(self, pin_id: int) -> Pin | None:
        rows = self._pins("WHERE id = ?", (pin_id,))
        return rows[0] if rows else None

    def pins(self) -> list[Pin]:
        return self._pins("", ())

    def _pins(self, where: str, args: tuple[object, ...]) -> list[Pin]:
        sql = f"SELECT id, pattern, item_id, audience, starts, ends, created_by FROM pins {where}"
        with self._lock:
            rows = self.db.execute(sql + " ORDER BY id", args).fetchall()
        return [Pin(i, p, item, tuple(json.loads(a)), _moment(s), _moment(e), by)
                for i, p, item, a, s, e, by in rows]

    def remove_pin(self, pin_id: int) -> bool:
        with self._lock:
            return self.db.execute("DELETE FROM pins WHERE id = ?", (pin_id,)).rowcount > 0

    # -- synonyms -----------------------------------------------------------------------

    def add_synonyms(self, expressions: Iterable[str]) -> int:
        """Declare expressions equivalent (e.g. RSE, réseau social d'entreprise); a set id."""
        unique = {normalise(e): e.strip() for e in expressions if normalise(e)}
        if len(unique) < 2:
            raise ValueError("a synonym set needs at least two different expressions")
        with self._lock:
            row = self.db.execute("SELECT COALESCE(MAX(set_id), 0) + 1 FROM synonyms").fetchone()
            self.db.executemany("INSERT INTO synonyms VALUES (?, ?, ?)",
                                [(row[0], text, key) for key, text in unique.items()])
        return int(row[0])

    def remove_synonyms(self, set_id: int) -> bool:
        with self._lock:
            return self.db.execute("DELETE FROM synonyms WHERE set_id = ?",
                                   (set_id,)).rowcount > 0

    def synonym_sets(self) -> dict[int, list[str]]:
        with self._lock:
            rows = self.db.execute("SELECT set_id, expression FROM synonyms ORDER BY set_id, "
                                   "expression").fetchall()
        sets: dict[int, list[str]] = {}
        for set_id, expression in rows:
            sets.setdefault(set_id, []).append(expression)
        return sets

    def synonym_table(self) -> dict[str, tuple[str, ...]]:
        """normalised expression -> the other expressions of its sets."""
        table: dict[str, set[str]] = {}
        for expressions in self.synonym_sets().values():
            for expression in expressions:
                others = {e for e in expressions if normalise(e) != normalise(expression)}
                table.setdefault(normalise(expression), set()).update(others)
        return {key: tuple(sorted(values)) for key, values in table.items()}

    # -- marks ------------------------------------------------------------------------------

    def mark(self, item_id: str, mark: str | None, marked_by: str | None = None,
             owner: str | None = None, review: date | None = None) -> None:
        """Mark an item official (with its ``owner`` and ``review`` date, if given) or
        outdated; ``None`` removes the mark."""
        if mark is not None and mark not in MARKS:
            raise ValueError(f"unknown mark {mark!r} (valid: {', '.join(MARKS)})")
        if mark != "official" and (owner is not None or review is not None):
            raise ValueError("only an official mark has an owner and a review date")
        with self._lock:
            if mark is None:
                self.db.execute("DELETE FROM marks WHERE item_id = ?", (item_id,))
            else:
                self.db.execute(
                    "INSERT OR REPLACE INTO marks (item_id, mark, marked_by, marked, owner, "
                    "review) VALUES (?, ?, ?, ?, ?, ?)",
                    (item_id, mark, marked_by, datetime.now(UTC).isoformat(), owner,
                     review.isoformat() if review else None))

    def get_mark(self, item_id: str) -> Mark | None:
        """The stored mark of an item (expired or not), if any."""
        with self._lock:
            row = self.db.execute("SELECT item_id, mark, marked_by, marked, owner, review "
                                  "FROM marks WHERE item_id = ?", (item_id,)).fetchone()
        return _mark(row) if row else None

    def all_marks(self) -> list[Mark]:
        """Every stored mark, by review date (those without one last), then item."""
        with self._lock:
            rows = self.db.execute(
                "SELECT item_id, mark, marked_by, marked, owner, review FROM marks "
                "ORDER BY review IS NULL, review, item_id").fetchall()
        return [_mark(row) for row in rows]

    def marks(self, today: date | None = None) -> dict[str, str]:
        """item id -> the mark in effect ``today``: an official mark past its review date
        is left out (or counts as outdated, as the store was opened to do)."""
        today = today or datetime.now(UTC).date()
        effective: dict[str, str] = {}
        for mark in self.all_marks():
            if not mark.expired(today):
                effective[mark.item_id] = mark.mark
            elif self.expired_becomes == "outdated":
                effective[mark.item_id] = "outdated"
        return effective
