"""What people follow, and how they want to hear about it: ``<data_dir>/follows.sqlite``.

A follow (a saved search, a curated topic, a tag, a group or a person) has a cursor: the
highest catalog item rowid its alerts covered (:meth:`indexer.Catalog.newest_rowid`); it
may be paused, and dropping deletes it.  Preferences are per person: the channel (email
to ``email``, or ``webhook_url`` in ``webhook_format``), the frequency, the language (fr
or en), a global pause, and whether expert digests come.  ``PRAGMA user_version`` holds
the schema version, brought forward by migrations as the outbox's is.  Every read and
change of a follow names its person: nobody reaches another person's follows here.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.records import Person
from core.settings import Settings
from core.store import open_store
from notify.mail import LANGUAGES, is_single_address
from notify.outbox import utc_now
from notify.schema import Migration, migrate, transaction
from notify.webhook import FORMATS, validate_webhook_url

FOLLOW_KINDS = ("search", "topic", "tag", "group", "person")
FREQUENCIES = ("immediately", "daily", "weekly")
CHANNELS = ("email", "webhook")
MAX_FOLLOWS = 200  # per person: each costs a search per run
MAX_TARGET_CHARS = 1000  # a saved search is at most a query's length


def _create_tables(db: sqlite3.Connection) -> None:
    # literal values: a migration must create the same tables whatever the code says later
    db.execute("""
        CREATE TABLE follows (
            id TEXT PRIMARY KEY, person TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('search', 'topic', 'tag', 'group', 'person')),
            target TEXT NOT NULL, paused INTEGER NOT NULL DEFAULT 0,
            cursor INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL,
            UNIQUE (person, kind, target))""")
    db.execute("""
        CREATE TABLE preferences (
            person TEXT PRIMARY KEY, channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
            email TEXT NOT NULL DEFAULT '', webhook_url TEXT NOT NULL DEFAULT '',
            webhook_format TEXT NOT NULL DEFAULT 'json',
            frequency TEXT NOT NULL CHECK (frequency IN ('immediately', 'daily', 'weekly')),
            lang TEXT NOT NULL CHECK (lang IN ('fr', 'en')), paused INTEGER NOT NULL DEFAULT 0,
            digests INTEGER NOT NULL DEFAULT 1, updated REAL NOT NULL)""")


def _add_email_confirmation(db: sqlite3.Connection) -> None:
    # version 2: an address receives notifications once its owner clicked the link sent to
    # it; addresses saved before confirmations existed are kept as confirmed, so that an
    # upgrade silences nobody
    db.execute("ALTER TABLE preferences ADD COLUMN email_confirmed TEXT NOT NULL DEFAULT ''")
    db.execute("UPDATE preferences SET email_confirmed = email")


MIGRATIONS: list[Migration] = [_create_tables, _add_email_confirmation]


class InvalidFollow(ValueError):
    """A follow or preference field is malformed; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Follow:
    """One thing a person follows."""

    id: str
    person: str
    kind: str  # one of FOLLOW_KINDS
    target: str  # the query, or the topic, tag, group or person id
    paused: bool
    cursor: int  # the highest item rowid its alerts have covered
    created: datetime


@dataclass(frozen=True)
class Preferences:
    """How a person hears about what they follow."""

    person: str
    channel: str = "email"
    email: str = ""
    webhook_url: str = ""
    webhook_format: str = "json"
    frequency: str = "daily"
    lang: str = "fr"
    paused: bool = False
    digests: bool = True
    saved: bool = False  # False: the defaults, never saved
    email_confirmed: str = ""  # the address whose confirmation link was followed

    @property
    def address(self) -> str:
        """Where messages go on the chosen channel ("" when not given, or while the email
        address waits for its confirmation: nothing goes to an address nobody proved)."""
        if self.channel == "email":
            return self.email if self.email and self.email == self.email_confirmed else ""
        return self.webhook_url

    @property
    def email_pending(self) -> bool:
        """An email address is given and not confirmed yet."""
        return bool(self.email) and self.email != self.email_confirmed


def profile_language(person: Person | None) -> str | None:
    """The first of the profile's languages that messages come in, if any."""
    for lang in person.languages if person is not None else ():
        if lang in LANGUAGES:
            return lang
    return None


def default_language(person: Person | None, accept_language: str | None = None) -> str:
    """The profile's language, else the browser's (``accept_language``: its best match
    among fr and en), else fr."""
    return profile_language(person) or (accept_language if accept_language in LANGUAGES
                                        else None) or "fr"


