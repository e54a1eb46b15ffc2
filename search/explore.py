"""Around a result list: facet counts, "did you mean", and more like this.

All three see only what the viewer may read: facet counts come from the
permitted matching documents; spelling suggestions are words that occur in at
least one permitted document (a word that exists only in a secret group is never
suggested to an outsider); similar items are searched with the viewer's
permissions like any query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from core.records import COMPANY_FEED
from indexer.analysis import LANGUAGES, analyzer_for, fold, stop_words
from search.fusion import fuse
from search.query import ParsedQuery, Term, parse_query
from search.translate import TEXT_FIELDS, text_query

if TYPE_CHECKING:
    from search.engine import Hit, Searcher
    from search.lexical import LexicalView
    from search.scope import Scope

FACETS = {"group": "group", "author": "author", "type": "kind", "tag": "tags",
          "lang": "lang", "year": "year"}
MAX_FACET_VALUES = 20
MAX_EDITS = 2
# Automatic correction (searching for the readable word one letter away from a word no
# readable document contains): only words this long, made of letters only, one edit
# (an accent is a letter).  Measured in docs/tuning.md ("Searching for what was meant"):
# two edits, or shorter words, correct real but rare names into other words.
CORRECT_MIN_LETTERS = 5
CORRECT_MAX_WORDS = 8  # unknown words looked at per query (each costs about 1 ms)
LETTERS = "abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüÿœæ"


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


def facet_counts(scope: Scope, query: str | ParsedQuery,
                 also: Iterable[str] = ()) -> dict[str, list[FacetValue]]:
    """Counts per group, author, type, tag, language and year of the readable matches,
    and of the items ``also`` names (the hits a page shows: the semantic side's too)."""
    parsed = parse_query(query) if isinstance(query, str) else query
    searcher, allowed = scope.searcher, scope.readable
    if not allowed or parsed.is_empty():
        return {name: [] for name in (*FACETS, "kind")}
    docs = searcher._restriction_mask(parsed, scope)
    text = text_query(parsed, searcher.synonyms(scope, parsed))
    view = searcher._lexical_view()
    restriction = docs
    if text is not None:
        docs = docs & view.matches(text, view.collection(allowed))
    wanted = list(also)
    if wanted:  # each shown item's document, within what the viewer may read
        rowids = [item.rowid for item in searcher.catalog.items_by_id(wanted).values()
                  if item.group in allowed]
        docs = docs | (restriction & np.isin(view.column("rowid"), rowids))
    facets = {name: _top_values(name, _counts(view, field, docs), searcher)
              for name, field in FACETS.items()}
    facets["kind"] = _kinds(_counts(view, "group", docs), searcher)
    return facets


def _kinds(groups: dict[Any, int], searcher: Searcher) -> list[FacetValue]:
    """The group facet summed by the kind of each group (the company feed has none)."""
    counts: dict[str, int] = {}
    for raw, count in groups.items():
        group = searcher.groups.get(raw.decode() if isinstance(raw, bytes) else raw)
        if group is not None:
            counts[group.kind] = counts.get(group.kind, 0) + int(count)
    return [FacetValue(kind, kind, n) for kind, n in
            sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))]


def _counts(view: LexicalView, field: str, docs: np.ndarray) -> dict[str, int]:
    """How many of ``docs`` (a mask) have each value of ``field``."""
    if field == "tags":  # several per document: count the postings of each tag
        values, codes, postings = view.term_postings(field)
        counts = np.bincount(codes[docs[postings]], minlength=len(values))
    else:
        values, codes = view.codes(field)
        counts = np.bincount(codes[docs], minlength=len(values))
    return {value: int(n) for value, n in zip(values, counts, strict=False) if n}


def _top_values(name: str, counts: dict, searcher: Searcher) -> list[FacetValue]:
    values = []
    for raw, count in sorted(counts.items(), key=lambda pair: (-pair[1], str(pair[0]))):
        value = raw.decode() if isinstance(raw, bytes) else raw
        if value:  # documents without a tag (None) are not a tag value
            values.append(FacetValue(value, _label(name, value, searcher), int(count)))
    return values[:MAX_FACET_VALUES]


def _label(name: str, value: str, searcher: Searcher) -> str:
    if name == "group":
        group = searcher.groups.get(value)
        return group.name if group else ("company feed" if value == COMPANY_FEED else value)
    if name == "author":
        person = searcher.people.get(value)
        return person.name if person else value
    return value


def did_you_mean(scope: Scope, query: str) -> str | None:
    """The query with misspelt words replaced by words the viewer's documents contain."""
    parsed = parse_query(query)
    searcher, allowed = scope.searcher, scope.readable
    if not allowed:
        return None
    view = searcher._lexical_view()
    permission = view.permitted(allowed)
    changed, corrected = False, query
    for clause in parsed.clauses:
        if not isinstance(clause, Term) or clause.negated or len(clause.text) < 3:
            continue
        word = clause.text.lower()
        if view.count_in("spell", word, permission):
            continue
        best = _best_correction(view, word, permission)
        if best:
            corrected = corrected.replace(clause.text, best, 1)
            changed = True
    return corrected if changed else None


