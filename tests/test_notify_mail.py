"""Notification email through a real SMTP server (aiosmtpd) on 127.0.0.1.

Also home of ``running_smtp``, the recording server the outbox crash tests use.
"""

from __future__ import annotations

import email
import email.policy
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from core.errors import ConfigError
from core.settings import Settings, load_settings
from notify import (
    DeliveryError,
    Outbox,
    Unsubscription,
    deliver_due,
    queue_email,
    send_email,
    sign_unsubscribe,
    verify_unsubscribe,
)
from notify.mail import message_id

SECRET = "test-secret-key-0123456789"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@dataclass
class Received:
    """One message as the server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    authenticated: bool


@dataclass
class SmtpRecorder:
    """aiosmtpd handler keeping every accepted message."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed,
                                      session.ssl is not None, bool(session.authenticated)))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [str(item.message["Message-ID"]) for item in self.received]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_smtp(**smtp_options: Any) -> Iterator[tuple[SmtpRecorder, int]]:
    """A real SMTP server on 127.0.0.1 and a free port, recording what it accepts."""
    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **smtp_options)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def mail_settings(tmp_path: Path, port: int, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data", "smtp_host": "127.0.0.1", "smtp_port": port,
        "mail_from": "quisait@valtorre.example", "public_url": "https://quisait.valtorre.example",
        "secret_key": SECRET, "outbox_retry_seconds": 30.0, "notify_timeout_seconds": 5.0}
    return Settings(**(values | changes))


def queue_digest(outbox: Outbox, person: str = "p-claire", lang: str = "fr",
                 target: str = "digest", **changes: Any) -> str:
    values: dict[str, Any] = {
        "kind": "digest", "recipient": person, "address": f"{person}@valtorre.example",
        "dedupe_key": f"digest:{person}:email:2026-W10", "lang": lang,
        "subject": "Votre résumé de la semaine", "text": "Bonjour Claire,\nTrois réponses.",
        "html": "<p>Bonjour Claire,</p><p>Trois <b>réponses</b>.</p>", "unsubscribe": target}
    values |= changes
    assert queue_email(outbox, **values)
    found = outbox.find(values["dedupe_key"])
    assert found is not None
    return found.id


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpRecorder, int]]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    with Outbox(tmp_path / "outbox.sqlite", retry_seconds=30.0, clock=lambda: START) as box:
        yield box


def unsubscribe_token(message: EmailMessage) -> str:
    header = str(message["List-Unsubscribe"])
    assert header.startswith("<https://quisait.valtorre.example/unsubscribe?token=")
    assert header.endswith(">")
    return parse_qs(urlsplit(header[1:-1]).query)["token"][0]


def test_email_is_multipart_text_and_html_in_the_recipients_language(
        smtp: tuple[SmtpRecorder, int], outbox: Outbox, tmp_path: Path) -> None:
    recorder, port = smtp
    settings = mail_settings(tmp_path, port)
    outbox_id = queue_digest(outbox)
    report = deliver_due(settings, outbox)
    assert report.sent == 1
    [received] = recorder.received
    assert received.mail_from == "quisait@valtorre.example"
    assert received.rcpt_tos == ["p-claire@valtorre.example"]
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain", "text/html"]
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n").strip() == (
        "Bonjour Claire,\nTrois réponses.")
    assert html.get_content().strip() == "<p>Bonjour Claire,</p><p>Trois <b>réponses</b>.</p>"
    assert message["Subject"] == "Votre résumé de la semaine"
    assert message["Content-Language"] == "fr"
    assert message["Message-ID"] == message_id(settings, outbox_id)
    assert outbox_id in message["Message-ID"]
    state = outbox.get(outbox_id)
    assert state is not None and state.status == "sent" and state.sent_at == START


