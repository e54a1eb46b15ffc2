"""Feedback over the web: the buttons (plain forms with the CSRF token), the API, what
moves a ranking (3 distinct people who count, never oneself alone), the attacks (votes on
what one may not read, a private group's votes reaching outsiders, an item that moves
group, unhashed voters), and the KM lines as a page, CSV and JSON (never who voted)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from indexer.sample import CANARIES_PATH
from tests.web_fixtures import (
    CANARIES,
    MEMBERS,
    OUTSIDERS,
    bearer,
    copy_settings,
    csrf_of,
    signed_in,
    token_for,
)
from web import create_app

NETWORK = CANARIES_PATH.parent / "network.jsonl"
QUERY = "notes de frais"
READER = "p-julien"  # a plain employee: in no private group
CODIR = ["p-helene", "p-marie", "p-yann"]  # members of the secret g-codir, in no other


def api_vote(app: Flask, person: str, target: str, helpful: bool = True,
             query: str = QUERY, kind: str = "result") -> Any:
    return app.test_client().post("/api/v1/feedback", headers=bearer(token_for(app, person)),
                                  json={"kind": kind, "target": target, "query": query,
                                        "helpful": helpful})


def hits(app: Flask, person: str, query: str = QUERY) -> list[dict[str, Any]]:
    response = app.test_client().get(
        f"/api/v1/search?q={query}&mode=lexical&explain=1&limit=30",
        headers=bearer(token_for(app, person)))
    assert response.status_code == 200
    return response.get_json()["hits"]


def explanation(app: Flask, person: str, item_id: str, query: str = QUERY) -> dict[str, Any]:
    found = [hit for hit in hits(app, person, query) if hit["id"] == item_id]
    assert found, f"{item_id} is not a result of {query!r} for {person}"
    return found[0]["explanation"]


def plain_voters(app: Flask, reader: str, author: str | None, count: int = 3) -> list[str]:
    """Active employees whose readable groups are within the reader's (their votes may count
    for the reader), other than the author and the reader."""
    searcher = app.extensions["quisait"].searchers.get()
    tokens = searcher.scope(reader).readable
    people = [p.id for p in searcher.active_people()
              if not p.guest and p.id not in (reader, author)
              and searcher.scope(p).readable <= tokens]
    assert len(people) >= count
    return sorted(people)[:count]


def public_hit(app: Flask, reader: str = READER, query: str = QUERY,
               rank: int = 1) -> dict[str, Any]:
    """A result of the reader's search in an open group or the company feed."""
    searcher = app.extensions["quisait"].searchers.get()
    public = [hit for hit in hits(app, reader, query)
              if hit["author"] and (hit["group"]["id"] == "@feed" or getattr(
                  searcher.groups.get(hit["group"]["id"]), "visibility", "") == "open")]
    assert len(public) > rank
    return {**public[rank], "author": public[rank]["author"]["id"]}


# -- ranking ----------------------------------------------------------------------------------

def test_three_people_move_a_result_and_the_explanation_says_so(app):
    target = public_hit(app, rank=3)
    voters = plain_voters(app, READER, target["author"])
    before = explanation(app, READER, target["id"])
    assert "feedback" not in before
    for voter in voters[:2]:
        assert api_vote(app, voter, target["id"]).get_json()["counted"] is True
    assert "feedback" not in explanation(app, READER, target["id"])  # two people: nothing
    assert api_vote(app, voters[2], target["id"], query="  Notes de FRAIS ").status_code == 200
    after = explanation(app, READER, target["id"])
    assert after["feedback"] == pytest.approx(1.1)  # 1 + 0.2 * 1 * 3 / (3 + 3)
    old = next(h for h in hits(app, READER) if h["id"] == target["id"])["score"]
    assert old > 0
    # unhelpful votes from the same people replace theirs and pull the result down
    for voter in voters:
        api_vote(app, voter, target["id"], helpful=False)
    assert explanation(app, READER, target["id"])["feedback"] == pytest.approx(0.9)
    # another query is another signal
    other = hits(app, READER, "remboursement note de frais")
    assert all("feedback" not in hit["explanation"] for hit in other)


def test_one_person_cannot_push_a_post_up_alone(app):
    target = public_hit(app, rank=2)
    author = target["author"]
    assert author
    voter = plain_voters(app, READER, author, count=1)[0]
    for _ in range(5):  # one person voting again and again is one vote
        assert api_vote(app, voter, target["id"]).status_code == 200
    own = api_vote(app, author, target["id"])  # the author's own vote is not stored
    assert own.status_code == 200 and own.get_json()["counted"] is False
    assert "feedback" not in explanation(app, READER, target["id"])
    found = app.extensions["quisait"].searchers.get()
    assert len(found.feedback.votes("result", QUERY)) == 1


