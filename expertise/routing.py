"""Question routing: for a new or unanswered question, (1) similar questions that
already have an accepted answer, (2) the people most likely to answer it well.

Answerers are ranked with the ``routing`` weighting: subject evidence first, then
people who answer (answer rate) and who are active lately, never the asker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from core.errors import NotFoundError
from expertise.records import Expert, plain_query
from search import Hit, ParsedQuery, Scope
from search.query import Filter

if TYPE_CHECKING:
    from expertise.finder import ExpertFinder

ROUTING_WEIGHTING = "routing"
UNANSWERED_LISTED = 50
LOOKALIKE_FLOOR = 0.4  # look-alikes scoring under 40 % of the best one are noise


@dataclass(frozen=True)
class Routing:
    """Where a question could find its answer."""

    question: str
    answered: tuple[Hit, ...]   # look-alike questions with an accepted answer
    experts: tuple[Expert, ...]  # who to ask, best first


def route_text(finder: ExpertFinder, text: str, scope: Scope, limit: int = 5,
               asker: str | None = None, exclude_item: str | None = None,
               mode: str = "hybrid", now: datetime | None = None) -> Routing:
    parsed = plain_query(text)
    answered_query = ParsedQuery(parsed.clauses, (Filter("type", ("question",)),
                                                  Filter("is", ("accepted",))))
    found = scope.search(answered_query, mode=mode, limit=limit + 1)
    best = max((h.score for h in found), default=0.0)
    answered = [h for h in found if h.id != exclude_item and h.score >= LOOKALIKE_FLOOR * best]
    experts = finder.experts(parsed, scope, limit=limit, mode=mode, now=now,
                             weighting=ROUTING_WEIGHTING, exclude={asker} if asker else ())
    return Routing(text, tuple(answered[:limit]), tuple(experts))


def route_post(finder: ExpertFinder, post_id: str, scope: Scope, limit: int = 5,
               mode: str = "hybrid") -> Routing:
    """Route a question already posted (its author is not suggested to themselves)."""
    item = scope.item(post_id)
    if item is None:  # unreadable or missing, the same answer: never confirm it exists
        raise NotFoundError(f"no post {post_id!r}")
    return route_text(finder, f"{item.title}\n{item.text}", scope, limit=limit,
                      asker=item.author, exclude_item=item.id, mode=mode)


def unanswered(finder: ExpertFinder, scope: Scope, limit: int = UNANSWERED_LISTED,
               experts_each: int = 3) -> list[tuple[Hit, tuple[Expert, ...]]]:
    """The KM view: unanswered questions the viewer may read, newest first, each with
    its suggested experts."""
    query = ParsedQuery((), (Filter("type", ("question",)), Filter("is", ("unanswered",))))
    found = []
    for hit in scope.search(query, mode="lexical", limit=limit):
        routing = route_text(finder, f"{hit.title}\n{hit.snippet}", scope,
                             limit=experts_each, asker=hit.author, exclude_item=hit.id,
                             mode="lexical")
        found.append((hit, routing.experts))
    return found
