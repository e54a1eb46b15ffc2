"""Browser tests: Playwright drives Debian's Chromium against the real app served by waitress
over the sample corpus.  Sign-in, search in French and English, a post, a KM pin, the guest
canaries, planted HTML injection and the CSP.  Screenshots go to ``var/screenshots/``.

Run with ``pytest -m browser`` (``make test`` runs them; ``make browser`` installs Chromium).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask

from indexer.sample import CANARIES_PATH
from tests.conftest import ROOT
from tests.web_fixtures import CANARIES, copy_settings, token_for
from web import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("QUISAIT_CHROMIUM", "/usr/bin/chromium"))
# the flags DEVELOPERS.md documents: no sandbox as root, no GPU, no calls home
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
SCREENSHOTS = ROOT / "var" / "screenshots"
TIMEOUT_MS = 20_000
# signs that a planted script ran, or reached the page and was only stopped by the CSP
EXECUTION_EVIDENCE = re.compile(r"csp-violation: script-src|executing inline|pwned", re.IGNORECASE)
# Playwright does not forward the browser's own CSP reports: the page logs each violation
# (init scripts run through the debugger, outside the page's CSP)
REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', event => console.log(
    'csp-violation: ' + event.effectiveDirective + ' ' + event.blockedURI));
"""

HIDDEN = {kind: entry["words"] for kind, entry in CANARIES.items()
          if kind != "guest_shared"}
GUEST, EMPLOYEE, KM_LEAD, ADMIN = "p-ian", "p-julien", "p-claire", "p-nadia"
INSIDER = "p-francois"  # member of both g-codir (secret) and g-horizon (private)
HOSTILE = {"type": "post", "id": "post-browser-xss", "author": EMPLOYEE,
           "created": "2026-02-01T10:00:00", "group": "g-python", "kind": "post",
           "title": "<img src=x onerror=\"document.title='pw'+'ned'\"> quarzelite",
           "body": '<p onclick="alert(2)" onmouseover="alert(5)">quarzelite <b>bold</b></p>'
                   "<script>alert(3)</script><svg onload=alert(6)></svg>"
                   '<img src="/nothing.png" onerror="alert(7)">'
                   '<a href="javascript:alert(4)">link</a>'
                   "<iframe src=\"javascript:alert(8)\"></iframe>",
           "body_format": "html", "tags": ["python"]}


@dataclass
class Watched:
    """A signed-in page and what its browser reported: dialogs, console lines, errors."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def dismiss(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture(scope="module")
def live_app(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app over its own copy of the indexed sample corpus, demo sign-in on."""
    settings = copy_settings(sample_index, tmp_path_factory.mktemp("browser") / "data",
                             demo_login=True)
    return create_app(settings)


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """``quisait serve`` in a thread: waitress on 127.0.0.1 and a free port; its URL."""
    import waitress

    from web import waitress_options

    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4,
                                    **waitress_options(app.config["QUISAIT_SETTINGS"]))
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()


