"""Fusion of ranked lists: small pure functions in a registry."""

from __future__ import annotations

from collections.abc import Callable, Sequence

Ranking = list[tuple[int, float]]
RRF_K = 60


def reciprocal_rank(rankings: Sequence[Ranking], k: int = RRF_K) -> Ranking:
    """Reciprocal-rank fusion (Cormack et al., 2009): sum of 1 / (k + rank)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (key, _) in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


FUSIONS: dict[str, Callable[[Sequence[Ranking]], Ranking]] = {"rrf": reciprocal_rank}


def fuse(name: str, rankings: Sequence[Ranking]) -> Ranking:
    """Fuse ``rankings`` with the method called ``name``; unknown names list the valid ones."""
    if name not in FUSIONS:
        raise ValueError(f"unknown fusion {name!r} (valid: {', '.join(sorted(FUSIONS))})")
    return FUSIONS[name](rankings)
