"""What extracted answers add to a search: medians and p95 of search alone and of search
plus :func:`search.answers.extract_answer`, and their ratio, on a BEIR folder indexed
by ``quisait eval answers`` (PIAF's questions by default), plus the cost of each part
(sentence splitting by rules and by spaCy's ``fr_core_news_sm``, the encoder).

Each question is searched once, then answered from those hits; the two timings are
taken in alternation, question after question, so a load that changes over the run
weighs on both.  Goal (issue 17): the extraction adds at most 30 ms p95 on 2 cores.

Usage: ``python bench/bench_answers.py [--beir DIR] [--work-dir DIR] [--mode hybrid]
[--questions 300] [--spacy]``  (the work folder as ``quisait eval answers`` left it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.settings import load_settings  # noqa: E402
from search import Searcher, answers  # noqa: E402
from search.beir import jsonl_lines  # noqa: E402
from search.evaluate import READER, index_beir  # noqa: E402
from search.sentences import split_sentences  # noqa: E402

GOAL_MS = 30.0


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median": round(statistics.median(ordered), 2), "p95": round(p95, 2)}


def measure(searcher: Searcher, questions: list[str], mode: str) -> dict[str, Any]:
    alone, extraction, total, encoder = [], [], [], []
    original = answers._similarity

    def timed_similarity(found: Searcher, question: str) -> Any:
        similarity = original(found, question)
        if similarity is None:
            return None

        def wrapped(texts: list[str]) -> list[float]:
            started = time.perf_counter()
            try:
                return similarity(texts)
            finally:
                encoder.append((time.perf_counter() - started) * 1000)
        return wrapped

    answers._similarity = timed_similarity  # type: ignore[assignment]
    scope = searcher.scope(READER)
    try:
        for question in questions:
            started = time.perf_counter()
            hits = searcher.search(question, READER, mode=mode, limit=10)
            searched = time.perf_counter()
            answers.extract_answer(scope, question, hits)
            done = time.perf_counter()
            alone.append((searched - started) * 1000)
            extraction.append((done - searched) * 1000)
            total.append((done - started) * 1000)
    finally:
        answers._similarity = original
    search_alone, with_answer = percentiles(alone), percentiles(total)
    return {"questions": len(questions), "mode": mode, "search": search_alone,
            "search_and_answer": with_answer, "extraction": percentiles(extraction),
            "encoder": percentiles(encoder) if encoder else None,
            "ratio_median": round(with_answer["median"] / search_alone["median"], 2),
            "added_p95_ms": round(percentiles(extraction)["p95"], 2),
            "goal_added_p95_ms": GOAL_MS}


def splitting(folder: Path, with_spacy: bool) -> dict[str, Any]:
    """Per-paragraph cost of the rule-based splitter (and of spaCy's, if asked)."""
    texts = [doc.get("text") or "" for doc in jsonl_lines(folder / "corpus.jsonl")]
    out: dict[str, Any] = {"paragraphs": len(texts)}
    timings = []
    for text in texts:
        started = time.perf_counter()
        split_sentences(text)
        timings.append((time.perf_counter() - started) * 1000)
    out["rules_ms"] = percentiles(timings)
    if with_spacy:
        import spacy

        started = time.perf_counter()
        nlp = spacy.load("fr_core_news_sm", exclude=["ner", "lemmatizer"])
        out["spacy_load_s"] = round(time.perf_counter() - started, 2)
        timings, agree = [], 0
        for text in texts:
            started = time.perf_counter()
            theirs = [s.text.strip() for s in nlp(text).sents if s.text.strip()]
            timings.append((time.perf_counter() - started) * 1000)
            agree += [" ".join(s.split()) for s in theirs] == split_sentences(text)
        out["spacy_parser_ms"] = percentiles(timings)
        out["same_sentences_share"] = round(agree / max(1, len(texts)), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beir", type=Path, default=ROOT.parent / "shared" / "data" / "beir"
                        / "piaf-dev")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "var" / "eval17" /
                        "piaf-packaged")
    parser.add_argument("--mode", default="hybrid")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--spacy", action="store_true", help="also time spaCy's splitter")
    args = parser.parse_args()
    settings = replace(load_settings(), data_dir=args.work_dir)
    index_beir(settings, args.beir, None, progress=False)
    questions = [q["text"] for q in jsonl_lines(args.beir / "queries.jsonl")][:args.questions]
    with Searcher.open(settings) as searcher:
        scope = searcher.scope(READER)
        for question in questions[:20]:  # warm the analysers and caches, as a server is
            answers.extract_answer(scope, question,
                                   searcher.search(question, READER, mode=args.mode))
        result = measure(searcher, questions[20:], args.mode)
    result["splitting"] = splitting(args.beir, args.spacy)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
