"""KM curation over the API (KM leads and admins): pins, synonyms, official/outdated marks.

A KM lead may only pin or mark what they may read themselves: a 404 for
anything else, so curation cannot be used to probe secret groups.  Pins on items
they may not read (a member of a secret group pinned one) do not exist for them:
not listed, not shown, not removable; and a pin's audience shows only the groups
they may see.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from core.records import COMPANY_FEED, ROLES
from search import Searcher
from search.curation import MARKS, Pin
from web import params
from web.api import api, api_viewer, readable_item, searcher
from web.audit import note_concerns
from web.auth import Viewer, require_roles
from web.errors import InvalidParameter, NotFound

KM_ROLES = ("km_lead",)
# audience entries that name roles rather than groups (see search.signals)
AUDIENCE_ROLES = frozenset({"guest", "employee", *ROLES})


def readable_pins(found: Searcher, viewer: Viewer) -> list[Pin]:
    """The pins whose item the viewer may read; the others do not exist for them."""
    pins = found.curation.pins()
    items = found.scope(viewer.person).items(pin.item_id for pin in pins)
    return [pin for pin in pins if pin.item_id in items]


def readable_pin(found: Searcher, viewer: Viewer, pin_id: int) -> Pin:
    """The pin if the viewer may read its item; 404 otherwise, exactly like no pin."""
    pin = found.curation.pin(pin_id)
    try:
        if pin is not None:
            readable_item(pin.item_id, viewer, found)
            return pin
    except NotFound:
        pass
    raise NotFound(f"no pin {pin_id}")


def shown_audience(found: Searcher, viewer: Viewer, pin: Pin) -> list[str]:
    """The pin's audience less the groups the viewer may not see (secret groups they are
    not in do not exist for them; an id nobody can see is left out as well)."""
    scope = found.scope(viewer.person)
    return [entry for entry in pin.audience
            if scope.can_see(entry) or entry in AUDIENCE_ROLES or entry == COMPANY_FEED]


def pin_json(pin: Pin, audience: list[str]) -> dict[str, Any]:
    """A pin as the API shows it, with its ``audience`` as the viewer may see it."""
    return {"id": pin.id, "pattern": pin.pattern, "item_id": pin.item_id,
            "audience": audience,
            "starts": pin.starts.isoformat() if pin.starts else None,
            "ends": pin.ends.isoformat() if pin.ends else None, "created_by": pin.created_by}


@api.get("/pins")
@require_roles(*KM_ROLES)
def list_pins() -> Any:
    """The pins on items the KM lead may read."""
    viewer, found = api_viewer(), searcher()
    return jsonify({"pins": [pin_json(pin, shown_audience(found, viewer, pin))
                             for pin in readable_pins(found, viewer)]})


@api.post("/pins")
@require_roles(*KM_ROLES)
def add_pin() -> Any:
    """Pin an item first for queries containing every word of ``pattern``."""
    viewer = api_viewer()
    data = params.json_object()
    pattern = params.body_string(data, "pattern", max_chars=200)
    item_id = params.body_string(data, "item_id")
    audience = params.body_strings(data, "audience")
    starts, ends = params.body_datetime(data, "starts"), params.body_datetime(data, "ends")
    if starts and ends and ends <= starts:
        raise InvalidParameter("ends", "must come after starts")
    found = searcher()
    item = readable_item(str(item_id), viewer, found)
    try:
        pin = found.curation.add_pin(str(pattern), item.id, audience, starts, ends,
                                     created_by=viewer.id)
    except ValueError as exc:
        raise InvalidParameter("pattern", str(exc)) from None
    return jsonify(pin_json(pin, shown_audience(found, viewer, pin))), 201


@api.delete("/pins/<int(max=2147483647):pin_id>")
@require_roles(*KM_ROLES)
def remove_pin(pin_id: int) -> Any:
    """Remove a pin on an item the KM lead may read (404 for any other, like no pin)."""
    found = searcher()
    pin = readable_pin(found, api_viewer(), pin_id)
    note_pin_removal(found, pin)
    if not found.curation.remove_pin(pin_id):
        raise NotFound(f"no pin {pin_id}")
    return "", 204


def note_pin_removal(found: Searcher, pin: Pin) -> None:
    """Tell the audit hook the pin's item and its group: the pin is gone when it runs."""
    group = found.catalog.group_of_item(pin.item_id)
    note_concerns(item_id=pin.item_id, groups=[group] if group else [])


@api.get("/synonyms")
@require_roles(*KM_ROLES)
def list_synonyms() -> Any:
    sets = searcher().curation.synonym_sets()
    return jsonify({"sets": [{"id": i, "expressions": e} for i, e in sets.items()]})


@api.post("/synonyms")
@require_roles(*KM_ROLES)
def add_synonyms() -> Any:
    """Declare expressions equivalent at query time (RSE, réseau social d'entreprise)."""
    expressions = params.body_strings(params.json_object(), "expressions")
    try:
        set_id = searcher().curation.add_synonyms(expressions)
    except ValueError as exc:
        raise InvalidParameter("expressions", str(exc)) from None
    return jsonify({"id": set_id, "expressions": searcher().curation.synonym_sets()[set_id]}), 201


@api.delete("/synonyms/<int(max=2147483647):set_id>")
@require_roles(*KM_ROLES)
def remove_synonyms(set_id: int) -> Any:
    if not searcher().curation.remove_synonyms(set_id):
        raise NotFound(f"no synonym set {set_id}")
    return "", 204


@api.get("/marks")
@require_roles(*KM_ROLES)
def list_marks() -> Any:
    """Marks on the items the KM lead may read."""
    scope = searcher().scope(api_viewer().person)
    marks = {item_id: mark for item_id, mark in scope.searcher.curation.marks().items()
             if scope.item(item_id) is not None}
    return jsonify({"marks": marks})


@api.put("/marks/<path:item_id>")
@require_roles()
def set_mark(item_id: str) -> Any:
    """Mark an item ``official`` (with ``owner`` and ``review``: a date) or ``outdated``;
    ``{"mark": null}`` removes the mark.  KM leads on any item they may read; an item's
    author and an official mark's owner on theirs (see :mod:`web.verified`)."""
    from web.verified import change_mark

    viewer = api_viewer()
    data = params.json_object()
    mark = data.get("mark")
    if mark is not None and mark not in MARKS:
        raise InvalidParameter("mark", f"must be one of {', '.join(MARKS)} or null",
                               valid=list(MARKS))
    found = searcher()
    item = readable_item(item_id, viewer, found)
    after = change_mark(found, viewer, item, mark or "remove", data.get("owner"),
                        data.get("review"))
    return jsonify({"item_id": item.id, "mark": after.mark if after else None,
                    "owner": after.owner if after else None,
                    "review": after.review.isoformat() if after and after.review else None})
