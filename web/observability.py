"""What an operator sees of a running server: a request id on every request, one access
log line per request, optional JSON logs, and ``/metrics`` in the Prometheus text format.

- **Request id**: ``X-Request-ID`` is taken from the request when it is a plain token
  (letters, digits, ``.``, ``_``, ``-``; at most 64), else made; it is returned in the
  response header, in every error body (``error.request_id``) and in every log line
  written while the request runs.
- **Access log** (logger ``quisait.access``): method, route (the rule, such as
  ``/posts/<path:item_id>``, never the path or the query string), status, milliseconds
  and request id.  Never a query text, token or person id; ``access_log_queries`` adds
  the ``q`` of searches for deployments that want it.
- **Metrics** (prometheus-client, a registry per app): requests by route, method and
  status; latency histograms per route and per search mode; searches and zero-result
  searches per mode; 429s; and, read at each scrape, the index generation, the age of
  the last ingest, live items per type and the worker's ticks, errors and last tick.
  ``/metrics`` answers admins (a token or a page session); ``metrics_loopback`` also
  opens it to anonymous scrapers connecting from the loopback (and not through a proxy).
  Counts only: nothing in it names content, a query or a person.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from core.settings import Settings

access_log = logging.getLogger("quisait.access")
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
SEARCH_ENDPOINTS = ("api.search", "pages.search")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LOOPBACK = ("127.0.0.1", "::1")


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Puts the request id (or "-") on every record, for the formats to show."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id (and error)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id()}
        data.update(getattr(record, "fields", {}))
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(level: int, log_format: str) -> None:
    """The root handler: text with the request id, or JSON (setting ``log_format``)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(
        "%(levelname)s %(name)s [%(request_id)s]: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class Metrics:
    """The app's metrics, in a registry of its own (several apps live in one process)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("quisait_requests", "HTTP requests answered",
                                ("route", "method", "status"), registry=self.registry)
        self.latency = Histogram("quisait_request_seconds", "Time to answer, per route",
                                 ("route",), buckets=LATENCY_BUCKETS, registry=self.registry)
        self.search_latency = Histogram("quisait_search_seconds",
                                        "Time to answer a search, per mode", ("mode",),
                                        buckets=LATENCY_BUCKETS, registry=self.registry)
        self.searches = Counter("quisait_searches", "Searches answered, per mode", ("mode",),
                                registry=self.registry)
        self.zero_results = Counter("quisait_zero_result_searches",
                                    "Searches that found nothing, per mode", ("mode",),
                                    registry=self.registry)
        self.rate_limited = Counter("quisait_rate_limited", "Requests refused with 429",
                                    ("route",), registry=self.registry)
        self.registry.register(_StateCollector(settings))


class _StateCollector:
    """Figures read from the data folder at each scrape."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def describe(self) -> list[Any]:
        return []  # collected lazily: the catalog is read at scrape time only

    def collect(self) -> Any:
        from indexer.catalog import Catalog
        from indexer.pipeline import catalog_path

        path = catalog_path(self.settings)
        if path.exists():
            catalog = Catalog(path)
            try:
                generation = GaugeMetricFamily("quisait_index_generation",
                                               "Catalog generation (advances with each change)")
                generation.add_metric([], catalog.generation)
                yield generation
                at = catalog.get_meta("generation_at")
                if at:
                    age = GaugeMetricFamily("quisait_last_ingest_age_seconds",
                                            "Seconds since the catalog last changed")
                    age.add_metric([], max(0.0, time.time()
                                           - datetime.fromisoformat(at).timestamp()))
                    yield age
                items = GaugeMetricFamily("quisait_items", "Live items per type", labels=["type"])
                for kind, count in catalog.counts()["items_by_type"].items():
                    items.add_metric([kind], count)
                yield items
            finally:
                catalog.close()
        from notify.worker import read_state

        state = read_state(self.settings)
        if state is not None:
            for name, help_text in (("ticks", "Worker ticks since its state file began"),
                                    ("errors", "Worker steps that failed")):
                family = GaugeMetricFamily(f"quisait_worker_{name}", help_text)
                family.add_metric([], float(state.get(name, 0)))
                yield family
            if state.get("last_tick"):
                tick = GaugeMetricFamily("quisait_worker_last_tick_timestamp_seconds",
                                         "When the worker last ticked (Unix time)")
                tick.add_metric([], datetime.fromisoformat(state["last_tick"]).timestamp())
                yield tick


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "(unmatched)"


def _mode() -> str:
    mode = request.args.get("mode", "hybrid")
    return mode if mode in ("lexical", "semantic", "hybrid") else "other"


def note_search(found: int) -> None:
    """A search view says how many results it found (for the zero-result rate)."""
    g.search_results = found


def configure_observability(app: Flask, settings: Settings) -> None:
    """Request ids, the access log and the metrics of ``app``."""
    metrics = Metrics(settings)
    app.extensions["quisait_metrics"] = metrics

    @app.before_request
    def start() -> None:
        sent = request.headers.get("X-Request-ID", "")
        g.request_id = sent if REQUEST_ID.fullmatch(sent) else secrets.token_hex(8)
        g.started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        rid = g.get("request_id") or secrets.token_hex(8)
        response.headers["X-Request-ID"] = rid
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        route, status = _route(), response.status_code
        metrics.requests.labels(route, request.method, str(status)).inc()
        metrics.latency.labels(route).observe(seconds)
        if status == 429:
            metrics.rate_limited.labels(route).inc()
        if request.endpoint in SEARCH_ENDPOINTS and status == 200:
            metrics.search_latency.labels(_mode()).observe(seconds)
            metrics.searches.labels(_mode()).inc()
            if g.get("search_results") == 0:
                metrics.zero_results.labels(_mode()).inc()
        fields: dict[str, Any] = {"method": request.method, "route": route,
                                  "status": status, "ms": round(seconds * 1000, 1),
                                  "request_id": rid}
        if settings.access_log_queries and request.endpoint in SEARCH_ENDPOINTS:
            fields["q"] = request.args.get("q", "")[:200]
        access_log.info(" ".join(f"{k}={v}" for k, v in fields.items()),
                        extra={"fields": fields})
        return response

    app.add_url_rule("/metrics", "metrics", metrics_view)


def metrics_view() -> Any:
    """The Prometheus text exposition: admins, or the loopback scraper if allowed."""
    from web.auth import is_admin_request
    from web.errors import Forbidden

    settings: Settings = current_app.config["QUISAIT_SETTINGS"]
    direct = not request.headers.get("X-Forwarded-For")  # through no proxy
    loopback = settings.metrics_loopback and direct and request.remote_addr in LOOPBACK
    if not loopback and not is_admin_request():
        raise Forbidden("metrics are for admins", roles=["admin"])
    metrics: Metrics = current_app.extensions["quisait_metrics"]
    return Response(generate_latest(metrics.registry), mimetype=CONTENT_TYPE_LATEST)
