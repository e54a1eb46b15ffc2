"""``next`` never sends anyone off the site: what a browser would read as another host,
scheme or header is replaced by the search page, on sign-in and on the language switch."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.web_fixtures import csrf_of
from web.pages import local_target

ATTACKS = [
    "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "/%5Cevil.example", "/%5C%5Cevil.example", "/%09/evil.example", "/\t/evil.example",
    "/\n/evil.example", "/\r/evil.example", "/%0a/evil.example", "/%0d/evil.example",
    "/%2F%2Fevil.example", "/%2f/evil.example", "/%252F%252Fevil.example",
    "https://evil.example", "http:/evil.example", "javascript:alert(1)", "evil.example",
    "%0d%0aSet-Cookie:%20a=b", "/%0d%0aSet-Cookie:%20a=b", "/search\r\nSet-Cookie: a=b",
    "/search?q=a\r\nSet-Cookie: a=b", "/search?q=%0d%0aSet-Cookie", " /search", "/ /evil",
    "/\x00/evil.example", "/%00/evil.example", "/\u3000/evil.example", "/\u200b/evil",
    "/\x7f", "/" + "a" * 3000, "",
]
GOOD = ["/search?q=a", "/posts/x", "/search", "/search?q=notes+de+frais&mode=lexical",
        "/search?q=notes%20de%20frais", "/posts/post-0170?s=3&r=1", "/topics/t-sap",
        "/search?q=%2F%2Fnot-a-host", "/km#top"]


@pytest.mark.parametrize("target", ATTACKS)
def test_attacks_go_to_the_search_page(target):
    assert local_target(target) == "/search"


@pytest.mark.parametrize("target", GOOD)
def test_paths_of_this_site_are_kept(target):
    assert local_target(target) == target


@pytest.mark.parametrize("target", ["/\t/evil.example", "/%09/evil.example", "//evil.example",
                                    "/\\evil.example", "/search\r\nSet-Cookie: a=b"])
def test_sign_in_and_language_switch_stay_on_the_site(shared_app, target):
    client = shared_app.test_client()
    # the sign-in page carries next (decoded by the browser's query string) into its form
    page = client.get(f"/signin?next={quote(target)}").get_data(as_text=True)
    assert 'name="next" value="/search"' in page
    csrf = csrf_of(page)
    changed = client.post("/lang", data={"lang": "en", "next": target, "csrf_token": csrf})
    assert changed.status_code == 302 and changed.headers["Location"] == "/search"
    signed = client.post("/signin", data={"person": "p-julien", "next": target,
                                          "csrf_token": csrf})
    assert signed.status_code == 302 and signed.headers["Location"] == "/search"
    assert "Set-Cookie: a=b" not in str(signed.headers)
