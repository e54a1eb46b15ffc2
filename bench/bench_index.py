"""Indexing benchmark: is indexing bound by the encoder, and how fast is the rest?

Each measurement runs in a fresh subprocess (clean caches, its own peak RSS):

- ``encode``: the raw ``model.encode`` rate on exactly the passages indexing encodes;
- ``full``: ``quisait index`` end to end (import, catalog, key phrases, Whoosh, FAISS);
- ``lexical``: the same without embeddings;
- ``reindex``: the same sources again, unchanged (expected: no encoding, seconds).

Prints the median of ``--runs`` runs of each, the ratio full/encode (goal >= 0.9)
and peak RSS.  Usage: ``python bench/bench_index.py [--dump DIR] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DUMP = ROOT.parent / "shared" / "data" / "stackexchange" / "quantumcomputing"


FOLDERS = {"encode": "encode", "lexical": "lexical", "full": "full", "reindex": "full"}


def _settings(data_dir: str, **changes: object):  # type: ignore[no-untyped-def]
    from core.settings import load_settings

    return load_settings(data_dir=data_dir, **changes)


def worker_encode(dump: str, data_dir: str) -> dict[str, float]:
    """Import the dump (no indexes), chunk every item as indexing does, time model.encode."""
    from indexer import Catalog, catalog_path, load_encoder
    from indexer.importers import ImportOptions, get_importer
    from indexer.ingest import Ingestor, IngestReport

    settings = _settings(data_dir, embeddings=False)
    catalog = Catalog(catalog_path(settings))
    Ingestor(catalog, "bench", IngestReport()).ingest(
        get_importer("stackexchange")(dump, ImportOptions()))
    items = [i for i in catalog.changed_items(0) if not i.deleted]
    encoder = load_encoder(settings)
    texts = [chunk.text for item in items for chunk in encoder.chunks(item.title, item.text)]
    started = time.perf_counter()
    encoder.encode(texts)
    seconds = time.perf_counter() - started
    return {"items": len(items), "passages": len(texts), "seconds": seconds,
            "items_per_s": len(items) / seconds}


def worker_index(dump: str, data_dir: str, embeddings: bool) -> dict[str, float]:
    from indexer import index_sources

    report = index_sources(_settings(data_dir, embeddings=embeddings), [dump])
    items = report.fulltext_changes or 1
    return {"records": report.read, "items": report.fulltext_changes, "seconds": report.seconds,
            "items_per_s": items / report.seconds, **{f"t_{k}": v for k, v in
                                                      report.timings.items()},
            "fulltext_docs_per_s": items / report.timings.get("fulltext", 1e-9)}


def worker_reindex(dump: str, data_dir: str) -> dict[str, float]:
    from indexer import index_sources

    report = index_sources(_settings(data_dir), [dump])
    return {"seconds": report.seconds, "unchanged": report.unchanged, "added": report.added,
            "vector_changes": report.vector_changes}


def run_worker(name: str, dump: str, data_dir: str) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", name, "--dump", dump, "--data-dir", data_dir]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(output.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", default=str(DEFAULT_DUMP))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker", choices=["encode", "full", "lexical", "reindex"])
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(ROOT))
        workers = {"encode": lambda: worker_encode(args.dump, args.data_dir),
                   "full": lambda: worker_index(args.dump, args.data_dir, True),
                   "lexical": lambda: worker_index(args.dump, args.data_dir, False),
                   "reindex": lambda: worker_reindex(args.dump, args.data_dir)}
        result = workers[args.worker]()
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    results: dict[str, list[dict[str, float]]] = {}
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("encode", "lexical", "full", "reindex"):
                folder = f"{tmp}/{FOLDERS[name]}"  # reindex runs over what full built
                results.setdefault(name, []).append(run_worker(name, args.dump, folder))
                print(f"run {run + 1} {name}: {json.dumps(results[name][-1])}", file=sys.stderr)
    report(results, args)


def report(results: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    encode, full = median("encode", "items_per_s"), median("full", "items_per_s")
    summary = {
        "dump": Path(args.dump).name, "runs": args.runs,
        "items": int(median("full", "items")),
        "passages": int(median("encode", "passages")),
        "raw_encode_items_per_s": round(encode, 1),
        "full_index_items_per_s": round(full, 1),
        "ratio_full_to_encode": round(full / encode, 3),
        "lexical_items_per_s": round(median("lexical", "items_per_s"), 1),
        "lexical_fulltext_stage_docs_per_s": round(median("lexical", "fulltext_docs_per_s"), 1),
        "reindex_unchanged_s": round(median("reindex", "seconds"), 2),
        "reindex_vector_changes": int(median("reindex", "vector_changes")),
        "peak_rss_mb": {name: round(max(r["peak_rss_mb"] for r in rows))
                        for name, rows in results.items()},
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
