"""Differential test of the rule that beats every other: secret content changes nothing
an outsider can observe.

Two servers over copies of the sample network; a connector pushes into the second one,
while it runs, secret content full of the canary words and of the outsiders' own query
words (questions, accepted answers, comments, a document, tags and reactions, written by
people the outsiders know, one reply declared in an open group).  Then every outsider
role (a partner's guest, an employee, a KM lead, an admin) asks both servers the same
things through every function: search with scores and explanations in the three modes,
facets, "did you mean", similar posts, experts (and the KM view), person pages, routing,
topics, unanswered questions, pins, marks, the dashboard, the pages, health.  Everything
must be identical (floats to 1e-9, relative: recency moves with the clock between calls).
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web_fixtures import CANARIES, bearer, copy_settings, signed_in, token_for
from web import create_app

OBSERVERS = {"guest": "p-ian", "employee": "p-julien", "km_lead": "p-claire",
             "admin": "p-nadia"}
CANARY_WORDS = [word for canary in CANARIES.values() for word in canary["words"]]
QUERIES = ["notes de frais", "remboursement note de frais", "kubernetes déploiement",
           "SAP FI facture", "RGPD données personnelles", "Orvalis Hub Modbus",
           "python migration", "kubernetis", "remboursment frais", "tag:sap",
           '"notes de frais" kubernetes déploiement', 'comment "note de frais"',
           "is:unanswered", *CANARY_WORDS[:3]]
PEOPLE_SHOWN = ["p-karim", "p-thomas", "p-julien", "p-helene", "p-ian"]
WORDS = " ".join(["notes de frais remboursement déplacement kubernetes déploiement SAP FI "
                  "facture RGPD données personnelles Orvalis Hub Modbus python migration "
                  "kubernetis remboursment", *CANARY_WORDS])


def secret_records() -> list[dict[str, Any]]:
    """Secret content aimed at every statistic: the outsiders' words, their tags, their
    experts as authors, accepted answers, reactions, a typo-neighbour of their words."""
    group = {"type": "group", "id": "g-diff-secret", "name": "Diff secret",
             "visibility": "secret", "members": ["p-helene", "p-karim"]}
    records: list[dict[str, Any]] = [group]
    for n, home in enumerate(["g-codir", "g-diff-secret"] * 6):
        question = f"diff-q{n}"
        records += [
            {"type": "post", "id": question, "author": "p-karim", "group": home,
             "kind": "question", "created": f"2026-0{1 + n % 9}-0{1 + n % 9}T09:00:00",
             "title": f"{WORDS.split()[n]} {WORDS.split()[-n - 1]} ?",
             "body": WORDS * (1 + n % 3), "tags": ["sap", "notes-de-frais", "kubernetes"],
             "reactions": 40, "accepted_answer": f"diff-a{n}"},
            {"type": "post", "id": f"diff-a{n}", "author": "p-thomas", "parent": question,
             "group": "g-python" if n == 0 else home, "kind": "answer",
             "created": f"2026-0{1 + n % 9}-1{n % 9}T10:00:00", "body": WORDS,
             "score": 25, "reactions": 12},
            {"type": "comment", "id": f"diff-c{n}", "post": f"diff-a{n}",
             "author": "p-julien", "created": f"2026-0{1 + n % 9}-2{n % 9}T11:00:00",
             "body": WORDS},
        ]
    records.append({"type": "document", "id": "diff-doc", "title": "Notes de frais SAP",
                    "text": WORDS * 5, "source": "diff/doc.md", "group": "g-codir",
                    "author": "p-karim", "created": "2026-02-01T00:00:00",
                    "tags": ["sap"]})
    return records


def normalised(value: Any) -> Any:
    """JSON with floats rounded to 9 significant digits and without request ids, and
    pages without their per-session CSRF tokens."""
    if isinstance(value, float):
        return float(f"{value:.9g}") if math.isfinite(value) else value
    if isinstance(value, dict):  # a request id is new for every request
        return {key: normalised(item) for key, item in value.items() if key != "request_id"}
    if isinstance(value, list):
        return [normalised(item) for item in value]
    if isinstance(value, str):
        return re.sub(r'name="csrf_token" value="[^"]*"', "", value)
    return value


def answer(response: Any) -> Any:
    body = response.get_json(silent=True)
    return [response.status_code, body if body is not None else response.get_data(as_text=True)]


def observe(app: Flask, similar_ids: list[str], topic_ids: list[str]) -> dict[str, Any]:
    """Everything each outsider can observe, by role, in one dict."""
    seen: dict[str, Any] = {"healthz": answer(app.test_client().get("/healthz")),
                            "readyz": answer(app.test_client().get("/readyz"))}
    for role, person in OBSERVERS.items():
        api = app.test_client()
        headers = bearer(token_for(app, person))
        seen[role] = _api_observations(api, headers, similar_ids, topic_ids)
        seen[f"{role} pages"] = _page_observations(signed_in(app, person), topic_ids)
    return normalised(seen)


def _api_observations(api: FlaskClient, headers: dict[str, str], similar_ids: list[str],
                      topic_ids: list[str]) -> dict[str, Any]:
    def get(url: str) -> Any:
        return answer(api.get(url, headers=headers))

    seen: dict[str, Any] = {}
    for query in QUERIES:
        for mode in ("lexical", "semantic", "hybrid"):
            seen[f"search {query} {mode}"] = get(
                f"/api/v1/search?q={query}&mode={mode}&explain=1&limit=30")
        seen[f"experts {query}"] = get(f"/api/v1/experts?q={query}&limit=20&km_view=1")
        seen[f"route {query}"] = answer(api.post("/api/v1/route", headers=headers,
                                                 json={"text": query}))
    for ident in similar_ids:
        seen[f"similar {ident}"] = get(f"/api/v1/posts/{ident}/similar?limit=20")
        seen[f"post {ident}"] = get(f"/api/v1/posts/{ident}")
        seen[f"route post {ident}"] = answer(api.post("/api/v1/route", headers=headers,
                                                      json={"post": ident}))
    for person in PEOPLE_SHOWN:
        seen[f"person {person}"] = get(f"/api/v1/people/{person}")
    seen["topics"] = get("/api/v1/topics")
    for topic in topic_ids:
        seen[f"topic {topic}"] = get(f"/api/v1/topics/{topic}")
    for url in ("/api/v1/km/unanswered?limit=50", "/api/v1/pins", "/api/v1/marks",
                "/api/v1/synonyms", "/api/v1/me", "/api/v1/follows",
                "/api/v1/me/notifications"):
        seen[url] = get(url)
    # following a secret group is refused exactly as following one that does not exist
    for kind, target in (("group", "g-diff-secret"), ("group", "g-codir")):
        seen[f"follow {kind} {target}"] = answer(api.post(
            "/api/v1/follows", headers=headers, json={"kind": kind, "target": target}))
    # so is a vote on a secret item (none in the first server)
    seen["/api/v1/feedback/summary"] = get("/api/v1/feedback/summary")
    for kind, target in (("result", "diff-q1"), ("answer", "diff-doc"), ("result", "diff-a2")):
        seen[f"feedback {kind} {target}"] = answer(api.post(
            "/api/v1/feedback", headers=headers,
            json={"kind": kind, "target": target, "query": QUERIES[0], "helpful": False}))
    return seen


def _page_observations(page: FlaskClient, topic_ids: list[str]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    urls = [f"/search?q={query}" for query in (*QUERIES[:6], "remboursment frais")] + [
        "/km", "/topics", *(f"/topics/{topic}" for topic in topic_ids),
        *(f"/people/{person}" for person in PEOPLE_SHOWN), "/ask?q=notes+de+frais",
        "/me/follows", *(f"/km/feedback.csv?table={table}"
                         for table in ("answers", "results", "experts"))]
    for url in urls:
        response = page.get(url)
        seen[url] = [response.status_code, response.get_data(as_text=True)]
    return seen


TOPICS = [
    {"id": "t-frais", "name_fr": "notes de frais", "name_en": "expense reports",
     "synonyms": ["remboursement"], "tags": ["notes-de-frais"]},
    {"id": "t-k8s", "name_fr": "Kubernetes", "name_en": "Kubernetes", "tags": ["kubernetes"]},
    {"id": "t-sap", "name_fr": "SAP FI", "name_en": "SAP FI", "synonyms": ["facture"],
     "tags": ["sap"]},
]


def _explained(differences: list[tuple[str, str]], before: dict, after: dict) -> str:
    """The first differing observations, side by side."""
    lines = []
    for key, inner in differences:
        old, new = before[key], after[key]
        if inner:
            old, new = old[inner], new.get(inner)
        lines.append(f"{key} / {inner}:\n  without: {json.dumps(old)[:1500]}\n"
                     f"  with:    {json.dumps(new)[:1500]}")
    return "\n".join(lines)


def _app(sample_index: Path, folder: Path) -> Flask:
    """A server over its own copy of the sample, with the same topics, pin and mark."""
    app = create_app(copy_settings(sample_index, folder, demo_login=True))
    app.config["TESTING"] = True
    km = bearer(token_for(app, "p-claire"))
    client = app.test_client()
    for topic in TOPICS:
        assert client.post("/api/v1/topics", headers=km, json=topic).status_code == 201
    assert client.post("/api/v1/pins", headers=km, json={
        "pattern": "notes de frais", "item_id": "post-0170"}).status_code == 201
    assert client.put("/api/v1/marks/post-0152", headers=km,
                      json={"mark": "official"}).status_code == 200
    return app


class _Frozen(datetime):
    """The clock of ranking (recency decay) stopped: both servers are observed seconds
    apart, and a decay computed seconds later differs in the last digits."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return datetime(2026, 6, 1, 12, 0, tzinfo=UTC).astimezone(tz)


