"""Weekly expert digests through the outbox, delivered to a real SMTP server (aiosmtpd)
on 127.0.0.1: the answerer gets the question and why them, never the asker; a recipient
removed from a group before sending gets nothing of it; a question accepted before
sending leaves the digest; digests opt-out; one message per person and week."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notify import deliver_due, follow_recheck
from notify.digests import digest_renderer, run_digests
from notify.worker import run_tick
from tests.follow_fixtures import NOW, PUBLIC_URL, VAULT, Network, post
from tests.test_notify_canary import received_texts
from tests.test_notify_mail import SmtpRecorder, running_smtp
from tests.test_notify_webhook import Receiver, running_receiver

CANARY = "zorglubcanary"
BODY = "Quarnix calibration drift after the firmware update, how to fix it?"


def history(ident: str, group: str, answerer: str, title: str) -> list[dict[str, Any]]:
    """An old question of the asker, answered (and accepted) by ``answerer``."""
    return [post(ident, title, group, created="2026-01-10T09:00:00", kind="question",
                 body=BODY, accepted_answer=f"{ident}-a"),
            post(f"{ident}-a", "", group, author=answerer, created="2026-01-10T10:00:00",
                 kind="answer", parent=ident, body=f"Recalibrate the quarnix: {BODY}")]


RECORDS = [
    *history("h-ops-bob", "g-ops", "p-bob", "Quarnix calibration in ops"),
    *history("h-ops-anne", "g-ops", "p-anne", "Quarnix firmware drift"),
    *history("h-vault", "g-vault", "p-anne", f"Quarnix calibration {CANARY} vault"),
    # the week's open questions, asked by Xavier
    post("q-ops", "Quarnix calibration drift again", "g-ops", created="2026-02-27T09:00:00",
         kind="question", body=BODY),
    post("q-vault", f"Quarnix {CANARY} calibration", "g-vault",
         created="2026-02-28T09:00:00", kind="question", body=f"{BODY} {CANARY}"),
]


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpRecorder, int]]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def network(tmp_path: Path, smtp: tuple[SmtpRecorder, int]) -> Iterator[Network]:
    net = Network(tmp_path, smtp_host="127.0.0.1", smtp_port=smtp[1],
                  mail_from="quisait@valtorre.example")
    net.push(RECORDS)
    net.searcher.close()
    from search import Searcher

    net.searcher = Searcher.open(net.settings)
    for person in ("p-anne", "p-xavier", "p-dora"):
        net.prefs(person)
    net.prefs("p-bob", lang="en")
    yield net
    net.close()


def digests(net: Network, **options: Any) -> Any:
    return run_digests(net.settings, net.searcher, NOW, store=net.store, outbox=net.outbox,
                       **options)


def deliver(net: Network) -> Any:
    renderer = digest_renderer(net.settings, net.searcher, net.store)
    return deliver_due(net.settings, net.outbox, recheck=follow_recheck(
        net.settings, net.searcher, net.store, net.topics, renderers={"digest": renderer}))


def mails(recorder: SmtpRecorder) -> dict[str, str]:
    """recipient address -> every text of the one email they received."""
    found: dict[str, str] = {}
    for item in recorder.received:
        [address] = item.rcpt_tos
        assert address not in found
        parts = [str(p.get_content()) for p in item.message.walk() if not p.is_multipart()]
        found[address] = "\n".join([str(item.message["Subject"]), *parts])
    return found


def test_a_digest_reaches_the_answerer_with_the_question_and_why_never_the_asker(
        network: Network, smtp: tuple[SmtpRecorder, int]) -> None:
    run = digests(network)
    by_person = {m.person.id: m for m in run.messages}
    assert "p-xavier" not in by_person  # the asker
    anne = by_person["p-anne"]
    assert anne.queued and anne.dedupe_key == "digest:p-anne:2026-W10"
    assert {q.question.id for q in anne.questions} == {"q-ops", "q-vault"}
    queued = network.outbox.find(anne.dedupe_key)
    assert queued is not None and queued.kind == "digest"
    assert {"q-ops", "q-vault", "h-vault-a"} <= set(queued.payload["items"])
    assert queued.payload["unsubscribe"] == "digest"
    assert "p-bob" in by_person and "q-vault" not in {
        q.question.id for q in by_person["p-bob"].questions}  # Bob may not read the vault
    report = deliver(network)
    assert report.sent == len(run.messages) and report.dropped == 0
    received = mails(smtp[0])
    assert "p-xavier@valtorre.example" not in received
    text = received["p-anne@valtorre.example"]
    assert "Quarnix calibration drift again" in text
    assert f"{PUBLIC_URL}/posts/q-ops" in text
    assert "Pourquoi vous" in text and "Quarnix firmware drift" in text  # her evidence
    bob = received["p-bob@valtorre.example"]
    assert "Why you" in bob and CANARY not in bob


def test_a_recipient_removed_from_the_group_before_sending_gets_nothing_of_it(
        network: Network, smtp: tuple[SmtpRecorder, int]) -> None:
    [anne] = [m for m in digests(network).messages if m.person.id == "p-anne"]
    queued = network.outbox.find(anne.dedupe_key)
    assert queued is not None and CANARY in json.dumps(dict(queued.payload))  # it was there
    network.push([{**VAULT, "members": ["p-xavier"]}])  # Anne leaves the vault
    deliver(network)
    texts = received_texts(smtp[0], Receiver())
    assert texts and not any(CANARY in text for text in texts)
    assert "Quarnix calibration drift again" in mails(smtp[0])["p-anne@valtorre.example"]
    final = network.outbox.get(queued.id)
    assert final is not None and final.status == "sent"
    assert "q-vault" not in final.payload["items"] and "h-vault-a" not in final.payload["items"]
    assert CANARY not in json.dumps(dict(final.payload))


def test_a_question_accepted_before_sending_leaves_the_digest(
        network: Network, smtp: tuple[SmtpRecorder, int]) -> None:
    run = digests(network)
    assert any(q.question.id == "q-ops" for m in run.messages for q in m.questions)
    network.push([post("q-ops", "Quarnix calibration drift again", "g-ops",
                       created="2026-02-27T09:00:00", kind="question", body=BODY,
                       accepted_answer="q-ops-a"),
                  post("q-ops-a", "", "g-ops", author="p-bob", created="2026-03-01T09:00:00",
                       kind="answer", parent="q-ops", body="Recalibrate")])
    report = deliver(network)
    received = mails(smtp[0])
    assert not any("Quarnix calibration drift again" in text for text in received.values())
    assert "p-bob@valtorre.example" not in received  # his only question: dropped
    assert report.dropped >= 1
    assert "Quarnix" in received["p-anne@valtorre.example"]  # the vault question is left


def test_people_who_turned_digests_off_get_nothing(
        network: Network, smtp: tuple[SmtpRecorder, int]) -> None:
    network.prefs("p-bob", digests=False)
    run = digests(network)
    assert "p-bob" not in {m.person.id for m in run.messages}
    assert run.skipped.get("digests turned off") == 1
    deliver(network)
    assert "p-bob@valtorre.example" not in mails(smtp[0])
    assert "p-anne@valtorre.example" in mails(smtp[0])


def test_turning_digests_off_after_queueing_drops_the_message(
        network: Network, smtp: tuple[SmtpRecorder, int]) -> None:
    digests(network)
    network.prefs("p-bob", digests=False)
    deliver(network)
    assert "p-bob@valtorre.example" not in mails(smtp[0])


def test_running_twice_in_a_week_queues_once(
        network: Network, smtp: tuple[SmtpRecorder, int]) -> None:
    first = digests(network)
    assert first.messages and all(m.queued for m in first.messages)
    dry = run_digests(network.settings, network.searcher, NOW.replace(day=4),
                      store=network.store, outbox=network.outbox, dry_run=True)
    assert not dry.messages and dry.skipped.get("already queued this week")
    again = digests(network)
    assert not again.messages
    count = network.outbox.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    assert count == len(first.messages)
    deliver(network)
    assert len(smtp[0].received) == len(first.messages)


def test_the_worker_weekly_step_queues_and_delivers_digests(
        network: Network, smtp: tuple[SmtpRecorder, int]) -> None:
    state: dict[str, Any] = {}
    done = run_tick(network.settings, state, clock=lambda: NOW)
    assert done["weekly"] and done["deliver"]
    assert state["runs"]["weekly"]["counts"]["digests"]["queued"] >= 2
    assert "p-anne@valtorre.example" in mails(smtp[0])


def test_html_is_escaped_and_webhooks_carry_the_questions() -> None:
    from notify.digests import DigestQuestion, render_digest
    from notify.render import Entry

    question = Entry("q1", "<script>x</script> & co", "Ops", "Xavier", "2026-03-01",
                     f"{PUBLIC_URL}/posts/q1")
    evidence = Entry("e1", "Réponse : <b>old</b>", "Ops", "Anne", "2026-01-01",
                     f"{PUBLIC_URL}/posts/e1")
    rendered = render_digest([DigestQuestion(question, (evidence,))], "en", PUBLIC_URL,
                             "2026-W10", "https://u.example/x")
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "&lt;b&gt;old&lt;/b&gt;" in rendered.html
    assert "<script>x</script> & co" in rendered.text and "Why you" in rendered.text
    assert "&lt;script&gt;" in rendered.slack
    [data] = rendered.data["questions"]
    assert data["id"] == "q1" and data["why"][0]["id"] == "e1"


def test_a_webhook_digest_goes_out_without_what_became_unreadable(
        network: Network, smtp: tuple[SmtpRecorder, int]) -> None:
    with running_receiver("/hooks/anne") as (receiver, url):
        network.prefs("p-anne", channel="webhook", webhook_url=url, webhook_format="json")
        digests(network)
        network.push([{**VAULT, "members": ["p-xavier"]}])
        deliver(network)
    [hook] = receiver.posts
    body = hook.body.decode("utf-8")
    assert "q-ops" in body and CANARY not in body


def test_quisait_notify_dry_run_prints_digests_and_queues_nothing(
        network: Network, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import notify.digests
    from quisait.cli import cli

    real = notify.digests.run_digests
    monkeypatch.setattr(notify.digests, "run_digests",
                        lambda *args, **kwargs: real(*args, **{**kwargs, "now": NOW}))
    dry = CliRunner().invoke(cli, ["--data-dir", str(network.settings.data_dir), "notify",
                                   "--dry-run"], catch_exceptions=False,
                             env={"QUISAIT_SECRET_KEY": ""})
    assert dry.exit_code == 0, dry.output
    assert "would send: p-anne <p-anne@valtorre.example> by email, expert digest " \
           "2026-W10 (fr)" in dry.output
    assert "  - Quarnix calibration drift again (Ops)" in dry.output
    assert network.queued() == {}
