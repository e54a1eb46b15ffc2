"""Per-person activity counts, summed only over the groups a viewer may read.

The catalog aggregates once per generation (items per author, group and kind;
answers per month); each viewer's view is a sum over their readable groups, so a
count never includes what happens in a group they cannot read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from indexer import Catalog

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


class ActivityTable:
    """Cached catalog aggregates; :meth:`for_groups` gives one viewer's view."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._generation = -1
        self._kinds: list[tuple[str, str, str, int, str]] = []
        self._accepted: list[tuple[str, str, int]] = []
        self._months: list[tuple[str, str, str, int, int]] = []

    def _refresh(self) -> None:
        generation = self.catalog.generation
        if generation != self._generation:
            self._kinds = self.catalog.activity()
            self._accepted = self.catalog.accepted_activity()
            self._months = self.catalog.answer_months()
            self._generation = generation

    def for_groups(self, allowed: frozenset[str], now: datetime | None = None) -> Activity:
        self._refresh()
        now = now or datetime.now(UTC)
        answers: dict[str, int] = defaultdict(int)
        authored: dict[str, int] = defaultdict(int)
        accepted: dict[str, int] = defaultdict(int)
        recent: dict[str, float] = defaultdict(float)
        last: dict[str, datetime] = {}
        for author, group, kind, count, latest in self._kinds:
            if group in allowed:
                authored[author] += count
                if kind == "answer":
                    answers[author] += count
                when = datetime.fromisoformat(latest)
                if author not in last or when > last[author]:
                    last[author] = when
        for author, group, count in self._accepted:
            if group in allowed:
                accepted[author] += count
        for author, group, month, count, accepted_count in self._months:
            if group in allowed:
                middle = datetime.fromisoformat(f"{month}-15T00:00:00+00:00")
                age = max((now - middle).days, 0)
                recent[author] += (count + accepted_count) * 0.5 ** (age / RECENT_HALF_LIFE_DAYS)
        return Activity(dict(answers), dict(accepted), dict(authored), dict(recent), last)