@pytest.fixture
def frozen_ranking_clock(monkeypatch):
    for module in ("expertise.finder", "expertise.activity", "search.engine",
                   "web.dashboard"):
        monkeypatch.setattr(f"{module}.datetime", _Frozen)


SECRET_VOTERS = ["p-helene", "p-marie", "p-yann", "p-karim"]  # g-codir, g-diff-secret


def secret_votes(app: Flask) -> int:
    """Members of the secret groups vote, on the outsiders' queries and on their secret
    words: helpful on their best results (secret and public ones), not helpful on the next,
    on the answers they cite, and on experts outsiders see.  How many votes were stored."""
    found = app.extensions["quisait"].searchers.get()  # no query log: nothing else moves
    client, stored = app.test_client(), 0
    for voter in SECRET_VOTERS:
        headers = bearer(token_for(app, voter))
        for query in [*QUERIES[:4], " ".join(CANARY_WORDS[:2]), "diff secret kubernetis"]:
            ranked = found.search(query, voter, mode="lexical", limit=3)
            votes = [("result", hit.id, rank == 0) for rank, hit in enumerate(ranked)]
            votes += [("answer", hit.id, False) for hit in ranked[:1]]
            votes += [("expert", person, person == "p-thomas") for person in PEOPLE_SHOWN[:2]]
            for kind, target, helpful in votes:
                response = client.post("/api/v1/feedback", headers=headers, json={
                    "kind": kind, "target": target, "query": query, "helpful": helpful})
                assert response.status_code == 200, response.get_json()
                stored += response.get_json()["counted"]
    return stored


