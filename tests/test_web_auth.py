"""Tokens (hash only, constant-time check, expiry, revocation), sessions, the trusted header,
CSRF, and that nothing but the public routes answers an anonymous request."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from tests.web_fixtures import bearer, copy_settings, csrf_of, signed_in
from web import TokenStore, create_app

PUBLIC = {"/healthz", "/readyz", "/signin", "/api/v1/openapi.json", "/static/<path:filename>",
          "/", "/lang", "/signout",
          "/unsubscribe", "/confirm-email"}  # the signed token is the authority
# (tests/test_web_follows.py)


def test_only_the_hash_is_stored(tmp_path):
    store = TokenStore.open(tmp_path)
    token, info = store.create("p-claire")
    secret = token.split("_", 2)[2]
    rows = sqlite3.connect(tmp_path / "web.sqlite").execute("SELECT * FROM tokens").fetchall()
    dump = repr(rows)
    assert secret not in dump and token not in dump
    assert hashlib.sha256(secret.encode()).hexdigest() in dump
    assert store.verify(token) == info
    assert store.verify(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert store.verify(f"qs_{info.id}_") is None and store.verify("") is None


def test_expiry_and_revocation(tmp_path):
    store = TokenStore.open(tmp_path)
    token, info = store.create("p-claire", expires_days=1)
    assert store.verify(token) is not None
    assert store.verify(token, now=datetime.now(UTC) + timedelta(days=2)) is None
    assert store.revoke(info.id) and not store.revoke(info.id)
    assert store.verify(token) is None
    with pytest.raises(ValueError):
        store.create("p-claire", expires_days=0)


def test_revoked_token_is_refused_by_the_api(app):
    store = app.extensions["quisait"].tokens
    token, info = store.create("p-claire")
    client = app.test_client()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    store.revoke(info.id)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_token_of_departed_person_is_refused(app):
    token, _ = app.extensions["quisait"].tokens.create("p-bernard")  # departed
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_token_commands(sample_index, tmp_path):
    from quisait.cli import cli

    settings = copy_settings(sample_index, tmp_path / "data")
    runner = CliRunner()
    base = ["--data-dir", str(settings.data_dir), "token"]
    created = runner.invoke(cli, [*base, "create", "p-claire", "--expires", "30"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[0]
    store = TokenStore.open(settings.data_dir)
    info = store.verify(token)
    assert info is not None and info.person == "p-claire" and info.expires is not None
    listing = runner.invoke(cli, [*base, "list"])
    assert info.id in listing.output and token not in listing.output
    assert runner.invoke(cli, [*base, "revoke", info.id]).exit_code == 0
    assert store.verify(token) is None
    assert runner.invoke(cli, [*base, "revoke", info.id]).exit_code == 1
    assert runner.invoke(cli, [*base, "create", "p-nobody"]).exit_code == 1
    connector = runner.invoke(cli, [*base, "create", "p-nadia", "--connector"])
    assert store.verify(connector.stdout.strip().splitlines()[0]).roles == ("connector",)


def test_every_non_public_route_refuses_anonymous(shared_app):
    client = shared_app.test_client()
    checked = 0
    for rule in shared_app.url_map.iter_rules():
        if rule.rule in PUBLIC:
            continue
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<int[^:]*:{name}>", "1", url.replace(f"<path:{name}>", "post-0001"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            if url.startswith("/api/"):
                assert response.status_code == 401, (method, url)
                assert response.get_json()["error"]["code"] == "unauthenticated"
            else:
                # pages: forms without a session fail CSRF first; views redirect to sign-in
                assert response.status_code in (302, 403), (method, url)
                if response.status_code == 302:
                    assert response.headers["Location"].startswith("/signin")
            checked += 1
    assert checked >= 10


def test_session_cookie_flags_and_sign_in(shared_app):
    client = shared_app.test_client()
    page = client.get("/signin").get_data(as_text=True)
    assert "p-claire" in page and "p-bernard" not in page  # departed people cannot sign in
    response = client.post("/signin", data={"person": "p-claire", "csrf_token": csrf_of(page),
                                            "next": "//evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == "/search"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/search").status_code == 200


def test_csrf_rejects_a_form_without_its_token(shared_app):
    client = shared_app.test_client()
    client.get("/signin")
    for data in ({"person": "p-claire"}, {"person": "p-claire", "csrf_token": "forged"}):
        response = client.post("/signin", data=data)
        assert response.status_code == 403
        assert client.get("/search").status_code == 302  # still signed out
    signed = signed_in(shared_app, "p-claire")
    assert signed.post("/signout").status_code == 403  # no token: still signed in
    assert signed.get("/search").status_code == 200


def test_demo_sign_in_is_off_by_default(sample_index, tmp_path):
    client = create_app(copy_settings(sample_index, tmp_path / "data")).test_client()
    page = client.get("/signin").get_data(as_text=True)
    assert "p-claire" not in page
    response = client.post("/signin", data={"person": "p-claire", "csrf_token": csrf_of(page)})
    assert response.status_code == 404
    assert client.get("/search").status_code == 302


def test_trusted_header(sample_index, tmp_path):
    client = create_app(copy_settings(sample_index, tmp_path / "data",
                                      trusted_header="X-Remote-User")).test_client()
    assert client.get("/search", headers={"X-Remote-User": "p-claire"}).status_code == 200
    assert client.get("/search", headers={"X-Remote-User": "p-nobody"}).status_code == 302
    assert client.get("/search", headers={"X-Other": "p-claire"}).status_code == 302
    # the header never authenticates the API
    assert client.get("/api/v1/me", headers={"X-Remote-User": "p-claire"}).status_code == 401
    off = create_app(copy_settings(sample_index, tmp_path / "off"))
    assert off.test_client().get("/search",
                                 headers={"X-Remote-User": "p-claire"}).status_code == 302
