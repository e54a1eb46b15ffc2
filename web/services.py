"""What the app holds for its whole life, on ``app.extensions["quisait"]``.

Reads: each thread has its own Searcher (:class:`web.pool.SearcherPool`), which follows
new index generations by itself (new Whoosh segments, the process's shared vector index,
the catalog's people and groups).  Writes: the data folder's lock keeps other processes
out while any thread writes; each request commits its records to the catalog, then waits
for an index update that covers them (:class:`IndexUpdater`: group commit).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import QuisaitError
from core.settings import Settings
from notify import FollowStore
from web.introductions import IntroductionStore
from web.pool import SearcherPool
from web.tokens import TokenStore

if TYPE_CHECKING:
    from web.replicas import ReplicaPool

log = logging.getLogger(__name__)


def catch_up(settings: Settings) -> None:
    """Bring the derived indexes up to the catalog before serving: a crash between an
    ingestion's catalog commit and its index update leaves them behind, and the records
    it acknowledged must be searchable after a restart."""
    from indexer import Catalog, catalog_path, update_indexes
    from indexer.pipeline import data_lock

    if not catalog_path(settings).exists():
        return
    try:
        with data_lock(settings):
            catalog = Catalog(catalog_path(settings))
            try:
                update_indexes(settings, catalog)
            finally:
                catalog.close()
    except QuisaitError as exc:  # another indexer holds the lock, or a mismatch: /readyz says
        log.warning("indexes not brought up to the catalog at start: %s", exc)


class DataFolderLock:
    """The data folder's lock (:func:`indexer.pipeline.data_lock`, which keeps other
    processes out), held while any thread of this process writes: catalog writes and
    index updates of different requests may then overlap inside the process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._mutex = threading.Lock()
        self._holders = 0
        self._held: Any = None

    @contextmanager
    def held(self) -> Iterator[None]:
        from indexer.pipeline import data_lock

        with self._mutex:
            if self._holders == 0:
                held = data_lock(self.settings)
                held.__enter__()  # LockedError when another process writes
                self._held = held
            self._holders += 1
        try:
            yield
        finally:
            with self._mutex:
                self._holders -= 1
                if self._holders == 0:
                    self._held.__exit__(None, None, None)
                    self._held = None


class IndexUpdater:
    """Group commit of the derived indexes: a request whose records are committed to the
    catalog waits until the indexes reflect its generation.  One update at a time runs,
    covering every write committed before it started, so writes that arrive together
    share one Whoosh commit and one vector append instead of queueing for one each."""

    def __init__(self, settings: Settings, folder_lock: DataFolderLock) -> None:
        self.settings = settings
        self.folder_lock = folder_lock
        self._lock = threading.Lock()
        self.indexed = 0  # the catalog generation the last update here reached

    def wait_for(self, generation: int) -> int:
        """Return once the indexes reflect ``generation`` (the generation reached)."""
        from indexer import Catalog, catalog_path, update_indexes

        with self._lock:
            if self.indexed >= generation:
                return self.indexed
            with self.folder_lock.held():
                catalog = Catalog(catalog_path(self.settings))
                try:
                    target = catalog.generation
                    update_indexes(self.settings, catalog)
                    self.indexed = target
                finally:
                    catalog.close()
            return self.indexed


def open_pool(settings: Settings) -> SearcherPool | ReplicaPool:
    """This process's Searchers, or proxies to Ray Serve replicas (``serving = "ray"``)."""
    if settings.serving == "ray":
        from web.replicas import ReplicaPool  # Ray is imported on this path only

        return ReplicaPool.open(settings)
    return SearcherPool(settings)


@dataclass
class Services:
    """Everything the app opens once per process."""

    settings: Settings
    searchers: SearcherPool | ReplicaPool
    tokens: TokenStore
    introductions: IntroductionStore
    folder_lock: DataFolderLock
    updater: IndexUpdater
    follows: FollowStore

    @classmethod
    def open(cls, settings: Settings) -> Services:
        folder = Path(settings.data_dir)
        catch_up(settings)
        folder_lock = DataFolderLock(settings)
        return cls(settings, open_pool(settings), TokenStore.open(folder),
                   IntroductionStore.open(folder), folder_lock,
                   IndexUpdater(settings, folder_lock), FollowStore.open(settings))

    @contextmanager
    def writing(self) -> Iterator[None]:
        """The right to write the catalog (other processes are kept out; this process's
        writers overlap, SQLite serialising their transactions)."""
        with self.folder_lock.held():
            yield
