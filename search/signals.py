"""KM signals applied to a ranking, in one place: pins, marks, accepted answers,
reactions and recency.  Every factor is recorded in the hit's explanation.

- official content x1.6 and outdated content x0.1: the factors Jive publishes for
  its "official" and "outdated" marks;
- accepted answers (and questions that have one) x1.1; reactions x(1 + 0.05 ln(1 + n)),
  at most x1.25: mild, so that popularity never outranks relevance;
- recency, off by default: x(1 - w + w * 0.5^(age / half-life)) with w = 0.3;
- feedback on a (query, result): x(1 + 0.2 * net * n / (n + 3)), in (0.8, 1.2), only with
  votes of at least 3 distinct people who count (search.feedback.counted_votes), each
  weighing 0.5^(age / 90 days) and none older than a year (net: weighted helpful share
  minus unhelpful share, in [-1, 1]; n: the sum of the weights);
- pins (best bets) go first, in pin order, when the query matches and the viewer is in
  the pin's audience and may read the item; a pin never shows what the viewer may not read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from search.curation import Pin

MARK_FACTORS = {"official": 1.6, "outdated": 0.1}
ACCEPTED_FACTOR = 1.1
REACTION_RATE = 0.05
REACTION_CAP = 1.25
RECENCY_WEIGHT = 0.3
FEEDBACK_MIN_VOTERS = 3
FEEDBACK_BOUND = 0.2
FEEDBACK_HALF_LIFE_DAYS = 90.0
FEEDBACK_MAX_AGE_DAYS = 365.0
FEEDBACK_PRIOR = 3.0  # weight of votes at which half of the bound is reached


@dataclass(frozen=True)
class Candidate:
    """What the signals need to know about one ranked item."""

    rowid: int
    id: str
    score: float
    created: datetime
    accepted: bool
    reactions: int


def feedback_factor(votes: Iterable[tuple[bool, datetime]], now: datetime) -> float | None:
    """The factor of one (query, item) from its counted votes (helpful, when), one per
    distinct person; None below the minimum number of people or when it would be 1."""
    weighted = []
    for helpful, at in votes:
        age = max(0.0, (now - at).total_seconds() / 86400)
        if age <= FEEDBACK_MAX_AGE_DAYS:
            weighted.append((1.0 if helpful else -1.0, 0.5 ** (age / FEEDBACK_HALF_LIFE_DAYS)))
    if len(weighted) < FEEDBACK_MIN_VOTERS:
        return None
    total = sum(weight for _, weight in weighted)
    net = sum(sign * weight for sign, weight in weighted) / total
    factor = 1 + FEEDBACK_BOUND * net * total / (total + FEEDBACK_PRIOR)
    return factor if factor != 1 else None


def factors(candidate: Candidate, marks: Mapping[str, str], now: datetime,
            half_life_days: float,
            feedback: Mapping[str, float] | None = None) -> dict[str, float]:
    """The multiplicative factors that apply to a candidate (only those != 1)."""
    out: dict[str, float] = {}
    if feedback and candidate.id in feedback:
        out["feedback"] = feedback[candidate.id]
    mark = marks.get(candidate.id)
    if mark in MARK_FACTORS:
        out[mark] = MARK_FACTORS[mark]
    if candidate.accepted:
        out["accepted"] = ACCEPTED_FACTOR
    if candidate.reactions > 0:
        out["reactions"] = min(REACTION_CAP, 1 + REACTION_RATE * math.log1p(candidate.reactions))
    if half_life_days > 0:
        age = max(0.0, (now - candidate.created).total_seconds() / 86400)
        out["recency"] = 1 - RECENCY_WEIGHT + RECENCY_WEIGHT * 0.5 ** (age / half_life_days)
    return out


def rerank(candidates: Iterable[Candidate], marks: Mapping[str, str], now: datetime,
           half_life_days: float, feedback: Mapping[str, float] | None = None
           ) -> list[tuple[Candidate, float, dict[str, float]]]:
    """Candidates with their adjusted scores and factors, best first (``feedback``: item
    id -> its feedback factor for this query and viewer)."""
    scored = []
    for candidate in candidates:
        applied = factors(candidate, marks, now, half_life_days, feedback)
        score = candidate.score * math.prod(applied.values()) if applied else candidate.score
        scored.append((candidate, score, applied))
    scored.sort(key=lambda entry: (-entry[1], entry[0].rowid))
    return scored


def matching_pins(pins: Iterable[Pin], query: str, now: datetime,
                  audience: frozenset[str]) -> list[Pin]:
    """Active pins whose pattern the query matches and whose audience includes the viewer.

    ``audience`` is what the viewer belongs to: readable group ids and roles."""
    return [pin for pin in pins if pin.active(now) and pin.matches(query)
            and (not pin.audience or audience & set(pin.audience))]
