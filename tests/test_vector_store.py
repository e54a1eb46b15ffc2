"""The vector index on disk: append-only rows, a graph with an exact tail, compaction,
readers that pick up a new version by reading only the added rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.settings import Settings
from indexer import VectorIndex
from indexer import vectors as store

DIMENSION = 16


def unit(rng: np.random.Generator, count: int) -> np.ndarray:
    rows = rng.standard_normal((count, DIMENSION)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def write(folder: Path, settings: Settings, generation: int, owners: range,
          rows: np.ndarray, removed: set[int] = frozenset()) -> VectorIndex:  # type: ignore[assignment]
    """One writer session, as the indexer runs it: open without rows, change, save."""
    index = VectorIndex.open(folder, settings, load=False)
    index.remove(set(removed) | set(owners))
    index.add(np.array(owners, dtype=np.int64), np.zeros(len(owners), dtype=np.int32), rows)
    index.save(generation)
    index._close_matrix()
    return index


def brute(everything: dict[int, np.ndarray], query: np.ndarray, k: int) -> list[int]:
    owners = sorted(everything)
    scores = np.array([everything[o] @ query for o in owners])
    return [owners[i] for i in np.argsort(-scores, kind="stable")[:k]]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", embedding_model="test-vectors")


def test_an_ingestion_appends_its_rows_and_leaves_the_others_untouched(settings, tmp_path):
    folder, rng = tmp_path / "vectors", np.random.default_rng(1)
    write(folder, settings, 1, range(100), unit(rng, 100))
    matrix = folder / "matrix-0.f32"
    before = matrix.read_bytes()
    write(folder, settings, 2, range(100, 103), unit(rng, 3))
    after = matrix.read_bytes()
    assert after[: len(before)] == before
    assert len(after) == len(before) + 3 * DIMENSION * 4
    assert VectorIndex.open(folder, settings).rows == 103


def test_rows_a_crashed_writer_appended_are_not_part_of_the_index(settings, tmp_path):
    folder, rng = tmp_path / "vectors", np.random.default_rng(2)
    rows = unit(rng, 50)
    write(folder, settings, 1, range(50), rows)
    with open(folder / "matrix-0.f32", "ab") as matrix:  # appended, then killed
        matrix.write(unit(rng, 7).tobytes())
    index = VectorIndex.open(folder, settings)
    assert index.rows == 50 and np.array_equal(index.vectors(np.arange(50)), rows)
    extra = unit(rng, 2)
    write(folder, settings, 2, range(50, 52), extra)
    index = VectorIndex.open(folder, settings)
    assert np.array_equal(index.vectors(np.arange(52)), np.vstack([rows, extra]))
    assert (folder / "matrix-0.f32").stat().st_size == 52 * DIMENSION * 4


def test_a_reader_reads_only_the_added_rows_and_finds_what_a_fresh_open_finds(settings,
                                                                            tmp_path):
    folder, rng = tmp_path / "vectors", np.random.default_rng(3)
    everything = dict(enumerate(unit(rng, 200)))
    write(folder, settings, 1, range(200), np.vstack(list(everything.values())))
    reader = VectorIndex.open(folder, settings)
    added = unit(rng, 30)
    everything.update(dict(zip(range(200, 230), added, strict=True)))
    replaced = unit(rng, 1)
    everything[7] = replaced[0]
    for owner in (3, 4):
        everything.pop(owner)
    write(folder, settings, 2, range(200, 230), added, removed={3, 4})
    write(folder, settings, 3, range(7, 8), replaced)
    newer = reader.reopened()
    assert newer._tail is reader._tail, "the rows read before are shared, not read again"
    fresh = VectorIndex.open(folder, settings)
    for query in unit(rng, 10):
        expected = brute(everything, query, 10)
        assert [r for r, _, _ in newer.search(query, 10)] == expected
        assert [r for r, _, _ in fresh.search(query, 10)] == expected
    # the older version still answers as it did (a request in flight keeps its version)
    assert reader.rows == 200 and 3 in {r for r, _, _ in reader.search(everything[8], 200)}


def test_a_graph_with_an_exact_tail_finds_the_added_vectors(settings, tmp_path, monkeypatch):
    monkeypatch.setattr(store, "GRAPH_TAIL", 40)
    monkeypatch.setattr(store, "EXACT_SUBSET", 10)  # use the graph walk, not the exact scan
    settings = settings.replace(vector_index="hnsw")
    folder, rng = tmp_path / "vectors", np.random.default_rng(4)
    everything = dict(enumerate(unit(rng, 300)))
    write(folder, settings, 1, range(300), np.vstack(list(everything.values())))
    assert VectorIndex.open(folder, settings).graph_rows == 300
    added = unit(rng, 35)  # under the tail limit: the graph file is not rewritten
    everything.update(dict(zip(range(300, 335), added, strict=True)))
    graph_file = next(folder.glob("graph-*.faiss"))
    write(folder, settings, 2, range(300, 335), added)
    index = VectorIndex.open(folder, settings)
    assert (index.graph_rows, index.rows) == (300, 335) and graph_file.exists()
    for owner in range(300, 335, 7):
        assert index.search(everything[owner], 1)[0][0] == owner
    hits = [len(set(brute(everything, q, 10)) & {r for r, _, _ in index.search(q, 10)})
            for q in unit(rng, 20)]
    assert sum(hits) >= 0.95 * 200
    more = unit(rng, 10)  # past the tail limit: the graph takes the tail in
    write(folder, settings, 3, range(335, 345), more)
    index = VectorIndex.open(folder, settings)
    assert (index.graph_rows, index.rows) == (345, 345)
    assert [p.name for p in folder.glob("graph-*.faiss")] == ["graph-0-345.faiss"]


def test_scores_of_scattered_rows_are_those_of_a_gather():
    rng = np.random.default_rng(7)
    matrix, query = unit(rng, 500), unit(rng, 1)[0]
    rows = np.sort(rng.choice(500, 60, replace=False))
    expected = matrix[rows] @ query
    assert np.allclose(store._scores_of_rows(matrix, rows, query), expected, atol=1e-6)
    strided = np.asfortranarray(matrix)  # not row-contiguous: numpy's way
    assert np.allclose(store._scores_of_rows(strided, rows, query), expected, atol=1e-6)


def test_the_graph_walk_keeps_more_candidates_as_the_mask_narrows():
    base = store.ef_search(300, 1.0)
    assert base == max(store.EF_SEARCH, store.EF_PER_K * 300)
    assert store.ef_search(300, 0.5) == min(2 * base, store.EF_SEARCH_MAX)
    assert store.ef_search(10, 0.001) == store.EF_SEARCH_MAX
    assert store.ef_search(10_000, 1.0) == 10_000  # never fewer candidates than results


def test_a_graph_walk_through_a_mask_finds_the_permitted_nearest(settings, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setattr(store, "EXACT_SUBSET", 10)  # use the graph walk, not the exact scan
    settings = settings.replace(vector_index="hnsw")
    folder, rng = tmp_path / "vectors", np.random.default_rng(6)
    everything = dict(enumerate(unit(rng, 2000)))
    write(folder, settings, 1, range(2000), np.vstack(list(everything.values())))
    index = VectorIndex.open(folder, settings)
    assert index.graph_rows == 2000
    allowed = np.arange(2000) % 5 == 0
    permitted = {o: v for o, v in everything.items() if allowed[o]}
    found = 0
    for query in unit(rng, 30):
        hits = [owner for owner, _, _ in index.search(query, 10, allowed)]
        assert len(hits) == 10 and all(allowed[h] for h in hits)
        found += len(set(hits) & set(brute(permitted, query, 10)))
    assert found >= 0.95 * 300


def test_mostly_dead_rows_are_compacted_into_a_new_epoch(settings, tmp_path):
    folder, rng = tmp_path / "vectors", np.random.default_rng(5)
    rows = unit(rng, 1500)
    write(folder, settings, 1, range(1500), rows)
    reader = VectorIndex.open(folder, settings)
    write(folder, settings, 2, range(1500, 1501), unit(rng, 1), removed=set(range(900)))
    assert sorted(p.name for p in folder.glob("matrix-*")) == ["matrix-1.f32"]
    index = VectorIndex.open(folder, settings)
    assert index.rows == 601 and len(index) == 601
    assert index.search(rows[1000], 1)[0][0] == 1000
    newer = reader.reopened()  # another epoch: read whole again
    assert newer.rows == 601 and newer.search(rows[1200], 1)[0][0] == 1200


def test_an_old_single_file_index_asks_for_a_rebuild(settings, tmp_path):
    from core.errors import IndexMismatchError
    from indexer.params import write_params

    folder = tmp_path / "vectors"
    folder.mkdir()
    write_params(folder, {"model": "x", "chunking_version": 1, "max_chunks": 8})
    (folder / "vectors.npz").write_bytes(b"old")
    with pytest.raises(IndexMismatchError, match="storage_format.*quisait rebuild"):
        VectorIndex.open(folder, settings)


def test_each_row_records_its_group_and_a_moved_item_takes_its_new_one(settings, tmp_path):
    folder, rng = tmp_path / "vectors", np.random.default_rng(6)
    index = VectorIndex.open(folder, settings, load=False)
    index.add(np.arange(4, dtype=np.int64), np.zeros(4, dtype=np.int32), unit(rng, 4),
              ["g-open", "g-secret", "g-open", "g-private"])
    index.save(1)
    index._close_matrix()
    reader = VectorIndex.open(folder, settings)
    assert reader.group_mask(frozenset({"g-open"})).tolist() == [True, False, True, False]
    moved = VectorIndex.open(folder, settings, load=False)  # item 0 moved to g-secret
    moved.remove({0})
    moved.add(np.array([0]), np.zeros(1, dtype=np.int32), unit(rng, 1), ["g-secret"])
    moved.save(2)
    moved._close_matrix()
    newer = reader.reopened()
    assert newer.group_mask(frozenset({"g-open"})).tolist() == [False, False, True, False, False]
    assert newer.group_mask(frozenset({"g-secret"})).tolist() == [False, True, False, False, True]