def test_one_click_unsubscribe_headers_carry_a_verifiable_token(
        smtp: tuple[SmtpRecorder, int], outbox: Outbox, tmp_path: Path) -> None:
    recorder, port = smtp
    queue_digest(outbox, person="p-julien", lang="en", target="follow:topic-sap",
                 subject="New answers on SAP", text="Hello", html="<p>Hello</p>")
    deliver_due(mail_settings(tmp_path, port), outbox)
    [received] = recorder.received
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received.message["Content-Language"] == "en"
    token = unsubscribe_token(received.message)
    assert verify_unsubscribe(SECRET, token) == Unsubscription("p-julien", "follow:topic-sap")
    assert verify_unsubscribe("another-key", token) is None


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1:]


def _forged_person() -> str:
    token = sign_unsubscribe(SECRET, "p-claire", "digest")
    forged = sign_unsubscribe(SECRET, "p-nadia", "digest")
    return forged.split(".")[0] + "." + token.split(".")[1]  # Nadia's body, Claire's MAC


@pytest.mark.parametrize("tamper", [
    lambda token: _flip(token, 0),  # the person and target
    lambda token: _flip(token, len(token) - 1),  # the signature
    lambda token: token.split(".")[0],  # no signature at all
    lambda token: token + "A",
    lambda token: token.replace(".", ".."),
    lambda token: "é" + token,
    lambda token: "",
    lambda token: _forged_person(),
])
def test_tampered_unsubscribe_tokens_are_refused(tamper: Any) -> None:
    token = sign_unsubscribe(SECRET, "p-claire", "digest")
    assert verify_unsubscribe(SECRET, token) == Unsubscription("p-claire", "digest")
    assert verify_unsubscribe(SECRET, tamper(token)) is None


def test_sending_without_secret_key_is_a_config_error_and_spends_no_attempt(
        smtp: tuple[SmtpRecorder, int], outbox: Outbox, tmp_path: Path) -> None:
    recorder, port = smtp
    outbox_id = queue_digest(outbox)
    with pytest.raises(ConfigError, match="secret_key"):
        deliver_due(mail_settings(tmp_path, port, secret_key=""), outbox)
    with pytest.raises(ConfigError, match="public_url"):
        deliver_due(mail_settings(tmp_path, port, public_url=""), outbox)
    with pytest.raises(ConfigError, match="secret_key"):
        sign_unsubscribe("", "p-claire", "digest")
    assert recorder.received == []
    state = outbox.get(outbox_id)
    assert state is not None and state.status == "queued" and state.attempts == 0


def test_email_waits_while_smtp_host_is_empty(outbox: Outbox, tmp_path: Path) -> None:
    outbox_id = queue_digest(outbox)
    report = deliver_due(mail_settings(tmp_path, 25, smtp_host=""), outbox)
    assert report.off == ("email",) and report.sent == 0
    state = outbox.get(outbox_id)
    assert state is not None and state.status == "queued" and state.attempts == 0


def test_unreachable_server_is_a_failed_attempt_retried_later(
        outbox: Outbox, tmp_path: Path) -> None:
    outbox_id = queue_digest(outbox)
    report = deliver_due(mail_settings(tmp_path, free_port()), outbox)
    assert report.retrying == 1
    state = outbox.get(outbox_id)
    assert state is not None and state.status == "queued" and state.attempts == 1
    assert "SMTP 127.0.0.1" in state.last_error
    assert state.next_attempt_at == START + timedelta(seconds=30)


def test_newlines_in_a_subject_cannot_add_headers(
        smtp: tuple[SmtpRecorder, int], outbox: Outbox, tmp_path: Path) -> None:
    recorder, port = smtp
    queue_digest(outbox, subject="Résumé\r\nBcc: everyone@valtorre.example")
    deliver_due(mail_settings(tmp_path, port), outbox)
    [received] = recorder.received
    assert received.rcpt_tos == ["p-claire@valtorre.example"]
    assert received.message["Bcc"] is None
    assert received.message["Subject"] == "Résumé Bcc: everyone@valtorre.example"


