"""The audit log: who changed what, in ``web.sqlite`` next to the tokens.

Every admin and KM change (pins, synonyms, marks, topics, tokens, records pushed or
deleted through the API) is one row: time, actor id, action, target, a short detail.
A token's secret never reaches it; only its public id does.  Rows are only ever
added; admins read them through ``GET /api/v1/admin/audit``.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);
"""
MAX_DETAIL = 200
MAX_TARGET = 200


@dataclass(frozen=True)
class AuditEntry:
    """One recorded change."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor,
                "action": self.action, "target": self.target, "detail": self.detail}


class AuditLog:
    """Append-only rows over a shared connection (the token store's)."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self.db, self._lock = db, lock
        with self._lock:
            self.db.executescript(SCHEMA)

    def record(self, actor: str, action: str, target: str, detail: str = "") -> None:
        """Add a row (target and detail cut short: a summary, not a copy of the request)."""
        row = (datetime.now(UTC).isoformat(), actor, action, target[:MAX_TARGET],
               detail[:MAX_DETAIL])
        with self._lock:
            self.db.execute("INSERT INTO audit (at, actor, action, target, detail) "
                            "VALUES (?, ?, ?, ?, ?)", row)

    def entries(self, limit: int = 50, before: int | None = None) -> list[AuditEntry]:
        """The newest ``limit`` rows, older than the row ``before`` if given."""
        sql = "SELECT id, at, actor, action, target, detail FROM audit"
        args: tuple[Any, ...] = (limit,)
        if before is not None:
            sql, args = sql + " WHERE id < ?", (before, limit)
        with self._lock:
            rows = self.db.execute(sql + " ORDER BY id DESC LIMIT ?", args).fetchall()
        return [AuditEntry(i, datetime.fromisoformat(at), actor, action, target, detail)
                for i, at, actor, action, target, detail in rows]
