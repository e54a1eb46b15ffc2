"""Key phrases per item, stored in the catalog: they feed topics and expertise.

A fast, language-aware extractor in the spirit of RAKE: a word tokenizer that
knows French elision splits the text, stop words and punctuation
cut it into candidate phrases (French keeps ``de``/``d’``/``du``/``des`` inside a
phrase, as in "notes de frais"), and phrases score by the degree/frequency of
their words.  It costs a fraction of a millisecond per post, so indexing stays bound
by the embedding model rather than by phrase extraction.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter, defaultdict

from indexer.analysis import fold, stop_words
from indexer.catalog import Catalog

log = logging.getLogger(__name__)

MAX_WORDS = 3
TOP_PHRASES = 8
META_KEY = "keyphrases_generation"
FRENCH_CONNECTORS = frozenset({"de", "d'", "d’", "du", "des", "à", "en"})


_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|[^\w\s]", re.UNICODE)
_ELIDED = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)


@functools.cache
def _stop_words(language: str) -> frozenset[str]:
    return stop_words(language)


def _candidates(text: str, language: str) -> list[tuple[str, ...]]:
    """Runs of content words between stop words and punctuation."""
    stop_words = _stop_words("fr" if language == "fr" else "en")
    connectors = FRENCH_CONNECTORS if language == "fr" else frozenset()
    phrases: list[tuple[str, ...]] = []
    current: list[str] = []

    def close() -> None:
        while current and current[-1] in connectors:
            current.pop()
        if current and sum(w not in connectors for w in current) <= MAX_WORDS:
            phrases.append(tuple(current))
        current.clear()

    for match in _WORDS.finditer(text[:20_000]):
        word = match.group().lower()
        if language == "fr" and (elided := _ELIDED.match(word)):
            close()  # "l'équipe": the article ends the phrase, the noun may start one
            if elided.group().rstrip("'’") == "d" and current:
                current.append("d'")
            word = word[elided.end():]
        if current and word in connectors:
            current.append(word)
        elif word.isalpha() and len(word) > 1 and word not in stop_words:
            current.append(word)
        else:
            close()
    close()
    return phrases


def extract_keyphrases(title: str, text: str, language: str,
                       top: int = TOP_PHRASES) -> list[tuple[str, float]]:
    """The ``top`` key phrases of a text with their scores, best first."""
    candidates = _candidates(f"{title}.\n{text}", language)
    frequency: Counter[str] = Counter()
    degree: defaultdict[str, int] = defaultdict(int)
    for phrase in candidates:
        content = [w for w in phrase if w not in FRENCH_CONNECTORS]
        for word in content:
            frequency[word] += 1
            degree[word] += len(content)
    scores: dict[str, float] = {}
    for phrase in candidates:
        content = [w for w in phrase if w not in FRENCH_CONNECTORS]
        if not content:
            continue
        key = " ".join(phrase)
        scores[key] = sum(degree[w] / frequency[w] for w in content) + candidates.count(phrase)
    ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
    unique: dict[str, tuple[str, float]] = {}
    for text, score in ranked:
        unique.setdefault(fold(text), (text, round(score, 3)))
    return list(unique.values())[:top]


def catch_up_keyphrases(catalog: Catalog, progress: object | None = None) -> int:
    """Extract key phrases of every item changed since the last run."""
    since = int(catalog.get_meta(META_KEY) or 0)
    target = catalog.generation
    if target <= since:
        return 0
    done = 0
    catalog.db.execute("BEGIN IMMEDIATE")
    try:
        for item in catalog.changed_items(since, target):
            if not item.deleted:
                catalog.put_keyphrases(item.rowid, extract_keyphrases(item.title, item.text,
                                                                      item.lang))
            done += 1
            if progress is not None:
                progress.update(1)  # type: ignore[attr-defined]
        catalog.set_meta(META_KEY, str(target))
        catalog.db.execute("COMMIT")
    except BaseException:
        catalog.db.execute("ROLLBACK")
        raise
    return done
