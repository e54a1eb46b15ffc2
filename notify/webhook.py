"""Webhooks: a JSON POST (``urllib.request``), signed so the receiver can trust it.

Headers: ``X-Quisait-Timestamp`` (Unix seconds), ``X-Quisait-Signature:
sha256=<hex>`` = HMAC-SHA256 under the webhook's secret of ``timestamp + "." + body`` (a
receiver that also refuses old timestamps cannot be replayed), and
``X-Quisait-Delivery``: the outbox id, the same on a resend after a crash, so the
receiver can drop a copy.  Two body formats: ``json`` (the message with its data) and
``slack`` (``{"text": ...}``, which Slack and Teams incoming webhooks accept).

Redirects are not followed and any answer but 2xx is a failure, retried by the outbox.
Error messages name the host only: Slack's webhook URLs are secrets themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from core.errors import ConfigError
from core.settings import Settings
from notify.errors import DeliveryError, require_secret_key
from notify.outbox import OutboxMessage, utc_now

logger = logging.getLogger(__name__)

FORMATS = ("json", "slack")
_SECRET_CONTEXT = b"quisait-webhook-secret-v1\n"
_MAX_ANSWER_BYTES = 65_536


def validate_webhook_url(url: str) -> str:
    """``url`` if it is an absolute http or https URL, else ValueError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"a webhook URL must be http:// or https:// with a host; got "
                         f"{parts.scheme or 'no scheme'}")
    if any(c.isspace() for c in url):
        raise ValueError("a webhook URL must not contain spaces or line breaks")
    return url


def webhook_secret(settings: Settings, url: str) -> str:
    """The default secret of the webhook at ``url``, derived from ``secret_key``: what an
    admin gives the receiving end so that it can check signatures."""
    return hmac.new(require_secret_key(settings.secret_key), _SECRET_CONTEXT + url.encode(),
                    hashlib.sha256).hexdigest()


def sign_webhook(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Quisait-Signature`` value of ``body`` sent at ``timestamp``."""
    if not secret:
        raise ConfigError("a webhook secret must not be empty")
    signed = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_webhook(secret: str, timestamp: str, body: bytes, signature: str,
                   now: datetime | None = None, tolerance: float = 300.0) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent."""
    try:
        moment = int(timestamp)
    except ValueError:
        return False
    if abs((now or utc_now()).timestamp() - moment) > tolerance:
        return False
    return hmac.compare_digest(sign_webhook(secret, moment, body), signature)


def check_webhook_payload(address: str, payload: Mapping[str, Any]) -> None:
    """Raise ValueError unless ``payload`` is a webhook message for ``address``."""
    validate_webhook_url(address)
    if not isinstance(payload.get("text"), str):
        raise ValueError("webhook payload lacks text")
    if payload.get("format") not in FORMATS:
        raise ValueError(f"webhook format must be one of {', '.join(FORMATS)}; "
                         f"got {payload.get('format')!r}")
    if not isinstance(payload.get("data", {}), Mapping):
        raise ValueError("webhook data must be a JSON object")


def webhook_body(message: OutboxMessage) -> bytes:
    """The JSON body posted for an outbox message, in its webhook's format."""
    payload = message.payload
    if payload["format"] == "slack":
        document: dict[str, Any] = {"text": payload["text"]}
    else:
        document = {"id": message.id, "kind": message.kind, "recipient": message.recipient,
                    "created": message.created.isoformat(), "text": payload["text"],
                    "data": payload.get("data", {})}
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any non-2xx: a failure, never a second POST elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def send_webhook(settings: Settings, message: OutboxMessage, secret: str,
                 now: datetime | None = None) -> None:
    """POST one outbox message; DeliveryError on a non-2xx answer, a timeout or no answer."""
    url = validate_webhook_url(message.address)
    body = webhook_body(message)
    timestamp = int((now or utc_now()).timestamp())
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "quisait-webhook/1",
        "X-Quisait-Timestamp": str(timestamp),
        "X-Quisait-Signature": sign_webhook(secret, timestamp, body),
        "X-Quisait-Delivery": message.id,
    })
    try:
        with _OPENER.open(request, timeout=settings.notify_timeout_seconds) as answer:
            answer.read(_MAX_ANSWER_BYTES)
            status = answer.status
    except urllib.error.HTTPError as exc:
        exc.close()
        raise DeliveryError(f"webhook {_host(url)} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"webhook {_host(url)}: {type(exc).__name__}: {reason}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"webhook {_host(url)} answered HTTP {status}")
    logger.info("webhook %s delivered to %s (%s)", message.id, _host(url), message.kind)
