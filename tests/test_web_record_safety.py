"""Records that would end in a 500 or carry a script link (issue 14): refused by the API with
the record and field named and nothing written; links and images shown safely."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from core.records import Post
from expertise import Evidence
from tests.web_fixtures import bearer, signed_in, token_for
from web.ingest import ingest_records
from web.present_expertise import evidence_json

GOOD = {"type": "post", "id": "post-safe-1", "author": "p-julien",
        "created": "2026-02-01T10:00:00", "group": "g-python", "title": "Note vorpalique"}
WHEN = datetime(2026, 2, 1, 10, tzinfo=UTC)


def search_ids(app: Flask, word: str) -> list[str]:
    data = app.test_client().get(f"/api/v1/search?q={word}&mode=lexical",
                                 headers=bearer(token_for(app, "p-julien"))).get_json()
    return [hit["id"] for hit in data["hits"]]


@pytest.mark.parametrize(
    ("field", "value"),
    [("created", "0001-01-01T00:00:00+01:00"), ("updated", "9999-12-31T23:59:59-01:00"),
     ("reactions", 2**63), ("score", -(2**63) - 1), ("score", 2**63 - 1),
     ("url", "javascript:alert(1)"), ("url", "data:text/html,x"), ("url", "/posts/x")],
)
def test_a_record_out_of_range_or_with_an_unsafe_url_is_refused_and_named(
        app: Flask, field: str, value: Any) -> None:
    admin = token_for(app, "p-nadia")
    client = app.test_client()
    bad = {**GOOD, "id": "post-safe-2", field: value}
    response = client.post("/api/v1/records", json=[GOOD, bad], headers=bearer(admin))
    error = response.get_json()["error"]
    assert response.status_code == 400, error
    assert error["detail"]["field"] == "records[1]"
    assert f"'{field}'" in error["message"] and repr(value) in error["message"]
    assert search_ids(app, "vorpalique") == []  # nothing committed
    gone = client.delete("/api/v1/records/post-safe-2", headers=bearer(admin))
    assert gone.status_code == 404
    # the same request without the bad record goes through
    assert client.post("/api/v1/records", json=[GOOD], headers=bearer(admin)).status_code == 200
    assert search_ids(app, "vorpalique") == ["post-safe-1"]


def test_a_number_with_too_many_digits_is_a_400(shared_app: Flask) -> None:
    admin = token_for(shared_app, "p-nadia")
    body = '[{"type": "post", "id": "x", "author": null, "created": "2026-01-01", ' \
           f'"score": {"9" * 5000}}}]'
    for content_type in ("application/json", "application/x-ndjson"):
        payload = body if content_type == "application/json" else body[1:-1]
        response = shared_app.test_client().post("/api/v1/records", data=payload,
                                                 content_type=content_type,
                                                 headers=bearer(admin))
        assert response.status_code == 400, response.get_data(as_text=True)
        assert "too many digits" in response.get_json()["error"]["message"]


def test_expert_evidence_never_carries_a_script_link(app: Flask) -> None:
    # written past the checks (as a record stored before them would be)
    hostile = Post(id="post-safe-js", author="p-julien", created=WHEN, group="g-python",
                   kind="question", title="Question zorglubique", body="zorglubique zorglubique",
                   url="javascript:alert(document.cookie)")
    ingest_records(app.extensions["quisait"], [hostile])
    data = app.test_client().get("/api/v1/experts?q=zorglubique&mode=lexical",
                                 headers=bearer(token_for(app, "p-claire"))).get_json()
    evidence = [e for expert in data["experts"] for e in expert["evidence"]]
    assert [e["url"] for e in evidence if e["item_id"] == "post-safe-js"] == [
        "/posts/post-safe-js"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "vbscript:x", "data:text/html,x",
                                 "//evil.example/"])
def test_evidence_json_drops_an_unsafe_link(url: str) -> None:
    evidence = Evidence("p1", "T", "s", url, "author", WHEN, "g", 1.0)
    assert evidence_json(evidence)["url"] == "/posts/p1"
    for kept in ("https://rse.example/p1", "mailto:kb@valtorre.example", "/posts/p1"):
        assert evidence_json(Evidence("p1", "T", "s", kept, "author", WHEN, "g", 1.0))[
            "url"] == kept


IMAGES = {"type": "post", "id": "post-safe-img", "author": "p-julien",
          "created": "2026-02-01T10:00:00", "group": "g-python", "title": "Images",
          "body_format": "html",
          "body": '<p>Schéma <img src="https://img.example/arch.png?v=1&amp;s=2" alt="archi">'
                  '<img src="https://img.example/bare.png">'
                  '<img src="data:image/png;base64,iVBORw0KGgo=" alt="pixel">'
                  '<img src="/static/local.png" alt="relatif"><img src="javascript:x"></p>'}


def test_user_images_become_links_or_text(app: Flask) -> None:
    markdown = {**IMAGES, "id": "post-safe-md", "body_format": "markdown",
                "body": "Voir ![archi](https://img.example/arch.png) et "
                        "![pixel](data:image/png;base64,AA)"}
    admin = token_for(app, "p-nadia")
    response = app.test_client().post("/api/v1/records", json=[IMAGES, markdown],
                                      headers=bearer(admin))
    assert response.status_code == 200, response.get_json()
    rel = 'rel="noopener noreferrer nofollow"'
    html = app.test_client().get("/api/v1/posts/post-safe-img",
                                 headers=bearer(token_for(app, "p-julien"))).get_json()["body_html"]
    assert "<img" not in html and "data:" not in html and "javascript" not in html
    assert f'<a href="https://img.example/arch.png?v=1&amp;s=2" {rel}>archi</a>' in html
    assert (f'<a href="https://img.example/bare.png" {rel}>https://img.example/bare.png</a>'
            in html)
    assert "pixel" in html and "relatif" in html and "/static/local.png" not in html
    page = signed_in(app, "p-julien").get("/posts/post-safe-md").get_data(as_text=True)
    assert "<img" not in page and "data:image" not in page
    assert f'<a href="https://img.example/arch.png" {rel}>archi</a>' in page
