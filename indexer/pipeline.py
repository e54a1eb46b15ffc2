"""Indexing end to end: sources -> catalog -> key phrases, full-text and vector indexes.

A data folder holds ``catalog.sqlite`` (the truth), ``fulltext/`` and
``vectors/`` (derived, each with its params.json and state.json), and ``lock``.
Every step is idempotent and driven by the catalog generation, so a run killed
at any moment and started again ends exactly where an uninterrupted run ends.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError, LockedError, QuisaitError
from core.settings import Settings
from indexer.catalog import Catalog
from indexer.fulltext import FullTextIndex
from indexer.importers import ImportOptions, detect_format, get_importer
from indexer.ingest import Ingestor, IngestReport
from indexer.keyphrases import META_KEY as KEYPHRASES_META
from indexer.keyphrases import catch_up_keyphrases, keyphrases_since
from indexer.vectors import VectorIndex

log = logging.getLogger(__name__)

# what a full disk or a failing device raises while the catalog or an index is written
WRITE_ERRORS = (OSError, sqlite3.OperationalError)


class IndexWriteError(QuisaitError):
    """A file of the data folder could not be written (disk full, I/O error).

    Every write is atomic, so the indexes as they were before the run stay readable;
    running the same command again once the cause is fixed completes the work.
    """

    status = 503
    code = "write_failed"


def _write_failed(action: str, exc: BaseException) -> IndexWriteError:
    return IndexWriteError(
        f"{action} failed: {exc}; the indexes as they were before this run are still "
        "searchable; free some space (or fix the device) and run the same command again")


@dataclass
class IndexReport(IngestReport):
    """An ``IngestReport`` plus what the derived indexes did and how long it took."""

    seconds: float = 0.0
    fulltext_changes: int = 0
    vector_changes: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def posts_per_second(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0


def catalog_path(settings: Settings) -> Path:
    return settings.data_dir / "catalog.sqlite"


ORPHAN_WAIT_SECONDS = 60.0


def _flock(handle: Any) -> bool:
    """Take the lock; False if a live process holds it.  A holder killed with ``kill -9``
    may leave worker processes (Whoosh's parallel writer forks) that inherited the lock
    and finish their batch before exiting: then wait for them, up to a minute."""
    deadline = time.monotonic() + ORPHAN_WAIT_SECONDS
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            handle.seek(0)
            words = handle.read().split()
            holder = int(words[1]) if len(words) == 2 and words[1].isdigit() else 0
            if not holder or _alive(holder) or time.monotonic() > deadline:
                return False
            time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def data_lock(settings: Settings) -> Iterator[None]:
    """Exclusive right to write in the data folder; a second writer gets a clear error."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "lock"
    with open(path, "a+") as handle:
        if not _flock(handle):
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise LockedError(
                f"{settings.data_dir} is being indexed by {holder}; wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        try:
            finish_interrupted_rebuild(settings.data_dir)
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _progress(total: int | None, desc: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="rec", disable=not enabled, leave=False,
                dynamic_ncols=True)


def index_sources(settings: Settings, sources: Sequence[str], fmt: str | None = None,
                  group: str | None = None, prune: bool = False,
                  progress: bool = False) -> IndexReport:
    """Import ``sources`` into the catalog, then bring every derived index up to date."""
    report = IndexReport()
    started = time.perf_counter()
    with data_lock(settings):
        catalog = Catalog(catalog_path(settings))
        try:
            for source in sources:
                try:
                    _import_source(catalog, source, fmt, group, prune, report, progress)
                except WRITE_ERRORS as exc:
                    raise _write_failed(f"importing {source} into {catalog.path}", exc) from exc
            report.timings["import"] = time.perf_counter() - started
            update_indexes(settings, catalog, report, progress)
        finally:
            catalog.close()
    report.seconds = time.perf_counter() - started
    return report


def _import_source(catalog: Catalog, source: str, fmt: str | None, group: str | None,
                   prune: bool, report: IndexReport, progress: bool) -> None:
    name = fmt or detect_format(source)
    importer = get_importer(name)
    key = source if source.startswith(("http://", "https://")) else str(Path(source).resolve())
    ingestor = Ingestor(catalog, f"{name}:{key}", report)
    with _progress(None, f"reading {Path(source).name or source}", progress) as bar:
        ingestor.ingest(_counting(importer(source, ImportOptions(group=group)), bar))
    if prune:
        ingestor.prune()


def _counting(stream: Any, bar: Any) -> Iterator[Any]:
    for entry in stream:
        bar.update(1)
        yield entry


def update_indexes(settings: Settings, catalog: Catalog, report: IndexReport | None = None,
                   progress: bool = False) -> None:
    """Bring key phrases, the full-text index and the vector index up to the catalog."""
    report = report if report is not None else IndexReport()
    try:
        catalog.settle_threads_once()
    except WRITE_ERRORS as exc:
        raise _write_failed(f"settling the threads of {catalog.path}", exc) from exc
    steps = [("fulltext", _update_fulltext)]
    if settings.embeddings:
        steps.append(("vectors", _update_vectors))
    # after the encoder: spaCy's thinc imports torch if it is not imported yet (1.3 s)
    steps.append(("keyphrases", _update_keyphrases))
    for name, step in steps:
        started = time.perf_counter()
        try:
            step(settings, catalog, report, progress)
        except WRITE_ERRORS as exc:
            raise _write_failed(f"updating the {INDEX_NAMES[name]} in {settings.data_dir}",
                                exc) from exc
        report.timings[name] = time.perf_counter() - started


INDEX_NAMES = {"keyphrases": "key phrases", "fulltext": "full-text index",
               "vectors": "vector index"}


def _pending(catalog: Catalog, since: int) -> int:
    row = catalog.db.execute("SELECT COUNT(*) FROM items WHERE generation > ?", (since,)).fetchone()
    return int(row[0])


def _update_keyphrases(settings: Settings, catalog: Catalog, report: IndexReport,
                       progress: bool) -> None:
    if not settings.keyphrases:
        return
    with _progress(_pending(catalog, keyphrases_since(catalog)), "key phrases", progress) as bar:
        catch_up_keyphrases(catalog, bar)


def _update_fulltext(settings: Settings, catalog: Catalog, report: IndexReport,
                     progress: bool) -> None:
    index = FullTextIndex.open(settings.data_dir / "fulltext", procs=settings.threads)
    with _progress(_pending(catalog, index.generation), "full text", progress) as bar:
        report.fulltext_changes = index.catch_up(catalog, bar)


def _update_vectors(settings: Settings, catalog: Catalog, report: IndexReport,
                    progress: bool) -> None:
    index = VectorIndex.open(settings.data_dir / "vectors", settings, load=False)
    with _progress(_pending(catalog, index.generation), "embeddings", progress) as bar:
        report.vector_changes = index.catch_up(catalog, lambda: load_encoder(settings), bar)


_ENCODERS: dict[tuple[Any, ...], Any] = {}


def load_encoder(settings: Settings) -> Any:
    """The encoder for these settings, loaded once per process."""
    from indexer.embeddings import Encoder

    key = (settings.embedding_model, settings.encoder_backend, settings.batch_size,
           settings.threads, settings.max_chunks, settings.passage_tokens,
           settings.passage_tokens_by_language)  # everything Encoder reads
    if key not in _ENCODERS:
        _ENCODERS[key] = Encoder(settings)
    return _ENCODERS[key]


DERIVED = ("fulltext", "vectors")
STAGING = "rebuild"  # where a rebuild writes the new indexes before they replace the old
REPLACED = ".replaced-"  # an old index folder between its replacement and its removal


def rebuild(settings: Settings, progress: bool = False) -> IndexReport:
    """Recreate the derived indexes from the catalog (vectors come from the cache).

    The new indexes are built beside the old ones, which keep answering searches, and
    then take their place (a rename per folder)."""
    if not catalog_path(settings).exists():
        raise ConfigError(f"no catalog in {settings.data_dir}; run `quisait index SOURCE` first")
    with data_lock(settings):
        staging = settings.data_dir / STAGING
        shutil.rmtree(staging, ignore_errors=True)  # what a killed rebuild left
        catalog = Catalog(catalog_path(settings))
        try:
            report = IndexReport()
            started = time.perf_counter()
            try:
                catalog.set_meta(KEYPHRASES_META, "0")
            except WRITE_ERRORS as exc:
                raise _write_failed(f"resetting the key phrases in {catalog.path}", exc) from exc
            update_indexes(settings.replace(data_dir=staging), catalog, report, progress)
            for folder in DERIVED:
                _replace_folder(settings.data_dir, folder)
            shutil.rmtree(staging, ignore_errors=True)
            report.seconds = time.perf_counter() - started
            return report
        finally:
            catalog.close()


def _replace_folder(data_dir: Path, name: str) -> None:
    """``data_dir/name`` becomes the staged one; the old one is removed after."""
    live, staged, old = data_dir / name, data_dir / STAGING / name, data_dir / f"{REPLACED}{name}"
    if not staged.exists():  # not built by these settings (no embeddings): left as it was
        return
    shutil.rmtree(old, ignore_errors=True)
    if live.exists():
        os.rename(live, old)
    os.rename(staged, live)
    shutil.rmtree(old, ignore_errors=True)


def finish_interrupted_rebuild(data_dir: Path) -> None:
    """Complete a rebuild killed between the two renames of :func:`_replace_folder`
    (the old folder moved aside, the new one not yet in place); call under the lock."""
    for name in DERIVED:
        live, staged = data_dir / name, data_dir / STAGING / name
        if not live.exists() and (staged / "state.json").exists():
            os.rename(staged, live)
            log.warning("completed an interrupted rebuild: %s is the rebuilt index", live)
        shutil.rmtree(data_dir / f"{REPLACED}{name}", ignore_errors=True)
    shutil.rmtree(data_dir / STAGING, ignore_errors=True)  # a rebuild killed before its swap
