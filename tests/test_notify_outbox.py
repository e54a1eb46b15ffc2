"""The outbox: idempotent enqueue, claims, backoff, dead letters, schema, and kill -9.

Time is an injected clock; the crash tests kill a real delivering process (SIGKILL) at a
point it announces, and count what a real SMTP server on 127.0.0.1 received.
"""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import notify.schema
from core.errors import ConfigError
from notify import Outbox, deliver_due, queue_email
from notify.outbox import outbox_path
from notify.schema import MIGRATIONS
from tests.conftest import ROOT
from tests.test_notify_mail import SECRET, SmtpRecorder, mail_settings, running_smtp

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class Clock:
    """A clock that moves only when told to."""

    def __init__(self, moment: datetime = START) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> datetime:
        self.moment += timedelta(seconds=seconds)
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(tmp_path: Path, clock: Clock) -> Iterator[Outbox]:
    with Outbox(tmp_path / "outbox.sqlite", max_attempts=3, retry_seconds=10.0,
                lease_seconds=600.0, clock=clock) as box:
        yield box


def enqueue(outbox: Outbox, key: str = "digest:p-claire:email:2026-W10",
            channel: str = "email") -> bool:
    address = "https://hooks.example/x" if channel == "webhook" else "claire@valtorre.example"
    return outbox.enqueue("digest", "p-claire", channel, address, key, {"text": "bonjour"})


def test_enqueue_is_idempotent_even_after_the_message_was_sent(outbox: Outbox) -> None:
    assert enqueue(outbox) is True
    assert enqueue(outbox) is False
    assert outbox.counts()["queued"] == 1
    message = outbox.claim_due()
    assert message is not None and outbox.mark_sent(message)
    assert enqueue(outbox) is False  # the schedule ran again: nothing new
    assert outbox.counts() == {"queued": 0, "sending": 0, "sent": 1, "dead": 0,
                              "dropped": 0}
    assert enqueue(outbox, key="digest:p-claire:email:2026-W11") is True


def test_claim_then_mark_sent(outbox: Outbox, clock: Clock) -> None:
    enqueue(outbox)
    clock.advance(5)
    message = outbox.claim_due()
    assert message is not None
    assert (message.status, message.attempts, message.claimed_at) == ("sending", 1, clock())
    assert message.payload == {"text": "bonjour"}
    assert outbox.claim_due() is None  # claimed: nobody else takes it
    clock.advance(1)
    assert outbox.mark_sent(message)
    stored = outbox.get(message.id)
    assert stored is not None
    assert (stored.status, stored.sent_at, stored.claimed_at) == ("sent", clock(), None)
    assert outbox.claim_due(clock.advance(10_000)) is None


def test_claims_take_due_messages_of_the_wanted_channels_in_order(
        outbox: Outbox, clock: Clock) -> None:
    enqueue(outbox, key="first")
    clock.advance(1)
    enqueue(outbox, key="hook", channel="webhook")
    clock.advance(1)
    enqueue(outbox, key="second")
    assert outbox.claim_due(START - timedelta(seconds=1)) is None  # nothing due yet
    claimed = [outbox.claim_due(channels=("email",)) for _ in range(3)]
    assert [m.dedupe_key if m else None for m in claimed] == ["first", "second", None]
    hook = outbox.claim_due(channels=("webhook",))
    assert hook is not None and hook.dedupe_key == "hook"


