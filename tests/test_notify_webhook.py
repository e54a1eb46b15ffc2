"""Webhooks against a real ``ThreadingHTTPServer`` on 127.0.0.1: signatures, formats,
failures retried then dead."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from core.errors import ConfigError
from core.settings import Settings
from notify import (
    DeliveryError,
    Outbox,
    deliver_due,
    queue_webhook,
    send_webhook,
    sign_webhook,
    verify_webhook,
    webhook_secret,
)
from notify.webhook import validate_webhook_url

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the test server answers, and what it was sent."""

    status: int = 200
    location: str = ""
    hold: threading.Event | None = None  # set: answer only once the test releases it
    posts: list[Post] = field(default_factory=list)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver = Receiver()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (the timeout test) is no error here


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        receiver: Receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        receiver.posts.append(Post(self.path, dict(self.headers.items()), body))
        if receiver.hold is not None:
            receiver.hold.wait(10)
        self.send_response(receiver.status)
        if receiver.location:
            self.send_header("Location", receiver.location)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST  # a followed redirect would arrive as a GET: record it too

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def running_receiver(path: str) -> Iterator[tuple[Receiver, str]]:
    """A webhook receiver on 127.0.0.1 and a free port, and the URL of ``path`` on it."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server.receiver, f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    with running_receiver("/hooks/km") as running:
        yield running


class Clock:
    def __init__(self) -> None:
        self.moment = START

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # the receivers listen on the loopback, which webhooks refuse unless allowed
    return Settings(data_dir=tmp_path / "data", secret_key="k" * 32, outbox_max_attempts=3,
                    outbox_retry_seconds=5.0, notify_timeout_seconds=5.0,
                    webhook_allow_hosts="127.0.0.1")


@pytest.fixture
def outbox(settings: Settings, clock: Clock) -> Iterator[Outbox]:
    with Outbox.open(settings, clock=clock) as box:
        yield box


def queue(outbox: Outbox, url: str, format: str = "json", key: str = "follow:p-km:x") -> str:
    assert queue_webhook(outbox, kind="follow", recipient="p-km", url=url, dedupe_key=key,
                         text="Nouvelle réponse sur « SAP FI »",
                         data={"item": "post-0170", "topic": "sap"}, format=format)
    message = outbox.find(key)
    assert message is not None
    return message.id


def test_json_webhook_is_signed_over_timestamp_and_body(
        receiver: tuple[Receiver, str], outbox: Outbox, settings: Settings) -> None:
    server, url = receiver
    outbox_id = queue(outbox, url)
    assert deliver_due(settings, outbox).sent == 1
    [post] = server.posts
    assert post.path == "/hooks/km"
    assert post.headers["Content-Type"].startswith("application/json")
    document = json.loads(post.body)
    assert document == {"id": outbox_id, "kind": "follow", "recipient": "p-km",
                        "created": START.isoformat(), "text": "Nouvelle réponse sur « SAP FI »",
                        "data": {"item": "post-0170", "topic": "sap"}}
    assert post.headers["X-Quisait-Delivery"] == outbox_id
    timestamp = post.headers["X-Quisait-Timestamp"]
    assert timestamp == str(int(START.timestamp()))
    signature = post.headers["X-Quisait-Signature"]
    secret = webhook_secret(settings, url)
    assert signature == sign_webhook(secret, int(timestamp), post.body)
    assert verify_webhook(secret, timestamp, post.body, signature, now=START)
    assert not verify_webhook(secret, timestamp, post.body + b" ", signature, now=START)
    assert not verify_webhook("other-secret", timestamp, post.body, signature, now=START)
    assert not verify_webhook(secret, str(int(timestamp) + 1), post.body, signature, now=START)
    replayed_later = START + timedelta(minutes=10)
    assert not verify_webhook(secret, timestamp, post.body, signature, now=replayed_later)
    stored = outbox.get(outbox_id)
    assert stored is not None and stored.status == "sent"


def test_each_webhook_has_its_own_secret(settings: Settings) -> None:
    first = webhook_secret(settings, "https://hooks.example/a")
    assert first != webhook_secret(settings, "https://hooks.example/b")
    assert first != webhook_secret(settings.replace(secret_key="j" * 32),
                                   "https://hooks.example/a")
    with pytest.raises(ConfigError, match="secret_key"):
        webhook_secret(settings.replace(secret_key=""), "https://hooks.example/a")


def test_slack_format_posts_only_text_and_a_given_secret_signs_it(
        receiver: tuple[Receiver, str], outbox: Outbox, settings: Settings) -> None:
    server, url = receiver
    queue(outbox, url, format="slack")
    report = deliver_due(settings.replace(secret_key=""), outbox,
                         webhook_secret_for=lambda address: "registered-secret")
    assert report.sent == 1
    [post] = server.posts
    assert json.loads(post.body) == {"text": "Nouvelle réponse sur « SAP FI »"}
    assert verify_webhook("registered-secret", post.headers["X-Quisait-Timestamp"], post.body,
                          post.headers["X-Quisait-Signature"], now=START)


def test_a_failing_receiver_is_retried_with_backoff_then_dead_then_requeued(
        receiver: tuple[Receiver, str], outbox: Outbox, settings: Settings,
        clock: Clock) -> None:
    server, url = receiver
    server.status = 500
    outbox_id = queue(outbox, url)
    assert deliver_due(settings, outbox).retrying == 1
    assert deliver_due(settings, outbox).retrying == 0  # not due again yet
    assert len(server.posts) == 1
    for wait, outcome in ((5, "retrying"), (10, "dead")):
        clock.moment += timedelta(seconds=wait - 1)
        assert deliver_due(settings, outbox).retrying == 0
        clock.moment += timedelta(seconds=1)
        assert getattr(deliver_due(settings, outbox), outcome) == 1
    assert len(server.posts) == 3
    [dead] = outbox.dead_letters()
    assert dead.id == outbox_id and "HTTP 500" in dead.last_error
    assert "/hooks/km" not in dead.last_error  # the host only: such URLs are secrets
    server.status = 204
    assert outbox.requeue(outbox_id)
    assert deliver_due(settings, outbox).sent == 1
    assert len(server.posts) == 4


def test_a_redirect_is_a_failure_and_is_not_followed(
        receiver: tuple[Receiver, str], outbox: Outbox, settings: Settings) -> None:
    server, url = receiver
    server.status, server.location = 302, url + "/elsewhere"
    outbox_id = queue(outbox, url)
    assert deliver_due(settings, outbox).retrying == 1
    assert [post.path for post in server.posts] == ["/hooks/km"]
    stored = outbox.get(outbox_id)
    assert stored is not None and "HTTP 302" in stored.last_error


def test_a_receiver_that_does_not_answer_times_out(
        receiver: tuple[Receiver, str], outbox: Outbox, settings: Settings) -> None:
    server, url = receiver
    server.hold = threading.Event()
    queue(outbox, url)
    message = outbox.claim_due()
    assert message is not None
    try:
        with pytest.raises(DeliveryError, match="timed out"):
            send_webhook(settings.replace(notify_timeout_seconds=0.2), message, "secret")
    finally:
        server.hold.set()


def test_a_closed_port_is_a_failed_attempt(outbox: Outbox, settings: Settings) -> None:
    outbox_id = queue(outbox, "http://127.0.0.1:9/nothing")  # the discard port: closed
    assert deliver_due(settings, outbox).retrying == 1
    stored = outbox.get(outbox_id)
    assert stored is not None and "127.0.0.1:9" in stored.last_error


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://hooks.example/x",
                                 "javascript:alert(1)", "hooks.example/x", "http:///x",
                                 "https://hooks.example/a b"])
def test_only_http_and_https_urls_are_accepted(outbox: Outbox, url: str) -> None:
    with pytest.raises(ValueError, match="webhook URL"):
        queue(outbox, url)
    assert outbox.counts()["queued"] == 0


def test_unknown_format_is_refused(outbox: Outbox) -> None:
    with pytest.raises(ValueError, match="format"):
        queue(outbox, "https://hooks.example/x", format="xml")


def test_limit_bounds_one_run_and_the_rest_waits_for_the_next(
        receiver: tuple[Receiver, str], outbox: Outbox, settings: Settings) -> None:
    server, url = receiver
    for n in range(3):
        queue(outbox, url, key=f"follow:p-km:{n}")
    assert deliver_due(settings, outbox, limit=2).sent == 2
    assert outbox.counts()["queued"] == 1
    assert deliver_due(settings, outbox).sent == 1
    assert len(server.posts) == 3


def test_a_missing_secret_stops_the_run_without_spending_the_attempt(
        receiver: tuple[Receiver, str], outbox: Outbox, settings: Settings) -> None:
    server, url = receiver
    outbox_id = queue(outbox, url)
    with pytest.raises(ConfigError, match="secret"):
        deliver_due(settings, outbox, webhook_secret_for=lambda address: "")
    with pytest.raises(ConfigError, match="secret_key"):
        deliver_due(settings.replace(secret_key=""), outbox)
    assert server.posts == []
    stored = outbox.get(outbox_id)
    assert stored is not None and (stored.status, stored.attempts) == ("queued", 0)


# -- what a webhook URL may reach (webhook_allow_hosts) ----------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://localhost/x",
                                 "http://169.254.169.254/latest/meta-data",
                                 "http://10.1.2.3/hook", "http://[::1]/x",
                                 "http://[::ffff:127.0.0.1]/x", "http://0.0.0.0/x"])
def test_internal_addresses_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(ValueError, match="internal address"):
        validate_webhook_url(url, "")
    allowed = "localhost,127.0.0.0/8,::1,169.254.0.0/16,10.0.0.0/8,0.0.0.0/32,::ffff:0:0/96"
    assert validate_webhook_url(url, allowed) == url
    assert validate_webhook_url("https://hooks.slack.com/services/T0/B0/x", "")  # public name


def test_a_loopback_receiver_gets_nothing_by_default(
        receiver: tuple[Receiver, str], outbox: Outbox, settings: Settings) -> None:
    server, url = receiver
    queue(outbox, url)
    report = deliver_due(settings.replace(webhook_allow_hosts=""), outbox)
    assert report.sent == 0 and server.posts == []
    stored = outbox.dead_letters() or [m for m in [outbox.find("follow:p-km:x")] if m]
    assert stored and "internal address" in stored[0].last_error


def test_a_public_name_that_resolves_to_the_loopback_is_refused_on_the_connection(
        receiver: tuple[Receiver, str], outbox: Outbox, settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name passed when it was saved; the address connected to when
    sending is the loopback, and nothing is sent to it."""
    import http.client
    import socket

    server, url = receiver
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
    real = socket.create_connection

    def resolve_to_loopback(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        host, _ = address
        return real(("127.0.0.1", port) if host == "hooks.example" else address,
                    *args, **kwargs)

    monkeypatch.setattr(http.client.socket, "create_connection", resolve_to_loopback)
    message_url = f"http://hooks.example:{port}/hooks/km"
    outbox_id = queue(outbox, message_url)
    message = outbox.find("follow:p-km:x")
    assert message is not None and message.id == outbox_id
    with pytest.raises(DeliveryError, match="refused, 127.0.0.1 is an internal address"):
        send_webhook(settings.replace(webhook_allow_hosts=""), message, "secret")
    assert server.posts == []
    # allowed by its name, or by a network holding the address, it goes through
    send_webhook(settings.replace(webhook_allow_hosts="hooks.example"), message, "secret")
    send_webhook(settings.replace(webhook_allow_hosts="127.0.0.0/8"), message, "secret")
    assert len(server.posts) == 2


def test_a_bad_allow_list_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="webhook_allow_hosts"):
        Settings(data_dir=tmp_path, webhook_allow_hosts="10.0.0.0/33")
    assert Settings(data_dir=tmp_path, webhook_allow_hosts=" chat.corp.local , 10.2.0.0/16")
