"""Follow alerts: the items created since a follow last ran that match it, found as its
follower, queued in the outbox as one message per follow and period.

- **Cursor.**  Item rowids grow with each item created (:meth:`indexer.Catalog.
  newest_rowid`); a follow remembers the highest one its alerts covered.  A run looks at
  the items created after it, up to the newest item the full-text index already holds.
- **Matching as the follower.**  Each follow is a query (a saved search as typed; a
  topic's names and synonyms; ``tag:``, ``group:``, ``author:`` filters), run by
  ``searcher.search(..., viewer=follower, mode="lexical")`` with an ``after:`` filter
  from the oldest new item's date: permissions are the searcher's, never redone here.
  Hits that are not new, or that the follower wrote, are left out.
- **Periods.**  ``immediately`` sends what each run finds; ``daily`` and ``weekly`` send
  the first run's findings of the day or ISO week (later runs in the period wait for the
  next one).  The dedupe key is ``follow:<id>:<period>``, so a run repeated after a crash
  queues nothing twice, and the follow's cursor moves to what the queued message covered.
- People who left or opted out, paused follows, paused people and people with no address
  get nothing (their cursors move on: nothing piles up for later).

:func:`run_follows` is what a scheduler calls, per frequency.  What is queued is checked
again when it is sent (:mod:`notify.recheck`).
"""

from __future__ import annotations

import logging
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError
from core.records import Person
from core.settings import Settings
from indexer.catalog import Item
from indexer.params import IndexState
from notify.delivery import queue_email, queue_webhook
from notify.follows import FREQUENCIES, Follow, FollowStore, Preferences, profile_language
from notify.mail import unsubscribe_url
from notify.outbox import Outbox, utc_now
from notify.render import (
    Entry,
    Rendered,
    TopicSource,
    entries,
    follow_label,
    follow_payload,
    render_follow,
)
from search.query import Filter, ParsedQuery, QuerySyntaxError, parse_query

if TYPE_CHECKING:
    from search import Searcher

logger = logging.getLogger(__name__)

MAX_ITEMS = 20  # items one message lists (the rest: its "see everything" link)
CANDIDATES = 200  # hits asked of the searcher per follow and run


@dataclass(frozen=True)
class Alert:
    """One message a run queues (or, dry, would queue)."""

    follow: Follow
    preferences: Preferences
    person: Person
    lang: str
    label: str
    shown: tuple[Entry, ...]
    rendered: Rendered
    dedupe_key: str
    upto: int  # the item rowid it covers up to
    queued: bool = False


@dataclass(frozen=True)
class FollowRun:
    """What one :func:`run_follows` found: its alerts, and why other follows sent none."""

    frequency: str
    alerts: tuple[Alert, ...]
    skipped: dict[str, int]
    upto: int


def follow_cursor(searcher: Searcher) -> int:
    """Where a new (or resumed) follow starts: after every item that exists now."""
    return searcher.catalog.newest_rowid()


def indexed_upto(searcher: Searcher) -> int:
    """The newest item rowid the full-text index holds (items after it wait for it)."""
    state = IndexState(searcher.settings.data_dir / "fulltext" / "state.json")
    generation = max(state.generation, searcher.fulltext.generation)
    return searcher.catalog.newest_rowid(generation)


def language(prefs: Preferences, person: Person) -> str:
    """The saved language, else the profile's, else fr."""
    return prefs.lang if prefs.saved else (profile_language(person) or "fr")


def period_key(follow: Follow, frequency: str, now: datetime) -> str:
    """The dedupe key of a follow's message for the period ``now`` is in."""
    if frequency == "immediately":
        return f"follow:{follow.id}:from-{follow.cursor}"
    if frequency == "daily":
        return f"follow:{follow.id}:{now.date().isoformat()}"
    year, week, _ = now.isocalendar()
    return f"follow:{follow.id}:{year}-W{week:02d}"


def _topic_query(target: str, topics: TopicSource | None, now: datetime) -> ParsedQuery | None:
    from core.errors import NotFoundError

    try:
        return topics.get(target).query() if topics is not None else None
    except NotFoundError:
        return None  # the topic was deleted: it matches nothing


def _filter(name: str) -> Any:
    return lambda target, topics, now: ParsedQuery((), (Filter(name, (target,)),))


FOLLOW_QUERIES = {
    "search": lambda target, topics, now: parse_query(target, now),
    "topic": _topic_query,
    "tag": _filter("tag"),
    "group": _filter("group"),
    "person": _filter("author"),
}
# a filter also resolves names: a follow of one group or person keeps exactly its hits
EXACT = {"group": lambda hit: hit.group, "person": lambda hit: hit.author}


def new_matches(searcher: Searcher, follow: Follow, person: Person,
                window: dict[str, tuple[int, datetime]], topics: TopicSource | None,
                now: datetime) -> list[str]:
    """Ids of the items of ``window`` (id -> rowid, created) newer than the follow's
    cursor that match it as ``person`` searches, newest first.  QuerySyntaxError for a
    saved search that no longer parses."""
    new = {ident: created for ident, (rowid, created) in window.items()
           if rowid > follow.cursor}
    query = FOLLOW_QUERIES[follow.kind](follow.target, topics, now) if new else None
    if query is None or query.is_empty():
        return []
    since = (min(new.values()) - timedelta(days=1)).date().isoformat()
    restricted = ParsedQuery(query.clauses, (*query.filters, Filter("after", (since,))))
    hits = searcher.scope(person).search(restricted, mode="lexical", limit=CANDIDATES)
    exact = EXACT.get(follow.kind)
    found = [hit.id for hit in hits if hit.id in new and hit.author != person.id
             and (exact is None or exact(hit) == follow.target)]
    return sorted(found, key=lambda ident: (new[ident], ident), reverse=True)


