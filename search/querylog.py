"""The search query log behind the KM dashboard: what people search, what finds nothing.

Each search is one line in ``querylog.sqlite`` beside the catalog: the query
(cut to :data:`MAX_QUERY_CHARS`), the number of results, mode, language, time,
the viewer and the ACL tokens the viewer could read; clicks point at their
search.  The viewer is stored as an HMAC-SHA-256 of their id under a salt kept
in this database (``"hash"``: stable across restarts, useless elsewhere) or not
at all (``"none"``).  Logging is best effort: a write that fails (locked past
:data:`BUSY_TIMEOUT`, disk full) is logged as a warning and dropped, never raised.

Visibility rule: a query may contain words only its author could read (a
secret project's name), so every listing takes ``visible_to``, the ACL tokens
its reader may read, and shows only lines whose stored ``groups`` are a subset
of it.  A line is thus shown only to someone who could read everything its
author could read; conservative (a KM lead in fewer groups sees fewer lines),
never leaky.  Pass a viewer's ``Scope.readable`` as both ``groups`` and
``visible_to``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from core.store import Migration, migrate

log = logging.getLogger(__name__)

VIEWER_MODES = ("hash", "none")
MAX_QUERY_CHARS = 1000
MAX_LIMIT = 1000
BUSY_TIMEOUT = 2.0  # seconds a search may wait for the log's write lock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS searches (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, query TEXT NOT NULL,
    normalised TEXT NOT NULL, results INTEGER NOT NULL, mode TEXT NOT NULL,
    language TEXT NOT NULL, viewer TEXT, groups TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS searches_at ON searches (at);
CREATE TABLE IF NOT EXISTS clicks (
    search_id INTEGER NOT NULL, item_id TEXT NOT NULL, rank INTEGER NOT NULL,
    at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS clicks_search ON clicks (search_id);
"""


def _create(db: sqlite3.Connection) -> None:
    # version 1: the tables as they were before versions (IF NOT EXISTS: a file of then
    # already has them)
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


# the schema version is ``PRAGMA user_version`` (:func:`core.store.migrate`)
MIGRATIONS: list[Migration] = [_create]

# the reader may read every token of the line's author
_VISIBLE = ("NOT EXISTS (SELECT 1 FROM json_each(s.groups) AS g "
            "WHERE g.value NOT IN (SELECT value FROM json_each(:visible)))")
_SPACES = re.compile(r"\s+")


class QueryCount(NamedTuple):
    query: str
    searches: int
    last_seen: datetime


class TopQuery(NamedTuple):
    query: str
    searches: int
    average_results: float


class DayCount(NamedTuple):
    day: date
    searches: int


def normalise_query(query: str) -> str:
    """How queries group on the dashboard: spaces collapsed, case folded, accents kept."""
    return _SPACES.sub(" ", query).strip().casefold()


def _stamp(at: datetime | None) -> str:
    """Fixed-width UTC ISO time, so text order is time order (naive times are UTC)."""
    at = datetime.now(UTC) if at is None else at
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.isoformat(timespec="microseconds")


