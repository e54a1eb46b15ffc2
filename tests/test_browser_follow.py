"""Browser scenario for follows: a person signs in through the demo form, follows a rare
search with the page's Follow button, sees it in "My follows" and asks for emails as it
happens; a worker tick mails the address's confirmation link, which the browser opens and
confirms; a connector pushes a matching post, one more tick runs over the same data
folder, and a real SMTP server (aiosmtpd on 127.0.0.1) receives exactly one alert to
that person, naming the new post, with a List-Unsubscribe header.

Reuses the browser fixtures of ``tests/test_browser.py`` over an app of its own, whose
settings point at the SMTP server.  Run with ``pytest -m browser tests/test_browser_follow.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from notify.worker import run_worker
from tests.test_browser import browser, screenshot, search, served, signed_in  # noqa: F401
from tests.test_notify_mail import SmtpRecorder, running_smtp
from tests.web_fixtures import copy_settings, token_for
from web import create_app

pytestmark = pytest.mark.browser

FOLLOWER, AUTHOR = "p-julien", "p-thomas"
ADDRESS = "julien.moreau@valtorre.example"
RARE = "vrombilance"  # in nothing of the sample corpus
TITLE = "Vrombilance du banc moteur numéro 7"
NEW_POST = {"type": "post", "id": "post-browser-follow", "author": AUTHOR,
            "created": "2026-12-01T09:00:00", "group": "g-python", "kind": "post",
            "title": TITLE, "body": f"Mesures de {RARE} relevées cette semaine.",
            "tags": ["python"]}


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[SmtpRecorder, int]]:
    with running_smtp() as server:
        yield server


@pytest.fixture(scope="module")
def mail_app(sample_index: Path, tmp_path_factory: pytest.TempPathFactory,
             smtp: tuple[SmtpRecorder, int]) -> Flask:
    """The app over its own copy of the sample, demo sign-in on, mail to aiosmtpd."""
    settings = copy_settings(sample_index, tmp_path_factory.mktemp("browser-follow") / "data",
                             demo_login=True, smtp_host="127.0.0.1", smtp_port=smtp[1],
                             mail_from="quisait@valtorre.example",
                             public_url="https://quisait.valtorre.example",
                             secret_key="browser-follow-secret-key-0123456789")
    return create_app(settings)


@pytest.fixture(scope="module")
def mail_url(mail_app: Flask) -> Iterator[str]:
    with served(mail_app) as url:
        yield url


def test_follow_a_search_and_get_one_email_for_a_new_post(browser, mail_url, mail_app,  # noqa: F811
                                                          smtp):
    recorder = smtp[0]
    with signed_in(browser, mail_url, FOLLOWER, locale="en-US") as watched:
        page = watched.page
        assert search(page, RARE) == []  # rare: nothing yet
        page.click("section.results form.followform button")
        page.wait_for_selector("section.results p.following")
        assert page.locator("section.results form.followform").count() == 0
        page.click("nav.sections a[href='/me/follows']")
        page.wait_for_url(re.compile(r"/me/follows"))
        follows = page.locator("ul.follows li")
        assert follows.count() == 1
        assert RARE in follows.first.inner_text()
        # email, as it happens (the default is daily, and no address is known yet)
        page.check("input[name=channel][value=email]")
        page.fill("#email", ADDRESS)
        page.check("input[name=frequency][value=immediately]")
        page.click("form.topicform button")
        page.wait_for_selector("p.note[role=status]")
        assert page.input_value("#email") == ADDRESS
        assert page.is_checked("input[name=frequency][value=immediately]")
        assert RARE in page.locator("ul.follows li").first.inner_text()
        assert ADDRESS in page.inner_text("#email-pending")  # nothing goes there yet
        screenshot(page, "follows")
        # the worker sends the confirmation; its owner opens the link and confirms
        run_worker(mail_app.config["QUISAIT_SETTINGS"], once=True)
        [confirmation] = recorder.received
        assert confirmation.rcpt_tos == [ADDRESS]
        body = confirmation.message.get_body(preferencelist=("plain",))
        assert body is not None
        link = re.search(r"https://quisait\.valtorre\.example(/confirm-email\?token=\S+)",
                         body.get_content())
        assert link is not None
        page.goto(link.group(1))
        page.click("main form button")
        page.wait_for_selector("p.note[role=status]")
        assert ADDRESS in page.inner_text("p.note[role=status]")
        page.goto("/me/follows")
        assert page.locator("#email-pending").count() == 0
        assert not watched.errors and not watched.dialogs

        # a connector pushes a matching post, written by someone else
        connector = token_for(mail_app, "p-nadia", roles=("connector",))
        pushed = page.request.post(f"{mail_url}/api/v1/records", data=[NEW_POST],
                                   headers={"Authorization": f"Bearer {connector}"})
        assert pushed.ok, pushed.text()
        assert pushed.json()["added"] == 1
        page.goto("/search")
        assert search(page, RARE) == [TITLE]

    assert len(recorder.received) == 1  # nothing more goes out before the worker runs
    settings = mail_app.config["QUISAIT_SETTINGS"]
    state = run_worker(settings, once=True)
    assert state["stopped"], state

    [_, received] = recorder.received
    assert received.rcpt_tos == [ADDRESS]
    message = received.message
    assert message["To"] and ADDRESS in str(message["To"])
    assert str(message["List-Unsubscribe"]).startswith(
        "<https://quisait.valtorre.example/unsubscribe?token=")
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and TITLE in text.get_content()
    assert "/posts/post-browser-follow" in text.get_content()
    # a second tick sends nothing more
    run_worker(settings, once=True)
    assert len(recorder.received) == 2
