"""Profiles people tend themselves: on their own page (plain forms) and the API, a person
accepts or dismisses each suggested skill, hides a demonstrated topic (or shows it again),
and opts out of expert ranking (or back in).  Every change is the signed-in person's own
(the routes take no person id) and audited; accepted skills are exported through
``GET /api/v1/profiles`` (connectors and admins) for the network to take back.

Accepting or dismissing is for what quisait suggests to the person now (a skill shown on
their page); undoing works on any earlier choice.  See :mod:`search.profiles`.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, redirect, request, url_for

from search.profiles import ProfileStore, clean_skill
from web import params
from web.api import api, api_viewer
from web.auth import Viewer, page_viewer, require_page_viewer, require_roles
from web.errors import InvalidParameter
from web.expert_pages import finder
from web.pages import pages

SKILL_ACTIONS = ("accept", "dismiss", "undo")
TOPIC_ACTIONS = ("hide", "show")


def _store() -> ProfileStore:
    return finder().searcher.profiles


def _text(value: Any, field: str) -> str:
    try:
        return clean_skill(value)
    except ValueError as exc:
        raise InvalidParameter(field, str(exc)) from None


def change_skill(viewer: Viewer, skill: Any, action: Any) -> None:
    if action not in SKILL_ACTIONS:
        raise InvalidParameter("action", f"must be one of {', '.join(SKILL_ACTIONS)}",
                               valid=list(SKILL_ACTIONS))
    value = _text(skill, "skill")
    store = _store()
    if action == "undo":
        store.set_skill(viewer.id, value, None)
        return
    page = finder().person(viewer.id, viewer.person)
    suggested = page.suggestions if page is not None else ()
    if value.casefold() not in {s.casefold() for s in suggested}:
        raise InvalidParameter("skill", "is not among the skills suggested to you now")
    store.set_skill(viewer.id, value, "accepted" if action == "accept" else "dismissed")


def change_topic(viewer: Viewer, topic: Any, action: Any) -> None:
    if action not in TOPIC_ACTIONS:
        raise InvalidParameter("action", f"must be one of {', '.join(TOPIC_ACTIONS)}",
                               valid=list(TOPIC_ACTIONS))
    _store().hide_topic(viewer.id, _text(topic, "topic"), hidden=action == "hide")


def profile_json(viewer: Viewer) -> dict[str, Any]:
    choices = _store().choices(viewer.id)
    person = finder().searcher.current_person(viewer.id) or viewer.person
    return {"person": viewer.id, "skills": list(person.skills),
            "accepted": list(choices.accepted), "dismissed": list(choices.dismissed),
            "hidden_topics": list(choices.hidden_topics),
            "opted_out": bool(person.opted_out)}


def _own_page() -> Any:
    viewer = page_viewer()
    assert viewer is not None
    return redirect(url_for("pages.person", person_id=viewer.id, saved=1))


# -- pages ------------------------------------------------------------------------------

@pages.post("/me/profile/skills")
@require_page_viewer
def profile_skill() -> Any:
    viewer = page_viewer()
    assert viewer is not None
    change_skill(viewer, request.form.get("skill"), request.form.get("action"))
    return _own_page()


@pages.post("/me/profile/topics")
@require_page_viewer
def profile_topic() -> Any:
    viewer = page_viewer()
    assert viewer is not None
    change_topic(viewer, request.form.get("topic"), request.form.get("action"))
    return _own_page()


@pages.post("/me/profile/ranking")
@require_page_viewer
def profile_ranking() -> Any:
    viewer = page_viewer()
    assert viewer is not None
    _store().set_opted_out(viewer.id, request.form.get("opted_out") == "1")
    return _own_page()


# -- API --------------------------------------------------------------------------------

@api.get("/me/profile")
@require_roles()
def my_profile() -> Any:
    """The token's person's skills (declared and accepted), dismissed suggestions, hidden
    topics and whether they opted out of expert ranking."""
    return jsonify(profile_json(api_viewer()))


@api.post("/me/profile/skills")
@require_roles()
def my_profile_skill() -> Any:
    """``{"skill": ..., "action": "accept" | "dismiss" | "undo"}``."""
    viewer, data = api_viewer(), params.json_object()
    change_skill(viewer, data.get("skill"), data.get("action"))
    return jsonify(profile_json(viewer))


@api.post("/me/profile/topics")
@require_roles()
def my_profile_topic() -> Any:
    """``{"topic": ..., "action": "hide" | "show"}``."""
    viewer, data = api_viewer(), params.json_object()
    change_topic(viewer, data.get("topic"), data.get("action"))
    return jsonify(profile_json(viewer))


@api.put("/me/profile/ranking")
@require_roles()
def my_profile_ranking() -> Any:
    """``{"opted_out": true | false}``: out of expert ranking, or back in."""
    viewer, data = api_viewer(), params.json_object()
    if not isinstance(data.get("opted_out"), bool):
        raise InvalidParameter("opted_out", "must be true or false")
    _store().set_opted_out(viewer.id, data["opted_out"])
    return jsonify(profile_json(viewer))


@api.get("/profiles")
@require_roles("connector", "admin")
def export_profiles() -> Any:
    """What people changed here, for the network to take back: skills they accepted and
    their opt-out, per person, with when they last changed something."""
    everyone = _store().everyone()
    return jsonify({"profiles": [
        {"person": person, "accepted_skills": list(c.accepted), "opted_out": c.opted_out,
         "changed": c.changed} for person, c in sorted(everyone.items())
        if c.accepted or c.opted_out is not None]})
