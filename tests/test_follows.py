"""Follows: the store, matching new items as the follower, one message per follow and
period, pauses, people who left or opted out, languages and escaping."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import notify.follows
from core.records import Person
from notify import (
    Dropped,
    FollowStore,
    InvalidFollow,
    Preferences,
    default_language,
    follow_cursor,
    follow_recheck,
)
from notify.follows import MIGRATIONS
from tests.follow_fixtures import PUBLIC_URL, VAULT, Network, post


@pytest.fixture
def network(tmp_path: Path) -> Iterator[Network]:
    net = Network(tmp_path)
    yield net
    net.close()


def payload(net: Network, key: str) -> dict:
    message = net.outbox.find(key)
    assert message is not None, key
    return dict(message.payload)


# -- the store ------------------------------------------------------------------------

def test_store_keeps_each_persons_follows_to_themselves(tmp_path: Path) -> None:
    with FollowStore(tmp_path / "follows.sqlite") as store:
        assert store.schema_version == len(MIGRATIONS) == 2
        tag, new = store.add("p-anne", "tag", "  #SAP ", cursor=7)
        assert new and tag.target == "sap" and tag.cursor == 7 and not tag.paused
        again, new = store.add("p-anne", "tag", "sap", cursor=99)
        assert not new and again == tag  # following twice gives the first follow back
        search, _ = store.add("p-anne", "search", "kubernetes   group:g-ops", cursor=7)
        assert search.target == "kubernetes group:g-ops"
        assert [f.id for f in store.follows_of("p-anne")] == [tag.id, search.id]
        assert store.find("p-anne", "tag", "#Sap") == tag
        # another person reaches none of them
        assert store.follows_of("p-bob") == [] and store.get("p-bob", tag.id) is None
        assert store.set_paused("p-bob", tag.id, True, 0) is None
        assert store.drop("p-bob", tag.id) is False
        assert store.get("p-anne", tag.id) == tag
        paused = store.set_paused("p-anne", tag.id, True, cursor=50)
        assert paused is not None and paused.paused and paused.cursor == 7
        resumed = store.set_paused("p-anne", tag.id, False, cursor=50)
        assert resumed is not None and not resumed.paused and resumed.cursor == 50
        assert store.drop("p-anne", tag.id) and store.get("p-anne", tag.id) is None
        for kind, target, field in [("feed", "x", "kind"), ("tag", " # ", "target"),
                                    ("search", "x" * 1001, "target"),
                                    ("group", "g\x00", "target")]:
            with pytest.raises(InvalidFollow) as caught:
                store.add("p-anne", kind, target, 0)
            assert caught.value.field == field
    path = tmp_path / "follows.sqlite"
    assert path.stat().st_mode & 0o777 == 0o600  # it holds addresses
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    db.close()


def test_a_person_has_at_most_so_many_follows(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notify.follows, "MAX_FOLLOWS", 2)
    with FollowStore(None) as store:
        store.add("p-anne", "tag", "a", 0)
        store.add("p-anne", "tag", "b", 0)
        with pytest.raises(InvalidFollow, match="at most 2"):
            store.add("p-anne", "tag", "c", 0)
        store.add("p-bob", "tag", "c", 0)  # per person


def test_preferences_are_checked_and_languages_default_from_the_profile() -> None:
    with FollowStore(None) as store:
        defaults = store.preferences("p-anne")
        assert defaults == Preferences("p-anne") and not defaults.saved
        assert (defaults.channel, defaults.frequency, defaults.address) == ("email", "daily", "")
        for field, value in [("email", "anne"), ("email", "a@b.example, c@d.example"),
                             ("email", "a@b.example\nBcc: x@y.example"),
                             ("webhook_url", "ftp://hooks.example/x"),
                             ("frequency", "hourly"), ("lang", "de"), ("channel", "sms"),
                             ("webhook_format", "xml")]:
            with pytest.raises(InvalidFollow) as caught:
                store.save_preferences(replace(defaults, **{field: value}), 0)
            assert caught.value.field == field
        saved = store.save_preferences(replace(defaults, channel="webhook",
                                               webhook_url="https://hooks.example/k"), 0)
        assert saved.saved and store.preferences("p-anne") == saved
        assert saved.address == "https://hooks.example/k"
    french, english = Person("p-a", "A", languages=("fr",)), Person("p-b", "B", languages=("en",))
    nothing = Person("p-c", "C", languages=("ar",))
    assert default_language(english, "fr") == "en"  # the profile first
    assert default_language(french, "en") == "fr"
    assert default_language(nothing, "en") == "en"  # then the browser
    assert default_language(nothing, None) == "fr" == default_language(None, "de")


# -- matching as the follower ----------------------------------------------------------

NEW_K8S = [post("n-ops", "Kubernetes upgrade", "g-ops"),
           post("n-vault", "Kubernetes vault rotation", "g-vault"),
           post("n-partner", "Kubernetes partner cluster", "g-partner"),
           post("n-python", "Python 3.13", "g-ops"),
           post("n-mine", "Kubernetes notes by Anne", "g-ops", author="p-anne")]


def test_a_saved_search_finds_new_items_as_its_follower_reads_them(network: Network) -> None:
    follows = {name: network.follow(person, "search", query) for name, person, query in [
        ("anne", "p-anne", "kubernetes"), ("bob", "p-bob", "kubernetes"),
        ("gus", "p-gus", "kubernetes"), ("anne-ops", "p-anne", "kubernetes group:g-ops"),
        ("anne-not-ops", "p-anne", "kubernetes -group:g-ops -type:answer")]}
    for person in ("p-anne", "p-bob", "p-gus"):
        network.prefs(person)
    network.push(NEW_K8S)
    run = network.run("daily")
    items = {alert.follow.id: {e.id for e in alert.shown} for alert in run.alerts}
    assert items == {
        follows["anne"].id: {"n-ops", "n-vault", "n-partner"},  # a member of both; not hers
        follows["bob"].id: {"n-ops", "n-mine"},  # the open group only
        follows["gus"].id: {"n-partner"},  # a guest: the group he is invited to, never Ops
        follows["anne-ops"].id: {"n-ops"},  # the saved search's filter holds
        follows["anne-not-ops"].id: {"n-vault", "n-partner"}}
    assert all(alert.queued for alert in run.alerts)
    # what existed before the follows (old-k8s, old-vault) is never sent
    assert not {"old-k8s", "old-vault"} & {i for ids in network.queued().values() for i in ids}
    key = f"follow:{follows['gus'].id}:2026-03-02"
    assert payload(network, key)["items"] == ["n-partner"]
    assert "Kubernetes upgrade" not in json.dumps(payload(network, key))


def test_tags_groups_people_and_topics_are_followed_too(network: Network) -> None:
    follows = [network.follow("p-bob", "tag", "#Helm"),
               network.follow("p-anne", "group", "g-partner"),
               network.follow("p-bob", "person", "p-xavier"),
               network.follow("p-bob", "topic", "t-k8s"),
               network.follow("p-bob", "topic", "t-gone")]
    network.prefs("p-anne")
    network.prefs("p-bob")
    network.push([post("n-helm", "Charts", "g-ops", tags=["helm"]),
                  post("n-helm-vault", "Charts", "g-vault", tags=["helm"]),
                  post("n-partner", "Livraison", "g-partner", author="p-bob"),
                  post("n-k8s", "Cluster kubernetes", "g-ops", author="p-anne"),
                  post("n-x", "Note", "g-ops")])
    shown = {a.follow.id: sorted(e.id for e in a.shown) for a in network.run().alerts}
    assert shown == {follows[0].id: ["n-helm"],  # not the secret group's
                     follows[1].id: ["n-partner"],
                     follows[2].id: ["n-helm", "n-x"],  # Xavier's, readable by Bob
                     follows[3].id: ["n-k8s"]}  # the topic's synonym; t-gone: nothing


def test_each_follow_sends_once_per_period_even_when_run_again(network: Network) -> None:
    follow = network.follow("p-bob", "search", "kubernetes")
    network.prefs("p-bob")
    network.push([post("n-1", "Kubernetes un", "g-ops")])
    assert len(network.run().alerts) == 1
    assert network.run().alerts == ()  # the same day: nothing new, nothing twice
    network.push([post("n-2", "Kubernetes deux", "g-ops")])
    again = network.run()
    assert again.alerts == () and again.skipped == {"already queued for this period": 1}
    network.clock.advance(days=1)
    [tomorrow] = network.run().alerts
    assert [e.id for e in tomorrow.shown] == ["n-2"]
    # a crash after queueing, before the cursor moved: the next run sends nothing twice
    network.push([post("n-3", "Kubernetes trois", "g-ops")])
    network.clock.advance(days=1)
    before = network.store.get("p-bob", follow.id)
    assert before is not None and len(network.run().alerts) == 1
    network.store.db.execute("UPDATE follows SET cursor = ?", (before.cursor,))
    assert network.run().alerts == ()
    assert network.queued()["p-bob"] == ["n-1", "n-2", "n-3"]


def test_immediate_follows_send_at_every_run_with_something_new(network: Network) -> None:
    network.follow("p-bob", "search", "kubernetes")
    network.prefs("p-bob", frequency="immediately")
    for n in range(3):
        network.push([post(f"n-{n}", f"Kubernetes {n}", "g-ops")])
        assert len(network.run("immediately").alerts) == 1
        assert network.run("daily").alerts == ()  # Bob's follows run immediately only
    assert network.queued()["p-bob"] == ["n-0", "n-1", "n-2"]


def test_paused_follows_and_people_get_nothing_and_resume_from_then(network: Network) -> None:
    follow = network.follow("p-bob", "search", "kubernetes")
    network.prefs("p-bob", frequency="immediately")
    network.store.set_paused("p-bob", follow.id, True, follow_cursor(network.searcher))
    network.push([post("n-while-paused", "Kubernetes pendant", "g-ops")])
    assert network.run("immediately").alerts == ()
    network.store.set_paused("p-bob", follow.id, False, follow_cursor(network.searcher))
    assert network.run("immediately").alerts == ()  # what came while paused never comes
    network.prefs("p-bob", paused=True)
    network.push([post("n-all-paused", "Kubernetes pause globale", "g-ops")])
    assert network.run("immediately").alerts == ()
    network.prefs("p-bob", paused=False)
    network.push([post("n-after", "Kubernetes après", "g-ops")])
    [alert] = network.run("immediately").alerts
    assert [e.id for e in alert.shown] == ["n-after"]


def test_people_who_left_or_opted_out_get_nothing(network: Network) -> None:
    dora = network.follow("p-dora", "search", "kubernetes")
    network.follow("p-olga", "search", "kubernetes")
    network.follow("p-anne", "search", "kubernetes")
    for person in ("p-dora", "p-olga", "p-anne"):
        network.prefs(person)
    network.push([post("n-1", "Kubernetes un", "g-vault")])
    assert {a.person.id for a in network.run().alerts} == {"p-dora", "p-anne"}
    # Dora leaves after her alert was queued: it is dropped when it would be sent
    network.push([{"type": "person", "id": "p-dora", "name": "Dora", "status": "departed"}])
    recheck = follow_recheck(network.settings, network.searcher, network.store,
                             network.topics)
    dora_message = network.outbox.find(f"follow:{dora.id}:2026-03-02")
    assert dora_message is not None
    assert recheck(dora_message) == Dropped("the recipient is no longer an active person")
    network.push([post("n-2", "Kubernetes deux", "g-vault")])
    network.clock.advance(days=1)
    run = network.run()
    assert [a.person.id for a in run.alerts] == ["p-anne"]
    assert run.skipped == {"recipient left or opted out": 2}
    assert set(network.queued()) == {"p-dora", "p-anne"}  # Olga: never anything


def test_nothing_goes_to_people_without_an_address_nor_in_a_dry_run(network: Network) -> None:
    follow = network.follow("p-bob", "search", "kubernetes")
    network.push([post("n-1", "Kubernetes un", "g-ops")])
    assert network.run().skipped == {"no address": 1}
    network.prefs("p-bob")
    network.push([post("n-2", "Kubernetes deux", "g-ops")])
    cursor = network.store.get("p-bob", follow.id).cursor  # type: ignore[union-attr]
    dry = network.run(dry_run=True)
    assert [e.id for a in dry.alerts for e in a.shown] == ["n-2"] and not dry.alerts[0].queued
    assert network.queued() == {} and network.store.get("p-bob", follow.id).cursor == cursor  # type: ignore[union-attr]
    assert [e.id for a in network.run().alerts for e in a.shown] == ["n-2"]


def test_messages_come_in_the_recipients_language_and_html_is_escaped(
        network: Network) -> None:
    anne = network.follow("p-anne", "search", "kubernetes")
    bob = network.follow("p-bob", "search", "kubernetes")
    hook = network.follow("p-bob", "tag", "helm")
    network.prefs("p-anne")  # fr, from her profile
    network.prefs("p-bob", lang="en")
    title = 'Kubernetes <img src=x onerror="alert(1)"> & <b>co</b>'
    network.push([post("n-odd", title, "g-ops", tags=["helm"])])
    network.run()
    french, english = (payload(network, f"follow:{f.id}:2026-03-02") for f in (anne, bob))
    assert french["subject"] == "quisait : du nouveau pour « kubernetes »"
    assert french["lang"] == "fr" and "dans Ops, par Xavier Auteur, le 2026-03-01" in french["text"]
    assert english["subject"] == "quisait: new for “kubernetes”" and english["lang"] == "en"
    assert "in Ops, by Xavier Auteur, 2026-03-01" in english["text"]
    for message in (french, english):
        assert title in message["text"] and f"{PUBLIC_URL}/posts/n-odd" in message["text"]
        assert "<img" not in message["html"] and "<b>co" not in message["html"]
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;b&gt;co" in message["html"]
        assert f'<a href="{PUBLIC_URL}/posts/n-odd">' in message["html"]
    # webhooks: JSON data for machines, Slack text escaped (no <!channel>, no <url|x>)
    network.prefs("p-bob", channel="webhook", webhook_url="https://hooks.example/b",
                  webhook_format="slack")
    network.push([post("n-ping", "Helm <!channel> <https://evil.example|here>", "g-ops",
                       tags=["helm"])])
    network.clock.advance(days=1)
    network.run()
    slack = payload(network, f"follow:{hook.id}:2026-03-03")
    assert slack["format"] == "slack" and "<!channel>" not in slack["text"]
    assert "&lt;!channel&gt; &lt;https://evil.example|here&gt;" in slack["text"]
    assert slack["data"]["items"][0] == {
        "id": "n-ping", "title": "Helm <!channel> <https://evil.example|here>",
        "group": "Ops", "author": "Xavier Auteur", "date": "2026-03-01",
        "url": f"{PUBLIC_URL}/posts/n-ping"}


def test_removed_members_queued_alerts_are_rechecked_at_send_time(network: Network) -> None:
    follow = network.follow("p-anne", "search", "kubernetes")
    network.prefs("p-anne")
    network.push([post("n-ops", "Kubernetes ouvert", "g-ops"),
                  post("n-vault", "Kubernetes coffre", "g-vault")])
    network.run()
    message = network.outbox.find(f"follow:{follow.id}:2026-03-02")
    assert message is not None and message.payload["items"] == ["n-vault", "n-ops"]
    network.push([{**VAULT, "members": ["p-xavier"]}])  # Anne leaves the secret group
    recheck = follow_recheck(network.settings, network.searcher, network.store,
                             network.topics)
    checked = recheck(message)
    assert not isinstance(checked, Dropped) and checked is not None
    assert checked.payload["items"] == ["n-ops"]
    assert "coffre" not in json.dumps(dict(checked.payload))
    assert checked.payload["context"] == message.payload["context"]
    network.store.set_paused("p-anne", follow.id, True, 0)
    assert recheck(message) == Dropped("the follow was dropped or paused")


def test_quisait_notify_dry_run_says_what_would_go_out_and_queues_nothing(
        network: Network) -> None:
    from click.testing import CliRunner

    from quisait.cli import cli

    network.follow("p-bob", "search", "kubernetes")
    network.prefs("p-bob", lang="en")
    network.push([post("n-1", "Kubernetes upgrade", "g-ops")])
    folder = str(network.settings.data_dir)
    dry = CliRunner().invoke(cli, ["--data-dir", folder, "notify", "--dry-run"],
                             catch_exceptions=False, env={"QUISAIT_SECRET_KEY": ""})
    assert dry.exit_code == 0, dry.output
    assert ("would send: p-bob <p-bob@valtorre.example> by email, search “kubernetes” "
            "(daily, en), 1 item(s)") in dry.output
    assert "  - Kubernetes upgrade (Ops, Xavier Auteur, 2026-03-01)" in dry.output
    assert network.queued() == {}
    real = CliRunner().invoke(cli, ["--data-dir", folder, "notify", "--frequency", "daily"],
                              catch_exceptions=False, env={"QUISAIT_SECRET_KEY": "k" * 32})
    assert real.exit_code == 0, real.output
    assert "queued: p-bob" in real.output and "waiting, channel off: email" in real.output
    assert network.queued() == {"p-bob": ["n-1"]}
    again = CliRunner().invoke(cli, ["--data-dir", folder, "notify"], catch_exceptions=False,
                               env={"QUISAIT_SECRET_KEY": "k" * 32})
    assert "queued: p-bob" not in again.output and network.queued() == {"p-bob": ["n-1"]}


def test_confirmations_go_out_only_while_the_address_waits_for_one(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from core.settings import Settings
    from notify import Outbox
    from notify.confirm import confirmation_recheck, queue_confirmation
    from notify.delivery import Dropped

    settings = Settings(data_dir=tmp_path, secret_key="s" * 32,
                        public_url="https://quisait.example")
    now = datetime(2026, 12, 7, 9, tzinfo=UTC)
    with FollowStore(tmp_path / "follows.sqlite") as store, Outbox.open(settings) as outbox:
        store.save_preferences(Preferences("p-anne", email="anne@x.example"), 0)
        assert store.preferences("p-anne").address == ""  # not proved yet
        assert queue_confirmation(settings, outbox, "p-anne", "anne@x.example", "en", now)
        assert not queue_confirmation(settings, outbox, "p-anne", "anne@x.example", "en", now)
        message = outbox.claim_due(now)
        assert message is not None and message.kind == "confirm"
        assert "/confirm-email?token=" in message.payload["text"]
        check = confirmation_recheck(store, lambda person: person == "p-anne")
        assert check(message) == message
        assert isinstance(confirmation_recheck(store, lambda person: False)(message), Dropped)
        # a person cannot confirm by saving preferences that say so
        store.save_preferences(Preferences("p-anne", email="anne@x.example",
                                           email_confirmed="anne@x.example"), 0)
        assert store.preferences("p-anne").email_pending
        # changed before it was sent: the old address gets nothing
        store.save_preferences(Preferences("p-anne", email="anne@y.example"), 0)
        assert isinstance(check(message), Dropped)
        assert not store.confirm_email("p-anne", "anne@x.example")
        assert store.confirm_email("p-anne", "anne@y.example")
        assert store.preferences("p-anne").address == "anne@y.example"
        assert isinstance(check(replace(message, address="anne@y.example")), Dropped)


def test_addresses_saved_before_confirmations_existed_keep_working(tmp_path: Path) -> None:
    path = tmp_path / "follows.sqlite"
    db = sqlite3.connect(path)
    MIGRATIONS[0](db)  # a version 1 store, as the previous release left it
    db.execute("INSERT INTO preferences (person, channel, email, frequency, lang, updated) "
               "VALUES ('p-anne', 'email', 'anne@x.example', 'daily', 'fr', 0)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with FollowStore(path) as store:
        assert store.schema_version == 2
        assert store.preferences("p-anne").address == "anne@x.example"
