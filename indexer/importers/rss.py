"""Posts from an RSS or Atom feed, read from a file or an http(s) URL with feedparser.

Each entry becomes an ``article`` post in ``ImportOptions.group`` (``None``: the
company feed).  Its body is the entry's HTML, already sanitised by feedparser.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser

from core.records import Post, Problem, Record, safe_url
from indexer.importers import ImportOptions, SourceError
from indexer.text import html_to_text

log = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 30
MAX_FEED_BYTES = 50_000_000
_USER_AGENT = "quisait-feed-importer/0.1"


def _fetch(url: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers at ``url``; feedparser's own fetching has no timeout."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            body = response.read(MAX_FEED_BYTES + 1)
            headers = {name.lower(): value for name, value in response.headers.items()}
            final_url = response.geturl()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SourceError(f"{url}: cannot fetch the feed: {exc}") from None
    if len(body) > MAX_FEED_BYTES:
        raise SourceError(f"{url}: the feed is larger than {MAX_FEED_BYTES} bytes")
    # feedparser resolves relative links in entries against this
    headers["content-location"] = final_url
    return body, headers


def _read(source: str) -> tuple[bytes, dict[str, str]]:
    if source.startswith(("http://", "https://")):
        return _fetch(source)
    path = Path(source).expanduser()
    if not path.is_file():
        raise SourceError(f"{source}: no such file")
    try:
        # bytes, not the path: feedparser reads a string naming no file as the feed itself
        return path.read_bytes(), {}
    except OSError as exc:
        raise SourceError(f"{source}: cannot read the feed: {exc}") from None


def parse_feed(source: str) -> Any:
    """The feedparser result for ``source``; ``SourceError`` if it holds no feed at all."""
    body, headers = _read(source)
    feed = feedparser.parse(body, response_headers=headers)
    if feed.entries:
        return feed
    if feed.get("bozo"):
        raise SourceError(f"{source}: not a readable feed: {feed.get('bozo_exception')}")
    if not feed.get("version"):
        raise SourceError(f"{source}: not an RSS or Atom feed")
    return feed  # a well-formed feed that is empty today


def _date(item: Any, key: str) -> datetime | None:
    """``item[key]``, one of feedparser's ``*_parsed`` UTC struct_times, as a datetime."""
    # `in` first: a missing updated_parsed would fall back to published_parsed, with a warning
    parsed = item[key] if key in item else None
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _body(entry: Any) -> str:
    """The entry's full content if given, else its summary, as HTML."""
    contents = entry.get("content") or []
    detail = contents[0] if contents else entry.get("summary_detail")
    if detail is None:
        return str(entry.get("summary", "")).strip()
    value = str(detail.get("value", "")).strip()
    return html.escape(value) if detail.get("type") == "text/plain" else value


def _title(entry: Any) -> str:
    title = str(entry.get("title", ""))
    detail = entry.get("title_detail") or {}
    if detail.get("type") in ("text/html", "application/xhtml+xml"):
        title = html_to_text(title)
    return " ".join(title.split())


def _tags(entry: Any) -> tuple[str, ...]:
    terms = (str(tag.get("term") or "").strip() for tag in entry.get("tags") or [])
    return tuple(dict.fromkeys(term for term in terms if term))


def post_id(entry: Any, fallback: str, group: str | None) -> str:
    """``rss:`` and 16 hex digits of the SHA-1 of the group and the entry's id (else link, else
    ``fallback``): feeds in different groups never overwrite each other's posts."""
    key = f"{group or ''}|{entry.get('id') or entry.get('link') or fallback}"
    return "rss:" + hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def read_entry(
    entry: Any, number: int, *, source: str, group: str | None, feed_date: datetime | None
) -> Post | Problem:
    """Entry ``number`` (from 1) as a Post in ``group``, or a Problem saying why it cannot be.

    An entry without dates of its own takes ``feed_date``, the feed's last update.
    """
    where = f"entry {number}"
    title, body = _title(entry), _body(entry)
    if not title and not body:
        return Problem(source, where, "entry has neither title nor body")
    published = _date(entry, "published_parsed")
    updated = _date(entry, "updated_parsed")
    created = published or updated or feed_date
    if created is None:
        return Problem(source, where, "entry has no date")
    return Post(
        id=post_id(entry, title or body, group),  # body: untitled entries must not share an id
        author=None,
        created=created,
        title=title,
        body=body,
        body_format="html",
        group=group,
        kind="article",
        tags=_tags(entry),
        updated=updated if updated and updated != created else None,
        url=safe_url(str(entry.get("link", ""))),  # a feed's javascript: link is dropped
    )


def _posts(feed: Any, source: str, options: ImportOptions) -> Iterator[Record | Problem]:
    if feed.get("bozo"):
        yield Problem(source, "feed", str(feed.get("bozo_exception")))
    channel = feed.get("feed", {})
    feed_date = _date(channel, "updated_parsed") or _date(channel, "published_parsed")
    for number, entry in enumerate(feed.entries, start=1):
        yield read_entry(entry, number, source=source, group=options.group, feed_date=feed_date)


def read_feed(source: str, options: ImportOptions) -> Iterator[Record | Problem]:
    """Posts from the RSS or Atom feed at ``source`` (a file path or an http(s) URL).

    Raises ``SourceError`` at once if the feed cannot be read or holds no feed.
    """
    return _posts(parse_feed(source), source, options)


__all__ = ["parse_feed", "post_id", "read_entry", "read_feed"]
