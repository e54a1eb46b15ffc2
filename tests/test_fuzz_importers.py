"""Hostile and malformed sources, fuzzed and hand-made, from the importer to the index.

The invariant everywhere: each bad record is reported as a Problem with its location,
every valid record of the same source is still indexed and searchable, nothing raises
but a ``SourceError`` for a source that cannot be opened at all.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.records import Post, Problem, Record
from core.settings import Settings
from indexer import Catalog, FullTextIndex, catalog_path, index_sources
from indexer.importers import ImportOptions, SourceError
from indexer.importers.jsonl import read_jsonl
from indexer.importers.rss import read_feed
from indexer.importers.stackexchange import read_dump
from search import Searcher

FUZZ = settings(max_examples=8, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
PERSON = {"type": "person", "id": "p-ana", "name": "Ana"}


def token(number: int) -> str:
    """A word found in no analyzer's stop list and in no other post."""
    return "qz" + "".join("bcdfghjklm"[int(d)] for d in str(number)) + "w"


def valid_post(number: int) -> dict[str, Any]:
    return {"type": "post", "id": f"v{number}", "author": "p-ana",
            "created": "2026-01-05T10:00:00", "title": f"Post {token(number)}",
            "body": f"Le corps du message {token(number)} est valide."}


# bad lines, each with the words its Problem must contain
BAD_LINES: dict[str, tuple[bytes, str]] = {
    "truncated JSON": (b'{"type": "post", "id": "t", "body": "cut', "invalid JSON"),
    "not JSON": (b"<html>oops</html>", "invalid JSON"),
    "array": (b"[1, 2, 3]", "JSON object"),
    "string": (b'"a post"', "JSON object"),
    "null": (b"null", "JSON object"),
    "unknown type": (b'{"type": "poll", "id": "u", "question": "?"}', "unknown record type"),
    "no type": (b'{"id": "n", "body": "x"}', "type"),
    "missing field": (b'{"type": "post", "id": "m", "author": "p-ana"}', "'created'"),
    "bad date": (b'{"type": "post", "id": "d", "author": "a", "created": "hier"}', "'created'"),
    "invalid UTF-8": (b'{"type": "post", "id": "\xff\xfe", "created": "2026-01-01"}', "UTF-8"),
    "nested": (b"[" * 50_000, "nested"),
    "wrong field type": (b'{"type": "post", "id": 12, "author": "a", "created": "2026-01-01"}',
                         "'id'"),
}

LINE = st.one_of(
    st.integers(0, 10_000).map(lambda n: ("valid", n)),
    st.sampled_from(sorted(BAD_LINES)).map(lambda name: ("bad", name)),
    st.just(("blank", None)),
    st.just(("duplicate", None)),
)


@FUZZ
@given(st.lists(LINE, min_size=1, max_size=14))
def test_jsonl_valid_lines_are_indexed_and_invalid_ones_reported(encoder, lines):
    content, valid, expected = [json.dumps(PERSON).encode()], {}, {}
    for kind, value in lines:
        number = len(content) + 1
        if kind == "valid" and f"v{value}" not in valid:
            valid[f"v{value}"] = value
            content.append(json.dumps(valid_post(value), ensure_ascii=False).encode())
        elif kind == "bad":
            content.append(BAD_LINES[value][0])
            expected[f"line {number}"] = BAD_LINES[value][1]
        elif kind == "duplicate" and valid:
            content.append(json.dumps(valid_post(next(iter(valid.values())))).encode())
            expected[f"line {number}"] = "duplicate id"
        else:
            content.append(b"   ")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "export.jsonl"
        source.write_bytes(b"\n".join(content) + b"\n")
        data = Settings(data_dir=Path(folder) / "data")
        report = index_sources(data, [str(source)])
        found = {p.location: p.reason for p in report.problems}
        assert set(found) == set(expected)
        for location, words in expected.items():
            assert words in found[location], (location, found[location])
        assert report.read == 1 + len(valid)
        with Searcher.open(data) as searcher:  # an empty full-text index answers nothing
            for ident, number in valid.items():
                hits = searcher.search(token(number), "p-ana", mode="lexical")
                assert [hit.id for hit in hits] == [ident]
            assert len(searcher.vectors or []) == len(valid)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=60), st.sampled_from(
    [v[0] for v in BAD_LINES.values()] + [json.dumps(valid_post(1)).encode()])), max_size=12))
def test_jsonl_reader_never_raises_on_random_bytes(lines):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.jsonl"
        path.write_bytes(b"\n".join(lines))
        items = list(read_jsonl(str(path), ImportOptions()))
    count = len(b"\n".join(lines).splitlines())
    for item in items:
        assert isinstance(item, Record | Problem)
        if isinstance(item, Problem):
            assert item.location.startswith("line ")
            assert 1 <= int(item.location.split()[1]) <= count


# --- Stack Exchange dumps --------------------------------------------------------------------

