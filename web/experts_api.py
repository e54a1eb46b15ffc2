"""Expertise over the API: experts, people, routing, topics, the KM unanswered list.

Everything is computed by :class:`expertise.ExpertFinder` from what the token's
person may read.  A person the viewer may not see answers 404 exactly like one
that does not exist.  KM leads (and admins) curate topics and see departed and
opted-out people flagged (``km_view=1``); the flag is ignored for anyone else.
"""

from __future__ import annotations

from typing import Any, cast

from flask import current_app, jsonify

from core.errors import InvalidRecordError, NotFoundError
from expertise import ExpertFinder, topic_from_dict
from search import MODES
from web import params
from web.api import api, api_viewer, searcher
from web.auth import Viewer, require_roles
from web.errors import InvalidParameter, NotFound
from web.present import hit_json
from web.present_expertise import (
    expert_json,
    person_page_json,
    routing_json,
    topic_json,
    topic_page_json,
)

KM_ROLES = ("km_lead",)
MAX_EXPERTS = 50
MAX_ROUTED = 20
MAX_UNANSWERED = 50
TOPIC_ID = "<path:topic_id>"


def finder() -> ExpertFinder:
    return cast(ExpertFinder, current_app.extensions["quisait"].searchers.finder())


def is_km(viewer: Viewer) -> bool:
    return bool(viewer.roles & {"km_lead", "admin"})


@api.get("/experts")
@require_roles()
def experts() -> Any:
    """People who know most about ``q`` (the search query language), with evidence."""
    viewer = api_viewer()
    query = params.text("q")
    mode = params.choice("mode", "hybrid", MODES)
    limit = params.integer("limit", 10, 1, MAX_EXPERTS)
    km_view = params.flag("km_view") and is_km(viewer)
    found = finder().experts(query, viewer.person, limit=limit, mode=mode,
                             include_inactive=km_view)
    return jsonify({"query": query, "mode": mode, "km_view": km_view,
                    "experts": [expert_json(e) for e in found],
                    # typed -> also searched (the evidence is found with it)
                    "also_searched": searcher().scope(viewer.person).corrections(query)})


@api.get("/people/<path:person_id>")
@require_roles()
def person(person_id: str) -> Any:
    """A person's expertise page (404 for unknown people and for people not visible)."""
    page = finder().person(person_id, api_viewer().person)
    if page is None:
        raise NotFound(f"no person {person_id!r}")
    return jsonify(person_page_json(page))


@api.post("/route")
@require_roles()
def route() -> Any:
    """Answered look-alikes and who to ask, for ``{"text": ...}`` or ``{"post": id}``."""
    viewer = api_viewer()
    data = params.json_object()
    limit = params.integer("limit", 5, 1, MAX_ROUTED)
    mode = params.choice("mode", "hybrid", MODES)
    if ("text" in data) == ("post" in data):
        raise InvalidParameter("text", "give either text or post (a question's id)")
    if "post" in data:
        post_id = params.body_string(data, "post", max_chars=200)
        try:
            routing = finder().route_post(str(post_id), viewer.person, limit=limit, mode=mode)
        except NotFoundError:
            raise NotFound(f"no post {post_id!r}") from None
    else:
        text = params.body_string(data, "text", max_chars=5000)
        routing = finder().route(str(text), viewer.person, limit=limit, mode=mode)
    return jsonify(routing_json(routing))


@api.get("/topics")
@require_roles()
def topics() -> Any:
    """Curated topics; KM leads also get candidate topics (frequent, not yet covered)."""
    viewer = api_viewer()
    found = finder()
    data: dict[str, Any] = {"topics": [topic_json(t) for t in found.topics.all()]}
    if is_km(viewer):
        data["candidates"] = [{"label": label, "count": count}
                              for label, count in found.candidate_topics(viewer.person)]
    return jsonify(data)


@api.get(f"/topics/{TOPIC_ID}")
@require_roles()
def topic(topic_id: str) -> Any:
    """A topic's experts, best content, unanswered questions and coverage."""
    viewer = api_viewer()
    mode = params.choice("mode", "hybrid", MODES)
    try:
        page = finder().topic(topic_id, viewer.person, mode=mode)
    except NotFoundError:
        raise NotFound(f"no topic {topic_id!r}") from None
    return jsonify(topic_page_json(page))


def _topic_body(topic_id: str | None = None) -> Any:
    data = params.json_object()
    if topic_id is not None:
        if data.setdefault("id", topic_id) != topic_id:
            raise InvalidParameter("id", "must equal the id in the path")
    try:
        return topic_from_dict(data)
    except InvalidRecordError as exc:
        raise InvalidParameter(_field_of(str(exc)), str(exc)) from None


def _field_of(message: str) -> str:
    """The field a topic validation message names (``topic field 'name_en': ...``)."""
    start = message.find("'")
    end = message.find("'", start + 1)
    return message[start + 1:end] if 0 <= start < end else "body"


@api.post("/topics")
@require_roles(*KM_ROLES)
def create_topic() -> Any:
    topic = _topic_body()
    found = finder()
    try:
        found.topics.get(topic.id)
    except NotFoundError:
        found.topics.put(topic, by=api_viewer().id)
        return jsonify(topic_json(topic)), 201
    raise InvalidParameter("id", f"a topic {topic.id!r} exists already (PUT updates it)")


@api.put(f"/topics/{TOPIC_ID}")
@require_roles(*KM_ROLES)
def update_topic(topic_id: str) -> Any:
    topic = _topic_body(topic_id)
    finder().topics.put(topic, by=api_viewer().id)
    return jsonify(topic_json(topic))


@api.delete(f"/topics/{TOPIC_ID}")
@require_roles(*KM_ROLES)
def delete_topic(topic_id: str) -> Any:
    if not finder().topics.delete(topic_id):
        raise NotFound(f"no topic {topic_id!r}")
    return "", 204


@api.get("/km/unanswered")
@require_roles(*KM_ROLES)
def km_unanswered() -> Any:
    """Unanswered questions the KM lead may read, each with suggested experts."""
    limit = params.integer("limit", 20, 1, MAX_UNANSWERED)
    listed = finder().unanswered(api_viewer().person, limit=limit)
    return jsonify({"questions": [{"question": hit_json(hit),
                                   "experts": [expert_json(e) for e in experts]}
                                  for hit, experts in listed]})

