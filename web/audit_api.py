"""What gets audited, the hook that records it, and ``GET /api/v1/admin/audit`` (admins).

Changes are recorded after a successful answer (2xx, or a page's redirect), from a
table of endpoints rather than by each view, so a new view is audited by adding a
line here.  Token creation and revocation are recorded by the token store itself.

Roles grant no read access, not even to the audit log: a row about an item the
admin may not read shows only its time, actor and action, and ids of groups she
may not see are left out, judged when she reads (memberships change).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app, g, jsonify, request

from search import Scope
from web import params
from web.api import api, api_viewer, searcher
from web.audit import UNKNOWN_ITEM, AuditEntry
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
    "pages.requeue_page": "outbox.requeue", "api.requeue_api": "outbox.requeue",
    "pages.profile_skill": "profile.skill", "api.my_profile_skill": "profile.skill",
    "pages.profile_topic": "profile.topic", "api.my_profile_topic": "profile.topic",
    "pages.profile_ranking": "profile.ranking", "api.my_profile_ranking": "profile.ranking",
}
# request fields worth a word in the detail (never a body of records)
DETAIL_FIELDS = ("pattern", "item_id", "mark", "expressions", "type", "name_en", "id",
                 "skill", "topic", "action", "opted_out")
SUMMARY_FIELDS = ("read", "added", "updated", "unchanged", "deleted")
# actions whose request names the item they change (``item_id`` in the path or body)
ITEM_ACTIONS = ("pin.add", "mark.set")


def _sent() -> dict[str, Any]:
    sent: dict[str, Any] = {}
    if request.is_json:
        body = request.get_json(silent=True)
        sent = body if isinstance(body, dict) else {}
    elif request.form:
        sent = {k: request.form[k] for k in request.form if k != "csrf_token"}
    sent.update(request.args.to_dict())
    return sent


def _detail(response: Response) -> str:
    if request.endpoint == "api.post_records":  # the summary, not the records
        answer = response.get_json(silent=True) or {}
        return " ".join(f"{k}={answer[k]}" for k in SUMMARY_FIELDS if k in answer)
    sent = _sent()
    return " ".join(f"{k}={sent[k]}" for k in DETAIL_FIELDS if k in sent)


def _concerns(action: str) -> tuple[str | None, tuple[str, ...], str]:
    """(item id, groups, more detail) the change is about: told by the view, or the item
    the request names with its group now (None: the row concerns no item)."""
    if "audit_concerns" in g:
        return g.audit_concerns
    if action not in ITEM_ACTIONS:
        return None, (), ""
    item_id = (request.view_args or {}).get("item_id") or _sent().get("item_id")
    if not isinstance(item_id, str):
        return UNKNOWN_ITEM, (), ""
    group = searcher().catalog.group_of_item(item_id)
    return item_id, (group,) if group else (), ""


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
        item_id, groups, more = _concerns(action)
        detail = " ".join(part for part in (_detail(response), more) if part)
        current_app.extensions["quisait"].tokens.audit.record(
            viewer.id, action, _target(response), detail, item_id, groups)
    except Exception:  # the change is made: answer it, and say the row is missing
        log.warning("audit: %s not recorded", action, exc_info=True)
    return response


@api.get("/admin/audit")
@require_roles("admin")
def audit() -> Any:
    """The newest audit rows; ``before`` (an id) pages back.  Rows about what the admin
    may not read are redacted (see :func:`shown_entry`)."""
    limit = params.integer("limit", 50, 1, MAX_ENTRIES)
    before = params.integer("before", 0, 0, 2**31 - 1) or None
    entries = current_app.extensions["quisait"].tokens.audit.entries(limit, before)
    more = len(entries) == limit and entries[-1].id > 1
    reader = AuditReader(searcher().scope(api_viewer().person))
    return jsonify({"entries": [reader.shown(entry).as_json() for entry in entries],
                    "next_before": entries[-1].id if more else None})


class AuditReader:
    """The audit log as one reader's scope shows it: items they may read, groups they
    may see."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def may_read_item(self, entry: AuditEntry) -> bool:
        """The item's group when recorded and its group now (if it still exists) are both
        readable; an item never recorded with a group and now gone is not (fail closed)."""
        now = self.scope.searcher.catalog.group_of_item(entry.item_id) if entry.item_id else None
        known = [group for group in (*entry.groups, now) if group is not None]
        return bool(known) and all(self.scope.can_read(group) for group in known)

    def shown(self, entry: AuditEntry) -> AuditEntry:
        """``entry`` as this reader may see it."""
        if entry.item_id is not None:
            return entry if self.may_read_item(entry) else entry.redacted()
        hidden = {group for group in entry.groups if not self.scope.can_see(group)}
        return entry.without(hidden) if hidden else entry
