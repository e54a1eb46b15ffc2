"""Webhooks: a JSON POST (``urllib.request``), signed so the receiver can trust it.

Headers: ``X-Quisait-Timestamp`` (Unix seconds), ``X-Quisait-Signature:
sha256=<hex>`` = HMAC-SHA256 under the webhook's secret of ``timestamp + "." + body`` (a
receiver that also refuses old timestamps cannot be replayed), and
``X-Quisait-Delivery``: the outbox id, the same on a resend after a crash, so the
receiver can drop a copy.  Two body formats: ``json`` (the message with its data) and
``slack`` (``{"text": ...}``, which Slack and Teams incoming webhooks accept).

Redirects are not followed and any answer but 2xx is a failure, retried by the outbox.
Error messages name the host only: Slack's webhook URLs are secrets themselves.

Anyone may type a webhook URL into their preferences, and the worker POSTs from inside
the network, so a URL must not reach what only the server can reach (the loopback, the
cloud metadata address, the private ranges): the address actually connected to is checked
once the connection is open, before a byte is sent (a name that resolves to a public
address when saved and to 127.0.0.1 when sent is caught too), and refused unless
``webhook_allow_hosts`` lists the host name or a network holding the address (an
internal chat server).  Through a proxy (``https_proxy``) the proxy is what is connected
to, and its egress rules decide.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import http.client
import ipaddress
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


def validate_webhook_url(url: str, allow_hosts: str | None = None) -> str:
    """``url`` if it is an absolute http or https URL, else ValueError.  With
    ``allow_hosts`` (the setting), also refuses a host that is an internal address or
    ``localhost`` and not allowed (names are resolved only when sending)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"a webhook URL must be http:// or https:// with a host; got "
                         f"{parts.scheme or 'no scheme'}")
    if any(c.isspace() for c in url):
        raise ValueError("a webhook URL must not contain spaces or line breaks")
    if allow_hosts is not None:
        host = parts.hostname.rstrip(".").lower()
        internal = host == "localhost" or host.endswith(".localhost")
        try:
            internal = internal or not _public(ipaddress.ip_address(host))
        except ValueError:
            pass  # a name: checked against the address it resolves to when sending
        if internal and not _allowed(host, host, allow_hosts):
            raise ValueError(f"a webhook URL must not point at an internal address ({host}) "
                             "unless webhook_allow_hosts lists it")
    return url


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _allowed(host: str, peer: str, allow_hosts: str) -> bool:
    """Whether ``webhook_allow_hosts`` names ``host`` or holds the address ``peer``."""
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = \
            ipaddress.ip_address(peer.split("%", 1)[0])
    except ValueError:
        address = None  # a name not yet resolved: only its name can allow it
    for entry in (e.strip().lower() for e in allow_hosts.split(",")):
        if not entry:
            continue
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            if entry.rstrip(".") == host.rstrip(".").lower():
                return True
            continue
        if address is not None and address in network:
            return True
    return False


def _check_peer(connection: http.client.HTTPConnection, allow_hosts: str) -> None:
    """Refuse (and close) a connection opened to an internal address not allowed."""
    peer = connection.sock.getpeername()[0] if connection.sock is not None else ""
    try:
        public = _public(ipaddress.ip_address(peer.split("%", 1)[0]))
    except ValueError:
        public = False  # not an IP socket: refused
    if not public and not _allowed(connection.host, peer or "0.0.0.0", allow_hosts):
        connection.close()
        raise DeliveryError(f"webhook {connection.host}: refused, {peer or 'it'} is an "
                            "internal address (webhook_allow_hosts)")


class _GuardedHTTP(http.client.HTTPConnection):
    def __init__(self, *args: Any, allow_hosts: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allow_hosts = allow_hosts

    def connect(self) -> None:
        super().connect()
        _check_peer(self, self.allow_hosts)


class _GuardedHTTPS(http.client.HTTPSConnection):
    def __init__(self, *args: Any, allow_hosts: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allow_hosts = allow_hosts

    def connect(self) -> None:
        super().connect()  # TCP and the TLS handshake: nothing of the message sent yet
        _check_peer(self, self.allow_hosts)


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, allow_hosts: str) -> None:
        super().__init__()
        self.allow_hosts = allow_hosts

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_GuardedHTTP, allow_hosts=self.allow_hosts),
                            req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, allow_hosts: str) -> None:
        super().__init__()
        self.allow_hosts = allow_hosts

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_GuardedHTTPS, allow_hosts=self.allow_hosts),
                            req, context=self._context)  # type: ignore[attr-defined]


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


@functools.lru_cache(maxsize=8)
def _opener(allow_hosts: str) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect(), _GuardedHTTPHandler(allow_hosts),
                                       _GuardedHTTPSHandler(allow_hosts))


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def send_webhook(settings: Settings, message: OutboxMessage, secret: str,
                 now: datetime | None = None) -> None:
    """POST one outbox message; DeliveryError on a non-2xx answer, a timeout or no answer."""
    try:
        url = validate_webhook_url(message.address, settings.webhook_allow_hosts)
    except ValueError as exc:
        raise DeliveryError(str(exc)) from None
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
        opener = _opener(settings.webhook_allow_hosts)
        with opener.open(request, timeout=settings.notify_timeout_seconds) as answer:
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
