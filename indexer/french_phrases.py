"""French key-phrase candidates: noun phrases found by part of speech with spaCy.

``fr_core_news_sm`` tags each word (tok2vec, morphologizer, attribute ruler: no parser,
lemmatizer or NER, which cost more than they give here; see docs/keyphrases.md). A
phrase is a noun or proper noun, optionally followed by classifying adjectives and by
"de"/"à"/"en" + noun ("notes de frais", "banc d'essai", "mise en service"): adverbs ("en
plus"), pronouns, numbers, verbs and determiners end it, phrases never start with an
adjective, and adjectives that judge rather than classify ("habituel", "petit",
"complète") are not part of a phrase.  Generic nouns (dates, "question", "fois") make a
phrase only with a word that says more.

spaCy is imported on first use, once per process.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import types
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from indexer.analysis import fold, stop_words
from indexer.french_words import (
    ARTICLES,
    CONNECTORS,
    FIXED,
    GENERIC_NOUNS,
    GREETINGS,
    JUDGING_ADJECTIVES,
    NOT_NOUNS,
    PRENOMINAL,
)
from indexer.keyphrases import ENGLISH_FILLERS, word_key

log = logging.getLogger(__name__)

MODEL = "fr_core_news_sm"
EXCLUDED = ("parser", "senter", "lemmatizer", "ner")
MAX_CHARS = 5_000    # per item: the head of a long document names its subject
BATCH_SIZE = 64
MAX_WORDS = 3        # content words per phrase


SENTENCE_ENDS = frozenset(".!?:;…•*–—()«»\"")
NOUN_TAGS = frozenset({"NOUN", "PROPN"})
_WORD = re.compile(r"[^\W_](?:[\w'+&/-]*[^\W_])?\+*")
_LETTER = re.compile(r"[^\W\d_]")
_VERB_AND_PRONOUN = re.compile(r".+-(?:t-)?(?:le|la|les|lui|leur|moi|toi|nous|vous|en|y|il|"
                               r"elle|on|je|tu|ils|elles)", re.I)  # "relance-le", "est-il"
_NOT_A_TERM = re.compile(r"\d+(?:er|ère|re|e|ème|eme|h\d*|min|k|m|km)", re.I)  # 1er, 15h30
_STOP = stop_words("fr") | stop_words("en") | ENGLISH_FILLERS  # English passages too


@dataclass(frozen=True)
class Word:
    """A tagged word (hyphenated compounds joined) as the phrase grammar sees it."""

    text: str
    kind: str              # see KINDS; '' ends a phrase
    space: str             # the whitespace after it
    generic: bool = False  # a date or a noun that says little ("question")
    starts: bool = False   # first word of a sentence
    name: bool = False     # tagged as a proper noun


KINDS = {"N": "noun", "A": "adjective", "P": "adjective before its noun", "C": "connector",
         "L": "article after a connector", "J": "connector inside a fixed expression"}

NAMING, JOINING, CONTENT = frozenset("NA"), frozenset("CL"), frozenset("NAP")
FOLLOWS = {"N": frozenset("NAPCJ"), "A": frozenset("APC"), "P": frozenset("N"),
           "C": frozenset("NPL"), "L": frozenset("NP"), "J": frozenset("N")}
STARTS = frozenset("NP")


class _StubExceptions(types.ModuleType):
    TOKEN_MATCH = None
    TOKENIZER_EXCEPTIONS: dict[str, Any] = {}


def _import_french() -> None:
    """Import spaCy's French language without ``tokenizer_exceptions``: that module
    compiles a 1.4 MB regular expression (3 s) for hyphenated words, which the loaded
    pipeline does not use (its exceptions come from the model; see ``load_pipeline``)."""
    if "spacy.lang.fr" in sys.modules:
        return
    name = "spacy.lang.fr.tokenizer_exceptions"
    sys.modules[name] = _StubExceptions(name)
    try:
        import spacy.lang.fr  # noqa: F401
    finally:
        del sys.modules[name]


def load_pipeline(excluded: Sequence[str] = EXCLUDED) -> Any:
    """A new ``fr_core_news_sm`` pipeline without the ``excluded`` components."""
    import spacy
    from spacy.util import get_model_meta, get_package_path

    _import_french()
    package = get_package_path(MODEL)
    meta = get_model_meta(package)
    nlp: Any = spacy.load(MODEL, exclude=[*excluded, "tokenizer"])
    folder = package / f"{meta['lang']}_{meta['name']}-{meta['version']}"
    nlp.tokenizer.from_disk(folder / "tokenizer", exclude=["token_match"])
    log.info("loaded %s %s (%s)", MODEL, meta["version"], ", ".join(nlp.pipe_names))
    return nlp


_LOCK = threading.Lock()
_PIPELINES: dict[str, Any] = {}


def french_pipeline() -> Any:
    """The tagging pipeline, loaded once per process."""
    with _LOCK:
        if MODEL not in _PIPELINES:
            _PIPELINES[MODEL] = load_pipeline()
        return _PIPELINES[MODEL]


def french_text(title: str, text: str) -> str:
    """What is tagged: title and body, capped, with typographic apostrophes made plain
    (the model mistags "l’" and "d’")."""
    joined = f"{title}.\n{text}" if title.strip() else text
    return joined[:MAX_CHARS].replace("’", "'")


def _content(text: str, low: str) -> bool:
    """A word that may name something: letters (two at least), no stop word, number,
    ordinal or hour, no path ("proposals/40151"; "CI/CD" is fine)."""
    return (low not in _STOP and _WORD.fullmatch(text) is not None
            and len(_LETTER.findall(low)) > 1 and _NOT_A_TERM.fullmatch(low) is None
            and not ("/" in text and any(c.islower() for c in text))
            and _VERB_AND_PRONOUN.fullmatch(low) is None)


def _kind(text: str, low: str, pos: str) -> str:
    """The word's part in the phrase grammar ('' ends a phrase)."""
    if low in CONNECTORS and pos in ("ADP", "DET"):
        return "C"
    if low in ARTICLES and pos == "DET":
        return "L"
    key = word_key(low)
    if not _content(text, low) or key in NOT_NOUNS:
        return ""
    if pos in NOUN_TAGS or (pos == "X" and text[:1].isupper()):  # X: "Power Query"
        return "N"
    if pos == "ADJ" and key not in JUDGING_ADJECTIVES:
        return "P" if key in PRENOMINAL else "A"
    return ""


