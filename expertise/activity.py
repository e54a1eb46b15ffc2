"""Per-person activity counts, summed only over the groups a viewer may read.

The catalog aggregates (items per author, group and kind; answers per month) are
shared by the process and refreshed as the catalog changes (see
:class:`ActivityTable`); each viewer's view is a sum over their readable groups, so a
count never includes what happens in a group they cannot read.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from indexer import Catalog

log = logging.getLogger(__name__)

RECENT_HALF_LIFE_DAYS = 90.0  # "active lately": answers weigh half as much after 3 months


@dataclass(frozen=True)
class Activity:
    """What a viewer may count of everyone's activity."""

    answers: dict[str, int]
    accepted: dict[str, int]
    authored: dict[str, int]          # every item: posts, questions, answers, comments
    recent_answers: dict[str, float]  # answers (accepted: twice) decayed, half-life 90 days
    last: dict[str, datetime]

    def answer_rate(self, person: str) -> float:
        """Share of a person's contributions that are answers (0 for silent people)."""
        total = self.authored.get(person, 0)
        return self.answers.get(person, 0) / total if total else 0.0


@dataclass
class _Aggregates:
    generation: int = -1
    computed: float = 0.0  # monotonic time of the computation
    seconds: float = 0.0  # how long it took
    kinds: list[tuple[str, str, str, int, str]] = field(default_factory=list)
    accepted: list[tuple[str, str, int]] = field(default_factory=list)
    months: list[tuple[str, str, str, int, int]] = field(default_factory=list)
    refreshing: threading.Lock = field(default_factory=threading.Lock)


_SHARED: dict[str, _Aggregates] = {}
_SHARED_LOCK = threading.Lock()
MIN_REFRESH_SECONDS = 2.0


class ActivityTable:
    """Catalog aggregates shared by the finders of a process; :meth:`for_groups` gives
    one viewer's view.

    Aggregating 100k items takes about a second, so under a stream of writes they are
    recomputed at most every :data:`MIN_REFRESH_SECONDS` (or five times the time it
    took), by a background thread while requests use the previous ones: counts may lag
    the catalog by that much.  A lag never widens access: the groups summed are the viewer's
    readable groups *now*, and a count is of items (not content) that were in those
    groups when last aggregated."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        key = f"{catalog.path}:{os.stat(catalog.path).st_ino}"
        with _SHARED_LOCK:
            self.shared = _SHARED.setdefault(key, _Aggregates())

    def _current(self) -> _Aggregates:
        shared = self.shared
        generation = self.catalog.generation
        if shared.generation == generation:
            return shared
        if shared.generation < 0:  # nothing to answer with yet: compute it here
            with shared.refreshing:
                if shared.generation < 0:
                    _aggregate(shared, self.catalog, generation)
            return shared
        due = time.monotonic() - shared.computed >= max(MIN_REFRESH_SECONDS, 5 * shared.seconds)
        if due and shared.refreshing.acquire(blocking=False):
            # in the background: no request waits for it (the others use the last ones)
            threading.Thread(target=_refresh_in_background, args=(shared, self.catalog.path),
                             name="quisait-activity", daemon=True).start()
        return shared


    def for_groups(self, allowed: frozenset[str], now: datetime | None = None) -> Activity:
        shared = self._current()
        now = now or datetime.now(UTC)
        answers: dict[str, int] = defaultdict(int)
        authored: dict[str, int] = defaultdict(int)
        accepted: dict[str, int] = defaultdict(int)
        recent: dict[str, float] = defaultdict(float)
        last: dict[str, datetime] = {}
        for author, group, kind, count, latest in shared.kinds:
            if group in allowed:
                authored[author] += count
                if kind == "answer":
                    answers[author] += count
                when = datetime.fromisoformat(latest)
                if author not in last or when > last[author]:
                    last[author] = when
        for author, group, count in shared.accepted:
            if group in allowed:
                accepted[author] += count
        for author, group, month, count, accepted_count in shared.months:
            if group in allowed:
                middle = datetime.fromisoformat(f"{month}-15T00:00:00+00:00")
                age = max((now - middle).days, 0)
                recent[author] += (count + accepted_count) * 0.5 ** (age / RECENT_HALF_LIFE_DAYS)
        return Activity(dict(answers), dict(accepted), dict(authored), dict(recent), last)


def _aggregate(shared: _Aggregates, catalog: Catalog, generation: int) -> None:
    started = time.monotonic()
    kinds, accepted = catalog.activity(), catalog.accepted_activity()
    months = catalog.answer_months()
    shared.kinds, shared.accepted, shared.months = kinds, accepted, months
    shared.generation, shared.computed = generation, time.monotonic()
    shared.seconds = shared.computed - started


def _refresh_in_background(shared: _Aggregates, path: Path) -> None:
    """Aggregate on a connection of this thread's own; releases ``shared.refreshing``."""
    try:
        catalog = Catalog(path)
        try:
            _aggregate(shared, catalog, catalog.generation)
        finally:
            catalog.close()
    except Exception:  # the next request tries again; the last aggregates stay in use
        log.exception("activity aggregates not refreshed")
    finally:
        shared.refreshing.release()
