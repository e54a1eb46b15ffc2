"""Searches and expertise on Ray Serve replicas answer exactly what the web process answers.

One local Ray instance (every socket on 127.0.0.1) runs 2 replicas for the module, over a
copy of the sample index that a second app (``serving = "local"``) also serves; the
replicas encode queries with the same hashing encoder (shipped to them by ``ReplicaPool``,
which sends the encoder factory this process uses).  Ray is imported inside fixtures and
tests only: collecting this file must not import it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import pytest
from flask import Flask

from tests.bounded import deadline
from tests.web_fixtures import CANARIES, MEMBERS, OUTSIDERS, bearer, copy_settings, token_for
from web import create_app

pytestmark = pytest.mark.slow

TEST_SECONDS = 120  # each test; starting Ray and the replicas has its own bound
VIEWERS = {"guest": "p-ian", "employee": "p-julien", "secret member": "p-helene",
           "km_lead": "p-claire"}
QUERIES = ["notes de frais déplacement", "Kubernetes deployment rollback", "RGPD données",
           "kubernetse", "type:question python", *sorted(
               {w for case in CANARIES.values() for w in case["words"]})]
PEOPLE = ["p-karim", "p-kevin", "p-thomas", "p-helene", "p-nobody"]
TOPIC = {"id": "t-frais", "name_fr": "notes de frais", "name_en": "expense reports",
         "synonyms": ["remboursement"], "tags": ["notes-de-frais"]}
NEW_POST = {"type": "post", "id": "post-ray-1", "author": "p-julien",
            "created": "2026-02-01T10:00:00", "group": "g-python", "kind": "question",
            "title": "Quelle version de gribouillard pour Python 3.12 ?",
            "body": "Le paquet gribouillard casse avec Python 3.12.", "tags": ["python"]}
LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


@pytest.fixture(autouse=True)
def bounded() -> Iterator[None]:
    with deadline(TEST_SECONDS):
        yield


@pytest.fixture(scope="module")
def hold_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where a replica holds the one call given ``HOLD_WORD`` (the killed-replica test)."""
    return tmp_path_factory.mktemp("ray-hold")


@pytest.fixture(scope="module")
def apps(sample_index: Path, tmp_path_factory: pytest.TempPathFactory, hold_folder: Path
         ) -> Iterator[dict[str, Flask]]:
    """The same data folder served locally and by 2 replicas; Ray stopped at the end."""
    from web.replicas import HOLD_ENV

    settings = copy_settings(sample_index, tmp_path_factory.mktemp("ray-serving") / "data",
                             search_rate=0.0)
    local = create_app(settings)
    with deadline(150), pytest.MonkeyPatch.context() as env:
        env.setenv(HOLD_ENV, str(hold_folder))  # passed to the replicas when they deploy
        remote = create_app(settings.replace(serving="ray", replicas=2))
    try:
        yield {"local": local, "ray": remote}
    finally:
        with deadline(60):
            remote.extensions["quisait"].searchers.shutdown()


def pool(apps: dict[str, Flask]) -> Any:
    return apps["ray"].extensions["quisait"].searchers


