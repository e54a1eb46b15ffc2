"""Security headers on every response, CSRF tokens on every form, cookie settings, and
(with ``proxy_secret``) the refusal of every request that did not come through the proxy.

Behind an authenticating reverse proxy (``trusted_header``), whoever reaches quisait
directly could name anyone in that header.  The proxy therefore also sends
``X-Quisait-Proxy: <proxy_secret>``; when the setting is on, a request without it is
refused (403) before anything reads the header, except the health probes, which tell
nothing of the content.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, Response, g, request, session

from core.settings import Settings
from web.errors import Forbidden

# no script at all, styles from our own origin, forms only to ourselves, never framed
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PROXY_HEADER = "X-Quisait-Proxy"
PROBES = ("/healthz", "/readyz")


def csrf_token() -> str:
    """The session's CSRF token, for the hidden field of every form."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def check_csrf() -> None:
    """Refuse a page form post whose ``csrf_token`` does not match the session's."""
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(str(expected), sent):
        raise Forbidden("the form has expired or did not come from quisait; reload the page",
                        field="csrf_token")


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def configure(app: Flask, settings: Settings, secret_key: str) -> None:
    """Cookie flags, the request size limit and the headers hook."""
    app.config.update(
        SECRET_KEY=settings.secret_key or secret_key,
        SESSION_COOKIE_NAME="quisait_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        MAX_FORM_MEMORY_SIZE=min(settings.max_request_bytes, 500_000),
    )
    app.after_request(add_headers)
    if settings.proxy_secret:
        secret = settings.proxy_secret

        def require_proxy() -> None:
            if request.path in PROBES:
                return
            if not hmac.compare_digest(request.headers.get(PROXY_HEADER, ""), secret):
                g.viewer = None  # the refusal page names nobody the request claimed to be
                raise Forbidden("this server is reached through its proxy only")

        app.before_request(require_proxy)
