"""The Flask UI and JSON API over search (and, later, expertise).

Public surface: :func:`create_app`, and :class:`TokenStore` for the CLI's
``quisait token`` commands.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify

from core.errors import QuisaitError
from core.settings import Settings, load_settings
from web.tokens import TokenStore

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    """The application: API blueprint at ``/api/v1``, pages at ``/``, services opened once."""
    # their routes join the API and pages blueprints
    from web import (  # noqa: F401
        audit_api,
        dashboard,
        directory,
        expert_pages,
        experts_api,
        feedback,
        follow_pages,
        follows,
        indicators,
        km,
        operations,
        profile_pages,
        verified,
    )
    from web.api import api
    from web.auth import page_viewer
    from web.errors import register_error_handlers
    from web.i18n import language, number, percent, plural, translate
    from web.observability import configure_observability
    from web.pages import pages
    from web.ratelimit import configure_rate_limits
    from web.security import configure, csrf_token
    from web.services import Services

    settings = settings or load_settings()
    services = Services.open(settings)
    app = Flask(__name__)
    app.config["QUISAIT_SETTINGS"] = settings
    app.extensions["quisait"] = services
    configure_observability(app, settings)  # first: every answer gets its request id
    configure(app, settings, services.tokens.secret_key())
    register_error_handlers(app)
    configure_rate_limits(app, settings.signin_rate, settings.search_rate,
                          settings.write_rate)
    trust_proxies(app, settings.trusted_proxies)
    app.after_request(audit_api.record_change)
    app.register_blueprint(api)
    app.register_blueprint(pages)
    app.register_blueprint(follow_pages.unsubscribe)  # no CSRF: the signed token decides
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/readyz", "readyz", readyz)

    @app.context_processor
    def page_context() -> dict[str, Any]:
        try:
            viewer = page_viewer()
        except QuisaitError:  # an error page while the indexes are not ready
            viewer = None
        return {"t": translate, "lang": language(), "csrf_token": csrf_token, "viewer": viewer,
                "number": number, "percent": percent, "plural": plural}

    return app


def trust_proxies(app: Flask, proxies: int) -> None:
    """Behind ``proxies`` reverse proxies, read the client's address, scheme and host from
    their X-Forwarded-* headers (rate limits key on the address); with none, those headers
    come from the client and are ignored."""
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def waitress_options(settings: Settings) -> dict[str, Any]:
    """What ``quisait serve`` hands waitress.  Behind proxies (``trusted_proxies``) the
    X-Forwarded-* headers must reach the app, whose ProxyFix reads them: waitress removes
    them by default, which left every client behind nginx with the proxy's address."""
    return {"ident": "quisait",
            "clear_untrusted_proxy_headers": settings.trusted_proxies == 0}


def healthz() -> Any:
    """The process answers."""
    return jsonify({"status": "ok"})


def readyz() -> Any:
    """The indexes are open and, when served by Ray, a replica runs (503 in the error
    shape otherwise).  Only an admin also learns how many items there are: the count
    includes secret groups' content."""
    from flask import current_app

    from web.auth import is_admin_request

    pool = current_app.extensions["quisait"].searchers
    searcher = pool.get()
    answer = {"status": "ready", **pool.readiness()}
    if is_admin_request():
        answer["items"] = searcher.fulltext.doc_count()
    return jsonify(answer)


__all__ = ["TokenStore", "create_app"]