def test_two_processes_never_claim_the_same_message(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "outbox.sqlite"
    with Outbox(path, clock=clock) as first, Outbox(path, clock=clock) as second:
        enqueue(first)
        assert first.claim_due() is not None
        assert second.claim_due() is None
        enqueue(second, key="other")
        other = second.claim_due()
        assert other is not None and other.dedupe_key == "other"
        assert first.claim_due() is None


def test_failures_back_off_exponentially_then_go_to_the_dead_letters(
        outbox: Outbox, clock: Clock) -> None:
    enqueue(outbox)
    waits = []
    for attempt in (1, 2, 3):
        message = outbox.claim_due()
        assert message is not None and message.attempts == attempt
        status = outbox.mark_failed(message, f"HTTP 500 (try {attempt})")
        stored = outbox.get(message.id)
        assert stored is not None and stored.status == status
        if status == "queued":
            waits.append((stored.next_attempt_at - clock()).total_seconds())
            clock.advance(waits[-1] - 0.5)
            assert outbox.claim_due() is None  # not yet
            clock.advance(0.5)
    assert waits == [10.0, 20.0]
    assert status == "dead"
    [dead] = outbox.dead_letters()
    assert (dead.id, dead.attempts, dead.last_error) == (message.id, 3, "HTTP 500 (try 3)")
    assert outbox.claim_due(clock.advance(86_400 * 30)) is None


def test_requeue_gives_a_dead_message_fresh_attempts(outbox: Outbox, clock: Clock) -> None:
    enqueue(outbox)
    for _ in range(3):
        message = outbox.claim_due(clock.advance(3600))
        assert message is not None
        outbox.mark_failed(message, "refused")
    [dead] = outbox.dead_letters()
    assert outbox.requeue(dead.id) is True
    assert outbox.requeue(dead.id) is False  # no longer dead
    assert outbox.dead_letters() == []
    again = outbox.claim_due()
    assert again is not None and again.id == dead.id and again.attempts == 1
    assert again.last_error == "refused"  # kept for the admin's history
    assert outbox.requeue(again.id) is False  # only dead messages are requeued


def test_backoff_doubles_and_is_capped_at_a_day(outbox: Outbox) -> None:
    assert [outbox.backoff(n) for n in (1, 2, 3, 4)] == [10.0, 20.0, 40.0, 80.0]
    assert outbox.backoff(40) == 86_400.0


def test_a_message_left_sending_is_claimed_again_once_its_lease_runs_out(
        outbox: Outbox, clock: Clock) -> None:
    enqueue(outbox)
    first = outbox.claim_due()
    assert first is not None  # ... and its sender dies
    assert outbox.claim_due(clock.advance(599)) is None  # maybe still at work
    second = outbox.claim_due(clock.advance(1))
    assert second is not None and second.id == first.id and second.attempts == 2
    assert "interrupted while sending" in second.last_error
    assert outbox.mark_sent(first) is False  # a late answer from the old claim changes nothing
    assert outbox.mark_failed(first, "late") == "sending"
    assert outbox.mark_sent(second) is True
    stored = outbox.get(first.id)
    assert stored is not None and stored.status == "sent"


def test_a_message_interrupted_at_its_last_attempt_goes_dead(
        outbox: Outbox, clock: Clock) -> None:
    enqueue(outbox)
    for _ in range(3):  # each attempt dies mid-send (the message crashes its sender?)
        assert outbox.claim_due(clock.advance(601)) is not None
    assert outbox.claim_due(clock.advance(601)) is None
    [dead] = outbox.dead_letters()
    assert "interrupted while sending, attempt 3" in dead.last_error


def test_enqueue_refuses_unknown_channels_and_empty_keys(outbox: Outbox) -> None:
    with pytest.raises(ValueError, match="channel"):
        outbox.enqueue("digest", "p-claire", "sms", "+33", "k", {})
    with pytest.raises(ValueError, match="dedupe_key"):
        outbox.enqueue("digest", "p-claire", "email", "c@valtorre.example", "", {})
    assert sum(outbox.counts().values()) == 0


def test_outbox_file_is_wal_private_and_at_the_current_schema(tmp_path: Path) -> None:
    settings = mail_settings(tmp_path, 25)
    with Outbox.open(settings) as box:
        assert box.schema_version == len(MIGRATIONS) == 2
    path = outbox_path(settings)
    assert path == settings.data_dir / "outbox.sqlite"
    assert path.stat().st_mode & 0o777 == 0o600  # it holds people's addresses
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    db.close()


def test_opening_an_older_outbox_migrates_it_forward_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    path = tmp_path / "outbox.sqlite"
    with Outbox(path, clock=clock) as old:
        enqueue(old)
    runs = []

    def add_priority(db: sqlite3.Connection) -> None:
        runs.append(1)
        db.execute("ALTER TABLE messages ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")

    monkeypatch.setattr(notify.schema, "MIGRATIONS", [*MIGRATIONS, add_priority])
    with Outbox(path, clock=clock) as new:
        assert new.schema_version == len(MIGRATIONS) + 1
        assert [tuple(row) for row in new.db.execute("SELECT priority FROM messages")] == [(0,)]
        message = new.claim_due()
        assert message is not None and message.dedupe_key == "digest:p-claire:email:2026-W10"
    with Outbox(path, clock=clock) as again:
        assert again.schema_version == len(MIGRATIONS) + 1
    assert runs == [1]


def test_a_version_1_outbox_keeps_its_messages_and_learns_the_dropped_status(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    path = tmp_path / "outbox.sqlite"
    monkeypatch.setattr(notify.schema, "MIGRATIONS", MIGRATIONS[:1])
    with Outbox(path, clock=clock) as old:
        enqueue(old)
        enqueue(old, key="digest:p-claire:email:2026-W11")
        with pytest.raises(sqlite3.IntegrityError):  # version 1 knows no 'dropped'
            old.db.execute("UPDATE messages SET status = 'dropped'")
    monkeypatch.setattr(notify.schema, "MIGRATIONS", MIGRATIONS)
    with Outbox(path, clock=clock) as new:
        assert new.schema_version == 2
        assert new.counts()["queued"] == 2
        message = new.claim_due()
        assert message is not None and message.dedupe_key == "digest:p-claire:email:2026-W10"
        assert new.mark_dropped(message, "the recipient left")
        dropped = new.get(message.id)
        assert dropped is not None and dropped.status == "dropped"
        assert dropped.last_error == "the recipient left"
        assert new.claim_due() is not None and new.claim_due() is None  # never claimed again
        assert [row[0] for row in new.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'messages_due'")]


def test_an_outbox_from_a_newer_quisait_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    Outbox(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(ConfigError, match="schema version 99"):
        Outbox(path)


# kill -9 in the middle of a delivery run, against a real SMTP server

CHILD = textwrap.dedent("""
    import sys
    import notify.delivery as delivery
    from core.settings import load_settings
    from notify import Outbox, deliver_due

    pause_at, phase = int(sys.argv[1]), sys.argv[2]
    real_send, sends = delivery.send_email, []

    def pause(message):
        print("paused", message.id, flush=True)
        sys.stdin.read()  # until killed

    def send(settings, message, **options):
        sends.append(message.id)
        if len(sends) == pause_at and phase == "claimed":
            pause(message)
        real_send(settings, message, **options)
        if len(sends) == pause_at and phase == "accepted":
            pause(message)

    delivery.send_email = send
    settings = load_settings()
    with Outbox.open(settings) as outbox:
        deliver_due(settings, outbox)
    print("finished", flush=True)
""")


def kill_delivery_when_paused(tmp_path: Path, port: int, pause_at: int, phase: str) -> str:
    """Run deliver_due in a child process, SIGKILL it where it pauses; the outbox id."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QUISAIT_DATA_DIR": str(tmp_path / "data"),
           "QUISAIT_SMTP_HOST": "127.0.0.1", "QUISAIT_SMTP_PORT": str(port),
           "QUISAIT_MAIL_FROM": "quisait@valtorre.example", "QUISAIT_SECRET_KEY": SECRET,
           "QUISAIT_PUBLIC_URL": "https://quisait.valtorre.example"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(pause_at), phase], env=env,
                             cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stderr is not None
        ready, _, _ = select.select([child.stdout], [], [], 60)
        assert ready, "the child never paused"
        line = child.stdout.readline().split()
        assert line[:1] == ["paused"], f"child said {line}: {child.stderr.read()}"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    return line[1]


def queue_three(settings: Any) -> list[str]:
    with Outbox.open(settings) as box:
        for person in ("p-anne", "p-bruno", "p-claire"):
            queue_email(box, kind="digest", recipient=person,
                        address=f"{person}@valtorre.example",
                        dedupe_key=f"digest:{person}:email:2026-W10", subject="Résumé",
                        text="texte", html="<p>html</p>", lang="fr", unsubscribe="digest")
        return [m.id for m in (box.find(f"digest:{p}:email:2026-W10")
                               for p in ("p-anne", "p-bruno", "p-claire")) if m]


def restart(settings: Any, seconds_later: float) -> tuple[int, dict[str, int]]:
    later = datetime.now(UTC) + timedelta(seconds=seconds_later)
    with Outbox.open(settings, clock=lambda: later) as box:
        return deliver_due(settings, box).sent, box.counts()


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpRecorder, int]]:
    with running_smtp() as server:
        yield server


def test_killed_after_claiming_then_restarted_each_message_is_sent_exactly_once(
        tmp_path: Path, smtp: tuple[SmtpRecorder, int]) -> None:
    recorder, port = smtp
    settings = mail_settings(tmp_path, port)
    ids = queue_three(settings)
    stuck = kill_delivery_when_paused(tmp_path, port, pause_at=2, phase="claimed")
    assert stuck == ids[1]
    assert [r.rcpt_tos for r in recorder.received] == [["p-anne@valtorre.example"]]
    # restarted at once: the stuck claim may belong to a live sender, so it waits
    assert restart(settings, 0) == (1, {"queued": 0, "sending": 1, "sent": 2, "dead": 0,
                                        "dropped": 0})
    # after the lease: examined again and sent
    assert restart(settings, 601) == (1, {"queued": 0, "sending": 0, "sent": 3, "dead": 0,
                                          "dropped": 0})
    assert sorted(r.rcpt_tos[0] for r in recorder.received) == [
        "p-anne@valtorre.example", "p-bruno@valtorre.example", "p-claire@valtorre.example"]
    assert len(set(recorder.message_ids())) == 3


def test_killed_after_the_server_accepted_the_resend_carries_the_same_message_id(
        tmp_path: Path, smtp: tuple[SmtpRecorder, int]) -> None:
    # the documented at-least-once window: accepted by the server, not yet marked sent
    recorder, port = smtp
    settings = mail_settings(tmp_path, port)
    ids = queue_three(settings)
    stuck = kill_delivery_when_paused(tmp_path, port, pause_at=1, phase="accepted")
    assert stuck == ids[0] and len(recorder.received) == 1
    assert restart(settings, 601) == (3, {"queued": 0, "sending": 0, "sent": 3, "dead": 0,
                                          "dropped": 0})
    first, resent = (r.message["Message-ID"] for r in recorder.received
                     if r.rcpt_tos == ["p-anne@valtorre.example"])
    assert first == resent and ids[0] in first  # a receiver can drop the copy
    assert len(recorder.received) == 4
    with Outbox.open(settings) as box:
        message = box.get(ids[0])
        assert message is not None and message.attempts == 2
        assert "interrupted while sending" in message.last_error
