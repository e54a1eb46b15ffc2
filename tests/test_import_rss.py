"""The RSS/Atom importer: fields, dates, problems, malformed feeds, files and URLs."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.records import Post, Problem
from indexer.importers import ImportOptions, SourceError
from indexer.importers.rss import read_feed

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Le blog de l'équipe</title><link>https://blog.example.com/</link>
<item>
  <title>Déploiement réussi à Nantes</title>
  <link>https://blog.example.com/nantes</link>
  <guid isPermaLink="false">urn:blog:42</guid>
  <pubDate>Tue, 03 Mar 2026 10:15:00 +0100</pubDate>
  <category>déploiement</category><category>ops</category>
  <description>&lt;p&gt;Le &lt;b&gt;nouveau&lt;/b&gt; cluster est en ligne.&lt;/p&gt;
  &lt;script&gt;alert("xss")&lt;/script&gt;</description>
</item>
<item>
  <title>Second billet</title>
  <link>https://blog.example.com/second</link>
  <pubDate>Wed, 04 Mar 2026 08:00:00 GMT</pubDate>
  <description><![CDATA[<p>Été <em>chaud</em> en perspective.</p>]]></description>
</item>
</channel></rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Journal technique</title><id>urn:feed:tech</id>
  <updated>2026-02-01T00:00:00Z</updated>
  <entry>
    <title>Café et caches</title>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <link href="https://tech.example.com/cafe"/>
    <published>2026-01-10T09:00:00+01:00</published>
    <updated>2026-01-12T18:30:00Z</updated>
    <category term="cache"/><category term="café"/>
    <summary>Résumé court</summary>
    <content type="html">&lt;p&gt;Le cache &lt;code&gt;LRU&lt;/code&gt; a tenu.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Entrée sans date propre</title>
    <id>urn:entry:undated</id>
    <summary type="text">a &lt; b</summary>
  </entry>
</feed>
"""

UNDATED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Sans dates</title>
<item><title>Daté</title><guid>urn:a</guid><pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate>
<description>Corps</description></item>
<item><guid>urn:b</guid><description>Ni titre ni date</description></item>
<item><guid>urn:c</guid><pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate></item>
<item><title>Dernier</title><guid>urn:d</guid><pubDate>Mon, 02 Mar 2026 10:00:00 GMT</pubDate>
</item>
</channel></rss>
"""


def sha16(key: str) -> str:
    return "rss:" + hashlib.sha1(key.encode()).hexdigest()[:16]


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_rss_items_become_article_posts(tmp_path: Path) -> None:
    source = write(tmp_path, "blog.rss", RSS)
    first, second = read_feed(source, ImportOptions(group="g-blog"))
    assert first == Post(
        id=sha16("g-blog|urn:blog:42"),
        author=None,
        created=datetime(2026, 3, 3, 9, 15, tzinfo=UTC),
        title="Déploiement réussi à Nantes",
        body=first.body,
        body_format="html",
        group="g-blog",
        kind="article",
        tags=("déploiement", "ops"),
        url="https://blog.example.com/nantes",
    )
    assert "<b>nouveau</b> cluster est en ligne" in first.body
    assert "script" not in first.body and "alert" not in first.body  # feedparser sanitises
    assert second.id == sha16("g-blog|https://blog.example.com/second")  # no guid: the link
    assert second.body == "<p>Été <em>chaud</em> en perspective.</p>"
    assert second.group == "g-blog"


def test_atom_entries_use_content_dates_and_the_feed_date(tmp_path: Path) -> None:
    source = write(tmp_path, "tech.atom", ATOM)
    cafe, undated = read_feed(source, ImportOptions())
    assert cafe.id == sha16("|urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a")
    assert cafe.title == "Café et caches"
    assert cafe.body == "<p>Le cache <code>LRU</code> a tenu.</p>"  # content beats summary
    assert cafe.created == datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    assert cafe.updated == datetime(2026, 1, 12, 18, 30, tzinfo=UTC)
    assert cafe.tags == ("cache", "café")
    assert cafe.url == "https://tech.example.com/cafe"
    assert cafe.group is None
    assert undated.created == datetime(2026, 2, 1, tzinfo=UTC)  # the feed's <updated>
    assert undated.body == "a &lt; b"  # a plain-text summary is escaped to be valid HTML


def test_entries_without_date_or_content_are_problems(tmp_path: Path) -> None:
    source = write(tmp_path, "undated.rss", UNDATED)
    results = list(read_feed(source, ImportOptions()))
    assert [r.title for r in results if isinstance(r, Post)] == ["Daté", "Dernier"]
    assert [r for r in results if isinstance(r, Problem)] == [
        Problem(source, "entry 2", "entry has no date"),
        Problem(source, "entry 3", "entry has neither title nor body"),
    ]


def test_truncated_feed_yields_a_problem_and_its_entries(tmp_path: Path) -> None:
    cut = RSS.index("</item>", RSS.index("Second billet")) + len("</item>")
    source = write(tmp_path, "cut.rss", RSS[:cut] + "\n<item><title>Coupé")
    results = list(read_feed(source, ImportOptions()))
    problem = results[0]
    assert isinstance(problem, Problem) and problem.location == "feed" and problem.reason
    titles = [r.title for r in results if isinstance(r, Post)]
    assert titles[:2] == ["Déploiement réussi à Nantes", "Second billet"]


@pytest.mark.parametrize(
    "content",
    ["just some notes, not a feed\n", "<html><body><p>A web page</p></body></html>", ""],
)
def test_a_file_that_is_not_a_feed_is_a_source_error(tmp_path: Path, content: str) -> None:
    source = write(tmp_path, "notes.xml", content)
    with pytest.raises(SourceError, match="notes.xml"):
        read_feed(source, ImportOptions())


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_feed(str(tmp_path / "missing.rss"), ImportOptions())


def test_an_empty_but_valid_feed_yields_nothing(tmp_path: Path) -> None:
    source = write(
        tmp_path, "empty.rss", '<rss version="2.0"><channel><title>x</title></channel></rss>'
    )
    assert list(read_feed(source, ImportOptions())) == []


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A local HTTP server over ``tmp_path``; yields its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_feed_over_http(tmp_path: Path, server: str) -> None:
    write(tmp_path, "blog.rss", RSS)
    posts = list(read_feed(f"{server}/blog.rss", ImportOptions(group="g-blog")))
    assert [p.title for p in posts] == ["Déploiement réussi à Nantes", "Second billet"]


def test_http_error_is_a_source_error(server: str) -> None:
    with pytest.raises(SourceError, match="404"):
        read_feed(f"{server}/missing.rss", ImportOptions())


def test_an_unsafe_entry_link_is_dropped(tmp_path: Path) -> None:
    hostile = RSS.replace("https://blog.example.com/nantes", "javascript:alert(1)")
    posts = [i for i in read_feed(write(tmp_path, "feed.rss", hostile), ImportOptions())
             if isinstance(i, Post)]
    assert [post.url for post in posts] == ["", "https://blog.example.com/second"]