def test_votes_on_what_one_may_not_read_are_404_like_nothing(app):
    for group, outsiders in OUTSIDERS.items():
        secret = found_item_in(app, group)
        for person in outsiders:
            for kind in ("result", "answer"):
                hidden = api_vote(app, person, secret, kind=kind)
                missing = api_vote(app, person, "post-9999", kind=kind)
                assert hidden.status_code == missing.status_code == 404
                assert (hidden.get_json()["error"]["message"].replace(secret, "X")
                        == missing.get_json()["error"]["message"].replace("post-9999", "X"))
    # a person a guest may not see is no person at all
    hidden = api_vote(app, "p-ian", "p-helene", kind="expert").get_json()
    missing = api_vote(app, "p-ian", "p-nobody", kind="expert").get_json()
    for body in (hidden, missing):
        body["error"].pop("request_id")  # new for every request
    assert hidden == missing and hidden["error"]["status"] == 404
    found = app.extensions["quisait"].searchers.get()
    assert not found.feedback.db.execute("SELECT COUNT(*) FROM votes").fetchone()[0]


def found_item_in(app: Flask, group: str) -> str:
    found = app.extensions["quisait"].searchers.get()
    return str(found.catalog.db.execute(
        "SELECT id FROM items WHERE group_id = ? AND deleted = 0 ORDER BY id LIMIT 1",
        (group,)).fetchone()[0])


def test_a_private_groups_votes_tell_outsiders_nothing(app):
    """Members of a secret group vote on a public result, for a public query and for a
    query made of their secret words: the ranking of no outsider changes, nor any KM
    line; for a member it does (the votes are there)."""
    secret_words = " ".join(CANARIES["secret"]["words"])
    target = public_hit(app, "p-helene", rank=2)
    for voter in CODIR:
        for query in (QUERY, f"{QUERY} {secret_words}"):
            assert api_vote(app, voter, target["id"], query=query).get_json()["counted"]
            assert api_vote(app, voter, target["id"], helpful=False, query=query,
                            kind="answer").get_json()["counted"]
    assert explanation(app, MEMBERS["g-codir"], target["id"])["feedback"] > 1
    for outsider in OUTSIDERS["g-codir"]:
        assert all("feedback" not in hit["explanation"] for hit in hits(app, outsider))
        found = [hit for hit in hits(app, outsider, f"{QUERY} {secret_words}")]
        assert all("feedback" not in hit["explanation"] for hit in found)
    for km in ("p-claire", "p-nadia"):  # KM lead and admin, both outside g-codir
        summary = app.test_client().get("/api/v1/feedback/summary",
                                        headers=bearer(token_for(app, km))).get_json()
        assert summary == {"answers": [], "results": [], "experts": []}
        page = signed_in(app, km).get("/km").get_data(as_text=True)
        # (the top searches above list the secret words the lead typed herself)
        lines = page.split('id="feedback-title"', 1)[1]
        assert all(word not in lines for word in CANARIES["secret"]["words"])


def test_votes_stop_counting_when_the_item_moves_group(app):
    target = public_hit(app, "p-helene", rank=2)
    voters = plain_voters(app, "p-helene", target["author"])
    for voter in voters:
        api_vote(app, voter, target["id"])
        api_vote(app, voter, target["id"], helpful=False, kind="answer")
    assert explanation(app, "p-helene", target["id"])["feedback"] > 1
    connector = bearer(token_for(app, "p-nadia", roles=("connector",)))
    helene = next(json.loads(line) for line in NETWORK.read_text().splitlines()
                  if json.loads(line).get("id") == "p-helene")
    assert app.test_client().post("/api/v1/records", headers=connector, json=[
        {**helene, "roles": ["km_lead"]}]).status_code == 200  # a KM lead inside g-codir
    km = bearer(token_for(app, "p-helene"))
    summary = app.test_client().get("/api/v1/feedback/summary", headers=km).get_json()
    assert [line["target"] for line in summary["answers"]] == [target["id"]]
    # the item moves into the secret group: its voters, outsiders, no longer count
    record = next(json.loads(line) for line in NETWORK.read_text().splitlines()
                  if json.loads(line).get("id") == target["id"])
    record["group"] = "g-codir"
    pushed = app.test_client().post("/api/v1/records", headers=connector, json=[record])
    assert pushed.status_code == 200, pushed.get_json()
    moved = [hit for hit in hits(app, "p-helene") if hit["id"] == target["id"]]
    assert moved and "feedback" not in moved[0]["explanation"]
    summary = app.test_client().get("/api/v1/feedback/summary", headers=km).get_json()
    assert summary["answers"] == []


