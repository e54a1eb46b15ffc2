"""Roles grant no read access (issue 14): pins on secret items, the audit log about them,
and group or role records pushed by a token that is not a connector's."""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

from flask import Flask

from indexer.sample import NETWORK_PATH
from tests.web_fixtures import CANARIES, MEMBERS, bearer, csrf_of, signed_in, token_for
from web.audit import REDACTED, AuditLog

SECRET = CANARIES["secret"]["group"]  # g-codir: Claire (KM lead) and Nadia (admin) are out
MEMBER = MEMBERS[SECRET]  # Hélène


def network_record(kind: str, ident: str) -> dict[str, Any]:
    for line in NETWORK_PATH.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["type"] == kind and record["id"] == ident:
            return dict(record)
    raise AssertionError(ident)


def secret_item(app: Flask) -> str:
    searcher = app.extensions["quisait"].searchers.get()
    row = searcher.catalog.db.execute(
        "SELECT id FROM items WHERE group_id = ? AND deleted = 0 ORDER BY id", (SECRET,))
    return str(row.fetchone()[0])


def make_admin(app: Flask, person: str) -> None:
    """Give a member of the secret group the admin role (a connector's record update)."""
    record = {**network_record("person", person), "roles": ["admin"]}
    connector = token_for(app, "p-julien", roles=("connector",))
    response = app.test_client().post("/api/v1/records", json=[record],
                                      headers=bearer(connector))
    assert response.status_code == 200, response.get_json()


def member_pins_secret_item(app: Flask) -> tuple[str, int]:
    """The member, now an admin, pins a secret item for a group-restricted audience."""
    make_admin(app, MEMBER)
    item = secret_item(app)
    response = app.test_client().post(
        "/api/v1/pins", headers=bearer(token_for(app, MEMBER)),
        json={"pattern": "budget", "item_id": item, "audience": [SECRET, "employee"]})
    assert response.status_code == 201, response.get_json()
    return item, response.get_json()["id"]


def test_a_km_lead_outside_the_group_cannot_list_see_or_delete_its_pins(app):
    item, pin_id = member_pins_secret_item(app)
    client = app.test_client()
    outsider = token_for(app, "p-claire")
    listed = client.get("/api/v1/pins", headers=bearer(outsider))
    assert listed.status_code == 200
    assert item not in listed.get_data(as_text=True) and SECRET not in listed.get_data(as_text=True)
    refused = client.delete(f"/api/v1/pins/{pin_id}", headers=bearer(outsider))
    missing = client.delete("/api/v1/pins/999999", headers=bearer(outsider))
    assert refused.status_code == missing.status_code == 404
    assert refused.get_json()["error"]["message"] == f"no pin {pin_id}"
    # the member still sees it whole, so the test can fail
    mine = client.get("/api/v1/pins", headers=bearer(token_for(app, MEMBER))).get_json()["pins"]
    assert [(p["id"], p["item_id"], p["audience"]) for p in mine] == [
        (pin_id, item, sorted([SECRET, "employee"]))]


def test_a_pin_audience_shows_only_the_groups_the_viewer_may_see(app):
    # an open item pinned for a secret group's members: the outsider sees the pin, not the id
    make_admin(app, MEMBER)
    client = app.test_client()
    created = client.post("/api/v1/pins", headers=bearer(token_for(app, MEMBER)),
                          json={"pattern": "notes de frais", "item_id": "post-0170",
                                "audience": [SECRET, "g-finance", "km_lead", "g-no-such"]})
    assert created.get_json()["audience"] == [SECRET, "g-finance", "km_lead"]
    pins = client.get("/api/v1/pins", headers=bearer(token_for(app, "p-claire"))).get_json()
    assert [p["audience"] for p in pins["pins"]] == [["g-finance", "km_lead"]]


def test_topic_pages_neither_show_nor_remove_unreadable_pins(app):
    item, pin_id = member_pins_secret_item(app)
    km = token_for(app, "p-claire")
    topic = {"id": "t-budget", "name_fr": "budget", "name_en": "budget"}
    assert app.test_client().post("/api/v1/topics", json=topic,
                                  headers=bearer(km)).status_code == 201
    outsider = signed_in(app, "p-claire")
    page = outsider.get("/topics/t-budget").get_data(as_text=True)
    assert item not in page and f"/unpin/{pin_id}" not in page
    token = csrf_of(page)
    refused = outsider.post(f"/topics/t-budget/unpin/{pin_id}", data={"csrf_token": token})
    assert refused.status_code == 404
    pinned = outsider.post("/topics/t-budget/pins", data={"item_id": item, "csrf_token": token})
    assert pinned.status_code == 404
    member_page = signed_in(app, MEMBER).get("/topics/t-budget").get_data(as_text=True)
    assert f"/unpin/{pin_id}" in member_page  # still there, for whoever may read it


def audit_rows(app: Flask, person: str) -> list[dict[str, Any]]:
    response = app.test_client().get("/api/v1/admin/audit?limit=200",
                                     headers=bearer(token_for(app, person)))
    assert response.status_code == 200, response.get_json()
    return list(response.get_json()["entries"])


def test_audit_rows_about_a_secret_item_are_redacted_for_an_admin_outside(app):
    item, pin_id = member_pins_secret_item(app)
    member = token_for(app, MEMBER)
    client = app.test_client()
    assert client.put(f"/api/v1/marks/{item}", json={"mark": "official"},
                      headers=bearer(member)).status_code == 200
    assert client.delete(f"/api/v1/pins/{pin_id}", headers=bearer(member)).status_code == 204
    actions = ("pin.add", "mark.set", "pin.remove")
    outsider = [r for r in audit_rows(app, "p-nadia") if r["action"] in actions]
    assert [(r["actor"], r["action"], r["target"], r["detail"]) for r in outsider] == [
        (MEMBER, action, REDACTED, "") for action in reversed(actions)]
    assert item not in json.dumps(audit_rows(app, "p-nadia"))
    inside = {r["action"]: r for r in audit_rows(app, MEMBER) if r["action"] in actions}
    assert inside["pin.add"]["target"] == str(pin_id)
    assert f"item_id={item}" in inside["pin.add"]["detail"]
    assert inside["mark.set"]["target"] == item and inside["pin.remove"]["target"] == str(pin_id)


