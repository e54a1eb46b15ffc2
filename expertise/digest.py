"""Expert digests: each week, the open questions go to the people best placed to answer
them, under two limits so that the few who answer are not buried.

- at most ``per_person`` questions a week per person (setting ``digest_per_person``) and
  ``fanout`` recipients a question (``digest_fanout``);
- the assignment is load-aware: the questions of a week are assigned together, and a
  question whose best people are full goes to its next-best people rather than being
  dropped (plain greedy top-k in question order gives the first questions the few top
  answerers and leaves later ones to whoever is left);
- each (question, recipient) carries "why you": the recipient's evidence from the finder;
- never the asker; a question goes only to people who may read its group; a question
  with an accepted answer leaves later digests (only open questions are assigned).

The assignment itself (:func:`assign`) is pure: ranked candidates and limits in,
recipients out, deterministic.  Assigners are small functions in :data:`ASSIGNERS`;
``flow`` won on the development dumps (README, "Expert digests, measured").
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from expertise.records import Evidence, Expert, plain_query, why
from expertise.routing import ROUTING_WEIGHTING

if TYPE_CHECKING:
    from expertise.finder import ExpertFinder
    from search import Scope

DEPTH = 30           # candidates ranked per question: the next-best when the first are full
WEIGHT_STEPS = 10**6  # normalised scores are compared to six decimals in the flow

Candidates = Mapping[str, Sequence[tuple[str, float]]]  # question -> (person, score), best first
Assigner = Callable[[dict[str, list[tuple[str, float]]], int, int], dict[str, list[str]]]


# -- the pure assignment ----------------------------------------------------------------

def _normalised(candidates: Candidates) -> dict[str, list[tuple[str, float]]]:
    """Each question's candidates, first occurrence of a person only, scores divided by
    the question's best (scores of different questions differ in scale)."""
    lists: dict[str, list[tuple[str, float]]] = {}
    for question, ranked in candidates.items():
        unique: dict[str, float] = {}
        for person, score in ranked:
            unique.setdefault(person, score)
        top = max(unique.values(), default=0.0)
        lists[question] = [(p, s / top if top > 0 else 0.0) for p, s in unique.items()]
    return lists


def _greedy(lists: dict[str, list[tuple[str, float]]], per_person: int,
            fanout: int) -> dict[str, list[str]]:
    """Questions in id order, each taking its best people who still have room (the
    baseline: the first questions take the few top answerers)."""
    load: dict[str, int] = defaultdict(int)
    chosen: dict[str, list[str]] = {}
    for question in sorted(lists):
        chosen[question] = []
        for person, _ in lists[question]:
            if len(chosen[question]) < fanout and load[person] < per_person:
                chosen[question].append(person)
                load[person] += 1
    return chosen


def _pairs(lists: dict[str, list[tuple[str, float]]], per_person: int,
           fanout: int) -> dict[str, list[str]]:
    """Every (question, person) pair by normalised score, best first (then rank, then
    ids), taken while both the question and the person have room."""
    pairs = sorted((-w, rank, q, p) for q, ranked in lists.items()
                   for rank, (p, w) in enumerate(ranked))
    load: dict[str, int] = defaultdict(int)
    chosen: dict[str, list[str]] = {q: [] for q in lists}
    for _, _, question, person in pairs:
        if len(chosen[question]) < fanout and load[person] < per_person:
            chosen[question].append(person)
            load[person] += 1
    return chosen


def _flow(lists: dict[str, list[tuple[str, float]]], per_person: int,
          fanout: int) -> dict[str, list[str]]:
    """Min-cost flow (source -> question, capacity ``fanout`` -> person, capacity 1 ->
    sink, capacity ``per_person``): of the assignments filling the most slots, the one of
    largest total normalised score, ties going to better ranks (the optimum of the b-matching
    the greedy orders only approximate)."""
    questions = sorted(lists)
    people = sorted({p for ranked in lists.values() for p, _ in ranked})
    node = {("q", q): 2 + i for i, q in enumerate(questions)}
    node.update((("p", p), 2 + len(questions) + i) for i, p in enumerate(people))
    depth = max((len(r) for r in lists.values()), default=0) + 1
    slots = fanout * len(questions)
    # integer costs, three tiers: one more slot filled outweighs any total of scores, one
    # step of score any total of ranks (ties go to the better-ranked, then to ids)
    tie = depth * (slots + 1)
    fill = (WEIGHT_STEPS * tie + depth) * (slots + 1)
    graph = _Residual(len(node) + 2)
    for question in questions:
        graph.add(0, node["q", question], fanout, 0)
        for rank, (person, weight) in enumerate(lists[question]):
            cost = fill + round(weight * WEIGHT_STEPS) * tie + depth - rank
            graph.add(node["q", question], node["p", person], 1, -cost)
    for person in people:
        graph.add(node["p", person], 1, per_person, 0)
    graph.min_cost_flow(source=0, sink=1)
    position = {v: k for k, v in node.items()}
    return {q: [position[e[0]][1] for e in graph.edges[node["q", q]]
                if e[1] == 0 and e[0] > 1 + len(questions)] for q in questions}


