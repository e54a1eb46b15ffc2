"""The outbox's schema, and the forward migrations that bring an older file up to it.

``PRAGMA user_version`` holds the schema version of ``outbox.sqlite``: migration ``i``
takes a file from version ``i`` to ``i + 1``.  Migrations are appended, never edited.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from core.errors import ConfigError

logger = logging.getLogger(__name__)


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


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_messages]


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error): one writer at a time."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def migrate(db: sqlite3.Connection) -> int:
    """Bring ``db`` forward to the newest schema, one version per transaction; its version.

    Each step reads ``PRAGMA user_version`` inside its own write transaction, so two
    processes opening a new outbox at once apply each migration once.
    """
    while True:
        with transaction(db):
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > len(MIGRATIONS):
                raise ConfigError(f"the outbox has schema version {version}, newer than this "
                                  f"quisait knows ({len(MIGRATIONS)}): upgrade quisait")
            if version == len(MIGRATIONS):
                return version
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
        logger.info("outbox schema migrated to version %d", version + 1)
