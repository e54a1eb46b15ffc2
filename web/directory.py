"""The people directory: ``/people`` (a plain form, facets as links, paging) and
``GET /api/v1/people?q=`` (see :mod:`expertise.directory` for who is listed and how
names match).  Departed people are listed, flagged, only to KM leads and admins."""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template, request, url_for

from expertise.directory import FACETS, Directory, Listing, search_people
from web import params
from web.api import api, api_viewer
from web.auth import Viewer, require_page_viewer, require_roles
from web.expert_pages import finder, is_km, viewer_or_401
from web.pages import pages
from web.present_expertise import person_json

MAX_PAGE = 100  # of 20 people


def _filters() -> dict[str, str]:
    return {name: request.args[name][:200] for name in FACETS if request.args.get(name)}


def _directory(viewer: Viewer) -> Directory:
    query = request.args.get("q", "").strip()[:200]
    page = params.integer("page", 1, 1, MAX_PAGE)
    found = finder()
    return search_people(found, found.searcher.scope(viewer.person), query, _filters(), page,
                         km_view=is_km(viewer))


def listing_json(listing: Listing) -> dict[str, Any]:
    return {"person": person_json(listing.person), "state": listing.state,
            "matched": list(listing.matched), "topics": list(listing.topics),
            "skills": list(listing.person.skills) if listing.state != "opted_out" else [],
            "group_kinds": list(listing.group_kinds)}


@pages.get("/people")
@require_page_viewer
def people_page() -> Any:
    viewer = viewer_or_401()
    found, filters = _directory(viewer), _filters()

    def facet_url(name: str, value: str) -> str:
        values: dict[str, Any] = {"q": found.query, **filters, name: value}
        return url_for("pages.people_page", **values)

    return render_template("people.html", directory=found, filters=filters,
                           facet_url=facet_url)


@api.get("/people")
@require_roles()
def people_api() -> Any:
    """People matching ``q`` (name, title, department, site, company, declared skill or
    demonstrated topic), filtered by department, site or group_kind; 20 a page."""
    found = _directory(api_viewer())
    return jsonify({"query": found.query, "page": found.page, "total": found.total,
                    "more": found.more, "people": [listing_json(p) for p in found.people],
                    "facets": {name: [{"value": v, "count": n} for v, n in values]
                               for name, values in found.facets.items()}})
