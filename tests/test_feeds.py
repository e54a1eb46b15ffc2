"""Feed polling (:mod:`indexer.feeds`): a real HTTP server on 127.0.0.1 serves RSS; a poll
indexes the entries into the feed's private group (members find them, outsiders do not);
the next poll is conditional (If-None-Match, 304, nothing indexed); a 500 counts a failure
without stopping the other feeds; periods parse; an unknown group is refused at ``add``."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from core.settings import Settings
from indexer import index_sources
from indexer.feeds import (
    FeedError,
    FeedStore,
    add_feed,
    feeds_status,
    parse_every,
    poll_due_feeds,
)
from indexer.pipeline import data_lock
from quisait.cli import cli
from search import Searcher

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Blog {name}</title><link>http://blog.example/</link>
<item><title>Zeppelin {name} déployé</title><guid>urn:{name}:1</guid>
<pubDate>Mon, 02 Mar 2026 07:00:00 GMT</pubDate>
<description>Le zeppelin {name} vole au-dessus de Nantes.</description></item>
<item><title>Second billet {name}</title><guid>urn:{name}:2</guid>
<pubDate>Mon, 02 Mar 2026 07:30:00 GMT</pubDate>
<description>Encore un mot sur {name}.</description></item>
</channel></rss>
"""

RECORDS = [
    {"type": "person", "id": "p-anne", "name": "Anne Martin"},
    {"type": "person", "id": "p-outsider", "name": "Otto Dehors"},
    {"type": "group", "id": "g-team", "name": "Team", "visibility": "private",
     "members": ["p-anne"]},
]


