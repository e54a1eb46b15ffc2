"""Search latency benchmark: p50/p95 per mode, cold and warm, on a large synthetic network.

``build`` (cached in ``--work-dir``, default ``var/bench/search-<size>``) writes a
deterministic JSONL export of ``--size`` posts whose titles and bodies are the real
texts of the shared data sets (Stack Exchange questions and answers, BEIR documents),
cycled so every text appears, then repeated; they are spread over about 200 groups
(70% open, 20% private, 10% secret) and 2,000 people (2% guests, a few departed),
and indexed with ``index_sources``.  Repeated texts keep identical titles, so the
embedding cache (keyed by passage text) encodes each passage once; it is pre-seeded
from existing catalogs (``--reuse-cache``) and the remaining encoding is estimated
before it starts.

``measure`` runs a fixed workload (queries in both languages, each with a viewer
from a mixed population) once per mode in a fresh subprocess (cold: every query and
viewer seen for the first time; the searcher has loaded the model when it opened,
which ``open_ms`` counts), then again ``--repeats`` times (warm: each query's median;
the searcher's caches are warm, but each query is encoded again, as a new query would
be, unless ``--keep-query-vectors``).  Semantic and hybrid times are split into query
encoding and the rest.
Prints a table and one JSON summary with the goals (2 cores: hybrid p50 <= 50 ms,
p95 <= 150 ms; lexical p95 <= 30 ms; checked on the warm pass).

Usage: ``python bench/bench_search.py [--size 100000] [--work-dir DIR] [--queries 200]
[--skip-build] [--texts scifact,piaf,quantumcomputing,french-meta] [--profile 20]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SOURCES = {  # name -> (layout, folder)
    "scifact": ("beir", DATA / "beir" / "scifact-dev"),
    "piaf": ("beir", DATA / "beir" / "piaf-dev"),
    "quantumcomputing": ("stackexchange", DATA / "stackexchange" / "quantumcomputing"),
    "french-meta": ("stackexchange", DATA / "stackexchange" / "french-meta"),
}
MODES = ("lexical", "semantic", "hybrid")
GOALS = {"hybrid_p50_ms": ("hybrid", "p50", 50), "hybrid_p95_ms": ("hybrid", "p95", 150),
         "lexical_p95_ms": ("lexical", "p95", 30)}  # checked on the warm pass
GROUPS, PEOPLE, GUEST_SHARE, DEPARTED_SHARE, FEED_SHARE = 200, 2000, 0.02, 0.01, 0.05
VISIBILITIES = (("open", 0.7), ("private", 0.2), ("secret", 0.1))
GROUP_KINDS = ("project", "function", "site", "theme", "product", "general")
VIEWER_MIX = (("employee_few_groups", 0.30), ("employee_many_groups", 0.30),
              ("secret_member", 0.20), ("guest", 0.10), ("departed", 0.05), ("unknown", 0.05))
START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 3 * 365 * 86400
FIRST = ("Anne", "Pierre", "Claire", "Ian", "Sophie", "Karim", "Emma", "Lucas", "Nadia", "Tom")
LAST = ("Dubois", "Martin", "Smith", "Nguyen", "Durand", "Garcia", "Brown", "Moreau", "Lee")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited over fork + exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_settings(work_dir: Path, **changes: Any) -> Any:
    from core.settings import load_settings

    return load_settings(data_dir=work_dir, **changes)


# --- source texts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """One real text of a data set, as the title and body of a post."""

    key: str
    source: str
    kind: str  # question, answer or document
    title: str
    body: str
    body_format: str
    tags: tuple[str, ...] = ()
    parent: str | None = None  # an answer's question
    accepted: str | None = None  # a question's accepted answer


def jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        yield from (json.loads(line) for line in handle if line.strip())


def se_rows(path: Path) -> Iterator[dict[str, str]]:
    """Attributes of each ``row`` of a Stack Exchange XML file, streamed."""
    from defusedxml.ElementTree import iterparse

    root = None
    for event, element in iterparse(str(path), events=("start", "end")):
        root = element if root is None else root
        if event == "end" and element.tag == "row":
            yield dict(element.attrib)
            root.clear()


def se_texts(name: str, folder: Path) -> Iterator[Text]:
    """Questions (title + HTML body) and answers (HTML body) of a dump, in file order."""
    for row in se_rows(folder / "Posts.xml"):
        key = f"{name}:{row['Id']}"
        if row.get("PostTypeId") == "1" and (row.get("Title") or row.get("Body")):
            tags = tuple(t for t in row.get("Tags", "").replace("|", "<").replace(">", "<")
                         .split("<") if t)
            accepted = row.get("AcceptedAnswerId")
            yield Text(key, name, "question", row.get("Title", ""), row.get("Body", ""), "html",
                       tags, accepted=f"{name}:{accepted}" if accepted else None)
        elif row.get("PostTypeId") == "2" and row.get("Body"):
            yield Text(key, name, "answer", "", row["Body"], "html",
                       parent=f"{name}:{row.get('ParentId')}")


def beir_texts(name: str, folder: Path) -> Iterator[Text]:
    for doc in jsonl(folder / "corpus.jsonl"):
        if doc.get("title") or doc.get("text"):
            yield Text(f"{name}:{doc['_id']}", name, "document", doc.get("title") or "",
                       doc.get("text") or "", "text")


def read_texts(names: list[str]) -> list[Text]:
    readers = {"beir": beir_texts, "stackexchange": se_texts}
    return [t for name in names for t in readers[SOURCES[name][0]](name, SOURCES[name][1])]


def se_tag_names() -> list[str]:
    return sorted({row["TagName"] for layout, folder in SOURCES.values()
                   if layout == "stackexchange" for row in se_rows(folder / "Tags.xml")})


# --- the synthetic network ------------------------------------------------------------------


def people_and_groups(rng: random.Random) -> tuple[list[Any], list[Any]]:
    """About 2,000 people (guests, departed) in about 200 groups of every visibility."""
    from core.records import Group, Person

    people = []
    for i in range(PEOPLE):
        guest, departed = rng.random() < GUEST_SHARE, rng.random() < DEPARTED_SHARE
        people.append(Person(id=f"u{i:05d}", name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                             company="Partner" if guest else "", guest=guest,
                             status="departed" if departed else "active"))
    members: list[set[str]] = [set() for _ in range(GROUPS)]
    guests: list[set[str]] = [set() for _ in range(GROUPS)]
    for person in people:
        chosen = rng.sample(range(GROUPS), rng.randint(1, 3) if person.guest else
                            rng.randint(3, 15))
        for g in chosen:
            (guests if person.guest else members)[g].add(person.id)
    visibilities: list[Any] = [v for v, _ in VISIBILITIES]
    weights = [w for _, w in VISIBILITIES]
    groups = [Group(id=f"g{g:03d}", name=f"{kind.title()} {g:03d}", kind=kind,
                    visibility=rng.choices(visibilities, weights)[0],
                    members=frozenset(members[g]), guests=frozenset(guests[g]))
              for g in range(GROUPS) for kind in [rng.choice(GROUP_KINDS)]]
    return people, groups


def network_posts(rng: random.Random, texts: list[Text], size: int, groups: list[Any],
                  employees: list[str], tags: list[str]) -> Iterator[Any]:
    """``size`` posts cycling through ``texts``; answers join their question of the cycle."""
    from core.records import Post

    position = {t.key: i for i, t in enumerate(texts)}
    authors = {g.id: sorted(g.members) for g in groups}
    group_of: list[str | None] = []
    created_of: list[datetime] = []
    for i in range(size):
        text, base = texts[i % len(texts)], i - i % len(texts)
        question = position.get(text.parent or "", len(texts)) + base
        threaded = text.kind == "answer" and question < i
        group = (group_of[question] if threaded else
                 None if rng.random() < FEED_SHARE else rng.choice(groups).id)
        created = (created_of[question] + timedelta(hours=rng.randint(1, 400)) if threaded
                   else START + timedelta(seconds=rng.randrange(SPAN_SECONDS)))
        group_of.append(group)
        created_of.append(created)
        accepted = position.get(text.accepted or "", size) + base
        yield Post(id=f"b{i}", author=rng.choice(authors.get(group or "") or employees),
                   created=created,
                   title=text.title, body=text.body, body_format=text.body_format,
                   group=group, kind=(text.kind if text.kind == "question" or threaded
                                      else rng.choice(("post", "article"))),
                   tags=text.tags or tuple(rng.sample(tags, rng.randint(0, 3))),
                   parent=f"b{question}" if threaded else None,
                   accepted_answer=f"b{accepted}" if accepted < size else None)


def write_export(path: Path, texts: list[Text], size: int, seed: int) -> None:
    from core.records import record_to_dict

    rng = random.Random(seed)
    people, groups = people_and_groups(rng)
    employees = [p.id for p in people if not p.guest]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        posts = network_posts(rng, texts, size, groups, employees, se_tag_names())
        for record in chain(people, groups, posts):
            out.write(json.dumps(record_to_dict(record), ensure_ascii=False) + "\n")


# --- the embedding cache ------------------------------------------------------------------


def default_caches(work_dir: Path) -> list[Path]:
    found = [*ROOT.glob("var/eval/*/catalog.sqlite"), ROOT / "var" / "demo" / "catalog.sqlite",
             *ROOT.glob("var/bench/*/catalog.sqlite")]
    return [p for p in found if p.is_file() and p.resolve() != (work_dir / "catalog.sqlite")
            .resolve()]


def seed_cache(catalog_file: Path, model: str, others: list[Path]) -> int:
    """Copy the ``model`` vectors of other catalogs' embedding caches into this one."""
    db = sqlite3.connect(f"file:{quote(str(catalog_file.resolve()))}", uri=True,
                         isolation_level=None, timeout=60)
    copied = 0
    try:
        for other in others:
            db.execute("ATTACH DATABASE ? AS other",
                       (f"file:{quote(str(other.resolve()))}?mode=ro",))
            try:
                before = db.total_changes
                db.execute("INSERT OR IGNORE INTO main.embeddings (model, text_hash, vector) "
                           "SELECT model, text_hash, vector FROM other.embeddings "
                           "WHERE model = ?", (model,))
                copied += db.total_changes - before
            finally:
                db.execute("DETACH DATABASE other")
    finally:
        db.close()
    return copied


