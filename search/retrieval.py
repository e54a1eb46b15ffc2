"""Retrievers behind one interface, and hybrid search as their composition.

A retriever answers a :class:`Request` (a query already bound to what the viewer may
read: the ACL tokens, and masks over the full-text and vector indexes that carry the
permissions and the query's filters) with a :class:`Retrieved`: its ranking of item
rowids, the rankings of its parts (``explain`` shows each item's rank and score in
each), and how far its best item stands out.  :class:`LexicalRetriever` is BM25F over
a :class:`~search.lexical.LexicalView`, :class:`~search.semantic.SemanticRetriever`
the nearest passages, and :class:`HybridRetriever` composes the two with a fusion from
:data:`search.fusion.FUSIONS`, as pyserini's ``HybridSearcher`` composes its sparse and
dense searchers.  Permissions are in the request: no retriever can widen them, and the
searcher still checks every ranked item against the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
from whoosh import query as wq

from search.fusion import Ranking, fuse
from search.lexical import LexicalView

if TYPE_CHECKING:
    from search.semantic import SemanticRetriever

CONFIDENT_Z = 3.8  # how far the semantic side's best must stand out to answer alone


@dataclass(frozen=True)
class Request:
    """One retrieval, bound to what one viewer may read."""

    words: wq.Query  # the query's lexical form (synonyms expanded)
    text: str  # its free text, for the encoder
    allowed: frozenset[str]  # the ACL tokens the viewer may read
    documents: np.ndarray = field(repr=False)  # Whoosh documents allowed (permissions, filters)
    # vector ids allowed when filters, phrases or exclusions apply; None: permissions only
    passages: np.ndarray | None = field(default=None, repr=False)
    k: int = 100


@dataclass(frozen=True)
class Retrieved:
    """A retriever's answer: its ranking (rowid, score; best first), the rankings it was
    made of (``{retriever name: ranking}``, itself for a single retriever), and how
    far its best item stands out from the background (semantic side; else 0)."""

    ranking: Ranking
    parts: Mapping[str, Ranking]
    confidence: float = 0.0


class Retriever(Protocol):
    """Anything that ranks readable items for a :class:`Request`."""

    name: str

    def retrieve(self, request: Request) -> Retrieved: ...


class LexicalRetriever:
    """BM25F over the documents a request allows, with statistics over what readers of
    its groups may see (:mod:`search.lexical`): scores say nothing of other content."""

    name = "lexical"

    def __init__(self, view: Callable[[], LexicalView]) -> None:
        self.view = view  # the current view (a new one with each index refresh)

    def retrieve(self, request: Request) -> Retrieved:
        ranking = self.ranking(request.words, request.documents, request.allowed, request.k)
        return Retrieved(ranking, {self.name: ranking})

    def ranking(self, words: wq.Query, documents: np.ndarray, allowed: frozenset[str],
                k: int) -> Ranking:
        """The ``k`` best (rowid, BM25F score) among ``documents`` (a mask over Whoosh
        document numbers), scored over what readers of ``allowed`` may see."""
        view = self.view()
        rowids = view.column("rowid")
        return [(int(rowids[doc]), score)
                for doc, score in view.top(words, documents, k, view.collection(allowed))]


class HybridRetriever:
    """A lexical and a semantic retriever, fused.

    ``weight(text)`` is the semantic side's weight for the query's language;
    ``known_weight`` the one for the languages the base model knows.  When no word
    matched, only a model that knows the language and is sure of its best item
    (``confident_z`` standard deviations above the background) may answer alone.  In
    a language the base model does not know (a tuned one, or another), the semantic
    side also scores every lexical candidate exactly (:meth:`SemanticRetriever.scored`),
    however far down its own neighbour list: measured in docs/tuning.md (fusion study),
    it lets a tuned model count on PIAF (+0.007 nDCG@10 on both halves); in English,
    where the model is as strong as BM25, its neighbours alone fused better."""

    name = "hybrid"

    def __init__(self, lexical: LexicalRetriever, semantic: SemanticRetriever, fusion: str,
                 weight: Callable[[str], float], known_weight: float,
                 confident_z: float = CONFIDENT_Z) -> None:
        self.lexical, self.semantic, self.fusion = lexical, semantic, fusion
        self.weight, self.known_weight, self.confident_z = weight, known_weight, confident_z

    def retrieve(self, request: Request) -> Retrieved:
        lexical = self.lexical.retrieve(request).ranking
        if not self.semantic.available:
            return Retrieved(lexical, {self.lexical.name: lexical})
        weight = self.weight(request.text)
        known = weight == self.known_weight
        found = self.semantic.retrieve(request)
        semantic = found.ranking
        if not lexical and not (known and found.confidence >= self.confident_z):
            semantic = []
        elif lexical and not known:
            scored = dict(semantic)  # already exact
            scored.update(self.semantic.scored(
                request, [rowid for rowid, _ in lexical if rowid not in scored]))
            semantic = sorted(scored.items(), key=lambda pair: (-pair[1], pair[0]))
        parts = {self.lexical.name: lexical, self.semantic.name: semantic}
        return Retrieved(fuse(self.fusion, parts, weight), parts, found.confidence)