class FeedServer(http.server.ThreadingHTTPServer):
    """Serves /good (ETag "v1", 304 when it matches), /other, and /broken (a 500)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FeedHandler)
        self.seen: list[tuple[str, dict[str, str]]] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class FeedHandler(http.server.BaseHTTPRequestHandler):
    server: FeedServer

    def do_GET(self) -> None:  # noqa: N802
        self.server.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        if self.path == "/broken":
            self.send_error(500, "boom")
            return
        etag = f'"{self.path.strip("/")}-v1"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        body = RSS.format(name=self.path.strip("/")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", "Mon, 02 Mar 2026 07:30:00 GMT")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[FeedServer]:
    httpd = FeedServer()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def folder(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", embeddings=False, keyphrases=False,
                        notify_timeout_seconds=5.0)
    path = tmp_path / "people.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    assert not index_sources(settings, [str(path)]).problems
    return settings


def titles(settings: Settings, query: str, viewer: str) -> list[str]:
    with Searcher.open(settings) as searcher:
        return [hit.title for hit in searcher.search(query, viewer=viewer, mode="lexical")]


def test_poll_indexes_into_the_group_then_is_conditional(folder: Settings,
                                                         server: FeedServer) -> None:
    add_feed(folder, f"{server.base}/good", "g-team", "30m", NOW)
    counts = poll_due_feeds(folder, NOW)
    assert counts["fetched"] == 1 and counts["indexed"] == 2 and counts["failed"] == 0
    assert titles(folder, "zeppelin", "p-anne") == ["Zeppelin good déployé"]
    assert titles(folder, "zeppelin", "p-outsider") == []  # a private group's entries
    with FeedStore.open(folder) as store:
        feed = store.listing()[0]
    assert feed.etag == '"good-v1"' and feed.entries_indexed == 2 and feed.failures == 0
    assert feed.next_due == (NOW + timedelta(minutes=30)).isoformat()

    assert poll_due_feeds(folder, NOW + timedelta(minutes=10))["due"] == 0  # not due yet
    later = NOW + timedelta(minutes=30)
    counts = poll_due_feeds(folder, later)
    assert counts["not_modified"] == 1 and counts["indexed"] == 0
    path, headers = server.seen[-1]
    assert path == "/good" and headers["if-none-match"] == '"good-v1"'
    assert headers["if-modified-since"] == "Mon, 02 Mar 2026 07:30:00 GMT"
    with FeedStore.open(folder) as store:
        assert store.listing()[0].entries_indexed == 2


def test_a_failing_feed_does_not_block_the_others(folder: Settings,
                                                  server: FeedServer) -> None:
    add_feed(folder, f"{server.base}/broken", "g-team", "1h", NOW)
    add_feed(folder, f"{server.base}/other", "g-team", "1h", NOW)
    counts = poll_due_feeds(folder, NOW)
    assert counts["failed"] == 1 and counts["fetched"] == 1 and counts["indexed"] == 2
    assert titles(folder, "zeppelin", "p-anne") == ["Zeppelin other déployé"]
    with FeedStore.open(folder) as store:
        broken = store.get(f"{server.base}/broken")
    assert broken is not None and broken.failures == 1 and "500" in (broken.last_error or "")
    assert broken.etag is None and broken.next_due > NOW.isoformat()
    assert feeds_status(folder) == {"count": 2, "failing": 1}


def test_a_locked_folder_is_a_retry_not_a_failure(folder: Settings,
                                                  server: FeedServer) -> None:
    add_feed(folder, f"{server.base}/good", "g-team", "1h", NOW)
    with data_lock(folder):
        # the lock is per open file: another handle in this process is refused like another
        # indexer would be
        counts = poll_due_feeds(folder, NOW)
    assert counts["locked"] == 1 and counts["failed"] == 0
    with FeedStore.open(folder) as store:
        feed = store.listing()[0]
    assert feed.failures == 0 and feed.etag is None
    assert poll_due_feeds(folder, NOW + timedelta(minutes=1))["indexed"] == 2


def test_a_parse_error_is_a_failure(folder: Settings) -> None:
    from indexer.feeds import Response

    add_feed(folder, "http://127.0.0.1:9/nothing", "g-team", "5m", NOW)

    def fetch(url: str, headers: dict[str, str], timeout: float) -> Response:
        assert timeout == 5.0
        return Response(200, b"<html>not a feed", {}, url)

    assert poll_due_feeds(folder, NOW, fetch)["failed"] == 1


@pytest.mark.parametrize(("text", "seconds"), [("30m", 1800), ("2h", 7200), ("1d", 86400),
                                               ("5m", 300), ("1h30m", 5400), (" 2H ", 7200)])
def test_periods_parse(text: str, seconds: int) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["", "4m", "30", "m", "10s", "1w", "-1h", "2h x", "0d"])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(FeedError):
        parse_every(text)


def test_cli_add_list_remove(folder: Settings, server: FeedServer) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(folder.data_dir)]
    url = f"{server.base}/good"
    added = runner.invoke(cli, [*base, "feeds", "add", url, "--group", "g-team",
                                "--every", "2h"])
    assert added.exit_code == 0, added.output
    assert "every 2h" in added.output
    unknown = runner.invoke(cli, [*base, "feeds", "add", url, "--group", "g-nope"])
    assert unknown.exit_code == 1 and "no group 'g-nope'" in unknown.output
    short = runner.invoke(cli, [*base, "feeds", "add", url, "--group", "g-team",
                                "--every", "1m"])
    assert short.exit_code == 1 and "at least 5m" in short.output
    scheme = runner.invoke(cli, [*base, "feeds", "add", "file:///etc/passwd",
                                 "--group", "g-team"])
    assert scheme.exit_code == 1 and "http or https" in scheme.output
    listed = runner.invoke(cli, [*base, "feeds", "list", "--json"])
    assert [feed["group"] for feed in json.loads(listed.output)] == ["g-team"]
    assert url in runner.invoke(cli, [*base, "feeds", "list"]).output
    removed = runner.invoke(cli, [*base, "feeds", "remove", url])
    assert removed.exit_code == 0, removed.output
    again = runner.invoke(cli, [*base, "feeds", "remove", url])
    assert again.exit_code == 1 and "no feed" in again.output
    assert runner.invoke(cli, [*base, "feeds", "list"]).output.strip() == "no feeds"


def test_the_worker_tick_polls_the_feeds(folder: Settings, server: FeedServer) -> None:
    from notify.worker import run_worker

    add_feed(folder, f"{server.base}/good", "g-team", "1h", NOW)
    state = run_worker(folder, once=True, clock=lambda: NOW)
    run = state["runs"]["feeds"]
    assert run["ok"] is True and run["counts"]["indexed"] == 2, run
    assert titles(folder, "zeppelin", "p-anne") == ["Zeppelin good déployé"]
    shown = CliRunner().invoke(cli, ["--data-dir", str(folder.data_dir), "status"])
    assert shown.exit_code == 0 and "feeds: 1, 0 failing" in shown.output, shown.output
