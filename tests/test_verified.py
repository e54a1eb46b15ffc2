"""Verified content: official marks with an owner and a review date, from the post page
and the API; who may set them; the badge on results; expiry; the review queue; reminders
to owners; and nothing of it about what the viewer cannot read."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flask import Flask

from notify import Outbox
from notify.follows import FollowStore, Preferences
from notify.reviews import run_review_reminders
from search.curation import Curation
from tests.web_fixtures import bearer, csrf_of, signed_in, token_for

TODAY = datetime.now(UTC).date()
OPEN_POST = "post-0020"      # p-julien's, in the open g-devops
SECRET_POST = "post-0274"    # p-helene's, in the secret g-codir (p-claire is not in it)


def _searcher(app: Flask):  # type: ignore[no-untyped-def]
    return app.extensions["quisait"].searchers.get()


def _put(app: Flask, person: str, item: str, **body: object):  # type: ignore[no-untyped-def]
    return app.test_client().put(f"/api/v1/marks/{item}", json=body,
                                 headers=bearer(token_for(app, person)))


def test_a_km_lead_marks_official_from_the_post_page_and_results_show_it(app: Flask) -> None:
    client = signed_in(app, "p-claire")
    page = client.get(f"/posts/{OPEN_POST}").get_data(as_text=True)
    assert 'class="markform"' in page and 'value="outdated"' in page
    review = (TODAY + timedelta(days=90)).isoformat()
    done = client.post(f"/posts/{OPEN_POST}/mark", data={
        "csrf_token": csrf_of(page), "action": "official", "owner": "p-julien",
        "review": review})
    assert done.status_code == 302
    after = client.get(f"/posts/{OPEN_POST}").get_data(as_text=True)
    assert 'id="verification-state"' in after and "Official" in after
    assert "Julien" in after and review in after
    mark = _searcher(app).curation.get_mark(OPEN_POST)
    assert (mark.mark, mark.owner, mark.review, mark.marked_by) == (
        "official", "p-julien", date.fromisoformat(review), "p-claire")
    hits = app.test_client().get("/api/v1/search?q=grafana+runners&mode=lexical&explain=1",
                                 headers=bearer(token_for(app, "p-ian"))).get_json()["hits"]
    assert all(h["id"] != OPEN_POST for h in hits)  # a guest of g-kestrel reads no g-devops
    hits = app.test_client().get("/api/v1/search?q=grafana+runners&mode=lexical&explain=1",
                                 headers=bearer(token_for(app, "p-sarah"))).get_json()["hits"]
    [hit] = [h for h in hits if h["id"] == OPEN_POST]
    assert hit["mark"] == "official" and hit["explanation"]["official"] == 1.6
    results = signed_in(app, "p-sarah").get("/search?q=grafana+runners&mode=lexical")
    assert 'class="badge official"' in results.get_data(as_text=True)
    # without the form's token nothing changes
    assert client.post(f"/posts/{OPEN_POST}/mark", data={"action": "remove"}).status_code == 403
    assert _searcher(app).curation.get_mark(OPEN_POST) is not None


def test_authors_and_owners_tend_their_own_and_nobody_else_does(app: Flask) -> None:
    # the author marks her own post official (owner: herself, date: review_days from now)
    answer = _put(app, "p-julien", OPEN_POST, mark="official")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["owner"] == "p-julien"
    default = TODAY + timedelta(days=app.extensions["quisait"].settings.review_days)
    assert answer.get_json()["review"] == default.isoformat()
    # another employee may read it but may not mark it, nor may the author outdate it
    assert _put(app, "p-sarah", OPEN_POST, mark="official").status_code == 403
    assert _put(app, "p-sarah", OPEN_POST, mark=None).status_code == 403
    assert _put(app, "p-julien", OPEN_POST, mark="outdated").status_code == 403
    page = signed_in(app, "p-sarah").get(f"/posts/{OPEN_POST}").get_data(as_text=True)
    assert 'class="markform"' not in page and 'id="verification-state"' in page
    # the author hands it to Sarah; she now renews it, and Julien still may
    assert _put(app, "p-julien", OPEN_POST, mark="official", owner="p-sarah").status_code == 200
    later = (TODAY + timedelta(days=30)).isoformat()
    renewed = _put(app, "p-sarah", OPEN_POST, mark="official", owner="p-sarah", review=later)
    assert renewed.status_code == 200 and renewed.get_json()["review"] == later
    # bad dates and owners name their field
    for body, field in (({"review": "2020-01-01"}, "review"), ({"review": "soon"}, "review"),
                        ({"owner": "p-nobody"}, "owner"),
                        ({"owner": "p-ian"}, "owner")):  # a guest who cannot read g-devops
        refused = _put(app, "p-claire", OPEN_POST, mark="official", **body)
        assert refused.status_code == 400, body
        assert refused.get_json()["error"]["detail"]["field"] == field
    assert _put(app, "p-julien", OPEN_POST, mark=None).status_code == 200
    assert _searcher(app).curation.get_mark(OPEN_POST) is None


def test_marks_on_what_the_viewer_cannot_read_do_not_exist_for_them(app: Flask) -> None:
    # a member marks a secret post official and owns it
    assert _put(app, "p-helene", SECRET_POST, mark="official",
                review=(TODAY + timedelta(days=3)).isoformat()).status_code == 200
    for person in ("p-claire", "p-nadia", "p-julien"):  # KM lead, admin, employee outside
        assert _put(app, person, SECRET_POST, mark=None).status_code == 404
        queue = app.test_client().get("/api/v1/reviews",
                                      headers=bearer(token_for(app, person))).get_json()
        assert all(r["item_id"] != SECRET_POST for r in queue["reviews"])
        page = signed_in(app, person).get("/reviews").get_data(as_text=True)
        assert "Quintarel" not in page
        assert signed_in(app, person).post(
            f"/posts/{SECRET_POST}/mark",
            data={"action": "remove", "csrf_token": csrf_of(
                signed_in(app, person).get("/search").get_data(as_text=True))}
        ).status_code in (403, 404)
    mine = app.test_client().get("/api/v1/reviews",
                                 headers=bearer(token_for(app, "p-helene"))).get_json()
    assert [r["item_id"] for r in mine["reviews"]] == [SECRET_POST]
    assert _searcher(app).curation.get_mark(SECRET_POST) is not None


def test_past_its_review_date_an_item_is_no_longer_official(app: Flask,
                                                             tmp_path: Path) -> None:
    curation: Curation = _searcher(app).curation
    curation.mark(OPEN_POST, "official", "p-claire", owner="p-julien",
                  review=TODAY - timedelta(days=1))
    assert OPEN_POST not in curation.marks()
    assert curation.marks(TODAY - timedelta(days=2))[OPEN_POST] == "official"
    hits = app.test_client().get("/api/v1/search?q=grafana+runners&mode=lexical&explain=1",
                                 headers=bearer(token_for(app, "p-sarah"))).get_json()["hits"]
    [hit] = [h for h in hits if h["id"] == OPEN_POST]
    assert hit["mark"] is None and "official" not in hit["explanation"]
    page = signed_in(app, "p-claire").get(f"/posts/{OPEN_POST}").get_data(as_text=True)
    assert "Review overdue" in page
    queue = signed_in(app, "p-claire").get("/reviews").get_data(as_text=True)
    assert "Review overdue" in queue and "Grafana" in queue
    outdating = Curation(tmp_path / "c.sqlite", expired="outdated")
    outdating.mark("x", "official", review=TODAY - timedelta(days=1))
    assert outdating.marks() == {"x": "outdated"}


def test_a_curation_file_of_before_versions_keeps_its_marks(tmp_path: Path) -> None:
    path = tmp_path / "curation.sqlite"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE marks (item_id TEXT PRIMARY KEY, mark TEXT NOT NULL,
            marked_by TEXT, marked TEXT NOT NULL);
        INSERT INTO marks VALUES ('post-1', 'official', 'p-claire', '2026-01-02T00:00:00+00:00');
    """)
    db.close()
    curation = Curation(path)
    assert curation.schema_version == 2
    assert curation.marks() == {"post-1": "official"}  # no date: official until reviewed
    assert curation.get_mark("post-1").review is None
    curation.close()


