"""Fusion of the lexical and semantic rankings: small pure functions in a registry.

Each function takes ``{retriever name: ranking}`` (a ranking is a list of
``(key, score)`` best first) and the weight of the semantic retriever for this
query, and returns one fused ranking.  The weight comes from the engine: high
when the embedding model knows the query's language, low when it does not (the
packaged model is English-only; on French text its rankings are weak).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

Ranking = list[tuple[int, float]]
Fusion = Callable[[Mapping[str, Ranking], float], Ranking]
RRF_K = 60


def _sorted(scores: dict[int, float]) -> Ranking:
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def _weights(rankings: Mapping[str, Ranking], semantic_weight: float) -> dict[str, float]:
    return {name: semantic_weight if name == "semantic" else 1.0 - semantic_weight
            for name in rankings}


def reciprocal_rank(rankings: Mapping[str, Ranking], semantic_weight: float = 0.5) -> Ranking:
    """Weighted reciprocal-rank fusion (Cormack et al., 2009): sum of w / (k + rank).

    With weight 0.5 it is the classic, unweighted RRF (up to a constant factor).
    """
    weights = _weights(rankings, semantic_weight)
    scores: dict[int, float] = {}
    for name, ranking in rankings.items():
        for rank, (key, _) in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 2 * weights[name] / (RRF_K + rank)
    return _sorted(scores)


def _min_max(ranking: Ranking) -> dict[int, float]:
    if not ranking:
        return {}
    values = [score for _, score in ranking]
    low, high = min(values), max(values)
    span = high - low
    return {key: (score - low) / span if span else 1.0 for key, score in ranking}


def weighted_min_max(rankings: Mapping[str, Ranking], semantic_weight: float = 0.5) -> Ranking:
    """Convex combination of min-max normalised scores; a missing score counts as 0."""
    weights = _weights(rankings, semantic_weight)
    scores: dict[int, float] = {}
    for name, ranking in rankings.items():
        for key, normalised in _min_max(ranking).items():
            scores[key] = scores.get(key, 0.0) + weights[name] * normalised
    return _sorted(scores)


FUSIONS: dict[str, Fusion] = {"rrf": reciprocal_rank, "weighted": weighted_min_max}


def fuse(name: str, rankings: Mapping[str, Ranking], semantic_weight: float = 0.5) -> Ranking:
    """Fuse ``rankings`` with the method called ``name``; unknown names list the valid ones."""
    if name not in FUSIONS:
        raise ValueError(f"unknown fusion {name!r} (valid: {', '.join(sorted(FUSIONS))})")
    if len(rankings) == 1:
        return list(next(iter(rankings.values())))
    return FUSIONS[name](rankings, semantic_weight)