def _spans(doc: Any) -> Iterator[tuple[int, int]]:
    """(start, end) of each word: hyphenated compounds ("domicile-bureau") are one."""
    i, n = 0, len(doc)
    while i < n:
        j = i
        while (j + 2 < n and not doc[j].whitespace_ and doc[j + 1].text == "-"
               and not doc[j + 1].whitespace_ and doc[j + 2].text[:1].isalnum()):
            j += 2
        yield i, j + 1
        i = j + 1


def tagged_words(doc: Any) -> list[Word]:
    """The words of a tagged document, in order; '' kinds mark phrase boundaries."""
    words: list[Word] = []
    starts_sentence, after_greeting = True, False
    for start, end in _spans(doc):
        last = doc[end - 1]
        text, pos = doc[start:end].text, last.pos_
        low = fold(text.lower())
        if pos == "SPACE" or text in SENTENCE_ENDS:
            starts_sentence = starts_sentence or "\n" in text or text in SENTENCE_ENDS
            words.append(Word(text, "", last.whitespace_))
            continue
        name_after_greeting = after_greeting and pos == "PROPN"  # "Bonjour Yann"
        after_greeting = low in GREETINGS or name_after_greeting
        kind = "" if after_greeting else _kind(text, low, pos)
        words.append(Word(text, kind, last.whitespace_, word_key(low) in GENERIC_NOUNS,
                          starts_sentence, pos in ("PROPN", "X")))
        starts_sentence = False
    return [_sentence_case(_in_expression(word, words[max(i - 2, 0) : i]),
                           words[i + 1] if i + 1 < len(words) else None)
            for i, word in enumerate(words)]


def _in_expression(word: Word, before: list[Word]) -> Word:
    """The connector of "mise à jour" joins; its "jour" says something."""
    if word.kind == "C" and before and (fold(before[-1].text.lower()),
                                         fold(word.text.lower())) in FIXED:
        return replace(word, kind="J")
    if word.generic and tuple(fold(w.text.lower()) for w in before) in FIXED:
        return replace(word, generic=False)
    return word


def _sentence_case(word: Word, after: Word | None) -> Word:
    """"Jeu de données" -> "jeu de données" at the start of a sentence, unless the word
    looks like a name (tagged so and followed by neither a connector nor a lower-case
    word)."""
    if not (word.starts and word.text[:1].isupper() and word.text[1:].islower()):
        return word
    follower = after is not None and (after.kind == "C" or (
        after.kind in NAMING and after.text[:1].islower()))
    if word.name and not follower:
        return word
    return replace(word, text=word.text[0].lower() + word.text[1:])


