"""Small SQLite stores of a data folder (tokens, introductions, curation, topics).

Each holds one connection shared by the threads of a process (calls serialised by the
store's own lock), in WAL mode so that other processes read while it writes.  A store
whose schema changed carries its version in ``PRAGMA user_version``, brought forward at
open by :func:`migrate` (migration ``i`` takes a file from version ``i`` to ``i + 1``;
migrations are appended, never edited).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import ConfigError

logger = logging.getLogger(__name__)

Migration = Callable[[sqlite3.Connection], None]


def open_store(path: Path | None, schema: str, timeout: float = 10.0,
               private: bool = False) -> sqlite3.Connection:
    """A connection to ``path`` (None: in memory) with ``schema`` applied; ``private``
    makes the file readable by its owner only (it holds secrets)."""
    if path is None:
        db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False,
                             timeout=timeout)
        db.execute("PRAGMA journal_mode=WAL")
    db.executescript(schema)
    if path is not None and private:
        path.chmod(0o600)
    return db


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


def migrate(db: sqlite3.Connection, steps: list[Migration], store: str) -> int:
    """Bring ``db`` forward to the newest schema, one version per transaction; its version.

    ``store`` names the file in messages.  Each step reads ``PRAGMA user_version`` inside
    its own write transaction, so two processes opening a new file at once apply each
    migration once.
    """
    while True:
        with transaction(db):
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > len(steps):
                raise ConfigError(f"the {store} has schema version {version}, newer than "
                                  f"this quisait knows ({len(steps)}): upgrade quisait")
            if version == len(steps):
                return version
            steps[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
        logger.info("%s schema migrated to version %d", store, version + 1)
