"""Queueing notifications, and sending what is due, each through its channel.

``queue_email`` and ``queue_webhook`` check a message before it enters the outbox (a bad
address fails at once, in the caller, not at 3 a.m. in the sender); ``deliver_due``
claims due messages one at a time, sends each, and marks it: a crash loses at most the
claim of the one message in flight, which the next run takes again after its lease.

A message carries the ids of the items it shows (``items``): at the moment of sending, a
``recheck`` hook (:func:`notify.permission_recheck`) reads the recipient and those items
again, and the message goes out re-rendered with what they may still read, or not at all.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.errors import ConfigError
from core.settings import Settings
from notify.errors import DeliveryError, require_secret_key
from notify.mail import check_email_payload, check_mail_settings, send_email
from notify.outbox import Outbox, OutboxMessage
from notify.webhook import check_webhook_payload, send_webhook, webhook_secret

logger = logging.getLogger(__name__)

Sender = Callable[[OutboxMessage], None]


@dataclass(frozen=True)
class Dropped:
    """A recheck's verdict: this message must not go out, for ``reason``."""

    reason: str


# the message to send (perhaps re-rendered), or Dropped (None: dropped, no reason given)
Recheck = Callable[[OutboxMessage], "OutboxMessage | Dropped | None"]


@dataclass(frozen=True)
class DeliveryReport:
    """What one ``deliver_due`` run did."""

    sent: int = 0
    retrying: int = 0  # failed, queued again after a backoff
    dead: int = 0  # failed for the last time: in the dead letters
    dropped: int = 0  # refused by the send-time recheck
    off: tuple[str, ...] = ()  # channels not configured, whose messages wait


def queue_email(outbox: Outbox, *, kind: str, recipient: str, address: str,
                dedupe_key: str, subject: str, text: str, html: str, lang: str,
                unsubscribe: str, items: Sequence[str] = (),
                context: Mapping[str, Any] | None = None, now: datetime | None = None) -> bool:
    """Queue a rendered email; ``unsubscribe`` names what its link leaves ("digest",
    "follow:<id>"), ``items`` the ids of the items it shows (rechecked at send time),
    ``context`` what re-rendering it needs.  False if ``dedupe_key`` was queued before."""
    payload = {"subject": subject, "text": text, "html": html, "lang": lang,
               "unsubscribe": unsubscribe, "items": list(items), "context": dict(context or {})}
    check_email_payload(address, payload)
    return outbox.enqueue(kind, recipient, "email", address, dedupe_key, payload, now)


def queue_webhook(outbox: Outbox, *, kind: str, recipient: str, url: str,
                  dedupe_key: str, text: str, data: Mapping[str, Any] | None = None,
                  format: str = "json", items: Sequence[str] = (),
                  context: Mapping[str, Any] | None = None, now: datetime | None = None) -> bool:
    """Queue a webhook POST (``format`` "json" or "slack"); ``items`` and ``context`` as
    for :func:`queue_email`.  False if ``dedupe_key`` was queued before."""
    payload = {"text": text, "data": dict(data or {}), "format": format, "items": list(items),
               "context": dict(context or {})}
    check_webhook_payload(url, payload)
    return outbox.enqueue(kind, recipient, "webhook", url, dedupe_key, payload, now)


def active_channels(settings: Settings) -> tuple[str, ...]:
    """The channels settings make available: email needs ``smtp_host``."""
    return ("email", "webhook") if settings.smtp_host else ("webhook",)


def _senders(settings: Settings, outbox: Outbox,
             secret_for: Callable[[str], str]) -> dict[str, Sender]:
    return {
        "email": lambda message: send_email(settings, message, now=outbox.clock()),
        "webhook": lambda message: send_webhook(settings, message,
                                                secret_for(message.address), outbox.clock()),
    }


def deliver_due(settings: Settings, outbox: Outbox, now: datetime | None = None, *,
                webhook_secret_for: Callable[[str], str] | None = None,
                limit: int | None = None, recheck: Recheck | None = None) -> DeliveryReport:
    """Send every message due at ``now`` (default: the outbox's clock), at most ``limit``.

    ``recheck`` sees each claimed message just before it is sent and returns it (perhaps
    re-rendered: the row then holds what went out) or :class:`Dropped` (the message ends
    ``dropped``, never sent).  A failed attempt is queued again after a backoff, or goes
    to the dead letters after ``outbox_max_attempts``.  Webhooks are signed with
    ``webhook_secret_for(url)``, by default the secret derived from ``secret_key``
    (:func:`notify.webhook_secret`).  Raises ConfigError, before sending anything, if a
    configured channel lacks a setting (email and the default webhook secrets need
    ``secret_key``: nothing is signed with a key the web app would not verify).
    """
    channels = active_channels(settings)
    if "email" in channels:
        check_mail_settings(settings)
    if webhook_secret_for is None:
        require_secret_key(settings.secret_key)
    senders = _senders(settings, outbox,
                       webhook_secret_for or (lambda url: webhook_secret(settings, url)))
    moment = now or outbox.clock()
    outcomes: Counter[str] = Counter()
    while limit is None or outcomes.total() < limit:
        message = outbox.claim_due(moment, channels)
        if message is None:
            break
        outcomes[_deliver(outbox, senders[message.channel], message, moment, recheck)] += 1
    off = tuple(channel for channel in ("email", "webhook") if channel not in channels)
    return DeliveryReport(sent=outcomes["sent"], retrying=outcomes["queued"],
                          dead=outcomes["dead"], dropped=outcomes["dropped"], off=off)


def _rechecked(outbox: Outbox, message: OutboxMessage,
               recheck: Recheck) -> OutboxMessage | str:
    """The message to send after the recheck, or the outcome when it is not sent."""
    verdict = recheck(message)
    if verdict is None or isinstance(verdict, Dropped):
        outbox.mark_dropped(message, verdict.reason if verdict else "dropped at send time")
        return "dropped"
    if verdict.payload != message.payload and not outbox.rewrite(message, verdict.payload):
        return "lost"  # its claim was lost: the process that holds it now sends it
    return verdict


def _deliver(outbox: Outbox, send: Sender, message: OutboxMessage, moment: datetime,
             recheck: Recheck | None = None) -> str:
    try:
        if recheck is not None:
            checked = _rechecked(outbox, message, recheck)
            if isinstance(checked, str):
                return checked
            message = checked
        send(message)
    except ConfigError:
        outbox.release(message)  # a setting, not the message: do not spend its attempts
        raise
    except DeliveryError as exc:
        logger.info("outbox message %s: attempt %d failed: %s",
                    message.id, message.attempts, exc)
        return outbox.mark_failed(message, str(exc), moment)
    except Exception as exc:  # a bug while building or sending: retried, then dead, never lost
        logger.exception("outbox message %s: attempt %d failed", message.id, message.attempts)
        return outbox.mark_failed(message, f"{type(exc).__name__}: {exc}", moment)
    outbox.mark_sent(message)
    return "sent"
