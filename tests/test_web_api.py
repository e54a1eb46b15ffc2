"""The JSON API: search, posts, similar, the error shape, limits, roles and OpenAPI."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.web_fixtures import ROLES, bearer, signed_in, token_for
from web.openapi import openapi_document


@pytest.fixture(scope="module")
def tokens(shared_app: Flask) -> dict[str, str]:
    return {role: token_for(shared_app, person) for role, person in ROLES.items()}


def get(app: Flask, url: str, token: str | None = None, **kwargs):  # type: ignore[no-untyped-def]
    return app.test_client().get(url, headers=bearer(token) if token else {}, **kwargs)


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    body = response.get_json()
    assert response.status_code == status, body
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "detail",
        "request_id"}
    assert body["error"]["status"] == status and body["error"]["code"] == code
    assert body["error"]["message"]
    if field is not None:
        assert body["error"]["detail"]["field"] == field
    return body["error"]  # type: ignore[no-any-return]


def test_search_returns_hits_facets_and_highlights(shared_app, tokens):
    body = get(shared_app, "/api/v1/search?q=notes+de+frais&mode=lexical", tokens["employee"])
    data = body.get_json()
    assert body.status_code == 200
    assert data["hits"] and data["hits"][0]["group"]["id"] == "g-finance"
    hit = data["hits"][0]
    assert all(hit["snippet"][s:e].lower().startswith(("not", "de", "frais"))
               for s, e in hit["highlights"])
    assert data["facets"]["group"][0]["value"] == "g-finance"
    assert "explanation" not in hit
    explained = get(shared_app, "/api/v1/search?q=frais&explain=true", tokens["employee"])
    assert "explanation" in explained.get_json()["hits"][0]


def test_search_pages_do_not_overlap(shared_app, tokens):
    url = "/api/v1/search?q=frais&mode=lexical&limit=3"
    first = get(shared_app, url, tokens["employee"]).get_json()
    second = get(shared_app, url + "&page=2", tokens["employee"]).get_json()
    both = get(shared_app, "/api/v1/search?q=frais&mode=lexical&limit=6",
               tokens["employee"]).get_json()
    ids = [h["id"] for h in first["hits"] + second["hits"]]
    assert ids == [h["id"] for h in both["hits"]] and len(set(ids)) == 6


def test_did_you_mean(shared_app, tokens):
    data = get(shared_app, "/api/v1/search?q=kubernetxx&mode=lexical",  # two letters off
               tokens["employee"]).get_json()
    assert data["did_you_mean"] == "kubernetes" and data["also_searched"] == {}


def test_a_typo_one_letter_off_is_searched_for_what_was_meant(shared_app, tokens):
    data = get(shared_app, "/api/v1/search?q=kubernetse&mode=lexical",  # two letters swapped
               tokens["employee"]).get_json()
    assert data["also_searched"] == {"kubernetse": "kubernetes"}
    assert data["hits"] and data["did_you_mean"] is None


@pytest.mark.parametrize(("query", "status", "code", "field"), [
    ("", 400, "invalid_parameter", "q"),
    ("q=frais&limit=0", 400, "invalid_parameter", "limit"),
    ("q=frais&limit=51", 400, "invalid_parameter", "limit"),
    ("q=frais&limit=abc", 400, "invalid_parameter", "limit"),
    ("q=frais&page=21", 400, "invalid_parameter", "page"),
    ("q=frais&mode=magic", 400, "invalid_parameter", "mode"),
    ("q=frais&explain=perhaps", 400, "invalid_parameter", "explain"),
    ("q=" + "a" * 1001, 400, "invalid_parameter", "q"),
])
def test_validation_errors_name_the_field(shared_app, tokens, query, status, code, field):
    response = get(shared_app, f"/api/v1/search?{query}", tokens["employee"])
    assert_error(response, status, code, field)


def test_query_syntax_error_points_at_the_culprit(shared_app, tokens):
    response = get(shared_app, '/api/v1/search?q=notes+de+"frais', tokens["employee"])
    error = assert_error(response, 400, "query_syntax", "q")
    assert error["detail"]["position"] == 9


def test_http_errors_share_the_shape(shared_app, tokens):
    client = shared_app.test_client()
    assert_error(get(shared_app, "/api/v1/nowhere", tokens["employee"]), 404, "not_found")
    response = client.post("/api/v1/search", headers=bearer(tokens["employee"]))
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
    assert_error(get(shared_app, "/api/v1/search?q=x"), 401, "unauthenticated")
    assert_error(get(shared_app, "/api/v1/search?q=x", "qs_nothing_here"), 401,
                 "unauthenticated")
    big = b"[" + b" " * (shared_app.config["MAX_CONTENT_LENGTH"] + 10) + b"]"
    response = client.post("/api/v1/records", data=big, content_type="application/json",
                           headers=bearer(tokens["admin"]))
    assert_error(response, 413, "request_entity_too_large")


def test_posts_and_similar(shared_app, tokens):
    post = get(shared_app, "/api/v1/posts/post-0170", tokens["employee"]).get_json()
    assert post["group"]["id"] == "g-finance" and post["replies"]
    assert "<script" not in post["body_html"]
    similar = get(shared_app, "/api/v1/posts/post-0170/similar", tokens["employee"]).get_json()
    assert similar["hits"] and all(h["id"] != "post-0170" for h in similar["hits"])
    assert_error(get(shared_app, "/api/v1/posts/no-such-post", tokens["employee"]), 404,
                 "not_found")
    assert_error(get(shared_app, "/api/v1/posts/no-such-post/similar", tokens["employee"]),
                 404, "not_found")


ROUTES_BY_ROLE = [
    # (method, url, roles allowed)
    ("GET", "/api/v1/search?q=frais", {"guest", "employee", "km_lead", "admin"}),
    ("GET", "/api/v1/me", {"guest", "employee", "km_lead", "admin"}),
    ("GET", "/api/v1/pins", {"km_lead", "admin"}),
    ("GET", "/api/v1/synonyms", {"km_lead", "admin"}),
    ("GET", "/api/v1/marks", {"km_lead", "admin"}),
    ("POST", "/api/v1/pins", {"km_lead", "admin"}),
    ("POST", "/api/v1/records", {"admin"}),
    ("DELETE", "/api/v1/records/no-such-record", {"admin"}),
]


@pytest.mark.parametrize(("method", "url", "allowed"), ROUTES_BY_ROLE)
def test_every_route_by_role(shared_app, tokens, method, url, allowed):
    client = shared_app.test_client()
    assert_error(client.open(url, method=method), 401, "unauthenticated")
    for role in ROLES:
        # an empty body: allowed roles get past the role check to a 400 or 404
        response = client.open(url, method=method, headers=bearer(tokens[role]), json={})
        if role in allowed:
            assert response.status_code in (200, 400, 404), (role, response.get_json())
        else:
            assert_error(response, 403, "forbidden")


def test_roles_of_each_person(shared_app, tokens):
    roles = {role: set(get(shared_app, "/api/v1/me", tokens[role]).get_json()["roles"])
             for role in ROLES}
    assert roles == {"guest": {"guest"}, "employee": {"employee"},
                     "km_lead": {"employee", "km_lead"},
                     "admin": {"employee", "admin", "km_lead"}}


def test_security_headers_on_api_and_pages(shared_app, tokens):
    for response in (get(shared_app, "/api/v1/search?q=frais", tokens["employee"]),
                     get(shared_app, "/signin"), get(shared_app, "/api/v1/nowhere")):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src" not in csp and "default-src 'none'" in csp  # so no script at all
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_health_and_readiness(shared_app):
    client = shared_app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_readiness_counts_items_for_admins_only(shared_app):
    """The item count includes secret groups' content: anonymous callers, bad tokens and
    people other than admins learn only whether the service is ready."""
    client = shared_app.test_client()
    for person in ("p-ian", "p-julien", "p-claire"):
        token = token_for(shared_app, person)
        assert "items" not in client.get("/readyz", headers=bearer(token)).get_json()
        assert "items" not in signed_in(shared_app, person).get("/readyz").get_json()
    bad = client.get("/readyz", headers=bearer("qs_nope_nope"))
    assert bad.status_code == 200 and bad.get_json() == {"status": "ready"}
    admin = client.get("/readyz", headers=bearer(token_for(shared_app, "p-nadia"))).get_json()
    assert admin["status"] == "ready" and admin["items"] > 400
    assert signed_in(shared_app, "p-nadia").get("/readyz").get_json()["items"] > 400


def test_not_ready_without_an_index(tmp_path):
    from core.settings import Settings
    from web import create_app

    app = create_app(Settings(data_dir=tmp_path / "empty"))
    assert_error(app.test_client().get("/readyz"), 503, "not_ready")


def test_openapi_describes_exactly_the_api_routes(shared_app):
    document = shared_app.test_client().get("/api/v1/openapi.json").get_json()
    assert document == openapi_document() and document["openapi"].startswith("3.")
    described = {(path, method.upper()) for path, ops in document["paths"].items()
                 for method in ops}
    served = set()
    for rule in shared_app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = rule.rule.removeprefix("/api/v1")
            for name in rule.arguments:
                path = path.replace(f"<path:{name}>", f"{{{name}}}")
                path = re.sub(rf"<int[^:]*:{name}>", f"{{{name}}}", path)
            served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert described == served


def test_facet_counts_include_the_hits_only_the_semantic_side_found(shared_app):
    """The counts add up to what the page shows: a semantic neighbour that matches no
    query word is counted in its group, type, language... like the lexical matches."""
    from tests.web_fixtures import bearer, token_for

    headers = bearer(token_for(shared_app, "p-julien"))
    for query in ("remboursement des frais kilométriques", "zzqx pipeline runners"):
        answer = shared_app.test_client().get(
            f"/api/v1/search?q={query}&mode=semantic&limit=50", headers=headers).get_json()
        hits, facets = answer["hits"], answer["facets"]
        assert hits, query
        types = sum(value["count"] for value in facets["type"])
        assert types >= len(hits), query
        groups = {value["value"] for value in facets["group"]}
        assert {hit["group"]["id"] for hit in hits} <= groups, query


def test_group_kinds_are_a_facet_and_a_filter(shared_app):
    from tests.web_fixtures import bearer, token_for

    headers = bearer(token_for(shared_app, "p-julien"))

    def search(q: str) -> dict:
        return shared_app.test_client().get(f"/api/v1/search?q={q}&mode=lexical&limit=50",
                                            headers=headers).get_json()

    found = search("sap")
    kinds = {value["value"]: value["count"] for value in found["facets"]["kind"]}
    groups = {value["value"]: value["count"] for value in found["facets"]["group"]}
    assert kinds and sum(kinds.values()) <= sum(groups.values())
    function = search("sap kind:function")
    assert function["hits"] and all(hit["group"]["id"] in ("g-finance", "g-rh", "g-qhse")
                                    for hit in function["hits"])
    assert {v["value"] for v in function["facets"]["kind"]} == {"function"}
    assert shared_app.test_client().get("/api/v1/search?q=sap+kind:planet",
                                        headers=headers).status_code == 400
    page = signed_in(shared_app, "p-julien").get("/search?q=sap&mode=lexical")
    assert "kind%3Afunction" in page.get_data(as_text=True) or "kind:function" in \
        page.get_data(as_text=True)
