"""Feedback: "helpful / not helpful" on results, extracted answers and expert cards.

One vote per person, kind, target and normalised query, in ``feedback.sqlite`` beside
the catalog; a second vote replaces the first.  The voter is stored as the query log
stores its viewer: an HMAC-SHA-256 of their id under the query log's salt
(``query_log = "hash"``), or not at all (``"none"``, ``"off"``).  Without a voter, votes
cannot be told apart per person: they are kept for the KM dashboard (counted as votes,
not people) and never move a ranking.

Each vote also keeps the target's group when it was cast (votes on an item that has
moved group since no longer count anywhere) and the ACL tokens the voter could read
(the query log's visibility rule: the query may hold words only its author could
read, so a vote counts for a reader, or shows on a dashboard, only when that reader
may read everything the voter could).  What a vote does to a ranking is decided in
:func:`counted_votes` (who counts) and :func:`search.signals.feedback_factor` (how much).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.records import Person
from core.store import Migration, migrate, open_store
from search.curation import normalise

KINDS = ("result", "answer", "expert")
MAX_QUERY_CHARS = 1000
MAX_TARGET_CHARS = 1000
MAX_LINES = 1000
EXPERT_GROUP = ""  # a person belongs to no group: expert votes carry none

_SCHEMA = """
CREATE TABLE IF NOT EXISTS votes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, normalised TEXT NOT NULL,
    query TEXT NOT NULL, target TEXT NOT NULL, helpful INTEGER NOT NULL, at TEXT NOT NULL,
    voter TEXT, target_group TEXT NOT NULL, voter_groups TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS votes_once ON votes (kind, normalised, target, voter);
CREATE INDEX IF NOT EXISTS votes_query ON votes (kind, normalised);
"""


def _create(db: sqlite3.Connection) -> None:
    # version 1: the tables as first released (IF NOT EXISTS: older files have them)
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


MIGRATIONS: list[Migration] = [_create]
# the reader may read every token the voter could (the query log's rule)
_VISIBLE = ("NOT EXISTS (SELECT 1 FROM json_each(v.voter_groups) AS g "
            "WHERE g.value NOT IN (SELECT value FROM json_each(:visible)))")


def feedback_key(query: str) -> str:
    """How votes on one query group: case, accents, apostrophes and spaces folded."""
    return normalise(query[:MAX_QUERY_CHARS])


@dataclass(frozen=True)
class Vote:
    kind: str
    normalised: str
    target: str
    helpful: bool
    at: datetime
    voter: str | None  # the salted hash, or None
    target_group: str
    voter_groups: frozenset[str]


@dataclass(frozen=True)
class FeedbackLine:
    """Votes on one target for one query, as a dashboard shows them (never who)."""

    kind: str
    query: str
    target: str
    helpful: int
    not_helpful: int
    last: datetime


class FeedbackStore:
    """The votes of a data folder.  Safe to share across threads."""

    def __init__(self, path: Path | None,
                 viewer_key: Callable[[str], str | None] | None = None) -> None:
        self._lock = threading.Lock()
        self.db = open_store(path, "")
        self.schema_version = migrate(self.db, MIGRATIONS, "feedback store")
        self._viewer_key = viewer_key
        self._voters: tuple[object, dict[str, Person]] = (None, {})

    @classmethod
    def open(cls, folder: Path,
             viewer_key: Callable[[str], str | None] | None = None) -> FeedbackStore:
        folder.mkdir(parents=True, exist_ok=True)
        return cls(folder / "feedback.sqlite", viewer_key)

    def close(self) -> None:
        self.db.close()

    def voter_key(self, person_id: str) -> str | None:
        """What is stored for a voter: the query log's salted hash, or None."""
        return self._viewer_key(person_id) if self._viewer_key is not None else None

    @property
    def per_person(self) -> bool:
        """Votes are told apart per person (hashed voters): only then may they rank."""
        return self._viewer_key is not None and self.voter_key("probe") is not None

    def record(self, kind: str, target: str, query: str, helpful: bool, voter: str,
               target_group: str, voter_groups: frozenset[str],
               at: datetime | None = None) -> None:
        """Store a vote (replacing the voter's earlier one on the same target and query)."""
        if kind not in KINDS:
            raise ValueError(f"unknown feedback kind {kind!r} (valid: {', '.join(KINDS)})")
        key = feedback_key(query)
        if not key:
            raise ValueError("a vote needs the query it answers")
        moment = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
        row = (kind, key, query[:MAX_QUERY_CHARS], target[:MAX_TARGET_CHARS], int(helpful),
               moment, self.voter_key(voter), target_group, json.dumps(sorted(voter_groups)))
        with self._lock:
            self.db.execute(
                "INSERT INTO votes (kind, normalised, query, target, helpful, at, voter, "
                "target_group, voter_groups) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (kind, normalised, target, voter) DO UPDATE SET "
                "helpful = excluded.helpful, at = excluded.at, query = excluded.query, "
                "target_group = excluded.target_group, voter_groups = excluded.voter_groups",
                row)

    def choice(self, kind: str, target: str, query: str, voter: str) -> bool | None:
        """The voter's current vote on this target for this query (None: none, or voters
        are not stored)."""
        key = self.voter_key(voter)
        if key is None:
            return None
        with self._lock:
            row = self.db.execute(
                "SELECT helpful FROM votes WHERE kind = ? AND normalised = ? AND target = ? "
                "AND voter = ?", (kind, feedback_key(query), target, key)).fetchone()
        return bool(row[0]) if row else None

    def votes(self, kind: str, query: str) -> list[Vote]:
        """Every vote of ``kind`` cast for this (normalised) query."""
        with self._lock:
            rows = self.db.execute(
                "SELECT kind, normalised, target, helpful, at, voter, target_group, "
                "voter_groups FROM votes WHERE kind = ? AND normalised = ?",
                (kind, feedback_key(query))).fetchall()
        return [Vote(k, n, t, bool(h), datetime.fromisoformat(at), v, g,
                     frozenset(json.loads(groups))) for k, n, t, h, at, v, g, groups in rows]

    def lines(self, kind: str, *, visible_to: frozenset[str]) -> list[tuple[FeedbackLine, str]]:
        """(votes per target and query, the target's group when voted) of ``kind``, over
        the votes whose voter could read nothing ``visible_to`` does not hold."""
        if isinstance(visible_to, str):  # a lone group id would be read as its letters
            raise TypeError("visible_to is a set of ACL tokens, not a string")
        with self._lock:
            rows = self.db.execute(
                "SELECT normalised, target, target_group, SUM(helpful), SUM(1 - helpful), "
                f"MAX(at) FROM votes v WHERE kind = :kind AND {_VISIBLE} "
                "GROUP BY normalised, target, target_group "
                "ORDER BY 5 DESC, 4, 6 DESC, 1, 2 LIMIT :limit",
                {"kind": kind, "visible": json.dumps(sorted(visible_to)),
                 "limit": MAX_LINES}).fetchall()
        return [(FeedbackLine(kind, q, t, int(up), int(down), datetime.fromisoformat(at)), g)
                for q, t, g, up, down, at in rows]

    def voters(self, people: Mapping[str, Person]) -> dict[str, Person]:
        """Stored voter key -> the person it stands for, recomputed when ``people`` is a new
        mapping (the searcher replaces it whenever a person or group changes)."""
        cached_people, cached = self._voters
        if cached_people is not people:
            keys = {self.voter_key(pid): person for pid, person in people.items()}
            cached = {key: person for key, person in keys.items() if key is not None}
            self._voters = (people, cached)
        return cached


