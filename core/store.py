"""Small SQLite stores of a data folder (tokens, introductions, curation, topics).

Each holds one connection shared by the threads of a process (calls serialised by the
store's own lock), in WAL mode so that other processes read while it writes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


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
