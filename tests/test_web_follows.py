"""Follows over the web: the JSON API, the Follow buttons and "My follows", refusals that
say nothing of what exists, nobody else's follows, and one-click unsubscribe."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from notify import sign_unsubscribe, unsubscribe_url
from tests.web_fixtures import bearer, copy_settings, csrf_of, signed_in, token_for
from web import create_app

SECRET = "web-follow-secret-0123456789"
PUBLIC_URL = "https://quisait.valtorre.example"


@pytest.fixture(scope="module")
def follow_app(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    settings = copy_settings(sample_index, tmp_path_factory.mktemp("follows") / "data",
                             demo_login=True, secret_key=SECRET, public_url=PUBLIC_URL)
    app = create_app(settings)
    app.config["TESTING"] = True
    km = bearer(token_for(app, "p-claire"))
    assert app.test_client().post("/api/v1/topics", headers=km, json={
        "id": "t-frais", "name_fr": "Notes de frais", "name_en": "Expense reports",
        "synonyms": ["remboursement"]}).status_code == 201
    return app


class Api:
    """API calls as one person."""

    def __init__(self, app: Flask, person: str) -> None:
        self.client, self.headers = app.test_client(), bearer(token_for(app, person))

    def __call__(self, method: str, url: str, **kwargs: Any) -> Any:
        return self.client.open(f"/api/v1{url}", method=method, headers=self.headers, **kwargs)


def confirmation_link(app: Flask, person: str, address: str) -> str:
    """The path and query of the confirmation link queued today for ``address``."""
    from notify import Outbox
    from notify.outbox import utc_now

    with Outbox.open(app.extensions["quisait"].settings) as outbox:
        message = outbox.find(f"confirm:{person}:{address}:{utc_now().date().isoformat()}")
    assert message is not None and message.kind == "confirm" and message.address == address
    link = re.search(r"https://\S+/confirm-email\?token=\S+", message.payload["text"])
    assert link is not None
    return link.group(0).removeprefix(PUBLIC_URL)


def confirm_address(app: Flask, person: str, address: str) -> None:
    """What the owner of ``address`` does: open the link, press the button."""
    link = confirmation_link(app, person, address)
    assert app.test_client().post(link).status_code == 200


def error_of(response: Any, status: int) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == status, body
    assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message",
                                                              "detail", "request_id"}
    return body["error"]  # type: ignore[no-any-return]


def test_follows_of_every_kind_through_the_api(follow_app: Flask) -> None:
    api = Api(follow_app, "p-julien")
    targets = [("search", "kubernetes group:g-devops", "kubernetes group:g-devops"),
               ("topic", "t-frais", "Notes de frais"), ("tag", "#SAP", "#sap"),
               ("group", "g-python", "Python @ Valtorre"), ("person", "p-karim", "Karim Haddad")]
    made = []
    for kind, target, label in targets:
        response = api("POST", "/follows", json={"kind": kind, "target": target})
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert (body["kind"], body["label"], body["paused"]) == (kind, label, False)
        made.append(body)
        again = api("POST", "/follows", json={"kind": kind, "target": target})
        assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    listed = api("GET", "/follows").get_json()["follows"]
    assert [f["id"] for f in listed] == [f["id"] for f in made]
    paused = api("PATCH", f"/follows/{made[0]['id']}", json={"paused": True})
    assert paused.status_code == 200 and paused.get_json()["paused"] is True
    assert api("DELETE", f"/follows/{made[1]['id']}").status_code == 204
    after = {f["id"]: f for f in api("GET", "/follows").get_json()["follows"]}
    assert made[1]["id"] not in after and after[made[0]["id"]]["paused"] is True
    error_of(api("DELETE", f"/follows/{made[1]['id']}"), 404)


@pytest.mark.parametrize(("person", "kind", "hidden", "absent"), [
    ("p-julien", "group", "g-codir", "g-nope"),  # a secret group he is not in
    ("p-julien", "group", "g-horizon", "g-nope"),  # private: he may see, not read it
    ("p-ian", "group", "g-python", "g-nope"),  # open, but a guest is not invited
    ("p-ian", "person", "p-julien", "p-nope"),  # a guest sees the people he shares with
    ("p-julien", "topic", "t-nope", "t-nope-2"),
])
def test_targets_the_viewer_may_not_see_are_a_404_like_nothing(
        follow_app: Flask, person: str, kind: str, hidden: str, absent: str) -> None:
    api = Api(follow_app, person)
    refused = error_of(api("POST", "/follows", json={"kind": kind, "target": hidden}), 404)
    missing = error_of(api("POST", "/follows", json={"kind": kind, "target": absent}), 404)
    assert refused["message"].replace(hidden, "X") == missing["message"].replace(absent, "X")
    assert refused["detail"] == missing["detail"] == {}
    assert all(f["target"] != hidden for f in api("GET", "/follows").get_json()["follows"])


def test_bad_follows_name_the_field(follow_app: Flask) -> None:
    api = Api(follow_app, "p-julien")
    syntax = error_of(api("POST", "/follows", json={"kind": "search", "target": 'a "b'}), 400)
    assert syntax["detail"]["field"] == "target" and "position" in syntax["detail"]
    for body, field in [({"kind": "feed", "target": "x"}, "kind"),
                        ({"kind": "tag", "target": ""}, "target"),
                        ({"kind": "tag", "target": "x", "paused": "yes"}, "paused"),
                        ({"kind": "person", "target": "p-julien"}, "target"),
                        ({"kind": "tag"}, "target")]:
        assert error_of(api("POST", "/follows", json=body), 400)["detail"]["field"] == field
    error_of(api("POST", "/follows", data="[1]", content_type="application/json"), 400)


def test_a_webhook_url_to_an_internal_address_is_refused_when_saved(follow_app: Flask) -> None:
    ines = Api(follow_app, "p-ines")
    for url in ("http://169.254.169.254/latest/meta-data", "http://localhost:8080/api/v1",
                "http://10.0.0.7/hook"):
        refused = ines("PUT", "/me/notifications", json={"channel": "webhook",
                                                         "webhook_url": url})
        error = error_of(refused, 400)
        assert error["detail"]["field"] == "webhook_url" and "internal" in error["message"]
    assert ines("GET", "/me/notifications").get_json()["webhook_url"] != url


def test_nobody_reaches_another_persons_follows(follow_app: Flask) -> None:
    julien, claire = Api(follow_app, "p-julien"), Api(follow_app, "p-claire")
    theirs = julien("POST", "/follows", json={"kind": "tag", "target": "budget"}).get_json()
    for method, body in (("PATCH", {"paused": True}), ("DELETE", None)):
        error_of(claire(method, f"/follows/{theirs['id']}", json=body), 404)
    assert theirs["id"] not in {f["id"] for f in claire("GET", "/follows").get_json()["follows"]}
    page = signed_in(follow_app, "p-claire")
    csrf = csrf_of(page.get("/me/follows").get_data(as_text=True))
    for action in ("pause", "drop"):
        response = page.post(f"/me/follows/{theirs['id']}", data={"csrf_token": csrf,
                                                                   "action": action})
        assert response.status_code == 404
    mine = {f["id"]: f for f in julien("GET", "/follows").get_json()["follows"]}
    assert mine[theirs["id"]]["paused"] is False  # untouched


def test_preferences_default_from_the_profile_then_the_browser(follow_app: Flask) -> None:
    helene = Api(follow_app, "p-helene")  # languages fr, en
    helene.headers["Accept-Language"] = "en"
    defaults = helene("GET", "/me/notifications")
    assert defaults.get_json()["lang"] == "fr" and defaults.get_json()["saved"] is False
    ines = Api(follow_app, "p-ines")  # no language on her profile
    ines.headers["Accept-Language"] = "en-GB,en;q=0.8"
    saved = ines("PUT", "/me/notifications", json={"email": "ines@valtorre.example",
                                                   "frequency": "weekly"})
    assert saved.status_code == 200, saved.get_json()
    assert {k: saved.get_json()[k] for k in ("lang", "frequency", "email", "channel")} == {
        "lang": "en", "frequency": "weekly", "email": "ines@valtorre.example",
        "channel": "email"}
    ines.headers["Accept-Language"] = "fr"
    assert ines("GET", "/me/notifications").get_json()["lang"] == "en"  # kept once saved
    hook = ines("PUT", "/me/notifications", json={"channel": "webhook",
                                                  "webhook_url": "https://hooks.example/i"})
    assert re.fullmatch(r"[0-9a-f]{64}", hook.get_json()["webhook_secret"])
    for body, field in [({"email": "not an address"}, "email"), ({"frequency": "hourly"},
                        "frequency"), ({"paused": "no"}, "paused"), ({"colour": "red"}, "colour"),
                        ({"webhook_url": "javascript:alert(1)"}, "webhook_url")]:
        assert error_of(ines("PUT", "/me/notifications", json=body), 400)["detail"][
            "field"] == field
    assert ines("GET", "/me/notifications").get_json()["frequency"] == "weekly"


def test_follow_buttons_on_search_topic_and_person_pages(follow_app: Flask) -> None:
    page = signed_in(follow_app, "p-chloe")  # not in the secret g-codir (p-marie is)
    search = page.get("/search?q=notes+de+frais&mode=lexical").get_data(as_text=True)
    assert 'href="/me/follows"' in search  # the header links to "My follows"
    form = re.search(r'<form method="post" action="/follows" class="followform">(.*?)</form>',
                     search, re.S)
    assert form is not None and 'name="csrf_token"' in form.group(1)
    assert 'name="kind" value="search"' in form.group(1)
    assert 'name="target" value="notes de frais"' in form.group(1)
    csrf = csrf_of(search)
    response = page.post("/follows", data={"csrf_token": csrf, "kind": "search",
                                           "target": "notes de frais",
                                           "next": "/search?q=notes+de+frais&mode=lexical"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/search?q=notes+de+frais&mode=lexical"
    followed = page.get("/search?q=notes+de+frais&mode=lexical").get_data(as_text=True)
    assert 'action="/follows" class="followform"' not in followed
    assert ("Vous suivez ceci" in followed) or ("You follow this" in followed)
    for url, kind, target in (("/topics/t-frais", "topic", "t-frais"),
                              ("/people/p-karim", "person", "p-karim")):
        html = page.get(url).get_data(as_text=True)
        assert f'name="kind" value="{kind}"' in html and f'value="{target}"' in html
        assert page.post("/follows", data={"csrf_token": csrf, "kind": kind,
                                           "target": target}).status_code == 302
    own = page.get("/people/p-chloe").get_data(as_text=True)
    assert 'class="followform"' not in own  # nobody follows themselves
    refused = page.post("/follows", data={"kind": "tag", "target": "x"})  # no CSRF token
    assert refused.status_code == 403
    hidden = page.post("/follows", data={"csrf_token": csrf, "kind": "group",
                                         "target": "g-codir"})
    assert hidden.status_code == 404


def test_follow_the_group_and_tags_from_a_post(follow_app: Flask) -> None:
    page = signed_in(follow_app, "p-chloe")  # reads the open g-finance without being in it
    html = page.get("/posts/post-0003").get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="/follows" class="followform">(.*?)</form>',
                       html, re.S)
    kinds = [(re.search(r'name="kind" value="(\w+)"', f).group(1),  # type: ignore[union-attr]
              re.search(r'name="target" value="([^"]*)"', f).group(1))  # type: ignore[union-attr]
             for f in forms]
    assert ("group", "g-finance") in kinds and any(kind == "tag" for kind, _ in kinds)
    assert "Finance, achats &amp; notes de frais" in html
    answer = page.post("/follows", data={"csrf_token": csrf_of(html), "kind": "group",
                                         "target": "g-finance", "next": "/posts/post-0003"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/posts/post-0003"
    again = page.get("/posts/post-0003").get_data(as_text=True)
    assert 'name="target" value="g-finance"' not in again
    mine = page.get("/me/follows").get_data(as_text=True)
    assert "Finance, achats" in mine


def test_my_follows_page_pauses_resumes_drops_and_saves_preferences(
        follow_app: Flask) -> None:
    page = signed_in(follow_app, "p-marie")
    api = Api(follow_app, "p-marie")
    follow = api("POST", "/follows", json={"kind": "tag", "target": "python"}).get_json()
    html = page.get("/me/follows", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "#python" in html and 'value="pause"' in html and 'value="drop"' in html
    assert "No address yet" in html
    csrf = csrf_of(html)
    for action, paused in (("pause", True), ("resume", False)):
        assert page.post(f"/me/follows/{follow['id']}", data={
            "csrf_token": csrf, "action": action}).status_code == 302
        assert api("GET", "/follows").get_json()["follows"][0]["paused"] is paused
    saved = page.post("/me/notifications", data={
        "csrf_token": csrf, "channel": "email", "email": "marie@valtorre.example",
        "frequency": "immediately", "lang": "en", "webhook_format": "json", "digests": "on"})
    assert saved.status_code == 302 and saved.headers["Location"] == "/me/follows?saved=1"
    prefs = api("GET", "/me/notifications").get_json()
    assert (prefs["frequency"], prefs["lang"], prefs["paused"], prefs["digests"]) == (
        "immediately", "en", False, True)
    bad = page.post("/me/notifications", data={"csrf_token": csrf, "email": "x"})
    assert bad.status_code == 400 and "(400 invalid_parameter)" in bad.get_data(as_text=True)
    assert page.post(f"/me/follows/{follow['id']}", data={
        "csrf_token": csrf, "action": "drop"}).status_code == 302
    assert api("GET", "/follows").get_json()["follows"] == []


def _token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def test_one_click_unsubscribe_pauses_the_follow_and_a_get_does_not(follow_app: Flask) -> None:
    api = Api(follow_app, "p-pierre")
    follow = api("POST", "/follows", json={"kind": "tag", "target": "sap"}).get_json()
    # the link notify puts in List-Unsubscribe, signed with the settings' secret_key
    link = unsubscribe_url(follow_app.config["QUISAIT_SETTINGS"], "p-pierre",
                           f"follow:{follow['id']}")
    assert link.startswith(f"{PUBLIC_URL}/unsubscribe?token=")
    path = link.removeprefix(PUBLIC_URL)
    client = follow_app.test_client()  # no session, no CSRF token
    for _ in range(2):  # mail clients and scanners fetch links
        confirm = client.get(path)
        assert confirm.status_code == 200
        assert 'name="List-Unsubscribe" value="One-Click"' in confirm.get_data(as_text=True)
    assert api("GET", "/follows").get_json()["follows"][0]["paused"] is False
    assert client.post(path).status_code == 400  # no List-Unsubscribe=One-Click body
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert api("GET", "/follows").get_json()["follows"][0]["paused"] is True
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200


@pytest.mark.parametrize("target", ["digest", "all"])
def test_unsubscribing_from_digests_or_everything(follow_app: Flask, target: str) -> None:
    person = {"digest": "p-ryan", "all": "p-ines"}[target]
    token = sign_unsubscribe(SECRET, person, target)
    client = follow_app.test_client()
    assert client.post(f"/unsubscribe?token={token}",
                       data={"List-Unsubscribe": "One-Click"}).status_code == 200
    prefs = Api(follow_app, person)("GET", "/me/notifications").get_json()
    assert prefs["digests"] is (target != "digest") and prefs["paused"] is (target == "all")


def _flip(token: str, index: int) -> str:
    return token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1:]


def test_tampered_or_foreign_tokens_are_refused_and_change_nothing(follow_app: Flask) -> None:
    api = Api(follow_app, "p-julien")
    follow = api("POST", "/follows", json={"kind": "tag", "target": "rgpd"}).get_json()
    token = sign_unsubscribe(SECRET, "p-julien", f"follow:{follow['id']}")
    bad = [_flip(token, 0), _flip(token, len(token) - 1), token.split(".")[0], "",
           sign_unsubscribe("another-key", "p-julien", f"follow:{follow['id']}"),
           sign_unsubscribe(SECRET, "p-julien", "everything-else")]
    client = follow_app.test_client()
    for forged in bad:
        for method in ("GET", "POST"):
            response = client.open(f"/unsubscribe?token={forged}", method=method,
                                   data={"List-Unsubscribe": "One-Click"})
            assert response.status_code == 400, forged
            assert "(400 invalid_parameter)" in response.get_data(as_text=True)
    mine = {f["id"]: f for f in api("GET", "/follows").get_json()["follows"]}
    assert mine[follow["id"]]["paused"] is False


def test_without_a_secret_key_no_link_is_valid(shared_app: Flask) -> None:
    assert not shared_app.config["QUISAIT_SETTINGS"].secret_key  # web made its own key
    token = sign_unsubscribe("any-key", "p-julien", "digest")
    client = shared_app.test_client()
    assert client.get(f"/unsubscribe?token={token}").status_code == 404
    assert client.post(f"/unsubscribe?token={token}",
                       data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_a_follow_made_on_the_web_alerts_on_what_is_ingested_after(follow_app: Flask) -> None:
    from notify import Outbox, run_follows

    yann = Api(follow_app, "p-yann")
    assert yann("PUT", "/me/notifications", json={"email": "yann@valtorre.example"}
                ).status_code == 200
    confirm_address(follow_app, "p-yann", "yann@valtorre.example")
    assert yann("POST", "/follows", json={"kind": "search", "target": "quokka"}
                ).status_code == 201
    outsider = Api(follow_app, "p-thomas")  # not in the secret CODIR
    assert outsider("PUT", "/me/notifications", json={"email": "thomas@valtorre.example"}
                    ).status_code == 200
    confirm_address(follow_app, "p-thomas", "thomas@valtorre.example")
    assert outsider("POST", "/follows", json={"kind": "search", "target": "quokka"}
                    ).status_code == 201
    admin = Api(follow_app, "p-nadia")
    records = [{"type": "post", "id": f"web-quokka-{group}", "author": "p-karim",
                "created": "2026-03-01T10:00:00", "group": group,
                "title": f"Quokka {group}"} for group in ("g-python", "g-codir")]
    assert admin("POST", "/records", json=records).status_code == 200
    services = follow_app.extensions["quisait"]
    with Outbox.open(services.settings) as outbox:
        run = run_follows(services.settings, services.searchers.get(), "daily",
                          store=services.follows, outbox=outbox)
    shown = {alert.person.id: sorted(e.id for e in alert.shown) for alert in run.alerts}
    assert all(alert.queued for alert in run.alerts)
    # matched as each follower reads: Thomas is not in the secret CODIR, Yann is
    assert shown == {"p-thomas": ["web-quokka-g-python"],
                     "p-yann": ["web-quokka-g-codir", "web-quokka-g-python"]}
    [thomas] = [alert for alert in run.alerts if alert.person.id == "p-thomas"]
    assert thomas.rendered.data["items"][0]["url"] == f"{PUBLIC_URL}/posts/web-quokka-g-python"


def test_an_address_gets_nothing_until_its_owner_confirms_it(follow_app: Flask) -> None:
    from notify import Outbox, run_follows

    services = follow_app.extensions["quisait"]
    ines = Api(follow_app, "p-ines")
    saved = ines("PUT", "/me/notifications", json={"email": "ines.typo@valtorre.example",
                                                   "channel": "email", "frequency": "daily",
                                                   "paused": False}).get_json()
    assert saved["email_pending"] is True and "email_confirmed" not in saved
    assert ines("POST", "/follows", json={"kind": "search", "target": "wombat"}
                ).status_code == 201
    page = signed_in(follow_app, "p-ines").get("/me/follows").get_data(as_text=True)
    assert 'id="email-pending"' in page and "ines.typo@valtorre.example" in page
    admin = Api(follow_app, "p-nadia")
    assert admin("POST", "/records", json=[{
        "type": "post", "id": "web-wombat-1", "author": "p-karim", "group": "g-python",
        "created": "2026-03-01T10:00:00", "title": "Wombat"}]).status_code == 200

    def alerts() -> dict[str, str]:
        with Outbox.open(services.settings) as outbox:
            run = run_follows(services.settings, services.searchers.get(), "daily",
                              store=services.follows, outbox=outbox, dry_run=True)
        return {alert.person.id: alert.preferences.address for alert in run.alerts}

    assert "p-ines" not in alerts()  # the address is not proved: nothing for it
    # the confirmation itself names the address and the link, and nothing of the network
    link = confirmation_link(follow_app, "p-ines", "ines.typo@valtorre.example")
    with Outbox.open(services.settings) as outbox:
        [message] = [m for m in [outbox.find(
            f"confirm:p-ines:ines.typo@valtorre.example:{_today()}")] if m]
    assert message.payload["items"] == [] and "wombat" not in str(message.payload).lower()
    # a GET (a mail scanner) confirms nothing; a forged or altered token is refused
    client = follow_app.test_client()
    assert client.get(link).status_code == 200 and "p-ines" not in alerts()
    assert client.post(link[:-3] + "abc").status_code == 400
    forged = sign_unsubscribe(SECRET, "p-ines", "ines.typo@valtorre.example")
    assert client.post(f"/confirm-email?token={forged}").status_code == 400
    # she fixes the address before confirming: the old link confirms nothing
    ines("PUT", "/me/notifications", json={"email": "ines@valtorre.example"})
    assert client.post(link).status_code == 404
    confirm_address(follow_app, "p-ines", "ines@valtorre.example")
    assert alerts()["p-ines"] == "ines@valtorre.example"
    assert ines("GET", "/me/notifications").get_json()["email_pending"] is False


def _today() -> str:
    from notify.outbox import utc_now

    return utc_now().date().isoformat()
