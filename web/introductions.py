"""Introductions: someone contacted an expert quisait found for them.

The network's "introductions made" indicator: each contact from an expert card is
one row of ``introductions`` in ``web.sqlite`` (the web's own database): when,
the expert, the query that found them, and the viewer as the ``query_log``
setting says: a salted HMAC of their id (``hash``) or nothing (``none``, ``off``).
The dashboard shows counts only, never the queries.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path

from core.store import open_store
from web.schema import migrate_web

MAX_QUERY_CHARS = 1000


class IntroductionStore:
    """The introductions table of a data folder.  Safe to share across threads."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self.db = open_store(path, "", private=True)  # the token store's file: secrets
        self.schema_version = migrate_web(self.db)  # the file's tables: web.schema
        self.db.execute("INSERT OR IGNORE INTO meta VALUES ('introduction_salt', ?)",
                        (secrets.token_hex(32),))
        self._salt = bytes.fromhex(self.db.execute(
            "SELECT value FROM meta WHERE key = 'introduction_salt'").fetchone()[0])

    @classmethod
    def open(cls, folder: Path) -> IntroductionStore:
        return cls(folder / "web.sqlite")

    def close(self) -> None:
        self.db.close()

    def viewer_key(self, viewer: str, mode: str) -> str | None:
        """What is stored for the viewer under the ``query_log`` setting ``mode``."""
        if mode != "hash":
            return None
        return hmac.new(self._salt, viewer.encode("utf-8"), hashlib.sha256).hexdigest()

    def record(self, viewer: str, expert: str, query: str, mode: str,
               at: datetime | None = None) -> int:
        """One introduction; its row id."""
        moment = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
        with self._lock:
            cursor = self.db.execute(
                "INSERT INTO introductions (at, viewer, expert, query) VALUES (?, ?, ?, ?)",
                (moment, self.viewer_key(viewer, mode), expert, query[:MAX_QUERY_CHARS]))
        return int(cursor.lastrowid or 0)

    def per_month(self) -> list[tuple[str, int]]:
        """(YYYY-MM, introductions) for every month that had any, oldest first."""
        with self._lock:
            rows = self.db.execute("SELECT substr(at, 1, 7) AS month, COUNT(*) FROM "
                                   "introductions GROUP BY month ORDER BY month").fetchall()
        return [(month, int(count)) for month, count in rows]

    def total(self) -> int:
        with self._lock:
            return int(self.db.execute("SELECT COUNT(*) FROM introductions").fetchone()[0])
