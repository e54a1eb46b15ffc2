"""HNSW with permission masks: a sparse mask is scanned exactly, a wide one by the graph;
both agree with brute force where it matters."""

from __future__ import annotations

import numpy as np
import pytest

from core.settings import Settings
from indexer import VectorIndex


def _index(kind: str, vectors: np.ndarray) -> VectorIndex:
    index = VectorIndex.in_memory(Settings(vector_index=kind, embedding_model="test"))
    owners = np.arange(1000, 1000 + len(vectors), dtype=np.int64)
    index.add(owners, np.zeros(len(vectors), dtype=np.int32), vectors)
    return index


def _brute(vectors: np.ndarray, query: np.ndarray, mask: np.ndarray, k: int) -> list[int]:
    scores = np.where(mask, vectors @ query, -np.inf)
    return [1000 + int(i) for i in np.argsort(-scores, kind="stable")[:k] if mask[i]]


@pytest.mark.parametrize("allowed_share", [0.002, 0.01, 0.05])
def test_sparse_masks_get_exact_neighbours_from_hnsw(allowed_share):
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(4000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    hnsw = _index("hnsw", vectors)
    assert hnsw.kind == "hnsw"
    for _ in range(10):
        query = vectors[rng.integers(len(vectors))] + rng.normal(scale=0.3, size=32)
        query = (query / np.linalg.norm(query)).astype(np.float32)
        mask = rng.random(len(vectors)) < allowed_share
        found = [rowid for rowid, _, _ in hnsw.search(query, 10, mask)]
        assert found == _brute(vectors, query, mask, 10)
        assert all(mask[r - 1000] for r in found)  # never outside the mask


def test_exact_subset_scores_match_the_index_scores():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(500, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    hnsw, flat = _index("hnsw", vectors), _index("flat", vectors)
    mask = np.zeros(len(vectors), dtype=bool)
    mask[::7] = True
    query = vectors[3]
    assert [(r, round(s, 5)) for r, _, s in hnsw.search(query, 5, mask)] == \
        [(r, round(s, 5)) for r, _, s in flat.search(query, 5, mask)]
