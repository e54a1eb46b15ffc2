"""The outbox: every notification is written here before it is sent, and marked after.

``<data_dir>/outbox.sqlite`` (WAL, ``synchronous=FULL``: a queued or sent mark survives a
power cut, not only ``kill -9``) holds one row per message.  A message goes
``queued`` -> ``sending`` (claimed: ``attempts`` + 1, ``claimed_at`` = now) -> ``sent``, or
back to ``queued`` with an exponential backoff after a failure, or ``dead`` after
``max_attempts`` (the dead-letter list, which admins read and requeue), or ``dropped``
when the send-time recheck refuses it (see :func:`notify.deliver_due`), with the reason
in ``last_error``.

Crash safety.  A process killed between claiming and marking leaves the row in
``sending``; once its lease (``lease_seconds`` after the claim) has run out, the next
claim takes it again and sends it again.  Nothing is lost.  What a resend cannot know is
whether the first try got through: if the process died in the instant between the
receiver accepting the message (the SMTP server's 250 after DATA, the webhook's 2xx) and
this row being marked ``sent``, the message is delivered twice.  That window is the
at-least-once part that no outbox can close without the receiver's help, so a resend
carries the same identity: the email's ``Message-ID`` and the webhook's
``X-Quisait-Delivery`` are derived from the outbox id, and receivers (mail stores,
webhook endpoints) can recognise and drop the copy.  A crash anywhere else (before the
claim, after it but before the receiver accepted, after the mark) sends exactly once.

Enqueue is idempotent: ``dedupe_key`` is unique (``digest:p-claire:email:2026-W05``), so
a schedule run twice queues each message once, whatever became of the first.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.settings import Settings
from core.store import open_store
from notify.schema import migrate, transaction

logger = logging.getLogger(__name__)

CHANNELS = ("email", "webhook")
STATUSES = ("queued", "sending", "sent", "dead", "dropped")
MAX_BACKOFF_SECONDS = 86_400.0  # a retry waits a day at most, however many attempts
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock (tests inject their own)."""
    return datetime.now(UTC)


def outbox_path(settings: Settings) -> Path:
    """Where the outbox of a data folder lives."""
    return settings.data_dir / "outbox.sqlite"


