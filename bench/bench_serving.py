"""Read traffic served locally and by Ray Serve replicas: requests/s, p50 and p95.

Runs ``quisait serve`` (waitress, as ``bench/load.py`` does, whose plan, clients and summary
this reuses) over one temporary copy of the search bench's corpus, once per configuration:
``serving = "local"``, then ``serving = "ray"`` with 1 and 2 replicas (a local Ray instance
on 127.0.0.1, started by the server).  The clients send only reads: searches (lexical,
semantic, hybrid), expert rankings, person pages and post pages.

On one machine the replicas share its cores with the server, the clients and each other:
this measures what the indirection costs and whether replicas keep up, not how read
traffic grows with nodes.

Usage: ``python bench/bench_serving.py [--size 10000] [--seconds 60] [--clients 8]
[--server-threads 8] [--configs local,ray-1,ray-2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402  (bench/load.py)

CONFIGS = {"local": {"QUISAIT_SERVING": "local"},
           "ray-1": {"QUISAIT_SERVING": "ray", "QUISAIT_REPLICAS": "1"},
           "ray-2": {"QUISAIT_SERVING": "ray", "QUISAIT_REPLICAS": "2"}}
READS = {"search": 0.55, "experts": 0.12, "people": 0.10, "posts": 0.10}


def copy_corpus(size: int, into: Path) -> tuple[Path, Path]:
    """A copy of ``var/bench/search-<size>`` in ``into`` (the bench's own is never written)."""
    source = ROOT / "var" / "bench" / f"search-{size}"
    if not (source / "catalog.sqlite").is_file():
        raise SystemExit(f"{source} is missing: build it with "
                         f"`python bench/bench_search.py --size {size}` first")
    target = into / source.name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(
        "network-export.jsonl", "workload.json", "build.json", "lock"))
    return target, source


def run(name: str, data_dir: Path, plan: load.Plan, args: argparse.Namespace) -> dict[str, Any]:
    """One configuration: start the server, load it for ``args.seconds``, stop it."""
    saved = dict(os.environ)
    os.environ.update(CONFIGS[name])  # the server reads QUISAIT_* from its environment
    try:
        server = load.Server(data_dir, args.server_threads, data_dir.parent / f"{name}.log")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        ready = server.wait_ready(args.ready_timeout)
        load.log(f"{name}: ready in {ready:.1f} s")
        load.add_roles(server.url, plan, args.timeout)
        results = load.Results()
        started = time.perf_counter()
        clients = [load.Client(n, plan, server.url, started + args.seconds, args.timeout,
                               results, args.seed) for n in range(args.clients)]
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=args.seconds + args.timeout + 30)
        facts = load.summary(results, time.perf_counter() - started)
        facts.update(config=name, ready_s=round(ready, 1),
                     error_samples=results.errors[:5])
        return facts
    finally:
        server.stop()


def print_table(runs: list[dict[str, Any]]) -> None:
    print(f"{'config':<8}{'req/s':>8}{'search p50':>12}{'search p95':>12}{'experts p50':>13}"
          f"{'experts p95':>13}{'errors':>8}{'ready s':>9}")
    for facts in runs:
        ends = facts["endpoints"]
        search = [ends[k] for k in ends if k.startswith("search:")]
        count = sum(r["requests"] for r in search) or 1
        p50 = sum(r["p50_ms"] * r["requests"] for r in search) / count
        p95 = sum(r["p95_ms"] * r["requests"] for r in search) / count
        experts = ends.get("experts", {"p50_ms": 0, "p95_ms": 0})
        print(f"{facts['config']:<8}{facts['requests_per_s']:>8}{p50:>12.1f}{p95:>12.1f}"
              f"{experts['p50_ms']:>13}{experts['p95_ms']:>13}{facts['errors']:>8}"
              f"{facts['ready_s']:>9}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10_000, choices=(10_000, 100_000))
    parser.add_argument("--seconds", type=float, default=60.0, help="per configuration")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    parser.add_argument("--ready-timeout", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--configs", default="local,ray-1,ray-2",
                        help=f"comma-separated, among {', '.join(CONFIGS)}")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    names = args.configs.split(",")
    if unknown := set(names) - set(CONFIGS):
        raise SystemExit(f"unknown configurations {sorted(unknown)} (valid: {list(CONFIGS)})")
    load.MIX.clear()
    load.MIX.update(READS)
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as work:
        started = time.perf_counter()
        data_dir, source = copy_corpus(args.size, Path(work))
        load.log(f"copied {source.name} in {time.perf_counter() - started:.1f} s")
        plan = load.make_plan(data_dir, source, args.seed)
        runs = [run(name, data_dir, plan, args) for name in names]
    print(f"# {args.clients} clients, {args.seconds:g} s per configuration, corpus "
          f"{source.name}, server threads {args.server_threads}, {os.cpu_count()} CPUs")
    print_table(runs)
    for facts in runs:
        print(json.dumps(facts))
    return 1 if any(f["errors"] for f in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
