"""Key phrases per item, stored in the catalog: they feed topics and expertise.

French phrases are noun phrases found by part of speech with spaCy's
``fr_core_news_sm`` (see ``indexer.french_phrases``).  Other languages use a fast
extractor in the spirit of RAKE: stop words and punctuation cut the text into
candidate phrases.  Phrases score by the degree/frequency of their words; variants
of one phrase ("notes de frais", "note de frais") share a :func:`topic_key` and
count as one, shown as the most frequent form.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence

from indexer.analysis import fold, stop_words
from indexer.catalog import Catalog, Item

log = logging.getLogger(__name__)

MAX_WORDS = 3
TOP_PHRASES = 8
MAX_CHARS = 20_000
# of the extractor: a catalog extracted by another re-extracts every item (5: French
# interrogatives end phrases, as other stop words do)
VERSION = 5
META_KEY = "keyphrases_generation"
VERSION_KEY = "keyphrases_version"
BATCH_ITEMS = 256
# Words that never name a subject, beyond the stop words (modals, numbers, greetings).
ENGLISH_FILLERS = frozenset("""
    could would might must shall may also still get got gets getting keep kept think thought
    sure thanks thank please hi hello hey yes yeah ok okay really anyone someone anything
    something everything every following like want feel need make see know let good great
    one two three four five six seven eight nine ten""".split())

_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|[^\w\s]", re.UNICODE)
_LETTERS = re.compile(r"[^\W\d_]+")
_PLURALS = (("eaux", "eau"), ("aux", "al"), ("eux", "eu"), ("s", ""))

Candidate = tuple[str, tuple[str, ...]]  # (surface, content words)


def _singular(word: str) -> str:
    if len(word) > 3 and not word.endswith("ss"):
        for suffix, singular in _PLURALS:
            if word.endswith(suffix):
                return word[: -len(suffix)] + singular
    return word


def word_key(word: str) -> str:
    """A word folded for comparison: lower case, no accents, regular plurals made
    singular (bureaux -> bureau, notes -> note)."""
    return _LETTERS.sub(lambda m: _singular(m.group()), fold(word.lower().replace("’", "'")))


def topic_key(phrase: str) -> str:
    """What variants of one phrase or tag share: "Notes de frais" and "note de frais"."""
    return " ".join(word_key(w) for w in phrase.replace("-", " ").split())


@functools.cache
def _stop_words(language: str) -> frozenset[str]:
    words = stop_words("fr" if language == "fr" else "en")
    return words if language == "fr" else words | ENGLISH_FILLERS


def _rake_candidates(text: str, language: str) -> list[Candidate]:
    """Runs of content words between stop words and punctuation."""
    stop = _stop_words(language)
    phrases: list[Candidate] = []
    current: list[str] = []

    def close() -> None:
        if current and len(current) <= MAX_WORDS:
            phrases.append((" ".join(current), tuple(current)))
        current.clear()

    for match in _WORDS.finditer(text[:MAX_CHARS]):
        word = match.group().lower()
        if word.isalpha() and len(word) > 1 and word not in stop:
            current.append(word)
        else:
            close()
    close()
    return phrases


def ranked(candidates: Sequence[Candidate], top: int = TOP_PHRASES) -> list[tuple[str, float]]:
    """The ``top`` phrases with their scores, best first: each word scores its
    degree/frequency, a phrase the sum of its words plus its own count."""
    frequency: Counter[str] = Counter()
    degree: defaultdict[str, int] = defaultdict(int)
    words: dict[str, tuple[str, ...]] = {}
    forms: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for text, content in candidates:
        keys = tuple(word_key(w) for w in content)
        for key in keys:
            frequency[key] += 1
            degree[key] += len(keys)
        phrase = topic_key(text)
        words.setdefault(phrase, keys)
        forms[phrase][text] += 1
    scored = []
    for phrase, keys in words.items():
        label = forms[phrase].most_common(1)[0][0]  # the most frequent, then the first
        score = sum(degree[k] / frequency[k] for k in keys) + sum(forms[phrase].values())
        scored.append((label, round(score, 3)))
    return sorted(scored, key=lambda pair: (-pair[1], pair[0]))[:top]


def extract_keyphrases(title: str, text: str, language: str,
                       top: int = TOP_PHRASES) -> list[tuple[str, float]]:
    """The ``top`` key phrases of a text with their scores, best first."""
    return next(extract_many([(title, text, language)], top))


def extract_many(texts: Iterable[tuple[str, str, str]],
                 top: int = TOP_PHRASES) -> Iterator[list[tuple[str, float]]]:
    """Key phrases of many (title, text, language) at once, in order: French texts are
    tagged together, in batches (the same phrases as one at a time)."""
    entries = list(texts)
    french = [i for i, (_, _, language) in enumerate(entries) if language == "fr"]
    tagged: dict[int, list[Candidate]] = {}
    if french:
        from indexer import french_phrases

        docs = french_phrases.tag(french_phrases.french_text(*entries[i][:2]) for i in french)
        tagged = {i: french_phrases.candidates(doc) for i, doc in zip(french, docs, strict=True)}
    for i, (title, text, language) in enumerate(entries):
        found = tagged[i] if i in tagged else _rake_candidates(f"{title}.\n{text}", language)
        yield ranked(found, top)


def keyphrases_since(catalog: Catalog) -> int:
    """The generation key phrases are up to (0 when another extractor version made them)."""
    if catalog.get_meta(VERSION_KEY) != str(VERSION):
        return 0
    return int(catalog.get_meta(META_KEY) or 0)


def _batches(items: Iterator[Item]) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH_ITEMS:
            yield batch
            batch = []
    if batch:
        yield batch


def catch_up_keyphrases(catalog: Catalog, progress: object | None = None) -> int:
    """Extract key phrases of every item changed since the last run (of every item
    after a change of extractor version)."""
    since = keyphrases_since(catalog)
    target = catalog.generation
    if target <= since and catalog.get_meta(VERSION_KEY) == str(VERSION):
        return 0
    done = 0
    catalog.db.execute("BEGIN IMMEDIATE")
    try:
        for batch in _batches(catalog.changed_items(since, target)):
            live = [item for item in batch if not item.deleted]
            phrases = extract_many((i.title, i.text, i.lang) for i in live)
            for item, found in zip(live, phrases, strict=True):
                catalog.put_keyphrases(item.rowid, found)
            done += len(batch)
            if progress is not None:
                progress.update(len(batch))  # type: ignore[attr-defined]
        catalog.set_meta(META_KEY, str(target))
        catalog.set_meta(VERSION_KEY, str(VERSION))
        catalog.db.execute("COMMIT")
    except BaseException:
        catalog.db.execute("ROLLBACK")
        raise
    return done