def cache_size(settings: Any) -> int:
    from indexer import Catalog, catalog_path
    from indexer.embeddings import embedding_key

    catalog = Catalog(catalog_path(settings))
    try:
        sql = "SELECT COUNT(*) FROM embeddings WHERE model = ?"
        return int(catalog.db.execute(sql, (embedding_key(settings),)).fetchone()[0])
    finally:
        catalog.close()


def missing_passages(settings: Any, texts: list[Text]) -> tuple[int, dict[str, tuple[str, str]]]:
    """How many unique passages ``texts`` make, and the uncached ones: digest -> (source, text)."""
    from indexer import Catalog, catalog_path, load_encoder
    from indexer.embeddings import text_digest
    from indexer.text import body_text

    encoder = load_encoder(settings)
    passages = {text_digest(c.text): (t.source, c.text) for t in texts
                for c in encoder.chunks(t.title, body_text(t.body, t.body_format))}
    catalog = Catalog(catalog_path(settings))
    try:
        cached = catalog.cached_vectors(encoder.name, list(passages))
    finally:
        catalog.close()
    log(f"{len(passages)} unique passages, {len(cached)} already in the embedding cache")
    return len(passages), {d: p for d, p in passages.items() if d not in cached}


def encode_rate(settings: Any, missing: dict[str, tuple[str, str]], sample: int = 64) -> float:
    """Passages per second on a sample of the missing ones (kept in the cache)."""
    from indexer import Catalog, catalog_path, load_encoder

    encoder = load_encoder(settings)
    chosen = sorted(missing.items())[:sample]
    started = time.perf_counter()
    vectors = encoder.encode([passage for _, (_, passage) in chosen])
    rate = len(chosen) / (time.perf_counter() - started)
    catalog = Catalog(catalog_path(settings))
    try:
        catalog.cache_vectors(encoder.name, {d: vectors[i].tobytes()
                                             for i, (d, _) in enumerate(chosen)})
    finally:
        catalog.close()
    for digest, _ in chosen:
        del missing[digest]
    return rate


