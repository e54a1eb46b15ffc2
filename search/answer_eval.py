"""Extracted answers measured on a BEIR folder that holds ``answers.jsonl`` (gold spans).

``answer@1``: the first answer sentence contains a gold span (case and spaces ignored;
an abstention is a miss); ``answer@3``: one of the answer's sentences does;
``abstained``: share of questions left without an answer; ``cited_relevant``: the first
citation is a judged relevant document.  Questions go through the product's own path:
:meth:`Searcher.search` as the evaluation reader, then :func:`extract_answer`.

``fit_weights`` chooses the weights, the number of passages read and the abstention
threshold on the questions it is given (one half: the other half is then reported).
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ConfigError
from core.settings import Settings
from search import answers
from search.engine import MODES, Searcher
from search.evaluate import READER, _jsonl, index_beir, read_qrels

FEATURES = ("overlap", "context", "before", "after", "passage", "encoder", "rank",
            "retrieval", "type", "type_near", "source", "novelty")
ABSTAIN_PRECISION = 0.10  # abstain where the first sentence would be right this rarely
STARTS = 4  # coordinate ascent from the built-in weights, then from seeded random points
GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0)
FIT_PASSAGES = (3, 5, 8)
_SPACES = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """Case and spaces ignored: how sentences and gold spans compare."""
    return _SPACES.sub("", text.replace("\u00a0", " ")).casefold()


def contains_gold(sentence: str, gold: list[str]) -> bool:
    squeezed = squeeze(sentence)
    return any(squeeze(span) and squeeze(span) in squeezed for span in gold)


def _questions(folder: Path, split: str | None) -> tuple[dict[str, str], dict[str, list[str]],
                                                          dict[str, dict[str, int]]]:
    from search.pairs import query_split

    for name in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv", "answers.jsonl"):
        if not (folder / name).is_file():
            raise ConfigError(f"{folder} is not a BEIR folder with answers: {name} is missing")
    qrels = read_qrels(folder)
    if split is not None:
        qrels = {q: docs for q, docs in qrels.items()
                 if query_split(q, (d.removeprefix("beir:") for d in docs)) == split}
    gold = {a["_id"]: list(a["answers"]) for a in _jsonl(folder / "answers.jsonl")
            if a["_id"] in qrels and a.get("answers")}
    queries = {q["_id"]: q["text"] for q in _jsonl(folder / "queries.jsonl") if q["_id"] in gold}
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
        for qid, text in queries.items():
            started = time.perf_counter()
            hits = searcher.search(text, READER, mode=mode, limit=10)
            searched = time.perf_counter()
            answer = answers.extract_answer(searcher, text, hits, READER, tuning)
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
                       "abstain_below": tuning.abstain_below, "encoded": tuning.encoded},
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
    """Weights, passages and threshold that maximise answer@1 on these questions (from
    ``tuning``'s weights, with its number of sentences the encoder re-scores); with each
    feature's contribution (answer@1 without it), to keep only rules that win."""
    encoded = tuning.encoded
    queries, gold, _ = _questions(folder, split)
    index_beir(settings, folder, None, progress)
    with Searcher.open(settings) as searcher:
        found = []
        for qid, text in queries.items():
            hits = searcher.search(text, READER, mode=mode, limit=10)
            found.append((qid, text.strip(), answers.passage_candidates(
                searcher, text.strip(), hits, READER, max(FIT_PASSAGES))))
        if encoded:
            _add_similarities(searcher, found)
    table = []
    for qid, _, candidates in found:
        features = np.array([[c.features.get(n, 0.0) for n in FEATURES] for c in candidates])
        right = np.array([contains_gold(c.text, gold[qid]) for c in candidates], dtype=bool)
        ranks = np.array([c.rank for c in candidates])
        table.append((features.reshape(-1, len(FEATURES)), right, ranks))
    best = _ascend(table, dict(tuning.weights), encoded)
    weights, passages = best["weights"], best["passages"]
    ablation = {name: _score(table, {**weights, name: 0.0}, passages, encoded)[0]
                for name in FEATURES if weights[name]}
    threshold = _threshold(table, weights, passages, encoded)
    return {"split": split or "all", "questions": len(table), "weights": weights,
            "passages": passages, "encoded": encoded, "answer@1_fit": best["score"],
            "without": ablation, "abstain_below": threshold,
            "reference_overlap_top_passage": _reference(table)}


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
           encoded: int = 0) -> tuple[float, list[tuple[float, bool]]]:
    """answer@1 of these weights (the encoder only re-scoring the ``encoded`` best)."""
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
            tops.append((0.0, False))
            continue
        rows, good, rank = features[keep], right[keep], ranks[keep]
        first = np.lexsort((rank, -(rows @ cheap)))[:encoded]
        final = rows[first] @ vector
        pick = first[np.lexsort((rank[first], -final))[0]]
        tops.append((float(rows[pick] @ vector), bool(good[pick])))
        hits += bool(good[pick])
    return round(hits / max(1, len(table)), 4), tops


def _ascend(table: list, start: dict[str, float], encoded: int) -> dict[str, Any]:
    """Coordinate ascent over :data:`GRID` for each weight and the passages read, from
    the built-in weights and from a few seeded random points; the best end point."""
    rng = random.Random(17)
    best: dict[str, Any] = {"score": -1.0}
    for attempt in range(STARTS):
        weights = ({n: start.get(n, 0.0) for n in FEATURES} if attempt == 0
                   else {n: rng.choice(GRID) for n in FEATURES})
        passages = answers.TUNING.passages
        score = _score(table, weights, passages, encoded)[0]
        for _round in range(4):
            improved = False
            for name in FEATURES:
                for value in GRID:
                    trial = {**weights, name: value}
                    trial_score = _score(table, trial, passages, encoded)[0]
                    if trial_score > score:
                        weights, score, improved = trial, trial_score, True
            for count in FIT_PASSAGES:
                trial_score = _score(table, weights, count, encoded)[0]
                if trial_score > score:
                    passages, score, improved = count, trial_score, True
            if not improved:
                break
        if score > best["score"]:
            best = {"weights": weights, "passages": passages, "score": score}
    return best


def _threshold(table: list, weights: Mapping[str, float], passages: int,
               encoded: int) -> float:
    """The highest best-score under which at most :data:`ABSTAIN_PRECISION` of the first
    sentences would have been right: abstaining there loses little."""
    tops = sorted(_score(table, weights, passages, encoded)[1])
    chosen, right = 0.0, 0
    for count, (score, good) in enumerate(tops, start=1):
        right += good
        if right <= ABSTAIN_PRECISION * count:
            chosen = score
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
    passages, abstain_below), to report a half with what the other half chose."""
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
                          int(given.get("encoded", answers.TUNING.encoded)))
