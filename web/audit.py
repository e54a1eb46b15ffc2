"""The audit log: who changed what, in ``web.sqlite`` next to the tokens.

Every admin and KM change (pins, synonyms, marks, topics, tokens, records pushed or
deleted through the API) is one row: time, actor id, action, target, a short detail.
A token's secret never reaches it; only its public id does.  Rows are only ever
added; admins read them through ``GET /api/v1/admin/audit``.

A row also keeps what it is about, for the reader's permissions: the item (a pin's,
a mark's, a deleted post's) with its group at the time, or the groups a push changed.
Rows about an item the reader may not read are shown redacted; ids of groups the
reader may not see are left out (see :mod:`web.audit_api`).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from flask import g

from web.schema import migrate_web

MAX_DETAIL = 200
MAX_TARGET = 200
REDACTED = "(redacted)"
UNKNOWN_ITEM = ""  # an item row whose item was not recorded: nobody may read it
_ITEM_IN_DETAIL = re.compile(r"(?:^| )item_id=(\S+)")


@dataclass(frozen=True)
class AuditEntry:
    """One recorded change, and what it is about (an item, groups)."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str
    item_id: str | None = None
    groups: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor,
                "action": self.action, "target": self.target, "detail": self.detail}

    def redacted(self) -> AuditEntry:
        """Time, actor and action only: the row is about something the reader may not read."""
        return replace(self, target=REDACTED, detail="")

    def without(self, hidden: set[str]) -> AuditEntry:
        """The row with the ``hidden`` ids (groups the reader may not see) left out."""
        target = REDACTED if self.target in hidden else self.target
        return replace(self, target=target, detail=_without_ids(self.detail, hidden))


def _without_ids(detail: str, hidden: set[str]) -> str:
    """``detail`` ("key=a,b key2=c") less the hidden values, and less keys left empty."""
    words = []
    for word in detail.split(" "):
        key, sep, values = word.rpartition("=")
        kept = [v for v in values.split(",") if v not in hidden]
        if kept:
            words.append(f"{key}{sep}{','.join(kept)}")
    return " ".join(words)


def note_concerns(item_id: str | None = None, groups: Iterable[str] = (),
                  detail: str = "") -> None:
    """Tell the audit hook what this request's change is about when the request alone
    cannot say (a pin or a record deleted before the hook runs, the groups a push
    changed); ``detail`` is added to the row's detail."""
    g.audit_concerns = (item_id, tuple(groups), detail)


class AuditLog:
    """Append-only rows over a shared connection (the token store's)."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self.db, self._lock = db, lock
        with self._lock:
            # the table, and the columns older tables lack: web.schema (version 1)
            migrate_web(self.db)

    def record(self, actor: str, action: str, target: str, detail: str = "",
               item_id: str | None = None, groups: Iterable[str] = ()) -> None:
        """Add a row (target and detail cut short: a summary, not a copy of the request)."""
        row = (datetime.now(UTC).isoformat(), actor, action, target[:MAX_TARGET],
               detail[:MAX_DETAIL], item_id, json.dumps(sorted(set(groups))))
        with self._lock:
            self.db.execute("INSERT INTO audit (at, actor, action, target, detail, item_id, "
                            "about_groups) VALUES (?, ?, ?, ?, ?, ?, ?)", row)

    def entries(self, limit: int = 50, before: int | None = None) -> list[AuditEntry]:
        """The newest ``limit`` rows, older than the row ``before`` if given."""
        sql = "SELECT id, at, actor, action, target, detail, item_id, about_groups FROM audit"
        args: tuple[Any, ...] = (limit,)
        if before is not None:
            sql, args = sql + " WHERE id < ?", (before, limit)
        with self._lock:
            rows = self.db.execute(sql + " ORDER BY id DESC LIMIT ?", args).fetchall()
        return [AuditEntry(i, datetime.fromisoformat(at), actor, action, target, detail,
                           item_id, tuple(json.loads(groups)))
                for i, at, actor, action, target, detail, item_id, groups in rows]


def legacy_concerns(action: str, target: str, detail: str) -> tuple[str | None, list[str]]:
    """What a row written before rows kept it is about, read back from its target and
    detail; a removed pin's item is unknown, so that row stays redacted for everyone."""
    if action == "pin.add":
        found = _ITEM_IN_DETAIL.search(detail)
        return (found.group(1) if found else UNKNOWN_ITEM), []
    if action == "pin.remove":
        return UNKNOWN_ITEM, []
    if action == "mark.set":
        return target, []
    if action == "records.delete":
        if "type=group" in detail.split(" "):
            return None, [target]
        return (None, []) if "type=person" in detail.split(" ") else (target, [])
    return None, []
