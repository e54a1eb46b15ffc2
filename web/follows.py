"""Follows and notification preferences: the rules the API and the pages share, and the
JSON API (``/api/v1/follows``, ``/api/v1/me/notifications``).

A person only ever reaches their own follows (another person's follow id is a 404, as
for none).  A follow target the viewer may not see (a secret group, a person outside
what a guest shares, a topic id that does not exist) is refused with a 404 that says
nothing of whether it exists.  Alerts are matched as the follower and checked again
when sent (:mod:`notify.alerts`, :mod:`notify.recheck`).
"""

from __future__ import annotations

import logging
from dataclasses import fields, replace
from typing import Any, cast

from flask import current_app, jsonify, request

from core.errors import ConfigError, NotFoundError
from expertise import ExpertFinder
from notify import (
    FOLLOW_KINDS,
    Follow,
    FollowStore,
    InvalidFollow,
    Preferences,
    default_language,
    follow_cursor,
)
from notify.confirm import queue_confirmation
from notify.outbox import Outbox, utc_now
from notify.render import follow_label
from notify.webhook import validate_webhook_url, webhook_secret
from search import QuerySyntaxError, Searcher, parse_query
from web import params
from web.api import api, api_viewer, searcher
from web.auth import Viewer, require_roles
from web.errors import InvalidParameter, NotFound

log = logging.getLogger(__name__)

PREFERENCE_TEXTS = ("channel", "email", "webhook_url", "webhook_format", "frequency", "lang")
PREFERENCE_FLAGS = ("paused", "digests")


def follow_store() -> FollowStore:
    return cast(FollowStore, current_app.extensions["quisait"].follows)


def finder() -> ExpertFinder:
    return cast(ExpertFinder, current_app.extensions["quisait"].searchers.finder())


def check_target(viewer: Viewer, kind: str, target: str) -> None:
    """Refuse what the viewer may not follow: 400 for a malformed target, 404 for one
    they may not see (exactly as for one that does not exist)."""
    found = searcher()
    if kind == "search":
        try:
            parse_query(target)
        except QuerySyntaxError as exc:
            raise InvalidParameter("target", exc.message, position=exc.position) from None
    elif kind == "topic":
        try:
            finder().topics.get(target)
        except NotFoundError:
            raise NotFound(f"no topic {target!r}") from None
    elif kind == "group":
        if target not in found.groups or not found.scope(viewer.person).can_read(target):
            raise NotFound(f"no group {target!r}")
    elif kind == "person":
        if target == viewer.id:
            raise InvalidParameter("target", "following yourself brings you nothing")
        scope = found.scope(viewer.person)
        if target not in finder().rankable(scope, include_inactive=True):
            raise NotFound(f"no person {target!r}")


def ensure_preferences(viewer: Viewer, accept_language: str | None) -> Preferences:
    """The viewer's preferences, saved once with the default language (the profile's,
    else the browser's at that moment, else fr) if they never were."""
    store = follow_store()
    prefs = store.preferences(viewer.id)
    if prefs.saved:
        return prefs
    lang = default_language(viewer.person, accept_language)
    return store.save_preferences(replace(prefs, lang=lang), follow_cursor(searcher()))


def current_preferences(viewer: Viewer, accept_language: str | None) -> Preferences:
    """The viewer's preferences; until first saved, with the language they would get."""
    prefs = follow_store().preferences(viewer.id)
    if prefs.saved:
        return prefs
    return replace(prefs, lang=default_language(viewer.person, accept_language))


def add_follow(viewer: Viewer, kind: Any, target: Any,
               accept_language: str | None) -> tuple[Follow, bool]:
    """Follow ``target`` from now on: (the follow, whether it is new)."""
    if kind not in FOLLOW_KINDS:
        raise InvalidParameter("kind", f"must be one of {', '.join(FOLLOW_KINDS)}",
                               valid=list(FOLLOW_KINDS))
    if not isinstance(target, str) or not target.strip():
        raise InvalidParameter("target", "must be a non-empty string")
    try:
        store = follow_store()
        existing = store.find(viewer.id, kind, target)
        if existing is not None:
            return existing, False
        check_target(viewer, kind, target)
        added = store.add(viewer.id, kind, target, follow_cursor(searcher()))
    except InvalidFollow as exc:
        raise InvalidParameter(exc.field, exc.message) from None
    ensure_preferences(viewer, accept_language)
    return added


def own_follow(viewer: Viewer, follow_id: str) -> Follow:
    """The viewer's follow ``follow_id``; 404 for anyone else's, as for none."""
    follow = follow_store().get(viewer.id, follow_id)
    if follow is None:
        raise NotFound(f"no follow {follow_id!r}")
    return follow


def set_paused(viewer: Viewer, follow_id: str, paused: bool) -> Follow:
    follow = follow_store().set_paused(viewer.id, follow_id, paused, follow_cursor(searcher()))
    if follow is None:
        raise NotFound(f"no follow {follow_id!r}")
    return follow


def label_of(found: Searcher, viewer: Viewer, follow: Follow, lang: str) -> str:
    return follow_label(found.scope(viewer.person), follow, lang, finder().topics)


