"""Knowledge that reaches people: digests and follow alerts by email and webhook.

Downstream of ``expertise`` (which decides who gets what), beside ``web``: this package
stores each notification in an outbox before sending it (:mod:`notify.outbox`), sends
email over SMTP with one-click unsubscribe (:mod:`notify.mail`) and signed webhooks
(:mod:`notify.webhook`).  It imports ``core`` only.
"""

from notify.delivery import (
    DeliveryReport,
    active_channels,
    deliver_due,
    queue_email,
    queue_webhook,
)
from notify.errors import DeliveryError
from notify.mail import (
    Unsubscription,
    build_email,
    send_email,
    sign_unsubscribe,
    unsubscribe_url,
    verify_unsubscribe,
)
from notify.outbox import Outbox, OutboxMessage, outbox_path
from notify.webhook import send_webhook, sign_webhook, verify_webhook, webhook_secret

__all__ = [
    "DeliveryError",
    "DeliveryReport",
    "Outbox",
    "OutboxMessage",
    "Unsubscription",
    "active_channels",
    "build_email",
    "deliver_due",
    "outbox_path",
    "queue_email",
    "queue_webhook",
    "send_email",
    "send_webhook",
    "sign_unsubscribe",
    "sign_webhook",
    "unsubscribe_url",
    "verify_unsubscribe",
    "verify_webhook",
    "webhook_secret",
]
