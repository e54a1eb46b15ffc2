"""Recall@10 of the approximate (HNSW) vector index against exact search, with permissions.

Uses the search benchmark's 100k corpus (``var/bench/search-100000``: past
``hnsw_threshold`` vectors its index is an HNSW graph).  The exact answer is a brute-force
numpy scan over the very same stored vectors.  Real queries (the search benchmark's pools)
are encoded with the packaged model; each is searched as a viewer of the benchmark's
population (a permission mask over the viewer's readable groups: sparse masks are scanned
exactly by the index itself, wide ones walk the graph), and the top 10 items (best passage
per item) are compared.  Prints mean recall@10 overall and per viewer kind, and how many
queries went through the graph.

    python bench/bench_recall.py [--work-dir DIR] [--queries 100]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_search import bench_settings, draw_queries, log, viewer_pools  # noqa: E402

GOAL = 0.95
TOP = 10


def top_items(ranked: list[tuple[int, int, float]]) -> list[int]:
    best: dict[int, float] = {}
    for rowid, _ordinal, score in ranked:
        best[rowid] = max(score, best.get(rowid, -1.0))
    return [r for r, _ in sorted(best.items(), key=lambda p: (-p[1], p[0]))[:TOP]]


def brute_force(matrix: np.ndarray, owners: np.ndarray, vector: np.ndarray,
                mask: np.ndarray, k: int) -> list[tuple[int, int, float]]:
    scores = np.where(mask & (owners >= 0), matrix @ vector, -np.inf)
    best = np.argsort(-scores, kind="stable")[:k]
    return [(int(owners[v]), 0, float(scores[v])) for v in best if np.isfinite(scores[v])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work-dir", default="var/bench/search-100000")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    from indexer.vectors import EXACT_SUBSET
    from search import Searcher

    work_dir = Path(args.work_dir)
    # the searcher's own vector index and encoder; its scopes say what each viewer reads
    searcher = Searcher.open(bench_settings(work_dir))
    index, encoder = searcher.vectors, searcher.semantic.encoder()
    if index is None or index.kind != "hnsw":
        raise SystemExit(f"{work_dir}: its vector index is not hnsw")
    matrix = index.vectors(np.arange(index.rows))
    rng = random.Random(args.seed)
    queries = draw_queries(rng, args.queries)
    pools = {k: v for k, v in viewer_pools(work_dir).items() if v and k != "unknown"}
    recalls: dict[str, list[float]] = {kind: [] for kind in pools}
    walked = 0
    for number, query in enumerate(queries):
        kind = list(pools)[number % len(pools)]
        mask = index.group_mask(searcher.scope(rng.choice(pools[kind])).readable)
        vector = encoder.encode([query])[0]
        truth = top_items(brute_force(matrix, index.owners, vector, mask, TOP * 3))
        if not truth:
            continue
        walked += int(mask[: index.graph_rows].sum()) > EXACT_SUBSET
        found = top_items(index.search(vector, TOP * 3, mask))
        recalls[kind].append(len(set(truth) & set(found)) / len(truth))
    searcher.close()
    every = [r for values in recalls.values() for r in values]
    result = {"queries": len(every), "through_the_graph": walked,
              "recall@10": round(statistics.mean(every), 4), "goal": GOAL,
              "per_viewer_kind": {k: round(statistics.mean(v), 4)
                                  for k, v in recalls.items() if v},
              "vectors": index.rows, "graph_rows": index.graph_rows}
    log(f"recall@10 of HNSW vs exact: {result['recall@10']:.4f} (goal {GOAL}); "
        f"{walked} of {len(every)} queries walked the graph")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
