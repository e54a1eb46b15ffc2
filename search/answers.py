"""Extracted answers: one to three sentences taken, verbatim, from the best passages a
viewer's search returned, each with its citation; or nothing, when the evidence is weak.

The one entry point is :func:`extract_answer`, called with the hits the viewer's own
search already returned.  Every body read here is an item of those hits, checked once
more against the groups the viewer may read now; the statistics used in scoring (word
rarity) are taken over the sentences of those passages only.  So nothing the viewer
cannot read can be quoted, nor move a sentence or its score.

Each sentence is scored by a weighted sum of its features (all in [0, 1]), the weights
fitted on one half of PIAF and checked on the other (``quisait eval answers --fit``: a
listwise logistic regression, weights kept non-negative so that each feature's points
say why a sentence won):

- ``overlap``: share of the question's words (stemmed, weighted by rarity) in the sentence;
- ``context``: the same share over the sentence, its neighbours and its passage's title;
  ``after``: the same share in the sentence just after;
- ``prefixes``: the same with words' first five letters ("fondé", "fondateur");
- ``similar``: the question's words the sentence lacks but says otherwise, by French word
  vectors ("fondée" and "créée": the cosine of the closest word of the sentence, when
  at least ``SIMILAR``), weighted by rarity; French passages only (:mod:`search.word_vectors`);
- ``grams``: share of the question's letter 4-grams (weighted by rarity) in the sentence,
  across word boundaries: inflections, compounds and word order the stems miss;
- ``relative``: its overlap as a share of the best one in its passage; ``follows``: it
  comes right after that best sentence; ``position``: 1 / (1 + its place in the passage);
- ``length``: how long it is (log of its words, 1 from 59); ``new_words``: how many words
  it holds besides the question's (1 from 10): an answer says something new;
- ``passage``: the encoder's similarity of the question and the passage, as the search
  computed it (the searcher's model: a tuned one where configured); free;
- ``encoder``: the same for the sentence itself, for the ``Tuning.encoded`` best only
  (each costs a model call: off by default, see the README's figures);
- ``rank``: 1 / the rank of its passage among the readable hits; ``retrieval``: its
  passage's search score as a share of the best one's;
- ``type``: the question asks for a number, a date, a person or a place and the sentence
  holds one that the question does not;
- ``source``: an accepted answer or an official document.

The answer is withheld when the best sentence's score is under ``abstain_below`` or its
share of the candidates (the softmax of the scores: the model's probability that it is
the right one among those read) is under ``abstain_share``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from indexer.analysis import LANGUAGES, analyze, fold
from search.engine import Hit, Searcher
from search.query import ParsedQuery, QuerySyntaxError, parse_query, words_query
from search.scope import Scope
from search.sentences import split_sentences
from search.word_vectors import WordVectors, french_vectors

ENCODER_CHARS = 200  # of a sentence given to the encoder (its cost grows with length)
MAX_SENTENCES = 3
MAX_CHARS = 600  # longer "sentences" (tables, run-on lists) are not quoted
MIN_WORDS = 3
FOLLOWER_SHARE = 0.8  # a second or third sentence must score this share of the first
PREFIX_LETTERS = 5  # a word's beginning ("prefixes")
GRAM_LETTERS = 4  # letter grams ("grams")
LONG_WORDS = 59  # "length" reaches 1 at this many words
NEW_WORDS = 10  # "new_words" reaches 1 at this many words the question lacks
SIMILAR = 0.55  # the least cosine of word vectors that counts as saying the same


@dataclass(frozen=True)
class Tuning:
    """Feature weights, how many hits are read, the best score and the best share of the
    candidates under which the evidence is too weak to answer, and how many sentences the
    encoder re-scores (the best by the other features; 0: none, the passage's similarity
    stands in for it)."""

    weights: Mapping[str, float]
    passages: int
    abstain_below: float
    abstain_share: float = 0.0
    encoded: int = 0


# fitted on PIAF's even half (`quisait eval answers --split even --fit`), reported on the
# odd half (and the other way round, see the README).  "source" cannot be measured there
# (no accepted answers, no marks): its weight is a choice, about the type's
TUNING = Tuning(weights={"overlap": 0.0, "context": 1.7209, "after": 0.3477,
                         "prefixes": 0.0, "grams": 4.4655, "relative": 0.2644,
                         "follows": 0.3366, "length": 0.0, "new_words": 0.268,
                         "position": 0.0, "passage": 5.0286, "encoder": 0.0,
                         "rank": 0.2425, "retrieval": 3.0894, "type": 1.764,
                         "similar": 3.205, "source": 2.0},
                passages=5, abstain_below=0.0, abstain_share=0.1308)

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_NON_WORD = re.compile(r"\W+")
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"\b(1\d{3}|20\d{2})\b|siecle|century|janvier|fevrier|mars|avril|mai "
                   r"|juin|juillet|aout|septembre|octobre|novembre|decembre|january|"
                   r"february|march|april|june|july|august|september|october|november|"
                   r"december")
_NUMBER_WORDS = frozenset("un une deux trois quatre cinq six sept huit neuf dix onze douze "
                          "vingt trente quarante cinquante cent cents mille million millions "
                          "milliard milliards moitie tiers quart one two three four five six "
                          "seven eight nine ten twelve twenty hundred thousand million "
                          "billion half dozen".split())
# what a question asks for, by its words (folded, lower-cased): a table, first match wins
ANSWER_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(r"\b(quand|quelle annee|en quelle|quelle date|quelle epoque|"
                        r"quel siecle|depuis quand|when|what year|which year|what date)\b")),
    ("number", re.compile(r"\b(combien|quel nombre|quel montant|quel pourcentage|quelle part|"
                          r"quel taux|quel prix|quel age|quelle duree|quelle distance|"
                          r"quelle superficie|quelle population|quelle taille|how many|"
                          r"how much|how long|how old|how far|what percentage|"
                          r"what number|what amount)\b")),
    ("person", re.compile(r"^(qui|par qui|a qui|de qui|avec qui|pour qui|who|whom|whose)\b")),
    ("place", re.compile(r"^(ou|d'ou|dans quel pays|dans quelle ville|quel pays|quelle ville|"
                         r"where|which country|which city)\b")),
)


@dataclass(frozen=True)
class Citation:
    """Where an answer sentence comes from: an item the viewer may read."""

    item_id: str
    kind: str
    title: str
    group: str
    group_name: str
    author: str | None
    author_name: str | None
    created: datetime
    url: str


@dataclass(frozen=True)
class AnswerSentence:
    """One quoted sentence, in its source's language, with why it was chosen."""

    text: str
    lang: str
    citation: Citation
    score: float
    features: dict[str, float] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Answer:
    """One to three sentences for a query, best first."""

    query: str
    sentences: tuple[AnswerSentence, ...]


