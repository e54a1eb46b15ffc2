"""Feeds polled by the worker: ``quisait feeds add URL --group G --every 30m``.

- **The store.**  ``<data_dir>/feeds.sqlite`` (``PRAGMA user_version``): per feed its URL,
  group, period in seconds, the ETag and Last-Modified of its last good fetch, when it was
  last polled and is next due, its failures in a row, the last error and the entries
  indexed from it in all.
- **Polling.**  :func:`poll_due_feeds` sends each due feed a conditional GET
  (``If-None-Match`` / ``If-Modified-Since``, timeout ``notify_timeout_seconds``, http and
  https only).  304: nothing to do.  200: the body is parsed by the RSS importer and its
  entries indexed into the feed's group the way ``quisait index URL --group G`` does
  (same source key ``rss:URL``, same ingest, same index updates: unchanged entries stay
  unchanged); the new validators are kept.  A network, HTTP or parse error counts a
  failure, records it and pushes the next poll back (the period times 2, 4 up to 8 after
  failures in a row); each feed is polled in its own ``try``, so one never blocks the
  others.  A data folder locked by another indexer is a retry-later, not a failure.
"""

from __future__ import annotations

import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.errors import ConfigError, LockedError, QuisaitError
from core.settings import Settings

SCHEMA_VERSION = 1
MIN_EVERY_SECONDS = 5 * 60
LOCKED_RETRY_SECONDS = 60
MAX_BACKOFF = 8
_USER_AGENT = "quisait-feed-poller/0.1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    every_seconds INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT,
    added TEXT NOT NULL,
    last_polled TEXT,
    next_due TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    entries_indexed INTEGER NOT NULL DEFAULT 0
);
"""

_UNITS = {"m": 60, "h": 3600, "d": 86400}


class FeedError(QuisaitError):
    """A feed cannot be added or removed (bad URL, unknown group, bad period)."""

    status = 400
    code = "feed_error"


def parse_every(text: str) -> int:
    """``30m``, ``2h``, ``1d`` (also ``1h30m``) as seconds; at least five minutes."""
    value = text.strip().lower()
    parts = re.findall(r"(\d+)\s*([mhd])", value)
    if not value or not parts or re.sub(r"\d+\s*[mhd]\s*", "", value):
        raise FeedError(f"bad period {text!r}: use minutes, hours or days, as 30m, 2h, 1d")
    seconds = sum(int(number) * _UNITS[unit] for number, unit in parts)
    if seconds < MIN_EVERY_SECONDS:
        raise FeedError(f"period {text!r} is too short: at least 5m")
    return seconds


def format_every(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"


def check_url(url: str) -> str:
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise FeedError(f"{url!r}: a feed is an http or https URL")
    return url.strip()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class Feed:
    url: str
    group: str
    every_seconds: int
    etag: str | None
    last_modified: str | None
    added: str
    last_polled: str | None
    next_due: str
    failures: int
    last_error: str | None
    entries_indexed: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def store_path(settings: Settings) -> Any:
    return settings.data_dir / "feeds.sqlite"


class FeedStore:
    """The feeds of a data folder, in ``<data_dir>/feeds.sqlite``."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    @classmethod
    @contextmanager
    def open(cls, settings: Settings) -> Iterator[FeedStore]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(store_path(settings), timeout=30)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ConfigError(f"{store_path(settings)} is of a newer quisait "
                                  f"(schema {version}); upgrade quisait")
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.commit()
            yield cls(db)
        finally:
            db.close()

    def add(self, url: str, group: str, every_seconds: int, now: datetime) -> Feed:
        """Add the feed (due at once), or change the group and period of a known one."""
        with self.db:
            self.db.execute(
                "INSERT INTO feeds (url, group_id, every_seconds, added, next_due) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
                "group_id = excluded.group_id, every_seconds = excluded.every_seconds",
                (url, group, every_seconds, _iso(now), _iso(now)))
        feed = self.get(url)
        assert feed is not None
        return feed

    def remove(self, url: str) -> bool:
        with self.db:
            return self.db.execute("DELETE FROM feeds WHERE url = ?", (url,)).rowcount > 0

    def get(self, url: str) -> Feed | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM feeds WHERE url = ?", (url,)).fetchone()
        return Feed(*row) if row else None

    def listing(self) -> list[Feed]:
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM feeds ORDER BY url").fetchall()
        return [Feed(*row) for row in rows]

    def due(self, now: datetime) -> list[Feed]:
        return [feed for feed in self.listing() if _moment(feed.next_due) <= now]

    def record(self, url: str, **changes: Any) -> None:
        names = ", ".join(f"{name} = ?" for name in changes)
        with self.db:
            self.db.execute(f"UPDATE feeds SET {names} WHERE url = ?", (*changes.values(), url))


_COLUMNS = ("url, group_id, every_seconds, etag, last_modified, added, last_polled, next_due, "
            "failures, last_error, entries_indexed")


@dataclass(frozen=True)
class Response:
    """What a conditional GET gave: the status (200 or 304), the body, the headers
    (lower-case names) and the final URL."""

    status: int
    body: bytes
    headers: dict[str, str]
    url: str


Fetch = Callable[[str, dict[str, str], float], Response]


