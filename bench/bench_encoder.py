"""Encoder backends: passages/s and query latency of torch, ONNX fp32 and ONNX int8.

The passages are the first ``--passages`` chunks of a BEIR corpus, chunked as indexing
chunks them; every backend encodes the same ones.  Rounds alternate the backends (on a
shared machine, load drifts between rounds, not within one).  Prints per backend the
median passages/s over the rounds, the median latency of one short query, the cosine
to the torch vectors (min and mean), and the ratios to torch.  The ONNX files are
exported before timing (first use exports them into ``<work-dir>/models``).

Usage: ``python bench/bench_encoder.py [--corpus DIR] [--passages 512] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "beir" / "scifact-dev"
BACKENDS = ("torch", "onnx", "onnx-int8")
QUERY = "how does gestational age affect white matter development"


def passages(encoder, corpus: Path, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The first ``count`` passages of the corpus, chunked as the indexer chunks them."""
    texts: list[str] = []
    with open(corpus / "corpus.jsonl", encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            texts += [c.text for c in encoder.chunks(doc.get("title") or "", doc["text"])]
            if len(texts) >= count:
                return texts[:count]
    return texts


def query_latencies(encoder, queries: int) -> list[float]:  # type: ignore[no-untyped-def]
    for _ in range(5):  # warm-up: first calls allocate
        encoder.encode([QUERY])
    times = []
    for _ in range(queries):
        started = time.perf_counter()
        encoder.encode([QUERY])
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--passages", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=200, help="single queries per round")
    parser.add_argument("--work-dir", type=Path, default=ROOT / "var" / "bench" / "encoder")
    args = parser.parse_args()

    from core.settings import load_settings
    from indexer.embeddings import Encoder

    base = load_settings(data_dir=args.work_dir)
    encoders = {b: Encoder(base.replace(encoder_backend=b)) for b in BACKENDS}
    texts = passages(encoders["torch"], args.corpus, args.passages)
    rates: dict[str, list[float]] = {b: [] for b in BACKENDS}
    latencies: dict[str, list[float]] = {b: [] for b in BACKENDS}
    vectors: dict[str, np.ndarray] = {}
    for round_ in range(args.rounds):
        for backend, encoder in encoders.items():
            started = time.perf_counter()
            vectors[backend] = encoder.encode(texts)
            rates[backend].append(len(texts) / (time.perf_counter() - started))
            latencies[backend] += query_latencies(encoder, args.queries)
            print(f"round {round_ + 1} {backend:10} {rates[backend][-1]:7.1f} passages/s",
                  file=sys.stderr)
    report = summarise(rates, latencies, vectors, len(texts), base.threads)
    for backend, row in report["backends"].items():
        print(f"{backend:10} {row['passages_per_s']:7.1f} passages/s (x{row['rate_ratio']:.2f})"
              f"  query p50 {row['query_ms_p50']:6.2f} ms (x{row['query_speedup']:.2f} faster)"
              f"  cosine to torch min {row['cosine_min']:.4f} mean {row['cosine_mean']:.4f}")
    print(json.dumps(report))


def summarise(rates: dict[str, list[float]], latencies: dict[str, list[float]],
              vectors: dict[str, np.ndarray], count: int, threads: int) -> dict[str, object]:
    """Medians, ratios to torch and cosine to the torch vectors, one row per backend."""
    torch_rate = statistics.median(rates["torch"])
    torch_query = statistics.median(latencies["torch"])
    rows = {}
    for backend in BACKENDS:
        cosine = (vectors["torch"] * vectors[backend]).sum(axis=1)
        rate, query = statistics.median(rates[backend]), statistics.median(latencies[backend])
        rows[backend] = {
            "passages_per_s": round(rate, 1), "rate_ratio": round(rate / torch_rate, 2),
            "query_ms_p50": round(query * 1000, 2),
            "query_speedup": round(torch_query / query, 2),
            "cosine_min": round(float(cosine.min()), 5),
            "cosine_mean": round(float(cosine.mean()), 5)}
    return {"passages": count, "threads": threads, "backends": rows}


if __name__ == "__main__":
    main()
