"""Threads and hostile input: no 500, no thread-crossing SQLite connection, readers see
writers' records."""

from __future__ import annotations

import threading
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web_fixtures import bearer, token_for

PARAMETER_VALUES = st.one_of(st.text(max_size=30), st.integers().map(str),
                             st.sampled_from(["", "0", "-1", "1e9", "true", "hybrid", "%", "\x00"]))
FIXTURES = [HealthCheck.function_scoped_fixture]


def test_concurrent_searches_while_ingesting(app):
    """Worker threads each get their own searcher and see a record once it is acknowledged."""
    reader, admin = token_for(app, "p-julien"), token_for(app, "p-nadia")
    failures: list[str] = []
    acknowledged = threading.Event()

    def search() -> None:
        client = app.test_client()
        for _ in range(8):
            seen = acknowledged.is_set()
            response = client.get("/api/v1/search?q=tartempion&mode=lexical",
                                  headers=bearer(reader))
            if response.status_code != 200:
                failures.append(response.get_data(as_text=True))
            elif seen and not response.get_json()["hits"]:
                failures.append("an acknowledged record was not found")

    threads = [threading.Thread(target=search) for _ in range(4)]
    for thread in threads:
        thread.start()
    response = app.test_client().post("/api/v1/records", headers=bearer(admin), json=[
        {"type": "post", "id": "post-web-t", "author": "p-julien", "group": "g-python",
         "created": "2026-02-01T10:00:00", "title": "tartempion", "body": "tartempion"}])
    assert response.status_code == 200
    acknowledged.set()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(q=st.text(max_size=60), mode=PARAMETER_VALUES, page=PARAMETER_VALUES,
       limit=PARAMETER_VALUES, explain=PARAMETER_VALUES)
def test_search_never_fails_on_any_input(shared_app, q, mode, page, limit, explain):
    token = shared_app.config.setdefault("FUZZ_TOKEN", token_for(shared_app, "p-julien"))
    query = "&".join(f"{name}={quote(value)}" for name, value in
                     [("q", q), ("mode", mode), ("page", page), ("limit", limit),
                      ("explain", explain)])
    response = shared_app.test_client().get(f"/api/v1/search?{query}", headers=bearer(token))
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    if response.status_code == 400:
        assert response.get_json()["error"]["detail"]["field"] in (
            "q", "mode", "page", "limit", "explain")


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(body=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)),
       content_type=st.sampled_from(["application/json", "application/x-ndjson", "text/plain"]))
def test_ingestion_never_fails_on_garbage(shared_app, body, content_type):
    token = shared_app.config.setdefault("FUZZ_ADMIN", token_for(shared_app, "p-nadia"))
    response = shared_app.test_client().post("/api/v1/records", data=body,
                                             content_type=content_type, headers=bearer(token))
    assert response.status_code in (200, 400), response.get_data(as_text=True)