def test_secret_content_changes_nothing_an_outsider_observes(sample_index, tmp_path,
                                                             frozen_ranking_clock):
    plain, changed = _app(sample_index, tmp_path / "a"), _app(sample_index, tmp_path / "b")
    connector = bearer(token_for(changed, "p-nadia", roles=("connector",)))
    pushed = changed.test_client().post(
        "/api/v1/records", headers=connector, data=json.dumps(secret_records()),
        content_type="application/json")
    assert pushed.status_code == 200 and pushed.get_json()["added"] == 38, pushed.get_json()
    assert secret_votes(changed) > 100
    similar_ids = []
    for app in (plain, changed):  # the same calls on both servers (the query log counts)
        hits = app.test_client().get(
            "/api/v1/search?q=notes de frais kubernetes SAP&mode=lexical&limit=8",
            headers=bearer(token_for(app, OBSERVERS["employee"]))).get_json()["hits"]
        similar_ids = [hit["id"] for hit in hits][:6]
    topic_ids = [topic["id"] for topic in TOPICS]
    assert similar_ids
    before, after = observe(plain, similar_ids, topic_ids), observe(changed, similar_ids,
                                                                    topic_ids)
    # extracted answers (sentences, citations, scores, features) are compared too
    assert any(seen[1].get("answer") for key, seen in before["employee"].items()
               if key.startswith("search ") and isinstance(seen[1], dict))
    differences = [(key, inner) for key in before if before[key] != after[key]
                   for inner in (before[key] if isinstance(before[key], dict) else [""])
                   if not inner or before[key][inner] != after[key].get(inner)]
    assert not differences, _explained(differences[:3], before, after)
    # the member does see it (the content is there)
    member = changed.test_client().get(
        "/api/v1/search?q=diff secret kubernetis&mode=lexical",
        headers=bearer(token_for(changed, "p-helene"))).get_json()
    assert any(hit["id"].startswith("diff-") for hit in member["hits"])
    # and the votes count for members: they move the members' ranking
    explained = [hit.explanation for hit in changed.extensions["quisait"].searchers.get()
                 .search(QUERIES[0], "p-helene", mode="lexical", limit=10)]
    assert any("feedback" in explanation for explanation in explained)
