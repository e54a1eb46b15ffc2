"""Profiles people tend themselves: accepting and dismissing suggested skills, hiding
topics, opting out of expert ranking and back in; only their own, audited, exported for
the network, surviving a re-import of the records."""

from __future__ import annotations

from typing import Any

from flask import Flask

from search.profiles import ProfileStore
from tests.web_fixtures import bearer, csrf_of, signed_in, token_for

PERSON = "p-julien"


def api(app: Flask, person: str, method: str, url: str, **body: Any) -> Any:
    return app.test_client().open(f"/api/v1{url}", method=method, json=body or None,
                                  headers=bearer(token_for(app, person)))


def page_of(app: Flask, person: str, viewer: str | None = None) -> Any:
    return app.extensions["quisait"].searchers.finder().person(person, viewer or person)


def test_accepting_and_dismissing_suggestions_from_the_own_page(app: Flask) -> None:
    before = page_of(app, PERSON)
    assert len(before.suggestions) >= 2, before.suggestions
    accepted, dismissed = before.suggestions[0], before.suggestions[1]
    client = signed_in(app, PERSON)
    html = client.get(f"/people/{PERSON}").get_data(as_text=True)
    assert 'action="/me/profile/skills"' in html and 'value="accept"' in html
    for skill, action in ((accepted, "accept"), (dismissed, "dismiss")):
        done = client.post("/me/profile/skills", data={"csrf_token": csrf_of(html),
                                                       "skill": skill, "action": action})
        assert done.status_code == 302 and done.headers["Location"].startswith(
            f"/people/{PERSON}")
    after = page_of(app, PERSON)
    assert accepted in after.declared  # a declared skill from now on
    assert accepted not in after.suggestions and dismissed not in after.suggestions
    # the experts ranking and the directory see the accepted skill too
    found = app.extensions["quisait"].searchers.get().people[PERSON]
    assert accepted in found.skills
    mine = api(app, PERSON, "GET", "/me/profile").get_json()
    assert mine["accepted"] == [accepted] and mine["dismissed"] == [dismissed]
    # exported for the network to take back (connectors and admins only)
    assert api(app, PERSON, "GET", "/profiles").status_code == 403
    export = api(app, "p-nadia", "GET", "/profiles").get_json()["profiles"]
    assert {"person": PERSON, "accepted_skills": [accepted], "opted_out": None} == {
        k: v for k, v in export[0].items() if k != "changed"}
    # undo brings the suggestion back
    api(app, PERSON, "POST", "/me/profile/skills", skill=dismissed, action="undo")
    assert dismissed in page_of(app, PERSON).suggestions
    # every change is audited
    audit = api(app, "p-nadia", "GET", "/admin/audit").get_json()["entries"]
    actions = [(e["action"], e["actor"]) for e in audit]
    assert actions.count(("profile.skill", PERSON)) == 3


def test_only_what_is_suggested_now_can_be_accepted(app: Flask) -> None:
    refused = api(app, PERSON, "POST", "/me/profile/skills", skill="Chief Astronaut",
                  action="accept")
    assert refused.status_code == 400
    assert refused.get_json()["error"]["detail"]["field"] == "skill"
    assert api(app, PERSON, "POST", "/me/profile/skills", skill="x" * 101,
               action="dismiss").status_code == 400
    assert api(app, PERSON, "POST", "/me/profile/skills", skill="git",
               action="promote").status_code == 400
    assert page_of(app, PERSON).declared == page_of(app, PERSON).person.skills


def test_hiding_a_topic_shows_it_to_nobody_and_lists_it_to_its_owner(app: Flask) -> None:
    topics = [t.name for t in page_of(app, PERSON).topics]
    assert topics, "the sample gives Julien demonstrated topics"
    client = signed_in(app, PERSON)
    html = client.get(f"/people/{PERSON}").get_data(as_text=True)
    client.post("/me/profile/topics", data={"csrf_token": csrf_of(html), "topic": topics[0],
                                            "action": "hide"})
    assert topics[0] not in [t.name for t in page_of(app, PERSON, "p-claire").topics]
    own = page_of(app, PERSON)
    assert topics[0] not in [t.name for t in own.topics] and own.hidden_topics == (topics[0],)
    assert page_of(app, PERSON, "p-claire").hidden_topics == ()  # nobody else sees the list
    shown = client.get(f"/people/{PERSON}").get_data(as_text=True)
    assert "Hidden from your page" in shown
    api(app, PERSON, "POST", "/me/profile/topics", topic=topics[0], action="show")
    assert topics[0] in [t.name for t in page_of(app, PERSON).topics]


def test_opting_out_takes_them_out_of_expert_ranking_and_back(app: Flask) -> None:
    finder = app.extensions["quisait"].searchers.finder()
    experts = [e.person.id for e in finder.experts("gitlab runners", "p-sarah",
                                                   mode="lexical")]
    assert PERSON in experts
    client = signed_in(app, PERSON)
    html = client.get(f"/people/{PERSON}").get_data(as_text=True)
    assert client.post("/me/profile/ranking", data={"csrf_token": csrf_of(html),
                                                    "opted_out": "1"}).status_code == 302
    finder = app.extensions["quisait"].searchers.finder()
    assert PERSON not in [e.person.id for e in finder.experts("gitlab runners", "p-sarah",
                                                             mode="lexical")]
    assert "You are not suggested as an expert" in client.get(
        f"/people/{PERSON}").get_data(as_text=True)
    answer = api(app, PERSON, "PUT", "/me/profile/ranking", opted_out=False)
    assert answer.status_code == 200 and answer.get_json()["opted_out"] is False
    finder = app.extensions["quisait"].searchers.finder()
    assert PERSON in [e.person.id for e in finder.experts("gitlab runners", "p-sarah",
                                                         mode="lexical")]
    assert api(app, PERSON, "PUT", "/me/profile/ranking", opted_out="yes").status_code == 400


def test_changes_are_the_persons_own_and_need_the_form_token(app: Flask) -> None:
    client = signed_in(app, "p-sarah")
    # no route takes a person id: Sarah's posts change Sarah's profile only
    assert client.post("/me/profile/ranking", data={"opted_out": "1"}).status_code == 403
    html = client.get("/people/p-sarah").get_data(as_text=True)
    client.post("/me/profile/ranking", data={"csrf_token": csrf_of(html), "opted_out": "1"})
    store: ProfileStore = app.extensions["quisait"].searchers.get().profiles
    assert store.choices("p-sarah").opted_out is True and store.choices(PERSON).opted_out is None
    others = client.get(f"/people/{PERSON}").get_data(as_text=True)
    assert 'action="/me/profile/skills"' not in others and 'action="/me/profile/ranking"' \
        not in others


def test_choices_survive_a_new_import_of_the_records(app: Flask) -> None:
    api(app, PERSON, "PUT", "/me/profile/ranking", opted_out=True)
    record = {"type": "person", "id": PERSON, "name": "Julien Moreau",
              "title": "Ingénieur DevOps", "skills": ["GitLab CI"], "opted_out": False}
    connector = token_for(app, "p-nadia", roles=("connector",))
    pushed = app.test_client().post("/api/v1/records", json=[record],
                                    headers=bearer(connector))
    assert pushed.status_code == 200, pushed.get_json()
    assert pushed.get_json()["updated"] == 1
    person = app.extensions["quisait"].searchers.get().current_person(PERSON)
    assert person is not None  # the record says opted_out false; her choice says true
    assert person.opted_out is True and person.skills == ("GitLab CI",)
