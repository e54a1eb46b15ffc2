"""The audit log, rate limits, and logs that carry no secret and no viewer identity."""

from __future__ import annotations

import logging
import os

import pytest
from flask import Flask

from core.settings import Settings
from tests.web_fixtures import bearer, copy_settings, csrf_of, signed_in, token_for
from web import create_app
from web.ratelimit import TokenBuckets

TOPIC = {"id": "t-audit", "name_fr": "Audit", "name_en": "Audit", "tags": ["sap"]}
RECORD = {"type": "post", "id": "post-9001", "author": "p-julien",
          "created": "2026-02-01T10:00:00", "group": "g-python", "title": "Python 3.13 ?",
          "body": "Qui a migré vers Python 3.13 ?"}


def _audit(client, token, **args):
    response = client.get("/api/v1/admin/audit", headers=bearer(token), query_string=args)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_every_change_is_audited_and_admins_read_it(app):
    tokens = app.extensions["quisait"].tokens
    admin, admin_info = tokens.create("p-nadia", actor="p-nadia")
    km = token_for(app, "p-claire")
    client = app.test_client()
    calls = [("POST", "/api/v1/pins", km, {"pattern": "notes de frais", "item_id": "post-0170"}),
             ("POST", "/api/v1/synonyms", km, {"expressions": ["RSE", "réseau social"]}),
             ("PUT", "/api/v1/marks/post-0170", km, {"mark": "official"}),
             ("POST", "/api/v1/topics", km, TOPIC),
             ("PUT", "/api/v1/topics/t-audit", km, {**TOPIC, "name_en": "Audits"}),
             ("DELETE", "/api/v1/topics/t-audit", km, None),
             ("POST", "/api/v1/records", admin, [RECORD]),
             ("DELETE", "/api/v1/records/post-9001", admin, None)]
    for method, url, token, body in calls:
        response = client.open(url, method=method, headers=bearer(token), json=body)
        assert response.status_code < 300, (url, response.get_json())
    pin_id = client.get("/api/v1/pins", headers=bearer(km)).get_json()["pins"][0]["id"]
    assert client.delete(f"/api/v1/pins/{pin_id}", headers=bearer(km)).status_code == 204
    # a refused change is not a change
    assert client.delete("/api/v1/topics/t-none", headers=bearer(km)).status_code == 404
    assert client.post("/api/v1/pins", headers=bearer(token_for(app, "p-julien")),
                       json={"pattern": "x", "item_id": "post-0170"}).status_code == 403
    tokens.revoke(admin_info.id, actor="p-nadia")
    admin = token_for(app, "p-nadia")
    rows = _audit(client, admin, limit=200)["entries"]
    done = [(row["actor"], row["action"], row["target"]) for row in reversed(rows)]
    assert done[0] == ("p-nadia", "token.create", admin_info.id)
    assert [action for _, action, _ in done[1:]] == [
        "token.create", "pin.add", "synonyms.add", "mark.set", "topic.create", "topic.update",
        "topic.delete", "records.ingest", "records.delete", "pin.remove", "token.create",
        "token.revoke", "token.create"]
    assert ("p-claire", "mark.set", "post-0170") in done
    assert ("p-claire", "topic.delete", "t-audit") in done
    assert ("p-nadia", "records.delete", "post-9001") in done
    ingest = next(row for row in rows if row["action"] == "records.ingest")
    assert "added=1" in ingest["detail"] and "Qui a migré" not in ingest["detail"]
    assert "pattern=notes de frais" in next(r for r in rows if r["action"] == "pin.add")["detail"]
    assert admin.split("_", 2)[2] not in repr(rows)  # the id, never the secret


def test_page_changes_are_audited(app):
    client = signed_in(app, "p-claire")
    token = csrf_of(client.get("/search?q=notes+de+frais").get_data(as_text=True))
    response = client.post("/pins", data={"q": "notes de frais", "item_id": "post-0170",
                                          "csrf_token": token})
    assert response.status_code == 302
    rows = _audit(app.test_client(), token_for(app, "p-nadia"))["entries"]
    assert any((r["actor"], r["action"]) == ("p-claire", "pin.add") for r in rows)


