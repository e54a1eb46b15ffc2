"""Hybrid search is the composition of a lexical and a semantic retriever.

The composition rules are checked on stub retrievers (what the hybrid does with what
each side returns), then on a real data folder: the searcher's hybrid ranking is the
fusion of its own lexical and semantic retrievers' rankings, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from core.settings import Settings
from search import MODES, Searcher
from search.fusion import fuse
from search.query import parse_query
from search.retrieval import (
    CONFIDENT_Z,
    HybridRetriever,
    Request,
    Retrieved,
)
from search.translate import text_query

KNOWN, OTHER = 0.5, 0.2


@dataclass
class _Stub:
    name: str
    ranking: list[tuple[int, float]]
    confidence: float = 0.0
    available: bool = True
    exact: dict[int, float] = field(default_factory=dict)
    asked: list[list[int]] = field(default_factory=list)

    def retrieve(self, request: Request) -> Retrieved:
        return Retrieved(list(self.ranking), {self.name: list(self.ranking)}, self.confidence)

    def scored(self, request: Request, rowids: list[int]) -> dict[int, float]:
        self.asked.append(rowids)
        return {rowid: self.exact[rowid] for rowid in rowids if rowid in self.exact}


def _request(text: str = "q") -> Request:
    return Request(text_query(parse_query("q")), text, frozenset({"g"}),
                   np.ones(4, dtype=bool))


def _hybrid(lexical: _Stub, semantic: _Stub, weight: float = KNOWN) -> HybridRetriever:
    return HybridRetriever(lexical, semantic, "rrf", lambda _: weight,  # type: ignore[arg-type]
                           KNOWN)


def test_the_hybrid_fuses_both_sides_and_keeps_them_as_parts():
    lexical, semantic = _Stub("lexical", [(1, 9.0), (2, 5.0)]), _Stub("semantic", [(3, .8),
                                                                                   (1, .7)])
    found = _hybrid(lexical, semantic).retrieve(_request())
    parts = {"lexical": lexical.ranking, "semantic": semantic.ranking}
    assert dict(found.parts) == parts
    assert found.ranking == fuse("rrf", parts, KNOWN)
    assert found.ranking[0][0] == 1  # in both rankings
    assert semantic.asked == []  # a known language: the neighbours alone


def test_without_vectors_the_hybrid_is_the_lexical_side():
    lexical = _Stub("lexical", [(1, 9.0), (2, 5.0)])
    found = _hybrid(lexical, _Stub("semantic", [(3, .9)], available=False)).retrieve(_request())
    assert found.ranking == lexical.ranking and dict(found.parts) == {"lexical": lexical.ranking}


@pytest.mark.parametrize("weight, confidence, answers", [
    (KNOWN, CONFIDENT_Z + 0.1, True),   # known language, sure: may answer alone
    (KNOWN, CONFIDENT_Z - 0.1, False),  # known language, unsure
    (OTHER, CONFIDENT_Z + 5.0, False),  # a language the base model does not know
])
def test_with_no_word_matched_only_a_sure_model_that_knows_the_language_answers(
        weight, confidence, answers):
    semantic = _Stub("semantic", [(3, .9), (4, .5)], confidence=confidence)
    found = _hybrid(_Stub("lexical", []), semantic, weight).retrieve(_request())
    assert [rowid for rowid, _ in found.ranking] == ([3, 4] if answers else [])
    assert found.parts["semantic"] == (semantic.ranking if answers else [])


def test_in_another_language_every_lexical_candidate_gets_its_exact_similarity():
    lexical = _Stub("lexical", [(1, 9.0), (2, 5.0), (3, 1.0)])
    semantic = _Stub("semantic", [(3, .6)], exact={1: .2, 2: .9})
    found = _hybrid(lexical, semantic, OTHER).retrieve(_request())
    assert semantic.asked == [[1, 2]]  # only those the neighbours lack
    assert found.parts["semantic"] == [(2, .9), (3, .6), (1, .2)]
    assert found.ranking == fuse("rrf", dict(found.parts), OTHER)


def test_the_searchers_hybrid_is_its_two_retrievers_fused(sample_index):
    settings = Settings(data_dir=sample_index, embedding_model="test")
    with Searcher.open(settings) as searcher:
        # one retriever per mode, each named after it, and the hybrid made of the other two
        assert {mode: r.name for mode, r in searcher.retrievers.items()} == {
            mode: mode for mode in MODES}
        hybrid_retriever = searcher.retrievers["hybrid"]
        assert isinstance(hybrid_retriever, HybridRetriever)
        assert (hybrid_retriever.lexical, hybrid_retriever.semantic) == (
            searcher.retrievers["lexical"], searcher.retrievers["semantic"])
        scope = searcher.scope("p-julien")
        for query in ("notes de frais", "python migration", "parking", "expense report"):
            parsed = parse_query(query)
            words = text_query(parsed, searcher.curation.synonym_table())
            assert words is not None
            request = Request(words, parsed.free_text(), scope.readable,
                              searcher._restriction_mask(parsed, scope))
            lexical = searcher.lexical.retrieve(request)
            semantic = searcher.semantic.retrieve(request)
            hybrid = searcher.retrievers["hybrid"].retrieve(request)
            assert lexical.ranking, query
            assert hybrid.parts["lexical"] == lexical.ranking
            weight = searcher.semantic_weight(parsed.free_text())
            if weight == settings.semantic_weight:
                assert hybrid.parts["semantic"] == semantic.ranking
            else:  # the neighbours, and every lexical candidate scored exactly
                assert set(dict(semantic.ranking)) <= set(dict(hybrid.parts["semantic"]))
            assert hybrid.ranking == fuse(settings.fusion, dict(hybrid.parts), weight)
            # the page shows what the hybrid ranked (the KM signals only reorder it)
            ranked = {item.id for item in searcher.catalog.items_by_rowid(
                rowid for rowid, _ in hybrid.ranking).values() if scope.can_read(item.group)}
            hits = scope.search(query, mode="hybrid", limit=1000)
            assert {hit.id for hit in hits if not hit.pinned} <= ranked <= {
                hit.id for hit in hits}
