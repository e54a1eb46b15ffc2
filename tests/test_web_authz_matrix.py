"""Every route of the app × every role: anonymous refused on everything but the public
routes, KM-only and admin-only routes refused to everyone below.  The expectations come
from the table below: a new route without a line in it fails the test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web_fixtures import bearer, copy_settings, csrf_of, signed_in, token_for
from web import create_app

PUBLIC, USER, KM, ADMIN = 0, 1, 2, 3
# the least role each route needs (ingestion: admin, or a connector token)
MIN_ROLE = {
    "GET /": PUBLIC, "GET /healthz": PUBLIC, "GET /readyz": PUBLIC,
    "GET /signin": PUBLIC, "POST /signin": PUBLIC, "POST /signout": PUBLIC,
    "POST /lang": PUBLIC, "GET /static/<path:filename>": PUBLIC,
    "GET /api/v1/openapi.json": PUBLIC,
    "GET /unsubscribe": PUBLIC, "POST /unsubscribe": PUBLIC,  # the signed token decides
    "GET /confirm-email": PUBLIC, "POST /confirm-email": PUBLIC,
    "GET /api/v1/search": USER, "GET /api/v1/experts": USER, "GET /api/v1/me": USER,
    "GET /api/v1/people/<path:person_id>": USER, "GET /api/v1/posts/<path:item_id>": USER,
    "GET /api/v1/posts/<path:item_id>/similar": USER, "POST /api/v1/route": USER,
    "GET /api/v1/topics": USER, "GET /api/v1/topics/<path:topic_id>": USER,
    "GET /api/v1/follows": USER, "POST /api/v1/follows": USER,
    "PATCH /api/v1/follows/<path:follow_id>": USER,
    "DELETE /api/v1/follows/<path:follow_id>": USER,
    "GET /api/v1/me/notifications": USER, "PUT /api/v1/me/notifications": USER,
    "GET /api/v1/km/unanswered": KM, "GET /api/v1/marks": KM,
    "PUT /api/v1/marks/<path:item_id>": USER,  # authors and owners: theirs
    "GET /api/v1/pins": KM, "POST /api/v1/pins": KM,
    "DELETE /api/v1/pins/<int(max=2147483647):pin_id>": KM,
    "GET /api/v1/synonyms": KM, "POST /api/v1/synonyms": KM,
    "DELETE /api/v1/synonyms/<int(max=2147483647):set_id>": KM,
    "POST /api/v1/topics": KM, "PUT /api/v1/topics/<path:topic_id>": KM,
    "DELETE /api/v1/topics/<path:topic_id>": KM,
    "POST /api/v1/records": ADMIN, "DELETE /api/v1/records/<path:record_id>": ADMIN,
    "GET /api/v1/admin/audit": ADMIN,
    "GET /api/v1/admin/operations": ADMIN, "GET /metrics": ADMIN,
    "POST /api/v1/admin/outbox/<path:message_id>/requeue": ADMIN,
    "GET /admin/operations": ADMIN, "POST /admin/outbox/<path:message_id>/requeue": ADMIN,
    "GET /search": USER, "GET /ask": USER, "POST /introductions": USER,
    "GET /people": USER, "GET /api/v1/people": USER,
    "POST /me/profile/skills": USER, "POST /me/profile/topics": USER,
    "POST /me/profile/ranking": USER, "GET /api/v1/me/profile": USER,
    "POST /api/v1/me/profile/skills": USER, "POST /api/v1/me/profile/topics": USER,
    "PUT /api/v1/me/profile/ranking": USER, "GET /api/v1/profiles": ADMIN,
    "GET /people/<path:person_id>": USER, "GET /posts/<path:item_id>": USER,
    "GET /topics": USER, "GET /topics/<path:topic_id>": USER,
    "POST /follows": USER, "GET /me/follows": USER,
    "POST /me/follows/<path:follow_id>": USER, "POST /me/notifications": USER,
    "POST /posts/<path:item_id>/mark": USER, "GET /reviews": USER,
    "GET /api/v1/reviews": USER,
    "POST /api/v1/feedback": USER, "GET /api/v1/feedback/summary": KM,
    "POST /feedback": USER, "GET /km/feedback.csv": KM,
    "GET /km": KM, "GET /km/indicators/<table>.csv": KM, "GET /api/v1/km/indicators": KM,
    "POST /pins": KM, "POST /topics": KM,
    "POST /topics/<path:topic_id>/delete": KM, "POST /topics/<path:topic_id>/edit": KM,
    "POST /topics/<path:topic_id>/pins": KM, "POST /topics/<path:topic_id>/synonyms": KM,
    "POST /topics/<path:topic_id>/synonyms/<int(max=2147483647):set_id>/delete": KM,
    "POST /topics/<path:topic_id>/unpin/<int(max=2147483647):pin_id>": KM,
}
# role -> (person, rank); the group members hold no role beyond employee
ROLES = {"anonymous": (None, PUBLIC), "guest": ("p-ian", USER),
         "employee": ("p-julien", USER), "private member": ("p-isabelle", USER),
         "secret member": ("p-helene", USER), "km_lead": ("p-claire", KM),
         "admin": ("p-nadia", ADMIN)}


@pytest.fixture(scope="module")
def matrix_app(sample_index: Path,
               tmp_path_factory: pytest.TempPathFactory) -> Flask:
    settings = copy_settings(sample_index, tmp_path_factory.mktemp("matrix") / "data",
                             demo_login=True)
    app = create_app(settings)
    app.config["TESTING"] = True
    return app


def routes(app: Flask) -> Iterator[tuple[str, str, str]]:
    """(key of MIN_ROLE, method, a URL with harmless arguments: ids that do not exist)."""
    for rule in app.url_map.iter_rules():
        url = re.sub(r"<int[^>]*>", "1", rule.rule)
        url = url.replace("<path:filename>", "quisait.css")
        url = re.sub(r"<path:\w+>", "nope-0001", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield f"{method} {rule.rule}", method, url


def clients(app: Flask, role: str) -> tuple[FlaskClient, dict[str, str], str]:
    """A page client, API headers and a CSRF token for ``role``."""
    person = ROLES[role][0]
    if person is None:
        return app.test_client(), {}, ""
    client = signed_in(app, person)
    csrf = csrf_of(client.get("/search").get_data(as_text=True))
    return client, bearer(token_for(app, person)), csrf


def test_every_route_has_a_minimum_role(matrix_app):
    keys = {key for key, _, _ in routes(matrix_app)}
    assert keys - MIN_ROLE.keys() == set(), "routes without a line in MIN_ROLE"
    assert MIN_ROLE.keys() - keys == set(), "lines of MIN_ROLE without a route"


def refused(url: str, status: int, location: str) -> bool:
    if url.startswith("/api/"):
        return status in (401, 403)
    return status == 403 or (status == 302 and location.startswith("/signin"))


@pytest.mark.parametrize("role", list(ROLES))
def test_authorisation_matrix(matrix_app, role):
    client, headers, csrf = clients(matrix_app, role)
    rank = ROLES[role][1]
    wrong = []
    # signing out last, or the routes after it would see an anonymous client
    for key, method, url in sorted(routes(matrix_app), key=lambda r: r[0] == "POST /signout"):
        is_api = url.startswith("/api/")
        response = client.open(url, method=method, headers=headers if is_api else {},
                               data=None if is_api or method == "GET" else {"csrf_token": csrf})
        status, location = response.status_code, response.headers.get("Location", "")
        assert status < 500, (role, key, status)
        need = MIN_ROLE[key]
        if need > rank:
            expected = "refused"
            if is_api:  # 401 for no token, 403 for a role too low
                ok = status == (401 if rank == PUBLIC else 403)
            else:
                ok = refused(url, status, location)
        elif need == PUBLIC:  # (signed out, a form post has no CSRF token to send)
            expected = "public"
            ok = status not in (401, 403) or (rank == PUBLIC and method == "POST")
        else:
            expected = "allowed"
            ok = not refused(url, status, location)
        if not ok:
            wrong.append((key, expected, status))
    assert wrong == [], f"{role}: {wrong}"