def index_or_rebuild(settings: Any, export: Path) -> Any:
    """``quisait index`` the export; derived indexes of an older quisait are rebuilt."""
    from core.errors import IndexMismatchError
    from indexer import index_sources, rebuild

    try:
        return index_sources(settings, [str(export)], fmt="jsonl", prune=True, progress=True)
    except IndexMismatchError as exc:  # the work folder is ours; the cache survives
        log(f"{exc}: rebuilding")
        return rebuild(settings, progress=True)


def build(args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    """Write the export, seed the cache, estimate the encoding, index; the build facts."""
    from indexer import Catalog, catalog_path
    from indexer.embeddings import embedding_key

    settings = bench_settings(work_dir)
    texts = read_texts(args.texts)
    log(f"{args.size} posts from {len(texts)} unique texts ({', '.join(args.texts)})")
    if args.size < len(texts):
        log(f"warning: --size {args.size} < {len(texts)} texts: not every text appears")
    export = work_dir / "network-export.jsonl"
    write_export(export, texts, args.size, args.seed)
    Catalog(catalog_path(settings)).close()
    caches = default_caches(work_dir) if args.reuse_cache is None else args.reuse_cache
    seeded = seed_cache(catalog_path(settings), embedding_key(settings), caches)
    log(f"embedding cache: {seeded} vectors copied from {len(caches)} catalogs")
    before = cache_size(settings)
    passages, missing = missing_passages(settings, texts[: args.size])
    if missing:
        by_source = {s: sum(1 for src, _ in missing.values() if src == s) for s in args.texts}
        total, rate = len(missing), encode_rate(settings, missing)
        minutes = total / rate / 60
        log(f"{total} passages to encode ({by_source}) at {rate:.1f}/s: about {minutes:.1f} min")
        if minutes > args.max_encode_minutes:
            log(f"more than {args.max_encode_minutes} min of encoding: choose fewer sources "
                "with --texts, or raise --max-encode-minutes")
            raise SystemExit(2)
    started = time.perf_counter()
    report = index_or_rebuild(settings, export)
    facts = {"posts": args.size, "unique_texts": len(texts), "texts": args.texts,
             "seed": args.seed, "unique_passages": passages, "cache_vectors_copied": seeded,
             "passages_encoded": cache_size(settings) - before,
             "index_seconds": round(time.perf_counter() - started, 1),
             "index_timings_s": {k: round(v, 1) for k, v in report.timings.items()},
             "skipped_records": report.skipped,
             "build_peak_rss_mb": round(peak_rss_mb())}
    (work_dir / "build.json").write_text(json.dumps(facts, indent=2))
    log(f"indexed in {facts['index_seconds']} s; {facts['passages_encoded']} passages encoded")
    return facts


# --- the workload: queries and viewers ---------------------------------------------------


def query_pools() -> dict[str, list[str]]:
    """BEIR queries (English claims, French questions) and Stack Exchange question titles."""
    pools: dict[str, list[str]] = {}
    for name, (layout, folder) in SOURCES.items():
        pools[name] = ([q["text"] for q in jsonl(folder / "queries.jsonl")] if layout == "beir"
                       else [r["Title"] for r in se_rows(folder / "Posts.xml")
                             if r.get("PostTypeId") == "1" and r.get("Title")])
    return pools


def draw_queries(rng: random.Random, count: int) -> list[str]:
    """Equal shares of every pool, whatever sources were indexed; readable queries only."""
    from search import QuerySyntaxError, parse_query

    def readable(text: str) -> bool:
        try:
            return not parse_query(text).is_empty()
        except QuerySyntaxError:
            return False

    pools = query_pools()
    queries: list[str] = []
    for i, name in enumerate(sorted(pools)):
        share = count // len(pools) + (1 if i < count % len(pools) else 0)
        candidates = sorted(set(pools[name]))
        rng.shuffle(candidates)
        queries += [q for q in candidates if readable(q)][:share]
    rng.shuffle(queries)
    return queries


def viewer_pools(work_dir: Path) -> dict[str, list[str]]:
    """People of the indexed network by the kind of viewer they are."""
    from indexer import Catalog, catalog_path

    catalog = Catalog(catalog_path(bench_settings(work_dir)))
    try:
        people, groups = catalog.people(), catalog.groups()
    finally:
        catalog.close()
    count: dict[str, int] = {}
    secret: set[str] = set()
    for group in groups.values():
        for person in group.members | group.guests:
            count[person] = count.get(person, 0) + 1
        secret |= group.members if group.visibility == "secret" else set()
    active = [p for p in people.values() if p.status == "active"]
    employees = [p.id for p in active if not p.guest]
    return {"employee_few_groups": [p for p in employees if count.get(p, 0) <= 5],
            "employee_many_groups": [p for p in employees if count.get(p, 0) >= 12],
            "secret_member": [p for p in employees if p in secret],
            "guest": [p.id for p in active if p.guest],
            "departed": sorted(p.id for p in people.values() if p.status == "departed"),
            "unknown": ["nobody-known"]}


def make_workload(work_dir: Path, count: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    queries = draw_queries(rng, count)
    pools = viewer_pools(work_dir)
    kinds = [(name, weight) for name, weight in VIEWER_MIX if pools[name]]
    workload = []
    for query in queries:
        kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        workload.append({"query": query, "viewer": rng.choice(pools[kind]), "viewer_kind": kind})
    return workload


# --- measuring (in a fresh subprocess per mode) -----------------------------------------


class EncodeTimer:
    """Stands in for ``search.engine.load_encoder``: the same encoder, its time recorded."""

    def __init__(self, load: Callable[[Any], Any]) -> None:
        self.load = load
        self.seconds = 0.0  # encoder loading (cold) and query encoding
        self.encoder: Any = None

    def __call__(self, settings: Any) -> EncodeTimer:
        started = time.perf_counter()
        self.encoder = self.load(settings)
        self.seconds += time.perf_counter() - started
        return self

    def encode(self, texts: list[str]) -> Any:
        started = time.perf_counter()
        try:
            return self.encoder.encode(texts)
        finally:
            self.seconds += time.perf_counter() - started


def timed_search(searcher: Any, timer: EncodeTimer, item: dict[str, str],
                 mode: str, forget_vectors: bool = False) -> list[float]:
    """[total ms, encoding ms, hits] of one search, a page of 10 as the web app asks.

    ``forget_vectors``: the query is encoded again, as a query never seen before would
    be (the searcher keeps the vectors of recent queries)."""
    kept = getattr(getattr(searcher, "semantic", None), "query_vectors", None)
    if forget_vectors and kept is not None:
        kept.entries.clear()
        kept.used = 0
    timer.seconds = 0.0
    started = time.perf_counter()
    hits = searcher.search(item["query"], item["viewer"], mode=mode, limit=10)
    return [(time.perf_counter() - started) * 1000, timer.seconds * 1000, len(hits)]


def worker_measure(mode: str, work_dir: Path, repeats: int,
                   keep_query_vectors: bool = False) -> dict[str, Any]:
    """Cold pass (each query once, fresh process), then warm passes (median of repeats;
    each query encoded again unless ``keep_query_vectors``)."""
    started = time.perf_counter()
    import search.engine as engine
    from search import Searcher, parse_query

    import_ms = (time.perf_counter() - started) * 1000
    workload = json.loads((work_dir / "workload.json").read_text())
    settings = bench_settings(work_dir)
    timer = EncodeTimer(engine.load_encoder)
    engine.load_encoder = timer
    started = time.perf_counter()
    searcher = Searcher.open(settings)
    open_ms = (time.perf_counter() - started) * 1000
    cold = [timed_search(searcher, timer, item, mode) for item in workload]
    runs = [[timed_search(searcher, timer, item, mode, not keep_query_vectors)
             for item in workload] for _ in range(repeats)]
    warm = [[statistics.median(run[i][k] for run in runs) for k in range(3)]
            for i in range(len(workload))]
    alone = []
    if mode != "lexical":
        encoder = timer.load(settings)
        for item in workload:
            text = parse_query(item["query"]).free_text()
            begun = time.perf_counter()
            encoder.encode([text])
            alone.append((time.perf_counter() - begun) * 1000)
    vectors = searcher.vectors
    searcher.close()
    return {"mode": mode, "import_ms": import_ms, "open_ms": open_ms, "cold": cold,
            "warm": warm, "encode_alone_ms": alone,
            "vectors": len(vectors) if vectors is not None else 0,
            "vector_index": vectors.kind if vectors is not None else None,
            "peak_rss_mb": peak_rss_mb()}


def worker_profile(work_dir: Path, count: int) -> dict[str, Any]:
    """cProfile of ``count`` warm hybrid queries; the top costs go to stderr."""
    import cProfile
    import io
    import pstats

    from search import Searcher

    workload = json.loads((work_dir / "workload.json").read_text())[:count]
    with Searcher.open(bench_settings(work_dir)) as searcher:
        for item in workload:  # warm up: model, Whoosh searcher, group codes
            searcher.search(item["query"], item["viewer"], mode="hybrid")
        profile = cProfile.Profile()
        profile.enable()
        for item in workload:
            searcher.search(item["query"], item["viewer"], mode="hybrid")
        profile.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(25)
        log(f"--- hybrid, {len(workload)} warm queries, by {order} ---\n{out.getvalue()}")
    return {"profiled_queries": len(workload)}


def run_worker(name: str, work_dir: Path) -> dict[str, Any]:
    """One step in a fresh process (same options); its JSON result, its exit code kept."""
    command = [sys.executable, __file__, *sys.argv[1:], "--worker", name,
               "--work-dir", str(work_dir)]
    output = subprocess.run(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    if output.returncode:
        raise SystemExit(output.returncode)
    return json.loads(output.stdout.strip().splitlines()[-1])


# --- the report ---------------------------------------------------------------------------


def distribution(values: list[float]) -> dict[str, float]:
    import numpy as np

    array = np.asarray(values, dtype=float)
    return {"p50": round(float(np.percentile(array, 50)), 1),
            "p95": round(float(np.percentile(array, 95)), 1),
            "p99": round(float(np.percentile(array, 99)), 1),
            "mean": round(float(array.mean()), 1)}


def mode_summary(result: dict[str, Any], workload: list[dict[str, str]]) -> dict[str, Any]:
    summary: dict[str, Any] = {"first_query_ms": round(result["cold"][0][0], 1)}
    for phase in ("cold", "warm"):
        rows = result[phase]
        summary[phase] = distribution([r[0] for r in rows])
        if result["mode"] != "lexical":
            summary[phase]["encode_share"] = round(sum(r[1] for r in rows)
                                                   / sum(r[0] for r in rows), 3)
            summary[phase]["encode_p50_ms"] = distribution([r[1] for r in rows])["p50"]
    kinds = sorted({item["viewer_kind"] for item in workload})
    summary["warm_p50_ms_by_viewer"] = {
        kind: distribution([r[0] for r, item in zip(result["warm"], workload, strict=True)
                            if item["viewer_kind"] == kind])["p50"] for kind in kinds}
    summary["mean_hits"] = round(statistics.mean(r[2] for r in result["warm"]), 2)
    if result["encode_alone_ms"]:
        summary["encode_alone_ms"] = distribution(result["encode_alone_ms"])
    summary.update({k: round(result[k], 1) for k in ("import_ms", "open_ms", "peak_rss_mb")})
    return summary


def index_size_mb(work_dir: Path) -> dict[str, float]:
    def size(path: Path) -> int:
        if path.is_dir():
            return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        return path.stat().st_size if path.exists() else 0

    sizes = {"catalog": sum(size(work_dir / f"catalog.sqlite{s}") for s in ("", "-wal", "-shm")),
             "fulltext": size(work_dir / "fulltext"), "vectors": size(work_dir / "vectors")}
    sizes["total"] = sum(sizes.values())
    return {name: round(value / 2**20, 1) for name, value in sizes.items()}


def print_table(modes: dict[str, dict[str, Any]]) -> None:
    log(f"{'mode':<9}{'pass':<6}{'p50':>8}{'p95':>8}{'p99':>8}{'mean':>8}  encoding share")
    for mode, summary in modes.items():
        for phase in ("cold", "warm"):
            row = summary[phase]
            share = f"{row['encode_share']:.0%}" if "encode_share" in row else "-"
            log(f"{mode:<9}{phase:<6}{row['p50']:>8}{row['p95']:>8}{row['p99']:>8}"
                f"{row['mean']:>8}  {share}")


def report(work_dir: Path, facts: dict[str, Any], workload: list[dict[str, str]],
           results: dict[str, dict[str, Any]], load: float) -> dict[str, Any]:
    modes = {mode: mode_summary(result, workload) for mode, result in results.items()}
    print_table(modes)
    goals = {name: {"value": modes[mode]["warm"][stat], "goal": goal,
                    "ratio": round(modes[mode]["warm"][stat] / goal, 2),
                    "met": modes[mode]["warm"][stat] <= goal}
             for name, (mode, stat, goal) in GOALS.items() if mode in modes}
    for name, goal in goals.items():
        log(f"{name}: {goal['value']} ms, goal {goal['goal']} ms, x{goal['ratio']} "
            f"({'met' if goal['met'] else 'not met'})")
    viewers = {kind: sum(1 for w in workload if w["viewer_kind"] == kind)
               for kind, _ in VIEWER_MIX}
    settings = bench_settings(work_dir)
    machine = {"cpus": os.cpu_count(), "threads_setting": settings.threads,
               "load_average_1m_before_measuring": round(load, 2),
               "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY")}
    hybrid = results.get("hybrid", {})
    return {"corpus": facts, "machine": machine, "work_dir": str(work_dir),
            "index_size_mb": index_size_mb(work_dir), "vectors": hybrid.get("vectors"),
            "vector_index": hybrid.get("vector_index"),
            "queries": len(workload), "viewers": viewers, "unit": "ms", "modes": modes,
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in results.values())),
            "goals": goals, "all_goals_met": all(g["met"] for g in goals.values())}