def test_departed_voters_stop_counting(app):
    target = public_hit(app, rank=3)
    voters = plain_voters(app, READER, target["author"])
    for voter in voters:
        api_vote(app, voter, target["id"])
    assert "feedback" in explanation(app, READER, target["id"])
    person = next(json.loads(line) for line in NETWORK.read_text().splitlines()
                  if json.loads(line).get("id") == voters[0])
    person["status"] = "departed"
    connector = bearer(token_for(app, "p-nadia", roles=("connector",)))
    assert app.test_client().post("/api/v1/records", headers=connector,
                                  json=[person]).status_code == 200
    assert "feedback" not in explanation(app, READER, target["id"])


@pytest.fixture
def unhashed_app(sample_index: Path, tmp_path: Path) -> Flask:
    app = create_app(copy_settings(sample_index, tmp_path / "data", demo_login=True,
                                   query_log="none"))
    app.config["TESTING"] = True
    return app


def test_without_hashed_voters_votes_never_rank(unhashed_app):
    app = unhashed_app
    target = public_hit(app, rank=3)
    for voter in plain_voters(app, READER, target["author"]):
        for _ in range(2):
            api_vote(app, voter, target["id"], helpful=False)
    assert "feedback" not in explanation(app, READER, target["id"])
    found = app.extensions["quisait"].searchers.get()
    rows = found.feedback.db.execute("SELECT voter FROM votes").fetchall()
    assert len(rows) == 6 and {row[0] for row in rows} == {None}  # votes, not people
    summary = app.test_client().get("/api/v1/feedback/summary",
                                    headers=bearer(token_for(app, "p-claire"))).get_json()
    assert [(line["target"], line["not_helpful"]) for line in summary["results"]] == [
        (target["id"], 6)]


def test_api_refuses_malformed_votes(shared_app):
    headers = bearer(token_for(shared_app, READER))
    client = shared_app.test_client()
    good = {"kind": "result", "target": "post-0001", "query": "x", "helpful": True}
    for field, value in (("kind", "post"), ("target", ""), ("query", " "), ("helpful", "yes"),
                         ("helpful", 1), ("query", "x" * 1001), ("target", 7)):
        response = client.post("/api/v1/feedback", headers=headers,
                               json={**good, field: value})
        assert response.status_code == 400, (field, value)
        assert response.get_json()["error"]["detail"]["field"] == field
    assert client.post("/api/v1/feedback", json=good).status_code == 401


# -- pages --------------------------------------------------------------------------------------

