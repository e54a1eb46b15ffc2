"""Expertise study: dump each test question's signals once, then try weightings offline.

    quisait eval experts --stackexchange DIR --split-at 0.6 --quiet      # builds the folder
    python bench/expert_study.py dump --stackexchange DIR --split-at 0.6 --mode hybrid \
        --out var/experts/qc-at60-hybrid.json
    python bench/expert_study.py score var/experts/*.json

``dump`` re-reads the dump's time split (:func:`expertise.evaluate.split_dump`), opens
the work folder ``quisait eval experts`` built for it (``--tuned``: the tuned one), and
for every test question keeps what :meth:`expertise.finder.ExpertFinder.experts`
combines: each candidate's credits (their evidence is the sum of the ten best), profile
match, and the activity counts, plus how much the question found (the retrieved threads'
relevance).  ``score`` prints the MRR of each weighting on each dump beside the
product's, so a change can be checked on every split and site at once.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.settings import load_settings  # noqa: E402
from expertise.evaluate import READER, TUNED_MODEL, baselines, eval_settings, split_dump  # noqa: E402
from expertise.finder import CREDITED, MIN_RELEVANCE, THREAD_SHARE  # noqa: E402
from expertise.records import plain_query  # noqa: E402
from expertise.scoring import WEIGHTINGS, Signals, Weighting, combine  # noqa: E402


def dump(args: argparse.Namespace) -> None:
    from dataclasses import replace

    from expertise.finder import ExpertFinder
    from search import Searcher

    folder = Path(args.stackexchange)
    split = split_dump(folder, args.split_at)
    settings = eval_settings(load_settings(), folder, None, tuned=args.tuned,
                             split_at=args.split_at)
    if args.tuned:
        settings = replace(settings, embedding_model=str(settings.data_dir / TUNED_MODEL))
    if not (settings.data_dir / "catalog.sqlite").exists():
        sys.exit(f"{settings.data_dir}: run `quisait eval experts` for this split first")
    candidates = sorted(split.candidates)
    out: dict[str, object] = {
        "site": folder.name, "split_at": args.split_at, "mode": args.mode,
        "tuned": args.tuned, "candidates": candidates,
        "baseline_mrr": baselines(split)["answers_before_t"]["mrr"], "questions": []}
    with Searcher.open(settings) as searcher:
        finder = ExpertFinder(searcher)
        scope = searcher.scope(READER)
        activity = finder.activity.for_groups(scope.readable, split.split)
        people = finder.rankable(scope)
        out["answers"] = {c: activity.answers.get(c, 0) for c in candidates}
        out["accepted"] = {c: activity.accepted.get(c, 0) for c in candidates}
        out["recent"] = {c: round(activity.recent_answers.get(c, 0.0), 5) for c in candidates}
        out["answer_rate"] = {c: round(activity.answer_rate(c), 5) for c in candidates}
        for qid, text, gold in split.tests:
            parsed = plain_query(text)
            hits = scope.search(parsed, mode=args.mode, limit=finder.depth)
            credits = finder._credit(hits, scope, split.split)
            profile = finder._profile_scores(text, people)
            top = max((h.score for h in hits), default=0.0)
            relevance = [h.score / top * THREAD_SHARE.get(h.kind, 1.0) if top > 0 else 1.0
                         for h in hits]
            out["questions"].append({  # type: ignore[attr-defined]
                "id": qid, "gold": gold, "top_score": round(top, 5), "hits": len(hits),
                "relevance_mass": round(sum(r for r in relevance if r >= MIN_RELEVANCE), 4),
                "credits": {p: [round(c, 5) for c, _ in sorted(credits[p], key=lambda x: -x[0])]
                            for p in credits if p in split.candidates},
                "profile": {p: round(v, 4) for p, v in profile.items() if p in split.candidates},
            })
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out))
    print(f"{len(split.tests)} questions -> {args.out}", file=sys.stderr)


# -- weightings over a dump's question ------------------------------------------------

Scores = Callable[[dict], dict[str, float]]   # a question -> each candidate's score
Study = Callable[[dict], Scores]              # a dump -> its question scorer
Adder = Callable[[list[float]], float]        # a person's credits, best first -> evidence


def _ranks(data: dict, score: Scores) -> list[int]:
    ranks = []
    for question in data["questions"]:
        scores = score(question)
        order = sorted(data["candidates"], key=lambda c: (-scores.get(c, 0.0), c))
        ranks.append(order.index(question["gold"]) + 1)
    return ranks


def _mrr(ranks: list[int]) -> float:
    return sum(1 / r for r in ranks) / len(ranks)


def ten_best(credits: list[float]) -> float:
    """The finder's evidence: the sum of a person's CREDITED best credits."""
    return sum(credits[:CREDITED])


def linear(weights: dict[str, float], add: Adder = ten_best, adaptive: float = 0.0) -> Study:
    """The product's :func:`expertise.scoring.combine` with ``weights``, each person's
    evidence added from their credits by ``add``; with ``adaptive``, the evidence weight
    scaled by how much the question found: ``min(1, relevance_mass / adaptive)``."""

    def for_dump(data: dict) -> Scores:
        people = data["candidates"]

        def score(question: dict) -> dict[str, float]:
            signals = Signals(
                evidence={p: add(sorted(c, reverse=True))
                          for p, c in question["credits"].items() if c},
                profile=question["profile"], answers=data["answers"],
                accepted=data["accepted"], recent=data["recent"],
                answer_rate=data["answer_rate"])
            scale = dict(weights)
            if adaptive and "evidence" in scale:
                scale["evidence"] *= min(1.0, question["relevance_mass"] / adaptive)
            combined = combine(signals, people, Weighting(scale))
            return {p: total for p, (total, _) in combined.items()}
        return score
    return for_dump


DEFAULT = dict(WEIGHTINGS["default"].weights)
PREVIOUS = {"evidence": 1.0, "recent": 1.0, "profile": 0.3}  # the default before 2026-12-07
ADDERS: dict[str, Adder] = {
    "top3": lambda c: sum(c[:3]), "top5": lambda c: sum(c[:5]), "top10": ten_best,
    "top20": lambda c: sum(c[:20]), "all": sum, "max": max,
    "sqrt10": lambda c: sum(x ** 0.5 for x in c[:10]),
    "squares10": lambda c: sum(x * x for x in c[:10]),
    "log10": lambda c: math.log1p(sum(c[:10])),
}

CANDIDATES: dict[str, Study] = {
    "product": linear(DEFAULT),
    "routing": linear(dict(WEIGHTINGS["routing"].weights)),
    "previous": linear(PREVIOUS),
    "evidence": linear({"evidence": 1.0}),
    "prior": linear({"prior": 1.0}),
    "ev+prior": linear({"evidence": 1.0, "prior": 1.0, "profile": 0.3}),
    "ev+prior+recent": linear({"evidence": 1.0, "prior": 0.5, "recent": 0.5, "profile": 0.3}),
    "ev+prior+recent1": linear({"evidence": 1.0, "prior": 1.0, "recent": 1.0, "profile": 0.3}),
    "ev.5+recent": linear({"evidence": 0.5, "recent": 1.0, "profile": 0.3}),
    "ev.5+prior": linear({"evidence": 0.5, "prior": 1.0, "profile": 0.3}),
    "ev.7+prior+recent": linear({"evidence": 0.7, "prior": 0.5, "recent": 0.5,
                                 "profile": 0.3}),
    **{f"adaptive{at}": linear(DEFAULT, adaptive=float(at)) for at in (5, 10, 20)},
    **{f"credits-{name}": linear(DEFAULT, add) for name, add in ADDERS.items()},
}


def score(args: argparse.Namespace) -> None:
    dumps = [json.loads(Path(p).read_text()) for p in args.dumps]
    names = args.weightings.split(",") if args.weightings else list(CANDIDATES)
    labels = [f"{d['site'][:8]}@{d['split_at']}/{d['mode'][:3]}{'/t' if d['tuned'] else ''}"
              for d in dumps]
    print(f"{'weighting':<20}" + "".join(f"{label:>22}" for label in labels) + f"{'mean':>8}")
    print(f"{'baseline (answers)':<20}" + "".join(f"{d['baseline_mrr']:>22.4f}" for d in dumps))
    for name in names:
        values = [_mrr(_ranks(d, CANDIDATES[name](d))) for d in dumps]
        print(f"{name:<20}" + "".join(f"{v:>22.4f}" for v in values)
              + f"{sum(values) / len(values):>8.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    d = commands.add_parser("dump")
    d.add_argument("--stackexchange", required=True)
    d.add_argument("--split-at", type=float, default=0.8)
    d.add_argument("--mode", default="hybrid")
    d.add_argument("--tuned", action="store_true")
    d.add_argument("--out", required=True)
    s = commands.add_parser("score")
    s.add_argument("dumps", nargs="+")
    s.add_argument("--weightings", help="comma-separated names (default: all)")
    args = parser.parse_args()
    dump(args) if args.command == "dump" else score(args)


if __name__ == "__main__":
    main()