def normalised_target(kind: str, target: str) -> str:
    """``target`` as stored: trimmed; a tag in lower case, without its ``#``."""
    if kind not in FOLLOW_KINDS:
        raise InvalidFollow("kind", f"must be one of {', '.join(FOLLOW_KINDS)}")
    value = " ".join(target.split()) if kind == "search" else target.strip()
    if kind == "tag":
        value = value.lstrip("#").lower()
    if not value:
        raise InvalidFollow("target", "must not be empty")
    if len(value) > MAX_TARGET_CHARS or any(not c.isprintable() for c in value):
        raise InvalidFollow("target", f"at most {MAX_TARGET_CHARS} printable characters")
    return value


_CHOICES = {"channel": CHANNELS, "frequency": FREQUENCIES, "lang": LANGUAGES,
            "webhook_format": FORMATS}
_TEXTS = ("person", "channel", "email", "webhook_url", "webhook_format", "frequency", "lang")


def checked_preferences(prefs: Preferences) -> Preferences:
    """``prefs`` if every field is valid (an address may be left empty: then nothing is
    sent); InvalidFollow naming the field otherwise."""
    for name, valid in _CHOICES.items():
        if getattr(prefs, name) not in valid:
            raise InvalidFollow(name, f"must be one of {', '.join(valid)}")
    if prefs.email and (not is_single_address(prefs.email) or len(prefs.email) > 320):
        raise InvalidFollow("email", "must be one email address (at most 320 characters)")
    if prefs.webhook_url:
        try:
            validate_webhook_url(prefs.webhook_url)
        except ValueError as exc:
            raise InvalidFollow("webhook_url", str(exc)) from None
        if len(prefs.webhook_url) > 2000:
            raise InvalidFollow("webhook_url", "at most 2000 characters")
    return prefs


def _follow(row: sqlite3.Row) -> Follow:
    return Follow(id=row["id"], person=row["person"], kind=row["kind"], target=row["target"],
                  paused=bool(row["paused"]), cursor=int(row["cursor"]),
                  created=datetime.fromtimestamp(row["created"], UTC))


def _preferences(row: sqlite3.Row) -> Preferences:
    return Preferences(**{name: row[name] for name in _TEXTS}, paused=bool(row["paused"]),
                       digests=bool(row["digests"]), saved=True,
                       email_confirmed=row["email_confirmed"])


def follows_path(settings: Settings) -> Path:
    """Where the follows of a data folder live."""
    return settings.data_dir / "follows.sqlite"