@dataclass(frozen=True)
class OutboxMessage:
    """One notification, as the outbox holds it."""

    id: str
    kind: str  # "digest", "follow", ...
    recipient: str  # person id
    channel: str  # "email" or "webhook"
    address: str  # email address or webhook URL
    dedupe_key: str
    payload: Mapping[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created: datetime
    claimed_at: datetime | None = None
    sent_at: datetime | None = None


def _ts(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _moment(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _message(row: sqlite3.Row) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"], kind=row["kind"], recipient=row["recipient"], channel=row["channel"],
        address=row["address"], dedupe_key=row["dedupe_key"],
        payload=json.loads(row["payload"]), status=row["status"], attempts=row["attempts"],
        next_attempt_at=datetime.fromtimestamp(row["next_attempt_at"], UTC),
        last_error=row["last_error"], created=datetime.fromtimestamp(row["created"], UTC),
        claimed_at=_moment(row["claimed_at"]), sent_at=_moment(row["sent_at"]))


class Outbox:
    """The outbox of a data folder.  Safe to share across threads and processes."""

    def __init__(self, path: Path | None, *, max_attempts: int = 6,
                 retry_seconds: float = 60.0, lease_seconds: float = 600.0,
                 clock: Clock = utc_now) -> None:
        self.max_attempts = max_attempts
        self.retry_seconds = retry_seconds
        self.lease_seconds = lease_seconds  # longer than any send can take (timeouts)
        self.clock = clock
        self._lock = threading.Lock()
        self.db = open_store(path, "", private=True)
        self.db.row_factory = sqlite3.Row
        if path is not None:
            self.db.execute("PRAGMA synchronous=FULL")
        self.schema_version = migrate(self.db)

    @classmethod
    def open(cls, settings: Settings, clock: Clock = utc_now,
             lease_seconds: float = 600.0) -> Outbox:
        """The outbox in ``settings.data_dir``, with its retry settings."""
        return cls(outbox_path(settings), max_attempts=settings.outbox_max_attempts,
                   retry_seconds=settings.outbox_retry_seconds,
                   lease_seconds=lease_seconds, clock=clock)

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def enqueue(self, kind: str, recipient: str, channel: str, address: str,
                dedupe_key: str, payload: Mapping[str, Any],
                now: datetime | None = None) -> bool:
        """Queue a message; False (and nothing changes) if ``dedupe_key`` is already there."""
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)}; got {channel!r}")
        for name, value in (("kind", kind), ("recipient", recipient), ("address", address),
                            ("dedupe_key", dedupe_key)):
            if not value:
                raise ValueError(f"{name} must not be empty")
        moment = _ts(now or self.clock())
        body = json.dumps(dict(payload), ensure_ascii=False, sort_keys=True)
        with self._lock:
            cursor = self.db.execute(
                "INSERT INTO messages (id, kind, recipient, channel, address, dedupe_key, "
                "payload, next_attempt_at, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (dedupe_key) DO NOTHING",
                (uuid.uuid4().hex, kind, recipient, channel, address, dedupe_key, body,
                 moment, moment))
        return cursor.rowcount == 1

    def get(self, message_id: str) -> OutboxMessage | None:
        """The message with this id, or None."""
        return self._one("SELECT * FROM messages WHERE id = ?", (message_id,))

    def find(self, dedupe_key: str) -> OutboxMessage | None:
        """The message queued under this dedupe key, or None."""
        return self._one("SELECT * FROM messages WHERE dedupe_key = ?", (dedupe_key,))

    def _one(self, sql: str, params: Sequence[Any]) -> OutboxMessage | None:
        with self._lock:
            row = self.db.execute(sql, params).fetchone()
        return None if row is None else _message(row)

    def claim_due(self, now: datetime | None = None,
                  channels: Iterable[str] = CHANNELS) -> OutboxMessage | None:
        """Claim the next message due on one of ``channels`` (queued -> sending), or None.

        A message left in ``sending`` longer than the lease (its sender died) is due again;
        if it already used every attempt it goes to the dead letters instead.
        """
        moment = _ts(now or self.clock())
        wanted = tuple(channels)
        marks = ",".join("?" * len(wanted))
        stale = moment - self.lease_seconds
        with self._lock, transaction(self.db):
            self._bury_interrupted(stale, wanted)
            row = self.db.execute(
                f"SELECT * FROM messages WHERE channel IN ({marks}) AND ((status = 'queued' "
                "AND next_attempt_at <= ?) OR (status = 'sending' AND claimed_at <= ?)) "
                "ORDER BY next_attempt_at, created, rowid LIMIT 1",
                (*wanted, moment, stale)).fetchone()
            if row is None:
                return None
            error = row["last_error"]
            if row["status"] == "sending":
                error = f"interrupted while sending, attempt {row['attempts']}: sent again"
                logger.warning("outbox message %s was interrupted while sending; sending it "
                               "again under the same id", row["id"])
            claimed = self.db.execute(
                "UPDATE messages SET status = 'sending', claimed_at = ?, "
                "attempts = attempts + 1, last_error = ? WHERE id = ? RETURNING *",
                (moment, error, row["id"])).fetchone()
        return _message(claimed)

    def _bury_interrupted(self, stale: float, channels: tuple[str, ...]) -> None:
        # interrupted at its last attempt: perhaps delivered, perhaps what kills the sender
        self.db.execute(
            "UPDATE messages SET status = 'dead', claimed_at = NULL, last_error = "
            "'interrupted while sending, attempt ' || attempts || ': it may have been "
            "delivered' WHERE status = 'sending' AND claimed_at <= ? AND attempts >= ? "
            f"AND channel IN ({','.join('?' * len(channels))})",
            (stale, self.max_attempts, *channels))

    def mark_sent(self, message: OutboxMessage) -> bool:
        """Record that a claimed message was delivered; False if its claim was lost."""
        return self._finish(message, "status = 'sent', sent_at = ?, claimed_at = NULL",
                            (_ts(self.clock()),))

    def mark_dropped(self, message: OutboxMessage, reason: str) -> bool:
        """Record that a claimed message must not go out at all (``reason`` is kept)."""
        logger.info("outbox message %s dropped: %s", message.id, reason)
        return self._finish(message, "status = 'dropped', claimed_at = NULL, last_error = ?",
                            (reason[:2000],))

    def rewrite(self, message: OutboxMessage, payload: Mapping[str, Any]) -> bool:
        """Replace a claimed message's payload (re-rendered at send time), so that the row
        holds what went out; False if its claim was lost."""
        body = json.dumps(dict(payload), ensure_ascii=False, sort_keys=True)
        with self._lock:
            cursor = self.db.execute(
                "UPDATE messages SET payload = ? WHERE id = ? AND status = 'sending' "
                "AND attempts = ?", (body, message.id, message.attempts))
        return cursor.rowcount == 1

    def mark_failed(self, message: OutboxMessage, error: str,
                    now: datetime | None = None) -> str:
        """Record a failed attempt: queued again after a backoff, or dead; the new status."""
        moment = _ts(now or self.clock())
        if message.attempts >= self.max_attempts:
            status, due = "dead", moment
            logger.warning("outbox message %s is dead after %d attempts: %s",
                           message.id, message.attempts, error)
        else:
            status, due = "queued", moment + self.backoff(message.attempts)
        changed = self._finish(
            message, "status = ?, next_attempt_at = ?, last_error = ?, claimed_at = NULL",
            (status, due, error[:2000]))
        return status if changed else message.status

    def release(self, message: OutboxMessage) -> bool:
        """Give a claimed message back untried (not counted as an attempt)."""
        return self._finish(message, "status = 'queued', attempts = attempts - 1, "
                            "claimed_at = NULL", ())

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failure: base, then doubling, capped."""
        return min(self.retry_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)

    def _finish(self, message: OutboxMessage, assignments: str,
                params: Sequence[Any]) -> bool:
        # the claim is (id, attempts): a message reclaimed by another process since
        # then has more attempts, and this late answer must not overwrite its state
        with self._lock:
            cursor = self.db.execute(
                f"UPDATE messages SET {assignments} WHERE id = ? AND status = 'sending' "
                "AND attempts = ?", (*params, message.id, message.attempts))
        if cursor.rowcount != 1:
            logger.warning("outbox message %s lost its claim before it was marked", message.id)
        return cursor.rowcount == 1

    def dead_letters(self, limit: int = 100) -> list[OutboxMessage]:
        """Messages that used every attempt, newest first, with their last error."""
        with self._lock:
            rows = self.db.execute(
                "SELECT * FROM messages WHERE status = 'dead' "
                "ORDER BY next_attempt_at DESC, rowid DESC LIMIT ?", (limit,)).fetchall()
        return [_message(row) for row in rows]

    def requeue(self, message_id: str, now: datetime | None = None) -> bool:
        """Give a dead message a fresh set of attempts, due now; False if it is not dead."""
        with self._lock:
            cursor = self.db.execute(
                "UPDATE messages SET status = 'queued', attempts = 0, next_attempt_at = ? "
                "WHERE id = ? AND status = 'dead'", (_ts(now or self.clock()), message_id))
        if cursor.rowcount:
            logger.info("outbox message %s requeued", message_id)
        return cursor.rowcount == 1

    def counts(self) -> dict[str, int]:
        """How many messages are in each status."""
        with self._lock:
            rows = self.db.execute(
                "SELECT status, COUNT(*) FROM messages GROUP BY status").fetchall()
        return {status: 0 for status in STATUSES} | {row[0]: row[1] for row in rows}