@dataclass
class Candidate:
    """A sentence of a passage, while it is being scored."""

    text: str
    hit: Hit
    lang: str
    rank: int
    features: dict[str, float]
    share: float = 0.0  # softmax of its score over all the candidates, once ranked


def extract_answer(scope: Scope, query: str | ParsedQuery, hits: Sequence[Hit],
                   tuning: Tuning = TUNING) -> Answer | None:
    """The answer to ``query`` from ``hits`` (the search results of ``scope``'s viewer,
    best first), or None when the evidence is weak (or the query has only filters).
    Only what ``scope`` may read is read."""
    scored = score_candidates(scope, query, hits, tuning.weights, tuning.passages,
                              tuning.encoded)
    if not scored or scored[0][1] < tuning.abstain_below or \
            scored[0][0].share < tuning.abstain_share:
        return None
    best = scored[0][1]
    chosen = [scored[0]] + [entry for entry in scored[1:MAX_SENTENCES]
                            if entry[1] >= FOLLOWER_SHARE * best]
    text = query if isinstance(query, str) else query.free_text()
    return Answer(text, tuple(_sentence(candidate, score, tuning.weights)
                              for candidate, score in chosen))


def score_candidates(scope: Scope, query: str | ParsedQuery, hits: Sequence[Hit],
                     weights: Mapping[str, float], passages: int,
                     encoded: int) -> list[tuple[Candidate, float]]:
    """The best candidate sentences with their scores, best first."""
    parsed = _parsed(query)
    question = parsed.free_text().strip()
    if not question:
        return []
    # the words the search corrected are the question's words (Strutthof: Stutthof)
    question = _corrected(question, scope.corrections(parsed))
    candidates = passage_candidates(scope, question, hits, passages)
    similarity = (_similarity(scope.searcher, question) if encoded and weights.get("encoder")
                  else None)
    return rank_candidates(candidates, weights, similarity, encoded)


