"""The schema of ``web.sqlite``: one file, one schema version, four modules.

API tokens and the cookie key (:mod:`web.tokens`), page sessions (:mod:`web.sessions`),
the audit log (:mod:`web.audit`) and introductions (:mod:`web.introductions`) share the
file, hence one ``PRAGMA user_version`` and one list of migrations, which every opener
of the file runs (:func:`migrate_web`).  Migration ``i`` takes the file from version
``i`` to ``i + 1``; migrations are appended, never edited.
"""

from __future__ import annotations

import json
import sqlite3

from core.store import Migration, migrate

STORE = "web store (web.sqlite)"
TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, person TEXT NOT NULL, hash TEXT NOT NULL, roles TEXT NOT NULL,
    created TEXT NOT NULL, expires TEXT, revoked TEXT);
CREATE TABLE IF NOT EXISTS sessions (
    hash TEXT PRIMARY KEY, person TEXT NOT NULL, created TEXT NOT NULL,
    last_seen TEXT NOT NULL, expires TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_person ON sessions (person);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL,
    item_id TEXT, about_groups TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS introductions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, viewer TEXT,
    expert TEXT NOT NULL, query TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS introductions_at ON introductions (at);
"""
# audit columns added by releases before versions (a table of then may lack them)
AUDIT_ADDED_COLUMNS = {"item_id": "TEXT", "about_groups": "TEXT NOT NULL DEFAULT '[]'"}


def _create(db: sqlite3.Connection) -> None:
    # version 1: the tables as they were before versions (IF NOT EXISTS: a file of then
    # has some or all of them), with the audit columns those releases added as they went
    for statement in TABLES.split(";"):
        if statement.strip():
            db.execute(statement)
    _add_audit_columns(db)


def _add_audit_columns(db: sqlite3.Connection) -> None:
    """Add the columns an older audit table lacks, and fill them for its rows."""
    from web.audit import legacy_concerns  # web.audit migrates through this module

    columns = {row[1] for row in db.execute("PRAGMA table_info(audit)")}
    missing = [name for name in AUDIT_ADDED_COLUMNS if name not in columns]
    for name in missing:
        db.execute(f"ALTER TABLE audit ADD COLUMN {name} {AUDIT_ADDED_COLUMNS[name]}")
    if "item_id" in missing:
        rows = db.execute("SELECT id, action, target, detail FROM audit").fetchall()
        for ident, action, target, detail in rows:
            item_id, groups = legacy_concerns(action, target, detail)
            db.execute("UPDATE audit SET item_id = ?, about_groups = ? WHERE id = ?",
                       (item_id, json.dumps(groups), ident))


MIGRATIONS: list[Migration] = [_create]


def migrate_web(db: sqlite3.Connection) -> int:
    """Bring a connection to ``web.sqlite`` forward to the newest schema; its version.

    A file newer than this code is refused (:class:`core.errors.ConfigError`).  A
    transaction the caller left open is committed first: each migration takes its own.
    """
    if db.in_transaction:
        db.commit()
    return migrate(db, MIGRATIONS, STORE)