# --- command line ---------------------------------------------------------------------------


def source_names(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in SOURCES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown source(s) {unknown} "
                                         f"(valid: {', '.join(SOURCES)})")
    return names


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="posts in the corpus")
    parser.add_argument("--work-dir", help="default: var/bench/search-<size>")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3, help="warm passes (median per query)")
    parser.add_argument("--keep-query-vectors", action="store_true",
                        help="warm passes reuse the searcher's cached query vectors (default: "
                             "each query is encoded again, as a new query would be)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-build", action="store_true", help="measure the existing index")
    parser.add_argument("--texts", type=source_names, default=list(SOURCES),
                        help=f"comma-separated sources (default: {','.join(SOURCES)})")
    parser.add_argument("--reuse-cache", nargs="*", type=Path, metavar="CATALOG",
                        help="catalogs whose embedding caches seed the bench's "
                             "(default: var/eval/*, var/demo, var/bench/*)")
    parser.add_argument("--max-encode-minutes", type=float, default=30.0)
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also cProfile N warm hybrid queries (top costs on stderr)")
    parser.add_argument("--worker", choices=["build", *MODES, "profile"], help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    work_dir = Path(args.work_dir or ROOT / "var" / "bench" / f"search-{args.size}")
    if args.worker:
        steps = {"build": lambda: build(args, work_dir),
                 "profile": lambda: worker_profile(work_dir, args.profile)}
        step = steps.get(args.worker, lambda: worker_measure(args.worker, work_dir, args.repeats,
                                                             args.keep_query_vectors))
        print(json.dumps(step()))
        return
    if args.skip_build:
        if not (work_dir / "catalog.sqlite").is_file():
            raise SystemExit(f"{work_dir} holds no index: run without --skip-build first")
        facts_file = work_dir / "build.json"
        facts = json.loads(facts_file.read_text()) if facts_file.is_file() else {}
    else:
        facts = run_worker("build", work_dir)  # its own process: its own peak RSS
    workload = make_workload(work_dir, args.queries, args.seed)
    (work_dir / "workload.json").write_text(json.dumps(workload, ensure_ascii=False, indent=1))
    results, load = {}, os.getloadavg()[0]  # another busy process inflates every figure
    for mode in MODES:
        log(f"measuring {mode}: {len(workload)} queries, cold then {args.repeats} warm passes")
        results[mode] = run_worker(mode, work_dir)
    if args.profile:
        run_worker("profile", work_dir)
    print(json.dumps(report(work_dir, facts, workload, results, load), indent=2))


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    main()
