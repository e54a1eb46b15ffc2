"""Knowledge that reaches people: digests and follow alerts by email and webhook.

Downstream of ``expertise`` (which decides who gets what), beside ``web``: this package
stores each notification in an outbox before sending it (:mod:`notify.outbox`), sends
email over SMTP with one-click unsubscribe (:mod:`notify.mail`) and signed webhooks
(:mod:`notify.webhook`), keeps what people follow and how they want to hear of it
(:mod:`notify.follows`), matches follows against new items as their followers
(:mod:`notify.alerts`, over a :class:`search.Searcher`) and checks every message against
its recipient's permissions again when it is sent (:mod:`notify.recheck`).
"""

from notify.alerts import Alert, FollowRun, follow_cursor, run_follows
from notify.delivery import (
    DeliveryReport,
    Dropped,
    Recheck,
    active_channels,
    deliver_due,
    queue_email,
    queue_webhook,
)
from notify.errors import DeliveryError
from notify.follows import (
    FOLLOW_KINDS,
    FREQUENCIES,
    Follow,
    FollowStore,
    InvalidFollow,
    Preferences,
    default_language,
    follows_path,
)
from notify.mail import (
    Unsubscription,
    build_email,
    send_email,
    sign_unsubscribe,
    unsubscribe_url,
    verify_unsubscribe,
)
from notify.outbox import Outbox, OutboxMessage, outbox_path
from notify.recheck import follow_recheck, permission_recheck
from notify.webhook import send_webhook, sign_webhook, verify_webhook, webhook_secret

__all__ = [
    "FOLLOW_KINDS",
    "FREQUENCIES",
    "Alert",
    "DeliveryError",
    "DeliveryReport",
    "Dropped",
    "Follow",
    "FollowRun",
    "FollowStore",
    "InvalidFollow",
    "Outbox",
    "OutboxMessage",
    "Preferences",
    "Recheck",
    "Unsubscription",
    "active_channels",
    "build_email",
    "default_language",
    "deliver_due",
    "follow_cursor",
    "follow_recheck",
    "follows_path",
    "outbox_path",
    "permission_recheck",
    "queue_email",
    "queue_webhook",
    "run_follows",
    "send_email",
    "send_webhook",
    "sign_unsubscribe",
    "sign_webhook",
    "unsubscribe_url",
    "verify_unsubscribe",
    "verify_webhook",
    "webhook_secret",
]
