"""Recall@10 of the approximate (HNSW) vector index against exact search, with permissions.

Uses the search benchmark's 100k corpus twice: ``var/bench/search-100000`` (flat, exact)
and a copy whose vectors were switched to HNSW (``var/bench/search-100000-hnsw``; made by
``bench/bench_search.py`` runs, or by copying the folder and rebuilding with
``QUISAIT_VECTOR_INDEX=hnsw``).  Real queries (the search benchmark's pools) are encoded
with the packaged model; each is searched as the viewers of the benchmark's population (a
permission mask over the viewer's readable groups), and the top 10 items (best passage
per item) of both indexes are compared.  Prints mean recall@10 overall and per viewer kind.

    python bench/bench_recall.py [--exact DIR] [--approx DIR] [--queries 100]
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


def top_items(index: object, vector: object, mask: object) -> list[int]:
    best: dict[int, float] = {}
    for rowid, _ordinal, score in index.search(vector, TOP * 3, mask):  # type: ignore[attr-defined]
        best[rowid] = max(score, best.get(rowid, -1.0))
    return [r for r, _ in sorted(best.items(), key=lambda p: -p[1])[:TOP]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exact", default="var/bench/search-100000")
    parser.add_argument("--approx", default="var/bench/search-100000-hnsw")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    from core.visibility import readable_groups
    from indexer import Catalog, VectorIndex, catalog_path, load_encoder

    exact_dir, approx_dir = Path(args.exact), Path(args.approx)
    settings = bench_settings(exact_dir)
    exact = VectorIndex.open(exact_dir / "vectors", settings)
    approx = VectorIndex.open(approx_dir / "vectors", bench_settings(approx_dir))
    if approx.kind != "hnsw":
        raise SystemExit(f"{approx_dir}: its vector index is {approx.kind}, not hnsw")
    catalog = Catalog(catalog_path(settings))
    people, groups = catalog.people(), catalog.groups()
    group_of = dict(catalog.db.execute("SELECT rowid, group_id FROM items WHERE deleted = 0"))
    catalog.close()
    rng = random.Random(args.seed)
    queries = draw_queries(rng, args.queries)
    pools = {k: v for k, v in viewer_pools(exact_dir).items() if v and k != "unknown"}
    encoder = load_encoder(settings)
    recalls: dict[str, list[float]] = {kind: [] for kind in pools}
    for number, query in enumerate(queries):
        kind = list(pools)[number % len(pools)]
        viewer = people.get(rng.choice(pools[kind]))
        allowed = readable_groups(viewer, groups.values())
        masks = {name: np.array([group_of.get(int(r), "") in allowed for r in index.owners])
                 for name, index in (("exact", exact), ("approx", approx))}
        vector = encoder.encode([query])[0]
        truth = top_items(exact, vector, masks["exact"])
        if not truth:
            continue
        found = top_items(approx, vector, masks["approx"])
        recalls[kind].append(len(set(truth) & set(found)) / len(truth))
    every = [r for values in recalls.values() for r in values]
    result = {"queries": len(every), "recall@10": round(statistics.mean(every), 4),
              "goal": GOAL, "per_viewer_kind": {k: round(statistics.mean(v), 4)
                                                for k, v in recalls.items() if v},
              "vectors": len(exact.owners)}
    log(f"recall@10 of HNSW vs exact: {result['recall@10']:.4f} (goal {GOAL})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
