"""Load test: N concurrent API clients for D seconds against a ``quisait serve`` it starts.

The server runs as a subprocess on 127.0.0.1 and a free port, over ``--data-dir``
(default: a fresh copy of the search bench's corpus ``var/bench/search-<size>`` made in
``var/load/search-<size>``, so ingestion never touches the bench's own corpus).  Tokens
are created with the token store before the server starts: readers of every kind the
bench knows (employees in few or many groups, members of secret groups, guests), a KM
lead and an admin (two person records added through the API at start), and a connector.

Each client draws, per request: a search (lexical, semantic or hybrid; the bench's
French and English queries), an expert query, a person page, a post page, an ingestion
of 1-3 new posts (``POST /api/v1/records``) or the deletion of a post it ingested
earlier.  Every new post carries a unique word and goes to a group its reader belongs
to (or an open one).  Afterwards every acknowledged post must be readable and found by
a lexical search of its word by that reader (and, in a private or secret group, not
readable by a viewer outside it), and every deleted one must be gone.

Prints requests/s, p50/p95/p99 per endpoint, the 4xx seen, the errors (5xx, timeouts,
transport errors) and the verification; exits 1 on any error or verification failure.

Usage: ``python bench/load.py [--size 10000|100000] [--clients 16] [--seconds 60]
[--data-dir DIR] [--server-threads 8] [--timeout 60] [--seed 0] [--read-only]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODES = ("lexical", "semantic", "hybrid")
# endpoint -> weight of the traffic mix
MIX = {"search": 0.55, "experts": 0.12, "people": 0.10, "posts": 0.10, "ingest": 0.08,
       "delete": 0.05}
READER_KINDS = ("employee_few_groups", "employee_many_groups", "secret_member", "guest")
MAX_REQUESTS_PER_CLIENT = 100_000  # a bound besides the clock
KM_PERSON, ADMIN_PERSON = "load-km-lead", "load-admin"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


# --- the data folder, viewers and tokens -------------------------------------------------


def prepare_data(args: argparse.Namespace) -> tuple[Path, Path]:
    """(the data folder the server will use, the bench corpus it comes from)."""
    source = ROOT / "var" / "bench" / f"search-{args.size}"
    if args.data_dir:
        return Path(args.data_dir).resolve(), source
    if not (source / "catalog.sqlite").is_file():
        raise SystemExit(f"{source} is missing: build it with "
                         f"`python bench/bench_search.py --size {args.size}` first")
    target = ROOT / "var" / "load" / f"search-{args.size}"
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(
        "network-export.jsonl", "workload.json", "build.json", "lock"))
    log(f"copied {source.name} to {target} in {time.perf_counter() - started:.1f} s")
    return target, source


@dataclass
class Reader:
    """A viewer with a token, the groups they may read and the kind of viewer they are."""

    person: str
    kind: str
    token: str
    groups: list[str]  # groups whose content they read (open ones included)
    member_of: list[str]  # groups they are a member or guest of


@dataclass
class Plan:
    readers: list[Reader]
    connector: str  # token with the connector role
    queries: list[str]
    people: list[str]
    posts: list[str]
    groups: dict[str, str]  # id -> visibility
    members: dict[str, set[str]] = field(default_factory=dict)


def make_plan(data_dir: Path, source: Path, seed: int) -> Plan:
    from core.settings import Settings
    from indexer import Catalog, catalog_path
    from web.tokens import TokenStore

    rng = random.Random(seed)
    workload_file = source / "workload.json"
    workload = json.loads(workload_file.read_text()) if workload_file.is_file() else []
    catalog = Catalog(catalog_path(Settings(data_dir=data_dir)))
    try:
        people, groups = catalog.people(), catalog.groups()
        posts = [row[0] for row in catalog.db.execute(
            "SELECT id FROM items WHERE kind = 'post' AND deleted = 0 LIMIT 5000")]
    finally:
        catalog.close()
    visibility = {g.id: g.visibility for g in groups.values()}
    members = {g.id: set(g.members | g.guests) for g in groups.values()}
    open_groups = sorted(g for g, v in visibility.items() if v == "open")
    by_kind: dict[str, list[str]] = defaultdict(list)
    for entry in workload:
        person = people.get(entry["viewer"])
        if entry["viewer_kind"] in READER_KINDS and person and person.status == "active":
            by_kind[entry["viewer_kind"]].append(entry["viewer"])
    if not by_kind:  # a data folder without the bench's workload: any active people
        active = sorted(p.id for p in people.values() if p.status == "active")
        by_kind["employee"] = rng.sample(active, min(20, len(active)))
    store = TokenStore.open(data_dir)
    readers = []
    for kind, ids in sorted(by_kind.items()):
        for person in sorted(set(ids))[:8]:
            member_of = sorted(g for g, m in members.items() if person in m)
            guest = people[person].guest
            readable = member_of if guest else sorted(set(member_of) | set(open_groups))
            readers.append(Reader(person, kind, store.create(person, expires_days=1)[0],
                                  readable, member_of))
    for person, kind in ((KM_PERSON, "km_lead"), (ADMIN_PERSON, "admin")):
        readers.append(Reader(person, kind, store.create(person, expires_days=1)[0],
                              open_groups, []))
    # a connector token needs a person of the catalog: the first reader (not the admin, who
    # only exists once the connector has pushed it)
    connector = store.create(readers[0].person, expires_days=1, roles=("connector",))[0]
    store.close()
    queries = [entry["query"] for entry in workload] or ["python", "notes de frais"]
    return Plan(readers, connector, queries, sorted(people), posts, visibility, members)


# --- the server --------------------------------------------------------------------------


class Server:
    """``quisait serve`` as a subprocess; stopped (SIGTERM, then SIGKILL) in ``stop``."""

    def __init__(self, data_dir: Path, threads: int, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop
        self.process = subprocess.Popen(
            [sys.executable, "-m", "quisait", "--data-dir", str(data_dir), "serve",
             "--host", "127.0.0.1", "--port", str(self.port), "--threads", str(threads)],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)})

    def wait_ready(self, timeout: float) -> float:
        started = time.perf_counter()
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                if httpx.get(self.url + "/readyz", timeout=5).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the server was not ready after {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.log.close()


# --- the clients -------------------------------------------------------------------------


@dataclass
class Acked:
    """A post the server acknowledged: who may read it and the word that finds it."""

    id: str
    group: str
    reader: Reader
    word: str


@dataclass
class Results:
    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    errors: list[str] = field(default_factory=list)
    acked: dict[str, Acked] = field(default_factory=dict)
    deleted: dict[str, Acked] = field(default_factory=dict)
    unacked: list[str] = field(default_factory=list)  # sent, no 2xx: state unknown

    def record(self, endpoint: str, seconds: float, status: int | None, error: str = "") -> None:
        with self.lock:
            self.times[endpoint].append(seconds)
            if status is not None:
                self.statuses[endpoint][status] += 1
            if error or (status is not None and status >= 500):
                self.errors.append(f"{endpoint}: {error or status}")


def unique_word(rng: random.Random) -> str:
    return "zq" + "".join(rng.choices(string.ascii_lowercase, k=10))


class Client(threading.Thread):
    def __init__(self, number: int, plan: Plan, url: str, deadline: float, timeout: float,
                 results: Results, seed: int) -> None:
        super().__init__(name=f"client-{number}", daemon=True)
        self.number, self.plan, self.url, self.deadline = number, plan, url, deadline
        self.results, self.rng = results, random.Random(seed * 1000 + number)
        self.http = httpx.Client(base_url=url + "/api/v1", timeout=timeout)
        self.mine: list[Acked] = []  # acknowledged by the server, not deleted yet
        self.sequence = 0

    def run(self) -> None:
        try:
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                if time.perf_counter() >= self.deadline:
                    break
                endpoint = self.rng.choices(list(MIX), list(MIX.values()))[0]
                if endpoint == "delete" and not self.mine:
                    endpoint = "ingest" if MIX["ingest"] else "search"
                getattr(self, endpoint)()
        finally:
            self.http.close()

    def call(self, endpoint: str, method: str, path: str, token: str,
             **kwargs: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = self.http.request(method, path, headers={
                "Authorization": f"Bearer {token}"}, **kwargs)
        except httpx.HTTPError as exc:
            self.results.record(endpoint, time.perf_counter() - started, None,
                                f"{type(exc).__name__}: {exc}")
            return None
        self.results.record(endpoint, time.perf_counter() - started, response.status_code)
        return response

    def reader(self) -> Reader:
        return self.rng.choice(self.plan.readers)

    def search(self) -> None:
        mode = self.rng.choice(MODES)
        self.call(f"search:{mode}", "GET", "/search", self.reader().token,
                  params={"q": self.rng.choice(self.plan.queries), "mode": mode})

    def experts(self) -> None:
        self.call("experts", "GET", "/experts", self.reader().token,
                  params={"q": self.rng.choice(self.plan.queries), "limit": 5})

    def people(self) -> None:
        self.call("people", "GET", f"/people/{self.rng.choice(self.plan.people)}",
                  self.reader().token)

    def posts(self) -> None:
        self.call("posts", "GET", f"/posts/{self.rng.choice(self.plan.posts)}",
                  self.reader().token)

    def ingest(self) -> None:
        batch = []
        for _ in range(self.rng.randint(1, 3)):
            reader = self.rng.choice([r for r in self.plan.readers if r.groups])
            group = self.rng.choice(reader.groups)
            self.sequence += 1
            word = unique_word(self.rng)
            item = Acked(f"load-{self.number}-{self.sequence}", group, reader, word)
            batch.append((item, {
                "type": "post", "id": item.id, "author": reader.person, "group": group,
                "created": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
                "title": f"Load test {word}", "body": f"Posted under load: {word}."}))
        response = self.call("ingest", "POST", "/records", self.plan.connector,
                             json=[record for _, record in batch])
        with self.results.lock:
            if response is not None and response.status_code == 200:
                self.mine += [item for item, _ in batch]
                self.results.acked.update((item.id, item) for item, _ in batch)
            else:
                self.results.unacked += [item.id for item, _ in batch]
                if response is not None and response.status_code < 500:
                    self.results.errors.append(f"ingest: {response.status_code} "
                                               f"{response.text[:200]}")

    def delete(self) -> None:
        item = self.mine.pop(self.rng.randrange(len(self.mine)))
        response = self.call("delete", "DELETE", f"/records/{item.id}", self.plan.connector)
        with self.results.lock:
            if response is not None and response.status_code == 200:
                self.results.acked.pop(item.id, None)
                self.results.deleted[item.id] = item
            elif response is not None and response.status_code < 500:
                self.results.errors.append(f"delete: {response.status_code}")


def add_roles(url: str, plan: Plan, timeout: float) -> None:
    """The KM lead and the admin of the run, as person records pushed by the connector."""
    records = [{"type": "person", "id": KM_PERSON, "name": "Load KM Lead", "roles": ["km_lead"]},
               {"type": "person", "id": ADMIN_PERSON, "name": "Load Admin", "roles": ["admin"]}]
    response = httpx.post(url + "/api/v1/records", json=records, timeout=timeout,
                          headers={"Authorization": f"Bearer {plan.connector}"})
    if response.status_code != 200:
        raise RuntimeError(f"could not add the KM lead and admin: {response.status_code} "
                           f"{response.text[:300]}")


# --- verification ------------------------------------------------------------------------


def verify(url: str, plan: Plan, results: Results, timeout: float) -> list[str]:
    """Acknowledged posts readable and found by their readers; deleted ones gone."""
    failures: list[str] = []
    outsiders = [r for r in plan.readers if r.kind not in ("km_lead", "admin")]
    with httpx.Client(base_url=url + "/api/v1", timeout=timeout) as http:
        def get(path: str, reader: Reader, **params: Any) -> httpx.Response:
            return http.get(path, params=params,
                            headers={"Authorization": f"Bearer {reader.token}"})

        def found(item: Acked, reader: Reader) -> tuple[int, bool]:
            post = get(f"/posts/{item.id}", reader).status_code
            hits = get("/search", reader, q=item.word, mode="lexical", limit=50).json()["hits"]
            return post, any(hit["id"] == item.id for hit in hits)

        for item in list(results.acked.values()):
            post, hit = found(item, item.reader)
            if post != 200 or not hit:
                failures.append(f"acknowledged {item.id} ({item.group}): post {post}, "
                                f"found by search {hit}")
            if plan.groups.get(item.group) != "open":
                outsider = next((r for r in outsiders
                                 if item.group not in r.groups), None)
                if outsider is not None and found(item, outsider) != (404, False):
                    failures.append(f"{item.id} ({item.group}) readable by {outsider.person}")
        for item in list(results.deleted.values()):
            post, hit = found(item, item.reader)
            if post != 404 or hit:
                failures.append(f"deleted {item.id}: post {post}, found by search {hit}")
    return failures


# --- the run -----------------------------------------------------------------------------


def summary(results: Results, seconds: float) -> dict[str, Any]:
    endpoints = {}
    for endpoint in sorted(results.times):
        times = [t * 1000 for t in results.times[endpoint]]
        endpoints[endpoint] = {
            "requests": len(times), "per_s": round(len(times) / seconds, 2),
            "p50_ms": round(percentile(times, 0.50), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "p99_ms": round(percentile(times, 0.99), 1),
            "mean_ms": round(statistics.fmean(times), 1),
            "statuses": dict(sorted(results.statuses[endpoint].items()))}
    total = sum(len(v) for v in results.times.values())
    return {"requests": total, "requests_per_s": round(total / seconds, 2),
            "endpoints": endpoints, "errors": len(results.errors)}


def print_table(facts: dict[str, Any]) -> None:
    print(f"{'endpoint':<18}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'p99 ms':>9}  statuses")
    for name, row in facts["endpoints"].items():
        print(f"{name:<18}{row['requests']:>9}{row['per_s']:>8}{row['p50_ms']:>9}"
              f"{row['p95_ms']:>9}{row['p99_ms']:>9}  {row['statuses']}")
    print(f"total: {facts['requests']} requests, {facts['requests_per_s']} req/s, "
          f"errors (5xx, timeouts, transport): {facts['errors']}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10_000, choices=(10_000, 100_000))
    parser.add_argument("--data-dir", help="serve this folder as is (no copy)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    parser.add_argument("--ready-timeout", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--read-only", action="store_true",
                        help="no ingestion or deletion (to tell the cost of writes apart)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.read_only:
        for endpoint in ("ingest", "delete"):
            MIX[endpoint] = 0.0
    data_dir, source = prepare_data(args)
    plan = make_plan(data_dir, source, args.seed)
    log(f"{len(plan.readers)} readers ({', '.join(sorted({r.kind for r in plan.readers}))}), "
        f"{len(plan.queries)} queries")
    server = Server(data_dir, args.server_threads, data_dir.parent / f"{data_dir.name}.log")
    try:
        ready = server.wait_ready(args.ready_timeout)
        log(f"server ready at {server.url} in {ready:.1f} s")
        add_roles(server.url, plan, args.timeout)
        results = Results()
        started = time.perf_counter()
        deadline = started + args.seconds
        clients = [Client(n, plan, server.url, deadline, args.timeout, results, args.seed)
                   for n in range(args.clients)]
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=args.seconds + args.timeout + 30)
        elapsed = time.perf_counter() - started
        stuck = [c.name for c in clients if c.is_alive()]
        if stuck:
            results.errors.append(f"clients still running: {stuck}")
        facts = summary(results, elapsed)
        print(f"# {args.clients} clients, {elapsed:.1f} s, corpus {data_dir.name}, "
              f"server threads {args.server_threads}{', read-only' if args.read_only else ''}")
        print_table(facts)
        for error in results.errors[:20]:
            print(f"  error: {error}")
        failures = verify(server.url, plan, results, args.timeout)
        print(f"verification: {len(results.acked)} acknowledged posts present and found by "
              f"their readers, {len(results.deleted)} deleted posts gone: "
              f"{'OK' if not failures else f'{len(failures)} FAILURES'}"
              f" ({len(results.unacked)} sent without acknowledgement)")
        for failure in failures[:20]:
            print(f"  failure: {failure}")
        facts.update(acked=len(results.acked), deleted=len(results.deleted),
                     verification_failures=len(failures), seconds=round(elapsed, 1),
                     clients=args.clients, corpus=data_dir.name)
        print(json.dumps(facts))
        return 1 if results.errors or failures else 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