def _chunks(words: Iterable[Word]) -> Iterator[list[Word]]:
    """Maximal runs of the grammar: (P? N+ A*) pieces joined by C L?."""
    current: list[Word] = []
    for word in words:
        if current and word.kind in FOLLOWS[current[-1].kind]:
            current.append(word)
            continue
        if phrase := _closed(current):
            yield phrase
        current = [word] if word.kind in STARTS else []
    if phrase := _closed(current):
        yield phrase


def _closed(words: list[Word]) -> list[Word]:
    """The words without what may not end a phrase (connectors, articles, P)."""
    end = len(words)
    while end and words[end - 1].kind not in NAMING:
        end -= 1
    return words[:end]


Piece = tuple[list[Word], list[Word]]  # (connector and article before, words)


def _pieces(chunk: list[Word]) -> list[Piece]:
    """A chunk cut at its connectors."""
    pieces: list[Piece] = [([], [])]
    for word in chunk:
        if word.kind in JOINING:
            if pieces[-1][1]:
                pieces.append(([], []))
            pieces[-1][0].append(word)
        else:
            pieces[-1][1].append(word)
    return pieces


def _meaningful(words: list[Word]) -> list[Word]:
    """The words without trailing generic ones ("maintenance samedi" -> "maintenance"),
    or nothing if all are generic."""
    end = len(words)
    while end and words[end - 1].generic:
        end -= 1
    return words[:end]


def _phrases(chunk: list[Word]) -> Iterator[list[Word]]:
    """The chunk without its generic pieces ("note de frais de mars" -> "note de frais"),
    each run of the rest whole if short enough, else cut into pairs of pieces."""
    run: list[Piece] = []
    for joiners, words in [*_pieces(chunk), ([], [])]:
        if meaningful := _meaningful(words):
            run.append((joiners, meaningful))
            continue
        yield from _fitting(run)
        run = []


def _size(words: list[Word]) -> int:
    return sum(w.kind in CONTENT for w in words)


def _truncated(words: list[Word]) -> list[Word]:
    """The first MAX_WORDS content words (the head of a French noun phrase comes first)."""
    end = 0
    while end < len(words) and _size(words[: end + 1]) <= MAX_WORDS:
        end += 1
    return words[:end]


def _joined(pieces: list[Piece]) -> list[Word]:
    return pieces[0][1] + [w for joiners, words in pieces[1:] for w in joiners + words]


def _fitting(pieces: list[Piece]) -> list[list[Word]]:
    """Pieces as phrases of at most MAX_WORDS words: all of them, or pairs taken from the
    right ("délai de remboursement des notes de frais" -> "délai de remboursement",
    "notes de frais"), a piece alone when no pair fits."""
    if sum(_size(words) for _, words in pieces) <= MAX_WORDS:
        return [_joined(pieces)] if pieces else []
    found = []
    i = len(pieces) - 1
    while i >= 0:
        if i and _size(pieces[i - 1][1]) + _size(pieces[i][1]) <= MAX_WORDS:
            found.append(_joined(pieces[i - 1 : i + 1]))
            i -= 2
        else:
            found.append(_closed(_truncated(pieces[i][1])))
            i -= 1
    return [phrase for phrase in reversed(found) if phrase]


def surface(phrase: list[Word]) -> str:
    """The phrase as written (hyphens, elisions and spacing kept)."""
    return "".join(w.text + (" " if w.space else "") for w in phrase).strip()


def candidates(doc: Any) -> list[tuple[str, tuple[str, ...]]]:
    """(surface, content words) of each noun phrase of a tagged document."""
    found = []
    for chunk in _chunks(tagged_words(doc)):
        for phrase in _phrases(chunk):
            if len(phrase) == 1 and _opens_sentence_as_name(phrase[0]):
                continue
            content = tuple(w.text for w in phrase if w.kind in CONTENT)
            found.append((surface(phrase), content))
    return found


def _opens_sentence_as_name(word: Word) -> bool:
    """"Faut", "Existe": a lone capitalised word opening a sentence is more often a
    mistagged verb than a name (names recur elsewhere in the text)."""
    return word.starts and word.name and word.text[:1].isupper() and word.text[1:].islower()


def tag(texts: Iterable[str]) -> Iterator[Any]:
    """Tagged documents, in order, tagged in batches."""
    return iter(french_pipeline().pipe(texts, batch_size=BATCH_SIZE))
