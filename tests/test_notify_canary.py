"""Permissions at send time, tried as an attack: a canary word in a secret group's post
reaches a member's follow alert; the member is removed from the group (or the post is
deleted, or moved to another secret group, or the member leaves); then the outbox is
delivered to a real SMTP server (aiosmtpd) and a real HTTP receiver on 127.0.0.1, and
the canary word is in nothing they received.  Every follow kind, every channel and
format, and a message kind with no renderer (a digest)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from notify import Unsubscription, deliver_due, follow_recheck, queue_email, verify_unsubscribe
from tests.follow_fixtures import SECRET, VAULT, Network, post
from tests.test_notify_mail import SmtpRecorder, running_smtp, unsubscribe_token
from tests.test_notify_webhook import Receiver, running_receiver

CANARY = "zorglubcanary"
CHANNELS = ["email", "webhook-json", "webhook-slack"]
KINDS = {"search": "migration", "topic": "t-migration", "tag": "migration",
         "person": "p-xavier", "group": "g-vault"}


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpRecorder, int]]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    with running_receiver("/hooks/anne") as running:
        yield running


@pytest.fixture
def network(tmp_path: Path, smtp: tuple[SmtpRecorder, int]) -> Iterator[Network]:
    net = Network(tmp_path, smtp_host="127.0.0.1", smtp_port=smtp[1],
                  mail_from="quisait@valtorre.example")
    from expertise import Topic

    net.topics.put(Topic(id="t-migration", name_fr="Migration", name_en="Migration"))
    yield net
    net.close()


def received_texts(recorder: SmtpRecorder, hooks: Receiver) -> list[str]:
    """Everything that arrived, decoded: each email's headers and parts, each POST body."""
    texts = []
    for item in recorder.received:
        message: EmailMessage = item.message
        texts.append("\n".join(f"{k}: {v}" for k, v in message.items()))
        texts += [str(part.get_content()) for part in message.walk()
                  if not part.is_multipart()]
        texts.append(message.as_string())
    texts += [hook.body.decode("utf-8") for hook in hooks.posts]
    return texts


def use_channel(net: Network, person: str, channel: str, url: str) -> None:
    if channel == "email":
        net.prefs(person)
    else:
        net.prefs(person, channel="webhook", webhook_url=url,
                  webhook_format=channel.removeprefix("webhook-"))


def deliver(net: Network) -> Any:
    return deliver_due(net.settings, net.outbox,
                       recheck=follow_recheck(net.settings, net.searcher, net.store,
                                              net.topics))


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_member_removed_from_a_group_gets_nothing_of_it(
        network: Network, smtp: tuple[SmtpRecorder, int], receiver: tuple[Receiver, str],
        kind: str, channel: str) -> None:
    recorder, hooks = smtp[0], receiver[0]
    follow = network.follow("p-anne", kind, KINDS[kind])
    use_channel(network, "p-anne", channel, receiver[1])
    network.push([
        post("n-open", "Migration plan", "g-ops", tags=["migration"]),
        post("n-secret", f"Migration {CANARY}", "g-vault", tags=["migration"],
             body=f"migration {CANARY} budget")])
    [alert] = network.run().alerts
    queued = network.outbox.find(alert.dedupe_key)
    assert queued is not None and CANARY in json.dumps(dict(queued.payload))  # it was there
    network.push([{**VAULT, "members": ["p-xavier"]}])  # Anne leaves the secret group
    report = deliver(network)
    texts = received_texts(recorder, hooks)
    assert not any(CANARY in text for text in texts)
    final = network.outbox.get(queued.id)
    assert final is not None
    if kind == "group":  # every item came from the group she left: nothing goes out
        assert (report.sent, report.dropped, texts) == (0, 1, [])
        assert final.status == "dropped" and "may still read" in final.last_error
        return
    assert (report.sent, report.dropped) == (1, 0) and final.status == "sent"
    assert final.payload["items"] == ["n-open"]  # the row holds what went out
    assert CANARY not in json.dumps(dict(final.payload))
    assert len(recorder.received) + len(hooks.posts) == 1
    assert any("Migration plan" in text for text in texts)
    if channel == "email":  # its one-click link stops this follow
        token = unsubscribe_token(recorder.received[0].message)
        assert verify_unsubscribe(SECRET, token) == Unsubscription("p-anne",
                                                                   f"follow:{follow.id}")