def test_owners_are_reminded_once_a_week_and_only_of_what_they_read(app: Flask) -> None:
    settings = app.extensions["quisait"].settings.replace(public_url="https://q.example")
    found = _searcher(app)
    found.curation.mark(OPEN_POST, "official", "p-claire", owner="p-julien",
                        review=TODAY + timedelta(days=5))
    found.curation.mark(SECRET_POST, "official", "p-helene", owner="p-helene",
                        review=TODAY + timedelta(days=5))
    found.curation.mark("post-0134", "official", "p-nicolas", owner="p-nicolas",  # horizon
                        review=TODAY + timedelta(days=200))  # not due: no reminder
    store: FollowStore = app.extensions["quisait"].follows
    for person in ("p-julien", "p-helene", "p-nicolas"):
        store.save_preferences(Preferences(person, email=f"{person}@valtorre.example",
                                           frequency="daily"), 0)
        store.confirm_email(person, f"{person}@valtorre.example")
    now = datetime.now(UTC)
    with Outbox.open(settings) as outbox:
        run = run_review_reminders(settings, found, now, store=store, outbox=outbox)
        assert (run.reminders, run.queued) == (2, 2)
        again = run_review_reminders(settings, found, now, store=store, outbox=outbox)
        assert again.queued == 0  # once a week
        messages = [outbox.claim_due(now + timedelta(minutes=1)) for _ in range(3)]
    sent = {m.recipient: m for m in messages if m is not None}
    assert set(sent) == {"p-julien", "p-helene"}
    assert sent["p-julien"].payload["items"] == [OPEN_POST]
    assert "https://q.example/posts/post-0020" in sent["p-julien"].payload["text"]
    # Julien's reminder names his post only, nothing of the secret one
    assert "Quintarel" not in str(sent["p-julien"].payload)
    # an owner who cannot read the item any more is not reminded of it
    found.curation.mark(OPEN_POST, "official", "p-claire", owner="p-ian",  # a guest
                        review=TODAY + timedelta(days=5))
    with Outbox.open(settings) as outbox:
        later = run_review_reminders(settings, found, now + timedelta(days=7), store=store,
                                     outbox=outbox)
    assert later.skipped.get("owner may not read it") == 1