def get(app: Flask, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    """(status, JSON) of a GET, or of a POST of ``body``."""
    client = app.test_client()
    if body is not None:
        response = client.post(path, json=body, headers=bearer(token))
    else:
        response = client.get(path, headers=bearer(token))
    data = response.get_json()
    if isinstance(data, dict):
        data.pop("search_id", None)  # each app logs its own searches
        if isinstance(data.get("error"), dict):
            data["error"].pop("request_id", None)  # each request has its own id
    return response.status_code, data


def same(local: Any, remote: Any, where: str = "") -> None:
    """Equal, floats to 1e-6 (expertise scores decay with the time of the call)."""
    if isinstance(local, float) and isinstance(remote, float):
        assert remote == pytest.approx(local, rel=1e-6, abs=1e-9), where
    elif isinstance(local, dict) and isinstance(remote, dict):
        assert local.keys() == remote.keys(), where
        for key in local:
            same(local[key], remote[key], f"{where}.{key}")
    elif isinstance(local, list) and isinstance(remote, list):
        assert len(local) == len(remote), f"{where}: {len(local)} != {len(remote)}"
        for i, (a, b) in enumerate(zip(local, remote, strict=True)):
            same(a, b, f"{where}[{i}]")
    else:
        assert local == remote, where


def forbidden_words(person: str) -> set[str]:
    """Canary words of the groups ``person`` is an outsider of."""
    return {word for canary in CANARIES.values() if person in OUTSIDERS[canary["group"]]
            for word in canary["words"]}


# -- answers ----------------------------------------------------------------------------------


def test_replicas_answer_what_the_web_process_answers(apps: dict[str, Flask]) -> None:
    tokens = {name: token_for(apps["local"], person) for name, person in VIEWERS.items()}
    km = tokens["km_lead"]
    assert get(apps["local"], "/api/v1/topics", km, TOPIC)[0] == 201  # a topic to compare
    paths = [f"/api/v1/search?q={q}&mode={mode}" for q in QUERIES for mode in ("hybrid",)]
    paths += [f"/api/v1/search?q={QUERIES[0]}&mode={m}" for m in ("lexical", "semantic")]
    paths += [f"/api/v1/experts?q={q}" for q in QUERIES]
    paths += [f"/api/v1/people/{p}" for p in PEOPLE]
    paths += ["/api/v1/topics", "/api/v1/topics/t-frais", "/api/v1/km/unanswered",
              "/api/v1/posts/nothing-here/similar"]
    compared = 0
    for name, token in tokens.items():
        for path in paths:
            local, remote = get(apps["local"], path, token), get(apps["ray"], path, token)
            same(local, remote, f"{name} {path}")
            compared += local[0] == 200 and bool(local[1])
        for text in ("Comment rembourser mes notes de frais ?", "zorbaflux quintarel"):
            same(get(apps["local"], "/api/v1/route", token, {"text": text}),
                 get(apps["ray"], "/api/v1/route", token, {"text": text}), f"{name} route")
    assert compared > len(paths) * 2  # not a comparison of empty answers


def test_no_canary_leaks_through_the_replicas(apps: dict[str, Flask]) -> None:
    for name, person in VIEWERS.items():
        token, hidden = token_for(apps["ray"], person), forbidden_words(person)
        for word in sorted(hidden):
            status, found = get(apps["ray"], f"/api/v1/search?q={word}", token)
            shown = json.dumps([found["hits"], found["facets"], found["did_you_mean"]])
            status2, ranked = get(apps["ray"], f"/api/v1/experts?q={word}", token)
            shown += json.dumps([e["evidence"] for e in ranked["experts"]])  # `why` echoes q
            assert status == status2 == 200
            assert not {w for w in hidden if w in shown}, f"{name} sees a canary ({word})"
    for canary in CANARIES.values():  # and members do see them (the test can fail)
        member = token_for(apps["ray"], MEMBERS[canary["group"]])
        path = f"/api/v1/search?q={canary['words'][0]}&mode=lexical"
        found = get(apps["ray"], path, member)[1]["hits"]
        assert found and all(hit["group"]["id"] == canary["group"] for hit in found), path


def test_errors_come_back_as_the_web_process_raises_them(apps: dict[str, Flask]) -> None:
    token = token_for(apps["ray"], "p-julien")
    bad = get(apps["ray"], '/api/v1/search?q="unclosed', token)
    assert bad == get(apps["local"], '/api/v1/search?q="unclosed', token)
    assert bad[0] == 400 and bad[1]["error"]["code"] == "query_syntax"
    missing = get(apps["ray"], "/api/v1/route", token, {"post": "no-such-post"})
    assert missing[0] == 404 and missing[1]["error"]["code"] == "not_found"


# -- replicas ---------------------------------------------------------------------------------


def replica_states(apps: dict[str, Flask], calls: int = 40) -> dict[str, int]:
    """Replica name -> Searchers its calls have used, from the replicas that answered."""
    handle = pool(apps).replicas.handle
    answers = [r.result(timeout_s=30) for r in [handle.whoami.remote() for _ in range(calls)]]
    return {a["replica"]: a["searchers"] for a in answers}


def replica_names(apps: dict[str, Flask]) -> set[str]:
    return set(replica_states(apps))


def test_two_replicas_answer_and_ray_listens_on_loopback_only(apps: dict[str, Flask]) -> None:
    from web.replicas import REPLICA_CALLS

    with ThreadPoolExecutor(4) as executor:  # calls of its own: the test runs alone too
        list(executor.map(lambda q: pool(apps).get().search(q, "p-julien"), QUERIES * 3))
    states = replica_states(apps)
    names = set(states)
    assert len(names) == 2
    client = apps["ray"].test_client()
    ready = client.get("/readyz").get_json()  # anyone: ready or not, no counts
    assert ready["replicas"] == ready["replicas_wanted"] == 2 and "items" not in ready, ready
    admin = client.get("/readyz", headers=bearer(token_for(apps["ray"], "p-nadia"))).get_json()
    assert admin["items"] > 0, admin
    # after the calls above: Searchers are kept from call to call
    assert any(states.values()) and all(u <= REPLICA_CALLS for u in states.values()), states
    assert all(int(n.split("@")[0]) != os.getpid() and n.endswith("@127.0.0.1") for n in names)
    ours = [psutil.Process(), *psutil.Process().children(recursive=True)]
    listening = {(p.name(), c.laddr.ip) for p in ours for c in _sockets(p)
                 if c.status == psutil.CONN_LISTEN}
    assert listening and {ip for _, ip in listening} <= set(LOOPBACK), sorted(listening)


def test_readiness_fails_when_the_replicas_cannot_be_reached(apps: dict[str, Flask]) -> None:
    from dataclasses import replace

    from web.errors import NotReady
    from web.replicas import ReplicaPool

    ray_pool = pool(apps)
    gone = ReplicaPool.__new__(ReplicaPool)  # the same pool, its application deleted
    gone.settings, gone.replicas = ray_pool.settings, replace(ray_pool.replicas,
                                                              app="quisait-deleted")
    with pytest.raises(NotReady, match="cannot be reached"):
        gone.readiness()
    assert ray_pool.readiness()["replicas"] == 2


def _sockets(process: psutil.Process) -> list[Any]:
    try:
        return process.net_connections(kind="inet")
    except psutil.NoSuchProcess:
        return []


def test_a_posted_record_is_found_by_every_replica_at_once(apps: dict[str, Flask]) -> None:
    admin, reader = token_for(apps["ray"], "p-nadia"), token_for(apps["ray"], "p-julien")
    query = "/api/v1/search?q=gribouillard&mode=lexical"
    assert get(apps["ray"], query, reader)[1]["hits"] == []
    status, summary = get(apps["ray"], "/api/v1/records", admin, [NEW_POST])
    assert status == 200 and summary["added"] == 1
    hits = get(apps["ray"], query, reader)[1]["hits"]
    assert [h["id"] for h in hits] == ["post-ray-1"]  # right after the 200
    local = apps["local"].extensions["quisait"].searchers.get()
    expected = {mode: [h.id for h in local.search("gribouillard", "p-julien", mode=mode)]
                for mode in ("lexical", "semantic", "hybrid")}
    assert all("post-ray-1" in ids for ids in expected.values()), expected

    def search(mode: str) -> tuple[str, str | None, list[str]]:
        found = pool(apps).get().search("gribouillard", "p-julien", mode=mode)
        return mode, pool(apps).last_replica(), [h.id for h in found]

    # calls in parallel: Serve routes a call to the less busy of two replicas, and calls
    # one after another may all go to the same idle one
    seen: dict[str, set[str]] = {}
    with ThreadPoolExecutor(8) as executor:
        for _ in range(20):  # until each replica has answered with each retriever
            for mode, replica, ids in executor.map(search, [*expected] * 8):
                assert ids == expected[mode], mode
                seen.setdefault(str(replica), set()).add(mode)
            if len(seen) == 2 and all(len(modes) == len(expected) for modes in seen.values()):
                break
    assert len(seen) == 2 and all(len(m) == len(expected) for m in seen.values()), seen


def held_call(folder: Path) -> dict[str, str]:
    """Which replica holds the marked call (``Replica._held``), once it holds it."""
    started = time.monotonic()
    while not (folder / "held").exists():
        assert time.monotonic() - started < 30, "no replica held the marked call in 30 s"
        time.sleep(0.05)
    return json.loads((folder / "held").read_text())


def test_a_killed_replica_is_replaced_and_no_request_fails(
        apps: dict[str, Flask], hold_folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    import ray
    from ray import serve
    from ray.serve.schema import ReplicaState

    from tests.hashing import SLOW_SECONDS, SLOW_WORD
    from web.replicas import DEPLOYMENT, HOLD_WORD

    app, before = pool(apps).replicas.app, replica_names(apps)
    token = token_for(apps["ray"], "p-julien")
    statuses: list[int] = []
    answered: dict[str, Any] = {}
    stop = threading.Event()

    def load(client_number: int) -> None:
        # each query is new (not in the query-vector cache) and takes SLOW_SECONDS to
        # encode on its replica: both replicas are busy while one dies and is replaced
        client, sent = apps["ray"].test_client(), 0
        while not stop.is_set():
            query = f"{SLOW_WORD} {client_number} {sent}"
            response = client.get(f"/api/v1/search?q={query}&mode=semantic",
                                  headers=bearer(token))
            statuses.append(response.status_code)
            sent += 1

    def held() -> None:  # waits on whichever replica it reaches until that one is killed
        hits = pool(apps).get().search(HOLD_WORD, "p-julien", mode="lexical")
        answered.update(hits=hits, replica=pool(apps).last_replica())

    threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=held))
    with caplog.at_level(logging.WARNING, logger="web.replicas"):
        try:
            for thread in threads:
                thread.start()
            victim = held_call(hold_folder)
            actor = next(a for a in ray.util.list_named_actors(all_namespaces=True)
                         if a["name"] == victim["actor"])
            assert actor["name"].startswith(f"SERVE_REPLICA::{app}#{DEPLOYMENT}#"), victim
            ray.kill(ray.get_actor(actor["name"], namespace=actor["namespace"]), no_restart=True)
            threads[-1].join(timeout=30)  # its retry, on the other replica
            time.sleep(SLOW_SECONDS)  # the load goes on while the replacement starts
        finally:
            stop.set()
            (hold_folder / "released").touch()  # after the kill: the victim cannot answer
            for thread in threads:
                thread.join(timeout=60)
    assert statuses and set(statuses) == {200}, statuses
    assert answered.get("hits") == [] and answered["replica"] != victim["replica"], \
        (answered, victim)  # answered, by another replica
    retried = [r for r in caplog.records if "retrying once" in r.getMessage()]
    assert retried, "the held call was answered without a retry"
    started = time.monotonic()
    while time.monotonic() - started < 60:  # Serve starts a replacement
        states = serve.status().applications[app].deployments[DEPLOYMENT].replica_states
        if states.get(ReplicaState.RUNNING) == 2 and len(after := replica_names(apps)) == 2 \
                and after != before:
            break
        time.sleep(1)
    else:
        pytest.fail(f"no replacement replica within 60 s: {states}")
    assert after & before == before - {victim["replica"]} and len(after - before) == 1