class _Residual:
    """A residual graph with successive shortest paths (Dijkstra over reduced costs)."""

    def __init__(self, size: int) -> None:
        self.edges: list[list[list[int]]] = [[] for _ in range(size)]  # [to, cap, cost, rev]

    def add(self, u: int, v: int, capacity: int, cost: int) -> None:
        self.edges[u].append([v, capacity, cost, len(self.edges[v])])
        self.edges[v].append([u, 0, -cost, len(self.edges[u]) - 1])

    def min_cost_flow(self, source: int, sink: int) -> None:
        """Augment along cheapest paths while they lower the cost (edges out of the source
        have cost 0, so the initial potentials are one pass over source -> q -> p -> sink)."""
        potential = [0] * len(self.edges)
        for u in range(len(self.edges)):  # questions come before people: one pass suffices
            for v, capacity, cost, _ in self.edges[u]:
                if capacity > 0 and u != source and v != sink:
                    potential[v] = min(potential[v], potential[u] + cost)
        potential[sink] = min((potential[u] for u, *_ in self.edges[sink]), default=0)
        while True:
            dist, previous = self._dijkstra(source, sink, potential)
            if math.isinf(dist[sink]):
                return
            for v, d in enumerate(dist):
                potential[v] += int(min(d, dist[sink]))
            if potential[sink] - potential[source] >= 0:
                return
            v = sink
            while v != source:
                u, k = previous[v]
                edge = self.edges[u][k]
                edge[1] -= 1
                self.edges[v][edge[3]][1] += 1
                v = u

    def _dijkstra(self, source: int, sink: int,
                  potential: list[int]) -> tuple[list[float], list[tuple[int, int]]]:
        """Reduced distances from ``source``, exact up to the sink's (then it stops: the
        potentials are raised by at most the sink's distance)."""
        dist: list[float] = [math.inf] * len(self.edges)
        previous = [(-1, -1)] * len(self.edges)
        dist[source] = 0
        heap = [(0, source)]  # integer costs: exact sums
        while heap:
            d, u = heapq.heappop(heap)
            if u == sink:
                break
            if d > dist[u]:
                continue
            for k, (v, capacity, cost, _) in enumerate(self.edges[u]):
                reduced = d + cost + potential[u] - potential[v]
                if capacity > 0 and reduced < dist[v]:
                    dist[v], previous[v] = reduced, (u, k)
                    heapq.heappush(heap, (reduced, v))
        return dist, previous


ASSIGNERS: dict[str, Assigner] = {"flow": _flow, "pairs": _pairs, "greedy": _greedy}


def assign(candidates: Candidates, per_person: int, fanout: int,
           method: str = "flow") -> dict[str, tuple[str, ...]]:
    """Recipients of each question (in its candidates' order), at most ``fanout`` a
    question and ``per_person`` questions a person.  ``candidates`` must already leave
    out the asker and anyone who may not read the question."""
    if per_person < 1 or fanout < 1:
        raise ValueError("per_person and fanout must be at least 1")
    if method not in ASSIGNERS:
        raise ValueError(f"unknown digest assigner {method!r} "
                         f"(valid: {', '.join(sorted(ASSIGNERS))})")
    lists = _normalised(candidates)
    chosen = ASSIGNERS[method](lists, per_person, fanout)
    order = {q: {p: rank for rank, (p, _) in enumerate(ranked)} for q, ranked in lists.items()}
    return {q: tuple(sorted(chosen.get(q, []), key=order[q].__getitem__)) for q in candidates}


# -- digests ------------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenQuestion:
    """A question a digest may carry."""

    id: str
    title: str
    text: str  # title and body as plain text (the routing query)
    group: str
    asker: str | None
    created: datetime


