"""Follow pages: the "Follow" buttons (plain forms with the CSRF token, checked by the
pages blueprint), "My follows", and the one-click unsubscribe of notification emails.

Unsubscribing (RFC 8058) needs no session and no CSRF token: the HMAC-signed token in the
link is the authority, verified with ``secret_key`` (notify signs nothing while it is
empty).  ``POST /unsubscribe?token=...`` with ``List-Unsubscribe=One-Click`` does it;
``GET`` only shows a confirmation page with a button, since mail clients and scanners
fetch links on their own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from core.errors import ConfigError
from notify import FREQUENCIES, Unsubscription, default_language, verify_unsubscribe
from notify.follows import CHANNELS
from notify.mail import verify_confirmation
from notify.webhook import FORMATS
from web.auth import Viewer, page_viewer, require_page_viewer
from web.errors import InvalidParameter, NotFound
from web.follows import (
    add_follow,
    current_preferences,
    follow_store,
    label_of,
    own_follow,
    preferences_json,
    save_preferences,
    set_paused,
)
from web.i18n import language, translate
from web.pages import local_target, pages, searcher

unsubscribe = Blueprint("unsubscribe", __name__)
FOLLOW_ACTIONS = ("pause", "resume", "drop")


def _viewer() -> Viewer:
    viewer = page_viewer()
    assert viewer is not None  # require_page_viewer ran first
    return viewer


@pages.app_context_processor
def follow_helpers() -> dict[str, Any]:
    def followed(kind: str, target: str) -> bool:
        """Whether the signed-in viewer follows this (for the Follow buttons)."""
        viewer = page_viewer()
        return viewer is not None and follow_store().find(viewer.id, kind, target) is not None

    return {"followed": followed}


@pages.post("/follows")
@require_page_viewer
def follow() -> Any:
    """A Follow button: follow the search, topic or person of the page, then go back."""
    viewer = _viewer()
    add_follow(viewer, request.form.get("kind"), request.form.get("target"), language())
    return redirect(local_target(request.form.get("next"), url_for("pages.my_follows")))


@pages.get("/me/follows")
@require_page_viewer
def my_follows() -> Any:
    """The viewer's follows (pause, resume, stop) and how they hear of them."""
    viewer, found = _viewer(), searcher()
    prefs = current_preferences(viewer, language())
    follows = [(f, label_of(found, viewer, f, language()))
               for f in follow_store().follows_of(viewer.id)]
    return render_template("follows.html", follows=follows, prefs=prefs,
                           secret=preferences_json(prefs)["webhook_secret"],
                           frequencies=FREQUENCIES, channels=CHANNELS, formats=FORMATS,
                           saved=request.args.get("saved") == "1")


@pages.post("/me/follows/<path:follow_id>")
@require_page_viewer
def change_follow(follow_id: str) -> Any:
    viewer = _viewer()
    action = request.form.get("action", "")
    if action not in FOLLOW_ACTIONS:
        raise InvalidParameter("action", f"must be one of {', '.join(FOLLOW_ACTIONS)}")
    own_follow(viewer, follow_id)
    if action == "drop":
        follow_store().drop(viewer.id, follow_id)
    else:
        set_paused(viewer, follow_id, action == "pause")
    return redirect(url_for("pages.my_follows"))


@pages.post("/me/notifications")
@require_page_viewer
def notifications() -> Any:
    """The preferences form (unchecked boxes are false)."""
    form = request.form
    changes: dict[str, Any] = {name: form.get(name, "")[:2000] for name in
                               ("channel", "email", "webhook_url", "webhook_format",
                                "frequency", "lang") if name in form}
    changes |= {"paused": form.get("paused") == "on", "digests": form.get("digests") == "on"}
    save_preferences(_viewer(), changes, language())
    return redirect(url_for("pages.my_follows", saved=1))


# -- one-click unsubscribe ------------------------------------------------------------

def _unsubscription() -> Unsubscription:
    """What the link's token asks; 400 for a token not signed here, 404 while quisait
    signs no links (empty ``secret_key``)."""
    token = request.args.get("token", "")
    try:
        asked = verify_unsubscribe(current_app.config["QUISAIT_SETTINGS"].secret_key,
                                   token[:4000])
    except ConfigError:
        raise NotFound("no such unsubscribe link") from None
    if asked is None:
        raise InvalidParameter("token", "this unsubscribe link is not valid")
    kind, _, follow_id = asked.target.partition(":")
    if not (kind == "follow" and follow_id) and asked.target not in ("digest", "all"):
        raise InvalidParameter("token", "this unsubscribe link is not valid")
    return asked


def _question(asked: Unsubscription) -> str:
    if asked.target.startswith("follow:"):
        follow = follow_store().get(asked.person, asked.target.partition(":")[2])
        return translate("unsubscribe_follow", label=follow.target if follow else "…")
    return translate(f"unsubscribe_{asked.target}")


@unsubscribe.get("/unsubscribe")
def confirm_unsubscribe() -> Any:
    """The confirmation page: a GET never unsubscribes (mail clients prefetch links)."""
    asked = _unsubscription()
    return render_template("unsubscribe.html", question=_question(asked), done=False,
                           token=request.args.get("token", ""))


@unsubscribe.post("/unsubscribe")
def one_click_unsubscribe() -> Any:
    """RFC 8058 one-click: a follow is paused, digests or everything turned off."""
    asked = _unsubscription()
    if request.form.get("List-Unsubscribe") != "One-Click":
        raise InvalidParameter("List-Unsubscribe", "must be One-Click (RFC 8058)")
    store = follow_store()
    if asked.target.startswith("follow:"):  # gone already: nothing left to stop
        store.set_paused(asked.person, asked.target.partition(":")[2], True, 0)
    else:
        prefs = store.preferences(asked.person)
        if not prefs.saved:
            person = searcher().people.get(asked.person)
            prefs = replace(prefs, lang=default_language(person))
        off = (replace(prefs, digests=False) if asked.target == "digest"
               else replace(prefs, paused=True))
        store.save_preferences(off, 0)  # pausing moves no cursor
    return render_template("unsubscribe.html", question="", done=True,
                           follow=asked.target.startswith("follow:"))


# -- confirming a notification address ------------------------------------------------

def _confirmation() -> tuple[str, str]:
    """(person, address) the link's token was signed for; 400 for a token not signed
    here, 404 while quisait signs no links."""
    try:
        asked = verify_confirmation(current_app.config["QUISAIT_SETTINGS"].secret_key,
                                    request.args.get("token", "")[:4000])
    except ConfigError:
        raise NotFound("no such confirmation link") from None
    if asked is None:
        raise InvalidParameter("token", "this confirmation link is not valid")
    return asked


@unsubscribe.get("/confirm-email")
def confirm_email() -> Any:
    """The confirmation page: a GET confirms nothing (mail scanners fetch links)."""
    _, address = _confirmation()
    return render_template("confirm_email.html", address=address, done=False,
                           token=request.args.get("token", ""))


@unsubscribe.post("/confirm-email")
def confirm_email_done() -> Any:
    """The person proved they read the address: notifications go to it from now on.  A
    link for an address they have changed since confirms nothing."""
    person, address = _confirmation()
    if not follow_store().confirm_email(person, address):
        raise NotFound("this address is no longer the one to confirm")
    return render_template("confirm_email.html", address=address, done=True)
