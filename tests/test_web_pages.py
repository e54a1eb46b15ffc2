"""The pages: search with highlights, facets and suggestions; a post with sanitised HTML;
French or English; sign-in redirects."""

from __future__ import annotations

from tests.web_fixtures import bearer, csrf_of, signed_in, token_for

HOSTILE = {"type": "post", "id": "post-web-x", "author": "p-julien",
           "created": "2026-02-01T10:00:00", "group": "g-python", "kind": "post",
           "title": "<img src=x onerror=alert(1)> zanzibarite",
           "body": '<p onclick="alert(2)">zanzibarite <b>bold</b></p><script>alert(3)</script>'
                   '<a href="javascript:alert(4)">link</a>',
           "body_format": "html"}


def test_pages_redirect_to_sign_in(shared_app):
    response = shared_app.test_client().get("/search?q=frais")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=/search")


def test_search_page(shared_app):
    client = signed_in(shared_app, "p-julien")
    page = client.get("/search?q=notes+de+frais&mode=lexical").get_data(as_text=True)
    assert "<mark>frais</mark>" in page
    assert "Finance, achats &amp; notes de frais" in page  # escaped group name
    assert 'href="/posts/post-0170?s=' in page
    assert 'value="lexical" checked' in page
    facets = page[page.index('class="facets"'):]
    assert "/search?q=notes+de+frais+group:g-finance&amp;mode=lexical" in facets
    suggestion = client.get("/search?q=kubernetxx&mode=lexical").get_data(as_text=True)
    assert 'class="suggestion"' in suggestion and ">kubernetes</a>" in suggestion
    corrected = client.get("/search?q=kubernetse&mode=lexical").get_data(as_text=True)
    assert 'class="suggestion corrected"' in corrected and 'class="suggestion"' not in corrected


def test_query_syntax_error_is_shown_with_a_caret(shared_app):
    client = signed_in(shared_app, "p-julien")
    response = client.get('/search?q=notes+de+"frais')
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'role="alert"' in page
    assert "notes de &#34;frais\n" + " " * 9 + "^" in page


def test_query_is_escaped(shared_app):
    client = signed_in(shared_app, "p-julien")
    page = client.get("/search?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_french_by_browser_language_and_switch(shared_app):
    client = signed_in(shared_app, "p-julien")
    french = client.get("/search", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert 'lang="fr"' in french.get_data(as_text=True)
    assert "Que cherchez-vous ?" in french.get_data(as_text=True)
    page = client.get("/search").get_data(as_text=True)
    assert "What are you looking for?" in page
    response = client.post("/lang", data={"lang": "fr", "csrf_token": csrf_of(page),
                                          "next": "/search"})
    assert response.status_code == 302
    assert "Que cherchez-vous ?" in client.get("/search").get_data(as_text=True)


def test_post_page_sanitises_user_html(app):
    admin = token_for(app, "p-nadia")
    response = app.test_client().post("/api/v1/records", json=[HOSTILE], headers=bearer(admin))
    assert response.status_code == 200
    client = signed_in(app, "p-julien")
    page = client.get("/posts/post-web-x").get_data(as_text=True)
    assert "<b>bold</b>" in page and "zanzibarite" in page
    for attack in ("<script", "onclick", "javascript:", "<img"):
        assert attack not in page, attack
    assert page.count("onerror") == page.count("&lt;img src=x onerror")  # escaped text only
    results = client.get("/search?q=zanzibarite&mode=lexical").get_data(as_text=True)
    assert "<img" not in results and "&lt;img src=x" in results


def test_post_page_404_for_unreadable(shared_app):
    client = signed_in(shared_app, "p-julien")
    assert client.get("/posts/no-such-post").status_code == 404
    assert client.get("/posts/post-0170").status_code == 200


def test_pinned_results_on_top_with_a_marker(app):
    km = token_for(app, "p-claire")
    client = signed_in(app, "p-julien")
    page = client.get("/search?q=notes+de+frais&mode=lexical").get_data(as_text=True)
    results = page[:page.index('class="side"')]  # not the experts' evidence beside
    last = results.rsplit('href="/posts/', 1)[1].split("?")[0]
    app.test_client().post("/api/v1/pins", json={"pattern": "frais", "item_id": last},
                           headers=bearer(km))
    page = client.get("/search?q=notes+de+frais&mode=lexical").get_data(as_text=True)
    first = page.split('<li class="hit', 1)[1]
    assert first.startswith(" pinned") and f'href="/posts/{last}?' in first.split("</li>")[0]


def test_km_lead_pins_a_result_from_the_page(app):
    km, employee = signed_in(app, "p-claire"), signed_in(app, "p-julien")
    url = "/search?q=notes+de+frais&mode=lexical"
    assert 'class="pinform"' not in employee.get(url).get_data(as_text=True)
    page = km.get(url).get_data(as_text=True)
    last = page.rsplit('name="item_id" value="', 1)[1].split('"')[0]
    form = {"csrf_token": csrf_of(page), "q": "notes de frais", "item_id": last,
            "mode": "lexical"}
    assert employee.post("/pins", data={**form, "csrf_token": csrf_of(
        employee.get(url).get_data(as_text=True))}).status_code == 403
    assert km.post("/pins", data={**form, "csrf_token": "forged"}).status_code == 403
    secret = app.extensions["quisait"].searchers.get().catalog.db.execute(
        "SELECT id FROM items WHERE group_id = 'g-codir' LIMIT 1").fetchone()[0]
    assert km.post("/pins", data={**form, "item_id": secret}).status_code == 404  # not hers
    response = km.post("/pins", data=form)
    assert response.status_code == 302
    first = employee.get(url).get_data(as_text=True).split('<li class="hit', 1)[1]
    assert first.startswith(" pinned") and f'href="/posts/{last}?' in first.split("</li>")[0]


def test_counts_and_numbers_follow_the_language(shared_app):
    """CLDR plural rules and number formats (Babel): French says "1 élément" and
    "0 élément", "12,5 %"; English "1 item", "2 items", "12.5%"."""
    from web.i18n import percent, plural

    with shared_app.test_request_context(headers={"Accept-Language": "fr"}):
        assert [plural("items", n) for n in (0, 1, 2)] == ["0 élément", "1 élément",
                                                           "2 éléments"]
        assert percent(0.125) == "12,5\xa0%" and percent(0.5, 0) == "50\xa0%"
    with shared_app.test_request_context(headers={"Accept-Language": "en"}):
        assert [plural("items", n) for n in (0, 1, 2)] == ["0 items", "1 item", "2 items"]
        assert percent(0.125) == "12.5%"
    page = signed_in(shared_app, "p-julien").get("/people/p-karim",
                                                 headers={"Accept-Language": "en"})
    assert " 1 items" not in page.get_data(as_text=True)