def _bounded(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


class QueryLog:
    """The query log of a data folder.  Safe to share across threads."""

    def __init__(self, path: Path, viewer_mode: str, salt: bytes | None = None) -> None:
        if viewer_mode not in VIEWER_MODES:
            raise ValueError(f"unknown viewer mode {viewer_mode!r} "
                             f"(valid: {', '.join(VIEWER_MODES)})")
        if salt is not None and not salt:
            raise ValueError("the query log salt must not be empty")
        self.path = path
        self.viewer_mode = viewer_mode
        # a pool rather than one locked connection: a slow dashboard read never holds up
        # a search's write (WAL readers do not block the writer); size = peak concurrency
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            self.schema_version = migrate(db, MIGRATIONS, "query log")
            self._salt = salt or self._stored_salt(db)

    @classmethod
    def open(cls, folder: Path, viewer_mode: str, salt: bytes | None = None) -> QueryLog:
        """The log in ``folder/querylog.sqlite``; ``salt`` overrides the stored one."""
        folder.mkdir(parents=True, exist_ok=True)
        return cls(folder / "querylog.sqlite", viewer_mode, salt)

    @staticmethod
    def _stored_salt(db: sqlite3.Connection) -> bytes:
        db.execute("INSERT OR IGNORE INTO meta VALUES ('viewer_salt', ?)",
                   (secrets.token_bytes(32).hex(),))  # ignored if another process won
        return bytes.fromhex(db.execute(
            "SELECT value FROM meta WHERE key = 'viewer_salt'").fetchone()[0])

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT,
                             check_same_thread=False)
        db.execute("PRAGMA synchronous=NORMAL")  # a lost last line on power loss is fine
        db.execute("PRAGMA secure_delete=ON")  # pruned queries leave no trace in free pages
        return db

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            db = self._idle.get_nowait()
        except queue.Empty:
            db = self._connect()
        try:
            yield db
        finally:
            self._idle.put(db)

    def close(self) -> None:
        """Close idle connections (a later call opens a new one)."""
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    def viewer_key(self, viewer: str | None) -> str | None:
        """What is stored for ``viewer``: its salted hash, or None."""
        if viewer is None or self.viewer_mode == "none":
            return None
        return hmac.new(self._salt, viewer.encode("utf-8"), hashlib.sha256).hexdigest()

    # -- writes (best effort) ------------------------------------------------------------

    def log_search(self, query: str, results: int, mode: str, language: str,
                   viewer: str | None, at: datetime | None = None,
                   groups: frozenset[str] = frozenset()) -> int:
        """Record a search; its id for :meth:`log_click`, or 0 if it could not be written.

        ``groups`` are the ACL tokens the viewer could read (see the visibility rule).
        """
        query = query[:MAX_QUERY_CHARS]
        row = (_stamp(at), query, normalise_query(query), int(results), mode, language,
               self.viewer_key(viewer), json.dumps(sorted(groups)))
        try:
            with self._db() as db:
                cursor = db.execute(
                    "INSERT INTO searches (at, query, normalised, results, mode, language, "
                    "viewer, groups) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
            return int(cursor.lastrowid or 0)
        except (sqlite3.Error, OSError) as exc:
            log.warning("query log: search not recorded (%s)", exc)
            return 0

    def log_click(self, search_id: int, item_id: str, rank: int,
                  at: datetime | None = None) -> None:
        """Record a click on the result at ``rank`` (1 is the first) of a logged search."""
        if rank < 1:
            raise ValueError(f"a click rank starts at 1; got {rank}")
        try:
            with self._db() as db:
                cursor = db.execute(
                    "INSERT INTO clicks SELECT ?, ?, ?, ? "
                    "WHERE EXISTS (SELECT 1 FROM searches WHERE id = ?)",
                    (search_id, item_id, rank, _stamp(at), search_id))
            if not cursor.rowcount:
                log.debug("query log: click on unknown search %s ignored", search_id)
        except (sqlite3.Error, OSError) as exc:
            log.warning("query log: click not recorded (%s)", exc)

    def prune(self, older_than: datetime) -> int:
        """Delete searches (and their clicks) before ``older_than``; how many went."""
        cutoff = _stamp(older_than)
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM clicks WHERE search_id IN "
                           "(SELECT id FROM searches WHERE at < ?)", (cutoff,))
                deleted = db.execute("DELETE FROM searches WHERE at < ?", (cutoff,)).rowcount
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return deleted

    # -- dashboard listings --------------------------------------------------------------

    def _select(self, sql: str, since: datetime | None, visible_to: frozenset[str],
                **params: Any) -> list[Any]:
        """Run ``sql`` whose ``{where}`` selects the lines of ``searches s`` the reader
        may see, from ``since`` on."""
        if isinstance(visible_to, str):  # a lone group id would be read as its letters
            raise TypeError("visible_to is a set of ACL tokens, not a string")
        where = _VISIBLE + (" AND s.at >= :since" if since is not None else "")
        params.update(visible=json.dumps(sorted(visible_to)),
                      since=_stamp(since) if since is not None else None)
        with self._db() as db:
            return db.execute(sql.format(where=where), params).fetchall()

    def zero_result_queries(self, *, visible_to: frozenset[str], since: datetime | None = None,
                            limit: int = 100) -> list[QueryCount]:
        """Normalised queries that found nothing, most frequent first."""
        rows = self._select(
            "SELECT normalised, COUNT(*), MAX(at) FROM searches s "
            "WHERE results = 0 AND normalised != '' AND {where} GROUP BY normalised "
            "ORDER BY 2 DESC, 3 DESC, 1 LIMIT :limit", since, visible_to,
            limit=_bounded(limit))
        return [QueryCount(q, n, datetime.fromisoformat(at)) for q, n, at in rows]

    def top_queries(self, *, visible_to: frozenset[str], since: datetime | None = None,
                    limit: int = 100) -> list[TopQuery]:
        """Most frequent normalised queries, with their average number of results."""
        rows = self._select(
            "SELECT normalised, COUNT(*), AVG(results) FROM searches s "
            "WHERE normalised != '' AND {where} GROUP BY normalised "
            "ORDER BY 2 DESC, 1 LIMIT :limit", since, visible_to, limit=_bounded(limit))
        return [TopQuery(q, n, float(avg)) for q, n, avg in rows]

    def click_through(self, *, visible_to: frozenset[str],
                      since: datetime | None = None) -> dict[str, float]:
        """Searches, searches with a click, their rate, and the mean reciprocal rank of
        each clicked search's first click (0.0 where there is nothing to average)."""
        [(searches, clicked, mrr)] = self._select(
            "WITH chosen AS (SELECT id FROM searches s WHERE {where}), "
            "firsts AS (SELECT c.rank, ROW_NUMBER() OVER "
            "(PARTITION BY c.search_id ORDER BY c.at, c.rowid) AS n "
            "FROM clicks c JOIN chosen ON chosen.id = c.search_id) "
            "SELECT (SELECT COUNT(*) FROM chosen), COUNT(*), AVG(1.0 / rank) "
            "FROM firsts WHERE n = 1", since, visible_to)
        return {"searches": searches, "clicked": clicked,
                "rate": clicked / searches if searches else 0.0, "mrr": float(mrr or 0.0)}

    def searches_per_day(self, *, visible_to: frozenset[str], since: datetime | None = None,
                         limit: int = 366) -> list[DayCount]:
        """Searches per UTC day: the latest ``limit`` days that had any, oldest first."""
        rows = self._select(
            "SELECT substr(at, 1, 10) AS day, COUNT(*) FROM searches s WHERE {where} "
            "GROUP BY day ORDER BY day DESC LIMIT :limit", since, visible_to,
            limit=_bounded(limit))
        return [DayCount(date.fromisoformat(day), n) for day, n in reversed(rows)]
