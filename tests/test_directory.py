"""The people directory (``/people``, ``GET /api/v1/people``): names found through
accents, typos and prefixes; titles, departments, skills and demonstrated topics; facets
and paging; and who may find whom (guests, departed and opted-out people)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from expertise.directory import PAGE_SIZE
from tests.web_fixtures import bearer, signed_in, token_for

GUESTS_CIRCLE = {"p-antoine", "p-genevieve", "p-kevin", "p-lucas", "p-oliver", "p-fiona",
                 "p-ian"}  # the members and guests of g-kestrel, the guest's one group


def people(app: Flask, person: str, **args: Any) -> dict[str, Any]:
    answer = app.test_client().get("/api/v1/people", query_string=args,
                                   headers=bearer(token_for(app, person)))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()  # type: ignore[no-any-return]


def ids(found: dict[str, Any]) -> list[str]:
    return [entry["person"]["id"] for entry in found["people"]]


def test_names_are_found_through_accents_case_typos_and_prefixes(shared_app: Flask) -> None:
    for query in ("Hélène", "helene", "HELENE VASSEUR", "vaseur", "Hele", "hélène vass"):
        found = ids(people(shared_app, "p-julien", q=query))
        assert found[:1] == ["p-helene"], query
    assert "p-helene" not in ids(people(shared_app, "p-julien", q="h"))  # one letter: no prefix
    # a name query looks up names only: not everyone who wrote "Karim" in a post
    karim = people(shared_app, "p-julien", q="karim")
    assert ids(karim) == ["p-karim"] and karim["people"][0]["matched"] == ["name"]


def test_titles_departments_skills_and_demonstrated_topics(shared_app: Flask) -> None:
    assert "p-helene" in ids(people(shared_app, "p-julien", q="directrice"))
    finance = people(shared_app, "p-julien", q="finance")
    assert finance["total"] >= 2
    assert all("department" in e["matched"] or "title" in e["matched"] or "skill"
               in e["matched"] or "topic" in e["matched"] for e in finance["people"])
    sap = people(shared_app, "p-julien", q="sap")
    assert {"skill"} <= {m for e in sap["people"] for m in e["matched"]}
    # someone who answered about a subject is found by it without declaring it
    topical = people(shared_app, "p-claire", q="grafana")["people"]
    assert topical and all(e["matched"] == ["topic"] and e["topics"] == ["grafana"]
                           for e in topical)
    assert people(shared_app, "p-julien", q="zzzyxq")["people"] == []


def test_facets_filter_and_paging(shared_app: Flask) -> None:
    everyone = people(shared_app, "p-julien")
    departments = {f["value"]: f["count"] for f in everyone["facets"]["department"]}
    assert departments and sum(departments.values()) <= everyone["total"]
    name, count = max(departments.items(), key=lambda pair: pair[1])
    narrowed = people(shared_app, "p-julien", department=name)
    assert narrowed["total"] == count
    assert all(e["person"]["department"] == name for e in narrowed["people"])
    kinds = {f["value"] for f in everyone["facets"]["group_kind"]}
    assert "theme" in kinds
    themed = people(shared_app, "p-julien", group_kind="theme")
    assert 0 < themed["total"] < everyone["total"]
    assert everyone["total"] > PAGE_SIZE and everyone["more"]
    second = people(shared_app, "p-julien", page=2)
    assert not set(ids(everyone)) & set(ids(second))
    assert len(ids(everyone)) == PAGE_SIZE


def test_a_guest_finds_only_the_people_of_the_groups_they_share(shared_app: Flask) -> None:
    seen = people(shared_app, "p-ian")
    assert set(ids(seen)) <= GUESTS_CIRCLE and seen["total"] == len(set(ids(seen)))
    assert people(shared_app, "p-ian", q="helene")["people"] == []
    kinds = {f["value"] for f in seen["facets"]["group_kind"]}
    assert kinds <= {"project"}  # only the kinds of groups the guest reads
    page = signed_in(shared_app, "p-ian").get("/people?q=vasseur").get_data(as_text=True)
    assert "Vasseur" not in page


def test_departed_only_to_km_leads_and_opted_out_without_expertise(shared_app: Flask) -> None:
    assert "p-bernard" not in ids(people(shared_app, "p-julien", q="bernard"))
    km = people(shared_app, "p-claire", q="bernard")
    [bernard] = [e for e in km["people"] if e["person"]["id"] == "p-bernard"]
    assert bernard["state"] == "departed"
    # opted out: found by name, never by what they wrote, no skills shown
    [nicolas] = people(shared_app, "p-julien", q="nicolas faure")["people"]
    assert nicolas["state"] == "opted_out" and nicolas["skills"] == [] and not nicolas["topics"]
    assert "p-nicolas" not in ids(people(shared_app, "p-julien", q="vba"))
    page = signed_in(shared_app, "p-julien").get("/people?q=nicolas").get_data(as_text=True)
    assert "opted out" in page and "VBA" not in page


def test_the_page_has_facet_links_paging_and_no_script(shared_app: Flask) -> None:
    client = signed_in(shared_app, "p-julien")
    page = client.get("/people").get_data(as_text=True)
    assert 'href="/people"' in page  # in the header
    assert "<script" not in page and "People found:" in page
    assert "department=" in page and "page=2" in page
    filtered = client.get("/people?q=&group_kind=theme").get_data(as_text=True)
    assert "Clear the filters" in filtered and 'name="group_kind" value="theme"' in filtered
