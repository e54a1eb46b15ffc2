"""Text analysis for French and English: analyzers for Whoosh and language detection.

French: elision with ' and ’ (l’équipe -> équipe), case and accent folding
(œ -> oe, æ -> ae), stop words, Snowball stemming.  English: possessives,
folding, stop words, Snowball (Porter 2) stemming.  Folding happens before
stemming so that a word typed with or without its accents stems the same.

Bump ``ANALYZER_VERSION`` whenever an analyzer changes: indexes built with
another version refuse to open and ask for a rebuild.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import (
    Analyzer,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)
from whoosh.lang import stopwords_for_language

ANALYZER_VERSION = 5  # 5: French interrogatives are stop words
LANGUAGES = ("fr", "en")

# Words joined by apostrophes stay one token; the elision filter then splits them.
TOKEN_PATTERN = r"\w+(?:['’]\w+)*"
FRENCH_ELISIONS = frozenset(
    "l d j m n s t c qu jusqu lorsqu puisqu quoiqu presqu quelqu".split()
)
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


@functools.lru_cache(maxsize=100_000)
def fold(word: str) -> str:
    """Lower-case ASCII-ish form: accents dropped, ligatures expanded (cœur -> coeur)."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class ElisionFilter(Filter):
    """Drops French elided articles and pronouns: l’équipe -> équipe, qu'il -> il."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            text = token.text.replace("’", "'")
            head, sep, tail = text.partition("'")
            if sep and head in FRENCH_ELISIONS and tail:
                text = tail
            token.text = text
            yield token


class PossessiveFilter(Filter):
    """English possessives and apostrophes: team's -> team, don’t -> dont."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            text = token.text.replace("’", "'")
            if text.endswith("'s"):
                text = text[:-2]
            token.text = text.replace("'", "")
            yield token


class FoldFilter(Filter):
    """Accent and ligature folding (see :func:`fold`)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = fold(token.text)
            yield token


# Whoosh's lists miss a few very common words, and the French one the interrogatives its
# English list has (what, which, how, when, why): "Quelle est la date ..." matched, at a
# high idf, the rare paragraph that says "quelle".  Measured in docs/tuning.md ("Question
# words"): +0.004 to +0.008 nDCG@10 on both PIAF halves, packaged and tuned.
_EXTRA_STOP_WORDS = {
    "fr": {"les", "aux", "ces", "cet", "cette",
           "quel", "quelle", "quels", "quelles", "lequel", "laquelle", "lesquels",
           "lesquelles", "combien", "comment", "pourquoi", "quand", "quoi"},
    "en": set(),
}


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """Stop words of ``language``, with and without their accents."""
    words = set(stopwords_for_language(language)) | _EXTRA_STOP_WORDS[language]
    return frozenset(words) | frozenset(fold(w) for w in words)


def french_analyzer() -> Analyzer:
    """Analyzer for French text."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | ElisionFilter()
        | FoldFilter()
        | StopFilter(stoplist=stop_words("fr"), minsize=1)
        | StemFilter(lang="fr", cachesize=100_000)
    )


def english_analyzer() -> Analyzer:
    """Analyzer for English text."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | PossessiveFilter()
        | FoldFilter()
        | StopFilter(stoplist=stop_words("en"), minsize=1)
        | StemFilter(lang="en", cachesize=100_000)
    )


def spelling_analyzer() -> Analyzer:
    """Words as written (lower-cased, elision removed): what spelling suggestions offer."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | ElisionFilter()


@functools.cache
def analyzer_for(language: str) -> Analyzer:
    """The analyzer of a language in :data:`LANGUAGES` (one per process: building one
    builds a stemmer, and queries and snippets ask for them per word)."""
    factories = {"fr": french_analyzer, "en": english_analyzer}
    if language not in factories:
        raise ValueError(f"unknown language {language!r} (valid: {', '.join(factories)})")
    return factories[language]()


def analyze(text: str, language: str) -> list[str]:
    """The index terms of ``text`` (handy in tests and for debugging)."""
    return [token.text for token in analyzer_for(language)(text)]


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect_language(text: str, default: str = "en") -> str:
    """``fr`` or ``en`` for ``text`` (its first 800 characters); ``default`` if empty."""
    sample = text[:800]
    if not any(c.isalpha() for c in sample):
        return default
    language, _ = _identifier().classify(sample)
    return str(language)