@dataclass(frozen=True)
class DigestEntry:
    """One question in one recipient's digest, and why them."""

    question: str
    title: str
    person: str
    rank: int    # their place among the question's candidates (1: best placed)
    score: float
    why: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Digest:
    """A period's assignment: every (question, recipient) with its evidence."""

    start: datetime
    end: datetime
    questions: tuple[str, ...]
    entries: tuple[DigestEntry, ...]

    def for_person(self, person_id: str) -> tuple[DigestEntry, ...]:
        """What ``person_id`` receives, their best-placed questions first."""
        return tuple(sorted((e for e in self.entries if e.person == person_id),
                            key=lambda e: (e.rank, -e.score, e.question)))

    def recipients(self, question_id: str) -> tuple[str, ...]:
        return tuple(e.person for e in self.entries if e.question == question_id)


def plan_digest(questions: Sequence[OpenQuestion], ranked: Mapping[str, Sequence[Expert]],
                per_person: int, fanout: int, start: datetime, end: datetime,
                method: str = "flow") -> Digest:
    """Assign ``questions`` together from their ranked experts (already restricted to
    people who may read them); the asker is left out whatever the ranking says."""
    experts: dict[str, dict[str, tuple[int, Expert]]] = {}
    for question in questions:
        experts[question.id] = {}
        for expert in ranked.get(question.id, ()):
            if expert.person.id != question.asker:
                rank = len(experts[question.id]) + 1
                experts[question.id].setdefault(expert.person.id, (rank, expert))
    candidates = {q: [(p, e.score) for p, (_, e) in people.items()]
                  for q, people in experts.items()}
    chosen = assign(candidates, per_person, fanout, method)
    entries = []
    for question in questions:
        for person in chosen[question.id]:
            rank, expert = experts[question.id][person]
            entries.append(DigestEntry(question.id, question.title, person, rank, expert.score,
                                       expert.why, expert.evidence))
    return Digest(start, end, tuple(q.id for q in questions), tuple(entries))


def open_questions(finder: ExpertFinder, start: datetime, end: datetime) -> list[OpenQuestion]:
    """Questions created in [start, end) with no accepted answer yet, oldest first."""
    catalog = finder.searcher.catalog
    # stored as ISO text: a day of margin either side, the exact bounds below
    rows = catalog.db.execute(
        "SELECT id FROM items WHERE deleted = 0 AND kind = 'question' "
        "AND created >= ? AND created < ?",
        ((start - timedelta(days=1)).isoformat(), (end + timedelta(days=1)).isoformat()))
    items = catalog.items_by_id(row[0] for row in rows).values()
    found = [OpenQuestion(i.id, i.title, f"{i.title}\n{i.text}", i.group, i.author, i.created)
             for i in items if start <= i.created < end and not catalog.thread_facts(i)[1]]
    return sorted(found, key=lambda q: (q.created, q.id))


def build_digest(finder: ExpertFinder, start: datetime, end: datetime,
                 per_person: int | None = None, fanout: int | None = None,
                 mode: str = "hybrid", method: str = "flow") -> Digest:
    """The period's digests: each open question routed as its asker may see it (the
    routing weighting, never the asker), kept for the people who may read its group,
    with their evidence in groups they may read; then all assigned together.  A question
    whose asker may no longer read (departed, unknown) has nobody to be routed as: it
    gets no recipients.  ``start`` and ``end`` are timezone-aware."""
    settings = finder.searcher.settings
    per_person = per_person or settings.digest_per_person
    fanout = fanout or settings.digest_fanout
    scopes: dict[str, Scope] = {}

    def scope(person: str) -> Scope:
        if person not in scopes:
            scopes[person] = finder.searcher.scope(person)
        return scopes[person]

    questions = open_questions(finder, start, end)
    ranked: dict[str, list[Expert]] = {}
    for question in questions:
        if question.asker is None:
            continue  # routed as the asker sees it: nobody to see it as
        found = finder.experts(plain_query(question.text), scope(question.asker), limit=DEPTH,
                               mode=mode, now=end, weighting=ROUTING_WEIGHTING,
                               exclude={question.asker})
        ranked[question.id] = []
        for expert in found:
            theirs = scope(expert.person.id)
            if not theirs.can_read(question.group):
                continue  # never a question they may not read
            kept = tuple(e for e in expert.evidence if theirs.can_read(e.group))
            if kept != expert.evidence:
                credits = [(e.credit, e) for e in kept]
                expert = replace(expert, evidence=kept,
                                 why=why(question.title, credits, expert.person))
            ranked[question.id].append(expert)
    return plan_digest(questions, ranked, per_person, fanout, start, end, method)
