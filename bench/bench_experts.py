"""Expert-finding latency on the search benchmark's corpus (goal: p95 <= 200 ms at 100k).

Builds nothing itself: it measures the corpus ``bench/bench_search.py`` built (run
that first, e.g. ``python bench/bench_search.py --size 100000``), with the same
query and viewer mix.  For each mode it prints cold (first pass) and warm (median of
``--repeats`` passes) p50/p95 of ``ExpertFinder.experts`` (10 experts with evidence,
as the web page asks), the share spent in retrieval (the search call inside), peak
RSS, and the ratio of the warm p95 to the goal.

    python bench/bench_experts.py --size 100000 [--modes lexical,hybrid] [--queries 100]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_search import (  # noqa: E402
    bench_settings,
    distribution,
    log,
    make_workload,
    peak_rss_mb,
)

GOAL_P95_MS = 200.0


def measure(work_dir: Path, mode: str, workload: list[dict[str, str]],
            repeats: int) -> dict[str, Any]:
    from expertise import ExpertFinder
    from search import Searcher

    searcher = Searcher.open(bench_settings(work_dir))
    finder = ExpertFinder(searcher)
    # the retrieval share: every search, through a Scope or the searcher, runs _search
    inner = searcher._search
    spent = [0.0]

    def timed_search(*args: Any, **kwargs: Any) -> Any:
        begun = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - begun

    searcher._search = timed_search  # type: ignore[method-assign]

    def once(item: dict[str, str]) -> tuple[float, float]:
        spent[0] = 0.0
        begun = time.perf_counter()
        finder.experts(item["query"], item["viewer"], mode=mode, limit=10)
        return (time.perf_counter() - begun) * 1000, spent[0] * 1000

    cold = [once(item) for item in workload]
    runs = [[once(item) for item in workload] for _ in range(repeats)]
    warm = [statistics.median(run[i][0] for run in runs) for i in range(len(workload))]
    retrieval = [statistics.median(run[i][1] for run in runs) for i in range(len(workload))]
    finder.close()
    searcher.close()
    return {"mode": mode, "cold": distribution([c[0] for c in cold]),
            "warm": distribution(warm),
            "retrieval_share": round(sum(retrieval) / max(sum(warm), 1e-9), 2),
            "warm_p95_over_goal": round(distribution(warm)["p95"] / GOAL_P95_MS, 2),
            "peak_rss_mb": round(peak_rss_mb())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--work-dir", help="default: var/bench/search-<size>")
    parser.add_argument("--modes", default="lexical,hybrid")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    work_dir = Path(args.work_dir or f"var/bench/search-{args.size}")
    if not (work_dir / "catalog.sqlite").exists():
        raise SystemExit(f"{work_dir}: no corpus; run bench/bench_search.py --size "
                         f"{args.size} first")
    workload = make_workload(work_dir, args.queries, args.seed)
    results = []
    for mode in args.modes.split(","):
        log(f"measuring {mode} on {len(workload)} queries x {args.repeats + 1} passes")
        results.append(measure(work_dir, mode, workload, args.repeats))
        result = results[-1]
        print(f"{mode:8} cold p50 {result['cold']['p50']:7.1f} p95 {result['cold']['p95']:7.1f}"
              f" | warm p50 {result['warm']['p50']:7.1f} p95 {result['warm']['p95']:7.1f} ms"
              f" | retrieval {result['retrieval_share']:.0%} | p95/goal "
              f"{result['warm_p95_over_goal']:.2f} | RSS {result['peak_rss_mb']} MB",
              flush=True)
    print(json.dumps({"size": args.size, "queries": len(workload), "results": results}))


if __name__ == "__main__":
    main()
