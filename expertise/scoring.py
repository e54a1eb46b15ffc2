"""How people earn credit: role weights, quality, recency, and the scorer registry.

Expertise is Balog's document-centric "Model 2", extended.  The search package
retrieves the permitted items relevant to the subject; each retrieved thread
credits the people in it by their **role** (an accepted answer weighs most, a
comment least), the item's **quality** (score, reactions) and its **recency**.
That sum is the ``evidence`` component.  Two more named components join it: the
``profile`` (declared skills, "about" text and job title matching the subject)
and the activity ``prior`` (how much a person answers, in what the viewer may
read).  Components are pure functions in :data:`SCORERS`; how they combine is
data in :data:`WEIGHTINGS`, chosen once on the development dumps and documented
in README, never tuned per corpus at run time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

# What a person's part in a thread says about their knowledge of its subject.
ROLE_WEIGHTS: dict[str, float] = {
    "accepted_answer": 1.0,
    "answer": 0.6,
    "author": 0.5,      # a post, article, event or document: they wrote it
    "question": 0.1,    # asking shows interest, not knowledge
    "comment": 0.1,
}
# Credit halves every HALF_LIFE_DAYS: know-how goes stale slowly, so the decay is gentle.
HALF_LIFE_DAYS = 730.0
QUALITY_SLOPE = 0.25  # 1 + 0.25 ln(1 + votes): a well-voted answer counts more, not much more


def quality(score: int, reactions: int) -> float:
    """Mild boost for what readers valued (votes or reactions, whichever is larger)."""
    return 1.0 + QUALITY_SLOPE * math.log1p(max(score, reactions, 0))


def recency(created: datetime, now: datetime, half_life_days: float = HALF_LIFE_DAYS) -> float:
    """Exponential decay with a half-life; future dates (clock skew) count as new."""
    age = max((now - created).total_seconds() / 86400.0, 0.0)
    return 0.5 ** (age / half_life_days) if half_life_days > 0 else 1.0


@dataclass(frozen=True)
class Signals:
    """Per-person raw values a ranking is built from, all from permitted content."""

    evidence: Mapping[str, float]   # role x quality x recency x thread relevance, summed
    profile: Mapping[str, float]    # declared skills / about / title vs the subject
    answers: Mapping[str, int]      # answers in readable groups (all subjects)
    accepted: Mapping[str, int]     # accepted answers in readable groups
    recent: Mapping[str, float]     # answers decayed by age: who is active lately
    answer_rate: Mapping[str, float]  # share of a person's contributions that are answers


Scorer = Callable[[Signals, str], float]


def _evidence(signals: Signals, person: str) -> float:
    return signals.evidence.get(person, 0.0)


def _profile(signals: Signals, person: str) -> float:
    return signals.profile.get(person, 0.0)


def _prior(signals: Signals, person: str) -> float:
    """Activity prior: answers given, accepted ones counting double (log-damped)."""
    return math.log1p(signals.answers.get(person, 0) + signals.accepted.get(person, 0))


def _recent(signals: Signals, person: str) -> float:
    """Activity prior that forgets: answers (accepted ones twice) decayed with a 90-day
    half-life, log-damped; people active lately are the ones who will answer."""
    return math.log1p(signals.recent.get(person, 0.0))


def _answerer(signals: Signals, person: str) -> float:
    """Answer rate: people who answer, rather than people who only post."""
    return signals.answer_rate.get(person, 0.0)


SCORERS: dict[str, Scorer] = {"evidence": _evidence, "profile": _profile, "prior": _prior,
                              "recent": _recent, "answerer": _answerer}


@dataclass(frozen=True)
class Weighting:
    """A combination of scorers: each is divided by its maximum over the candidates
    (so components are comparable across subjects), then summed with these weights."""

    weights: Mapping[str, float]


# Chosen once on the development dumps (quantumcomputing, french-meta; time splits at
# the 50th-80th percentiles, see docs/tuning.md): recent answering beat all-time volume
# as the only prior, evidence alone never beat evidence plus a prior, and all-time volume
# at half the weight of recent answering, beside it, won on 15 of 17 site x split x mode
# runs (``bench/expert_study.py``): with a short history, who answers a lot is evidence.
WEIGHTINGS: dict[str, Weighting] = {
    "default": Weighting({"evidence": 1.0, "recent": 1.0, "prior": 0.5, "profile": 0.3}),
    "routing": Weighting({"evidence": 1.0, "recent": 1.0, "prior": 0.5, "profile": 0.3,
                          "answerer": 0.2}),
    "evidence_only": Weighting({"evidence": 1.0}),
    "prior_only": Weighting({"prior": 1.0}),
}


def get_weighting(name: str) -> Weighting:
    if name not in WEIGHTINGS:
        raise ValueError(f"unknown expertise weighting {name!r} "
                         f"(valid: {', '.join(sorted(WEIGHTINGS))})")
    return WEIGHTINGS[name]


def combine(signals: Signals, people: list[str],
            weighting: Weighting) -> dict[str, tuple[float, dict[str, float]]]:
    """Final score and named components (each normalised to [0, 1]) for ``people``."""
    for name in weighting.weights:
        if name not in SCORERS:
            raise ValueError(f"unknown expertise scorer {name!r} "
                             f"(valid: {', '.join(sorted(SCORERS))})")
    raw = {name: {p: SCORERS[name](signals, p) for p in people} for name in weighting.weights}
    tops = {name: max(values.values(), default=0.0) for name, values in raw.items()}
    result: dict[str, tuple[float, dict[str, float]]] = {}
    for person in people:
        parts = {name: (raw[name][person] / tops[name] if tops[name] > 0 else 0.0)
                 for name in weighting.weights}
        total = sum(weighting.weights[name] * value for name, value in parts.items())
        result[person] = (total, {name: round(value, 4) for name, value in parts.items()})
    return result
