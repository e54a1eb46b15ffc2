"""Tuning speed: training pairs per minute of the packaged model on 2 cores.

Pairs of ``../shared/data/beir/piaf-dev`` (French questions and their paragraphs), with
their hard negatives from the corpus indexed lexically (as ``quisait tune --beir`` does),
the same negatives encoded without gradients (``--detached-negatives``), or in-batch
negatives only, at the window lengths given; each configuration trains
``--pairs`` pairs (whole batches of 32) in a fresh process, after one warm-up batch, and
prints the rate; the median of ``--repeats`` runs is reported with the goal (200 pairs a
minute).

Usage: ``python bench/bench_tune.py [--pairs 256] [--repeats 3] [--tokens 256,128]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIAF = ROOT.parent / "shared" / "data" / "beir" / "piaf-dev"
GOAL = 200.0


def pairs_with_negatives(hard: bool) -> list:
    from dataclasses import replace

    from core.settings import Settings
    from quisait.tune_cli import _beir_pairs

    settings = Settings(data_dir=ROOT / "var" / "bench" / "tune")
    pairs = _beir_pairs(settings, PIAF, None, hard)
    return pairs if hard else [replace(p, negative=None) for p in pairs]


def worker(count: int, negatives: str, tokens: int) -> dict[str, float]:
    """Train ``count`` pairs; the rate after a warm-up batch."""
    import torch
    from sentence_transformers import SentenceTransformer

    from core.settings import DEFAULT_MODEL
    from indexer.embeddings import resolve_model
    from search.tuning import TuneOptions, _linear_schedule, _step, make_batches

    try:
        from sentence_transformers.sentence_transformer.losses import (
            MultipleNegativesRankingLoss,
        )
    except ImportError:
        from sentence_transformers.losses import (  # type: ignore[no-redef]
            MultipleNegativesRankingLoss,
        )
    torch.set_num_threads(2)
    torch.manual_seed(0)
    options = TuneOptions(max_seq_length=tokens)
    model = SentenceTransformer(resolve_model(DEFAULT_MODEL), device="cpu")
    model.max_seq_length = options.max_seq_length
    hard = negatives != "in-batch"
    detached = negatives == "detached"
    batches = make_batches(pairs_with_negatives(hard), options.batch_size, random.Random(0))
    batches = batches[: 1 + count // options.batch_size]
    loss = MultipleNegativesRankingLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.learning_rate)
    schedule = _linear_schedule(optimizer, 0.1, len(batches))
    model.train()
    _step(model, loss, optimizer, schedule, batches[0], detached)  # warm-up
    started = time.perf_counter()
    trained = 0
    for batch in batches[1:]:
        _step(model, loss, optimizer, schedule, batch, detached)
        trained += len(batch)
    seconds = time.perf_counter() - started
    return {"pairs": trained, "seconds": round(seconds, 1),
            "pairs_per_minute": round(trained / seconds * 60, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tokens", default="256,128")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        count, negatives, tokens = args.worker
        print(json.dumps(worker(int(count), negatives, int(tokens))))
        return
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    pairs_with_negatives(True)  # index the corpus once, outside the timings
    table = []
    for tokens in (int(t) for t in args.tokens.split(",")):
        for hard in ("hard", "detached", "in-batch"):
            rates = []
            for _ in range(args.repeats):
                command = [sys.executable, __file__, "--worker", str(args.pairs), hard,
                           str(tokens)]
                output = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env,
                                        cwd=ROOT, check=True).stdout
                rates.append(json.loads(output.strip().splitlines()[-1])["pairs_per_minute"])
            median = statistics.median(rates)
            table.append({"tokens": tokens, "negatives": hard, "pairs_per_minute": median,
                          "runs": rates, "goal": GOAL, "ratio": round(median / GOAL, 2)})
            print(f"{tokens:4} tokens, {hard:8} negatives: {median:6.1f} pairs/min "
                  f"(x{median / GOAL:.2f} of the goal; runs {rates})", file=sys.stderr)
    print(json.dumps({"load_average_1m": os.getloadavg()[0], "results": table}, indent=2))


if __name__ == "__main__":
    main()
