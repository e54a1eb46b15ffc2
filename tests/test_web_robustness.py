"""Threads and hostile input: no 500, no thread-crossing SQLite connection, readers see
writers' records."""

from __future__ import annotations

import re
import sqlite3
import threading
from typing import Any, cast
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web_fixtures import bearer, csrf_of, signed_in, token_for
from web.openapi import openapi_document

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


# -- boundaries: integers, nesting, click parameters and page forms (no 500, one shape) ----

BOUNDARY_INTEGERS = ["-1", "0", "1", str(2**31 - 1), str(2**31), str(2**63), str(10**30),
                     "1e9", "NaN", "", "0x10", "1.0", "٣"]
DEEP_JSON = ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000,
             '{"text": ' + "[" * 50_000 + "]" * 50_000 + "}"]
# what a path parameter stands for, and a body that passes for operations that need one
PATH_VALUES = {"item_id": "post-0170", "topic_id": "t-fuzz", "person_id": "p-julien",
               "record_id": "post-none"}
VALID_BODIES = {("/route", "post"): {"text": "notes de frais"}}


def assert_error_shape(response: Any, status: int | None = None) -> dict[str, Any]:
    """The one error shape of web/errors.py (and a 4xx, never a 500)."""
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data()[:300])
    error = response.get_json()["error"]
    assert set(error) == {"status", "code", "message", "detail",
        "request_id"}
    assert error["status"] == response.status_code == (status or response.status_code)
    return cast(dict[str, Any], error)


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) of every operation of the OpenAPI document."""
    document = openapi_document()
    return [(path, method, operation) for path, methods in document["paths"].items()
            for method, operation in methods.items()]


def _url(path: str, integer_path: dict[str, str] | None = None) -> str:
    for name, value in {**PATH_VALUES, **(integer_path or {})}.items():
        path = path.replace("{" + name + "}", value)
    return "/api/v1" + path


def _fill(operation: dict[str, Any], skip: str) -> dict[str, str]:
    """Valid values of the other required query parameters (the q of a search)."""
    return {p["name"]: "sap" for p in operation.get("parameters", [])
            if p["in"] == "query" and p["required"] and p["name"] != skip}


def _in_range(raw: str, schema: dict[str, Any]) -> bool:
    return bool(re.fullmatch(r"-?[0-9]+", raw)) and \
        schema.get("minimum", -(2**63)) <= int(raw) <= schema.get("maximum", 2**63)


@pytest.fixture
def admin_token(app: Any) -> str:
    # an admin is a KM lead too, and a connector may ingest: every operation is allowed
    return token_for(app, "p-nadia", roles=("connector",))


def test_boundary_integers_of_every_query_parameter(app, admin_token):
    client, checked = app.test_client(), 0
    for path, method, operation in operations():
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            if schema.get("type") != "integer" or parameter["in"] != "query":
                continue
            for raw in BOUNDARY_INTEGERS:
                query = {**_fill(operation, parameter["name"]), parameter["name"]: raw}
                response = client.open(_url(path), method=method, query_string=query,
                                       json=VALID_BODIES.get((path, method)),
                                       headers=bearer(admin_token))
                checked += 1
                if raw and not _in_range(raw, schema):
                    error = assert_error_shape(response, 400)
                    assert error["detail"]["field"] == parameter["name"], (path, raw)
                else:
                    assert response.status_code < 400, (path, raw, response.get_json())
    assert checked >= 8 * len(BOUNDARY_INTEGERS)


def test_boundary_integers_of_every_path_parameter(app, admin_token):
    client = app.test_client()
    for path, method, operation in operations():
        for parameter in operation.get("parameters", []):
            if parameter["schema"].get("type") != "integer" or parameter["in"] != "path":
                continue
            for raw in BOUNDARY_INTEGERS[:-4]:
                url = _url(path, {parameter["name"]: raw})
                response = client.open(url, method=method, headers=bearer(admin_token))
                if response.status_code >= 400:  # no such row (or route): a 404
                    assert_error_shape(response, 404)


def test_json_nested_too_deeply_is_a_400_on_every_route(app, admin_token):
    client, routes = app.test_client(), 0
    generation = client.get("/readyz", headers=bearer(admin_token)).get_json()["items"]
    for path, method, operation in operations():
        if "application/json" not in operation.get("requestBody", {}).get("content", {}):
            continue
        routes += 1
        for body in DEEP_JSON:
            response = client.open(_url(path), method=method, data=body,
                                   content_type="application/json",
                                   headers=bearer(admin_token))
            error = assert_error_shape(response, 400)
            assert error["detail"]["field"] == "body", (path, error)
    assert routes >= 6
    # nothing was written: no audit row of a change, the same items
    audit = client.get("/api/v1/admin/audit", headers=bearer(admin_token)).get_json()
    assert {row["action"] for row in audit["entries"]} <= {"token.create"}
    assert client.get("/readyz", headers=bearer(admin_token)).get_json()["items"] == generation


def _clicks(app: Any) -> int:
    db = sqlite3.connect(app.config["QUISAIT_SETTINGS"].data_dir / "querylog.sqlite")
    try:
        return int(db.execute("SELECT count(*) FROM clicks").fetchone()[0])
    finally:
        db.close()


@pytest.mark.parametrize("query", [
    "s=-1&r=1", "s=1&r=-1", "s=-1&r=-1", f"s={2**63}&r=1", f"s=1&r={2**63}",
    f"s={10**30}&r=1", "s=1&r=100000", "s=1e9&r=1", "s=NaN&r=1", "s=1&r=NaN", "s=0x1&r=1"])
def test_click_parameters_out_of_range_are_a_400_that_records_nothing(app, query):
    client = signed_in(app, "p-julien")
    search_id = client.application.extensions["quisait"].searchers.get().scope(
        "p-julien").record_search("sap", [], "hybrid")
    before = _clicks(app)
    response = client.get(f"/posts/post-0170?{query.replace('s=1&', f's={search_id}&')}")
    assert response.status_code == 400
    assert "(400 invalid_parameter)" in response.get_data(as_text=True)
    assert _clicks(app) == before
    assert client.get(f"/posts/post-0170?s={search_id}&r=1").status_code == 200
    assert _clicks(app) == before + 1  # a genuine click is still recorded


FORM_FIELDS = ["person", "next", "lang", "q", "item_id", "mode", "id", "name_fr", "name_en",
               "description", "synonyms", "tags", "queries", "expressions", "expert"]
ODD_VALUES = st.sampled_from(["", " ", "\x00", "-1", str(10**30), "x" * 3000, "//evil.example",
                              "/\t/evil", "a\r\nb", "p-nadia", "p-bernard", "post-0170",
                              "t-fuzz", "official", "fr", "hybrid", "é", "{}", "[", "a,b"])


def page_forms(app: Any) -> list[str]:
    """The URL of every form a page posts to (path parameters filled in)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or ()) and not rule.rule.startswith("/api/"):
            url = rule.rule.replace("<path:topic_id>", "t-fuzz")
            urls.append(re.sub(r"<int[^>]*>", "1", url))
    return sorted(urls)