def test_audit_is_for_admins_and_paginated(app):
    client = app.test_client()
    for person in ("p-ian", "p-julien", "p-claire"):
        response = client.get("/api/v1/admin/audit", headers=bearer(token_for(app, person)))
        assert response.status_code == 403
    assert client.get("/api/v1/admin/audit").status_code == 401
    admin = token_for(app, "p-nadia")
    for _ in range(4):
        token_for(app, "p-julien")
    first = _audit(client, admin, limit=2)
    second = _audit(client, admin, limit=2, before=first["next_before"])
    ids = [row["id"] for row in first["entries"] + second["entries"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
    assert client.get("/api/v1/admin/audit?limit=201",
                      headers=bearer(admin)).status_code == 400


def test_token_bucket_refills():
    now = [0.0]
    buckets = TokenBuckets(3, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(20.0)  # 3 a minute: one every 20 s
    assert buckets.take("b") == 0  # another client has its own bucket
    now[0] = 20.0
    assert buckets.take("a") == 0 and buckets.take("a") > 0


@pytest.fixture
def limited(sample_index, tmp_path):
    settings = copy_settings(sample_index, tmp_path / "data", demo_login=True,
                             signin_rate=2, search_rate=3)
    return create_app(settings)


def test_search_is_limited_per_token(limited):
    client = limited.test_client()
    token, other = token_for(limited, "p-claire"), token_for(limited, "p-claire")
    for _ in range(3):
        assert client.get("/api/v1/search?q=sap", headers=bearer(token)).status_code == 200
    response = client.get("/api/v1/experts?q=sap", headers=bearer(token))
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert set(response.get_json()["error"]) == {"status", "code", "message", "detail",
        "request_id"}
    assert 1 <= int(response.headers["Retry-After"]) <= 20
    assert client.get("/api/v1/search?q=sap", headers=bearer(other)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200  # not search


def test_pages_limit_sign_in_per_address_and_search_per_session(limited):
    client = signed_in(limited, "p-claire")
    statuses = [client.get("/search?q=sap").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    signed_in(limited, "p-julien")  # the second sign-in from this address
    page = limited.test_client()
    token = csrf_of(page.get("/signin").get_data(as_text=True))
    response = page.post("/signin", data={"person": "p-ian", "csrf_token": token})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    other = limited.test_client()
    token = csrf_of(other.get("/signin").get_data(as_text=True))
    response = other.post("/signin", data={"person": "p-ian", "csrf_token": token},
                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 302


def test_guessing_tokens_is_limited_per_address(limited):
    """Past the bad-token budget an address's bad tokens get 429, while a valid token from
    the same address still works (a flood behind a shared proxy locks nobody out)."""
    from web import ratelimit

    buckets = limited.extensions["quisait_rate_limits"]  # time stands still: no refill
    buckets["bad_token"] = ratelimit.TokenBuckets(30, clock=lambda: 1000.0)
    client = limited.test_client()
    good = token_for(limited, "p-claire")
    statuses = [client.get("/api/v1/me", headers=bearer(f"qs_guess{n}_x")).status_code
                for n in range(40)]
    assert statuses == [401] * 30 + [429] * 10
    assert client.get("/api/v1/me", headers=bearer(good)).status_code == 200
    assert client.get("/api/v1/search?q=sap", headers=bearer(good)).status_code == 200
    response = client.get("/api/v1/me", headers=bearer("qs_guess41_x"))
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert response.get_json()["error"]["code"] == "rate_limited"
    elsewhere = client.get("/api/v1/me", headers=bearer("qs_guess42_x"),
                           environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert elsewhere.status_code == 401


def test_bad_token_budget_refills(limited):
    from web import ratelimit

    clock = [1000.0]
    buckets = limited.extensions["quisait_rate_limits"]
    buckets["bad_token"] = ratelimit.TokenBuckets(5, clock=lambda: clock[0])
    client = limited.test_client()
    statuses = [client.get("/api/v1/me", headers=bearer(f"qs_guess{n}_x")).status_code
                for n in range(7)]
    assert statuses == [401] * 5 + [429, 429]
    clock[0] += 60
    assert client.get("/api/v1/me", headers=bearer("qs_guess8_x")).status_code == 401


def test_forged_token_spends_nothing_of_its_victims_quota(limited):
    """The search quota is charged after the token is verified: a forged token carrying
    the victim's public id is a 401 and costs the victim nothing."""
    client = limited.test_client()
    victim = token_for(limited, "p-claire")
    forged = victim.rsplit("_", 1)[0] + "_forged"
    for _ in range(5):
        assert client.get("/api/v1/search?q=sap", headers=bearer(forged)).status_code == 401
    statuses = [client.get("/api/v1/search?q=sap", headers=bearer(victim)).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.fixture
def write_limited(sample_index, tmp_path):
    return create_app(copy_settings(sample_index, tmp_path / "data", demo_login=True,
                                    write_rate=3))


def _vote(client, headers, target: str, helpful: bool = True) -> int:
    return client.post("/api/v1/feedback", headers=headers, json={
        "kind": "result", "target": target, "query": "sap", "helpful": helpful}).status_code


def test_a_persons_writes_share_one_bucket_across_tokens_and_pages(write_limited):
    """Votes and follows are counted per person: a second token buys no second quota,
    the pages draw on the same bucket, and other people and reads are not affected."""
    client = write_limited.test_client()
    first, second = token_for(write_limited, "p-julien"), token_for(write_limited, "p-julien")
    hits = client.get("/api/v1/search?q=sap", headers=bearer(first)).get_json()["hits"]
    target = hits[0]["id"]
    assert [_vote(client, bearer(first), target) for _ in range(2)] == [200, 200]
    assert client.post("/api/v1/follows", headers=bearer(second),
                       json={"kind": "tag", "target": "sap"}).status_code in (200, 201)
    refused = client.post("/api/v1/feedback", headers=bearer(second), json={
        "kind": "result", "target": target, "query": "sap", "helpful": False})
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 20
    page = signed_in(write_limited, "p-julien")  # the same person on the pages
    token = csrf_of(page.get("/search?q=sap").get_data(as_text=True))
    assert page.post("/feedback", data={"kind": "result", "target": target, "q": "sap",
                                        "helpful": "1", "csrf_token": token}).status_code == 429
    # reads are not writes, and another person has a bucket of their own
    assert client.get("/api/v1/me", headers=bearer(first)).status_code == 200
    other = bearer(token_for(write_limited, "p-claire"))
    assert _vote(client, other, target) == 200


def test_a_forged_page_write_spends_nothing_of_its_victims_quota(write_limited):
    page = signed_in(write_limited, "p-julien")
    token = csrf_of(page.get("/search?q=sap").get_data(as_text=True))
    hits = page.get("/api/v1/search?q=sap",
                    headers=bearer(token_for(write_limited, "p-julien"))).get_json()["hits"]
    vote = {"kind": "result", "target": hits[0]["id"], "q": "sap", "helpful": "1"}
    for _ in range(5):  # a cross-site form rides the session cookie, without the token
        assert page.post("/feedback", data=vote).status_code == 403
    statuses = [page.post("/feedback", data={**vote, "csrf_token": token}).status_code
                for _ in range(4)]
    assert statuses == [302, 302, 302, 429]


def _sign_in_from(app: Flask, address: str) -> int:
    client = app.test_client()
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    return int(client.post("/signin", data={"person": "p-ian", "csrf_token": token},
                           headers={"X-Forwarded-For": address}).status_code)


def test_behind_a_proxy_the_client_address_is_forwarded(sample_index, tmp_path):
    app = create_app(copy_settings(sample_index, tmp_path / "data", demo_login=True,
                                   signin_rate=2, trusted_proxies=1))
    assert [_sign_in_from(app, "203.0.113.1") for _ in range(3)] == [302, 302, 429]
    assert _sign_in_from(app, "203.0.113.2") == 302  # another client behind the proxy
    # the proxy's own entry is the last one: what the client wrote before it is not trusted
    assert _sign_in_from(app, "198.51.100.9, 203.0.113.1") == 429


CHILD = "QUISAIT_TEST_IN_CHILD"


def test_quisait_serve_hands_the_forwarded_headers_to_the_app():
    """Through waitress, as ``quisait serve`` runs it: waitress drops X-Forwarded-* by
    default, which left every client behind a proxy with the proxy's one address.

    Run in a fresh interpreter: in the full suite's process (after the Ray, crash and
    browser tests) the first request of this waitress server in a thread has twice hung
    until the client's timeout, which never happened alone.  Not understood yet (a lock
    left by an earlier test's threads is the likeliest cause); the check itself is the
    test below, and it is the one thing this process hands to a child.
    """
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    child = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "", "-q", "-p", "no:cacheprovider",
         f"{Path(__file__).resolve()}::test_forwarded_headers_through_waitress"],
        cwd=root, env={**os.environ, CHILD: "forwarded"}, capture_output=True, text=True,
        timeout=900, check=False)
    assert child.returncode == 0 and child.stdout.splitlines()[-1].startswith("1 passed"), \
        child.stdout[-4000:]


@pytest.mark.skipif(os.environ.get(CHILD) != "forwarded",
                    reason="run in a fresh process by the test above")
def test_forwarded_headers_through_waitress(sample_index, tmp_path):
    """The check, in its own process (see the test above)."""
    import http.client

    from tests.test_browser import served

    app = create_app(copy_settings(sample_index, tmp_path / "data", demo_login=True,
                                   signin_rate=2, trusted_proxies=1))

    def sign_in(port: int, forwarded: str) -> int:
        # generous: the first request opens the indexes, on a shared and loaded machine
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=180)
        try:
            connection.request("POST", "/signin", body="person=p-julien", headers={
                "X-Forwarded-For": forwarded,
                "Content-Type": "application/x-www-form-urlencoded"})
            return connection.getresponse().status
        finally:
            connection.close()

    with served(app) as url:
        port = int(url.rsplit(":", 1)[1])
        assert sign_in(port, "198.51.100.9") != 429  # warm: the app has answered once
        assert [sign_in(port, "203.0.113.1") for _ in range(3)][2] == 429
        assert sign_in(port, "203.0.113.2") != 429  # another client behind the proxy


def test_with_a_proxy_secret_what_bypasses_the_proxy_is_refused(sample_index, tmp_path):
    app = create_app(copy_settings(sample_index, tmp_path / "data",
                                   trusted_header="X-Remote-User", proxy_secret="s3cret"))
    client = app.test_client()
    forged = {"X-Remote-User": "p-helene"}
    for path in ("/search", "/api/v1/search?q=sap", "/people/p-karim"):
        refused = client.get(path, headers=forged)
        assert refused.status_code == 403, path
        assert "Vasseur" not in refused.get_data(as_text=True)  # names nobody
    assert client.get("/search", headers={**forged, "X-Quisait-Proxy": "guess"}
                      ).status_code == 403
    through = client.get("/search", headers={**forged, "X-Quisait-Proxy": "s3cret"})
    assert through.status_code == 200 and "Vasseur" in through.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200


def test_without_proxies_forwarded_addresses_are_ignored(limited):
    assert [_sign_in_from(limited, f"203.0.113.{n}") for n in range(3)] == [302, 302, 429]


def test_rates_are_settings():
    assert Settings().search_rate >= 600 and Settings().signin_rate >= 300
    assert Settings().trusted_proxies == 0 and Settings().session_lifetime_hours == 12
    assert Settings().write_rate >= 60
    for name, bad in (("search_rate", -1), ("write_rate", -1), ("trusted_proxies", -1),
                      ("session_lifetime_hours", 0)):
        with pytest.raises(Exception, match=name):
            Settings(**{name: bad})


def leaks(records: list[logging.LogRecord], secrets: list[str]) -> list[str]:
    """Each secret found in a formatted message, its arguments or its traceback."""
    found = []
    for record in records:
        text = record.getMessage() + repr(record.args) + repr(record.exc_info or "")
        text += record.exc_text or ""
        found += [secret for secret in secrets if secret in text]
    return found


def test_no_secret_or_viewer_in_logs(app, caplog):
    caplog.set_level(logging.DEBUG)  # the root logger: every logger propagates to it
    admin = token_for(app, "p-nadia", roles=("connector",))
    claire = token_for(app, "p-claire")
    client = signed_in(app, "p-claire")
    cookie = client.get_cookie("quisait_session")
    assert cookie is not None
    client.get("/search?q=notes+de+frais")
    client.get("/search?q=notes+de+\"frais")  # a syntax error
    api = app.test_client()
    api.get("/api/v1/search?q=notes+de+frais", headers=bearer(claire))
    api.get("/api/v1/experts?q=sap", headers=bearer(claire))
    api.get("/api/v1/me", headers=bearer(claire + "x"))  # a wrong token
    ingested = api.post("/api/v1/records", headers=bearer(admin),
                        json=[{**RECORD, "author": "p-marc"}, {"type": "bad"}])
    assert ingested.status_code == 400
    assert api.post("/api/v1/records", headers=bearer(admin),
                    json=[{**RECORD, "author": "p-marc"}]).status_code == 200
    assert api.delete("/api/v1/records/post-9001", headers=bearer(admin)).status_code == 200
    assert caplog.records, "nothing was logged: the capture is not working"
    secrets = [admin, claire, admin.split("_", 2)[2], claire.split("_", 2)[2],
               cookie.value, "p-claire", "p-nadia"]
    assert leaks(caplog.records, secrets) == []
    # the check itself finds a leak when there is one
    logging.getLogger("web.auth").debug("token %s", claire)
    assert leaks(caplog.records, secrets) == [claire, claire.split("_", 2)[2]]
