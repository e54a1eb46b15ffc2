"""One Searcher (and its ExpertFinder) per thread of the web process.

The Searcher's SQLite connections may not cross threads and waitress serves each request
on one of a few worker threads, so each thread gets its own Searcher, kept from request to
request and reopened only when an index folder is recreated (`quisait rebuild`) (a
Searcher follows new index generations by itself).  Used by the app (:mod:`web.services`)
and by each Ray Serve replica (:mod:`web.replicas`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

from core.errors import QuisaitError
from core.settings import Settings
from expertise import ExpertFinder
from search import Searcher
from web.errors import NotReady


def index_stamp(settings: Settings) -> tuple[int, ...]:
    """Changes whenever a derived index is created anew (its params.json replaced)."""
    stamp: list[int] = []
    for folder in ("fulltext", "vectors"):
        path = settings.data_dir / folder / "params.json"
        try:
            info = os.stat(path)
            stamp += [info.st_ino, info.st_mtime_ns]
        except FileNotFoundError:
            stamp += [0, 0]
    return tuple(stamp)


@dataclass
class _Local:
    searcher: Searcher | None = None
    finder: ExpertFinder | None = None
    stamp: tuple[int, ...] = ()


class SearcherPool:
    """One Searcher (and its ExpertFinder) per thread, reopened on recreated indexes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._all: list[Searcher] = []
        self._lock = threading.Lock()

    def get(self) -> Searcher:
        """This thread's Searcher over the latest indexes (503 ``not_ready`` if none)."""
        local: _Local = self._local.__dict__.setdefault("state", _Local())
        stamp = index_stamp(self.settings)
        if local.searcher is not None and local.stamp == stamp:
            return local.searcher
        if local.searcher is not None:
            self._forget(local)
        try:
            local.searcher = Searcher.open(self.settings)
        except QuisaitError as exc:
            local.searcher = None
            raise NotReady(f"the indexes are not ready: {exc}") from exc
        local.stamp = stamp
        with self._lock:
            self._all.append(local.searcher)
        return local.searcher

    def readiness(self) -> dict[str, Any]:
        """What /readyz reports besides the item count (``NotReady`` if not ready)."""
        return {}

    def finder(self) -> ExpertFinder:
        """This thread's ExpertFinder, over this thread's current Searcher."""
        searcher = self.get()
        local: _Local = self._local.__dict__["state"]
        if local.finder is None or local.finder.searcher is not searcher:
            if local.finder is not None:
                local.finder.close()
            local.finder = ExpertFinder(searcher)
        return local.finder

    def _forget(self, local: _Local) -> None:
        searcher = local.searcher
        if local.finder is not None:
            local.finder.close()
            local.finder = None
        if searcher is None:
            return
        with self._lock:
            if searcher in self._all:
                self._all.remove(searcher)
        searcher.close()

    def close(self) -> None:
        """Close what this thread opened (others' connections belong to their threads)."""
        local: _Local | None = self._local.__dict__.get("state")
        if local is not None and local.searcher is not None:
            self._forget(local)
            local.searcher = None
