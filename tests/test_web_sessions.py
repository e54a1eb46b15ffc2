"""People changes apply at once to tokens and sessions; page sessions live on the server
(sign-out ends them, they expire, the cookie only names one)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from indexer.sample import NETWORK_PATH
from tests.web_fixtures import CANARIES, bearer, copy_settings, csrf_of, signed_in, token_for
from web import create_app

NEW_PERSON = {"type": "person", "id": "p-zoe", "name": "Zoé Lambert", "status": "active"}
SECRET_WORD = CANARIES["secret"]["words"][0]  # in g-codir, where p-helene is a member


def sample_record(record_id: str) -> dict[str, object]:
    """A person or group record of the sample corpus, as the JSONL export has it."""
    for line in NETWORK_PATH.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("id") == record_id:
            return dict(record)
    raise KeyError(record_id)


def ingest(app: Flask, *records: dict[str, object]) -> None:
    connector = token_for(app, "p-julien", roles=("connector",))
    response = app.test_client().post("/api/v1/records", json=list(records),
                                      headers=bearer(connector))
    assert response.status_code == 200, response.get_json()


def session_rows(app: Flask, person: str) -> int:
    db = sqlite3.connect(app.config["QUISAIT_SETTINGS"].data_dir / "web.sqlite")
    try:
        return int(db.execute("SELECT count(*) FROM sessions WHERE person = ?",
                              (person,)).fetchone()[0])
    finally:
        db.close()


def signed_out(response: Any) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/signin")


def test_departed_person_loses_token_and_session_at_once(app):
    token = token_for(app, "p-claire")
    api, page = app.test_client(), signed_in(app, "p-claire")
    # every cache of this (the only) thread has seen p-claire active
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert page.get("/search?q=sap").status_code == 200
    assert session_rows(app, "p-claire") == 1
    ingest(app, {**sample_record("p-claire"), "status": "departed"})
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert api.get("/api/v1/search?q=sap", headers=bearer(token)).status_code == 401
    assert signed_out(page.get("/search?q=sap"))
    assert session_rows(app, "p-claire") == 0  # seen departed: the session is deleted


def test_removed_member_stops_reading_the_group_at_once(app):
    token = token_for(app, "p-helene")
    client = app.test_client()
    query = f"/api/v1/search?q={SECRET_WORD}&mode=lexical"
    assert client.get(query, headers=bearer(token)).get_json()["hits"]
    group = sample_record("g-codir")
    members = [m for m in group["members"] if m != "p-helene"]
    ingest(app, {**group, "members": members})
    assert client.get(query, headers=bearer(token)).get_json()["hits"] == []


def test_new_person_can_sign_in_at_once(app):
    client = app.test_client()
    assert client.get("/signin").status_code == 200  # this thread has read the people
    ingest(app, NEW_PERSON)
    token = token_for(app, "p-zoe")
    me = client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200 and me.get_json()["id"] == "p-zoe"
    assert signed_in(app, "p-zoe").get("/search").status_code == 200


def _sign_out(client: FlaskClient) -> None:
    token = csrf_of(client.get("/search").get_data(as_text=True))
    assert client.post("/signout", data={"csrf_token": token}).status_code == 302


def test_cookie_replayed_after_sign_out_is_not_signed_in(app):
    client = signed_in(app, "p-claire")
    cookie = client.get_cookie("quisait_session")
    assert cookie is not None
    replay = app.test_client()
    replay.set_cookie("quisait_session", cookie.value)
    assert replay.get("/search").status_code == 200  # the stolen cookie works until...
    _sign_out(client)
    assert signed_out(client.get("/search"))
    replay = app.test_client()
    replay.set_cookie("quisait_session", cookie.value)
    assert signed_out(replay.get("/search"))
    assert session_rows(app, "p-claire") == 0


def test_session_ends_after_its_lifetime(app):
    client = signed_in(app, "p-claire")
    sessions = app.extensions["quisait"].tokens.sessions
    start = datetime.now(UTC)
    sessions.clock = lambda: start + timedelta(hours=11, minutes=59)  # in use all along
    assert client.get("/search").status_code == 200
    sessions.clock = lambda: start + timedelta(hours=12, minutes=1)
    assert signed_out(client.get("/search"))
    sessions.clock = lambda: start  # back in time: the expired row is gone for good
    assert signed_out(client.get("/search"))


def test_session_lifetime_is_a_setting(sample_index, tmp_path):
    app = create_app(copy_settings(sample_index, tmp_path / "data", demo_login=True,
                                   session_lifetime_hours=0.5))
    client = signed_in(app, "p-claire")
    sessions = app.extensions["quisait"].tokens.sessions
    start = datetime.now(UTC)
    sessions.clock = lambda: start + timedelta(minutes=29)
    assert client.get("/search").status_code == 200
    sessions.clock = lambda: start + timedelta(minutes=31)
    assert signed_out(client.get("/search"))


def test_the_cookie_only_names_a_session_stored_hashed(app):
    client = signed_in(app, "p-claire")
    cookie = client.get_cookie("quisait_session")
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)
    content = serializer.loads(cookie.value)
    assert set(content) <= {"sid", "csrf", "lang"} and "p-claire" not in repr(content)
    dump = (app.config["QUISAIT_SETTINGS"].data_dir / "web.sqlite").read_bytes()
    assert content["sid"].encode() not in dump
    # signing in again (another person) ends the previous session of this browser
    page = client.get("/signin").get_data(as_text=True)
    client.post("/signin", data={"person": "p-julien", "csrf_token": csrf_of(page)})
    assert session_rows(app, "p-claire") == 0 and session_rows(app, "p-julien") == 1
