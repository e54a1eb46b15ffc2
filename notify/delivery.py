"""Queueing notifications, and sending what is due, each through its channel.

``queue_email`` and ``queue_webhook`` check a message before it enters the outbox (a bad
address fails at once, in the caller, not at 3 a.m. in the sender); ``deliver_due``
claims due messages one at a time, sends each, and marks it: a crash loses at most the
claim of the one message in flight, which the next run takes again after its lease.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
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
class DeliveryReport:
    """What one ``deliver_due`` run did."""

    sent: int = 0
    retrying: int = 0  # failed, queued again after a backoff
    dead: int = 0  # failed for the last time: in the dead letters
    off: tuple[str, ...] = ()  # channels not configured, whose messages wait


def queue_email(outbox: Outbox, *, kind: str, recipient: str, address: str,
                dedupe_key: str, subject: str, text: str, html: str, lang: str,
                unsubscribe: str, now: datetime | None = None) -> bool:
    """Queue a rendered email; ``unsubscribe`` names what its link leaves ("digest",
    "follow:<id>").  False if ``dedupe_key`` was queued before."""
    payload = {"subject": subject, "text": text, "html": html, "lang": lang,
               "unsubscribe": unsubscribe}
    check_email_payload(address, payload)
    return outbox.enqueue(kind, recipient, "email", address, dedupe_key, payload, now)


def queue_webhook(outbox: Outbox, *, kind: str, recipient: str, url: str,
                  dedupe_key: str, text: str, data: Mapping[str, Any] | None = None,
                  format: str = "json", now: datetime | None = None) -> bool:
    """Queue a webhook POST (``format`` "json" or "slack"); False if ``dedupe_key`` was
    queued before."""
    payload = {"text": text, "data": dict(data or {}), "format": format}
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
                limit: int | None = None) -> DeliveryReport:
    """Send every message due at ``now`` (default: the outbox's clock), at most ``limit``.

    A failed attempt is queued again after a backoff, or goes to the dead letters after
    ``outbox_max_attempts``.  Webhooks are signed with ``webhook_secret_for(url)``,
    by default the secret derived from ``secret_key`` (:func:`notify.webhook_secret`).
    Raises ConfigError, before sending anything, if a configured channel lacks a setting.
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
        outcomes[_deliver(outbox, senders[message.channel], message, moment)] += 1
    off = tuple(channel for channel in ("email", "webhook") if channel not in channels)
    return DeliveryReport(sent=outcomes["sent"], retrying=outcomes["queued"],
                          dead=outcomes["dead"], off=off)


def _deliver(outbox: Outbox, send: Sender, message: OutboxMessage, moment: datetime) -> str:
    try:
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
