"""A parsed query as Whoosh queries: the scored text part and the filter part.

Words are analysed with each language's analyzer and searched in the title,
body and tag fields of both languages (BM25F, titles and tags boosted).  Free
words are optional (more matches score higher; alone, at least one must match);
phrases and ``OR`` groups are required, and beside them the free words only rank what
they match; negated words and phrases exclude.  Filters become an
unscored Whoosh filter query that is combined with the viewer's permissions.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from whoosh import query as wq

from core.records import Group, Person
from indexer.analysis import LANGUAGES, analyzer_for, fold
from search.curation import normalise
from search.query import AllOf, AnyOf, Filter, Node, ParsedQuery, Phrase, Term

# The body field holds the title too, so a title word scores body + 0.5 x title: titles
# weigh more than bodies without drowning them (measured on both development sets).
FIELD_BOOSTS = {"title": 0.5, "body": 1.0}
TAG_BOOST = 1.5
TEXT_FIELDS = tuple(f"{name}_{lang}" for name in FIELD_BOOSTS for lang in LANGUAGES)
# Word pairs: two consecutive words of the query (stop words left out, as the index
# leaves them out) found side by side in a body add their words' scores again, times
# this boost (a sequential-dependence feature).  Measured in docs/tuning.md ("Word
# pairs"): on for French only, where it wins on both PIAF halves; it lost on SciFact.
PAIR_BOOST = 0.25
MAX_PAIRS = 16  # per language: a long query's pairs cost phrase matches


def _analyzed(text: str, field: str) -> list[str]:
    return [token.text for token in analyzer_for(field.rsplit("_", 1)[1])(text)]


def word_query(word: str) -> wq.Query:
    """One word in every text field (each with its own analyzer) and in the tags."""
    parts: list[wq.Query] = []
    for field in TEXT_FIELDS:
        tokens = _analyzed(word, field)
        boost = FIELD_BOOSTS[field.split("_")[0]]
        if len(tokens) == 1:
            parts.append(wq.Term(field, tokens[0], boost=boost))
        elif tokens:  # "l'équipe-projet", "CI/CD": several tokens, kept together
            parts.append(wq.Phrase(field, tokens, boost=boost))
    parts.append(wq.Term("tags", word.lower(), boost=TAG_BOOST))
    return wq.Or(parts)


def phrase_query(words: Iterable[str], text: str) -> wq.Query:
    parts: list[wq.Query] = []
    for field in TEXT_FIELDS:
        tokens = _analyzed(text, field)
        if tokens:
            boost = FIELD_BOOSTS[field.split("_")[0]]
            parts.append(wq.Phrase(field, tokens, boost=boost) if len(tokens) > 1
                         else wq.Term(field, tokens[0], boost=boost))
    return wq.Or(parts) if parts else wq.NullQuery


Synonyms = Mapping[str, tuple[str, ...]]


def expression_query(text: str) -> wq.Query:
    """A word or a multi-word expression (a synonym, an acronym's expansion)."""
    words = text.split()
    return word_query(text) if len(words) == 1 else phrase_query(words, text)


def _with_synonyms(query: wq.Query, text: str, synonyms: Synonyms) -> wq.Query:
    alternatives = synonyms.get(normalise(text), ())
    return wq.Or([query, *map(expression_query, alternatives)]) if alternatives else query


def node_query(node: Node, synonyms: Synonyms | None = None) -> wq.Query:
    """The Whoosh query of a clause, ignoring its negation (handled by the caller)."""
    synonyms = synonyms or {}
    if isinstance(node, Term):
        return _with_synonyms(word_query(node.text), node.text, synonyms)
    if isinstance(node, Phrase):
        return _with_synonyms(phrase_query(node.words, node.text), node.text, synonyms)
    if isinstance(node, AnyOf):
        return wq.Or([node_query(option, synonyms) for option in node.options])
    if isinstance(node, AllOf):
        return wq.And([node_query(part, synonyms) for part in node.parts])
    raise TypeError(f"unexpected query node {node!r}")


def multiword_synonyms(parsed: ParsedQuery, synonyms: Synonyms) -> list[wq.Query]:
    """Alternatives of expressions typed as consecutive free words ("réseau social
    d'entreprise" typed without quotes finds "RSE" too)."""
    words = [c.text for c in parsed.clauses if isinstance(c, Term) and not c.negated]
    found: list[wq.Query] = []
    for size in range(min(5, len(words)), 1, -1):
        for start in range(len(words) - size + 1):
            key = normalise(" ".join(words[start : start + size]))
            found.extend(expression_query(alt) for alt in synonyms.get(key, ()))
    return found


def pair_queries(parsed: ParsedQuery, languages: Iterable[str]) -> list[wq.Query]:
    """The word pairs of the free words, as exact two-word phrases in the bodies of
    ``languages``: optional clauses, so they reorder what the words match and never
    match anything more.  Scored like any phrase (the sum of its words' scores over what
    the viewer may read), so they depend on readable content only."""
    words = [c.text for c in parsed.clauses if isinstance(c, Term) and not c.negated]
    parts: list[wq.Query] = []
    for lang in LANGUAGES:
        if lang not in languages:
            continue
        field = f"body_{lang}"
        tokens = [token for word in words for token in _analyzed(word, field)]
        pairs = list(dict.fromkeys((a, b) for a, b in itertools.pairwise(tokens) if a != b))
        parts.extend(wq.Phrase(field, list(pair), boost=PAIR_BOOST)
                     for pair in pairs[:MAX_PAIRS])
    return parts


def text_query(parsed: ParsedQuery, synonyms: Synonyms | None = None,
               pairs: Iterable[str] = ()) -> wq.Query | None:
    """The scored part: None when the query has no positive words or phrases.  ``pairs``:
    the languages whose bodies score consecutive query words found side by side."""
    synonyms = synonyms or {}
    optional = [node_query(c, synonyms) for c in parsed.clauses
                if isinstance(c, Term) and not c.negated]
    optional += multiword_synonyms(parsed, synonyms)
    if optional:
        optional += pair_queries(parsed, frozenset(pairs))
    required = [node_query(c, synonyms) for c in parsed.clauses
                if not isinstance(c, Term) and not getattr(c, "negated", False)]
    excluded = [node_query(c) for c in parsed.clauses if getattr(c, "negated", False)]
    if not optional and not required:
        return None
    # with required phrases or groups, the free words rank what those match: they may
    # all be missing ("qu'est-ce que la" before a quoted phrase: only stop words)
    positive: wq.Query = (wq.AndMaybe(wq.And(required), wq.Or(optional)) if required and optional
                          else wq.And(required or [wq.Or(optional)]))
    return wq.AndNot(positive, wq.Or(excluded)) if excluded else positive


class FilterContext:
    """What filters need to resolve names: the groups and people the viewer may know."""

    def __init__(self, groups: Iterable[Group], people: Iterable[Person]) -> None:
        self.groups = list(groups)
        self.people = list(people)

    def group_ids(self, value: str) -> list[str]:
        wanted = fold(value.lower())
        exact = [g.id for g in self.groups if g.id == value or fold(g.name.lower()) == wanted]
        return exact or [g.id for g in self.groups if wanted in fold(g.name.lower())]

    def person_ids(self, value: str) -> list[str]:
        wanted = fold(value.lower())
        exact = [p.id for p in self.people if p.id == value or fold(p.name.lower()) == wanted]
        return exact or [p.id for p in self.people if wanted in fold(p.name.lower())]


def _any_term(field: str, values: Iterable[str]) -> wq.Query:
    terms = [wq.Term(field, v) for v in values]
    return wq.Or(terms) if terms else wq.NullQuery


def _date(value: str) -> datetime:
    return datetime.fromisoformat(value)


STATE_QUERIES = {
    "unanswered": wq.And([wq.Term("kind", "question"), wq.Term("answered", False)]),
    "accepted": wq.Term("accepted", True),
}
FILTERS: dict[str, Callable[[Filter, FilterContext], wq.Query]] = {
    "group": lambda f, ctx: _any_term("group", [g for v in f.values for g in ctx.group_ids(v)]),
    "kind": lambda f, ctx: _any_term("group", [g.id for g in ctx.groups if g.kind in f.values]),
    "author": lambda f, ctx: _any_term("author", [p for v in f.values
                                                  for p in ctx.person_ids(v)]),
    "type": lambda f, ctx: _any_term("kind", f.values),
    "tag": lambda f, ctx: _any_term("tags", f.values),
    "lang": lambda f, ctx: _any_term("lang", f.values),
    "after": lambda f, ctx: wq.DateRange("created", _date(f.values[0]), None),
    "before": lambda f, ctx: wq.DateRange("created", None, _date(f.values[0]),
                                          endexcl=True),
    "is": lambda f, ctx: wq.Or([STATE_QUERIES[v] for v in f.values]),
}


def filter_query(parsed: ParsedQuery, context: FilterContext) -> wq.Query | None:
    """The unscored filter part of the query (None when there are no filters)."""
    parts: list[wq.Query] = []
    for item in parsed.filters:
        translated = FILTERS[item.name](item, context)
        parts.append(wq.Not(translated) if item.negated else translated)
    if not parts:
        return None
    return wq.And(parts)
