"""The people directory: look a colleague up by name, title, department, site, company,
declared skill or demonstrated topic, with facets and paging.

Who is listed is who the viewer may see ranked (:meth:`ExpertFinder.rankable`):
employees see employees and the guests of groups they read; guests see only people of
the groups they share.  Departed people are listed, flagged, to KM leads only.
Opted-out people are found by their profile (name, title, department...) but never by
what they wrote: no demonstrated topic, no expertise shown.

Matching (names are folded: case and accents do not count): a query word matches a
profile word that equals it, starts with it (prefixes from two letters: "as you type"
through a plain submit), or, for names, is one or two edits away (one from four letters,
two from eight: "Mathieu" finds "Matthieu").  Every query word must match somewhere; a
match in the name counts most, then a declared skill, the title, the department, site
and company.  Demonstrated topics come from the expert ranking of the query (permitted
search over what the viewer may read), so "kubernetes" also finds those who answered
about it without declaring it.  Facets: department, site and the kinds of the readable
groups a person belongs to; counts are over every match (filters applied), before paging.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz.distance import DamerauLevenshtein

from core.records import Person
from expertise.people import person_state
from indexer.analysis import fold

if TYPE_CHECKING:
    from expertise.finder import ExpertFinder
    from search import Scope

PAGE_SIZE = 20
MAX_QUERY_WORDS = 8
EXPERTS_CONSIDERED = 30
FACETS = ("department", "site", "group_kind")
# how much a match in each field counts (exact; a prefix or a typo counts less)
WEIGHTS = {"name": 4.0, "skill": 2.5, "topic": 2.0, "title": 1.5, "department": 1.2,
           "site": 1.0, "company": 0.8}
PREFIX_SHARE, TYPO_SHARE = 0.7, 0.5
_WORDS = re.compile(r"[\w'’-]+")


def _words(text: str) -> list[str]:
    return [fold(w.lower()).strip("'’-") for w in _WORDS.findall(text) if w.strip("'’-")]


def _typo_budget(word: str) -> int:
    return 2 if len(word) >= 8 else 1 if len(word) >= 4 else 0


def _word_match(query: str, words: list[str], typos: bool) -> float:
    """The best share (1 exact, prefix, typo, 0) of one query word against ``words``."""
    best = 0.0
    for word in words:
        if word == query:
            return 1.0
        if len(query) >= 2 and word.startswith(query):
            best = max(best, PREFIX_SHARE)
        elif typos and best < TYPO_SHARE:
            budget = _typo_budget(query)
            if budget and DamerauLevenshtein.distance(query, word, score_cutoff=budget) <= budget:
                best = TYPO_SHARE
    return best


@dataclass(frozen=True)
class Listing:
    """One person in the directory."""

    person: Person
    state: str                       # active, departed, opted_out
    score: float
    matched: tuple[str, ...]         # the fields the query matched
    topics: tuple[str, ...] = ()     # demonstrated topics that matched (never if opted out)
    group_kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Directory:
    query: str
    people: list[Listing]
    total: int
    page: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    @property
    def more(self) -> bool:
        return self.page * PAGE_SIZE < self.total


def _fields(person: Person, with_skills: bool = True) -> dict[str, list[str]]:
    """A person's words by field; no skills for someone opted out (no expertise shown)."""
    skills = " ".join(person.skills) if with_skills else ""
    return {"name": _words(person.name), "skill": _words(skills),
            "title": _words(person.title), "department": _words(person.department),
            "site": _words(person.location), "company": _words(person.company)}


def _expert_topics(finder: ExpertFinder, query: str, scope: Scope) -> dict[str, str]:
    """person id -> a label of what they demonstrably know about ``query`` (the expert
    ranking over the viewer's readable groups; opted-out people are never in it)."""
    if not query.strip():
        return {}
    from search import QuerySyntaxError
    from search.query import words_query

    try:
        experts = finder.experts(words_query(query), scope, limit=EXPERTS_CONSIDERED,
                                 mode="lexical")
    except QuerySyntaxError:
        return {}
    return {e.person.id: query.strip() for e in experts if e.evidence}


def _profile_match(words: list[str], fields: dict[str, list[str]]
                   ) -> list[tuple[float, str]]:
    """Per query word: its best weighted share over the profile's fields, and where."""
    out = []
    for word in words:
        best, where = 0.0, ""
        for name, values in fields.items():
            share = _word_match(word, values, typos=name == "name") * WEIGHTS[name]
            if share > best:
                best, where = share, name
        out.append((best, where))
    return out


def search_people(finder: ExpertFinder, viewer: Scope, query: str = "",
                  filters: dict[str, str] | None = None, page: int = 1,
                  km_view: bool = False) -> Directory:
    """People matching ``query`` (everyone the viewer may see when it is empty), narrowed
    by ``filters`` (facet -> value), best first, one page.  A query that is someone's
    name (every word in one person's name) looks up names only: "Karim" should not list
    everyone who once wrote "Bonjour Karim"."""
    searcher, allowed = finder.searcher, viewer.readable
    people = [p for p in finder.rankable(viewer, include_inactive=True).values()
              if km_view or person_state(p) != "departed"]
    words = _words(query)[:MAX_QUERY_WORDS]
    kinds_of: dict[str, set[str]] = {}
    for group in (searcher.groups[g] for g in allowed if g in searcher.groups):
        for member in group.members | group.guests:
            kinds_of.setdefault(member, set()).add(group.kind)
    matches = {p.id: _profile_match(words, _fields(p, with_skills=person_state(p) != "opted_out"))
               for p in people}
    is_name = bool(words) and any(all(where == "name" for _, where in m)
                                  for m in matches.values())
    topics = _expert_topics(finder, query, viewer) if words and not is_name else {}
    found: list[Listing] = []
    for person in people:
        state = person_state(person)
        demonstrated = person.id in topics and state != "opted_out"  # no expertise shown
        shares = [(best, where) if best or not demonstrated else (WEIGHTS["topic"], "topic")
                  for best, where in matches[person.id]]
        if any(best == 0.0 for best, _ in shares):
            continue  # every word must match
        score = sum(best for best, _ in shares)
        matched = {where for _, where in shares}
        if demonstrated and "topic" not in matched:
            score += WEIGHTS["topic"] / 2  # also demonstrated: ahead of those who only say so
        found.append(Listing(person, state, score, tuple(sorted(matched)),
                             (topics[person.id],) if demonstrated else (),
                             tuple(sorted(kinds_of.get(person.id, ())))))
    for name, value in (filters or {}).items():
        found = [listing for listing in found if value in _facet_values(listing, name)]
    facets = _facets(found)
    found.sort(key=lambda listing: (-listing.score, fold(listing.person.name.lower()),
                                    listing.person.id))
    start = (page - 1) * PAGE_SIZE
    return Directory(query, found[start:start + PAGE_SIZE], len(found), page, facets)


def _facet_values(listing: Listing, name: str) -> tuple[str, ...]:
    person = listing.person
    if name == "department":
        return (person.department,) if person.department else ()
    if name == "site":
        return (person.location,) if person.location else ()
    if name == "group_kind":
        return listing.group_kinds
    raise ValueError(f"unknown facet {name!r} (valid: {', '.join(FACETS)})")


def _facets(found: list[Listing]) -> dict[str, list[tuple[str, int]]]:
    out = {}
    for name in FACETS:
        counts: Counter[str] = Counter()
        for listing in found:
            counts.update(_facet_values(listing, name))
        out[name] = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return out
