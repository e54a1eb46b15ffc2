"""The JSON API, ``/api/v1``: search, posts, ingestion.  KM curation is in web.km."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, current_app, jsonify, request

from indexer import Item
from search import MODES, Searcher
from search.answers import TUNING, Answer
from search.usecase import SearchRequest, run_search
from web import params
from web.audit import note_concerns
from web.auth import Viewer, api_viewer, require_roles
from web.errors import NotFound
from web.ingest import (
    ENTITY_TYPES,
    delete_record,
    ingest_records,
    parse_records,
    require_delete_rights,
    require_entity_rights,
)
from web.observability import note_search
from web.openapi import openapi_document
from web.present import facets_json, hit_json, post_json

api = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_LIMIT = 50
MAX_PAGE = 20
WINDOW = 100  # the search engine ranks at most this many candidates
INGEST_ROLES = ("admin", "connector")


def searcher() -> Searcher:
    return cast(Searcher, current_app.extensions["quisait"].searchers.get())


def readable_item(item_id: str, viewer: Viewer, found: Searcher | None = None) -> Item:
    """The item if the viewer may read it; 404 otherwise, exactly as if it did not exist.

    Pass the request's searcher when the caller uses it again: a second ``searcher()``
    after a write would reopen it and close the first one under the caller."""
    found = found or searcher()
    item = found.scope(viewer.person).item(item_id)
    if item is None:
        raise NotFound(f"no post {item_id!r}")
    return item


@api.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3 description of this API (public, like any API reference)."""
    return jsonify(openapi_document())


@api.get("/search")
@require_roles()
def search() -> Any:
    """Hits, facets and a spelling suggestion for ``q``, as the viewer may see them."""
    viewer = api_viewer()
    query = params.text("q")
    mode = params.choice("mode", "hybrid", MODES)
    limit = params.integer("limit", 10, 1, MAX_LIMIT)
    page = params.integer("page", 1, 1, MAX_PAGE)
    explain = params.flag("explain")
    # page 1 also reads the passages the answer is taken from, however small the page
    found = run_search(searcher().scope(viewer.person), SearchRequest(
        query, mode, page, limit, window=WINDOW, read_ahead=TUNING.passages, answer=True))
    note_search(len(found.ranked))
    return jsonify({
        "query": query, "mode": mode, "page": page, "limit": limit, "more": found.more,
        "search_id": found.search_id or None,
        "answer": answer_json(found.answer, explain),
        "hits": [hit_json(hit, explain) for hit in found.hits],
        "facets": facets_json(found.facets),
        "did_you_mean": found.suggestion,
        "also_searched": found.corrected,
    })


def answer_json(answer: Answer | None, explain: bool = False) -> dict[str, Any] | None:
    """An extracted answer: its sentences, each with its citation (null: abstained)."""
    if answer is None:
        return None
    sentences = []
    for sentence in answer.sentences:
        cited = sentence.citation
        data: dict[str, Any] = {
            "text": sentence.text, "lang": sentence.lang, "score": sentence.score,
            "citation": {"id": cited.item_id, "kind": cited.kind, "title": cited.title,
                         "group": {"id": cited.group, "name": cited.group_name},
                         "author": ({"id": cited.author, "name": cited.author_name}
                                    if cited.author else None),
                         "created": cited.created.isoformat(), "url": cited.url}}
        if explain:
            data["explanation"] = sentence.features
        sentences.append(data)
    return {"sentences": sentences}


@api.get("/posts/<path:item_id>/similar")
@require_roles()
def similar(item_id: str) -> Any:
    viewer = api_viewer()
    found = searcher()
    item = readable_item(item_id, viewer, found)
    limit = params.integer("limit", 10, 1, MAX_LIMIT)
    hits = found.scope(viewer.person).similar(item.id, limit=limit)
    return jsonify({"id": item.id, "hits": [hit_json(hit) for hit in hits]})


@api.get("/posts/<path:item_id>")
@require_roles()
def post(item_id: str) -> Any:
    viewer = api_viewer()
    found = searcher()
    return jsonify(post_json(found, readable_item(item_id, viewer, found)))


@api.post("/records")
@require_roles(*INGEST_ROLES)
def post_records() -> Any:
    """Add or update records; answered once they are committed and searchable.  People
    and groups come from connector tokens only (403 naming the record, nothing written)."""
    records = parse_records(request.get_data(cache=False), request.content_type or "")
    require_entity_rights(records, api_viewer().roles)
    services = current_app.extensions["quisait"]
    summary, changes = ingest_records(services, records)
    # the audit row says which groups and whose roles changed (ids only, never contents)
    note_concerns(groups=changes["groups"],
                  detail=" ".join(f"{k}={','.join(v)}" for k, v in changes.items() if v))
    return jsonify(summary), 200


@api.delete("/records/<path:record_id>")
@require_roles(*INGEST_ROLES)
def remove_record(record_id: str) -> Any:
    """Delete a post, comment or document (or ``?type=person|group``, connector tokens
    only) everywhere at once."""
    kind = params.choice("type", "item", ("item", *ENTITY_TYPES))
    require_delete_rights(kind, api_viewer().roles)
    services = current_app.extensions["quisait"]
    if kind == "item":  # its group, read before it is gone, decides who reads the audit row
        group = searcher().catalog.group_of_item(record_id)
        note_concerns(item_id=record_id, groups=[group] if group else [])
    elif kind == "group":
        note_concerns(groups=[record_id])
    summary = delete_record(services, record_id, kind)
    return jsonify(summary), 200


@api.get("/me")
@require_roles()
def me() -> Any:
    """Who the token belongs to and what they may do."""
    viewer = api_viewer()
    return jsonify({"id": viewer.id, "name": viewer.person.name, "roles": sorted(viewer.roles)})
