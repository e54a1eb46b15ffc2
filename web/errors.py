"""Web errors, and the one JSON error shape every API error takes.

``{"error": {"status": 404, "code": "not_found", "message": "...", "detail": {...}}}``:
the classes below, :class:`core.errors.QuisaitError` subclasses from the other
packages (``QuerySyntaxError`` is a 400 with the position of the culprit) and
Werkzeug's own HTTP errors (404, 405, 413) all come out in this shape.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from core.errors import NotFoundError, QuisaitError

log = logging.getLogger(__name__)


class WebError(QuisaitError):
    """An error with a status, a code and structured detail (the field at fault...)."""

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class InvalidParameter(WebError):
    """A query parameter or body field is missing or malformed; ``detail.field`` names it."""

    status = 400
    code = "invalid_parameter"

    def __init__(self, field: str, message: str, **detail: Any) -> None:
        super().__init__(f"{field}: {message}", field=field, **detail)


class Unauthenticated(WebError):
    status = 401
    code = "unauthenticated"


class Forbidden(WebError):
    status = 403
    code = "forbidden"


class NotFound(WebError, NotFoundError):
    """Also the answer for what exists but the viewer may not read (no existence leak);
    the web's :class:`core.errors.NotFoundError`, with structured detail."""


class RateLimited(WebError):
    """Too many requests; ``detail.retry_after`` (seconds) also goes out as Retry-After."""

    status = 429
    code = "rate_limited"


class NotReady(WebError):
    status = 503
    code = "not_ready"


def error_body(status: int, code: str, message: str,
               detail: dict[str, Any] | None = None) -> dict[str, Any]:
    from web.observability import request_id

    return {"error": {"status": status, "code": code, "message": message,
                      "detail": detail or {}, "request_id": request_id() or ""}}


def _describe(error: Exception) -> tuple[int, str, str, dict[str, Any]]:
    """(status, code, message, detail) of any error a request may raise."""
    if isinstance(error, HTTPException):
        status = error.code or 500
        code = (error.name or "error").lower().replace(" ", "_")
        return status, code, error.description or error.name, {}
    if isinstance(error, QuisaitError):
        detail = dict(getattr(error, "detail", {}) or {})
        if hasattr(error, "position"):  # a query syntax error: the culprit's offset in q
            detail.setdefault("field", "q")
            detail["position"] = error.position
        message = getattr(error, "message", None) or str(error)
        return error.status, error.code, message, detail
    return 500, "internal_error", "internal error", {}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/readyz")


def handle_error(error: Exception) -> Any:
    """The single error handler: JSON for the API, a page (or sign-in) for the pages."""
    status, code, message, detail = _describe(error)
    if status >= 500:
        log.exception("error %s on %s %s", code, request.method, request.path, exc_info=error)
    response = _error_response(error, status, code, message, detail)
    if isinstance(error, RateLimited):
        response.headers["Retry-After"] = str(detail["retry_after"])
    return response


def _error_response(error: Exception, status: int, code: str, message: str,
                    detail: dict[str, Any]) -> BaseResponse:
    if _wants_json():
        response: Response = jsonify(error_body(status, code, message, detail))
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="quisait"'
        if isinstance(error, HTTPException) and status == 405:
            allowed = error.get_headers()
            response.headers.update({k: v for k, v in allowed if k == "Allow"})
        return response
    if status == 401:
        return redirect(url_for("pages.signin", next=request.full_path.rstrip("?")))
    page = render_template("error.html", status=status, code=code, message=message)
    return Response(page, status=status, mimetype="text/html")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_error)
    app.register_error_handler(QuisaitError, handle_error)
    app.register_error_handler(Exception, handle_error)
