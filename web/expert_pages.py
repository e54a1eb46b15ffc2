"""Expertise pages: a person, the topics, a topic (KM leads curate it there), Ask, and the
"contact" action that records an introduction.  No script; every form has a CSRF token
(checked by the pages blueprint)."""

from __future__ import annotations

from typing import Any, cast

from flask import current_app, redirect, render_template, request, url_for

from core.errors import InvalidRecordError, NotFoundError
from expertise import ExpertFinder, Topic, topic_from_dict
from expertise.records import plain_query
from search import MODES
from search.answers import TUNING, Answer, extract_answer
from search.query import words_query
from web import params
from web.api import readable_item
from web.auth import Viewer, page_viewer, require_page_viewer
from web.errors import Forbidden, InvalidParameter, NotFound
from web.km import note_pin_removal, readable_pin, readable_pins
from web.pages import local_target, pages

ROUTED = 5


def finder() -> ExpertFinder:
    return cast(ExpertFinder, current_app.extensions["quisait"].searchers.finder())


def viewer_or_401() -> Viewer:
    viewer = page_viewer()
    assert viewer is not None  # require_page_viewer ran first
    return viewer


def is_km(viewer: Viewer) -> bool:
    return bool(viewer.roles & {"km_lead", "admin"})


def require_km(viewer: Viewer) -> None:
    if not is_km(viewer):
        raise Forbidden("only KM leads and admins may do this", roles=["km_lead"])


@pages.get("/people/<path:person_id>")
@require_page_viewer
def person(person_id: str) -> Any:
    viewer = viewer_or_401()
    page = finder().person(person_id, viewer.person)
    if page is None:
        raise NotFound("no such person")
    return render_template("person.html", page=page, own=person_id == viewer.id,
                           contacted=params.flag("contacted"))


@pages.get("/topics")
@require_page_viewer
def topics() -> Any:
    viewer = viewer_or_401()
    found = finder()
    candidates = found.candidate_topics(viewer.person) if is_km(viewer) else []
    return render_template("topics.html", topics=found.topics.all(), candidates=candidates,
                           km=is_km(viewer), draft=request.args.get("name", "")[:200])


@pages.get("/topics/<path:topic_id>")
@require_page_viewer
def topic(topic_id: str) -> Any:
    viewer = viewer_or_401()
    mode = params.choice("mode", "hybrid", MODES)
    found = finder()
    try:
        page = found.topic(topic_id, viewer.person, mode=mode)
    except NotFoundError:
        raise NotFound("no such topic") from None
    km = is_km(viewer)
    curation = found.searcher.curation
    expressions = [e.casefold() for e in page.topic.expressions()]
    return render_template(
        "topic.html", page=page, km=km, mode=mode,
        pins=[p for p in readable_pins(found.searcher, viewer)
              if p.pattern == page.topic.name_fr] if km else [],
        synonyms=({i: e for i, e in curation.synonym_sets().items()
                   if _related(e, expressions)} if km else {}))


def _related(synonyms: list[str], expressions: list[str]) -> bool:
    """A synonym set concerns a topic when one of its expressions is in one of the topic's
    (or the other way round)."""
    return any(s.casefold() in e or e in s.casefold() for s in synonyms for e in expressions)


def _split(name: str, separator: str = ",") -> list[str]:
    raw = request.form.get(name, "")
    return [part.strip() for part in raw.replace("\r", "").split(separator) if part.strip()]


def _topic_from_form(topic_id: str | None) -> Topic:
    data = {"id": topic_id or request.form.get("id", ""),
            "name_fr": request.form.get("name_fr", ""), "name_en": request.form.get("name_en", ""),
            "description": request.form.get("description", "").strip()[:2000],
            "synonyms": _split("synonyms"), "tags": _split("tags"),
            "queries": _split("queries", "\n")}
    try:
        return topic_from_dict(data)
    except InvalidRecordError as exc:
        message = str(exc)
        field = message.split("'")[1] if message.count("'") >= 2 else "body"
        raise InvalidParameter(field, message) from None


@pages.post("/topics")
@require_page_viewer
def create_topic() -> Any:
    viewer = viewer_or_401()
    require_km(viewer)
    topic = _topic_from_form(None)
    found = finder()
    try:
        found.topics.get(topic.id)
    except NotFoundError:
        found.topics.put(topic, by=viewer.id)
        return redirect(url_for("pages.topic", topic_id=topic.id))
    raise InvalidParameter("id", f"a topic {topic.id!r} exists already")