def fetch_url(url: str, headers: dict[str, str], timeout: float) -> Response:
    """GET ``url`` with ``headers``; 304 is a Response, other HTTP errors raise."""
    from indexer.importers.rss import MAX_FEED_BYTES

    check_url(url)
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT, **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_FEED_BYTES + 1)
            got = {name.lower(): value for name, value in response.headers.items()}
            final = response.geturl()
            status = response.status
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Response(304, b"", {k.lower(): v for k, v in exc.headers.items()}, url)
        raise FeedError(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FeedError(f"cannot fetch the feed: {exc}") from None
    check_url(final)
    if len(body) > MAX_FEED_BYTES:
        raise FeedError(f"the feed is larger than {MAX_FEED_BYTES} bytes")
    return Response(status, body, got, final)


def _index_feed(settings: Settings, feed: Feed, response: Response) -> int:
    """Index the entries of ``response`` into the feed's group; the entries added or changed.

    The path of ``quisait index URL --group G`` (``index_sources``), from a body already
    fetched: the same source key, ingest and index updates under the data-folder lock."""
    import feedparser

    from indexer.catalog import Catalog
    from indexer.importers import ImportOptions, SourceError
    from indexer.importers.rss import _posts
    from indexer.ingest import Ingestor
    from indexer.pipeline import (
        WRITE_ERRORS,
        IndexReport,
        _write_failed,
        catalog_path,
        data_lock,
        update_indexes,
    )

    headers = {**response.headers, "content-location": response.url}
    parsed = feedparser.parse(response.body, response_headers=headers)
    if not parsed.entries:
        if parsed.get("bozo"):
            raise SourceError(f"not a readable feed: {parsed.get('bozo_exception')}")
        if not parsed.get("version"):
            raise SourceError("not an RSS or Atom feed")
        return 0
    report = IndexReport()
    with data_lock(settings):
        catalog = Catalog(catalog_path(settings))
        try:
            try:
                Ingestor(catalog, f"rss:{feed.url}", report).ingest(
                    _posts(parsed, feed.url, ImportOptions(group=feed.group)))
            except WRITE_ERRORS as exc:
                raise _write_failed(f"importing {feed.url} into {catalog.path}", exc) from exc
            update_indexes(settings, catalog, report)
        finally:
            catalog.close()
    return report.added + report.updated


def poll_due_feeds(settings: Settings, now: datetime,
                   fetch: Fetch | None = None) -> dict[str, int]:
    """Poll every feed due at ``now``; counts of what happened (for the worker's state)."""
    counts = {"due": 0, "fetched": 0, "not_modified": 0, "indexed": 0, "failed": 0,
              "locked": 0}
    if not store_path(settings).exists():
        return counts  # no feed was ever added here
    fetch = fetch or fetch_url
    with FeedStore.open(settings) as store:
        for feed in store.due(now):
            counts["due"] += 1
            outcome, indexed = _poll_one(settings, store, feed, now, fetch)
            counts[outcome] += 1
            counts["indexed"] += indexed
    return counts


def _poll_one(settings: Settings, store: FeedStore, feed: Feed, now: datetime,
              fetch: Fetch) -> tuple[str, int]:
    headers = {}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    next_due = _iso(now + timedelta(seconds=feed.every_seconds))
    try:
        response = fetch(feed.url, headers, settings.notify_timeout_seconds)
        if response.status == 304:
            store.record(feed.url, last_polled=_iso(now), next_due=next_due, failures=0,
                         last_error=None)
            return "not_modified", 0
        if response.status != 200:
            raise FeedError(f"HTTP {response.status}")
        indexed = _index_feed(settings, feed, response)
    except LockedError as exc:  # another indexer is at work: try again soon
        store.record(feed.url, next_due=_iso(now + timedelta(seconds=LOCKED_RETRY_SECONDS)),
                     last_error=f"retry later: {exc}")
        return "locked", 0
    except Exception as exc:  # one feed's failure never stops the others
        failures = feed.failures + 1
        backoff = feed.every_seconds * min(2 ** (failures - 1), MAX_BACKOFF)
        store.record(feed.url, last_polled=_iso(now), failures=failures,
                     last_error=f"{type(exc).__name__}: {exc}",
                     next_due=_iso(now + timedelta(seconds=backoff)))
        return "failed", 0
    store.record(feed.url, last_polled=_iso(now), next_due=next_due, failures=0,
                 last_error=None, etag=response.headers.get("etag"),
                 last_modified=response.headers.get("last-modified"),
                 entries_indexed=feed.entries_indexed + indexed)
    return "fetched", indexed


def feeds_status(settings: Settings) -> dict[str, int] | None:
    """What ``quisait status`` shows of the feeds: None if none was ever added."""
    if not store_path(settings).exists():
        return None
    with FeedStore.open(settings) as store:
        feeds = store.listing()
    return {"count": len(feeds), "failing": sum(1 for feed in feeds if feed.failures)}


def add_feed(settings: Settings, url: str, group: str, every: str, now: datetime) -> Feed:
    """Check the URL, period and group, then add the feed; FeedError if any is wrong."""
    from indexer.catalog import Catalog
    from indexer.pipeline import catalog_path

    url = check_url(url)
    seconds = parse_every(every)
    if not catalog_path(settings).exists():
        raise FeedError(f"no catalog in {settings.data_dir}: index the group {group!r} first")
    catalog = Catalog(catalog_path(settings))
    try:
        groups = catalog.groups()
    finally:
        catalog.close()
    if group not in groups:
        raise FeedError(f"no group {group!r} in {settings.data_dir} "
                        f"(known: {', '.join(sorted(groups)) or 'none'})")
    with FeedStore.open(settings) as store:
        return store.add(url, group, seconds, now)


__all__ = ["Feed", "FeedError", "FeedStore", "Response", "add_feed", "feeds_status",
           "fetch_url", "format_every", "parse_every", "poll_due_feeds"]
