"""The semantic retriever: nearest passages the viewer may read, with what it caches.

A query is encoded once (the last few hundred query vectors are kept); the vector
ids a set of readable groups may see, and the random sample of them that a query's
background similarity is measured against, are kept per set of groups and dropped
with each new version of the vector index, which the searcher hands in when its files
change (:meth:`use`).  Each row of the index records its item's group; the searcher
still checks every result against the catalog, which may be ahead of the index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from core.settings import Settings
from indexer import VectorIndex
from indexer.embeddings import model_provenance
from search.fusion import Ranking
from search.lexical import NO_LAG, Lag, Lru
from search.retrieval import Request, Retrieved

BACKGROUND_Z = 2.5
BACKGROUND_SIZE = 512
BACKGROUND_MIN = 50
QUERY_VECTORS_KEPT = 512  # repeated queries (paging, popular searches) skip the encoder
MASKS_KEPT = 256  # vector masks and background samples, per set of readable groups


class SemanticRetriever:
    """Permission-filtered nearest neighbours of a query over one vector index (a
    :class:`~search.retrieval.Retriever`)."""

    name = "semantic"

    def __init__(self, settings: Settings, vectors: VectorIndex | None,
                 encoder: Callable[[], Any],
                 lagging: Callable[[int], Lag] | None = None) -> None:
        self.settings = settings
        self.vectors = vectors
        self.encoder = encoder
        # the catalog's items changed after a vector generation: (a key, their rowids)
        self.lagging = lagging
        self.query_vectors = Lru(QUERY_VECTORS_KEPT)
        # how far a neighbour must stand out: a tuned model measured its own at tuning
        tuned = model_provenance(settings.embedding_model).get("background_z")
        self.background_z = float(tuned) if isinstance(tuned, int | float) else BACKGROUND_Z
        self._masks = Lru(MASKS_KEPT)  # emptied with each new version of the vectors

    def use(self, vectors: VectorIndex | None) -> None:
        """Search this version of the vector index from now on."""
        self.vectors = vectors
        self._masks = Lru(MASKS_KEPT)

    def warm_up(self) -> None:
        """Load the model and make its first (slow) call; compute the group codes."""
        if self.vectors is not None and len(self.vectors):
            self.encoder().encode(["warm up"])

    @property
    def available(self) -> bool:
        """Whether there is a vector index with anything in it."""
        return self.vectors is not None and len(self.vectors) > 0

    def retrieve(self, request: Request) -> Retrieved:
        """The nearest readable items of ``request`` (none without a vector index)."""
        if not self.available:
            return Retrieved([], {})
        ranking, confidence = self.ranking(request.text, request.allowed, request.passages,
                                           request.k)
        return Retrieved(ranking, {self.name: ranking}, confidence)

    def scored(self, request: Request, rowids: list[int]) -> dict[int, float]:
        """The exact similarity of ``rowids`` to the request's text, among the passages
        it allows (:meth:`similarities`)."""
        return self.similarities(request.text, rowids,
                                 self._mask(request.allowed, request.passages))

    def ranking(self, text: str, allowed: frozenset[str], restriction: np.ndarray | None,
                k: int) -> tuple[Ranking, float]:
        """The ranking (best passage per item), and how far its best item stands out
        from the background (in standard deviations).  ``restriction``: a mask over
        vector ids when filters apply, else None (permissions only, by group codes)."""
        assert self.vectors is not None
        if not text.strip():
            return [], 0.0
        vector = self.query_vector(text)
        mask = self._mask(allowed, restriction)
        best: dict[int, float] = {}
        background = self._background(vector, mask, allowed if restriction is None else None)
        # a neighbour must pass the floor and stand out from the background
        floor = self.settings.semantic_floor
        if background is not None:
            floor = max(floor, background[0] + self.background_z * background[1])
        for rowid, _ordinal, score in self._nearest(vector, k * 3, mask):
            if score >= floor:
                best[rowid] = max(score, best.get(rowid, -1.0))
        ranked = sorted(best.items(), key=lambda pair: -pair[1])[:k]
        # scores recomputed exactly: the search path (graph walk, masked or sparse scan)
        # depends on the whole index, so its last bits may not reach what a viewer sees
        exact = self.similarities(text, [rowid for rowid, _ in ranked], mask)
        ranked = sorted(((rowid, exact.get(rowid, score)) for rowid, score in ranked),
                        key=lambda pair: (-pair[1], pair[0]))
        if not ranked or background is None:
            return ranked, 0.0
        return ranked, (ranked[0][1] - background[0]) / background[1]

    def similarities(self, text: str, rowids: list[int], mask: np.ndarray) -> dict[int, float]:
        """The query's similarity to the best passage of each of ``rowids`` (exact, however
        far down the neighbour list), among the vector ids ``mask`` allows; items with no
        allowed passage are left out.  Hybrid search scores its lexical candidates so."""
        assert self.vectors is not None
        if not rowids or not text.strip():
            return {}
        vids = np.sort(self._rows_of(np.asarray(rowids, dtype=np.int64)))
        vids = vids[mask[vids]]
        if not len(vids):
            return {}
        # in a fixed row order and in float64, rounded to float32: the same bits whatever
        # else the index holds (rows of groups the viewer cannot read included)
        query = self.query_vector(text).astype(np.float64)
        scores = (self.vectors.vectors(vids).astype(np.float64) @ query).astype(np.float32)
        best: dict[int, float] = {}
        for owner, score in zip(self.vectors.owners[vids].tolist(), scores.tolist(),
                                strict=True):
            best[owner] = max(score, best.get(owner, -1.0))
        return best

    def _rows_of(self, rowids: np.ndarray) -> np.ndarray:
        """Vector ids whose owner is one of ``rowids`` (an owner index kept per version)."""
        assert self.vectors is not None
        owners = self.vectors.owners

        def index() -> tuple[np.ndarray, np.ndarray]:
            order = np.argsort(owners, kind="stable")
            return order, owners[order]

        order, ordered = self._masks.get(("owners", len(owners)), index)
        starts = np.searchsorted(ordered, rowids, side="left")
        ends = np.searchsorted(ordered, rowids, side="right")
        if not len(rowids) or not (ends > starts).any():
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([order[a:b] for a, b in zip(starts, ends, strict=True)])

    def query_vector(self, text: str) -> np.ndarray:
        """The query's embedding; the last few hundred are kept (same encoder, same text)."""
        encoder = self.encoder()
        return self.query_vectors.get((encoder, text),
                                      lambda: encoder.encode([text])[0])

    def _nearest(self, vector: np.ndarray, k: int,
                 mask: np.ndarray) -> list[tuple[int, int, float]]:
        assert self.vectors is not None
        return self.vectors.search(vector, k, mask)

    def _background(self, vector: np.ndarray, mask: np.ndarray,
                    allowed: frozenset[str] | None) -> tuple[float, float] | None:
        """Mean and spread of the query's similarity to a fixed random sample of the
        passages the viewer may read (never to others: no statistic of a secret group
        shapes what an outsider sees).  The sample is kept per set of readable groups."""
        assert self.vectors is not None
        chosen = (self._background_sample(mask) if allowed is None else self._masks.get(
            ("background", allowed, self._lag()[0]), lambda: self._background_sample(mask)))
        if chosen is None:
            return None
        sample = self.vectors.vectors(chosen)
        similarities = sample @ vector
        return float(similarities.mean()), float(similarities.std()) or 1.0

    def _background_sample(self, mask: np.ndarray) -> np.ndarray | None:
        assert self.vectors is not None
        permitted = np.nonzero(mask & (self.vectors.owners >= 0))[0]
        if len(permitted) < BACKGROUND_MIN:
            return None
        chosen = np.random.default_rng(0).choice(permitted, min(BACKGROUND_SIZE,
                                                                len(permitted)), replace=False)
        return chosen.astype(np.int64)

    def _mask(self, allowed: frozenset[str], restriction: np.ndarray | None) -> np.ndarray:
        """The vector ids a search may return: ``restriction`` when filters apply, else
        those of the ``allowed`` groups."""
        return self.group_mask(allowed) if restriction is None else self._settled(restriction)

    def group_mask(self, allowed: frozenset[str]) -> np.ndarray:
        """Vector ids of the items in ``allowed`` groups (cached per set of groups and
        version of the vector index, which records each row's group), less the rows of
        items the catalog changed since (see :meth:`_lag`)."""
        assert self.vectors is not None
        vectors = self.vectors
        return self._masks.get(("groups", allowed, self._lag()[0]),
                               lambda: self._settled(vectors.group_mask(allowed)))

    def _lag(self) -> Lag:
        """Items the catalog changed after the generation the vectors reflect: (a key, 0
        when there are none; their rowids).  Until the vectors catch up, a row still
        carries the item's old group (a move to a secret group, a deletion), so these
        rows take part in nobody's search: not in results, not in ranks or scores
        (fail closed for the seconds of an index run, or until embeddings are on again)."""
        if self.lagging is None or self.vectors is None:
            return NO_LAG
        return self.lagging(self.vectors.generation)

    def _settled(self, mask: np.ndarray) -> np.ndarray:
        """``mask`` less the rows of the items the vectors lag behind (:meth:`_lag`)."""
        key, rowids = self._lag()
        if not key:
            return mask
        assert self.vectors is not None
        owners = self.vectors.owners
        return mask & ~self._masks.get(("lagging", key), lambda: np.isin(owners, rowids))
