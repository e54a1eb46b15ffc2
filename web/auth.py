"""Who is asking: a bearer token (API), a session cookie or a trusted header (pages).

The social network stays the identity provider: in production a reverse proxy
that has authenticated the user names them in a header (setting
``trusted_header``); in the demo one picks a sample person (``demo_login``).
Roles: ``guest`` or ``employee`` from the person record, ``km_lead`` and
``admin`` from its roles (an admin is also a KM lead), ``connector`` from a token.

The person is looked up in the catalog as it is now on every request, so someone
marked departed loses their tokens and sessions at once, and someone just added can
sign in at once.  Page sessions live on the server (:mod:`web.sessions`); the cookie
only names one.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, g, request, session

from core.records import Person
from web.errors import Forbidden, Unauthenticated
from web.ratelimit import count_bad_token

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Viewer:
    """The signed-in person and what they may do."""

    person: Person
    roles: frozenset[str]
    via: str  # token, session or header
    token_id: str = ""  # the public id of the API token, for its search quota

    @property
    def id(self) -> str:
        return self.person.id


def roles_of(person: Person, extra: tuple[str, ...] = ()) -> frozenset[str]:
    roles = {"guest" if person.guest else "employee", *person.roles, *extra}
    if "admin" in roles:
        roles.add("km_lead")
    return frozenset(roles)


def _services() -> Any:
    return current_app.extensions["quisait"]


def _person(person_id: str | None) -> Person | None:
    """An active person of the catalog as it is now, or None (departed people cannot sign
    in): re-read on each request, not from a thread's cache, so changes apply at once."""
    if not person_id:
        return None
    return cast(Person | None, _services().searchers.get().current_person(person_id))


def api_viewer() -> Viewer:
    """The viewer of an API request, from ``Authorization: Bearer``; 401 otherwise."""
    if g.get("viewer") is not None:
        return cast(Viewer, g.viewer)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send an API token as `Authorization: Bearer <token>`")
    info = _services().tokens.verify(token.strip())
    person = _person(info.person) if info else None
    if info is None or person is None:
        count_bad_token()  # 429 instead of 401 once this address sent too many
        raise Unauthenticated("this token is unknown, expired or revoked")
    g.viewer = Viewer(person, roles_of(person, info.roles), "token", info.id)
    return cast(Viewer, g.viewer)


def page_viewer() -> Viewer | None:
    """The viewer of a page request (trusted header first, then the session), or None."""
    if "viewer" in g:
        return cast(Viewer | None, g.viewer)
    header = current_app.config["QUISAIT_SETTINGS"].trusted_header
    viewer = None
    if header and request.headers.get(header):
        person = _person(request.headers[header].strip())
        viewer = Viewer(person, roles_of(person), "header") if person else None
    elif session.get("sid"):
        viewer = _session_viewer(str(session["sid"]))
    g.viewer = viewer
    return viewer


def _session_viewer(session_id: str) -> Viewer | None:
    """The person of a live server-side session, if they are still active."""
    sessions = _services().tokens.sessions
    person_id = sessions.person(session_id)
    person = _person(person_id)
    if person is None:
        if person_id is not None:  # departed or gone: none of their sessions lives on
            sessions.end_all(person_id)
        session.pop("sid", None)
        return None
    return Viewer(person, roles_of(person), "session")


def sign_in(person_id: str) -> bool:
    """Start a page session for ``person_id`` (a new session id and CSRF token; the
    previous session of this browser, if any, ends)."""
    if _person(person_id) is None:
        return False
    hours = current_app.config["QUISAIT_SETTINGS"].session_lifetime_hours
    sign_out()
    session_id = _services().tokens.sessions.start(person_id, timedelta(hours=hours))
    session.update(sid=session_id, csrf=secrets.token_urlsafe(24))
    return True


def sign_out() -> None:
    """End this browser's session on the server (its cookie is worthless from now on)
    and forget everything in the cookie but the language."""
    if session.get("sid"):
        _services().tokens.sessions.end(str(session["sid"]))
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    g.pop("viewer", None)


def is_admin_request() -> bool:
    """Whether an admin asks (a Bearer token, else a page session); a missing or bad
    credential just means no, without a 401."""
    try:
        viewer = api_viewer() if request.headers.get("Authorization") else page_viewer()
    except Unauthenticated:
        return False
    return viewer is not None and "admin" in viewer.roles


def require_roles(*wanted: str) -> Callable[[F], F]:
    """API views for a signed-in viewer with at least one of ``wanted`` (all if empty)."""
    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            viewer = api_viewer()
            if wanted and not viewer.roles & set(wanted):
                raise Forbidden(f"this needs the role {' or '.join(wanted)}",
                                roles=sorted(wanted))
            return view(*args, **kwargs)
        return cast(F, wrapper)
    return decorate


def require_page_viewer(view: F) -> F:
    """Pages for signed-in people; the others are sent to sign-in."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if page_viewer() is None:
            raise Unauthenticated("sign in first")
        return view(*args, **kwargs)
    return cast(F, wrapper)