def test_buttons_are_plain_forms_that_come_back_to_the_page(app):
    client = signed_in(app, READER)
    page = client.get(f"/search?q={QUERY}&mode=lexical").get_data(as_text=True)
    assert "<script" not in page
    forms = re.findall(r'<form method="post" action="/feedback" class="feedbackform">(.*?)'
                       r"</form>", page, re.S)
    assert forms and all('name="csrf_token"' in form for form in forms)
    kinds = {re.search(r'name="kind" value="(\w+)"', form).group(1) for form in forms}
    assert kinds == {"answer", "result", "expert"}
    first = next(form for form in forms if 'name="kind" value="result"' in form)
    target = re.search(r'name="target" value="([^"]+)"', first).group(1)
    data = {"kind": "result", "target": target, "q": QUERY, "helpful": "0",
            "next": "/search?q=notes+de+frais&mode=lexical"}
    assert client.post("/feedback", data=data).status_code == 403  # no CSRF token
    data["csrf_token"] = csrf_of(page)
    response = client.post("/feedback", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/search?q=notes+de+frais&mode=lexical"
    again = client.get(f"/search?q={QUERY}&mode=lexical").get_data(as_text=True)
    [pressed] = [form for form in re.findall(r'class="feedbackform">(.*?)</form>', again, re.S)
                 if 'value="result"' in form and f'value="{target}"' in form]
    assert re.search(r'value="0" aria-pressed="true"', pressed)
    assert re.search(r'value="1" aria-pressed="false"', pressed)
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = client.post("/feedback", data={**data, "next": evil})
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/search?q=")
    found = app.extensions["quisait"].searchers.get()
    assert found.feedback.choice("result", target, QUERY, READER) is False


def test_no_buttons_on_ones_own_results_and_card(app):
    found = app.extensions["quisait"].searchers.get()
    author, title = found.catalog.db.execute(
        "SELECT author, title FROM items WHERE group_id = 'g-devops' AND title != '' "
        "AND kind = 'question' ORDER BY id LIMIT 1").fetchone()
    page = signed_in(app, author).get(f"/search?q={title}&mode=lexical").get_data(as_text=True)
    own_items = {row[0] for row in found.catalog.db.execute(
        "SELECT id FROM items WHERE author = ?", (author,))}
    voted = set(re.findall(r'name="target" value="([^"]+)"', page))
    shown = set(re.findall(r'href="/posts/([^"?]+)\?', page))
    assert shown & own_items  # their own posts are among the results
    assert not voted & own_items and author not in voted


def test_ask_page_has_buttons_on_look_alikes(shared_app):
    page = signed_in(shared_app, READER).get(
        "/ask?q=comment+se+faire+rembourser+une+note+de+frais").get_data(as_text=True)
    assert 'class="feedbackform"' in page and 'name="kind" value="result"' in page


def test_km_lines_page_csv_and_api_never_say_who(app):
    target = public_hit(app, "p-claire", rank=1)
    voters = plain_voters(app, "p-claire", target["author"])
    formula = "=HYPERLINK(\"http://evil.example\")"
    for voter in voters:
        api_vote(app, voter, target["id"], helpful=False)
        api_vote(app, voter, target["id"], helpful=False, kind="answer", query=formula)
    api_vote(app, voters[0], "p-karim", helpful=False, kind="expert")
    api_vote(app, voters[1], "p-karim", helpful=True, kind="expert")
    headers = bearer(token_for(app, "p-claire"))
    summary = app.test_client().get("/api/v1/feedback/summary", headers=headers).get_json()
    assert [(line["target"], line["not_helpful"], line["helpful"])
            for line in summary["results"]] == [(target["id"], 3, 0)]
    assert summary["answers"][0]["query"].startswith("=hyperlink(")
    assert [(line["target"], line["not_helpful"], line["helpful"])
            for line in summary["experts"]] == [("p-karim", 1, 1)]
    assert summary["experts"][0]["title"] == "Karim Haddad"
    client = signed_in(app, "p-claire")
    page = client.get("/km").get_data(as_text=True)
    assert 'href="/km/feedback.csv?table=answers"' in page and "Karim Haddad" in page
    found = app.extensions["quisait"].searchers.get()
    keys = [found.feedback.voter_key(voter) for voter in voters]
    response = client.get("/km/feedback.csv?table=answers")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["kind", "query", "target", "title", "helpful", "not_helpful",
                       "last_vote"]
    assert rows[1][1].startswith("'=") and rows[1][2] == target["id"] and rows[1][5] == "3"
    for text in (page, response.get_data(as_text=True), json.dumps(summary)):
        assert not any(voter in text for voter in voters)
        assert not any(key and key in text for key in keys)
    assert signed_in(app, READER).get("/km/feedback.csv").status_code == 403
    assert client.get("/km/feedback.csv?table=people").status_code == 400
    refused = app.test_client().get("/api/v1/feedback/summary",
                                    headers=bearer(token_for(app, READER)))
    assert refused.status_code == 403


def test_own_expert_card_vote_is_not_counted(shared_app):
    response = api_vote(shared_app, "p-karim", "p-karim", kind="expert")
    assert response.status_code == 200 and response.get_json()["counted"] is False


def test_the_answer_block_votes_on_its_cited_item(app):
    client = signed_in(app, READER)
    page = client.get("/search?q=notes+de+frais&mode=lexical").get_data(as_text=True)
    assert 'class="answer"' in page
    forms = re.findall(r'<form method="post" action="/feedback" class="feedbackform">(.*?)'
                       r"</form>", page, re.S)
    [form] = [form for form in forms if 'name="kind" value="answer"' in form]
    target = re.search(r'name="target" value="([^"]+)"', form).group(1)
    cited = re.search(r'<section class="answer".*?href="/posts/([^"]+)"', page, re.S).group(1)
    assert target == cited
    response = client.post("/feedback", data={
        "csrf_token": csrf_of(page), "kind": "answer", "target": target, "q": QUERY,
        "helpful": "0", "next": "/search?q=notes+de+frais&mode=lexical"})
    assert response.status_code == 302
    summary = app.test_client().get("/api/v1/feedback/summary",
                                    headers=bearer(token_for(app, "p-claire"))).get_json()
    assert [(line["target"], line["not_helpful"]) for line in summary["answers"]] == [
        (target, 1)]
