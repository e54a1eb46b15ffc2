"""Lexical search latency of two checkouts on the same index, run alternately (A/B).

The search benchmark's index and workload (``bench/bench_search.py``: build it first,
e.g. ``python bench/bench_search.py --size 10000 --texts piaf --work-dir
var/bench/search-10000-piaf``), lexical mode, 200 queries each with a viewer from the
mixed population: a cold pass, then the median of three warm passes per query.  Each
round runs every tree in a fresh process, one after the other, so both see the same
machine load; medians over the rounds are printed with the ratio B / A.

Usage::

    git worktree add /tmp/before <commit>
    python bench/bench_lexical_ab.py --tree /tmp/before --tree . \\
        --work-dir var/bench/search-10000-piaf --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(work_dir: Path, queries: int) -> dict[str, float]:
    """In this process: cold and warm p50 / p95 (ms) of lexical searches."""
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_search

    from search import Searcher

    workload = bench_search.make_workload(work_dir, queries, 0)
    searcher = Searcher.open(bench_search.bench_settings(work_dir))

    def one_pass() -> list[float]:
        times = []
        for item in workload:
            started = time.perf_counter()
            searcher.search(item["query"], item["viewer"], mode="lexical")
            times.append((time.perf_counter() - started) * 1000)
        return times

    cold = one_pass()
    warm = [statistics.median(values) for values in zip(*(one_pass() for _ in range(3)),
                                                          strict=True)]

    def quantile(values: list[float], share: float) -> float:
        return sorted(values)[int(share * (len(values) - 1))]

    return {"cold_p50": quantile(cold, 0.5), "cold_p95": quantile(cold, 0.95),
            "warm_p50": quantile(warm, 0.5), "warm_p95": quantile(warm, 0.95)}


def run_tree(tree: Path, work_dir: Path, queries: int) -> dict[str, float]:
    """One measurement with the code of ``tree`` (its packages first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(tree.resolve()), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, __file__, "--worker", "--work-dir", str(work_dir.resolve()),
               "--queries", str(queries)]
    output = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env,
                            cwd=tree, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", type=Path, default=[],
                        help="a checkout to measure (give two: A then B)")
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.work_dir, args.queries)))
        return
    if len(args.tree) != 2:
        parser.error("give two --tree options (A, then B)")
    results: dict[str, list[dict[str, float]]] = {str(t): [] for t in args.tree}
    for round_number in range(args.rounds):
        for tree in args.tree:
            results[str(tree)].append(run_tree(tree, args.work_dir, args.queries))
            print(f"round {round_number + 1} {tree}: {results[str(tree)][-1]}", file=sys.stderr)
    medians = {tree: {key: round(statistics.median(r[key] for r in runs), 2)
                      for key in runs[0]} for tree, runs in results.items()}
    first, second = (medians[str(t)] for t in args.tree)
    ratios = {key: round(second[key] / first[key], 2) for key in first}
    print(json.dumps({"A": {"tree": str(args.tree[0]), **first},
                      "B": {"tree": str(args.tree[1]), **second},
                      "B/A": ratios}, indent=2))


if __name__ == "__main__":
    main()