@dataclass(frozen=True)
class Target:
    """What deciding whether a vote counts needs to know of an item now."""

    group: str
    author: str | None


def counted_votes(votes: Iterable[Vote], targets: Mapping[str, Target],
                  reader_tokens: frozenset[str], voters: Mapping[str, Person],
                  readable: Callable[[Person], frozenset[str]]) -> dict[str, list[Vote]]:
    """The votes that may move a ranking for this reader, by target.  A vote counts only
    when its voter is a known active person who can read the item now, in the group it
    was in when they voted, is not its author, and could read nothing the reader cannot
    (so a reader learns nothing of queries or content beyond their own reach)."""
    counted: dict[str, list[Vote]] = {}
    for vote in votes:
        target = targets.get(vote.target)
        person = voters.get(vote.voter) if vote.voter is not None else None
        if target is None or person is None or person.status != "active":
            continue
        if vote.target_group != target.group or person.id == target.author:
            continue
        if not vote.voter_groups <= reader_tokens or target.group not in readable(person):
            continue
        counted.setdefault(vote.target, []).append(vote)
    return counted


def readable_lines(store: FeedbackStore, kind: str, reader_tokens: frozenset[str],
                   current_group: Callable[[str], str | None]) -> list[FeedbackLine]:
    """A dashboard's lines of ``kind``: targets the reader may read now, still in the
    group they were voted in, from voters who could read nothing the reader cannot.
    Expert lines: ``current_group`` answers :data:`EXPERT_GROUP` for people the reader
    may see (and None for the others)."""
    return [line for line, group in store.lines(kind, visible_to=reader_tokens)
            if current_group(line.target) == group
            and (group in reader_tokens or group == EXPERT_GROUP)]
