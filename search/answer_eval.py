"""Extracted answers measured on a BEIR folder that holds ``answers.jsonl`` (gold spans).

``answer@1``: the first answer sentence contains a gold span (case and spaces ignored;
an abstention is a miss); ``answer@3``: one of the answer's sentences does;
``abstained``: share of questions left without an answer; ``cited_relevant``: the first
citation is a judged relevant document.  Questions go through the product's own path:
:meth:`Searcher.search` as the evaluation reader, then :func:`extract_answer`.

``fit_weights`` chooses the weights (a listwise logistic regression: the softmax of
the sentences' scores, per question, puts its mass on those that hold a gold span), the
number of passages read and the abstention thresholds on the questions it is given (one
half: the other half is then reported).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ConfigError
from core.settings import Settings
from search import answers
from search.beir import jsonl_lines, of_split, read_qrels
from search.engine import MODES, Searcher
from search.evaluate import READER, index_beir

FEATURES = ("overlap", "context", "after", "prefixes", "grams", "relative", "follows",
            "length", "new_words", "position", "passage", "encoder", "rank", "retrieval",
            "type", "source", "similar")
UNMEASURED = ("source",)  # PIAF has no accepted answers nor marks: the weight is a choice
ABSTAIN_PRECISION = 0.10  # abstain where the first sentence would be right this rarely
L2 = 1.0  # ridge penalty of the regression, on standardised features
STEPS = 1000  # converged well before (same weights at 10 000)
FIT_PASSAGES = (3, 5, 8)
PASSAGES_MARGIN = 0.01  # of answer@1 (10 questions a half) to read another number
_SPACES = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """Case and spaces ignored: how sentences and gold spans compare."""
    return _SPACES.sub("", text.replace("\u00a0", " ")).casefold()


def contains_gold(sentence: str, gold: list[str]) -> bool:
    squeezed = squeeze(sentence)
    return any(squeeze(span) and squeeze(span) in squeezed for span in gold)


def _questions(folder: Path, split: str | None) -> tuple[dict[str, str], dict[str, list[str]],
                                                          dict[str, dict[str, int]]]:
    for name in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv", "answers.jsonl"):
        if not (folder / name).is_file():
            raise ConfigError(f"{folder} is not a BEIR folder with answers: {name} is missing")
    qrels = of_split(read_qrels(folder), split)
    gold = {a["_id"]: list(a["answers"]) for a in jsonl_lines(folder / "answers.jsonl")
            if a["_id"] in qrels and a.get("answers")}
    queries = {q["_id"]: q["text"] for q in jsonl_lines(folder / "queries.jsonl")
               if q["_id"] in gold}
    return queries, gold, qrels


def evaluate_answers(settings: Settings, folder: Path, mode: str = "hybrid",
                     split: str | None = None, progress: bool = False,
                     tuning: answers.Tuning = answers.TUNING) -> dict[str, Any]:
    """Index ``folder`` if needed, answer its questions (or one half's), score them."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (valid: {', '.join(MODES)})")
    queries, gold, qrels = _questions(folder, split)
    index_beir(settings, folder, None, progress)
    counts = {"answer@1": 0, "answer@3": 0, "abstained": 0, "cited_relevant": 0}
    search_ms: list[float] = []
    answer_ms: list[float] = []
    with Searcher.open(settings) as searcher:
        scope = searcher.scope(READER)
        for qid, text in queries.items():
            started = time.perf_counter()
            hits = scope.search(text, mode=mode, limit=10)
            searched = time.perf_counter()
            answer = answers.extract_answer(scope, text, hits, tuning)
            answer_ms.append((time.perf_counter() - searched) * 1000)
            search_ms.append((searched - started) * 1000)
            if answer is None:
                counts["abstained"] += 1
                continue
            said = [s.text for s in answer.sentences]
            counts["answer@1"] += contains_gold(said[0], gold[qid])
            counts["answer@3"] += any(contains_gold(s, gold[qid]) for s in said)
            cited = answer.sentences[0].citation.item_id
            counts["cited_relevant"] += qrels[qid].get(cited, 0) > 0
    total = max(1, len(queries))
    answered = total - counts["abstained"]
    return {**{name: round(count / total, 4) for name, count in counts.items()},
            "answer@1_when_answered": round(counts["answer@1"] / max(1, answered), 4),
            "questions": len(queries), "mode": mode, "set": folder.name,
            "split": split or "all", "model": settings.embedding_model,
            "tuning": {"weights": dict(tuning.weights), "passages": tuning.passages,
                       "abstain_below": tuning.abstain_below,
                       "abstain_share": tuning.abstain_share, "encoded": tuning.encoded},
            "search_ms": _timing(search_ms), "answer_ms": _timing(answer_ms)}


def _timing(values: list[float]) -> dict[str, float]:
    if not values:
        return {"mean": 0.0, "median": 0.0, "p95": 0.0}
    return {"mean": round(float(np.mean(values)), 2),
            "median": round(float(np.median(values)), 2),
            "p95": round(float(np.percentile(values, 95)), 2)}


# -- fitting ---------------------------------------------------------------------------


def fit_weights(settings: Settings, folder: Path, mode: str = "hybrid",
                split: str | None = None, progress: bool = False,
                tuning: answers.Tuning = answers.TUNING) -> dict[str, Any]:
    """Weights, passages and thresholds fitted on these questions (with ``tuning``'s
    number of sentences the encoder re-scores, and its weights for what PIAF cannot
    measure); with answer@1 without each feature, to keep only rules that win."""
    encoded = tuning.encoded
    queries, gold, _ = _questions(folder, split)
    index_beir(settings, folder, None, progress)
    tables = {}
    with Searcher.open(settings) as searcher:
        scope = searcher.scope(READER)
        searched = [(qid, text.strip(), scope.search(text, mode=mode, limit=10))
                    for qid, text in queries.items()]
        for count in FIT_PASSAGES:  # rarities are counted over the passages read
            found = [(qid, text, answers.passage_candidates(scope, text, hits, count))
                     for qid, text, hits in searched]
            if encoded:
                _add_similarities(searcher, found)
            tables[count] = _table(found, gold)
    fitted = {count: _regression(tables[count], count, bool(encoded))
              for count in FIT_PASSAGES}
    for weights in fitted.values():
        weights.update({n: float(tuning.weights.get(n, 0.0)) for n in UNMEASURED})
    scores = {count: _score(tables[count], weights, count, encoded)[0]
              for count, weights in fitted.items()}
    # another number of passages than the start's must win by more than noise
    passages = max(scores, key=lambda count: scores[count] - PASSAGES_MARGIN * (
        count != tuning.passages))
    weights, table = fitted[passages], tables[passages]
    ablation = {name: _score(table, {**weights, name: 0.0}, passages, encoded)[0]
                for name in FEATURES if weights[name] and name not in UNMEASURED}
    tops = _score(table, weights, passages, encoded)[1]
    return {"split": split or "all", "questions": len(table), "weights": weights,
            "passages": passages, "encoded": encoded, "answer@1_fit": scores[passages],
            "without": ablation,
            # a floor on the score stays the start's: its scale moves with the mode and
            # the encoder (a lexical search has no passage similarity), the share's does not
            "abstain_below": tuning.abstain_below,
            "abstain_share": _threshold([(share, good) for _, share, good in tops],
                                        ABSTAIN_PRECISION),
            "reference_overlap_top_passage": _reference(table)}


def _table(found: list[tuple[str, str, list[Any]]], gold: Mapping[str, list[str]]) -> list:
    """Per question: its candidates' features, which hold a gold span, their ranks."""
    table = []
    for qid, _, candidates in found:
        features = np.array([[c.features.get(n, 0.0) for n in FEATURES] for c in candidates])
        right = np.array([contains_gold(c.text, gold[qid]) for c in candidates], dtype=bool)
        ranks = np.array([c.rank for c in candidates])
        table.append((features.reshape(-1, len(FEATURES)), right, ranks))
    return table


def _regression(table: list, passages: int, encoder: bool) -> dict[str, float]:
    """Non-negative weights that maximise, over the questions with a right sentence in
    the first ``passages``, the log of the softmax mass on the right sentences (with a
    ridge penalty): projected gradient descent on standardised features."""
    columns = [i for i, n in enumerate(FEATURES)
               if n not in UNMEASURED and (encoder or n != "encoder")]
    rows, right, groups = [], [], []
    for question, (features, good, ranks) in enumerate(table):
        keep = ranks <= passages
        if good[keep].any():
            rows.append(features[keep][:, columns])
            right.append(good[keep])
            groups.append(np.full(int(keep.sum()), question))
    weights = dict.fromkeys(FEATURES, 0.0)
    if not rows:
        return weights
    x, good, group = np.vstack(rows), np.concatenate(right), np.concatenate(groups)
    scale = x.std(axis=0) + 1e-9
    z = x / scale
    _, group = np.unique(group, return_inverse=True)
    w = np.zeros(z.shape[1])
    step, questions = 1.0, group.max() + 1
    for _ in range(STEPS):
        score = z @ w
        high = np.full(questions, -np.inf)
        np.maximum.at(high, group, score)
        mass = np.exp(score - high[group])
        every = np.bincount(group, mass, questions)
        wanted = np.bincount(group, mass * good, questions)
        gradient = z.T @ (mass * good / wanted[group] - mass / every[group])
        w = np.maximum(0.0, w + step / questions * (gradient - 2 * L2 * w))
    weights.update({FEATURES[i]: round(float(v), 4)
                    for i, v in zip(columns, w / scale, strict=True)})
    return weights


def _add_similarities(searcher: Searcher, found: list[tuple[str, str, list[Any]]]) -> None:
    """The encoder feature of every candidate, each distinct sentence encoded once (PIAF
    asks several questions of each paragraph), in batches."""
    if searcher.vectors is None or not len(searcher.vectors):
        return
    texts = sorted({c.text[:answers.ENCODER_CHARS] for _, _, candidates in found
                    for c in candidates}, key=len)
    encoder = searcher.semantic.encoder()
    vectors: dict[str, np.ndarray] = {}
    for start in range(0, len(texts), 64):
        batch = texts[start:start + 64]
        vectors.update(zip(batch, encoder.encode(batch), strict=True))
    for _, question, candidates in found:
        query = searcher.semantic.query_vector(question)
        for candidate in candidates:
            vector = vectors[candidate.text[:answers.ENCODER_CHARS]]
            candidate.features["encoder"] = round(max(0.0, float(vector @ query)), 4)


def _score(table: list, weights: Mapping[str, float], passages: int,
           encoded: int = 0) -> tuple[float, list[tuple[float, float, bool]]]:
    """answer@1 of these weights (the encoder only re-scoring the ``encoded`` best), and
    each question's first sentence: its score, its share of the candidates, right."""
    vector = np.array([weights.get(n, 0.0) for n in FEATURES])
    cheap = vector.copy()
    cheap[FEATURES.index("encoder")] = 0.0
    if not encoded:
        vector = cheap
    encoded = max(encoded, 1)  # with none, the first by the other features
    hits, tops = 0, []
    for features, right, ranks in table:
        keep = ranks <= passages
        if not keep.any():
            tops.append((0.0, 0.0, False))
            continue
        rows, good, rank = features[keep], right[keep], ranks[keep]
        scores = rows @ cheap
        first = np.lexsort((rank, -scores))[:encoded]
        scores[first] = rows[first] @ vector
        pick = first[np.lexsort((rank[first], -scores[first]))[0]]
        share = 1.0 / float(np.exp(scores - scores[pick]).sum())
        tops.append((float(scores[pick]), share, bool(good[pick])))
        hits += bool(good[pick])
    return round(hits / max(1, len(table)), 4), tops


def _threshold(tops: list[tuple[float, bool]], precision: float) -> float:
    """The highest value (a score or a share) under which at most ``precision`` of the
    first sentences would have been right: abstaining there loses little."""
    chosen, right = 0.0, 0
    for count, (value, good) in enumerate(sorted(tops), start=1):
        right += good
        if right <= precision * count:
            chosen = value
    return round(chosen, 4)


def _reference(table: list) -> float:
    """The issue's reference: the sentence with the most question words (here: the
    largest overlap feature) in the top passage."""
    hits = 0
    for features, right, ranks in table:
        keep = ranks == ranks.min() if len(ranks) else ranks
        if len(ranks):
            overlap = features[keep][:, FEATURES.index("overlap")]
            hits += bool(right[keep][int(np.argmax(overlap))])
    return round(hits / max(1, len(table)), 4)


def tuning_from(text: str | None) -> answers.Tuning:
    """A tuning given on the command line as JSON (``fit_weights``' output: weights,
    passages, abstain_below, abstain_share), to report a half with what the other half
    chose."""
    if not text:
        return answers.TUNING
    given = json.loads(text)
    weights = given.get("weights", answers.TUNING.weights)
    unknown = set(weights) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown features {sorted(unknown)} (valid: {', '.join(FEATURES)})")
    return answers.Tuning({n: float(v) for n, v in weights.items()},
                          int(given.get("passages", answers.TUNING.passages)),
                          float(given.get("abstain_below", answers.TUNING.abstain_below)),
                          float(given.get("abstain_share", answers.TUNING.abstain_share)),
                          int(given.get("encoded", answers.TUNING.encoded)))
