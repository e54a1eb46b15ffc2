"""The indicators KM leads report (issue 18): the 95/4/1 split overall, per group and per
group kind; the share of each group's content written by its top 5 % of contributors;
introductions per month; top queries; searches per day.  Each table is on the dashboard,
downloads as CSV (``/km/indicators/<table>.csv``) and is in the API
(``GET /api/v1/km/indicators``).

Counted as the KM lead may know it, like every dashboard figure: groups are those they
may read, people those they may see, and the query-log tables apply its visibility rule
(a line shows only to a reader who could read everything its author could).

The split: in a set of groups, each visible member is a **creator** if they wrote a
top-level post, question, article or document there, else a **contributor** if they
commented or answered, else a **reader**.  Overall, the set is every group the lead may
read (the company feed included, where everyone is a member).
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, jsonify

from core.records import COMPANY_FEED
from expertise import AnyViewer, ExpertFinder
from web.api import api, api_viewer
from web.auth import require_page_viewer, require_roles
from web.errors import NotFound
from web.expert_pages import finder, require_km, viewer_or_401
from web.pages import pages

TOP_SHARE = 0.05
TABLES = ("participation", "groups", "kinds", "introductions", "top_queries",
          "searches_per_day")


@dataclass(frozen=True)
class Split:
    """Readers, contributors and creators among a set of people."""

    label: str
    readers: int
    contributors: int
    creators: int

    @property
    def people(self) -> int:
        return self.readers + self.contributors + self.creators

    def share(self, part: int) -> float:
        return part / self.people if self.people else 0.0

    def row(self) -> dict[str, Any]:
        return {"label": self.label, "people": self.people, "readers": self.readers,
                "contributors": self.contributors, "creators": self.creators,
                "readers_share": round(self.share(self.readers), 4),
                "contributors_share": round(self.share(self.contributors), 4),
                "creators_share": round(self.share(self.creators), 4)}


@dataclass(frozen=True)
class GroupFigures:
    split: Split
    kind: str
    items: int
    top_share: float  # of the group's items written by its top 5 % of contributors

    def row(self) -> dict[str, Any]:
        return {**self.split.row(), "kind": self.kind, "items": self.items,
                "top_5_percent_share": round(self.top_share, 4)}


@dataclass(frozen=True)
class Indicators:
    overall: Split
    groups: list[GroupFigures]
    kinds: list[Split]
    introductions: list[tuple[str, int]]
    top_queries: list[dict[str, Any]]
    searches_per_day: list[tuple[str, int]]

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "participation": [self.overall.row()],
            "groups": [g.row() for g in self.groups],
            "kinds": [k.row() for k in self.kinds],
            "introductions": [{"month": m, "introductions": n} for m, n in self.introductions],
            "top_queries": self.top_queries,
            "searches_per_day": [{"day": d, "searches": n} for d, n in self.searches_per_day],
        }


def _split(label: str, members: set[str], created: set[str], replied: set[str]) -> Split:
    creators = members & created
    contributors = (members & replied) - creators
    return Split(label, len(members - creators - contributors), len(contributors),
                 len(creators))


def _top_share(authors: Counter[str]) -> float:
    """Share of the items written by the top 5 % of contributors (at least one)."""
    total = sum(authors.values())
    if not total:
        return 0.0
    top = max(1, math.ceil(len(authors) * TOP_SHARE))
    return sum(n for _, n in authors.most_common(top)) / total


def compute_indicators(found: ExpertFinder, viewer: AnyViewer,
                       introductions: Any) -> Indicators:
    """The participation indicators over what ``viewer`` (a KM lead's scope) may read."""
    searcher, scope = found.searcher, found.scope_of(viewer)
    allowed = sorted(scope.readable)
    visible = {p.id for p in found.rankable(scope, include_inactive=True).values()
               if p.status == "active"}
    marks = ",".join("?" * len(allowed))
    rows = searcher.catalog.db.execute(
        f"SELECT group_id, author, parent IS NULL, COUNT(*) FROM items WHERE deleted = 0 "
        f"AND author IS NOT NULL AND group_id IN ({marks}) GROUP BY 1, 2, 3",
        allowed).fetchall() if allowed else []
    created: dict[str, set[str]] = defaultdict(set)
    replied: dict[str, set[str]] = defaultdict(set)
    written: dict[str, Counter[str]] = defaultdict(Counter)
    for group, author, top, count in rows:
        written[group][author] += count  # all of the group's content, departed authors too
        if author in visible:
            (created if top else replied)[group].add(author)
    everyone_created = set().union(*created.values()) if created else set()
    everyone_replied = set().union(*replied.values()) if replied else set()
    overall = _split("all", visible, everyone_created, everyone_replied)
    groups, by_kind = [], defaultdict(lambda: [set(), set(), set()])  # type: ignore[var-annotated]
    for group_id in allowed:
        group = searcher.groups.get(group_id)
        if group_id == COMPANY_FEED or group is None:
            members, name, kind = visible, "company feed", "feed"
        else:
            members = set(group.members | group.guests) & visible
            name, kind = group.name, group.kind
        split = _split(name, members, created[group_id], replied[group_id])
        groups.append(GroupFigures(split, kind, sum(written[group_id].values()),
                                   _top_share(written[group_id])))
        totals = by_kind[kind]
        totals[0] |= members
        totals[1] |= members & created[group_id]
        totals[2] |= members & replied[group_id]
    kinds = [_split(kind, m, c, r) for kind, (m, c, r) in sorted(by_kind.items())]
    groups.sort(key=lambda g: (-g.items, g.split.label))
    log = searcher.query_log
    known = frozenset(allowed)
    top = ([{"query": q.query, "searches": q.searches,
             "average_results": round(q.average_results, 1)}
            for q in log.top_queries(visible_to=known, limit=50)] if log else [])
    days = ([(d.day.isoformat(), d.searches) for d in
             log.searches_per_day(visible_to=known, limit=90)] if log else [])
    return Indicators(overall, groups, kinds, introductions.per_month(), top, days)


def _lead_indicators(viewer: Any) -> Indicators:
    return compute_indicators(finder(), viewer.person,
                              current_app.extensions["quisait"].introductions)


def as_csv(rows: list[dict[str, Any]]) -> str:
    """A table as CSV; a cell that a spreadsheet would run as a formula gets a quote."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@\t\r" else v)
                             for k, v in row.items()})
    return out.getvalue()


@pages.get("/km/indicators/<table>.csv")
@require_page_viewer
def indicators_csv(table: str) -> Any:
    viewer = viewer_or_401()
    require_km(viewer)
    if table not in TABLES:
        raise NotFound(f"no table {table!r}")
    rows = _lead_indicators(viewer).tables()[table]
    return Response(as_csv(rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="quisait-{table}.csv"'})


@api.get("/km/indicators")
@require_roles("km_lead")
def indicators_api() -> Any:
    """Every indicator table, as the KM lead may know it."""
    return jsonify(_lead_indicators(api_viewer()).tables())
