"""The KM dashboard: who may see it, what it counts (registered, active, enriched,
monthly activity, introductions, zero-result queries, topics, click-through), and that
secret groups add nothing to what a KM lead outside them sees."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from flask import Flask

from core.records import COMPANY_FEED
from indexer.sample import CANARIES_PATH
from tests.web_fixtures import ROLES, bearer, csrf_of, signed_in, token_for
from web.dashboard import compute

CANARIES = json.loads(CANARIES_PATH.read_text())
NETWORK = CANARIES_PATH.parent / "network.jsonl"


def figure(page: str, ident: str) -> str:
    return page.split(f'id="{ident}">', 1)[1].split("<", 1)[0].strip()


def finder_of(flask_app: Flask):  # type: ignore[no-untyped-def]
    return flask_app.extensions["quisait"].searchers.finder()


def test_dashboard_pages_by_role(shared_app):
    response = shared_app.test_client().get("/km")
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")
    for role, person in ROLES.items():
        response = signed_in(shared_app, person).get("/km")
        expected = 200 if role in ("km_lead", "admin") else 403
        assert response.status_code == expected, role
        nav = response.get_data(as_text=True)
        assert ('href="/km"' in nav) == (expected == 200)


def test_dashboard_figures_come_from_the_catalog(shared_app):
    page = signed_in(shared_app, "p-claire").get("/km")
    text = page.get_data(as_text=True)
    assert "<script" not in text and "script-src" not in page.headers["Content-Security-Policy"]
    assert text.count("<svg") >= 5 and 'role="img"' in text
    finder = finder_of(shared_app)
    claire = finder.searcher.people["p-claire"]
    allowed = finder.searcher.scope(claire).readable
    visible = finder.rankable(finder.searcher.scope(claire), include_inactive=True)
    registered = [p for p in visible.values() if p.status == "active"]
    assert f"Registered people: {len(registered)}<" in text
    assert int(figure(text, "declared")) == sum(1 for p in registered if p.skills)
    assert int(figure(text, "declared")) < len(registered)  # some declare nothing
    assert int(figure(text, "enriched")) == 0  # nobody accepted a suggestion yet
    active, passive = int(figure(text, "active")), int(figure(text, "passive"))
    assert active + passive == len(registered) and active > 0
    data = compute(finder, claire, shared_app.extensions["quisait"].introductions)
    posts = sum(bar.value for bar in data.posts.bars)
    newest = data.posts.bars[-1].label
    sql = ("SELECT COUNT(*) FROM items WHERE deleted = 0 AND parent IS NULL AND type != "
           "'document' AND substr(created, 1, 7) BETWEEN ? AND ? AND group_id IN ({})")
    marks = ",".join("?" * len(allowed))
    expected = finder.searcher.catalog.db.execute(
        sql.format(marks), [data.posts.bars[0].label, newest, *sorted(allowed)]).fetchone()[0]
    assert posts == expected > 0
    assert data.as_of <= datetime.now(UTC)


def test_introductions_are_counted(app):
    km = signed_in(app, "p-claire")
    assert figure(km.get("/km").get_data(as_text=True), "introductions") == "0"
    client = signed_in(app, "p-julien")
    token = csrf_of(client.get("/ask").get_data(as_text=True))
    for expert in ("p-karim", "p-thomas"):
        assert client.post("/introductions", data={"csrf_token": token, "expert": expert,
                                                   "q": "x"}).status_code == 302
    page = km.get("/km").get_data(as_text=True)
    assert figure(page, "introductions") == "2"
    month = datetime.now(UTC).strftime("%Y-%m")
    chart = page.split('id="intros-desc">')[1].split("</desc>")[0]
    assert chart.endswith(f"{month}: 2")  # this month's bar, even if the corpus is older


def test_zero_result_queries_and_click_through(app):
    km = signed_in(app, "p-claire")
    km.get("/search?q=xylophonique+introuvable&mode=lexical")
    page = km.get("/search?q=notes+de+frais&mode=lexical").get_data(as_text=True)
    link = re.search(r'href="(/posts/[^"?]+\?s=\d+&amp;r=1)"', page).group(1)
    km.get(link.replace("&amp;", "&"))
    text = km.get("/km").get_data(as_text=True)
    zero = text.split('class="zero-results"')[1].split("</table>")[0]
    assert "xylophonique introuvable" in zero
    assert "notes de frais" not in zero
    assert figure(text, "click-through").startswith("50%")  # English (Babel's format)


def test_only_km_leads_see_topic_figures(app):
    km = token_for(app, "p-claire")
    client = app.test_client()
    for topic in ({"id": "t-iso", "name_fr": "ISO 9001", "name_en": "ISO 9001",
                   "tags": ["iso-9001"]},
                  {"id": "t-vide", "name_fr": "sujet vide", "name_en": "empty subject",
                   "queries": ["zzqxv"]}):
        assert client.post("/api/v1/topics", json=topic, headers=bearer(km)).status_code == 201
    page = signed_in(app, "p-claire").get("/km").get_data(as_text=True)
    thin = page.split('class="plain thin-topics"')[1].split("</ul>")[0]
    assert 'href="/topics/t-vide"' in thin
    assert 'href="/topics/t-iso"' in page.split('class="unanswered-topics"')[1]


def _make_km_lead(flask_app: Flask, person_id: str) -> None:
    """Give ``person_id`` the KM lead role through ingestion (a record update, which only
    a connector token may push)."""
    for line in NETWORK.read_text().splitlines():
        record = json.loads(line)
        if record.get("type") == "person" and record["id"] == person_id:
            record["roles"] = ["km_lead"]
            response = flask_app.test_client().post(
                "/api/v1/records", json=[record],
                headers=bearer(token_for(flask_app, "p-nadia", roles=("connector",))))
            assert response.status_code == 200, response.get_json()
            return
    raise AssertionError(person_id)


@pytest.mark.parametrize("case", ["secret", "private"])
def test_secret_groups_add_nothing_to_an_outsiders_dashboard(app, case):
    group, words = CANARIES[case]["group"], CANARIES[case]["words"]
    member = {"g-codir": "p-helene", "g-horizon": "p-isabelle"}[group]
    _make_km_lead(app, member)
    finder = finder_of(app)
    log = finder.searcher.query_log
    # a member searched the canary and found nothing more: their line carries their groups
    log.log_search(f"{words[0]} budget", 0, "lexical", "fr", member,
                   groups=finder.searcher.scope(member).readable)
    km = token_for(app, "p-claire")
    app.test_client().post("/api/v1/topics", headers=bearer(km), json={
        "id": "t-canary", "name_fr": "canari", "name_en": "canary", "queries": words})
    outsider = signed_in(app, "p-claire").get("/km").get_data(as_text=True).lower()
    for word in words:
        assert word not in outsider
    assert group not in outsider
    inside = signed_in(app, member).get("/km")
    assert inside.status_code == 200
    assert words[0] in inside.get_data(as_text=True).lower()  # the test can fail
    # every figure counts the member's groups, not the outsider's
    people = finder_of(app).searcher.people
    introductions = app.extensions["quisait"].introductions
    mine = compute(finder_of(app), people[member], introductions)
    theirs = compute(finder_of(app), people["p-claire"], introductions)
    canary_topic = {t.id: n for t, n in theirs.unanswered}
    assert canary_topic.get("t-canary", 0) == 0
    groups_theirs = finder_of(app).searcher.scope(people["p-claire"]).readable
    assert group not in groups_theirs and COMPANY_FEED in groups_theirs
    in_group = finder_of(app).searcher.catalog.db.execute(
        "SELECT COUNT(*) FROM items WHERE group_id = ? AND parent IS NULL AND deleted = 0 "
        "AND type != 'document'", (group,)).fetchone()[0]
    assert in_group > 0
    assert sum(b.value for b in mine.posts.bars) != sum(b.value for b in theirs.posts.bars)


def test_the_95_4_1_split_top_share_and_tables_as_csv_and_api(app):
    from web.indicators import compute_indicators

    finder = finder_of(app)
    claire = finder.searcher.people["p-claire"]
    data = compute_indicators(finder, claire, app.extensions["quisait"].introductions)
    overall = data.overall
    assert overall.creators > 0 and overall.contributors > 0  # everyone wrote in the sample
    assert any(g.split.readers > 0 for g in data.groups)  # but not in every group
    assert overall.people == len([p for p in finder.rankable(
        finder.searcher.scope(claire), include_inactive=True).values()
        if p.status == "active"])
    # by the catalog: a creator wrote a top-level item in a readable group
    allowed = finder.searcher.scope(claire).readable
    [finance] = [g for g in data.groups if g.split.label.startswith("Finance")]
    rows = finder.searcher.catalog.db.execute(
        "SELECT author, COUNT(*) FROM items WHERE deleted = 0 AND group_id = 'g-finance' "
        "AND author IS NOT NULL GROUP BY author ORDER BY 2 DESC").fetchall()
    assert finance.items == sum(n for _, n in rows)
    top = max(1, -(-len(rows) * 5 // 100))
    assert abs(finance.top_share - sum(n for _, n in rows[:top]) / finance.items) < 1e-9
    # a secret group the lead is not in adds nothing: it is not among the groups
    assert "g-codir" not in allowed
    assert all("comité" not in g.split.label.lower() for g in data.groups)
    kinds = {k.label for k in data.kinds}
    assert {"theme", "function"} <= kinds
    client = signed_in(app, "p-claire")
    page = client.get("/km").get_data(as_text=True)
    assert 'id="creators"' in page and "split-groups" in page
    csv_answer = client.get("/km/indicators/groups.csv")
    assert csv_answer.status_code == 200 and csv_answer.mimetype == "text/csv"
    lines = csv_answer.get_data(as_text=True).splitlines()
    assert lines[0].startswith("label,people,readers,contributors,creators")
    assert len(lines) == len(data.groups) + 1
    assert client.get("/km/indicators/nope.csv").status_code == 404
    assert signed_in(app, "p-julien").get("/km/indicators/groups.csv").status_code == 403
    api = app.test_client().get("/api/v1/km/indicators",
                                headers=bearer(token_for(app, "p-claire"))).get_json()
    assert set(api) == {"participation", "groups", "kinds", "introductions", "top_queries",
                        "searches_per_day"}
    assert api["participation"][0]["creators"] == overall.creators


def test_every_chart_stops_at_the_same_month(app):
    """The introductions chart no longer runs past the rest of the dashboard."""
    data = compute(finder_of(app), finder_of(app).searcher.people["p-claire"],
                   app.extensions["quisait"].introductions,
                   now=datetime(2030, 1, 1, tzinfo=UTC))
    assert data.introductions.bars[-1].label == data.posts.bars[-1].label
    assert data.posts.bars[-1].label <= data.as_of.strftime("%Y-%m")