def rank_candidates(candidates: list[Candidate], weights: Mapping[str, float],
                    similarity: Callable[[list[str]], list[float]] | None,
                    encoded: int) -> list[tuple[Candidate, float]]:
    """Score by every feature but the encoder, then give the ``encoded`` best to the
    encoder (it costs the most) and score those again; ties go to the better rank.  The
    best keep their share of all the candidates (a softmax of the scores)."""
    def total(candidate: Candidate) -> float:
        return sum(weights.get(name, 0.0) * value for name, value in
                   candidate.features.items())

    ordered = sorted(candidates, key=lambda c: (-total(c), c.rank))
    top = ordered[:max(encoded, MAX_SENTENCES)]
    if similarity is not None and encoded and top:
        texts = [c.text[:ENCODER_CHARS] for c in top[:encoded]]
        for candidate, value in zip(top, similarity(texts), strict=False):
            candidate.features["encoder"] = round(max(0.0, value), 4)
    scores = [total(c) for c in ordered]
    highest = max(scores, default=0.0)
    mass = sum(math.exp(score - highest) for score in scores)
    ranked = []
    for candidate, score in zip(top, scores, strict=False):
        candidate.share = round(math.exp(score - highest) / mass, 4)
        ranked.append((candidate, round(score, 6)))
    ranked.sort(key=lambda entry: (-entry[1], entry[0].rank))
    return ranked


def passage_candidates(scope: Scope, question: str, hits: Sequence[Hit],
                       passages: int) -> list[Candidate]:
    """The sentences of the first ``passages`` hits whose items ``scope`` may read (and
    that are not outdated), with every feature but the encoder's."""
    # the bodies are read through the scope, whatever the caller handed in; ranks, scores
    # and rarities count only what is left, so nothing else can move them
    items = scope.items([hit.id for hit in hits])
    marks = scope.searcher.curation.marks()
    readable = [(hit, items[hit.id]) for hit in hits if hit.id in items
                and marks.get(hit.id) != "outdated"][:passages]
    read = []
    for rank, (hit, item) in enumerate(readable, start=1):
        lang = item.lang if item.lang in LANGUAGES else "en"
        source = 1.0 if (hit.kind == "answer" and hit.accepted) or \
            marks.get(hit.id) == "official" else 0.0
        read.append(Passage(rank, hit, lang, source, _stems(item.title, lang),
                            split_sentences(item.text)))
    units = {kind: [u for p in read for u in getattr(p, kind)]
             for kind in ("stems", "prefixes", "letters")}
    best_score = max((p.hit.score for p in read), default=0.0)
    asks = answer_type(question)
    grams = _weighted(_grams(question), units["letters"])
    candidates: list[Candidate] = []
    weighted = {lang: (_weighted(_stems(question, lang), units["stems"]),
                       _weighted(_prefixes(question, lang), units["prefixes"]))
                for lang in {p.lang for p in read}}
    vectors = french_vectors() if "fr" in weighted else None
    for passage in read:
        wanted, prefixes = weighted[passage.lang]
        similar = (_similar_words(question, wanted, vectors)
                   if vectors is not None and passage.lang == "fr" else None)
        common = {"rank": round(1 / passage.rank, 4), "source": passage.source,
                  "retrieval": _relative(passage.hit.score, best_score),
                  "passage": round(max(0.0, passage.hit.explanation.get(
                      "semantic_score", 0.0)), 4)}
        for i, features in _sentence_features(passage, wanted, prefixes, grams, similar):
            sentence = passage.sentences[i]
            candidates.append(Candidate(sentence, passage.hit, passage.lang, passage.rank, {
                **features, **common, "type": _type_match(asks, sentence, question)}))
    return candidates


@dataclass
class Passage:
    """A readable hit's item: its sentences and, for each, its stems, word beginnings
    and letters (folded: its letter grams are its substrings)."""

    rank: int
    hit: Hit
    lang: str
    source: float
    title: set[str]
    sentences: list[str]
    stems: list[set[str]] = field(init=False)
    prefixes: list[set[str]] = field(init=False)
    letters: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.stems = [_stems(s, self.lang) for s in self.sentences]
        self.prefixes = [_prefixes(s, self.lang) for s in self.sentences]
        self.letters = [_letters(s) for s in self.sentences]


