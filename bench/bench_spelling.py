"""What the automatic correction of typos (``spelling_correction``) costs a search.

On a BEIR work folder built by ``quisait eval search`` (its corpus indexed in one open
group), two searchers over the same index, one with the correction and one without,
answer the same questions alternately (so both see the same machine load; each goes
first on every other question): the questions as written, then each with one letter
added inside its longest word (a typo the correction has to find), then 20 queries of
64 unknown 14-letter words (the most a query holds: the worst case).  Prints, per
workload, the median and p95 in ms of each searcher (the best of ``--repeats`` runs per
question; with 1, the default, the correction is computed on every search, as for a
query never seen: it is kept per index version after that), their ratio, and the share
of questions corrected.

Usage::

    quisait eval search --beir ../shared/data/beir/piaf-dev --mode hybrid --work-dir DIR
    python bench/bench_spelling.py --beir ../shared/data/beir/piaf-dev --work-dir DIR
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import string
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def typo(text: str) -> str:
    """One letter added inside the longest word (after its third letter)."""
    words = text.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    words[longest] = word[:3] + "q" + word[3:] if len(word) > 3 else word
    return " ".join(words)


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beir", type=Path, required=True)
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--mode", default="hybrid")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    from core.settings import load_settings
    from search import Searcher
    from search.evaluate import GROUP
    from search.scope import Scope

    lines = (args.beir / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["text"] for line in lines[:args.questions]]
    settings = replace(load_settings(), data_dir=args.work_dir)
    searchers = {name: Searcher.open(replace(settings, spelling_correction=on))
                 for name, on in (("without", False), ("with", True))}
    scopes = {name: Scope(None, frozenset({GROUP}), frozenset({GROUP}), searcher)
              for name, searcher in searchers.items()}
    report: dict[str, object] = {"mode": args.mode, "questions": len(questions),
                                 "repeats": args.repeats}
    rng = random.Random(1)
    gibberish = [" ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(14))
                          for _ in range(64)) for _ in range(20)]
    for workload, texts in (("as written", questions),
                            ("one typo each", [typo(q) for q in questions]),
                            ("64 unknown words", gibberish)):
        times: dict[str, list[float]] = {name: [] for name in scopes}
        corrected = 0
        for number, text in enumerate(texts):
            order = list(scopes.items())  # each goes first on every other question
            for name, scope in (order if number % 2 else order[::-1]):
                best = float("inf")
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    scope.search(text, mode=args.mode, limit=10)
                    best = min(best, (time.perf_counter() - start) * 1000)
                times[name].append(best)
            corrected += bool(scopes["with"].corrections(text))
        medians = {name: statistics.median(values) for name, values in times.items()}
        report[workload] = {
            **{f"{name}_ms": {"median": round(medians[name], 2),
                              "p95": round(p95(values), 2)}
               for name, values in times.items()},
            "ratio_median": round(medians["with"] / medians["without"], 3),
            "ratio_p95": round(p95(times["with"]) / p95(times["without"]), 3),
            "corrected_share": round(corrected / len(texts), 3),
        }
    for searcher in searchers.values():
        searcher.close()
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
