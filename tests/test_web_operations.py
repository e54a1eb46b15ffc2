"""The operations page and API (admins): the worker's last runs, outbox counts, dead
letters with requeueing, feeds; nothing of it to other roles, no content in it, and no
secret group named to an admin outside it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

from core.settings import Settings
from indexer.feeds import FeedStore
from notify import Outbox
from notify.worker import write_state
from tests.web_fixtures import ROLES, bearer, csrf_of, signed_in, token_for

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _settings(app: Flask) -> Settings:
    return app.extensions["quisait"].settings


def _dead_letter(settings: Settings, key: str = "follow:f-1:2026-12-07") -> str:
    with Outbox(settings.data_dir / "outbox.sqlite", max_attempts=1) as outbox:
        assert outbox.enqueue("follow", "p-anne", "webhook",
                              "https://hooks.example/T000/SECRETPATH", key,
                              {"text": "zorbaflux subject", "items": ["post-1"]})
        message = outbox.claim_due()
        assert message is not None
        assert outbox.mark_failed(message, "webhook hooks.example answered HTTP 500") == "dead"
        return message.id


def test_only_admins_see_operations(app: Flask) -> None:
    for role, person in ROLES.items():
        client = signed_in(app, person)
        page = client.get("/admin/operations")
        assert page.status_code == (200 if role == "admin" else 403), role
        nav = client.get("/search").get_data(as_text=True)
        assert ('href="/admin/operations"' in nav) == (role == "admin"), role
        answer = app.test_client().get("/api/v1/admin/operations",
                                       headers=bearer(token_for(app, person)))
        assert answer.status_code == (200 if role == "admin" else 403), role


def test_nothing_ran_yet_is_said_and_creates_no_store(app: Flask) -> None:
    settings = _settings(app)
    page = signed_in(app, ROLES["admin"]).get("/admin/operations").get_data(as_text=True)
    assert "No worker ever ran" in page and "No notification was ever queued" in page
    assert "No feed" in page
    assert not (settings.data_dir / "outbox.sqlite").exists()
    assert not (settings.data_dir / "feeds.sqlite").exists()
    api = app.test_client().get("/api/v1/admin/operations", headers=bearer(
        token_for(app, ROLES["admin"]))).get_json()
    assert api == {"worker": None, "outbox": None, "dead_letters": [], "feeds": None}


def test_worker_runs_dead_letters_and_feeds_are_shown_without_content(app: Flask) -> None:
    settings = _settings(app)
    dead = _dead_letter(settings)
    write_state(settings, {"pid": 4242, "started": "2026-12-07T08:00:00+00:00",
                           "last_tick": "2026-12-07T08:59:00+00:00", "ticks": 12, "errors": 1,
                           "runs": {"follows": {"started": "2026-12-07T08:59:00+00:00",
                                                "ok": True, "counts": {"alerts": 3}},
                                    "feeds": {"started": "2026-12-07T08:30:00+00:00",
                                              "ok": False, "error": "OSError: disk full"}}})
    with FeedStore.open(settings) as feeds:
        feeds.add("https://news.example/open.xml", "g-veille", 1800, NOW)
        feeds.add("https://news.example/codir.xml", "g-codir", 1800, NOW)  # secret group

    page = signed_in(app, ROLES["admin"]).get("/admin/operations").get_data(as_text=True)
    assert "pid 4242" in page and "12 ticks" in page and "alerts 3" in page
    assert "OSError: disk full" in page
    assert 'id="outbox-dead">1<' in page and dead in page and "answered HTTP 500" in page
    assert "https://news.example/open.xml" in page and "Veille KM &amp; RSE" in page
    # the admin is not in g-codir: its feed is listed, its group is not named
    assert "https://news.example/codir.xml" in page and "g-codir" not in page
    assert "a group you cannot see" in page
    # no content and no secret address: neither the subject nor the webhook URL
    assert "zorbaflux" not in page and "SECRETPATH" not in page

    headers = bearer(token_for(app, ROLES["admin"]))
    api = app.test_client().get("/api/v1/admin/operations", headers=headers).get_json()
    assert api["worker"]["ticks"] == 12 and api["worker"]["running"] is False
    assert api["outbox"]["dead"] == 1
    assert [letter["id"] for letter in api["dead_letters"]] == [dead]
    assert {feed["url"]: feed["group"] for feed in api["feeds"]} == {
        "https://news.example/open.xml": "g-veille", "https://news.example/codir.xml": None}
    assert "zorbaflux" not in str(api) and "SECRETPATH" not in str(api)


def test_requeue_from_the_page_and_the_api_is_audited(app: Flask) -> None:
    settings = _settings(app)
    first, second = _dead_letter(settings), _dead_letter(settings, "follow:f-2:2026-12-07")
    client = signed_in(app, ROLES["admin"])
    page = client.get("/admin/operations").get_data(as_text=True)
    done = client.post(f"/admin/outbox/{first}/requeue", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 302 and "requeued=" in done.headers["Location"]
    assert "the worker sends it at its next tick" in client.get(
        done.headers["Location"]).get_data(as_text=True)
    # without the form's token nothing happens
    assert client.post(f"/admin/outbox/{second}/requeue").status_code == 403
    headers = bearer(token_for(app, ROLES["admin"]))
    answer = app.test_client().post(f"/api/v1/admin/outbox/{second}/requeue", headers=headers)
    assert answer.status_code == 200 and answer.get_json()["status"] == "queued"
    # a message that is not dead (any more), or none at all, is not found
    again = app.test_client().post(f"/api/v1/admin/outbox/{second}/requeue", headers=headers)
    assert again.status_code == 404
    with Outbox.open(settings) as outbox:
        assert outbox.dead_letters() == [] and outbox.counts()["queued"] == 2
    audit = app.test_client().get("/api/v1/admin/audit", headers=headers).get_json()
    assert [e["action"] for e in audit["entries"]].count("outbox.requeue") == 2


def test_operations_for_an_employee_api_token_are_forbidden(app: Flask, tmp_path: Path) -> None:
    settings = _settings(app)
    _dead_letter(settings)
    employee = bearer(token_for(app, ROLES["employee"]))
    assert app.test_client().get("/api/v1/admin/operations", headers=employee).status_code == 403
    with Outbox.open(settings) as outbox:
        message = outbox.dead_letters()[0].id
    refused = app.test_client().post(f"/api/v1/admin/outbox/{message}/requeue", headers=employee)
    assert refused.status_code == 403
    with Outbox.open(settings) as outbox:
        assert outbox.counts()["dead"] == 1
