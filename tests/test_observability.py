"""What an operator sees: request ids (accepted, made, returned, in error bodies and log
lines), one access line per request with no query, token or person in it, JSON logs,
and ``/metrics`` (admins; the loopback scraper only when allowed) with request,
latency, search, zero-result and 429 figures and the data folder's state."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from flask import Flask, g

from tests.web_fixtures import bearer, copy_settings, signed_in, token_for
from web import create_app
from web.observability import JsonFormatter, RequestIdFilter


def test_request_ids_are_accepted_made_and_returned(shared_app: Flask) -> None:
    client = shared_app.test_client()
    mine = client.get("/healthz", headers={"X-Request-ID": "trace-42.a_b"})
    assert mine.headers["X-Request-ID"] == "trace-42.a_b"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id;<script>" + "x" * 80})
    assert len(made.headers["X-Request-ID"]) == 16  # not a plain token: one is made
    assert "<" not in made.headers["X-Request-ID"]
    error = client.get("/api/v1/search?q=x", headers={"X-Request-ID": "req-7"})
    assert error.status_code == 401 and error.get_json()["error"]["request_id"] == "req-7"
    assert client.get("/api/v1/search?q=x").get_json()["error"]["request_id"]


def test_one_access_line_per_request_without_query_token_or_person(shared_app: Flask,
                                                                   caplog) -> None:
    token = token_for(shared_app, "p-julien")
    caplog.set_level(logging.INFO, logger="quisait.access")
    shared_app.test_client().get("/api/v1/search?q=zorbaflux+secret&mode=lexical",
                                 headers={**bearer(token), "X-Request-ID": "r-1"})
    lines = [r for r in caplog.records if r.name == "quisait.access"]
    assert len(lines) == 1
    text = lines[0].getMessage()
    assert "route=/api/v1/search" in text and "status=200" in text and "method=GET" in text
    assert "zorbaflux" not in text and token not in text and "p-julien" not in text
    # what every log line gets: the request id (text format and JSON)
    assert "request_id=r-1" in text
    record = lines[0]
    with shared_app.test_request_context():
        g.request_id = "r-2"  # any line logged while a request runs carries its id
        RequestIdFilter().filter(record)
    assert record.request_id == "r-2"
    data = json.loads(JsonFormatter().format(record))
    assert data["logger"] == "quisait.access" and data["request_id"] == "r-1"  # its own
    assert data["status"] == 200 and data["route"] == "/api/v1/search"


def test_queries_in_the_access_log_only_when_the_setting_says(sample_index: Path,
                                                              tmp_path: Path, caplog) -> None:
    app = create_app(copy_settings(sample_index, tmp_path / "data", access_log_queries=True))
    caplog.set_level(logging.INFO, logger="quisait.access")
    app.test_client().get("/api/v1/search?q=notes+de+frais&mode=lexical",
                          headers=bearer(token_for(app, "p-julien")))
    [line] = [r.getMessage() for r in caplog.records if r.name == "quisait.access"]
    assert "q=notes de frais" in line


def _metrics(app: Flask, **headers: str) -> tuple[int, str]:
    answer = app.test_client().get("/metrics", headers=headers)
    return answer.status_code, answer.get_data(as_text=True)


def test_metrics_count_requests_searches_zero_results_and_the_folder(app: Flask) -> None:
    client = signed_in(app, "p-julien")
    client.get("/search?q=notes+de+frais&mode=lexical")
    client.get("/search?q=zzqxwvplk&mode=lexical")
    api = bearer(token_for(app, "p-julien"))
    app.test_client().get("/api/v1/search?q=sap&mode=hybrid", headers=api)
    status, text = _metrics(app, **bearer(token_for(app, "p-nadia")))  # an admin
    assert status == 200
    assert 'quisait_requests_total{method="GET",route="/search",status="200"} 2.0' in text
    assert 'quisait_searches_total{mode="lexical"} 2.0' in text
    assert 'quisait_searches_total{mode="hybrid"} 1.0' in text
    assert 'quisait_zero_result_searches_total{mode="lexical"} 1.0' in text
    assert 'quisait_search_seconds_bucket{le="0.5",mode="lexical"}' in text
    assert "quisait_index_generation " in text and 'quisait_items{type="post"}' in text
    assert "quisait_last_ingest_age_seconds " in text
    # counts only: no query, no person
    assert "notes de frais" not in text and "p-julien" not in text


def test_metrics_are_for_admins_and_the_loopback_scraper_when_allowed(
        sample_index: Path, tmp_path: Path) -> None:
    closed = create_app(copy_settings(sample_index, tmp_path / "closed"))
    assert _metrics(closed)[0] == 403
    assert _metrics(closed, **bearer(token_for(closed, "p-claire")))[0] == 403  # a KM lead
    assert _metrics(closed, **bearer(token_for(closed, "p-nadia")))[0] == 200
    opened = create_app(copy_settings(sample_index, tmp_path / "open", metrics_loopback=True))
    assert _metrics(opened)[0] == 200  # the test client comes from 127.0.0.1
    # through a proxy the scraper is not the loopback any more
    assert _metrics(opened, **{"X-Forwarded-For": "203.0.113.9"})[0] == 403


def test_429s_are_counted(sample_index: Path, tmp_path: Path) -> None:
    app = create_app(copy_settings(sample_index, tmp_path / "data", demo_login=True,
                                   signin_rate=1))
    for _ in range(3):
        app.test_client().post("/signin", data={"person": "p-julien"})
    _, text = _metrics(app, **bearer(token_for(app, "p-nadia")))
    assert 'quisait_rate_limited_total{route="/signin"} 2.0' in text
