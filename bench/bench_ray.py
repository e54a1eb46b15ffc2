"""Indexing on Ray against indexing here: posts/s on the same posts, with the packaged model.

The data are the first ``--posts`` posts of a Stack Exchange dump (with their authors, the
votes and tags; no comments), copied to a temporary dump.  Each measurement runs in a
fresh subprocess and a fresh data folder, so nothing is cached: ``local`` is
``quisait index``; ``ray-1`` and ``ray-2`` are ``quisait index --engine ray --workers N``
on a local Ray instance started (and stopped) by the run, its start included.  Prints the
median of ``--runs`` runs of each, the per-step times, and the overhead ratio Ray/local.
Usage: ``python bench/bench_ray.py [--dump DIR] [--posts 1500] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DUMP = ROOT.parent / "shared" / "data" / "stackexchange" / "quantumcomputing"
ENGINES = {"local": None, "ray-1": 1, "ray-2": 2}  # name -> Ray workers
OWNER = re.compile(r'OwnerUserId="(-?\d+)"')
ROW_ID = re.compile(r'<row Id="(-?\d+)"')


def trim_dump(source: Path, target: Path, posts: int) -> int:
    """A dump in ``target`` (same site name) with the first ``posts`` posts and their authors."""
    target.mkdir(parents=True)
    lines = (source / "Posts.xml").read_text(encoding="utf-8-sig").splitlines()
    rows = [line for line in lines if line.lstrip().startswith("<row ")][:posts]
    owners = {match.group(1) for row in rows if (match := OWNER.search(row))}
    (target / "Posts.xml").write_text(_document("posts", rows), encoding="utf-8")
    users = [line for line in (source / "Users.xml").read_text(encoding="utf-8-sig").splitlines()
             if (match := ROW_ID.search(line)) and match.group(1) in owners]
    (target / "Users.xml").write_text(_document("users", users), encoding="utf-8")
    for name in ("Votes.xml", "Tags.xml"):
        if (source / name).is_file():
            shutil.copy(source / name, target / name)
    return len(rows)


def _document(root: str, rows: list[str]) -> str:
    return "\n".join(['<?xml version="1.0" encoding="utf-8"?>', f"<{root}>", *rows, f"</{root}>"])


def worker(dump: str, data_dir: str, workers: int | None) -> dict[str, float]:
    """Index ``dump`` into ``data_dir`` (here, or on Ray with ``workers`` encoders)."""
    from core.settings import load_settings
    from indexer import index_sources
    from indexer.distributed import index_sources_on_ray

    settings = load_settings(data_dir=data_dir)
    if workers is None:
        report = index_sources(settings, [dump])
        remote: dict[str, int] = {}
    else:
        ray_report = index_sources_on_ray(settings, [dump], workers=workers)
        report = ray_report
        remote = {"passages_sent": ray_report.passages_sent, "workers": ray_report.workers}
    return {"seconds": report.seconds, "records": report.read, "items": report.fulltext_changes,
            **remote, **{f"t_{name}": value for name, value in report.timings.items()}}


def run_worker(engine: str, dump: str, data_dir: str) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", engine, "--dump", dump,
               "--data-dir", data_dir]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT,
                            env=env, timeout=900)
    return json.loads(output.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", default=str(DEFAULT_DUMP))
    parser.add_argument("--posts", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker", choices=sorted(ENGINES))
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(worker(args.dump, args.data_dir, ENGINES[args.worker])))
        return
    results: dict[str, list[dict[str, float]]] = {name: [] for name in ENGINES}
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "dump" / Path(args.dump).name
        posts = trim_dump(Path(args.dump), dump, args.posts)
        for run in range(args.runs):
            for name in ENGINES:
                folder = Path(tmp) / f"{name}-{run}"  # fresh: nothing cached
                results[name].append(run_worker(name, str(dump), str(folder)))
                print(f"run {run + 1} {name}: {json.dumps(results[name][-1])}", file=sys.stderr)
                shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(summary(results, posts, args), indent=2))


def summary(results: dict[str, list[dict[str, float]]], posts: int,
            args: argparse.Namespace) -> dict[str, object]:
    def median(name: str, key: str) -> float:
        return statistics.median(r.get(key, 0.0) for r in results[name])

    seconds = {name: median(name, "seconds") for name in ENGINES}
    steps = ("t_ray_start", "t_import", "t_encode", "t_keyphrases", "t_fulltext", "t_vectors")
    return {
        "dump": Path(args.dump).name, "posts": posts, "runs": args.runs, "cpus": os.cpu_count(),
        "posts_per_s": {name: round(posts / seconds[name], 1) for name in ENGINES},
        "seconds": {name: round(value, 1) for name, value in seconds.items()},
        "steps_s": {name: {step[2:]: round(median(name, step), 1) for step in steps
                           if any(step in r for r in results[name])} for name in ENGINES},
        "passages_encoded_on_ray": {name: int(median(name, "passages_sent"))
                                    for name in ENGINES if name != "local"},
        "overhead_ray_over_local": {name: round(seconds[name] / seconds["local"], 2)
                                    for name in ENGINES if name != "local"},
        "note": (f"{os.cpu_count()} CPUs here: Ray's workers share them with this process "
                 "(reading, the catalog, Whoosh), so 2 workers cannot beat local by much; "
                 "encoding scales with the CPUs of added nodes, the single writer does not"),
    }


if __name__ == "__main__":
    main()
