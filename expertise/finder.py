"""Ranked people for a subject, each with the evidence the viewer may read.

Everything here is computed from what the viewer's :class:`search.Scope` lets them
read: the retrieved items are the scope's hits, thread expansion keeps only items
of readable groups, and activity counts are summed over readable groups only.
A person whose only evidence sits in a group the viewer cannot read gets no
credit, no count and no evidence line from it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any

from core.errors import NotFoundError
from core.records import Group, Person, safe_url
from expertise.activity import ActivityTable
from expertise.people import PersonPage, person_page, person_state
from expertise.records import Evidence, Expert, why
from expertise.routing import Routing, route_post, route_text, unanswered
from expertise.scoring import (
    HALF_LIFE_DAYS,
    ROLE_WEIGHTS,
    Signals,
    combine,
    get_weighting,
    quality,
    recency,
)
from expertise.topics import TopicPage, TopicStore, candidate_topics, topic_page
from indexer import Item
from indexer.analysis import analyze, detect_language
from search import Hit, ParsedQuery, Scope, Searcher
from search.snippets import snippet

DEPTH = 100          # retrieved items per subject (Model 2's top-k)
EVIDENCE_SHOWN = 5   # evidence lines per expert
CREDITED = 10        # a person's ten best items count: depth beats sheer volume
POOL_FLOOR = 0.1     # below 10 % of the best evidence, a person is noise, not an expert
# A comment that matches says little about its thread's subject ("I'll look for my notes").
THREAD_SHARE = {"comment": 0.3}
MIN_RELEVANCE = 0.1  # hits scoring under 10 % of the best one credit nobody
PROFILE_FIELDS = {"skills": 1.0, "title": 0.6, "department": 0.3, "about": 0.4}

# whom a ranking is for: their scope, or (the thin path) a person id or record
AnyViewer = Scope | str | Person | None


def _role(item: Item, accepted: set[str]) -> str:
    if item.kind == "answer":
        return "accepted_answer" if item.id in accepted else "answer"
    if item.kind in ("question", "comment"):
        return item.kind
    return "author"


class ExpertFinder:
    """Rank people by demonstrated expertise, as one viewer's scope sees it.

    Every public method takes the viewer's :class:`Scope` (or a person id or record,
    turned into their scope by :meth:`scope_of`)."""

    def __init__(self, searcher: Searcher, weighting: str = "default", depth: int = DEPTH,
                 half_life_days: float = HALF_LIFE_DAYS) -> None:
        self.searcher = searcher
        self.weighting = get_weighting(weighting)
        self.depth = depth
        self.half_life_days = half_life_days
        self.activity = ActivityTable(searcher.catalog)
        self.topics = TopicStore.open(searcher.settings.data_dir)
        self._profiles: dict[str, dict[str, set[str]]] = {}

    # -- who may be ranked, and what the viewer may count ---------------------------

    def scope_of(self, viewer: AnyViewer) -> Scope:
        """``viewer`` if it is a scope; else the scope the searcher gives that person now."""
        return viewer if isinstance(viewer, Scope) else self.searcher.scope(viewer)

    def rankable(self, scope: Scope, include_inactive: bool = False) -> dict[str, Person]:
        """People the viewer may see ranked: employees see employees and the guests of
        groups they read; guests see only people of the groups they share."""
        viewer = scope.viewer
        if viewer is None:
            return {}
        groups: Iterable[Group] = (self.searcher.groups[g] for g in scope.readable
                                   if g in self.searcher.groups)
        sharing = {p for g in groups for p in g.members | g.guests}
        people = {}
        for person in self.searcher.people.values():
            seen = person.id in sharing or (not viewer.guest and not person.guest)
            usable = include_inactive or (person.status == "active" and not person.opted_out)
            if seen and usable:
                people[person.id] = person
        return people

    # -- the ranking ----------------------------------------------------------------------

    def experts(self, query: str | ParsedQuery, viewer: AnyViewer, limit: int = 10,
                mode: str = "hybrid", now: datetime | None = None,
                candidates: Collection[str] | None = None,
                include_inactive: bool = False, weighting: str | None = None,
                exclude: Collection[str] = ()) -> list[Expert]:
        """The ``limit`` people who know most about ``query``, as ``viewer`` may see it.

        ``candidates`` restricts the ranking to those ids (everyone in it is ranked,
        with or without evidence: the evaluation uses it).  ``include_inactive`` (for
        KM leads) adds departed and opted-out people after the ranking, flagged.
        ``weighting`` overrides the finder's (routing uses ``"routing"``).
        """
        scope = self.scope_of(viewer)
        person, allowed = scope.viewer, scope.readable
        if person is None or not allowed:
            return []
        now = now or datetime.now(UTC)
        hits = scope.search(query, mode=mode, limit=self.depth)
        credits = self._credit(hits, scope, now)
        people = self.rankable(scope)
        text = query if isinstance(query, str) else query.free_text()
        profile = self._profile_scores(text, people)
        activity = self.activity.for_groups(allowed, now)
        last = activity.last
        evidence = {p: sum(sorted((c for c, _ in credits.get(p, [])), reverse=True)[:CREDITED])
                    for p in people}
        floor = POOL_FLOOR * max((v for p, v in evidence.items() if p not in exclude),
                                 default=0.0)
        pool = ([c for c in candidates if c in people] if candidates is not None
                else [p for p in people if evidence[p] > floor or profile.get(p)])
        pool = [p for p in pool if p not in exclude]
        signals = Signals(evidence=evidence,
                          profile=profile, answers=activity.answers, accepted=activity.accepted,
                          recent=activity.recent_answers,
                          answer_rate={p: activity.answer_rate(p) for p in pool})
        scored = combine(signals, pool,
                         get_weighting(weighting) if weighting else self.weighting)
        order = sorted(pool, key=lambda p: (-scored[p][0], p))[:limit]
        found = [self._expert(people[p], scored[p], credits.get(p, []), last.get(p), text)
                 for p in order]
        if include_inactive:
            found += self._inactive(scope, credits, last, text)
        return found

    def is_km_lead(self, viewer: AnyViewer) -> bool:
        person = self.scope_of(viewer).viewer
        return person is not None and bool({"km_lead", "admin"} & set(person.roles))

    def person(self, person_id: str, viewer: AnyViewer) -> PersonPage | None:
        """A person's page as ``viewer`` may see it (None: no such person for them).
        Enrichment suggestions are shown to the person themselves and to KM leads."""
        scope = self.scope_of(viewer)
        person = scope.viewer
        if person is None or not scope.readable:
            return None
        own = person.id == person_id or self.is_km_lead(scope)
        return person_page(self, person_id, scope, show_suggestions=own)

    def route(self, text: str, viewer: AnyViewer, limit: int = 5,
              mode: str = "hybrid") -> Routing:
        """Answered look-alikes and likely answerers for a new question's text."""
        scope = self.scope_of(viewer)
        if scope.viewer is None:
            return Routing(text, (), ())
        return route_text(self, text, scope, limit=limit, asker=scope.viewer.id, mode=mode)

    def route_post(self, post_id: str, viewer: AnyViewer, limit: int = 5,
                   mode: str = "hybrid") -> Routing:
        """Routing for a question already posted (raises NotFoundError if unreadable)."""
        scope = self.scope_of(viewer)
        if scope.viewer is None:
            raise NotFoundError(f"no post {post_id!r}")
        return route_post(self, post_id, scope, limit=limit, mode=mode)

    def unanswered(self, viewer: AnyViewer,
                   limit: int = 50) -> list[tuple[Hit, tuple[Expert, ...]]]:
        """Unanswered questions the viewer may read, with suggested experts."""
        scope = self.scope_of(viewer)
        return unanswered(self, scope, limit=limit) if scope.viewer is not None else []

    def topic(self, topic_id: str, viewer: AnyViewer, limit: int = 10,
              mode: str = "hybrid") -> TopicPage:
        """A curated topic's page as ``viewer`` may see it (NotFoundError if unknown)."""
        topic = self.topics.get(topic_id)
        scope = self.scope_of(viewer)
        if scope.viewer is None or not scope.readable:
            raise NotFoundError(f"no topic {topic_id!r}")
        return topic_page(self, topic, scope, limit=limit, mode=mode)

    def candidate_topics(self, viewer: AnyViewer, limit: int = 20) -> list[tuple[str, int]]:
        """Frequent tags and key phrases (of readable content) that no topic covers."""
        scope = self.scope_of(viewer)
        if scope.viewer is None:
            return []
        return candidate_topics(self, self.topics.all(), scope, limit=limit)

    def close(self) -> None:
        self.topics.close()

    def _credit(self, hits: list[Hit], scope: Scope,
                now: datetime) -> dict[str, list[tuple[float, Evidence]]]:
        """Model 2 over threads: each retrieved thread credits everyone in it by role."""
        top = max((h.score for h in hits), default=0.0)
        relevance: dict[str, float] = {}
        for hit in hits:
            root = self._root(hit)
            # scores of different modes differ in scale: relative to the best hit
            value = hit.score / top if top > 0 else 1.0  # filters only: all equal
            value *= THREAD_SHARE.get(hit.kind, 1.0)
            if value >= MIN_RELEVANCE:
                relevance[root] = max(relevance.get(root, 0.0), value)
        items = [i for i in self.searcher.catalog.thread_items(relevance)
                 if scope.can_read(i.group)]
        by_id = {i.id: i for i in items}
        accepted = {json.loads(i.data).get("accepted_answer") for i in items
                    if i.kind == "question"} - {None}
        shown = {h.id: h for h in hits}
        credits: dict[str, list[tuple[float, Evidence]]] = defaultdict(list)
        for item in items:
            if not item.author:
                continue
            root = self._item_root(item, by_id)
            role = _role(item, accepted)
            data = json.loads(item.data)
            credit = (relevance.get(root, 0.0) * ROLE_WEIGHTS[role]
                      * quality(int(data.get("score") or 0), int(data.get("reactions") or 0))
                      * recency(item.created, now, self.half_life_days))
            if credit > 0:
                credits[item.author].append((credit, self._evidence(item, data, role, credit,
                                                                    by_id, shown)))
        return credits

    def _root(self, hit: Hit) -> str:
        if hit.kind == "comment" and hit.parent:
            parent = self.searcher.catalog.item(hit.parent)
            return parent.parent if parent and parent.kind == "answer" and parent.parent \
                else hit.parent
        return hit.parent if hit.kind == "answer" and hit.parent else hit.id

    @staticmethod
    def _item_root(item: Item, by_id: dict[str, Item]) -> str:
        if item.kind in ("answer", "comment") and item.parent:
            parent = by_id.get(item.parent)
            if parent is not None and parent.kind == "answer" and parent.parent:
                return parent.parent
            return item.parent
        return item.id

    def _evidence(self, item: Item, data: dict[str, Any], role: str, credit: float,
                  by_id: dict[str, Item], shown: dict[str, Hit]) -> Evidence:
        root = by_id.get(self._item_root(item, by_id))
        title = item.title or (root.title if root else "") or item.text[:80]
        hit = shown.get(item.id)
        text = hit.snippet if hit else snippet(item.text, ())
        # the record's own link only when it is http(s) or mailto (never javascript:)
        url = safe_url(str(data.get("url") or "")) or f"/posts/{item.id}"
        return Evidence(item_id=item.id, title=title, snippet=text, url=url, role=role,
                        created=item.created, group=item.group, credit=round(credit, 4))

    def _profile_scores(self, text: str, people: dict[str, Person]) -> dict[str, float]:
        """Share of the subject's words found in each declared profile (skills first)."""
        language = detect_language(text)
        words = set(analyze(text, language))
        if not words:
            return {}
        scores: dict[str, float] = {}
        for ident, person in people.items():
            fields = self._profile_terms(person, language)
            value = sum(weight * len(words & fields[name]) for name, weight in
                        PROFILE_FIELDS.items())
            if value:
                scores[ident] = value / len(words)
        return scores

    def _profile_terms(self, person: Person, language: str) -> dict[str, set[str]]:
        key = f"{person.id}\0{language}\0{hash(person)}"
        if key not in self._profiles:
            self._profiles[key] = {
                "skills": set(analyze(" ".join(person.skills), language)),
                "title": set(analyze(person.title, language)),
                "department": set(analyze(person.department, language)),
                "about": set(analyze(person.about, language)),
            }
        return self._profiles[key]

    def _expert(self, person: Person, scored: tuple[float, dict[str, float]],
                credits: list[tuple[float, Evidence]], last: datetime | None, subject: str,
                state: str = "active") -> Expert:
        ranked = sorted(credits, key=lambda pair: -pair[0])
        evidence = tuple(e for _, e in ranked[:EVIDENCE_SHOWN])
        roles = [e.role for _, e in credits]
        answers = sum(r in ("answer", "accepted_answer") for r in roles)
        accepted = roles.count("accepted_answer")
        posts = len(roles)
        return Expert(person=person, score=round(scored[0], 4), components=scored[1],
                      evidence=evidence, answers=answers, accepted=accepted, posts=posts,
                      last_activity=last, why=why(subject, credits, person), state=state)

    def _inactive(self, scope: Scope, credits: dict[str, list[tuple[float, Evidence]]],
                  last: dict[str, datetime], subject: str) -> list[Expert]:
        everyone = self.rankable(scope, include_inactive=True)
        flagged = []
        for ident, person in sorted(everyone.items()):
            state = person_state(person)
            if state != "active" and credits.get(ident):
                flagged.append(self._expert(person, (0.0, {}), credits[ident],
                                            last.get(ident), subject, state))
        return flagged
