"""What people change on their own profile in quisait: ``<data_dir>/profiles.sqlite``.

The network's records say who someone is; quisait keeps what the person decided here, on
top of them (a re-import of the records changes none of it):

- suggested skills they **accepted** (declared skills from then on, exported through the
  API for the network to take back) or **dismissed** (never suggested again);
- demonstrated topics they **hid** from their page;
- whether they **opted out** of expert ranking (or back in), overriding the record.

Only the person changes their own rows (the web layer sees to it, and audits each
change).  :meth:`ProfileStore.apply` gives a person record with their choices applied;
:class:`search.Searcher` applies it to everyone it loads, so expert ranking, digests and
pages all see the same people.  ``version`` changes with every write: searchers reload
people when it moves.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from core.records import Person
from core.store import Migration, migrate, open_store, transaction
from indexer.analysis import fold

SKILL_STATES = ("accepted", "dismissed")
MAX_SKILL_CHARS = 100
MAX_SKILLS = 200  # choices per person


def _create(db: sqlite3.Connection) -> None:
    db.execute("""CREATE TABLE skills (person TEXT NOT NULL, skill TEXT NOT NULL,
                  normalised TEXT NOT NULL, state TEXT NOT NULL
                  CHECK (state IN ('accepted', 'dismissed')), changed TEXT NOT NULL,
                  PRIMARY KEY (person, normalised))""")
    db.execute("""CREATE TABLE hidden_topics (person TEXT NOT NULL, topic TEXT NOT NULL,
                  normalised TEXT NOT NULL, changed TEXT NOT NULL,
                  PRIMARY KEY (person, normalised))""")
    db.execute("""CREATE TABLE ranking (person TEXT PRIMARY KEY, opted_out INTEGER NOT NULL,
                  changed TEXT NOT NULL)""")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('version', 0)")


MIGRATIONS: list[Migration] = [_create]


def normalise(text: str) -> str:
    """How skills and topics compare: case, accents and spaces folded."""
    return " ".join(fold(text.casefold()).split())


def clean_skill(text: object) -> str:
    """A skill as stored, or ValueError."""
    if not isinstance(text, str) or not normalise(text):
        raise ValueError("must be a non-empty text")
    value = " ".join(text.split())
    if len(value) > MAX_SKILL_CHARS or any(not c.isprintable() for c in value):
        raise ValueError(f"at most {MAX_SKILL_CHARS} printable characters")
    return value


@dataclass(frozen=True)
class Choices:
    """One person's choices."""

    accepted: tuple[str, ...] = ()
    dismissed: tuple[str, ...] = ()
    hidden_topics: tuple[str, ...] = ()
    opted_out: bool | None = None  # None: as the record says
    changed: str | None = None     # when they last changed anything

    def hides(self, topic: str) -> bool:
        return normalise(topic) in {normalise(t) for t in self.hidden_topics}

    def dismissed_skill(self, skill: str) -> bool:
        return normalise(skill) in {normalise(s) for s in self.dismissed}