@pages.post("/topics/<path:topic_id>/edit")
@require_page_viewer
def edit_topic(topic_id: str) -> Any:
    viewer = viewer_or_401()
    require_km(viewer)
    found = finder()
    try:
        found.topics.get(topic_id)
    except NotFoundError:
        raise NotFound("no such topic") from None
    found.topics.put(_topic_from_form(topic_id), by=viewer.id)
    return redirect(url_for("pages.topic", topic_id=topic_id))


@pages.post("/topics/<path:topic_id>/delete")
@require_page_viewer
def delete_topic(topic_id: str) -> Any:
    require_km(viewer_or_401())
    if not finder().topics.delete(topic_id):
        raise NotFound("no such topic")
    return redirect(url_for("pages.topics"))


@pages.post("/topics/<path:topic_id>/pins")
@require_page_viewer
def pin_for_topic(topic_id: str) -> Any:
    """Pin a readable item first for the topic (pattern: its French name)."""
    viewer = viewer_or_401()
    require_km(viewer)
    found = finder()
    try:
        topic = found.topics.get(topic_id)
    except NotFoundError:
        raise NotFound("no such topic") from None
    try:
        item = readable_item(request.form.get("item_id", ""), viewer, found.searcher)
    except NotFound:
        raise NotFound("no such post") from None
    found.searcher.curation.add_pin(topic.name_fr, item.id, created_by=viewer.id)
    return redirect(url_for("pages.topic", topic_id=topic_id))


@pages.post("/topics/<path:topic_id>/unpin/<int(max=2147483647):pin_id>")
@require_page_viewer
def unpin_for_topic(topic_id: str, pin_id: int) -> Any:
    """Remove a pin on an item the KM lead may read (404 for any other, like no pin)."""
    viewer = viewer_or_401()
    require_km(viewer)
    found = finder().searcher
    try:
        pin = readable_pin(found, viewer, pin_id)
    except NotFound:
        raise NotFound("no such pin") from None
    note_pin_removal(found, pin)
    if not found.curation.remove_pin(pin_id):
        raise NotFound("no such pin")
    return redirect(url_for("pages.topic", topic_id=topic_id))


@pages.post("/topics/<path:topic_id>/synonyms")
@require_page_viewer
def synonyms_for_topic(topic_id: str) -> Any:
    require_km(viewer_or_401())
    try:
        finder().searcher.curation.add_synonyms(_split("expressions")[:50])
    except ValueError as exc:
        raise InvalidParameter("expressions", str(exc)) from None
    return redirect(url_for("pages.topic", topic_id=topic_id))


@pages.post("/topics/<path:topic_id>/synonyms/<int(max=2147483647):set_id>/delete")
@require_page_viewer
def remove_synonyms_for_topic(topic_id: str, set_id: int) -> Any:
    require_km(viewer_or_401())
    if not finder().searcher.curation.remove_synonyms(set_id):
        raise NotFound("no such synonym set")
    return redirect(url_for("pages.topic", topic_id=topic_id))


@pages.get("/ask")
@require_page_viewer
def ask() -> Any:
    """Answered look-alikes and who to ask, before posting (nothing is posted)."""
    viewer = viewer_or_401()
    question = request.args.get("q", "").strip()[:5000]
    mode = params.choice("mode", "hybrid", MODES)
    routing = finder().route(question, viewer.person, limit=ROUTED, mode=mode) \
        if question else None
    return render_template("ask.html", question=question, routing=routing, mode=mode,
                           answer=_answer(question, viewer, mode) if question else None)


def _answer(question: str, viewer: Viewer, mode: str) -> Answer | None:
    """What the viewer's own search for the question says, quoted (see search.answers)."""
    scope = finder().searcher.scope(viewer.person)
    hits = scope.search(plain_query(question), mode=mode, limit=TUNING.passages)
    # the question's own words ("combien", "when") say what kind of answer it wants
    return extract_answer(scope, words_query(question), hits)


@pages.post("/introductions")
@require_page_viewer
def introduce() -> Any:
    """Record that the viewer contacts an expert quisait found, then open their profile."""
    viewer = viewer_or_401()
    expert_id = request.form.get("expert", "")
    found = finder()
    scope = found.searcher.scope(viewer.person)
    if expert_id == viewer.id or expert_id not in found.rankable(scope):
        raise NotFound("no such person")
    services = current_app.extensions["quisait"]
    services.introductions.record(viewer.id, expert_id, request.form.get("q", "").strip(),
                                  services.settings.query_log)
    target = url_for("pages.person", person_id=expert_id, contacted=1)
    return redirect(local_target(target))
