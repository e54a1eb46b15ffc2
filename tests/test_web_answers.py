"""Extracted answers in the API (``answer`` beside ``hits``), on /search and on /ask; and the
attack: a secret item that would be the best answer changes nothing an outsider sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask

from tests.web_fixtures import bearer, copy_settings, signed_in, token_for
from web import create_app

QUERY = "délai de remboursement des notes de frais"
SECRET_ANSWER = ("Le délai de remboursement des notes de frais est de trois jours ouvrés "
                 "pour tous les salariés selon le comité de direction zorbaflux.")


@pytest.fixture(scope="module")
def employee(shared_app: Flask) -> dict[str, str]:
    return bearer(token_for(shared_app, "p-julien"))


def search(app: Flask, headers: dict[str, str], query: str = QUERY, **params: str) -> dict:
    url = "/api/v1/search"
    response = app.test_client().get(url, headers=headers,
                                     query_string={"q": query, "mode": "lexical", **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def test_the_api_answers_beside_the_hits_with_citations(shared_app, employee):
    data = search(shared_app, employee, limit="10")
    answer = data["answer"]
    assert answer is not None and 1 <= len(answer["sentences"]) <= 3
    cited = {s["citation"]["id"] for s in answer["sentences"]}
    hit_ids = [hit["id"] for hit in data["hits"]]
    assert cited <= set(hit_ids[:5])
    first = answer["sentences"][0]
    assert set(first) == {"text", "lang", "score", "citation"}
    assert set(first["citation"]) == {"id", "kind", "title", "group", "author", "created",
                                      "url"}
    assert first["citation"]["url"] == f"/posts/{first['citation']['id']}"
    assert first["lang"] in ("fr", "en")
    explained = search(shared_app, employee, explain="1")["answer"]["sentences"][0]
    assert {"overlap", "passage", "rank", "passage_rank", "overlap_points"} <= set(
        explained["explanation"])
    assert explained["text"] == first["text"] and explained["score"] == first["score"]


def test_the_answer_does_not_depend_on_the_page_size(shared_app, employee):
    small = search(shared_app, employee, limit="1")
    assert len(small["hits"]) == 1 and small["more"]
    assert small["answer"] == search(shared_app, employee, limit="10")["answer"]
    assert search(shared_app, employee, limit="3", page="2")["answer"] is None


def test_no_answer_without_evidence(shared_app, employee):
    assert search(shared_app, employee, "tag:sap")["answer"] is None
    assert search(shared_app, employee, "xqzwv plorbt")["answer"] is None


def test_search_and_ask_pages_show_the_answer(shared_app):
    client = signed_in(shared_app, "p-julien")
    data = search(shared_app, bearer(token_for(shared_app, "p-julien")))
    first = data["answer"]["sentences"][0]
    page = client.get("/search", query_string={"q": QUERY, "mode": "lexical"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'class="answer"' in html
    assert f'<blockquote lang="{first["lang"]}"' in html
    assert f'href="/posts/{first["citation"]["id"]}"' in html
    ask = client.get("/ask", query_string={"q": "Quel est le délai de remboursement des "
                                                "notes de frais ?", "mode": "lexical"})
    assert ask.status_code == 200 and 'class="answer"' in ask.get_data(as_text=True)
    nothing = client.get("/search", query_string={"q": "xqzwv plorbt", "mode": "lexical"})
    assert 'class="answer"' not in nothing.get_data(as_text=True)


def _secret_records() -> list[dict]:
    return [{"type": "group", "id": "g-answer-secret", "name": "Answer secret",
             "visibility": "secret", "members": ["p-helene"]},
            {"type": "post", "id": "secret-answer-q", "author": "p-karim",
             "group": "g-answer-secret", "kind": "question", "created": "2026-01-02T09:00:00",
             "title": "Délai de remboursement des notes de frais ?", "body": QUERY + " ?",
             "accepted_answer": "secret-answer-a"},
            {"type": "post", "id": "secret-answer-a", "author": "p-thomas",
             "parent": "secret-answer-q", "group": "g-answer-secret", "kind": "answer",
             "created": "2026-01-02T10:00:00", "body": SECRET_ANSWER}]


def test_a_secret_best_answer_changes_nothing_an_outsider_sees(sample_index: Path,
                                                               tmp_path: Path):
    plain = create_app(copy_settings(sample_index, tmp_path / "plain", demo_login=True))
    changed = create_app(copy_settings(sample_index, tmp_path / "changed", demo_login=True))
    connector = bearer(token_for(changed, "p-nadia", roles=("connector",)))
    pushed = changed.test_client().post("/api/v1/records", headers=connector,
                                        data=json.dumps(_secret_records()),
                                        content_type="application/json")
    assert pushed.status_code == 200, pushed.get_json()
    member = search(changed, bearer(token_for(changed, "p-helene")), explain="1")
    assert member["answer"]["sentences"][0]["citation"]["id"] == "secret-answer-a"
    for outsider in ("p-julien", "p-claire", "p-nadia", "p-ian"):
        for mode in ("lexical", "semantic", "hybrid"):
            seen = [search(app, bearer(token_for(app, outsider)), mode=mode, explain="1")
                    for app in (plain, changed)]
            assert seen[0]["answer"] == seen[1]["answer"], (outsider, mode)
            assert "zorbaflux" not in json.dumps(seen[1]).lower()
        pages = [signed_in(app, outsider).get("/search", query_string={"q": QUERY})
                 .get_data(as_text=True) for app in (plain, changed)]
        assert "zorbaflux" not in pages[1].lower() and "trois jours ouvrés" not in pages[1]