def se_row(post_id: int, body: str = "A question body", **extra: str) -> str:
    attributes = {"Id": str(post_id), "PostTypeId": "1", "CreationDate": "2024-01-02T03:04:05.000",
                  "Title": f"Question {token(post_id)}", "Body": body, **extra}
    from xml.sax.saxutils import quoteattr

    return "<row " + " ".join(f"{k}={quoteattr(v)}" for k, v in attributes.items()) + " />"


def write_posts(folder: Path, rows: list[str], prolog: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = f'<?xml version="1.0" encoding="utf-8"?>{prolog}\n<posts>\n' + "\n".join(
        f"  {row}" for row in rows) + "\n</posts>\n"
    (folder / "Posts.xml").write_text(text, encoding="utf-8")
    return folder


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 5))
def test_truncated_posts_file_keeps_every_complete_row(cut_seed, mangle):
    rows = [se_row(i) for i in range(1, 7)]
    with tempfile.TemporaryDirectory() as folder:
        dump = write_posts(Path(folder) / "site", rows)
        raw = (dump / "Posts.xml").read_bytes()
        cut = cut_seed % len(raw)
        damaged = raw[:cut] + (b"<<&" if mangle == 1 else b"")
        (dump / "Posts.xml").write_bytes(damaged)
        items = list(read_dump(str(dump), ImportOptions()))
    posts = [item for item in items if isinstance(item, Post)]
    problems = [item for item in items if isinstance(item, Problem)]
    complete = sum(1 for i in range(1, 7) if raw.find(b"/>", raw.find(f'Id="{i}"'.encode())) + 2
                   <= cut)
    assert len(posts) == complete, (cut, damaged[-80:])
    assert [p.id for p in posts] == [f"se-site-p{i}" for i in range(1, complete + 1)]
    # a cut after the closing tag (only the final newline lost) leaves a whole document
    whole = cut >= raw.rindex(b"</posts>") + len(b"</posts>") and mangle != 1
    if whole:
        assert problems == []
        return
    assert len(problems) == 1 and "malformed XML" in problems[0].reason
    assert problems[0].location.startswith("line ")


@pytest.mark.parametrize("megabytes", [0.5, pytest.param(5, marks=pytest.mark.slow)])
def test_huge_nested_and_scripted_stackexchange_rows_are_indexed(tmp_path, encoder, megabytes):
    huge = "<p>" + "remplissage " * int(megabytes * 84_000) + f"{token(1)}</p>"
    nested = "<div>" * 5000 + f"{token(2)}" + "</div>" * 5000
    scripted = (f"<p>{token(3)}</p><script>alert('{token(93)}')</script>"
                f"<img src=x onerror=\"{token(94)}\"><style>p {{}} /* {token(95)} */</style>")
    dump = write_posts(tmp_path / "site", [
        se_row(1, huge), se_row(2, nested), se_row(3, scripted),
        '<row Id="4" PostTypeId="1" />', "<row Id='x' />", se_row(5, "plain")])
    started = time.perf_counter()
    report = index_sources(Settings(data_dir=tmp_path / "data"), [str(dump)])
    assert time.perf_counter() - started < 60
    assert sorted(p.location for p in report.problems) == ["row 4 (Id 4)", "row 5 (Id x)"]
    for number in (1, 2, 3):
        assert _lexical_ids(tmp_path, token(number)) == [f"se-site-p{number}"]
    for hidden in (93, 94, 95):  # script, event handler and style text is never indexed
        assert _lexical_ids(tmp_path, token(hidden)) == []


def _lexical_ids(tmp_path: Path, word: str) -> list[str]:
    """Ids of the full-text documents holding ``word`` (no viewer involved)."""
    from whoosh.query import Or, Term

    index = FullTextIndex.open(tmp_path / "data" / "fulltext")
    with index.searcher() as searcher:
        fields = ("body_fr", "body_en")
        query = Or([Term(field, term) for field in fields
                    for term in index.index.schema[field].process_text(word)])
        return sorted(hit["id"] for hit in searcher.search(query, limit=None))


