"""Person pages: demonstrated topics with evidence, declared skills, and the gap.

Demonstrated topics come from the tags and key phrases of what a person wrote and
answered (an answer takes its question's tags), weighted by role, counted only
in groups the viewer may read.  Topics demonstrated but not declared become
profile-enrichment suggestions; declared skills nothing supports are shown as
declared only.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.records import Person
from expertise.records import Evidence, Expert
from expertise.scoring import ROLE_WEIGHTS
from expertise.words import QUESTION_WORDS
from indexer import Item, topic_key
from indexer.analysis import analyze, detect_language, fold, stop_words
from search import ParsedQuery, Scope
from search.query import AnyOf, Phrase, Term

if TYPE_CHECKING:
    from expertise.finder import ExpertFinder

TOPICS_SHOWN = 10
MIN_SUPPORT = 2      # a topic is demonstrated by at least two items (or one accepted answer)
KEYPHRASES_PER_ITEM = 3
SUGGESTIONS = 5


@dataclass(frozen=True)
class DemonstratedTopic:
    """A subject a person demonstrably knows, with the items that show it."""

    name: str
    weight: float
    items: int
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class PersonPage:
    """What the viewer may know of a person's expertise."""

    person: Person
    state: str                     # active, departed, opted_out
    topics: tuple[DemonstratedTopic, ...]
    declared: tuple[str, ...]
    suggestions: tuple[str, ...]   # demonstrated, not declared (shown to them and KM leads)
    declared_only: tuple[str, ...]
    groups: tuple[tuple[str, str], ...]  # (id, name) of readable groups they are active in
    similar: tuple[Person, ...]
    activity: dict[str, int]
    last_activity: datetime | None
    hidden_topics: tuple[str, ...] = ()  # topics the person hid (listed to them only)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _terms(text: str) -> frozenset[str]:
    return frozenset(analyze(text, detect_language(text)))


def _matches(skill: str, topic: str) -> bool:
    """Same subject: one's analysed words contain the other's (accent- and stem-blind)."""
    a, b = _terms(skill), _terms(topic)
    return bool(a and b) and (a <= b or b <= a) or fold(skill.lower()) == fold(topic.lower())


def person_state(person: Person) -> str:
    """active, departed or opted_out: how a person may appear in rankings."""
    if person.status != "active":
        return "departed"
    return "opted_out" if person.opted_out else "active"


def _written_about(skill: str, items: list[Item]) -> bool:
    """The skill's words occur together in at least MIN_SUPPORT of the person's items."""
    words = _terms(skill)
    if not words:
        return False
    found = 0
    for item in items:
        if words <= _terms(f"{item.title} {item.text}"):
            found += 1
            if found >= MIN_SUPPORT:
                return True
    return False


_STOP = stop_words("fr") | stop_words("en") | QUESTION_WORDS


def _topic_like(phrase: str) -> bool:
    """A key phrase worth showing as a topic: it neither starts nor ends with a stop word."""
    words = fold(phrase.lower()).split()
    return bool(words) and words[0] not in _STOP and words[-1] not in _STOP


def person_page(finder: ExpertFinder, person_id: str, scope: Scope,
                show_suggestions: bool) -> PersonPage | None:
    """The page, or None when the viewer may not see this person at all."""
    person = finder.rankable(scope, include_inactive=True).get(person_id)
    if person is None or scope.viewer is None:
        return None
    viewer = scope.viewer
    catalog = finder.searcher.catalog
    choices = finder.searcher.profiles.choices(person_id)
    items = [i for i in catalog.items_by_author(person_id) if scope.can_read(i.group)]
    shown = _topics(finder, items, scope)
    topics = tuple(t for t in shown if not choices.hides(t.name))  # hidden by the person
    names = [t.name for t in topics]
    declared = tuple(person.skills)  # with the suggestions they accepted
    suggestions = tuple(n for n in names if not any(_matches(s, n) for s in declared)
                        and not choices.dismissed_skill(n)
                        )[:SUGGESTIONS] if show_suggestions else ()
    declared_only = tuple(s for s in declared if not any(_matches(s, n) for n in names)
                          and not _written_about(s, items))
    known = finder.searcher.groups
    groups = tuple(sorted({(g, known[g].name) for g in {i.group for i in items} if g in known},
                          key=lambda g: g[1]))
    kinds: dict[str, int] = defaultdict(int)
    for item in items:
        kinds[item.kind] += 1
    return PersonPage(person=person, state=person_state(person), topics=topics, declared=declared,
                      suggestions=suggestions, declared_only=declared_only, groups=groups,
                      similar=_similar(finder, person, names, scope),
                      activity=dict(kinds), last_activity=items[0].created if items else None,
                      hidden_topics=choices.hidden_topics if viewer.id == person_id else ())


def _topics(finder: ExpertFinder, items: list[Item],
            scope: Scope) -> tuple[DemonstratedTopic, ...]:
    parents = scope.items(i.parent for i in items if i.parent)
    phrases = finder.searcher.catalog.keyphrases_of(i.rowid for i in items)
    weight: dict[str, float] = defaultdict(float)
    support: dict[str, list[tuple[float, Item, str]]] = defaultdict(list)
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        parent = parents.get(item.parent or "")
        accepted = (parent is not None and item.kind == "answer"
                    and json.loads(parent.data).get("accepted_answer") == item.id)
        role = ("accepted_answer" if accepted else item.kind if item.kind in ROLE_WEIGHTS
                else "author")
        tags = item.tags or (parent.tags if parent is not None else ())
        names = list(tags) + [p for p, _ in phrases.get(item.rowid, [])[:KEYPHRASES_PER_ITEM]
                              if _topic_like(p)]
        named: dict[str, str] = {}  # one topic per item for "notes de frais", "note de frais"
        for name in names:
            named.setdefault(topic_key(name), name)
        for key, name in named.items():
            labels[key][name] += 1
            weight[key] += ROLE_WEIGHTS[role]
            support[key].append((ROLE_WEIGHTS[role], item, role))
    topics = []
    for key, total in sorted(weight.items(), key=lambda pair: -pair[1]):
        backing = sorted(support[key], key=lambda t: (-t[0], t[1].created))
        if len(backing) < MIN_SUPPORT and backing[0][2] != "accepted_answer":
            continue
        evidence = tuple(Evidence(item_id=i.id, title=i.title or (parents[i.parent].title if
                                                                  i.parent in parents else ""),
                                  snippet=i.text[:200], url=f"/posts/{i.id}", role=role,
                                  created=i.created, group=i.group, credit=w)
                         for w, i, role in backing[:3])
        label = labels[key].most_common(1)[0][0]  # the most frequent form, then the first
        topics.append(DemonstratedTopic(label, round(total, 3), len(backing), evidence))
        if len(topics) == TOPICS_SHOWN:
            break
    return tuple(topics)


def _similar(finder: ExpertFinder, person: Person, topics: list[str],
             viewer: Scope) -> tuple[Person, ...]:
    """People ranked as experts on this person's top topics (lexical: cheap)."""
    if not topics:
        return ()
    options = tuple(Phrase(tuple(t.split()), t) if " " in t else Term(t) for t in topics[:3])
    query = ParsedQuery(clauses=(AnyOf(options),), filters=())
    found: list[Expert] = finder.experts(query, viewer, limit=6, mode="lexical",
                                         exclude={person.id})
    return tuple(e.person for e in found[:5])