def corrections(scope: Scope, parsed: ParsedQuery) -> dict[str, str]:
    """Query word -> the readable word it was most likely meant to be, for each free word
    that no document the viewer may read contains (in any field, after analysis); empty
    when ``spelling_correction`` is off.

    The candidates are the words one edit away (an accent is a letter, the first letter
    is kept) that occur in a readable document, the most frequent among them there; so
    the answer depends only on what the viewer may read, never on a word of a group they
    cannot."""
    searcher, allowed = scope.searcher, scope.readable
    if not searcher.settings.spelling_correction:
        return {}
    words = [clause.text for clause in parsed.clauses
             if isinstance(clause, Term) and not clause.negated
             and len(clause.text) >= CORRECT_MIN_LETTERS and clause.text.isalpha()
             and not _stop_word(clause.text)]
    if not allowed or not words:
        return {}
    view = searcher._lexical_view()

    def make() -> dict[str, str]:
        permission = view.permitted(allowed)
        unknown = [word for word in dict.fromkeys(words)
                   if not _readable(view, word, permission)]
        found: dict[str, str] = {}
        for word in unknown[:CORRECT_MAX_WORDS]:
            best = _nearest_readable(view, word.lower(), permission)
            if best is not None:
                found[word] = best
        return found

    # computed once per viewer's groups, words and index version (the search, the page
    # and the answer all ask)
    return dict(view.memo(("corrections", allowed, tuple(words)), make))


def _stop_word(word: str) -> bool:
    """A stop word of any language: searched in none, so never a misspelling."""
    folded = fold(word.lower())
    return any(folded in stop_words(language) for language in LANGUAGES)


def _readable(view: LexicalView, word: str, permission: np.ndarray) -> bool:
    """Whether a readable document holds ``word`` as the search reads it: its analysed
    form in a text field of either language, or the tag (what :func:`word_query`
    matches; a word of several tokens counts as readable, it is never corrected)."""
    for field in TEXT_FIELDS:
        tokens = [token.text for token in analyzer_for(field.rsplit("_", 1)[1])(word)]
        if len(tokens) > 1 or (tokens and view.count_in(field, tokens[0], permission)):
            return True
    return bool(view.count_in("tags", word.lower(), permission))


def _nearest_readable(view: LexicalView, word: str, permission: np.ndarray) -> str | None:
    """The readable word one edit from ``word`` (a letter added, removed, replaced, or
    two swapped; an accent is a letter), the most frequent in readable documents among
    them.  The edits are looked up in the index's lexicon: far cheaper than Whoosh's
    automaton (15 ms a word on PIAF, docs/tuning.md)."""
    scored = [(-count, candidate) for candidate in view.known("spell", _one_edit(word))
              if (count := view.count_in("spell", candidate, permission))]  # readable only
    return min(scored)[1] if scored else None


def _one_edit(word: str) -> set[str]:
    """Every string one edit from ``word`` over the letters of French and English, its
    first letter kept (as Lucene's spell checkers do by default: people seldom mistype
    it, and changing it turns rare words into others, "tegmental" into "segmental")."""
    found: set[str] = set()
    for i in range(1, len(word) + 1):
        head, tail = word[:i], word[i:]
        if tail:
            found.add(head + tail[1:])
        if len(tail) > 1:
            found.add(head + tail[1] + tail[0] + tail[2:])
        for letter in LETTERS:
            found.add(head + letter + tail)
            if tail:
                found.add(head + letter + tail[1:])
    found.discard(word)
    return found


def _best_correction(view: LexicalView, word: str, permission: np.ndarray) -> str | None:
    """The readable word within two edits of ``word`` (Whoosh's automaton, first letter
    kept), the closest once accents are folded, then the most frequent."""
    reader = view.searcher.reader()
    candidates = [c.decode() if isinstance(c, bytes) else c
                  for c in reader.terms_within("spell", word, MAX_EDITS, prefix=1)]
    scored = []
    for candidate in candidates:
        if candidate == word:
            continue
        count = view.count_in("spell", candidate, permission)  # never suggest what they can't see
        if count:
            distance = _edit_distance(fold(word), fold(candidate))
            scored.append((distance, -count, candidate))
    return min(scored)[2] if scored else None


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def more_like_this(scope: Scope, item_id: str, limit: int = 10) -> list[Hit]:
    """Items like ``item_id`` (its key phrases and its own vectors), outside its thread.

    Empty when the viewer may not read the item itself."""
    searcher, person, allowed = scope.searcher, scope.viewer, scope.readable
    item = scope.item(item_id)
    if item is None:
        return []
    thread = {item.parent or item.id}
    phrases = [p for p, _ in searcher.catalog.keyphrases(item.rowid)][:8]
    words = " ".join(dict.fromkeys(" ".join([item.title, *phrases]).split()))
    parsed = parse_query(" ".join(words.split()[:40]).replace('"', " ") or item.title)
    rankings = {}
    restriction = searcher._restriction_mask(parsed, scope)
    text = text_query(parsed)
    if text is not None:
        rankings["lexical"] = searcher.lexical.ranking(text, restriction, allowed, 50)
    vectors = searcher.vectors
    if vectors is not None and len(vectors):
        own = np.nonzero(vectors.owners == item.rowid)[0]
        if len(own):
            query_vector = vectors.vectors(own[:1])[0]
            mask = searcher.semantic.group_mask(allowed)
            rankings["semantic"] = [(r, s) for r, _, s in vectors.search(query_vector, 150, mask)]
    fused = fuse(searcher.settings.fusion, rankings, searcher.settings.semantic_weight)
    items = searcher.catalog.items_by_rowid(r for r, _ in fused)
    kept, threads = [], set(thread)
    for rowid, score in fused:  # one result per other thread
        other = items.get(rowid)
        if other is None or (other.parent or other.id) in threads:
            continue
        threads.add(other.parent or other.id)
        kept.append((rowid, score))
    return searcher._ranked_hits(kept, parsed, rankings, person, allowed, limit)