@pytest.mark.parametrize("channel", CHANNELS)
def test_deleted_and_moved_items_are_taken_out_at_send_time(
        network: Network, smtp: tuple[SmtpRecorder, int], receiver: tuple[Receiver, str],
        channel: str) -> None:
    network.follow("p-bob", "search", "migration")
    use_channel(network, "p-bob", channel, receiver[1])
    network.push([post("n-open", "Migration plan", "g-ops"),
                  post("n-moved", f"Migration {CANARY} moved", "g-ops"),
                  post("n-deleted", f"Migration {CANARY} deleted", "g-ops")])
    [alert] = network.run().alerts
    assert {e.id for e in alert.shown} == {"n-open", "n-moved", "n-deleted"}
    network.push([post("n-moved", f"Migration {CANARY} moved", "g-other")])  # now secret
    network.delete("n-deleted")
    report = deliver(network)
    texts = received_texts(smtp[0], receiver[0])
    assert report.sent == 1 and texts
    assert not any(CANARY in text for text in texts)
    assert any("Migration plan" in text for text in texts)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("change", ["departed", "opted_out"])
def test_people_who_leave_or_opt_out_after_queueing_get_nothing(
        network: Network, smtp: tuple[SmtpRecorder, int], receiver: tuple[Receiver, str],
        channel: str, change: str) -> None:
    network.follow("p-anne", "search", "migration")
    use_channel(network, "p-anne", channel, receiver[1])
    network.push([post("n-secret", f"Migration {CANARY}", "g-vault")])
    [alert] = network.run().alerts
    person = {"type": "person", "id": "p-anne", "name": "Anne Martin", "languages": ["fr"]}
    network.push([{**person, "status": "departed"} if change == "departed"
                   else {**person, "opted_out": True}])
    report = deliver(network)
    assert (report.sent, report.dropped) == (0, 1)
    assert received_texts(smtp[0], receiver[0]) == []
    final = network.outbox.find(alert.dedupe_key)
    assert final is not None and final.status == "dropped"


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_guest_never_gets_an_item_from_a_group_they_are_not_invited_to(
        network: Network, smtp: tuple[SmtpRecorder, int], receiver: tuple[Receiver, str],
        channel: str) -> None:
    network.follow("p-gus", "search", "migration")
    use_channel(network, "p-gus", channel, receiver[1])
    network.push([post("n-open", f"Migration {CANARY} open", "g-ops"),  # open: not to guests
                  post("n-secret", f"Migration {CANARY} secret", "g-vault"),
                  post("n-partner", "Migration partner", "g-partner")])
    [alert] = network.run().alerts
    assert [e.id for e in alert.shown] == ["n-partner"]
    queued = network.outbox.find(alert.dedupe_key)
    assert queued is not None and CANARY not in json.dumps(dict(queued.payload))
    assert deliver(network).sent == 1
    texts = received_texts(smtp[0], receiver[0])
    assert any("Migration partner" in text for text in texts)
    assert not any(CANARY in text for text in texts)


def test_a_message_kind_without_a_renderer_goes_out_whole_or_not_at_all(
        network: Network, smtp: tuple[SmtpRecorder, int]) -> None:
    recorder = smtp[0]
    network.push([post("n-open", "Question ouverte", "g-ops"),
                  post("n-secret", f"Question {CANARY}", "g-vault")])
    for week, items in (("W10", ["n-open", "n-secret"]), ("W11", ["n-open"]),
                        ("W12", [])):
        assert queue_email(network.outbox, kind="digest", recipient="p-anne",
                           address="p-anne@valtorre.example", dedupe_key=f"digest:{week}",
                           subject=f"Résumé {week}", text=f"Questions : {' '.join(items)} "
                           f"{CANARY if 'n-secret' in items else ''}", html="<p>…</p>",
                           lang="fr", unsubscribe="digest", items=items)
    network.push([{**VAULT, "members": ["p-xavier"]}])
    report = deliver(network)
    assert (report.sent, report.dropped) == (1, 2)
    [received] = recorder.received
    assert received.message["Subject"] == "Résumé W11"
    assert not any(CANARY in text for text in received_texts(recorder, Receiver()))
    reasons = {m.dedupe_key: m.last_error for m in (
        network.outbox.find(f"digest:{week}") for week in ("W10", "W12")) if m}
    assert "no renderer" in reasons["digest:W10"]
    assert "no item ids" in reasons["digest:W12"]
