"""The operations view (admins): the worker's last runs, the notification outbox with its
dead letters (and requeueing them), and the feeds with their failures.

What ``quisait status``, ``quisait outbox status`` and ``quisait feeds list`` show an
operator at the shell, shown to admins on ``/admin/operations`` and through
``GET /api/v1/admin/operations``.  It names no content: a dead letter shows its kind,
recipient, channel, attempts and last error (errors name a host, never a webhook URL,
which can carry a secret, nor the message's subject); a feed fed into a group the admin
may not see shows no group.  Stores that were never created are reported as absent and
never created here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from flask import current_app, jsonify, redirect, render_template, url_for

from core.settings import Settings
from indexer.feeds import FeedStore
from indexer.feeds import store_path as feeds_path
from notify import Outbox, OutboxMessage, outbox_path
from notify.worker import worker_status
from search import Searcher
from web.api import api, api_viewer
from web.auth import Viewer, page_viewer, require_page_viewer, require_roles
from web.errors import Forbidden, NotFound
from web.pages import pages, searcher

DEAD_SHOWN = 50


@dataclass(frozen=True)
class DeadLetter:
    id: str
    kind: str
    recipient: str
    channel: str
    attempts: int
    last_error: str
    created: datetime

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "recipient": self.recipient,
                "channel": self.channel, "attempts": self.attempts,
                "last_error": self.last_error, "created": self.created.isoformat()}


@dataclass(frozen=True)
class Operations:
    worker: dict[str, Any] | None      # the worker's state file, None if it never ran here
    outbox: dict[str, int] | None      # messages per status, None without an outbox
    dead: list[DeadLetter]
    feeds: list[dict[str, Any]] | None  # None if no feed was ever added

    def as_json(self) -> dict[str, Any]:
        return {"worker": self.worker, "outbox": self.outbox,
                "dead_letters": [letter.as_json() for letter in self.dead],
                "feeds": self.feeds}


def _dead_letter(message: OutboxMessage) -> DeadLetter:
    return DeadLetter(message.id, message.kind, message.recipient, message.channel,
                      message.attempts, message.last_error, message.created)


def _feeds(settings: Settings, found: Searcher, viewer: Viewer) -> list[dict[str, Any]] | None:
    if not feeds_path(settings).exists():
        return None
    with FeedStore.open(settings) as store:
        feeds = store.listing()
    scope, shown = found.scope(viewer.person), []
    for feed in feeds:
        row = {name: value for name, value in feed.as_dict().items()
               if name not in ("etag", "last_modified")}
        group = found.groups.get(feed.group)
        row["group_name"] = group.name if group is not None else None
        if not scope.can_see(feed.group):  # a secret group is not named to outsiders
            row["group"] = row["group_name"] = None
        shown.append(row)
    return shown


def operations(settings: Settings, found: Searcher, viewer: Viewer) -> Operations:
    """What an admin sees of the worker, the outbox and the feeds."""
    counts: dict[str, int] | None = None
    dead: list[DeadLetter] = []
    if outbox_path(settings).exists():
        with Outbox.open(settings) as outbox:
            counts = outbox.counts()
            dead = [_dead_letter(m) for m in outbox.dead_letters(DEAD_SHOWN)]
    return Operations(worker_status(settings), counts, dead,
                      _feeds(settings, found, viewer))


def requeue(settings: Settings, message_id: str) -> None:
    """Give a dead message a fresh set of attempts; NotFound if there is none."""
    if not outbox_path(settings).exists():
        raise NotFound("no such dead message")
    with Outbox.open(settings) as outbox:
        if not outbox.requeue(message_id):
            raise NotFound("no such dead message")


def _settings() -> Settings:
    return cast(Settings, current_app.extensions["quisait"].settings)


def _admin_page_viewer() -> Viewer:
    viewer = page_viewer()
    assert viewer is not None  # require_page_viewer ran first
    if "admin" not in viewer.roles:
        raise Forbidden("only admins see operations", roles=["admin"])
    return viewer


@pages.get("/admin/operations")
@require_page_viewer
def operations_page() -> Any:
    viewer = _admin_page_viewer()
    data = operations(_settings(), searcher(), viewer)
    return render_template("operations.html", data=data)


@pages.post("/admin/outbox/<path:message_id>/requeue")
@require_page_viewer
def requeue_page(message_id: str) -> Any:
    _admin_page_viewer()
    requeue(_settings(), message_id)
    return redirect(url_for("pages.operations_page", requeued=message_id))


@api.get("/admin/operations")
@require_roles("admin")
def operations_api() -> Any:
    """The worker's last runs, outbox counts, dead letters and feeds."""
    return jsonify(operations(_settings(), searcher(), api_viewer()).as_json())


@api.post("/admin/outbox/<path:message_id>/requeue")
@require_roles("admin")
def requeue_api(message_id: str) -> Any:
    """A dead message gets a fresh set of attempts (the worker sends it at its next tick,
    with the send-time permission recheck)."""
    requeue(_settings(), message_id)
    return jsonify({"id": message_id, "status": "queued"})
