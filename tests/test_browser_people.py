"""Browser scenarios for the people directory and profiles people tend themselves, in
Debian's Chromium: look a colleague up with a typo, narrow by a facet, open their page;
accept a suggested skill on one's own page and find oneself by it in the directory.

Reuses the fixtures of ``tests/test_browser.py`` over an app of its own (the scenario
writes profile choices).  Run with ``pytest -m browser tests/test_browser_people.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.test_browser import browser, screenshot, served, signed_in  # noqa: F401
from tests.web_fixtures import copy_settings
from web import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def people_app(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    settings = copy_settings(sample_index, tmp_path_factory.mktemp("browser-people") / "data",
                             demo_login=True)
    return create_app(settings)


@pytest.fixture(scope="module")
def people_url(people_app: Flask) -> Iterator[str]:
    with served(people_app) as url:
        yield url


def test_find_a_colleague_with_a_typo_and_a_facet(browser, people_url):  # noqa: F811
    with signed_in(browser, people_url, "p-julien", locale="fr-FR") as watched:
        page = watched.page
        page.click("nav.sections a[href='/people']")
        page.wait_for_url(re.compile(r"/people"))
        page.fill("#q", "Vaseur")  # Vasseur, one letter short
        page.click("form.searchbox button")
        page.wait_for_url(re.compile(r"q=Vaseur"))
        cards = page.locator("ul.people li.card")
        assert cards.count() >= 1
        assert "Hélène Vasseur" in cards.first.inner_text()
        page.fill("#q", "")
        page.click("form.searchbox button")
        total = page.inner_text("#people-title")
        page.locator("section.facets a", has_text="Finance").first.click()
        page.wait_for_url(re.compile(r"department=Finance"))
        assert page.inner_text("#people-title") != total
        for card in page.locator("ul.people li.card").all():
            assert "Finance" in card.inner_text()
        screenshot(page, "people")
        page.locator("ul.people li.card a").first.click()
        page.wait_for_url(re.compile(r"/people/p-"))
        assert page.locator("h1").inner_text()
        assert not watched.errors and not watched.dialogs


def test_accept_a_suggested_skill_and_be_found_by_it(browser, people_url, people_app):  # noqa: F811
    with signed_in(browser, people_url, "p-julien", locale="en-US") as watched:
        page = watched.page
        page.goto("/people/p-julien")
        suggestions = page.locator("ul.suggested li")
        assert suggestions.count() >= 1
        skill = suggestions.first.locator("input[name=skill]").get_attribute("value")
        assert skill
        suggestions.first.locator("button[value=accept]").click()
        page.wait_for_selector("p.note[role=status]")
        declared = page.locator("section[aria-labelledby=declared-title] ul.chips").first
        assert skill in declared.inner_text()
        assert skill not in [s.inner_text() for s in page.locator("ul.suggested li").all()]
        screenshot(page, "profile")
        page.goto(f"/people?q={skill}")
        assert "Julien" in page.inner_text("ul.people")
        assert not watched.errors and not watched.dialogs