def test_deleting_a_secret_post_is_redacted_for_an_admin_outside(app):
    item = secret_item(app)
    connector = token_for(app, "p-julien", roles=("connector",))
    assert app.test_client().delete(f"/api/v1/records/{item}",
                                    headers=bearer(connector)).status_code == 200
    make_admin(app, MEMBER)
    row = next(r for r in audit_rows(app, "p-nadia") if r["action"] == "records.delete")
    assert (row["target"], row["detail"]) == (REDACTED, "")
    row = next(r for r in audit_rows(app, MEMBER) if r["action"] == "records.delete")
    assert row["target"] == item  # gone, but its group was kept with the row


def test_the_audit_table_of_an_older_version_is_migrated_and_fails_closed(tmp_path):
    db = sqlite3.connect(tmp_path / "web.sqlite")
    db.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, "
               "actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, "
               "detail TEXT NOT NULL)")
    rows = [("pin.add", "4", "pattern=budget item_id=post-0274"), ("pin.remove", "4", ""),
            ("mark.set", "post-0274", "mark=official"), ("topic.create", "t-x", "id=t-x"),
            ("records.delete", "g-codir", "type=group")]
    db.executemany("INSERT INTO audit (at, actor, action, target, detail) VALUES "
                   "('2026-01-01T00:00:00+00:00', 'p-x', ?, ?, ?)", rows)
    log = AuditLog(db, threading.Lock())
    concerns = [(e.action, e.item_id, e.groups) for e in reversed(log.entries())]
    assert concerns == [("pin.add", "post-0274", ()), ("pin.remove", "", ()),
                        ("mark.set", "post-0274", ()), ("topic.create", None, ()),
                        ("records.delete", None, ("g-codir",))]
    AuditLog(db, threading.Lock())  # opening again changes nothing
    assert len(log.entries()) == 5


# -- group and role records come from connectors only -------------------------------------------


def codir_with(person: str) -> dict[str, Any]:
    group = network_record("group", SECRET)
    return {**group, "members": sorted({*group["members"], person})}


def can_read_the_secret_canary(app: Flask, person: str) -> bool:
    word = CANARIES["secret"]["words"][0]
    data = app.test_client().get(f"/api/v1/search?q={word}&mode=lexical",
                                 headers=bearer(token_for(app, person))).get_json()
    return any(hit["group"]["id"] == SECRET for hit in data["hits"])


def test_an_admin_token_cannot_push_herself_into_a_secret_group(app):
    admin = token_for(app, "p-nadia")
    post = {"type": "post", "id": "post-web-g", "author": "p-nadia", "group": "g-python",
            "created": "2026-02-01T10:00:00", "title": "Rien à voir"}
    response = app.test_client().post("/api/v1/records", json=[post, codir_with("p-nadia")],
                                      headers=bearer(admin))
    error = response.get_json()["error"]
    assert response.status_code == 403 and error["code"] == "forbidden"
    assert error["detail"]["field"] == "records[1]" and "connector" in error["message"]
    assert not can_read_the_secret_canary(app, "p-nadia")
    reader = token_for(app, "p-julien")
    assert app.test_client().get("/api/v1/posts/post-web-g",
                                 headers=bearer(reader)).status_code == 404  # nothing written


def test_an_admin_token_cannot_grant_roles_or_delete_people_and_groups(app):
    admin = token_for(app, "p-nadia")
    client = app.test_client()
    promoted = {**network_record("person", "p-julien"), "roles": ["admin"]}
    response = client.post("/api/v1/records", json=[promoted], headers=bearer(admin))
    assert response.status_code == 403
    assert client.get("/api/v1/me", headers=bearer(token_for(app, "p-julien"))).get_json()[
        "roles"] == ["employee"]
    for kind, ident in (("group", SECRET), ("person", MEMBER)):
        response = client.delete(f"/api/v1/records/{ident}?type={kind}", headers=bearer(admin))
        assert response.status_code == 403, response.get_json()
    assert can_read_the_secret_canary(app, MEMBER)


def test_a_connector_changes_memberships_and_the_audit_says_which(app):
    connector = token_for(app, "p-julien", roles=("connector",))
    assert not can_read_the_secret_canary(app, "p-nadia")
    response = app.test_client().post("/api/v1/records", headers=bearer(connector),
                                      json=[codir_with("p-nadia"), network_record("group", "g-km")])
    assert response.status_code == 200, response.get_json()
    assert can_read_the_secret_canary(app, "p-nadia")
    row = next(r for r in audit_rows(app, "p-nadia") if r["action"] == "records.ingest")
    assert f"groups={SECRET}" in row["detail"]  # g-km is unchanged: not named
    assert "g-km" not in row["detail"] and "Comité" not in row["detail"]
    # an admin outside the secret group reads the row without its id
    remove = {**network_record("group", SECRET)}
    assert app.test_client().post("/api/v1/records", json=[remove],
                                  headers=bearer(connector)).status_code == 200
    rows = [r for r in audit_rows(app, "p-nadia") if r["action"] == "records.ingest"]
    assert rows and all(SECRET not in r["detail"] for r in rows)
    assert "added=0" in rows[0]["detail"] and "updated=1" in rows[0]["detail"]
