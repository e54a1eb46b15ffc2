"""Who is asking: a bearer token (API), a session cookie or a trusted header (pages).

The social network stays the identity provider: in production a reverse proxy
that has authenticated the user names them in a header (setting
``trusted_header``); in the demo one picks a sample person (``demo_login``).
Roles: ``guest`` or ``employee`` from the person record, ``km_lead`` and
``admin`` from its roles (an admin is also a KM lead), ``connector`` from a token.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, g, request, session

from core.records import Person
from web.errors import Forbidden, Unauthenticated
from web.ratelimit import check_bad_token

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Viewer:
    """The signed-in person and what they may do."""

    person: Person
    roles: frozenset[str]
    via: str  # token, session or header

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
    """An active person of the catalog, or None (departed people cannot sign in)."""
    if not person_id:
        return None
    person = _services().searchers.get().people.get(person_id)
    return person if person is not None and person.status == "active" else None


def api_viewer() -> Viewer:
    """The viewer of an API request, from ``Authorization: Bearer``; 401 otherwise."""
    if "viewer" in g:
        return cast(Viewer, g.viewer)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send an API token as `Authorization: Bearer <token>`")
    check_bad_token(failed=False)
    info = _services().tokens.verify(token.strip())
    person = _person(info.person) if info else None
    if info is None or person is None:
        check_bad_token(failed=True)
        raise Unauthenticated("this token is unknown, expired or revoked")
    g.viewer = Viewer(person, roles_of(person, info.roles), "token")
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
    elif session.get("person"):
        person = _person(session["person"])
        viewer = Viewer(person, roles_of(person), "session") if person else None
    g.viewer = viewer
    return viewer


def sign_in(person_id: str) -> bool:
    """Start a page session for ``person_id`` (a new CSRF token with it)."""
    if _person(person_id) is None:
        return False
    lang = session.get("lang")
    session.clear()
    session.update(person=person_id, csrf=secrets.token_urlsafe(24))
    if lang:
        session["lang"] = lang
    return True


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