class FollowStore:
    """Follows and preferences of a data folder.  Safe to share across threads."""

    def __init__(self, path: Path | None, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self.db = open_store(path, "", private=True)  # it holds addresses
        self.db.row_factory = sqlite3.Row
        self.schema_version = migrate(self.db, MIGRATIONS, "follow store")

    @classmethod
    def open(cls, settings: Settings) -> FollowStore:
        """The store of ``settings.data_dir``."""
        return cls(follows_path(settings))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> FollowStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[sqlite3.Row]:
        with self._lock:
            return self.db.execute(sql, params).fetchall()

    # -- follows -----------------------------------------------------------------------

    def add(self, person: str, kind: str, target: str, cursor: int) -> tuple[Follow, bool]:
        """Follow ``target`` from item rowid ``cursor`` on: (the follow, whether it is new;
        following the same thing twice gives the first follow back)."""
        value = normalised_target(kind, target)
        with self._lock, transaction(self.db):
            row = self.db.execute("SELECT * FROM follows WHERE person = ? AND kind = ? AND "
                                  "target = ?", (person, kind, value)).fetchone()
            if row is not None:
                return _follow(row), False
            count = self.db.execute("SELECT COUNT(*) FROM follows WHERE person = ?",
                                    (person,)).fetchone()[0]
            if count >= MAX_FOLLOWS:
                raise InvalidFollow("target", f"at most {MAX_FOLLOWS} follows per person")
            row = self.db.execute(
                "INSERT INTO follows (id, person, kind, target, cursor, created) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
                (f"f-{secrets.token_hex(8)}", person, kind, value, cursor,
                 self.clock().timestamp())).fetchone()
        return _follow(row), True

    def follows_of(self, person: str) -> list[Follow]:
        """A person's follows, oldest first."""
        rows = self._rows("SELECT * FROM follows WHERE person = ? ORDER BY created, id",
                          (person,))
        return [_follow(row) for row in rows]

    def get(self, person: str, follow_id: str) -> Follow | None:
        """The follow ``follow_id`` of ``person`` (None for anyone else's)."""
        rows = self._rows("SELECT * FROM follows WHERE id = ? AND person = ?",
                          (follow_id, person))
        return _follow(rows[0]) if rows else None

    def find(self, person: str, kind: str, target: str) -> Follow | None:
        """The follow of ``person`` for this target, if they follow it."""
        try:
            value = normalised_target(kind, target)
        except InvalidFollow:
            return None
        rows = self._rows("SELECT * FROM follows WHERE person = ? AND kind = ? AND "
                          "target = ?", (person, kind, value))
        return _follow(rows[0]) if rows else None

    def set_paused(self, person: str, follow_id: str, paused: bool,
                   cursor: int) -> Follow | None:
        """Pause or resume a follow of ``person``; a resumed follow starts from ``cursor``
        (what came while it was paused is not sent later)."""
        with self._lock:
            row = self.db.execute(
                "UPDATE follows SET paused = ?, cursor = CASE WHEN ? THEN cursor "
                "WHEN paused THEN MAX(cursor, ?) ELSE cursor END "
                "WHERE id = ? AND person = ? RETURNING *",
                (int(paused), int(paused), cursor, follow_id, person)).fetchone()
        return _follow(row) if row else None

    def drop(self, person: str, follow_id: str) -> bool:
        """Delete a follow of ``person``; False if they have none with this id."""
        with self._lock:
            cursor = self.db.execute("DELETE FROM follows WHERE id = ? AND person = ?",
                                     (follow_id, person))
        return cursor.rowcount == 1

    def advance(self, follow_id: str, cursor: int) -> None:
        """Record that alerts of a follow covered the items up to rowid ``cursor``."""
        with self._lock:
            self.db.execute("UPDATE follows SET cursor = MAX(cursor, ?) WHERE id = ?",
                            (cursor, follow_id))

    def due(self, frequency: str) -> list[tuple[Follow, Preferences]]:
        """Follows running at ``frequency``: not paused, their person not paused (people
        who never saved preferences have the defaults)."""
        if frequency not in FREQUENCIES:
            raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}")
        rows = self._rows("SELECT f.* FROM follows f LEFT JOIN preferences p ON "
                          "p.person = f.person WHERE f.paused = 0 AND COALESCE(p.paused, 0) "
                          "= 0 AND COALESCE(p.frequency, ?) = ? ORDER BY f.person, f.created",
                          (Preferences("").frequency, frequency))
        follows = [_follow(row) for row in rows]
        preferences = {person: self.preferences(person) for person in
                       {follow.person for follow in follows}}
        return [(follow, preferences[follow.person]) for follow in follows]

    # -- preferences -------------------------------------------------------------------

    def preferences(self, person: str) -> Preferences:
        """A person's preferences, or the defaults (``saved`` False) if never saved."""
        rows = self._rows("SELECT * FROM preferences WHERE person = ?", (person,))
        return _preferences(rows[0]) if rows else Preferences(person)

    def save_preferences(self, prefs: Preferences, cursor: int) -> Preferences:
        """Check and store ``prefs``; leaving the global pause starts every follow of the
        person from ``cursor`` (the newest item rowid: nothing from the pause is sent)."""
        prefs = checked_preferences(prefs)
        with self._lock, transaction(self.db):
            row = self.db.execute("SELECT paused FROM preferences WHERE person = ?",
                                  (prefs.person,)).fetchone()
            if row is not None and row["paused"] and not prefs.paused:
                self.db.execute("UPDATE follows SET cursor = MAX(cursor, ?) WHERE person = ?",
                                (cursor, prefs.person))
            confirmed = self.db.execute("SELECT email_confirmed FROM preferences WHERE "
                                        "person = ?", (prefs.person,)).fetchone()
            # only confirm_email() confirms: whatever ``prefs`` says is not taken
            confirmed_email = confirmed[0] if confirmed is not None else ""
            self.db.execute(
                "INSERT OR REPLACE INTO preferences (person, channel, email, webhook_url, "
                "webhook_format, frequency, lang, paused, digests, updated, email_confirmed) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (prefs.person, prefs.channel, prefs.email, prefs.webhook_url,
                 prefs.webhook_format, prefs.frequency, prefs.lang, int(prefs.paused),
                 int(prefs.digests), self.clock().timestamp(), confirmed_email))
        return replace(prefs, saved=True, email_confirmed=confirmed_email)

    def confirm_email(self, person: str, address: str) -> bool:
        """``person`` followed the link sent to ``address``: it receives notifications
        from now on, if it is still their address (False otherwise: nothing changes)."""
        with self._lock:
            cursor = self.db.execute("UPDATE preferences SET email_confirmed = email "
                                     "WHERE person = ? AND email = ? AND email != ''",
                                     (person, address))
        return cursor.rowcount == 1
