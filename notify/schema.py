"""The outbox's schema, and the forward migrations that bring an older file up to it.

``PRAGMA user_version`` holds the schema version of ``outbox.sqlite``: migration ``i``
takes a file from version ``i`` to ``i + 1``.  Migrations are appended, never edited.
:func:`migrate` also serves the other stores of this package (``follows.sqlite``).
"""

from __future__ import annotations

import sqlite3

from core.store import Migration, transaction
from core.store import migrate as migrate_store

__all__ = ["MIGRATIONS", "Migration", "migrate", "transaction"]


def _create_messages(db: sqlite3.Connection) -> None:
    db.execute("""
        CREATE TABLE messages (
            id TEXT PRIMARY KEY, kind TEXT NOT NULL, recipient TEXT NOT NULL,
            channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
            address TEXT NOT NULL, dedupe_key TEXT NOT NULL UNIQUE, payload TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'sending', 'sent', 'dead')),
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL,
            claimed_at REAL, last_error TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL, sent_at REAL)""")
    db.execute("CREATE INDEX messages_due ON messages (status, next_attempt_at)")


def _add_dropped_status(db: sqlite3.Connection) -> None:
    """A message the send-time recheck refused (its recipient left, nothing in it they may
    still read) ends ``dropped``: SQLite cannot change a CHECK, so the table is rebuilt."""
    db.execute("ALTER TABLE messages RENAME TO messages_v1")
    db.execute("DROP INDEX messages_due")
    db.execute("""
        CREATE TABLE messages (
            id TEXT PRIMARY KEY, kind TEXT NOT NULL, recipient TEXT NOT NULL,
            channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
            address TEXT NOT NULL, dedupe_key TEXT NOT NULL UNIQUE, payload TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'sending', 'sent', 'dead', 'dropped')),
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL,
            claimed_at REAL, last_error TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL, sent_at REAL)""")
    db.execute("INSERT INTO messages SELECT * FROM messages_v1 ORDER BY rowid")
    db.execute("DROP TABLE messages_v1")
    db.execute("CREATE INDEX messages_due ON messages (status, next_attempt_at)")


MIGRATIONS: list[Migration] = [_create_messages, _add_dropped_status]


def migrate(db: sqlite3.Connection, migrations: list[Migration] | None = None,
            store: str = "outbox") -> int:
    """:func:`core.store.migrate` with the outbox's migrations by default (``store``
    names the file in messages); the schema version reached."""
    return migrate_store(db, MIGRATIONS if migrations is None else migrations, store)
