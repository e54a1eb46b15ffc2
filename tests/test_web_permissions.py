"""The canary words of private, secret and guest-shared groups, through every endpoint and
page, as outsiders (0 leaks) and as a member (found: the test can fail)."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask

from tests.web_fixtures import CANARIES, MEMBERS, OUTSIDERS, bearer, signed_in, token_for


def group_items(app: Flask, group: str) -> list[str]:
    searcher = app.extensions["quisait"].searchers.get()
    rows = searcher.catalog.db.execute(
        "SELECT id FROM items WHERE group_id = ? AND deleted = 0 ORDER BY id", (group,))
    return [row[0] for row in rows][:4]


def misspelt(word: str) -> str:
    return word[:-1] + ("a" if word[-1] != "a" else "e")


def inserted(word: str) -> str:
    """One letter more inside the stem: a typo the search corrects for readers."""
    return word[:3] + "q" + word[3:]


def api_texts(app: Flask, token: str, word: str, items: list[str]) -> list[tuple[int, str]]:
    """(status, body) of every API answer that could carry the word or the group."""
    client = app.test_client()
    urls = [f"/api/v1/search?q={word}&mode={mode}&limit=50"
            for mode in ("lexical", "semantic", "hybrid")]
    urls += [f"/api/v1/search?q={typo(word)}&mode={mode}" for typo in (misspelt, inserted)
             for mode in ("lexical", "hybrid")]
    urls += [f"/api/v1/posts/{item}" for item in items]
    urls += [f"/api/v1/posts/{item}/similar" for item in items]
    answers = [client.get(url, headers=bearer(token)) for url in urls]
    # what came back, less the echo of the query or the id asked for
    texts = [json.dumps({k: v for k, v in r.get_json().items() if k != "query"})
             for r in answers]
    for item in items:
        texts = [text.replace(item, "") for text in texts]
    return [(r.status_code, text) for r, text in zip(answers, texts, strict=True)]


def page_texts(app: Flask, person: str, word: str, items: list[str]) -> list[tuple[int, str]]:
    client = signed_in(app, person)
    urls = [f"/search?q={word}&mode={mode}" for mode in ("lexical", "semantic", "hybrid")]
    urls += [f"/search?q={typo(word)}&mode=lexical" for typo in (misspelt, inserted)]
    urls += [f"/posts/{item}" for item in items]
    answers = [client.get(url) for url in urls]
    echoes = [f'value="{q}"' for q in (word, misspelt(word))]
    echoes += [f"<title>{q} ·" for q in (word, misspelt(word))]
    echoes += [f"q={q}&amp;" for q in (word, misspelt(word))] + items
    texts = []
    for response in answers:
        text = response.get_data(as_text=True)
        for echo in echoes:  # the search box and the title repeat the query
            text = text.replace(echo, "")
        for q in (word, misspelt(word)):  # and so do the facet links (query + a filter)
            text = re.sub(rf"q={re.escape(q)}\+[^\"&]*&amp;", "", text)
        texts.append((response.status_code, text))
    return texts


@pytest.mark.parametrize("case", sorted(CANARIES))
def test_canaries_never_reach_outsiders(shared_app, case):
    group, words = CANARIES[case]["group"], CANARIES[case]["words"]
    items = group_items(shared_app, group)
    assert items
    for person in OUTSIDERS[group]:
        token = token_for(shared_app, person)
        for word in words:
            for status, text in (api_texts(shared_app, token, word, items)
                                 + page_texts(shared_app, person, word, items)):
                assert status in (200, 404), (person, word, status)
                assert word not in text.lower(), (person, word, text[:300])
                assert f'"{group}"' not in text and f"{group}" not in text, (person, word)
        # a readable item's API 404 is the same as a nonexistent one
        for item in items:
            answer = shared_app.test_client().get(f"/api/v1/posts/{item}",
                                                  headers=bearer(token)).get_json()
            assert answer["error"]["message"] == f"no post {item!r}"


@pytest.mark.parametrize("case", sorted(CANARIES))
def test_members_find_the_canaries(shared_app, case):
    group, words = CANARIES[case]["group"], CANARIES[case]["words"]
    member = MEMBERS[group]
    token = token_for(shared_app, member)
    client = shared_app.test_client()
    data = client.get(f"/api/v1/search?q={words[0]}&mode=lexical",
                      headers=bearer(token)).get_json()
    assert any(hit["group"]["id"] == group for hit in data["hits"])
    assert data["facets"]["group"][0]["value"] == group
    typo = inserted(words[0])
    corrected = client.get(f"/api/v1/search?q={typo}&mode=lexical",
                           headers=bearer(token)).get_json()
    assert corrected["also_searched"] == {typo: words[0]}  # searched for them too
    assert any(hit["group"]["id"] == group for hit in corrected["hits"])
    quoted = client.get(f'/api/v1/search?q="{typo}"&mode=lexical',
                        headers=bearer(token)).get_json()  # quoted: only as typed
    assert quoted["also_searched"] == {} and quoted["hits"] == []
    farther = words[0][:-2] + "zz"  # two letters away: not corrected, only suggested
    found = client.get(f"/api/v1/search?q={farther}&mode=lexical",
                       headers=bearer(token)).get_json()
    assert found["also_searched"] == {} and found["did_you_mean"] == words[0]
    item = group_items(shared_app, group)[0]
    assert client.get(f"/api/v1/posts/{item}", headers=bearer(token)).status_code == 200
    page = signed_in(shared_app, member).get(f"/search?q={words[0]}&mode=lexical")
    assert words[0] in page.get_data(as_text=True).lower()


def test_km_curation_cannot_probe_secret_items(shared_app):
    secret = group_items(shared_app, "g-codir")[0]
    token = token_for(shared_app, "p-claire")  # a KM lead outside CODIR
    client = shared_app.test_client()
    for method, url, body in [("POST", "/api/v1/pins", {"pattern": "budget", "item_id": secret}),
                              ("PUT", f"/api/v1/marks/{secret}", {"mark": "official"})]:
        response = client.open(url, method=method, headers=bearer(token), json=body)
        assert response.status_code == 404, response.get_json()
    listed = client.get("/api/v1/pins", headers=bearer(token)).get_json()
    assert json.dumps(listed).find(secret) == -1