@pytest.mark.parametrize("prolog, reason", [  # an external DTD is never fetched: no problem
    ('<!DOCTYPE posts [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
     '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
     "unsafe XML refused"),
    ('<!DOCTYPE posts [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "unsafe XML refused"),
    ('<!DOCTYPE posts SYSTEM "http://127.0.0.1:9/evil.dtd">', None),
])
def test_entity_attacks_on_a_dump_are_refused_and_reported(tmp_path, encoder, prolog, reason):
    dump = write_posts(tmp_path / "site", [se_row(1, "&d;" if "ENTITY a" in prolog else "x")],
                       prolog)
    report = index_sources(Settings(data_dir=tmp_path / "data"), [str(dump)])
    assert [p.reason.split(":")[0] for p in report.problems] == ([reason] if reason else [])
    catalog = Catalog(catalog_path(Settings(data_dir=tmp_path / "data")))
    assert catalog.counts()["items_by_type"] == ({} if reason else {"post": 1})


# --- RSS ----------------------------------------------------------------------------------------

def rss(items: str, prolog: str = "") -> str:
    return (f'<?xml version="1.0"?>{prolog}<rss version="2.0"><channel><title>Veille</title>'
            f"{items}</channel></rss>")


def rss_item(title: str, body: str = "text") -> str:
    return (f"<item><title>{title}</title><description>{body}</description>"
            "<pubDate>Mon, 05 Jan 2026 10:00:00 GMT</pubDate></item>")


def test_billion_laughs_in_a_feed_is_not_expanded(tmp_path):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">'
        for i in range(1, 10))
    path = tmp_path / "feed.xml"
    path.write_text(rss(rss_item("Bomb &lol9;") + rss_item("Fine"), f"<!DOCTYPE rss [{entities}]>"))
    started = time.perf_counter()
    items = list(read_feed(str(path), ImportOptions()))
    assert time.perf_counter() - started < 20
    posts = [item for item in items if isinstance(item, Post)]
    assert "Fine" in [post.title for post in posts]
    assert all(len(post.title) + len(post.body) < 1000 for post in posts)
    assert any(isinstance(item, Problem) for item in items)


def test_external_entities_in_a_feed_are_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("tresorerie-confidentielle")
    path = tmp_path / "feed.xml"
    path.write_text(rss(rss_item("Leak &xxe;", "body &xxe;"),
                        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'))
    items = list(read_feed(str(path), ImportOptions()))
    assert items and "tresorerie" not in repr(items)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.binary(max_size=20))
def test_damaged_feed_yields_records_problems_or_a_source_error(cut_seed, garbage):
    text = rss(rss_item("Premier") + rss_item("Second <b>gras</b>", "<![CDATA[<p>x</p>]]>"))
    raw = text.encode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "feed.xml"
        path.write_bytes(raw[: cut_seed % (len(raw) + 1)] + garbage)
        try:
            items = list(read_feed(str(path), ImportOptions()))
        except SourceError:
            return
    assert all(isinstance(item, Post | Problem) for item in items)


# --- documents and JSONL through the pipeline ---------------------------------------------------

def test_bad_documents_are_problems_and_good_ones_indexed(tmp_path, encoder):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R")
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "fake.docx").write_bytes(b"just text named .docx")
    (folder / "nested.html").write_text(
        "<html><body>" + "<div><span>" * 5_000 + token(7) + "</span></div>" * 5_000
        + f"<script>{token(97)}</script></body></html>")
    (folder / "bad-utf8.md").write_bytes(b"# Titre\n\ncaf\xe9 " + token(8).encode())
    (folder / "ok.txt").write_text(f"Notes\n{token(9)}")
    report = index_sources(Settings(data_dir=tmp_path / "data"), [str(folder)])
    assert sorted(Path(p.source).name for p in report.problems) == [
        "broken.docx", "broken.pdf", "empty.pdf", "fake.docx"]
    assert all(p.location == "file" for p in report.problems)
    assert _lexical_ids(tmp_path, token(7)) == ["doc:nested.html"]
    assert _lexical_ids(tmp_path, token(8)) == ["doc:bad-utf8.md"]
    assert _lexical_ids(tmp_path, token(9)) == ["doc:ok.txt"]
    assert _lexical_ids(tmp_path, token(97)) == []


@pytest.mark.parametrize("megabytes", [0.5, pytest.param(5, marks=pytest.mark.slow)])
def test_a_huge_body_and_deep_html_in_jsonl(tmp_path, encoder, megabytes):
    huge = valid_post(1) | {"body": "mot " * int(megabytes * 250_000) + token(11)}
    nested = valid_post(2) | {"body_format": "html",
                              "body": "<b>" * 50_000 + token(12) + "</b>" * 50_000}
    script = valid_post(3) | {"body_format": "html", "body": (
        f"<p>{token(13)}</p><script>document.write('{token(98)}')</script>"
        f'<a href="javascript:{token(99)}">lien</a>')}
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [PERSON, huge, nested, script]) + "\n")
    started = time.perf_counter()
    report = index_sources(Settings(data_dir=tmp_path / "data"), [str(path)])
    assert time.perf_counter() - started < 60
    assert (report.added, report.skipped) == (4, 0)
    for number in (11, 12, 13):
        assert _lexical_ids(tmp_path, token(number)) == [f"v{number - 10}"]
    assert _lexical_ids(tmp_path, token(98)) == _lexical_ids(tmp_path, token(99)) == []


def test_searching_a_folder_with_people_but_no_items(tmp_path, encoder):
    source = tmp_path / "people.jsonl"
    source.write_text(json.dumps(PERSON) + "\n")
    data = Settings(data_dir=tmp_path / "data")
    index_sources(data, [str(source)])
    with Searcher.open(data) as searcher:
        assert searcher.search("anything", "p-ana") == []
