"""Experts, people, routing and topics as the API returns them (plain JSON, ISO dates).

A person is shown by their public profile fields only: never their roles or the
raw opted-out flag (``state`` says departed or opted out, for KM leads' views).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.records import Person, safe_url
from expertise import (
    Coverage,
    DemonstratedTopic,
    Evidence,
    Expert,
    PersonPage,
    Routing,
    Topic,
    TopicPage,
)
from web.present import hit_json

PROFILE_FIELDS = ("id", "name", "title", "department", "location", "company", "guest")


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def person_json(person: Person, full: bool = False) -> dict[str, Any]:
    """The public card of a person; ``full`` adds skills, languages and the about text."""
    data: dict[str, Any] = {name: getattr(person, name) for name in PROFILE_FIELDS}
    data["url"] = f"/people/{person.id}"
    if full:
        data.update(skills=list(person.skills), languages=list(person.languages),
                    about=person.about)
    return data


def evidence_url(evidence: Evidence) -> str:
    """The evidence's link if it is http(s), mailto or its post's page here; the post's
    page otherwise (a ``javascript:`` link stored before records were checked)."""
    local = f"/posts/{evidence.item_id}"
    return evidence.url if evidence.url == local else (safe_url(evidence.url) or local)


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    return {"item_id": evidence.item_id, "title": evidence.title, "snippet": evidence.snippet,
            "url": evidence_url(evidence), "role": evidence.role,
            "created": iso(evidence.created), "group": evidence.group,
            "credit": evidence.credit}


def expert_json(expert: Expert) -> dict[str, Any]:
    return {"person": person_json(expert.person), "score": expert.score,
            "components": {k: round(v, 6) for k, v in expert.components.items()},
            "evidence": [evidence_json(e) for e in expert.evidence],
            "answers": expert.answers, "accepted": expert.accepted, "posts": expert.posts,
            "last_activity": iso(expert.last_activity), "why": expert.why,
            "state": expert.state}


def demonstrated_json(topic: DemonstratedTopic) -> dict[str, Any]:
    return {"name": topic.name, "weight": topic.weight, "items": topic.items,
            "evidence": [evidence_json(e) for e in topic.evidence]}


def person_page_json(page: PersonPage) -> dict[str, Any]:
    return {"person": person_json(page.person, full=True), "state": page.state,
            "topics": [demonstrated_json(t) for t in page.topics],
            "declared": list(page.declared), "suggestions": list(page.suggestions),
            "declared_only": list(page.declared_only),
            "groups": [{"id": ident, "name": name} for ident, name in page.groups],
            "similar": [person_json(p) for p in page.similar],
            "activity": dict(page.activity), "last_activity": iso(page.last_activity)}


def routing_json(routing: Routing) -> dict[str, Any]:
    return {"question": routing.question,
            "answered": [hit_json(h) for h in routing.answered],
            "experts": [expert_json(e) for e in routing.experts]}


def topic_json(topic: Topic) -> dict[str, Any]:
    return {"id": topic.id, "name_fr": topic.name_fr, "name_en": topic.name_en,
            "description": topic.description, "synonyms": list(topic.synonyms),
            "tags": list(topic.tags), "queries": list(topic.queries),
            "url": f"/topics/{topic.id}"}


def coverage_json(coverage: Coverage) -> dict[str, Any]:
    return {"questions": coverage.questions, "answered": coverage.answered,
            "accepted": coverage.accepted, "answerers": coverage.answerers,
            "median_hours_to_answer": coverage.median_hours_to_answer,
            "top_answerer_share": coverage.top_answerer_share, "at_risk": coverage.at_risk}


def topic_page_json(page: TopicPage) -> dict[str, Any]:
    return {"topic": topic_json(page.topic),
            "experts": [expert_json(e) for e in page.experts],
            "content": [hit_json(h) for h in page.content],
            "unanswered": [hit_json(h) for h in page.unanswered],
            "coverage": coverage_json(page.coverage)}
