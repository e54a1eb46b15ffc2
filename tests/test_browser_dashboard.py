"""Browser scenario for the KM dashboard's indicators, in Debian's Chromium: a KM lead
reads the 95/4/1 split, the tables per group kind and per group, and downloads one as
CSV; French number formats on the page.  Run with ``pytest -m browser
tests/test_browser_dashboard.py``."""

from __future__ import annotations

import re

import pytest

from tests.test_browser import base_url, browser, live_app, screenshot, signed_in  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_km_lead_reads_the_indicators_and_downloads_a_table(browser, base_url):  # noqa: F811
    with signed_in(browser, base_url, "p-claire", locale="fr-FR") as watched:
        page = watched.page
        page.click("nav.sections a[href='/km']")
        page.wait_for_url(re.compile(r"/km$"))
        creators = page.inner_text("#creators")
        assert re.match(r"\d+ \(\d+(,\d)?\xa0%\)", creators), creators  # "34 (97,1 %)"
        assert page.locator("table.split-kinds tbody tr").count() >= 3
        groups = page.locator("table.split-groups tbody tr")
        assert groups.count() >= 5
        assert "Finance" in page.inner_text("table.split-groups")
        with page.expect_download() as caught:
            page.click("a[href='/km/indicators/groups.csv']")
        download = caught.value
        assert download.suggested_filename == "quisait-groups.csv"
        text = open(download.path(), encoding="utf-8").read()
        assert text.splitlines()[0].startswith("label,people,readers")
        assert len(text.splitlines()) == groups.count() + 1
        screenshot(page, "dashboard")
        assert not watched.errors and not watched.dialogs