def _sentence_features(passage: Passage, wanted: Mapping[str, float],
                       prefixes: Mapping[str, float], grams: Mapping[str, float],
                       similar: Callable[[str, set[str]], float] | None = None
                       ) -> list[tuple[int, dict[str, float]]]:
    """What each quotable sentence of ``passage`` shares with the question, alone and
    with its neighbours, and where it stands in the passage."""
    stems = passage.stems
    overlaps = [_share(wanted, unit) for unit in stems]
    best = max(overlaps, default=0.0)
    empty: set[str] = set()
    out = []
    for i, sentence in enumerate(passage.sentences):
        if not _quotable(sentence):
            continue
        before = stems[i - 1] if i else empty
        after = stems[i + 1] if i + 1 < len(stems) else empty
        words = len(_WORD.findall(sentence))
        out.append((i, {
            "overlap": overlaps[i], "after": _share(wanted, after),
            "context": _share(wanted, stems[i] | passage.title | before | after),
            "prefixes": _share(prefixes, passage.prefixes[i]),
            "grams": _share(grams, passage.letters[i]),
            "relative": round(overlaps[i] / best, 4) if best else 0.0,
            "follows": 1.0 if i and best and overlaps[i - 1] == best else 0.0,
            "length": round(min(1.0, math.log1p(words) / math.log1p(LONG_WORDS)), 4),
            "new_words": min(1.0, len(stems[i] - set(wanted)) / NEW_WORDS),
            "position": round(1 / (1 + i), 4),
            "similar": similar(sentence, stems[i]) if similar is not None else 0.0,
        }))
    return out


def _similar_words(question: str, wanted: Mapping[str, float],
                   vectors: WordVectors) -> Callable[[str, set[str]], float]:
    """The ``similar`` feature of a sentence (given with its stems): for each of the
    question's stems it lacks, the best cosine of one of the question's words of that stem
    with one of its words (when at least ``SIMILAR``), weighted by the stem's rarity, over
    the question's total weight."""
    forms: dict[str, list[str]] = {}
    for word in _WORD.findall(question.lower()):
        if word.isalpha() and (stem := _stem(word, "fr")) in wanted:
            forms.setdefault(stem, []).append(word)
    asked = {stem: matrix for stem, words in forms.items()
             if len(matrix := vectors.matrix(dict.fromkeys(words)))}
    total = sum(wanted.values())

    def similar(sentence: str, stems: set[str]) -> float:
        missing = [stem for stem in asked if stem not in stems]
        if not missing or not total:
            return 0.0
        said = vectors.matrix(dict.fromkeys(
            w for w in _WORD.findall(sentence.lower()) if w.isalpha() and _stem(w, "fr")))
        if not len(said):
            return 0.0
        points = 0.0
        for stem in missing:
            best = float((asked[stem] @ said.T).max())
            if best >= SIMILAR:
                points += wanted[stem] * best
        return round(points / total, 4)

    return similar


def _relative(score: float, best: float) -> float:
    """A hit's retrieval score as a share of the best hit's (its own search's scores)."""
    return round(max(0.0, min(1.0, score / best)), 4) if best > 0 else 0.0


def answer_type(question: str) -> str | None:
    """``date``, ``number``, ``person``, ``place`` or None: what the question asks for."""
    folded = fold(question.lower().replace("’", "'")).strip(" ¿¡\"«")
    for name, pattern in ANSWER_TYPES:
        if pattern.search(folded):
            return name
    return None


def _type_match(asks: str | None, sentence: str, question: str) -> float:
    if asks is None:
        return 0.0
    folded = fold(sentence.lower())
    asked = {fold(w.lower()) for w in _WORD.findall(question)}
    if asks == "date":
        found = any(m.group() not in asked for m in _YEAR.finditer(folded))
    elif asks == "number":
        words = {w for w in _WORD.findall(folded) if w not in asked}
        found = any(_DIGIT.search(w) for w in words) or bool(words & _NUMBER_WORDS)
    else:  # a name: a capitalised word past the first that the question does not hold
        names = [w for w in _WORD.findall(sentence)[1:] if w[0].isupper()]
        found = any(fold(w.lower()) not in asked for w in names)
    return 1.0 if found else 0.0