class ProfileStore:
    """Profile choices of a data folder.  Safe to share across threads."""

    def __init__(self, path: Path | None) -> None:
        self._lock = threading.Lock()
        self.db = open_store(path, "")
        self.schema_version = migrate(self.db, MIGRATIONS, "profile store")
        self._cache: tuple[int, dict[str, Choices]] | None = None

    @classmethod
    def open(cls, folder: Path) -> ProfileStore:
        return cls(folder / "profiles.sqlite")

    def close(self) -> None:
        self.db.close()

    # -- reading ------------------------------------------------------------------------

    def version(self) -> int:
        """A number that changes with every write (this process's or another's)."""
        with self._lock:
            return int(self.db.execute("SELECT value FROM meta WHERE key = 'version'")
                       .fetchone()[0])

    def everyone(self) -> dict[str, Choices]:
        """person id -> their choices (only people who made some)."""
        version = self.version()
        if self._cache is not None and self._cache[0] == version:
            return self._cache[1]
        out: dict[str, dict[str, list[str]]] = {}
        changed: dict[str, str] = {}
        opted: dict[str, bool] = {}
        with self._lock:
            skills = self.db.execute("SELECT person, skill, state, changed FROM skills "
                                     "ORDER BY changed, skill").fetchall()
            topics = self.db.execute("SELECT person, topic, changed FROM hidden_topics "
                                     "ORDER BY changed, topic").fetchall()
            ranking = self.db.execute("SELECT person, opted_out, changed FROM ranking"
                                      ).fetchall()
        for person, skill, state, when in skills:
            out.setdefault(person, {}).setdefault(state, []).append(skill)
            changed[person] = max(changed.get(person, ""), when)
        for person, topic, when in topics:
            out.setdefault(person, {}).setdefault("hidden", []).append(topic)
            changed[person] = max(changed.get(person, ""), when)
        for person, value, when in ranking:
            out.setdefault(person, {})
            opted[person] = bool(value)
            changed[person] = max(changed.get(person, ""), when)
        choices = {person: Choices(tuple(lists.get("accepted", ())),
                                   tuple(lists.get("dismissed", ())),
                                   tuple(lists.get("hidden", ())), opted.get(person),
                                   changed.get(person))
                   for person, lists in out.items()}
        self._cache = (version, choices)
        return choices

    def choices(self, person: str) -> Choices:
        return self.everyone().get(person, Choices())

    def apply(self, person: Person, choices: Choices | None = None) -> Person:
        """``person`` with their choices applied: accepted skills added to the declared
        ones, the opt-out they chose."""
        mine = choices if choices is not None else self.choices(person.id)
        if mine == Choices():
            return person
        declared = {normalise(s) for s in person.skills}
        added = tuple(s for s in mine.accepted if normalise(s) not in declared)
        return replace(person, skills=(*person.skills, *added),
                       opted_out=person.opted_out if mine.opted_out is None
                       else mine.opted_out)

    # -- changing (the person themselves) ---------------------------------------------------

    def _bump(self) -> None:
        self.db.execute("UPDATE meta SET value = value + 1 WHERE key = 'version'")

    def set_skill(self, person: str, skill: str, state: str | None) -> None:
        """Accept or dismiss a suggested skill (``None``: forget the choice)."""
        value = clean_skill(skill)
        if state is not None and state not in SKILL_STATES:
            raise ValueError(f"state must be one of {', '.join(SKILL_STATES)}")
        now = datetime.now(UTC).isoformat()
        with self._lock, transaction(self.db):
            if state is None:
                self.db.execute("DELETE FROM skills WHERE person = ? AND normalised = ?",
                                (person, normalise(value)))
            else:
                count = self.db.execute("SELECT COUNT(*) FROM skills WHERE person = ?",
                                        (person,)).fetchone()[0]
                if count >= MAX_SKILLS:
                    raise ValueError(f"at most {MAX_SKILLS} skill choices per person")
                self.db.execute("INSERT OR REPLACE INTO skills VALUES (?, ?, ?, ?, ?)",
                                (person, value, normalise(value), state, now))
            self._bump()

    def hide_topic(self, person: str, topic: str, hidden: bool) -> None:
        value = clean_skill(topic)
        now = datetime.now(UTC).isoformat()
        with self._lock, transaction(self.db):
            if hidden:
                self.db.execute("INSERT OR REPLACE INTO hidden_topics VALUES (?, ?, ?, ?)",
                                (person, value, normalise(value), now))
            else:
                self.db.execute("DELETE FROM hidden_topics WHERE person = ? AND "
                                "normalised = ?", (person, normalise(value)))
            self._bump()

    def set_opted_out(self, person: str, opted_out: bool) -> None:
        now = datetime.now(UTC).isoformat()
        with self._lock, transaction(self.db):
            self.db.execute("INSERT OR REPLACE INTO ranking VALUES (?, ?, ?)",
                            (person, int(opted_out), now))
            self._bump()

    def accepted_count(self) -> dict[str, int]:
        """person id -> how many suggestions they accepted (the enriched-profile figure)."""
        with self._lock:
            rows = self.db.execute("SELECT person, COUNT(*) FROM skills WHERE state = "
                                   "'accepted' GROUP BY person").fetchall()
        return {person: int(n) for person, n in rows}
