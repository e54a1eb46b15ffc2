"""Page sessions kept on the server, in ``web.sqlite`` next to the tokens.

The signed cookie holds only a random session id (with the CSRF token and the
language); the row holds who is signed in, when the session started, when it was
last used and when it ends.  Only the SHA-256 of the id is stored, so the database
gives no usable cookie away.  Signing out deletes the row, so a cookie captured
before then is worthless; a session ends ``lifetime`` after sign-in whatever the
activity; a departed person's sessions are deleted when seen.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from web.schema import migrate_web

# last_seen is rewritten at most this often: one write per page view is not worth it
TOUCH_EVERY = timedelta(minutes=1)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


class SessionStore:
    """Server-side sessions over a shared connection (the token store's); thread-safe.

    ``clock`` gives the current time (tests move it forward)."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock,
                 clock: Callable[[], datetime] = _now) -> None:
        self.db, self._lock, self.clock = db, lock, clock
        with self._lock:
            migrate_web(self.db)  # the table is in web.schema

    def start(self, person: str, lifetime: timedelta) -> str:
        """A new session for ``person`` ending ``lifetime`` from now: its id, for the cookie."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        with self._lock:
            # expired rows go as new ones come, so the table stays small
            self.db.execute("DELETE FROM sessions WHERE expires <= ?", (now.isoformat(),))
            self.db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                            (_digest(session_id), person, now.isoformat(), now.isoformat(),
                             (now + lifetime).isoformat()))
        return session_id

    def person(self, session_id: str) -> str | None:
        """The person of a live session, or None (unknown, ended or expired)."""
        key, now = _digest(session_id), self.clock()
        with self._lock:
            row = self.db.execute("SELECT person, last_seen, expires FROM sessions "
                                  "WHERE hash = ?", (key,)).fetchone()
            if row is None:
                return None
            person, last_seen, expires = row
            if now >= datetime.fromisoformat(expires):
                self.db.execute("DELETE FROM sessions WHERE hash = ?", (key,))
                return None
            if now - datetime.fromisoformat(last_seen) >= TOUCH_EVERY:
                self.db.execute("UPDATE sessions SET last_seen = ? WHERE hash = ?",
                                (now.isoformat(), key))
        return str(person)

    def end(self, session_id: str) -> None:
        """Sign-out: the session is gone, whoever still holds its cookie."""
        with self._lock:
            self.db.execute("DELETE FROM sessions WHERE hash = ?", (_digest(session_id),))

    def end_all(self, person: str) -> int:
        """End every session of ``person`` (they left); how many there were."""
        with self._lock:
            cursor = self.db.execute("DELETE FROM sessions WHERE person = ?", (person,))
        return cursor.rowcount