def _quotable(sentence: str) -> bool:
    """A statement of a readable length: not a question, not a fragment, not a table."""
    return (len(sentence) <= MAX_CHARS and not sentence.rstrip().endswith("?")
            and len(_WORD.findall(sentence)) >= MIN_WORDS)


def _corrected(question: str, corrections: Mapping[str, str]) -> str:
    """The question with each word the search corrected replaced by what it searched."""
    for typed, searched in corrections.items():
        question = re.sub(rf"\b{re.escape(typed)}\b", searched, question)
    return question


def _parsed(query: str | ParsedQuery) -> ParsedQuery:
    if isinstance(query, str):
        try:
            return parse_query(query)
        except QuerySyntaxError:  # a pasted question with a stray quote
            return words_query(query)
    return query


@functools.lru_cache(maxsize=200_000)
def _stem(word: str, lang: str) -> str:
    analysed = analyze(word, lang)
    return analysed[0] if analysed else ""


def _stems(text: str, lang: str) -> set[str]:
    """The content words of ``text``, stemmed in ``lang`` (stop words dropped)."""
    return {stem for w in _WORD.findall(text.lower()) if (stem := _stem(w, lang))}


@functools.lru_cache(maxsize=200_000)
def _prefix(word: str, lang: str) -> str:
    """A content word's first letters, accents folded ("fondé", "fondateur": "fonda"),
    or "" for a stop word."""
    return fold(word)[:PREFIX_LETTERS] if _stem(word, lang) else ""


def _prefixes(text: str, lang: str) -> set[str]:
    return {prefix for w in _WORD.findall(text.lower()) if (prefix := _prefix(w, lang))}


def _letters(text: str) -> str:
    """``text`` folded, its words apart by one space (stop words kept), spaces around."""
    return " " + _NON_WORD.sub(" ", fold(text.lower())).strip() + " "


def _grams(text: str) -> set[str]:
    """The letter 4-grams of ``text``'s letters: they match inflections, compounds and
    word order the stems miss."""
    letters = _letters(text)
    return {letters[i:i + GRAM_LETTERS] for i in range(len(letters) - GRAM_LETTERS + 1)}


def _weighted(wanted: set[str], units: Sequence[Container[str]]) -> dict[str, float]:
    """The question's stems (or word beginnings, or grams) with their rarity, an inverse
    document frequency over the given sentences (the hits' own, only); one that no
    sentence holds weighs as the rarest one can."""
    size = len(units)
    return {item: math.log(1 + (size - n + 0.5) / (n + 0.5))
            for item in wanted if (n := max(1, sum(item in unit for unit in units)))}


def _share(wanted: Mapping[str, float], found: Container[str]) -> float:
    total = sum(wanted.values())
    if not total:
        return 0.0
    return round(sum(w for stem, w in wanted.items() if stem in found) / total, 4)


def _similarity(searcher: Searcher, question: str) -> Callable[[list[str]], list[float]] | None:
    """Cosine similarity to the question with the searcher's encoder (a tuned model where
    one is configured); None when the index has no vectors (no model configured)."""
    if searcher.vectors is None or not len(searcher.vectors):
        return None
    semantic = searcher.semantic

    def similarity(texts: list[str]) -> list[float]:
        query = semantic.query_vector(question).astype(np.float64)
        vectors = semantic.encoder().encode(texts).astype(np.float64)
        norms = np.linalg.norm(vectors, axis=1) * (np.linalg.norm(query) or 1.0)
        return [float(v) for v in (vectors @ query) / np.where(norms > 0, norms, 1.0)]

    return similarity


def _sentence(candidate: Candidate, score: float,
              weights: Mapping[str, float]) -> AnswerSentence:
    hit = candidate.hit
    title = hit.title or (f"Re: {hit.thread_title}" if hit.thread_title else hit.kind)
    citation = Citation(hit.id, hit.kind, title, hit.group, hit.group_name, hit.author,
                        hit.author_name, hit.created, f"/posts/{hit.id}")
    # why this sentence: each feature's value and its share of the score
    features = {**candidate.features, "passage_rank": float(candidate.rank),
                "share": candidate.share,
                **{f"{name}_points": round(weights.get(name, 0.0) * value, 4)
                   for name, value in candidate.features.items()}}
    return AnswerSentence(candidate.text, candidate.lang, citation, score, features)