def _topic(app: Any) -> bool:
    """The topic the forms of topic pages act on, created once per app."""
    response = app.test_client().post("/api/v1/topics", headers=bearer(token_for(
        app, "p-nadia")), json={"id": "t-fuzz", "name_fr": "Fuzz", "name_en": "Fuzz"})
    assert response.status_code == 201, response.get_json()
    return True


@settings(max_examples=120, deadline=None, suppress_health_check=FIXTURES)
@given(data=st.data(), fields=st.dictionaries(st.sampled_from(FORM_FIELDS), ODD_VALUES),
       with_csrf=st.sampled_from([True, True, True, False]))
def test_page_forms_never_fail_on_odd_fields(app, data, fields, with_csrf):
    if "FUZZ_TOPIC" not in app.config:
        app.config["FUZZ_TOPIC"] = _topic(app)
    url = data.draw(st.sampled_from(page_forms(app)))
    client = signed_in(app, "p-nadia")
    csrf = csrf_of(client.get("/search").get_data(as_text=True))
    response = client.post(url, data={**fields, **({"csrf_token": csrf} if with_csrf else {})})
    page = response.get_data(as_text=True)
    assert response.status_code != 500 and response.status_code < 500, (url, fields, page)
    if response.status_code >= 400:
        assert f"({response.status_code} " in page, (url, fields)
    elif response.status_code in (301, 302, 303):  # on this site (percent-encoded ids ok)
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//"), (url, fields)
        assert not re.search(r"[\\\s\x00-\x1f\x7f]", location), (url, fields)