@pytest.fixture(scope="module")
def base_url(live_app: Flask) -> Iterator[str]:
    with served(live_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


@contextmanager
def signed_in(browser: Browser, base_url: str, person: str,
              locale: str = "fr-FR") -> Iterator[Watched]:
    """A fresh browser context signed in as ``person`` through the demo sign-in form."""
    context = browser.new_context(base_url=base_url, locale=locale,
                                  viewport={"width": 1200, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    watched = Watched(page)
    page.on("dialog", watched.dismiss)
    page.on("console", lambda message: watched.console.append(message.text))
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    try:
        page.goto("/signin?next=/search")
        page.select_option("#person", person)
        page.click("form.signin button")
        page.wait_for_url(re.compile(r"/search"))
        yield watched
    finally:
        context.close()


def search(page: Page, query: str, mode: str = "lexical") -> list[str]:
    """Type ``query``, pick ``mode``, submit, and return the result titles in order.

    Lexical by default: the tests' hashing encoder stands in for the model, so its semantic
    neighbours are noise (the web tests check the modes; these check the browser's view).
    """
    page.fill("#q", query)
    page.check(f"input[name=mode][value={mode}]")
    page.press("#q", "Enter")
    page.wait_for_selector("#results-title")
    return page.locator("ol.hits li.hit h3 a").all_inner_texts()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def body_text(page: Page) -> str:
    return page.inner_text("body").lower()


def test_sign_in_and_search_in_french(browser, base_url):
    with signed_in(browser, base_url, EMPLOYEE, locale="fr-FR") as watched:
        page = watched.page
        assert page.get_attribute("html", "lang") == "fr"
        assert page.inner_text(".who strong") == "Julien Moreau"
        titles = search(page, "notes de frais")
        assert len(titles) >= 3, titles
        assert "Délai de remboursement des notes de frais ?" in titles[:5], titles
        marks = {m.lower() for m in page.locator("ol.hits mark").all_inner_texts()}
        assert {"notes", "frais"} & marks, marks
        assert "Finance, achats & notes de frais" in page.inner_text("ol.hits")
        assert page.inner_text("#results-title") == "Résultats"
        screenshot(page, "search-fr")
        assert not watched.errors and not watched.dialogs


def test_a_typo_is_searched_for_what_was_meant_and_as_typed_on_request(browser, base_url):
    with signed_in(browser, base_url, EMPLOYEE, locale="fr-FR") as watched:
        page = watched.page
        titles = search(page, "remboursment frais")
        assert "Délai de remboursement des notes de frais ?" in titles[:5], titles
        notice = page.inner_text("p.corrected")
        assert "remboursement" in notice and "« remboursment »" in notice, notice
        marks = {m.lower() for m in page.locator("ol.hits mark").all_inner_texts()}
        assert "remboursement" in marks, marks  # the word searched is highlighted
        screenshot(page, "search-typo")
        page.click("p.corrected a")  # search only for what was typed: the word quoted
        page.wait_for_selector("#results-title")
        assert page.input_value("#q") == '"remboursment" frais'
        assert page.locator("p.corrected").count() == 0
        assert not watched.errors and not watched.dialogs


def test_search_in_english_and_open_a_result(browser, base_url):
    with signed_in(browser, base_url, EMPLOYEE, locale="en-US") as watched:
        page = watched.page
        assert page.get_attribute("html", "lang") == "en"
        titles = search(page, "kubernetes")
        assert len(titles) >= 3, titles
        assert page.is_checked("input[name=mode][value=lexical]")
        assert any("kubernetes" in m.lower()
                   for m in page.locator("ol.hits mark").all_inner_texts())
        assert page.inner_text("#results-title") == "Results"
        screenshot(page, "search-en")
        page.click("ol.hits li.hit h3 a >> nth=0")
        page.wait_for_url(re.compile(r"/posts/"))
        assert page.inner_text("article.post h1") == titles[0]
        assert "kubernetes" in page.inner_text("article.post").lower()
        assert page.locator("article.post .body").inner_text().strip()
        screenshot(page, "post")
        assert not watched.errors and not watched.dialogs


def test_km_lead_pins_a_result_and_sees_it_first(browser, base_url):
    # a query of its own: a pin applies to every query holding all its words
    query = "frais de déplacement"
    with signed_in(browser, base_url, KM_LEAD, locale="fr-FR") as watched:
        page = watched.page
        before = search(page, query)
        assert len(before) >= 3, before
        chosen = before[-1]
        assert before[0] != chosen
        page.locator("ol.hits li.hit").nth(len(before) - 1).locator("form.pinform button").click()
        page.wait_for_selector("ol.hits li.hit.pinned")
        after = page.locator("ol.hits li.hit h3 a").all_inner_texts()
        assert after[0] == chosen, after
        first = page.locator("ol.hits li.hit").first
        assert "pinned" in (first.get_attribute("class") or "")
        assert first.locator(".badge.pin").count() == 1
        screenshot(page, "pinned")
    # an employee searching the same words sees the pin first too
    with signed_in(browser, base_url, EMPLOYEE, locale="fr-FR") as watched:
        assert search(watched.page, query)[0] == chosen


@pytest.mark.parametrize("kind", sorted(HIDDEN))
def test_guest_never_sees_private_or_secret_canaries(browser, base_url, kind):
    words = HIDDEN[kind]
    with signed_in(browser, base_url, GUEST, locale="en-US") as watched:
        page = watched.page
        for word in words:
            assert search(page, word) == []
            assert word not in body_text(page)
            page.goto(f"/search?q={word}&mode=semantic")
            assert word not in body_text(page)
        # the guest does see what is shared with them (the tests can tell a leak)
        assert search(page, "kessivor")
        assert "kessivor" in body_text(page)
    with signed_in(browser, base_url, INSIDER, locale="en-US") as watched:
        for word in words:
            assert search(watched.page, word), word
            assert word in body_text(watched.page)


def test_guest_cannot_open_a_secret_post_by_its_address(browser, base_url):
    secret = _first_post_in(CANARIES["secret"]["group"])
    with signed_in(browser, base_url, INSIDER, locale="en-US") as watched:
        assert watched.page.goto(f"/posts/{secret}").status == 200
    with signed_in(browser, base_url, GUEST, locale="en-US") as watched:
        assert watched.page.goto(f"/posts/{secret}").status == 404
        text = body_text(watched.page)
        assert not any(word in text for words in HIDDEN.values() for word in words)


def _first_post_in(group: str) -> str:
    """The id of the sample corpus's first post in ``group``."""
    with (CANARIES_PATH.parent / "network.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["type"] == "post" and record.get("group") == group:
                return str(record["id"])
    raise AssertionError(f"no post in {group}")


def test_planted_html_never_executes(browser, base_url, live_app):
    token = token_for(live_app, ADMIN)
    with signed_in(browser, base_url, EMPLOYEE, locale="en-US") as watched:
        page = watched.page
        answer = page.request.post(f"{base_url}/api/v1/records", data=[HOSTILE],
                                   headers={"Authorization": f"Bearer {token}"})
        assert answer.ok, answer.text()
        assert answer.json()["added"] == 1
        titles = search(page, "quarzelite")
        assert titles and "onerror" in titles[0]  # shown as text, not as markup
        page.click("ol.hits li.hit h3 a >> nth=0")
        page.wait_for_url(re.compile(r"/posts/post-browser-xss"))
        page.hover("article.post .body p")
        page.click("article.post .body p")
        assert "onerror" in page.inner_text("article.post h1")
        dom = page.evaluate("""() => {
            const main = document.querySelector('main');
            const all = [...main.querySelectorAll('*')];
            return {
                scripts: main.querySelectorAll('script, iframe, svg').length,
                handlers: all.filter(e => [...e.attributes].some(a => /^on/i.test(a.name))).length,
                javascript: all.filter(e => ['href', 'src', 'action'].some(
                    name => /javascript:/i.test(e.getAttribute(name) || ''))).length,
                title: document.title,
            };
        }""")
        assert dom["scripts"] == 0 and dom["handlers"] == 0 and dom["javascript"] == 0, dom
        assert "pwned" not in dom["title"]
        page.wait_for_timeout(300)  # let any late handler fire before reading the evidence
        assert watched.dialogs == []
        assert not [line for line in watched.console if EXECUTION_EVIDENCE.search(line)]
        assert watched.errors == []
        screenshot(page, "injection")
        # the dialog watch itself works: a script run through the debugger does raise one
        page.evaluate("() => alert('probe')")
        assert watched.dialogs == ["probe"]


def test_csp_header_is_present_and_enforced(browser, base_url):
    with signed_in(browser, base_url, EMPLOYEE, locale="en-US") as watched:
        page = watched.page
        response = page.goto("/search?q=kubernetes")
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src" not in csp and "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        # the browser enforces it: a script element added to the page never runs
        ran = page.evaluate("""() => new Promise(done => {
            const tag = document.createElement('script');
            tag.textContent = 'window.__ran = true';
            document.body.appendChild(tag);
            setTimeout(() => done(window.__ran === true), 100);
        })""")
        assert ran is False
        assert any(EXECUTION_EVIDENCE.search(line) for line in watched.console)


# these pages were being built beside these tests: each scenario runs once its template exists
TEMPLATES = ROOT / "web" / "templates"


@pytest.mark.skipif(not (TEMPLATES / "person.html").exists(),
                    reason="no person pages yet (web/templates/person.html), hence no experts "
                           "sidebar to follow")
def test_open_an_expert_page_from_the_experts_sidebar(browser, base_url):
    with signed_in(browser, base_url, EMPLOYEE, locale="fr-FR") as watched:
        page = watched.page
        assert search(page, "notes de frais")
        experts = page.locator("section.experts li.expert .name a")
        names = experts.all_inner_texts()
        assert names and "Julien Moreau" not in names, names
        assert page.locator("section.experts li.expert .evidence a").count() >= 1
        screenshot(page, "search-experts")
        experts.first.click()
        page.wait_for_url(re.compile(r"/people/"))
        assert page.inner_text("article.person h1").startswith(names[0])
        assert page.locator("#demonstrated-title").is_visible()
        assert page.locator("article.person .evidence a").count() >= 1
        screenshot(page, "person")
        assert not watched.errors and not watched.dialogs


@pytest.mark.skipif(not (TEMPLATES / "ask.html").exists(),
                    reason="no ask page yet (web/templates/ask.html)")
def test_ask_a_question_and_see_routing_suggestions(browser, base_url):
    question = "Comment me faire rembourser mes notes de frais après un déplacement ?"
    with signed_in(browser, base_url, EMPLOYEE, locale="fr-FR") as watched:
        page = watched.page
        page.goto("/ask")
        page.fill("#question", question)
        page.click("form.askbox button")
        page.wait_for_selector("#who-title")
        lookalikes = page.locator("section[aria-labelledby=answered-title] li a").all_inner_texts()
        assert any("notes de frais" in title.lower() for title in lookalikes), lookalikes
        who = page.locator("aside[aria-labelledby=who-title] li.expert .name a").all_inner_texts()
        assert who and "Julien Moreau" not in who, who  # never the asker
        assert page.input_value("#question") == question
        screenshot(page, "ask")
        assert not watched.errors and not watched.dialogs
