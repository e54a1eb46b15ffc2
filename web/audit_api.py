"""What gets audited, the hook that records it, and ``GET /api/v1/admin/audit`` (admins).

Changes are recorded after a successful answer (2xx, or a page's redirect), from a
table of endpoints rather than by each view, so a new view is audited by adding a
line here.  Token creation and revocation are recorded by the token store itself.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app, g, jsonify, request

from web import params
from web.api import api
from web.auth import require_roles

log = logging.getLogger(__name__)

MAX_ENTRIES = 200
# endpoint -> action recorded
AUDITED = {
    "api.add_pin": "pin.add", "api.remove_pin": "pin.remove",
    "api.add_synonyms": "synonyms.add", "api.remove_synonyms": "synonyms.remove",
    "api.set_mark": "mark.set",
    "api.create_topic": "topic.create", "api.update_topic": "topic.update",
    "api.delete_topic": "topic.delete",
    "api.post_records": "records.ingest", "api.remove_record": "records.delete",
    "pages.pin_result": "pin.add", "pages.pin_for_topic": "pin.add",
    "pages.unpin_for_topic": "pin.remove",
    "pages.synonyms_for_topic": "synonyms.add",
    "pages.remove_synonyms_for_topic": "synonyms.remove",
    "pages.create_topic": "topic.create", "pages.edit_topic": "topic.update",
    "pages.delete_topic": "topic.delete",
}
# request fields worth a word in the detail (never a body of records)
DETAIL_FIELDS = ("pattern", "item_id", "mark", "expressions", "type", "name_en", "id")
SUMMARY_FIELDS = ("read", "added", "updated", "unchanged", "deleted")


def _detail(response: Response) -> str:
    if request.endpoint == "api.post_records":  # the summary, not the records
        answer = response.get_json(silent=True) or {}
        return " ".join(f"{k}={answer[k]}" for k in SUMMARY_FIELDS if k in answer)
    sent: dict[str, Any] = {}
    if request.is_json:
        body = request.get_json(silent=True)
        sent = body if isinstance(body, dict) else {}
    elif request.form:
        sent = {k: request.form[k] for k in request.form if k != "csrf_token"}
    sent.update(request.args.to_dict())
    return " ".join(f"{k}={sent[k]}" for k in DETAIL_FIELDS if k in sent)


def _target(response: Response) -> str:
    if request.view_args:
        return "/".join(str(value) for value in request.view_args.values())
    answer = response.get_json(silent=True) if response.is_json else None
    if isinstance(answer, dict) and "id" in answer:
        return str(answer["id"])
    return ""


def record_change(response: Response) -> Response:
    """After-request hook: one audit row for a successful audited change."""
    action = AUDITED.get(request.endpoint or "")
    viewer = g.get("viewer")
    if action is None or viewer is None or response.status_code >= 400:
        return response
    try:
        current_app.extensions["quisait"].tokens.audit.record(
            viewer.id, action, _target(response), _detail(response))
    except Exception:  # the change is made: answer it, and say the row is missing
        log.warning("audit: %s not recorded", action, exc_info=True)
    return response


@api.get("/admin/audit")
@require_roles("admin")
def audit() -> Any:
    """The newest audit rows; ``before`` (an id) pages back."""
    limit = params.integer("limit", 50, 1, MAX_ENTRIES)
    before = params.integer("before", 0, 0, 2**31 - 1) or None
    entries = current_app.extensions["quisait"].tokens.audit.entries(limit, before)
    more = len(entries) == limit and entries[-1].id > 1
    return jsonify({"entries": [entry.as_json() for entry in entries],
                    "next_before": entries[-1].id if more else None})
