"""Feedback routes: "helpful / not helpful" on results, extracted answers and expert cards,
from the pages (plain forms with the CSRF token, checked by the pages blueprint) and the
API; the KM lines (what was marked unhelpful) on the dashboard, as CSV and as JSON.

A vote on something the viewer may not read (an item) or see (a person) is a 404 worded
exactly as for one that does not exist.  Votes on one's own item or expert card are
answered but not stored: nobody moves their own content.  Listings never say who voted
(counts only), and count only what the reader may read, from voters who could read
nothing the reader cannot (see search.feedback).  Votes are not audited: an audit row
would name the voter.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, jsonify, redirect, request, url_for

from search import Searcher
from search.feedback import EXPERT_GROUP, KINDS, FeedbackLine, readable_lines
from web import params
from web.api import api, api_viewer, readable_item
from web.auth import Viewer, page_viewer, require_page_viewer, require_roles
from web.errors import InvalidParameter, NotFound
from web.expert_pages import finder, require_km, viewer_or_401
from web.pages import local_target, pages, searcher

# dashboard table -> kind of vote; only lines with at least one "not helpful" are listed
TABLES = {"answers": "answer", "results": "result", "experts": "expert"}
CSV_COLUMNS = ("kind", "query", "target", "title", "helpful", "not_helpful", "last_vote")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # spreadsheet formula injection


def cast_vote(viewer: Viewer, kind: Any, target: Any, query: Any, helpful: bool) -> bool:
    """Store the viewer's vote; whether it was stored (False: their own item or card).
    404 for a target the viewer may not read or see, 400 for a malformed vote."""
    if kind not in KINDS:
        raise InvalidParameter("kind", f"must be one of {', '.join(KINDS)}",
                               valid=list(KINDS))
    target = _text("target", target)
    query = _text("query", query)
    found = searcher()
    scope = found.scope(viewer.person)
    if kind == "expert":
        if target not in finder().rankable(scope):
            raise NotFound("no such person")
        group, own = EXPERT_GROUP, target == viewer.id
    else:
        item = readable_item(target, viewer, found)
        group, own = item.group, item.author == viewer.id
    if own:
        return False
    found.feedback.record(kind, target, query, helpful, viewer.id, group, scope.readable)
    return True


def _text(name: str, value: Any, max_chars: int = 1000) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameter(name, "must be a non-empty string")
    if len(value) > max_chars:
        raise InvalidParameter(name, f"is longer than {max_chars} characters")
    return value.strip()


def feedback_lines(found: Searcher, viewer: Viewer) -> dict[str, list[FeedbackLine]]:
    """Per table, the lines with an unhelpful vote that this reader may see."""
    scope = found.scope(viewer.person)
    tokens = scope.readable
    people = finder().rankable(scope, include_inactive=True)

    def person_now(target: str) -> str | None:
        return EXPERT_GROUP if target in people else None

    tables = {}
    for table, kind in TABLES.items():
        group_now = person_now if kind == "expert" else found.catalog.group_of_item
        tables[table] = [line for line in readable_lines(found.feedback, kind, tokens,
                                                         group_now) if line.not_helpful > 0]
    return tables


def feedback_tables(found: Searcher, viewer: Viewer) -> dict[str, list[dict[str, Any]]]:
    """:func:`feedback_lines` as the dashboard, the CSV and the API show them."""
    return {table: [line_json(found, line) for line in lines]
            for table, lines in feedback_lines(found, viewer).items()}


def line_json(found: Searcher, line: FeedbackLine) -> dict[str, Any]:
    return {"kind": line.kind, "query": line.query, "target": line.target,
            "title": _title(found, line),
            "helpful": line.helpful, "not_helpful": line.not_helpful,
            "last_vote": line.last.date().isoformat()}


def _title(found: Searcher, line: FeedbackLine) -> str:
    """The item's title (or its thread's) or the person's name: readable, checked above."""
    if line.kind == "expert":
        person = found.people.get(line.target)
        return person.name if person else line.target
    item = found.catalog.item(line.target)
    if item is None:
        return line.target
    if item.title:
        return item.title
    parent = found.catalog.item(item.parent) if item.parent else None
    return f"Re: {parent.title}" if parent is not None and parent.group == item.group \
        else item.kind


def _cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# -- pages ---------------------------------------------------------------------------------

@pages.app_context_processor
def feedback_helpers() -> dict[str, Any]:
    def feedback_choice(kind: str, target: str, query: str) -> bool | None:
        """The signed-in viewer's current vote (for the buttons' pressed state)."""
        viewer = page_viewer()
        if viewer is None or not query:
            return None
        return searcher().feedback.choice(kind, target, query, viewer.id)

    return {"feedback_choice": feedback_choice}


@pages.post("/feedback")
@require_page_viewer
def feedback() -> Any:
    """A helpful / not helpful button: store the vote, then go back to the page."""
    viewer = viewer_or_401()
    form = request.form
    helpful = form.get("helpful", "")
    if helpful not in ("1", "0"):
        raise InvalidParameter("helpful", "must be 1 or 0")
    query = form.get("q", "")
    cast_vote(viewer, form.get("kind"), form.get("target"), query, helpful == "1")
    default = url_for("pages.search", q=query.strip()[:1000] or None)
    return redirect(local_target(form.get("next"), default))


@pages.get("/km/feedback.csv")
@require_page_viewer
def feedback_csv() -> Any:
    """One dashboard table of feedback as CSV (counts only, never who voted)."""
    viewer = viewer_or_401()
    require_km(viewer)
    table = params.choice("table", "results", tuple(TABLES))
    found = searcher()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for line in feedback_tables(found, viewer)[table]:
        writer.writerow([_cell(line[column]) for column in CSV_COLUMNS])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="quisait-feedback-{table}.csv"'})


# -- API -------------------------------------------------------------------------------------

@api.post("/feedback")
@require_roles()
def post_feedback() -> Any:
    """Vote ``helpful`` (true or false) on a result, an answer or an expert for a query."""
    viewer = api_viewer()
    body = params.json_object()
    helpful = body.get("helpful")
    if not isinstance(helpful, bool):
        raise InvalidParameter("helpful", "must be true or false")
    kind, target, query = body.get("kind"), body.get("target"), body.get("query")
    counted = cast_vote(viewer, kind, target, query, helpful)
    return jsonify({"kind": kind, "target": str(target).strip(), "query": str(query).strip(),
                    "helpful": helpful, "counted": counted})


@api.get("/feedback/summary")
@require_roles("km_lead")
def feedback_summary() -> Any:
    """What was marked not helpful, per table, over what the KM lead may read."""
    return jsonify(feedback_tables(searcher(), api_viewer()))