def unsubscribe_link(settings: Settings, person: str, target: str) -> str:
    """The signed unsubscribe link for a message body, or "" while it cannot be made."""
    try:
        return unsubscribe_url(settings, person, target)
    except ConfigError:
        return ""


def render_alert(settings: Settings, searcher: Searcher, follow: Follow, person: Person,
                 lang: str, items: list[Item],
                 topics: TopicSource | None) -> tuple[str, list[Entry], Rendered]:
    """(label, entries, rendered message) of an alert listing ``items``."""
    label = follow_label(searcher.scope(person), follow, lang, topics)
    shown = entries(searcher, items, lang, settings.public_url)
    link = unsubscribe_link(settings, person.id, f"follow:{follow.id}")
    return label, shown, render_follow(follow, label, shown, lang, settings.public_url, link)


@dataclass
class _Run:
    settings: Settings
    searcher: Searcher
    outbox: Outbox
    topics: TopicSource | None
    now: datetime
    upto: int
    window: dict[str, tuple[int, datetime]]


def _plan(run: _Run, follow: Follow, prefs: Preferences) -> tuple[Alert | None, str, int]:
    """(the follow's alert, or None and why not; the cursor the follow moves to)."""
    person = run.searcher.current_person(follow.person)
    if person is None or person.opted_out:
        return None, "recipient left or opted out", run.upto
    if not prefs.address:
        return None, "no address", run.upto
    key = period_key(follow, prefs.frequency, run.now)
    earlier = run.outbox.find(key)
    if earlier is not None:
        covered = earlier.payload.get("context", {}).get("upto", follow.cursor)
        return None, "already queued for this period", int(covered)
    try:
        ids = new_matches(run.searcher, follow, person, run.window, run.topics, run.now)
    except QuerySyntaxError:
        return None, "saved search no longer readable", run.upto
    found = run.searcher.catalog.items_by_id(ids[:MAX_ITEMS])
    items = [found[ident] for ident in ids[:MAX_ITEMS] if ident in found]
    if not items:
        return None, "nothing new", run.upto
    lang = language(prefs, person)
    label, shown, rendered = render_alert(run.settings, run.searcher, follow, person, lang,
                                          items, run.topics)
    return Alert(follow, prefs, person, lang, label, tuple(shown), rendered, key,
                 run.upto), "", run.upto


def queue_alert(outbox: Outbox, alert: Alert, now: datetime) -> bool:
    """Queue an alert on its person's channel; False if its period's message exists."""
    prefs, follow = alert.preferences, alert.follow
    fields = follow_payload(alert.rendered, prefs.channel, prefs.webhook_format, alert.lang)
    common: dict[str, Any] = {
        "kind": "follow", "recipient": follow.person, "dedupe_key": alert.dedupe_key,
        "items": [entry.id for entry in alert.shown], "now": now,
        "context": {"follow": follow.id, "upto": alert.upto, "frequency": prefs.frequency}}
    if prefs.channel == "email":
        return queue_email(outbox, address=prefs.email, unsubscribe=f"follow:{follow.id}",
                           **common, **fields)
    return queue_webhook(outbox, url=prefs.webhook_url, **common, **fields)


def run_follows(settings: Settings, searcher: Searcher, frequency: str,
                now: datetime | None = None, *, store: FollowStore | None = None,
                outbox: Outbox | None = None, topics: TopicSource | None = None,
                dry_run: bool = False) -> FollowRun:
    """Match every follow running at ``frequency`` against the items created since it
    last ran, and queue one message per follow with new matches (``dry_run``: queue
    nothing and move no cursor, only say what would go out).  Stores left None are
    opened in ``settings.data_dir`` (and closed)."""
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}")
    moment = now or utc_now()
    with ExitStack() as stack:
        store = store or stack.enter_context(FollowStore.open(settings))
        outbox = outbox or stack.enter_context(Outbox.open(settings))
        if topics is None:
            from expertise import TopicStore  # expertise imports search: only when needed

            opened = TopicStore.open(settings.data_dir)
            stack.callback(opened.close)
            topics = opened
        due = store.due(frequency)
        upto = indexed_upto(searcher)
        lowest = min((follow.cursor for follow, _ in due), default=upto)
        window = {ident: (rowid, created) for rowid, ident, created
                  in searcher.catalog.created_between(lowest, upto)}
        run = _Run(settings, searcher, outbox, topics, moment, upto, window)
        alerts: list[Alert] = []
        skipped: Counter[str] = Counter()
        for follow, prefs in due:
            if not any(rowid > follow.cursor for rowid, _ in window.values()):
                continue  # nothing created since it last ran
            alert, reason, cursor = _plan(run, follow, prefs)
            if alert is not None and not dry_run:
                alert = replace(alert, queued=queue_alert(outbox, alert, moment))
            if alert is not None:
                alerts.append(alert)
            else:
                skipped[reason] += 1
            if not dry_run:
                store.advance(follow.id, cursor)
    logger.info("follows (%s): %d alerts, skipped %s", frequency, len(alerts), dict(skipped))
    return FollowRun(frequency, tuple(alerts), dict(skipped), upto)