@pytest.mark.parametrize(("changes", "complaint"), [
    ({"address": "a@valtorre.example, b@valtorre.example"}, "single email address"),
    ({"address": "not-an-address"}, "single email address"),
    ({"lang": "de"}, "lang"),
])
def test_queue_email_refuses_bad_messages(outbox: Outbox, changes: dict[str, str],
                                          complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        queue_digest(outbox, **changes)
    assert outbox.counts()["queued"] == 0


def test_mail_settings_come_from_the_environment_and_the_password_stays_out_of_repr() -> None:
    settings = load_settings(environ={"QUISAIT_SMTP_HOST": "mail.valtorre.example",
                                      "QUISAIT_SMTP_PORT": "587", "QUISAIT_SMTP_STARTTLS": "on",
                                      "QUISAIT_SMTP_PASSWORD": "hunter2"})
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == (
        "mail.valtorre.example", 587, True)
    assert settings.smtp_password == "hunter2"
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize("changes", [{"smtp_port": 0}, {"public_url": "quisait.example"},
                                     {"mail_from": "nobody"}, {"outbox_max_attempts": 0},
                                     {"notify_timeout_seconds": 0.0}])
def test_invalid_notify_settings_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=next(iter(changes))):
        Settings(**changes)


# STARTTLS with a certificate made for the test (cryptography is a dependency of the
# dev tools; without it only the plain path above is tested)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _check_login(server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"quisait", b"hunter2")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls_smtp(tmp_path: Path) -> Iterator[tuple[SmtpRecorder, int, Path]]:
    cert_path, key_path = _self_signed(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_path, key_path)
    with running_smtp(tls_context=server_context, require_starttls=True,
                      authenticator=_check_login, auth_required=True,
                      auth_require_tls=True) as (recorder, port):
        yield recorder, port, cert_path


def test_starttls_then_login_with_the_password_from_the_environment(
        tls_smtp: tuple[SmtpRecorder, int, Path], outbox: Outbox, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    recorder, port, cert_path = tls_smtp
    monkeypatch.chdir(tmp_path)  # no stray quisait.toml
    settings = load_settings(environ={
        "QUISAIT_SMTP_HOST": "127.0.0.1", "QUISAIT_SMTP_PORT": str(port),
        "QUISAIT_SMTP_STARTTLS": "true", "QUISAIT_SMTP_USER": "quisait",
        "QUISAIT_SMTP_PASSWORD": "hunter2", "QUISAIT_MAIL_FROM": "quisait@valtorre.example",
        "QUISAIT_PUBLIC_URL": "https://quisait.valtorre.example",
        "QUISAIT_SECRET_KEY": SECRET})
    outbox_id = queue_digest(outbox)
    message = outbox.claim_due()
    assert message is not None and message.id == outbox_id
    send_email(settings, message, tls_context=ssl.create_default_context(cafile=cert_path))
    [received] = recorder.received
    assert received.tls and received.authenticated


def test_starttls_refuses_a_certificate_nobody_trusts(
        tls_smtp: tuple[SmtpRecorder, int, Path], outbox: Outbox, tmp_path: Path) -> None:
    recorder, port, _ = tls_smtp
    settings = mail_settings(tmp_path, port, smtp_starttls=True, smtp_user="quisait",
                             smtp_password="hunter2")
    queue_digest(outbox)
    message = outbox.claim_due()
    assert message is not None
    with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED|certificate verify"):
        send_email(settings, message)  # the system's authorities do not know this one
    assert recorder.received == []


def test_wrong_password_is_a_failed_attempt(
        tls_smtp: tuple[SmtpRecorder, int, Path], outbox: Outbox, tmp_path: Path) -> None:
    recorder, port, cert_path = tls_smtp
    settings = mail_settings(tmp_path, port, smtp_starttls=True, smtp_user="quisait",
                             smtp_password="wrong")
    queue_digest(outbox)
    message = outbox.claim_due()
    assert message is not None
    with pytest.raises(DeliveryError, match="SMTPAuthenticationError"):
        send_email(settings, message, tls_context=ssl.create_default_context(cafile=cert_path))
    assert recorder.received == []
