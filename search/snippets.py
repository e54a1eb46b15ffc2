"""Snippets: the passage of an item's text that best shows why it matched."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from indexer.analysis import analyze, fold, stop_words

SNIPPET_CHARS = 240
_WORD = re.compile(r"\w+")


_STOP = frozenset(fold(w) for lang in ("fr", "en") for w in stop_words(lang))


def query_words(terms: Iterable[str]) -> frozenset[str]:
    """The folded words of the query terms worth showing: not the stop words of either
    language ("de" in "notes de frais"), unless the query has nothing else."""
    words = {fold(w.lower()) for term in terms for w in _WORD.findall(term) if len(w) > 1}
    content = {w for w in words if w not in _STOP}
    return frozenset(content or words)


def snippet(text: str, terms: Iterable[str], size: int = SNIPPET_CHARS) -> str:
    """A window of ``text`` around the densest run of query words (accent- and case-blind)."""
    words = query_words(terms)
    folded = fold(text.lower())
    positions = [m.start() for m in _whole_words(frozenset(words)).finditer(folded)]
    start = _densest_start(positions, size) if positions else 0
    start = max(0, start - size // 4)
    space = text.rfind(" ", 0, start) if start else -1
    start = space + 1 if start and space >= 0 and start - space < 30 else start
    window = " ".join(text[start : start + size].split())
    prefix = "…" if start else ""
    suffix = "…" if start + size < len(text) else ""
    return f"{prefix}{window}{suffix}"


@functools.lru_cache(maxsize=1024)
def _whole_words(words: frozenset[str]) -> re.Pattern[str]:
    """Matches any of ``words`` as a whole word (what ``_WORD`` would find), in C."""
    if not words:
        return re.compile(r"(?!)")
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _densest_start(positions: list[int], size: int) -> int:
    """The match position that begins the window holding the most matches."""
    best, best_count, end = positions[0], 0, 0
    for begin, position in enumerate(positions):
        while end < len(positions) and positions[end] < position + size * 3 // 4:
            end += 1
        if end - begin > best_count:
            best, best_count = position, end - begin
    return best


def highlights(text: str, terms: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """(start, end) offsets in ``text`` of the words that match a query term: same word,
    or the same analysed form in either language (équipes matches équipe); stop words
    only when the query is made of nothing else."""
    wanted = query_words(terms)
    stems = frozenset().union(*map(_stems, wanted))
    spans = []
    for match in _WORD.finditer(text):
        word = fold(match.group().lower())
        if len(word) > 1 and (word in wanted or (word not in _STOP
                                                  and not _stems(word).isdisjoint(stems))):
            spans.append((match.start(), match.end()))
    return tuple(spans)


@functools.lru_cache(maxsize=100_000)
def _stems(word: str) -> frozenset[str]:
    """The analysed forms of a word in both languages (snippets repeat words a lot)."""
    return frozenset(stem for lang in ("fr", "en") for stem in analyze(word, lang))
