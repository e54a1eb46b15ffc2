"""Email through SMTP (the standard library's ``smtplib``), with one-click unsubscribe.

Each email is multipart/alternative (text, then HTML) in the recipient's language, which
the caller has already rendered (``subject``, ``text``, ``html``, ``lang`` in the
message's payload).  Its ``Message-ID`` is derived from the outbox id, so a copy sent
again after a crash (see :mod:`notify.outbox`) is recognisably the same message.

Unsubscribing follows RFC 8058: ``List-Unsubscribe: <{public_url}/unsubscribe?token=...>``
plus ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``; the token names the person
and what they unsubscribe from (``digest``, ``follow:<id>``, ...) and is signed with
HMAC-SHA256 under ``secret_key``.  RFC 8058 also asks for an HTTPS link and a DKIM
signature covering these headers; DKIM is the outgoing mail server's job.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

from core.errors import ConfigError
from core.settings import Settings
from notify.errors import DeliveryError, require_secret_key
from notify.outbox import OutboxMessage, utc_now

logger = logging.getLogger(__name__)

LANGUAGES = ("fr", "en")
EMAIL_FIELDS = ("subject", "text", "html", "lang", "unsubscribe")
_UNSUBSCRIBE_CONTEXT = b"quisait-unsubscribe-v1\n"
_CONFIRM_CONTEXT = b"quisait-confirm-email-v1\n"


@dataclass(frozen=True)
class Unsubscription:
    """What a verified unsubscribe token asks: ``person`` leaves ``target``."""

    person: str
    target: str  # "digest", "follow:<id>", ...


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: str, context: bytes = _UNSUBSCRIBE_CONTEXT) -> bytes:
    return hmac.new(key, context + body.encode("ascii"), hashlib.sha256).digest()


def _sign(secret_key: str, person: str, target: str, context: bytes) -> str:
    if not person or not target or "\n" in person + target:
        raise ValueError("person and target must be non-empty single lines")
    body = _b64(f"{person}\n{target}".encode())
    return f"{body}.{_b64(_mac(require_secret_key(secret_key), body, context))}"


def _verify(secret_key: str, token: str, context: bytes) -> tuple[str, str] | None:
    key = require_secret_key(secret_key)
    body, dot, signature = token.partition(".")
    if not dot or not body.isascii() or not signature.isascii():
        return None
    try:
        expected, given = _mac(key, body, context), _unb64(signature)
        person, newline, target = _unb64(body).decode().partition("\n")
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(expected, given) or not (newline and person and target):
        return None
    if _b64(given) != signature:  # one encoding only: no padding bits flipped to pass
        return None
    return person, target


def sign_unsubscribe(secret_key: str, person: str, target: str) -> str:
    """A compact, URL-safe token ``<person and target>.<HMAC-SHA256>``; no expiry, on
    purpose: a link in an old email must still work."""
    return _sign(secret_key, person, target, _UNSUBSCRIBE_CONTEXT)


def verify_unsubscribe(secret_key: str, token: str) -> Unsubscription | None:
    """The request a token carries, or None if it was not signed with ``secret_key``."""
    found = _verify(secret_key, token, _UNSUBSCRIBE_CONTEXT)
    return Unsubscription(*found) if found else None


def sign_confirmation(secret_key: str, person: str, address: str) -> str:
    """The token of the link that proves ``person`` reads ``address`` (its own HMAC
    context: it is no unsubscribe token, nor the other way round)."""
    return _sign(secret_key, person, address, _CONFIRM_CONTEXT)


def verify_confirmation(secret_key: str, token: str) -> tuple[str, str] | None:
    """(person, address) a confirmation token was signed for, or None."""
    return _verify(secret_key, token, _CONFIRM_CONTEXT)


def confirmation_url(settings: Settings, person: str, address: str) -> str:
    """The link a confirmation email carries."""
    token = sign_confirmation(settings.secret_key, person, address)
    return f"{_require_public_url(settings)}/confirm-email?token={quote(token)}"


def _require_public_url(settings: Settings) -> str:
    if not settings.public_url:
        raise ConfigError("public_url is empty: set it to the address people reach quisait "
                          "at (unsubscribe links point there)")
    return settings.public_url.rstrip("/")


def unsubscribe_url(settings: Settings, person: str, target: str) -> str:
    """The one-click unsubscribe link of ``person`` for ``target``."""
    base = _require_public_url(settings)
    token = sign_unsubscribe(settings.secret_key, person, target)
    return f"{base}/unsubscribe?token={quote(token)}"


def _require_mail_settings(settings: Settings) -> None:
    if not settings.smtp_host:
        raise ConfigError("smtp_host is empty: email is off")
    if not settings.mail_from:
        raise ConfigError("mail_from is empty: set the address emails are sent from")
    require_secret_key(settings.secret_key)
    _require_public_url(settings)


def check_mail_settings(settings: Settings) -> None:
    """Raise ConfigError unless everything sending email needs is set."""
    _require_mail_settings(settings)
    if not settings.public_url.startswith("https://"):
        logger.warning("public_url is not https: RFC 8058 one-click unsubscribe wants https")
    if settings.smtp_user and not settings.smtp_starttls and not _is_loopback(
            settings.smtp_host):
        logger.warning("smtp_user is set without smtp_starttls: the SMTP password would "
                       "cross the network in clear")


def is_single_address(address: str) -> bool:
    """Whether ``address`` is one bare email address (no name, list or header break)."""
    return "@" in address and not any(c.isspace() or c in "<>,;" or not c.isprintable()
                                      for c in address)


def check_email_payload(address: str, payload: Mapping[str, Any]) -> None:
    """Raise ValueError unless ``payload`` holds a rendered email for ``address``."""
    if not is_single_address(address):
        raise ValueError(f"not a single email address: {address!r}")
    missing = [name for name in EMAIL_FIELDS if not isinstance(payload.get(name), str)]
    if missing:
        raise ValueError(f"email payload lacks {', '.join(missing)}")
    if payload["lang"] not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}; got {payload['lang']!r}")


def message_id(settings: Settings, outbox_id: str) -> str:
    """The ``Message-ID`` of an outbox message: the same for every resend."""
    domain = settings.mail_from.rpartition("@")[2].strip(">").strip() or "quisait.invalid"
    return f"<{outbox_id}.outbox@{domain}>"


def build_email(settings: Settings, message: OutboxMessage,
                now: datetime | None = None) -> EmailMessage:
    """The email of an outbox message: headers, text part and HTML alternative."""
    payload = message.payload
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.address
    email["Subject"] = " ".join(str(payload["subject"]).split())  # no folded newlines
    email["Date"] = format_datetime(now or utc_now())
    email["Message-ID"] = message_id(settings, message.id)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    email["List-Unsubscribe"] = (
        f"<{unsubscribe_url(settings, message.recipient, str(payload['unsubscribe']))}>")
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(str(payload["text"]))
    email.add_alternative(str(payload["html"]), subtype="html")
    email["Content-Language"] = str(payload["lang"])  # after: multipart moves content-*
    return email


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def send_email(settings: Settings, message: OutboxMessage,
               tls_context: ssl.SSLContext | None = None, now: datetime | None = None) -> None:
    """Send one outbox email; DeliveryError if the server refuses it or cannot be reached.

    ``tls_context`` (for STARTTLS) defaults to the system's trusted authorities
    (``SSL_CERT_FILE`` names another bundle).
    """
    _require_mail_settings(settings)
    email = build_email(settings, message, now)
    accepted = False
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                          timeout=settings.notify_timeout_seconds) as smtp:
            smtp.ehlo()
            if settings.smtp_starttls:
                smtp.starttls(context=tls_context or ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(email)  # one recipient: refused raises, never returns
            accepted = True
    except (smtplib.SMTPException, OSError) as exc:
        if not accepted:
            raise DeliveryError(f"SMTP {settings.smtp_host}:{settings.smtp_port}: "
                                f"{type(exc).__name__}: {exc}") from exc
        # accepted already: a failed QUIT must not make it a failure, sent again
        logger.warning("email %s accepted, then the SMTP session ended badly: %s",
                       message.id, exc)
    logger.info("email %s sent (%s)", message.id, message.kind)
