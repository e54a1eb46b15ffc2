"""Verified content: who may mark an item official (with an owner and a review date),
outdated, or unmarked, from the post page and the API; and the review queue.

- KM leads and admins mark any item they may read official or outdated, or remove a mark.
- An item's author marks their own item official, renews or removes that mark; the
  owner of an official mark (the person who answers for it) renews or removes it.
- An official mark's owner must be an active person who may read the item (they are
  reminded of its review: a reminder must never name what they cannot read).
- The review queue (``/reviews``, ``GET /api/v1/reviews``) lists official items past or
  within ``review_notice_days`` of their review date, among the items the viewer may read:
  every such item for a KM lead, the items they own or wrote for anyone else.

Nothing here reaches an item the viewer cannot read: a 404 like no item, as everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from flask import current_app, jsonify, redirect, render_template, request, url_for

from core.settings import Settings
from indexer.catalog import Item
from search import Searcher
from search.curation import Mark
from web.api import api, api_viewer, readable_item
from web.api import searcher as api_searcher
from web.auth import Viewer, page_viewer, require_page_viewer, require_roles
from web.errors import Forbidden, InvalidParameter
from web.pages import pages, searcher

ACTIONS = ("official", "outdated", "remove")
MAX_REVIEW_DAYS = 3660


def _settings() -> Settings:
    return cast(Settings, current_app.extensions["quisait"].settings)


def is_km(viewer: Viewer) -> bool:
    return bool(viewer.roles & {"km_lead", "admin"})


def allowed_actions(viewer: Viewer, item: Item, current: Mark | None) -> tuple[str, ...]:
    """What ``viewer`` (who may read ``item``) may do to its mark."""
    if is_km(viewer):
        return ACTIONS
    own = item.author == viewer.id or (current is not None and current.mark == "official"
                                       and current.owner == viewer.id)
    if not own or (current is not None and current.mark == "outdated"):
        return ()  # an outdated mark is the KM leads' to lift
    return ("official", "remove") if current is not None else ("official",)


def _review_date(raw: Any, today: date) -> date:
    if raw in (None, ""):
        return today + timedelta(days=_settings().review_days)
    try:
        review = date.fromisoformat(str(raw))
    except ValueError:
        raise InvalidParameter("review", "must be a date, YYYY-MM-DD") from None
    if not today < review <= today + timedelta(days=MAX_REVIEW_DAYS):
        raise InvalidParameter("review", f"must be after today and within "
                               f"{MAX_REVIEW_DAYS} days")
    return review


def _owner(found: Searcher, item: Item, raw: Any, viewer: Viewer) -> str:
    owner = str(raw).strip() if raw not in (None, "") else viewer.id
    person = found.current_person(owner)
    # someone the viewer cannot see, or who cannot read the item, is refused alike
    if person is None or not found.scope(person).can_read(item.group):
        raise InvalidParameter("owner", "must be an active person who may read the item")
    return owner


def change_mark(found: Searcher, viewer: Viewer, item: Item, action: Any,
                owner: Any = None, review: Any = None) -> Mark | None:
    """Apply ``action`` (official, outdated, remove) to the mark of ``item``, which the
    viewer may read; Forbidden if they may not; the mark after (None: removed)."""
    if action not in ACTIONS:
        raise InvalidParameter("mark", f"must be one of {', '.join(ACTIONS)}",
                               valid=list(ACTIONS))
    current = found.curation.get_mark(item.id)
    if action not in allowed_actions(viewer, item, current):
        raise Forbidden("only KM leads, the item's author or its owner may do this",
                        roles=["km_lead"])
    if action == "remove":
        found.curation.mark(item.id, None)
        return None
    if action == "outdated":
        found.curation.mark(item.id, "outdated", marked_by=viewer.id)
    else:
        today = datetime.now(UTC).date()
        found.curation.mark(item.id, "official", marked_by=viewer.id,
                            owner=_owner(found, item, owner, viewer),
                            review=_review_date(review, today))
    return found.curation.get_mark(item.id)


@dataclass(frozen=True)
class Review:
    item: Item
    mark: Mark
    overdue: bool

    def as_json(self, found: Searcher) -> dict[str, Any]:
        owner = found.people.get(self.mark.owner or "")
        return {**self.mark.as_json(), "title": self.item.title or self.item.kind,
                "group": self.item.group, "url": f"/posts/{self.item.id}",
                "owner_name": owner.name if owner else None, "overdue": self.overdue}


def review_queue(found: Searcher, viewer: Viewer, today: date | None = None) -> list[Review]:
    """Official items past or near their review date that the viewer may read (theirs
    only, unless a KM lead), soonest first."""
    today = today or datetime.now(UTC).date()
    horizon = today + timedelta(days=_settings().review_notice_days)
    marks = [m for m in found.curation.all_marks()
             if m.mark == "official" and m.review is not None and m.review <= horizon]
    items = found.scope(viewer.person).items(m.item_id for m in marks)
    queue = []
    for mark in marks:
        item = items.get(mark.item_id)
        if item is None:
            continue
        if is_km(viewer) or viewer.id in (mark.owner, item.author):
            queue.append(Review(item, mark, mark.expired(today)))
    return queue


# -- pages ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verification:
    """What the post page shows and offers of an item's mark."""

    mark: Mark | None
    owner_name: str | None
    overdue: bool
    due_soon: bool
    actions: tuple[str, ...]
    default_review: date


@pages.app_context_processor
def verification_helpers() -> dict[str, Any]:
    def verification(item: Item) -> Verification | None:
        """The mark of an item the signed-in viewer reads (the post page's box)."""
        viewer = page_viewer()
        if viewer is None:
            return None
        found = searcher()
        if not found.scope(viewer.person).can_read(item.group):
            return None
        mark, today = found.curation.get_mark(item.id), datetime.now(UTC).date()
        owner = found.people.get(mark.owner) if mark and mark.owner else None
        notice = today + timedelta(days=_settings().review_notice_days)
        return Verification(
            mark, owner.name if owner else None, bool(mark and mark.expired(today)),
            bool(mark and mark.mark == "official" and mark.review and
                 today <= mark.review <= notice),
            allowed_actions(viewer, item, mark),
            today + timedelta(days=_settings().review_days))

    return {"verification": verification}


@pages.post("/posts/<path:item_id>/mark")
@require_page_viewer
def mark_page(item_id: str) -> Any:
    """The post page's verification form (plain form, CSRF-checked by the blueprint)."""
    viewer = page_viewer()
    assert viewer is not None
    found = searcher()
    item = readable_item(item_id, viewer, found)
    change_mark(found, viewer, item, request.form.get("action"),
                request.form.get("owner"), request.form.get("review"))
    return redirect(url_for("pages.post", item_id=item.id))


@pages.get("/reviews")
@require_page_viewer
def reviews_page() -> Any:
    viewer = page_viewer()
    assert viewer is not None
    found = searcher()
    return render_template("reviews.html", reviews=review_queue(found, viewer),
                           km=is_km(viewer), people=found.people)


# -- API --------------------------------------------------------------------------------

@api.get("/reviews")
@require_roles()
def reviews_api() -> Any:
    """Official items due for review (past or within review_notice_days) the viewer may
    read: all of them for KM leads, those they own or wrote for the others."""
    viewer, found = api_viewer(), api_searcher()
    return jsonify({"reviews": [r.as_json(found) for r in review_queue(found, viewer)]})
