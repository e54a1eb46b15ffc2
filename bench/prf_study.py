"""Pseudo-relevance feedback on the semantic side, measured before it is built.

    python bench/prf_study.py --beir ../shared/data/beir/piaf-dev --split even \
        --work-dir var/ev/piaf-packaged --variants 0:0,3:0.5,3:1,5:1
    QUISAIT_EMBEDDING_MODEL=var/models/piaf-even-128x3 python bench/prf_study.py \
        --beir ../shared/data/beir/piaf-dev --split odd --work-dir var/ev/piaf-even-tuned

Each variant ``K:BETA`` runs the product's own hybrid search (the searcher of an
evaluation work folder, as ``quisait eval search`` built it), then moves the query's
vector towards the best passages of the first ``K`` fused results (Rocchio:
``q + BETA * mean(passages)``, normalised) and searches again with it; ``0:0`` is the
product as it is.  nDCG@10 and MRR@10 per variant, as ``quisait eval search`` scores them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.settings import load_settings  # noqa: E402
from search import retrieval  # noqa: E402
from search.beir import jsonl_lines, of_split, read_qrels  # noqa: E402
from search.evaluate import DEPTH, READER, eval_settings  # noqa: E402

ORIGINAL = retrieval.HybridRetriever.retrieve
VARIANT = {"k": 0, "beta": 0.0}


def feedback_retrieve(self: retrieval.HybridRetriever,
                      request: retrieval.Request) -> retrieval.Retrieved:
    found = ORIGINAL(self, request)
    k, beta = int(VARIANT["k"]), VARIANT["beta"]
    semantic = self.semantic
    if not k or not beta or not semantic.available or not found.ranking:
        return found
    top = np.asarray([rowid for rowid, _ in found.ranking[:k]], dtype=np.int64)
    mask = semantic._mask(request.allowed, request.passages)
    vids = np.sort(semantic._rows_of(top))
    vids = vids[mask[vids]]
    if not len(vids):
        return found
    query = semantic.query_vector(request.text)
    vectors = semantic.vectors.vectors(vids)
    owners = semantic.vectors.owners[vids]
    scores = vectors @ query
    best: dict[int, int] = {}
    for i, owner in enumerate(owners.tolist()):
        if owner not in best or scores[i] > scores[best[owner]]:
            best[owner] = i
    centroid = vectors[list(best.values())].mean(axis=0)
    moved = query + beta * centroid
    moved = (moved / np.linalg.norm(moved)).astype(query.dtype)
    semantic.query_vector = lambda text: moved if text == request.text else \
        type(semantic).query_vector(semantic, text)
    try:
        return ORIGINAL(self, request)
    finally:
        del semantic.query_vector


def main() -> None:
    from ranx import Qrels, Run, evaluate

    from search.engine import Searcher

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--beir", required=True)
    parser.add_argument("--split", default=None)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--variants", default="0:0,1:0.5,3:0.5,3:1,5:1")
    args = parser.parse_args()
    folder = Path(args.beir)
    settings = eval_settings(load_settings(), folder, None, Path(args.work_dir))
    qrels = of_split(read_qrels(folder), args.split)
    queries = {q["_id"]: q["text"] for q in jsonl_lines(folder / "queries.jsonl")
               if q["_id"] in qrels}
    retrieval.HybridRetriever.retrieve = feedback_retrieve  # type: ignore[method-assign]
    out = {"set": folder.name, "split": args.split or "all", "model": settings.embedding_model,
           "queries": len(queries), "variants": {}}
    with Searcher.open(settings) as searcher:
        for variant in args.variants.split(","):
            k, beta = variant.split(":")
            VARIANT.update(k=int(k), beta=float(beta))
            started = time.perf_counter()
            run: dict[str, dict[str, float]] = {}
            for qid, text in queries.items():
                hits = searcher.search(text, READER, mode="hybrid", limit=DEPTH)
                run[qid] = {hit.id: float(DEPTH - rank) for rank, hit in enumerate(hits)} \
                    or {"beir:__none__": 0.0}
            scores = evaluate(Qrels(qrels), Run(run), ["ndcg@10", "mrr@10"])
            out["variants"][variant] = {m: round(float(v), 4) for m, v in scores.items()} | {
                "seconds": round(time.perf_counter() - started, 1)}
            print(variant, out["variants"][variant], file=sys.stderr, flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
