"""The KM dashboard (KM leads and admins): the network's indicators, computed for one
viewer from what they may read.

People are those the viewer may see; activity, posts and groups are counted in the
groups the viewer may read only; zero-result queries and click-through come from
the query log's listings, which apply its visibility rule; topic figures come from
permitted search.  A secret group the viewer is not in adds nothing to any figure.
Introductions are counts only (never the queries behind them).  Feedback lines
(web.feedback) are counts only too, over items the viewer may read, from voters who
could read nothing the viewer cannot.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, render_template

from core.records import COMPANY_FEED
from expertise import AnyViewer, ExpertFinder, Topic
from search import ParsedQuery, Scope
from search.query import Filter
from search.querylog import QueryCount
from web.auth import require_page_viewer
from web.charts import BarChart, bar_chart, split_bar
from web.expert_pages import finder, require_km, viewer_or_401
from web.introductions import IntroductionStore
from web.pages import pages

ACTIVE_DAYS = 90
MONTHS = 12
TOPICS_CHECKED = 50
UNANSWERED_DEPTH = 500


@dataclass(frozen=True)
class Dashboard:
    as_of: datetime
    registered: int
    active: int
    enriched: int                 # people who accepted a suggested skill (their profile)
    declared: int                 # people whose record declares skills
    contributions: int            # items written in the active window, in readable groups
    posts: BarChart               # top-level posts and questions per month
    replies: BarChart             # answers and comments per month
    groups: BarChart              # readable groups by the month of their first message
    introductions: BarChart
    introductions_total: int
    zero_results: list[QueryCount]
    unanswered: list[tuple[Topic, int]]
    thin_topics: list[tuple[Topic, int]]
    click_through: dict[str, float] | None

    @property
    def passive(self) -> int:
        return self.registered - self.active

    @property
    def participation(self) -> float:
        return self.active / self.registered if self.registered else 0.0

    @property
    def frequency(self) -> float:
        return self.contributions / self.active if self.active else 0.0


def _months(until: datetime) -> list[str]:
    year, month, out = until.year, until.month, []
    for _ in range(MONTHS):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _monthly(rows: list[tuple[str, int]], months: list[str]) -> BarChart:
    counts: dict[str, int] = defaultdict(int)
    for month, count in rows:
        counts[month] += count
    return bar_chart([(m, counts.get(m, 0)) for m in months])


def _items(finder: ExpertFinder, allowed: list[str], sql: str, *args: Any) -> list[Any]:
    marks = ",".join("?" * len(allowed))
    query = sql.format(allowed=f"group_id IN ({marks})")
    return finder.searcher.catalog.db.execute(query, [*allowed, *args]).fetchall()


def _topic_figures(finder: ExpertFinder, viewer: Scope) -> tuple[list[tuple[Topic, int]],
                                                                   list[tuple[Topic, int]]]:
    unanswered, thin = [], []
    for topic in finder.topics.all()[:TOPICS_CHECKED]:
        query = topic.query()
        open_questions = ParsedQuery(query.clauses, (Filter("type", ("question",)),
                                                     Filter("is", ("unanswered",))))
        count = len(viewer.search(open_questions, mode="lexical", limit=UNANSWERED_DEPTH))
        unanswered.append((topic, count))
        experts = finder.experts(query, viewer, limit=2, mode="lexical")
        if len(experts) <= 1:
            thin.append((topic, len(experts)))
    return sorted(unanswered, key=lambda pair: (-pair[1], pair[0].id)), thin


def compute(finder: ExpertFinder, viewer: AnyViewer, introductions: IntroductionStore,
            now: datetime | None = None) -> Dashboard:
    """Every indicator, as ``viewer`` (a KM lead's scope) may know it."""
    searcher, scope = finder.searcher, finder.scope_of(viewer)
    allowed = sorted(scope.readable)
    people = [p for p in finder.rankable(scope, include_inactive=True).values()
              if p.status == "active"]
    newest = _items(finder, allowed, "SELECT MAX(created) FROM items WHERE deleted = 0 "
                    "AND {allowed}")[0][0] if allowed else None
    now = now or datetime.now(UTC)
    # a corpus that stopped before today is measured at its last message, not at today
    as_of = min(now, datetime.fromisoformat(newest).astimezone(UTC)) if newest else now
    since = as_of - timedelta(days=ACTIVE_DAYS)
    last = finder.activity.for_groups(frozenset(allowed), as_of).last
    active = {p.id for p in people if p.id in last and last[p.id] >= since}
    ids = {p.id for p in people}
    recent = _items(finder, allowed, "SELECT author, COUNT(*) FROM items WHERE deleted = 0 "
                    "AND {allowed} AND created >= ? GROUP BY author", since.isoformat())
    # one window for every chart: up to the corpus's last message, or to the last
    # introduction when one came later (introductions are made today, not in the corpus)
    intro_months = introductions.per_month()
    last_intro = intro_months[-1][0] if intro_months else ""
    months = _months(as_of)
    if last_intro > months[-1]:
        year, month = map(int, last_intro.split("-"))
        months = _months(as_of.replace(year=year, month=month, day=1))
    monthly = _items(finder, allowed, "SELECT substr(created, 1, 7), parent IS NULL, COUNT(*) "
                     "FROM items WHERE deleted = 0 AND type != 'document' AND {allowed} "
                     "GROUP BY 1, 2")
    firsts = _items(finder, allowed, "SELECT group_id, substr(MIN(created), 1, 7) FROM items "
                    "WHERE deleted = 0 AND {allowed} GROUP BY group_id")
    log = searcher.query_log
    accepted = searcher.profiles.accepted_count()
    unanswered, thin = _topic_figures(finder, scope)
    visible = frozenset(allowed)
    return Dashboard(
        as_of=as_of, registered=len(people), active=len(active),
        enriched=sum(1 for p in people if accepted.get(p.id)),
        declared=sum(1 for p in people if p.skills),
        contributions=sum(n for author, n in recent if author in ids),
        posts=_monthly([(m, n) for m, top, n in monthly if top], months),
        replies=_monthly([(m, n) for m, top, n in monthly if not top], months),
        groups=_monthly([(m, 1) for g, m in firsts if g != COMPANY_FEED], months),
        introductions=_monthly(intro_months, months),
        introductions_total=introductions.total(),
        zero_results=log.zero_result_queries(visible_to=visible, limit=20) if log else [],
        unanswered=unanswered, thin_topics=thin,
        click_through=log.click_through(visible_to=visible) if log else None)


@pages.get("/km")
@require_page_viewer
def dashboard() -> Any:
    viewer = viewer_or_401()
    require_km(viewer)
    services = current_app.extensions["quisait"]
    data = compute(finder(), viewer.person, services.introductions)
    from web.feedback import feedback_tables  # web.feedback imports the pages blueprint
    from web.indicators import compute_indicators

    return render_template("dashboard.html", data=data, split_bar=split_bar,
                           feedback=feedback_tables(finder().searcher, viewer),
                           indicators=compute_indicators(finder(), viewer.person,
                                                         services.introductions))
