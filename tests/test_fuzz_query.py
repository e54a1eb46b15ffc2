"""The query language under hostile input, through the searcher.

``tests/test_query.py`` fuzzes ``parse_query`` alone; here the same kind of input, and
the pathological queries of issue 7 (5,000 ORs, 100 KB, wildcards, deep parentheses),
run through ``Searcher.search`` on a small index in every mode: nothing but a
``QuerySyntaxError`` with a position inside the query, and in bounded time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.settings import Settings
from indexer import index_sources
from search import Searcher
from search.query import MAX_QUERY_CHARS, QuerySyntaxError, parse_query
from tests.conftest import HashingEncoder, write_jsonl
from tests.test_pipeline import corpus

MODES = ("lexical", "semantic", "hybrid")
SYNTAX = ['"', "«", "»", "(", ")", "-", "#", ":", ",", " ", "OR", "AND", "NOT", "*", "?", "~",
          "^", "[", "]", "{", "}", "\\", "/", "tag:", "type:", "group:", "author:", "after:",
          "before:", "is:", "lang:", "kube*", "kubernetes", "frais", "é", "𝔘", "\u202e",
          "\x00", "\n", "30d", "2025-", "zorbaflux", "%", "'", "’", "'; DROP TABLE items; --"]

PATHOLOGICAL = {
    "5000 ORs": " OR ".join(f"w{i}" for i in range(5000)),
    "100 KB": "kubernetes " * 10_000,
    "100 KB one word": "k" * 100_000,
    "wildcards": " ".join(["*", "?", "kube*", "*ernetes", "k?be", "**", "*:*"] * 9),
    "many ORs at the limit": " OR ".join(["kubernetes"] * 64),
    "deep parentheses": "(" * 8 + "kubernetes" + ")" * 8,
    "too deep parentheses": "(" * 500 + "a" + ")" * 500,
    "unclosed quotes": '"' * 999,
    "long phrase": '"' + "rollout " * 120 + '"',
    "filters only": " ".join(["type:question", "lang:en", "after:2000", "-tag:x"] * 16),
    "long filter value": "group:" + "g" * 990,
    "nul bytes": "\x00" * 1000,
    "right-to-left": "\u202ekubernetes\u202c " * 50,
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Searcher]:
    """A searcher over ``tests.test_pipeline.corpus()``, with the hashing encoder."""
    fake = HashingEncoder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("indexer.pipeline.load_encoder", lambda settings: fake)
        patch.setattr("search.engine.load_encoder", lambda settings: fake)
        folder = tmp_path_factory.mktemp("fuzz")
        data = Settings(data_dir=Path(folder) / "data", query_log="off")
        index_sources(data, [str(write_jsonl(Path(folder) / "net.jsonl", corpus()))])
        with Searcher.open(data) as opened:
            yield opened


def search_or_syntax_error(searcher: Searcher, text: str, mode: str) -> None:
    try:
        hits = searcher.search(text, "p-ana", mode=mode)
    except QuerySyntaxError as error:
        assert 0 <= error.position <= len(text), error
        assert error.status == 400
        return
    assert len(hits) <= 10
    assert not {"s1", "s2"} & {hit.id for hit in hits}, "p-ana may not read the secret group"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200),
                 st.lists(st.sampled_from(SYNTAX), max_size=40).map("".join)),
       st.sampled_from(MODES))
def test_fuzzed_queries_raise_nothing_but_a_syntax_error(searcher, text, mode):
    search_or_syntax_error(searcher, text, mode)


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_queries_answer_in_bounded_time(searcher, name):
    text = PATHOLOGICAL[name]
    for mode in MODES:
        started = time.perf_counter()
        search_or_syntax_error(searcher, text, mode)
        assert time.perf_counter() - started < 2.0, (name, mode)


def test_oversized_queries_are_refused_before_any_work():
    for text in (PATHOLOGICAL["5000 ORs"], PATHOLOGICAL["100 KB"]):
        started = time.perf_counter()
        with pytest.raises(QuerySyntaxError) as caught:
            parse_query(text)
        assert caught.value.position == MAX_QUERY_CHARS < len(text)
        assert time.perf_counter() - started < 0.01
