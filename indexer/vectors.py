"""The vector index: FAISS over passage embeddings, derived from the catalog.

Each vector id (``vid``) is a position in two arrays: ``owners`` (the item's
catalog rowid, -1 once removed) and ``ordinals`` (the chunk number in the item).
The whole index is one ``vectors.npz`` file replaced atomically, so a crash
leaves the previous one.  Vectors come from the catalog's embedding cache
whenever the same passage was encoded before with the same model.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

from core.errors import IndexMismatchError
from core.settings import Settings
from indexer.catalog import Catalog, Item
from indexer.embeddings import Encoder, embedding_key, text_digest
from indexer.params import (
    REBUILD_HINT,
    IndexState,
    check_params,
    write_atomically,
    write_params,
)

log = logging.getLogger(__name__)

CHUNKING_VERSION = 1
BATCH_ITEMS = 2048  # large batches: encode sorts by length within a call, less padding
HNSW_NEIGHBOURS = 32
# Under this many permitted vectors an HNSW search scans them exactly: FAISS's filtered
# graph walk loses most neighbours when the mask is sparse (a guest reading two groups of
# 200 had recall@10 0.26 against exact search at 100k posts; bench/bench_recall.py).
EXACT_SUBSET = 50_000


def _new_faiss(dimension: int, kind: str) -> faiss.Index:
    inner: faiss.Index
    if kind == "hnsw":
        inner = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = 80
        inner.hnsw.efSearch = 128
    else:
        inner = faiss.IndexFlatIP(dimension)
    return faiss.IndexIDMap2(inner)


class VectorIndex:
    """Passage vectors of the live items, searchable by inner product."""

    def __init__(self, folder: Path | None, settings: Settings, dimension: int | None) -> None:
        self.folder = folder
        self.settings = settings
        self.state = IndexState(folder / "state.json" if folder else None)
        self.dimension = dimension
        self.kind = "hnsw" if settings.vector_index == "hnsw" else "flat"
        self.index: faiss.Index | None = None
        self.owners = np.zeros(0, dtype=np.int64)
        self.ordinals = np.zeros(0, dtype=np.int32)
        if folder is not None and (folder / "vectors.npz").exists():
            self._load(folder / "vectors.npz")
        elif self.state.generation:
            raise IndexMismatchError(
                f"vector index in {folder}: vectors.npz is missing though the index reflected "
                f"catalog generation {self.state.generation}; {REBUILD_HINT}")

    @classmethod
    def open(cls, folder: Path, settings: Settings) -> VectorIndex:
        """Open (or create) the vector index in ``folder``; other params -> clear error."""
        folder.mkdir(parents=True, exist_ok=True)
        expected = {"model": embedding_key(settings), "chunking_version": CHUNKING_VERSION,
                    "max_chunks": settings.max_chunks}
        params_path = folder / "params.json"
        if params_path.exists() or (folder / "vectors.npz").exists():
            check_params(folder, expected, what="vector index")
        else:
            write_params(folder, expected)
        return cls(folder, settings, None)

    @classmethod
    def in_memory(cls, settings: Settings) -> VectorIndex:
        return cls(None, settings, None)

    @property
    def generation(self) -> int:
        return self.state.generation

    def __len__(self) -> int:
        return int((self.owners >= 0).sum())

    # -- persistence -----------------------------------------------------------

    def _load(self, path: Path) -> None:
        try:
            with np.load(path) as stored:
                blob, kind = stored["faiss"], str(stored["kind"])
                owners, ordinals = stored["owners"].copy(), stored["ordinals"].copy()
            index = faiss.deserialize_index(blob) if blob.size else None
        except Exception as exc:  # a damaged file raises anything: zip, pickle, EOF, FAISS...
            raise IndexMismatchError(
                f"vector index: {path} is unreadable ({type(exc).__name__}: {exc}); "
                f"{REBUILD_HINT}") from None
        stored, live = 0 if index is None else index.ntotal, int((owners >= 0).sum())
        # flat indexes drop removed vectors; HNSW keeps them (masked out by ``owners``)
        fits = stored == live if kind == "flat" else live <= stored <= len(owners)
        if len(owners) != len(ordinals) or not fits:
            raise IndexMismatchError(
                f"vector index: {path} is inconsistent ({stored} vectors for {live} live "
                f"passages); {REBUILD_HINT}")
        self.index, self.owners, self.ordinals, self.kind = index, owners, ordinals, kind
        self.dimension = None if index is None else int(index.d)

    def save(self, generation: int) -> None:
        """Write the index (an empty one too: a missing file then means a lost one), then
        record the generation it reflects."""
        if self.folder is not None:
            blob = (faiss.serialize_index(self.index) if self.index is not None
                    else np.zeros(0, dtype=np.uint8))
            buffer = io.BytesIO()
            np.savez(buffer, faiss=blob, owners=self.owners, ordinals=self.ordinals,
                     kind=np.array(self.kind))
            write_atomically(self.folder / "vectors.npz", buffer.getvalue())
        self.state.save(generation)

    # -- updates -------------------------------------------------------------------

    def catch_up(self, catalog: Catalog, encoder: Callable[[], Encoder],
                 progress: object | None = None) -> int:
        """Apply every catalog change newer than this index; ``encoder`` is called lazily."""
        target = catalog.generation
        if target <= self.generation:
            return 0
        batch: list[Item] = []
        applied = 0
        for item in catalog.changed_items(self.generation, target):
            batch.append(item)
            if len(batch) >= BATCH_ITEMS:
                applied += self._apply(batch, catalog, encoder(), progress)
                batch = []
        if batch:
            applied += self._apply(batch, catalog, encoder(), progress)
        self._maybe_switch_to_hnsw()
        self.save(target)
        log.info("vector index at generation %d (%d vectors live)", target, len(self))
        return applied

    def _apply(self, items: list[Item], catalog: Catalog, encoder: Encoder,
               progress: object | None) -> int:
        self.remove({item.rowid for item in items})
        live = [item for item in items if not item.deleted]
        chunked = [(item, encoder.chunks(item.title, item.text)) for item in live]
        texts = [chunk.text for _, chunks in chunked for chunk in chunks]
        vectors = self._vectors_for(texts, catalog, encoder)
        owners = [item.rowid for item, chunks in chunked for _ in chunks]
        ordinals = [chunk.ordinal for _, chunks in chunked for chunk in chunks]
        self.add(np.array(owners, dtype=np.int64), np.array(ordinals, dtype=np.int32), vectors)
        if progress is not None:
            progress.update(len(items))  # type: ignore[attr-defined]
        return len(items)

    def _vectors_for(self, texts: list[str], catalog: Catalog, encoder: Encoder) -> np.ndarray:
        """Vectors of ``texts``: from the cache, encoding (and caching) only the misses."""
        digests = [text_digest(text) for text in texts]
        cached = catalog.cached_vectors(encoder.name, digests)
        missing = sorted({d: t for d, t in zip(digests, texts, strict=True)
                          if d not in cached}.items())
        if missing:
            fresh = encoder.encode([text for _, text in missing])
            new = {d: fresh[i].tobytes() for i, (d, _) in enumerate(missing)}
            catalog.cache_vectors(encoder.name, new)
            cached.update(new)
        if not texts:
            return np.zeros((0, encoder.dimension), dtype=np.float32)
        return np.stack([np.frombuffer(cached[d], dtype=np.float32) for d in digests])

    def add(self, owners: np.ndarray, ordinals: np.ndarray, vectors: np.ndarray) -> None:
        if len(owners) == 0:
            return
        if self.index is None:
            self.dimension = int(vectors.shape[1])
            self.index = _new_faiss(self.dimension, self.kind)
        start = len(self.owners)
        vids = np.arange(start, start + len(owners), dtype=np.int64)
        self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), vids)
        self.owners = np.concatenate([self.owners, owners])
        self.ordinals = np.concatenate([self.ordinals, ordinals])

    def remove(self, rowids: set[int]) -> None:
        """Drop every vector of these items (HNSW keeps them, masked out by ``owners``)."""
        if not rowids or self.index is None:
            return
        vids = np.nonzero(np.isin(self.owners, np.fromiter(rowids, dtype=np.int64)))[0]
        if len(vids) == 0:
            return
        if self.kind == "flat":
            self.index.remove_ids(faiss.IDSelectorBatch(vids.astype(np.int64)))
        self.owners[vids] = -1

    def _maybe_switch_to_hnsw(self) -> None:
        if (self.settings.vector_index == "auto" and self.kind == "flat"
                and len(self) > self.settings.hnsw_threshold and self.index is not None):
            log.info("more than %d vectors: switching to an HNSW index",
                     self.settings.hnsw_threshold)
            live = np.nonzero(self.owners >= 0)[0]
            vectors = np.vstack([self.index.reconstruct(int(v)) for v in live])
            self.kind = "hnsw"
            self.index = _new_faiss(self.dimension or vectors.shape[1], "hnsw")
            self.index.add_with_ids(vectors, live.astype(np.int64))

    # -- search ----------------------------------------------------------------------

    def _exact_subset(self, query: np.ndarray, k: int,
                      permitted: np.ndarray) -> list[tuple[int, int, float]]:
        """Exact top ``k`` over a few permitted vector ids (read back from the index)."""
        assert self.index is not None
        vectors = self.index.reconstruct_batch(permitted.astype(np.int64))
        scores = vectors @ query.astype(np.float32)
        best = np.argpartition(-scores, k - 1)[:k] if len(scores) > k else np.arange(
            len(scores))
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(self.owners[permitted[i]]), int(self.ordinals[permitted[i]]),
                 float(scores[i])) for i in best]

    def search(self, query: np.ndarray, k: int,
               allowed: np.ndarray | None = None) -> list[tuple[int, int, float]]:
        """Top ``k`` (rowid, chunk ordinal, score) for one normalised query vector.

        ``allowed`` is a boolean mask over vector ids; the filter runs inside FAISS
        (an id selector), so permitted results are never lost to a top-k cut.
        """
        if self.index is None or self.index.ntotal == 0:
            return []
        mask = self.owners >= 0 if allowed is None else (allowed & (self.owners >= 0))
        if not mask.any():
            return []
        if self.kind == "hnsw":
            permitted = np.flatnonzero(mask)
            if len(permitted) <= EXACT_SUBSET:  # a graph walk through a sparse mask misses
                return self._exact_subset(query, k, permitted)
        bitmap = np.packbits(mask, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap))
        params = (faiss.SearchParametersHNSW(  # type: ignore[attr-defined]
            sel=selector, efSearch=max(128, k))
                  if self.kind == "hnsw" else faiss.SearchParameters(sel=selector))  # type: ignore[call-arg]
        scores, vids = self.index.search(query.reshape(1, -1).astype(np.float32), k, params=params)
        return [(int(self.owners[v]), int(self.ordinals[v]), float(s))
                for s, v in zip(scores[0], vids[0], strict=True) if v >= 0]