def follow_json(found: Searcher, viewer: Viewer, follow: Follow) -> dict[str, Any]:
    lang = follow_store().preferences(viewer.id).lang
    return {"id": follow.id, "kind": follow.kind, "target": follow.target,
            "label": label_of(found, viewer, follow, lang), "paused": follow.paused,
            "created": follow.created.isoformat()}


def preferences_json(prefs: Preferences) -> dict[str, Any]:
    data = {f.name: getattr(prefs, f.name) for f in fields(prefs)
            if f.name not in ("person", "email_confirmed")}
    data["email_pending"] = prefs.email_pending  # nothing goes to it until confirmed
    settings = current_app.config["QUISAIT_SETTINGS"]
    # what the receiving end checks signatures with (X-Quisait-Signature)
    data["webhook_secret"] = (webhook_secret(settings, prefs.webhook_url)
                              if prefs.webhook_url and settings.secret_key else None)
    return data


def save_preferences(viewer: Viewer, changes: dict[str, Any],
                     accept_language: str | None) -> Preferences:
    """The viewer's preferences with ``changes`` (unknown fields refused), saved."""
    unknown = sorted(set(changes) - {*PREFERENCE_TEXTS, *PREFERENCE_FLAGS})
    if unknown:
        raise InvalidParameter(unknown[0], "unknown field")
    for name in PREFERENCE_TEXTS:
        if name in changes and not isinstance(changes[name], str):
            raise InvalidParameter(name, "must be a string")
    for name in PREFERENCE_FLAGS:
        if name in changes and not isinstance(changes[name], bool):
            raise InvalidParameter(name, "must be true or false")
    store = follow_store()
    current = store.preferences(viewer.id)
    if not current.saved and "lang" not in changes:
        current = replace(current, lang=default_language(viewer.person, accept_language))
    values: dict[str, Any] = {name: value.strip() if isinstance(value, str) else value
                              for name, value in changes.items()}
    if values.get("webhook_url"):
        try:  # an internal address is refused when saved (and checked again when sent)
            validate_webhook_url(values["webhook_url"],
                                 current_app.config["QUISAIT_SETTINGS"].webhook_allow_hosts)
        except ValueError as exc:
            raise InvalidParameter("webhook_url", str(exc)) from None
    try:
        saved = store.save_preferences(replace(current, **values), follow_cursor(searcher()))
    except InvalidFollow as exc:
        raise InvalidParameter(exc.field, exc.message) from None
    if saved.email_pending and (saved.email != current.email or "email" in changes):
        _send_confirmation(saved)
    return saved


def _send_confirmation(prefs: Preferences) -> None:
    """Queue the link that confirms the new address (the worker or ``quisait notify``
    sends it); without ``secret_key`` or ``public_url`` no link can be made: logged."""
    settings = current_app.config["QUISAIT_SETTINGS"]
    try:
        with Outbox.open(settings) as outbox:
            queue_confirmation(settings, outbox, prefs.person, prefs.email, prefs.lang,
                               utc_now())
    except ConfigError as exc:
        log.warning("no confirmation email for %s: %s", prefs.person, exc)


def _accept_language() -> str | None:
    return request.accept_languages.best_match(("fr", "en"))


@api.get("/follows")
@require_roles()
def list_follows() -> Any:
    """The token's person's follows."""
    viewer, found = api_viewer(), searcher()
    return jsonify({"follows": [follow_json(found, viewer, follow)
                                for follow in follow_store().follows_of(viewer.id)]})


@api.post("/follows")
@require_roles()
def create_follow() -> Any:
    """Follow a saved search, topic, tag, group or person (200 if already followed)."""
    data = params.json_object()
    viewer = api_viewer()
    paused = data.get("paused", False)
    if not isinstance(paused, bool):
        raise InvalidParameter("paused", "must be true or false")
    follow, new = add_follow(viewer, data.get("kind"), data.get("target"), _accept_language())
    if paused and not follow.paused:
        follow = set_paused(viewer, follow.id, True)
    return jsonify(follow_json(searcher(), viewer, follow)), 201 if new else 200


@api.patch("/follows/<path:follow_id>")
@require_roles()
def change_follow(follow_id: str) -> Any:
    """Pause (``{"paused": true}``) or resume a follow; resumed, it starts from now."""
    data = params.json_object()
    paused = data.get("paused")
    if not isinstance(paused, bool):
        raise InvalidParameter("paused", "must be true or false")
    viewer = api_viewer()
    own_follow(viewer, follow_id)
    return jsonify(follow_json(searcher(), viewer, set_paused(viewer, follow_id, paused)))


@api.delete("/follows/<path:follow_id>")
@require_roles()
def delete_follow(follow_id: str) -> Any:
    if not follow_store().drop(api_viewer().id, follow_id):
        raise NotFound(f"no follow {follow_id!r}")
    return "", 204


@api.get("/me/notifications")
@require_roles()
def get_notifications() -> Any:
    """How the token's person hears about what they follow (defaults until saved)."""
    return jsonify(preferences_json(current_preferences(api_viewer(), _accept_language())))


@api.put("/me/notifications")
@require_roles()
def put_notifications() -> Any:
    """Change the preferences (fields left out keep their value)."""
    data = params.json_object()
    return jsonify(preferences_json(save_preferences(api_viewer(), data, _accept_language())))
