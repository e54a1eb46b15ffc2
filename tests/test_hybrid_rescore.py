"""Hybrid search scores every lexical candidate with its exact similarity to the query.

The semantic side of hybrid search is its neighbours plus every lexical candidate, each
scored by the best of its passages (however far down the neighbour list), so that a
lexical match the model finds close counts as close instead of missing.  Only passages
the viewer may read are ever scored.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.settings import Settings
from indexer import index_sources
from search import Searcher
from tests.conftest import HashingEncoder

POSTS = [
    ("p1", "g-open", "alpha bravo charlie"),
    ("p2", "g-open", "alpha delta echo foxtrot golf"),
    ("p3", "g-open", "alpha"),
    ("p4", "g-open", "hotel india juliet"),
    ("s1", "g-secret", "alpha bravo charlie"),
]


@pytest.fixture
def searcher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake = HashingEncoder()
    monkeypatch.setattr("indexer.pipeline.load_encoder", lambda s: fake)
    monkeypatch.setattr("search.engine.load_encoder", lambda s: fake)
    records = [
        {"type": "person", "id": "p-in", "name": "Insider"},
        {"type": "person", "id": "p-out", "name": "Outsider"},
        {"type": "group", "id": "g-open", "name": "Open", "visibility": "open",
         "members": ["p-in", "p-out"]},
        {"type": "group", "id": "g-secret", "name": "Secret", "visibility": "secret",
         "members": ["p-in"]},
        *({"type": "post", "id": ident, "author": "p-in", "group": group, "title": "",
           "body": body, "created": "2026-01-01T00:00:00", "lang": "en"}
          for ident, group, body in POSTS)]
    source = tmp_path / "net.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    # a floor no neighbour passes: every semantic score must come from the rescoring
    # and a model that knows no language of the corpus: its side reorders BM25's matches
    settings = Settings(data_dir=tmp_path / "data", embedding_model="test",
                        semantic_floor=0.999, keyphrases=False, model_languages="xx")
    index_sources(settings, [str(source)])
    with Searcher.open(settings) as opened:
        yield opened, fake


def _cosine(encoder: HashingEncoder, query: str, text: str) -> float:
    vectors = encoder.encode([query, text])
    return float(vectors[0] @ vectors[1])


def test_every_lexical_candidate_gets_its_exact_similarity(searcher):
    opened, encoder = searcher
    hits = opened.search("alpha bravo", "p-out", mode="hybrid")
    assert {hit.id for hit in hits} == {"p1", "p2", "p3"}
    for hit in hits:
        expected = _cosine(encoder, "alpha bravo", dict((i, b) for i, _, b in POSTS)[hit.id])
        assert hit.explanation["semantic_score"] == pytest.approx(expected, abs=1e-4)
    # the closest text comes first: the semantic side reorders what BM25 found
    assert hits[0].id == "p1"


def test_a_language_the_model_knows_fuses_its_neighbours_only(searcher):
    opened, _ = searcher
    known = opened.settings.replace(model_languages="en,fr,de,it,es,pt,nl")
    opened.__dict__.pop("known_languages", None)
    opened.settings = known
    hits = opened.search("alpha bravo", "p-out", mode="hybrid")
    assert hits and all("semantic_score" not in hit.explanation for hit in hits)


def test_semantic_mode_still_applies_the_floor(searcher):
    opened, _ = searcher
    assert opened.search("alpha bravo", "p-out", mode="semantic") == []


def test_rescoring_never_reads_an_unreadable_passage(searcher):
    opened, _ = searcher
    retriever = opened.semantic
    secret = opened.catalog.item("s1")
    public = opened.catalog.item("p1")
    outsider = retriever.group_mask(opened.scope("p-out").readable)
    scored = retriever.similarities("alpha bravo", [secret.rowid, public.rowid], outsider)
    assert set(scored) == {public.rowid}
    insider = retriever.group_mask(opened.scope("p-in").readable)
    assert set(retriever.similarities("alpha bravo", [secret.rowid], insider)) == {secret.rowid}
    assert retriever.similarities("alpha", [], outsider) == {}
    assert retriever.similarities("   ", [public.rowid], outsider) == {}
    # an unknown rowid has no passage
    assert retriever.similarities("alpha", [10_000], np.ones_like(outsider)) == {}
