"""Weekly expert digests through the outbox: each recipient of the week's digest
(:func:`expertise.digest.build_digest`: open questions of the past week, routed under the
``digest_per_person`` and ``digest_fanout`` limits, never to the asker) gets ONE message
listing their questions, each with its title, group, link and "why you" (the titles of
their evidence items), in their language, by email (text and escaped HTML) or webhook
(JSON or Slack text).

- Nothing goes to people who left, opted out of expertise, opted out of digests, paused
  everything or gave no address.
- The dedupe key is ``digest:<person>:<ISO year-week>``: a second run in the week queues
  nothing.  The payload's ``items`` are the question and evidence ids; its ``context``
  lists each question with its evidence, so that :func:`digest_renderer` re-renders the
  message at send time with only what the recipient may still read, and without the
  questions that got an accepted answer since (none left: the message is dropped).
"""

from __future__ import annotations

import html
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.records import Person
from core.settings import Settings
from indexer.catalog import Item
from notify.alerts import language, unsubscribe_link
from notify.delivery import Dropped, queue_email, queue_webhook
from notify.follows import FollowStore, Preferences
from notify.outbox import Outbox, OutboxMessage, utc_now
from notify.render import Entry, Rendered, entries, follow_payload, site_url

if TYPE_CHECKING:
    from notify.recheck import Renderer
    from search import Searcher

logger = logging.getLogger(__name__)

UNSUBSCRIBE = "digest"

# message id -> (French, English)
STRINGS: dict[str, tuple[str, str]] = {
    "subject": ("quisait : {count} question(s) pour vous cette semaine",
                "quisait: {count} question(s) for you this week"),
    "intro": ("Des collègues attendent une réponse ; vous êtes bien placé·e pour les aider :",
              "Colleagues are waiting for an answer; you are well placed to help:"),
    "meta": ("dans {group}", "in {group}"),
    "why": ("Pourquoi vous : {titles}", "Why you: {titles}"),
    "manage": ("Gérer vos préférences", "Manage your preferences"),
    "unsubscribe": ("Ne plus recevoir ces résumés", "Stop these digests"),
    "link": ("{what} : {url}", "{what}: {url}"),
}


def say(lang: str, key: str, **values: object) -> str:
    french, english = STRINGS[key]
    return (french if lang == "fr" else english).format(**values)


def week_of(now: datetime) -> str:
    """The ISO year-week of ``now`` (``2026-W10``)."""
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def digest_key(person: str, now: datetime) -> str:
    return f"digest:{person}:{week_of(now)}"


@dataclass(frozen=True)
class DigestQuestion:
    """One question of a message, as shown, with the evidence shown for it."""

    question: Entry
    evidence: tuple[Entry, ...]


@dataclass(frozen=True)
class DigestMessage:
    """One message a run queues (or, dry, would queue)."""

    person: Person
    preferences: Preferences
    lang: str
    questions: tuple[DigestQuestion, ...]
    rendered: Rendered
    dedupe_key: str
    queued: bool = False

    @property
    def items(self) -> list[str]:
        return message_items(self.questions)


@dataclass(frozen=True)
class DigestRun:
    """What one :func:`run_digests` did: its messages, and why other recipients got none."""

    week: str
    messages: tuple[DigestMessage, ...]
    skipped: dict[str, int]


def message_items(questions: Sequence[DigestQuestion]) -> list[str]:
    """The ids a message shows: its questions, then their evidence (each once)."""
    ids = [q.question.id for q in questions]
    for q in questions:
        ids += [e.id for e in q.evidence if e.id not in ids]
    return ids


def _context(questions: Sequence[DigestQuestion], week: str) -> dict[str, Any]:
    return {"week": week, "questions": [
        {"id": q.question.id, "evidence": [e.id for e in q.evidence]} for q in questions]}


def _shown(searcher: Searcher, plan: Sequence[tuple[str, Sequence[str]]],
           found: Mapping[str, Item], lang: str, public_url: str) -> list[DigestQuestion]:
    """The questions of ``plan`` (question id, evidence ids) found in ``found`` (items the
    recipient may read), open questions only, with the evidence found."""
    shown = []
    for question_id, evidence in plan:
        item = found.get(question_id)
        if item is None or item.kind != "question" or searcher.catalog.thread_facts(item)[1]:
            continue  # unreadable now, deleted, or answered and accepted since
        kept = [found[e] for e in evidence if e in found and e != question_id]
        [entry] = entries(searcher, [item], lang, public_url)
        shown.append(DigestQuestion(entry, tuple(entries(searcher, kept, lang, public_url))))
    return shown


def render_digest(questions: Sequence[DigestQuestion], lang: str, public_url: str,
                  week: str, unsubscribe: str = "") -> Rendered:
    """The digest listing ``questions`` (``unsubscribe``: a link, or "")."""
    manage = site_url(public_url, "/me/follows")
    lines = [say(lang, "intro"), ""]
    for q in questions:
        lines += [f"- {q.question.title}", f"  {say(lang, 'meta', group=q.question.group)}",
                  f"  {q.question.url}"]
        if q.evidence:
            titles = "; ".join(e.title for e in q.evidence)
            lines.append(f"  {say(lang, 'why', titles=titles)}")
    links = [("manage", manage)] + ([("unsubscribe", unsubscribe)] if unsubscribe else [])
    lines += ["", *(say(lang, "link", what=say(lang, key), url=url) for key, url in links)]
    text = "\n".join(lines)
    return Rendered(
        subject=say(lang, "subject", count=len(questions)), text=text,
        html=_html(questions, lang, manage, unsubscribe),
        slack=text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
        data={"digest": {"week": week},
              "questions": [{**asdict(q.question), "why": [asdict(e) for e in q.evidence]}
                            for q in questions]})


def _html(questions: Sequence[DigestQuestion], lang: str, manage: str,
          unsubscribe: str) -> str:
    def esc(value: str) -> str:
        return html.escape(value, quote=True)

    items = []
    for q in questions:
        why = ""
        if q.evidence:
            titles = "; ".join(e.title for e in q.evidence)
            why = f'<br><small>{esc(say(lang, "why", titles=titles))}</small>'
        items.append(f'<li><a href="{esc(q.question.url)}">{esc(q.question.title)}</a>'
                     f'<br><small>{esc(say(lang, "meta", group=q.question.group))}</small>'
                     f'{why}</li>')
    links = [f'<a href="{esc(manage)}">{esc(say(lang, "manage"))}</a>']
    if unsubscribe:
        links.append(f'<a href="{esc(unsubscribe)}">{esc(say(lang, "unsubscribe"))}</a>')
    return (f'<!doctype html><html lang="{esc(lang)}"><body>'
            f'<p>{esc(say(lang, "intro"))}</p><ul>{"".join(items)}</ul>'
            f'<p>{" · ".join(links)}</p></body></html>')


def _refusal(person: Person | None, prefs: Preferences) -> str:
    """Why ``person`` gets no digest ("" if they may)."""
    if person is None or person.opted_out:
        return "recipient left or opted out"
    if not prefs.digests:
        return "digests turned off"
    if prefs.paused:
        return "recipient paused everything"
    if not prefs.address:
        return "no address"
    return ""


def _render(settings: Settings, person: Person, lang: str,
            questions: Sequence[DigestQuestion], week: str) -> Rendered:
    link = unsubscribe_link(settings, person.id, UNSUBSCRIBE)
    return render_digest(questions, lang, settings.public_url, week, link)


def queue_digest(outbox: Outbox, message: DigestMessage, week: str, now: datetime) -> bool:
    """Queue a digest on its person's channel; False if its week's message exists."""
    prefs = message.preferences
    fields = follow_payload(message.rendered, prefs.channel, prefs.webhook_format,
                            message.lang)
    common: dict[str, Any] = {
        "kind": "digest", "recipient": message.person.id, "dedupe_key": message.dedupe_key,
        "items": message.items, "now": now, "context": _context(message.questions, week)}
    if prefs.channel == "email":
        return queue_email(outbox, address=prefs.email, unsubscribe=UNSUBSCRIBE,
                           **common, **fields)
    return queue_webhook(outbox, url=prefs.webhook_url, **common, **fields)


def run_digests(settings: Settings, searcher: Searcher, now: datetime | None = None, *,
                store: FollowStore | None = None, outbox: Outbox | None = None,
                dry_run: bool = False) -> DigestRun:
    """Build the digest of the week before ``now`` and queue one message per recipient
    who may get it (``dry_run``: queue nothing, only say what would go out).  Stores left
    None are opened in ``settings.data_dir`` (and closed)."""
    from expertise.digest import build_digest
    from expertise.finder import ExpertFinder

    moment = now or utc_now()
    week = week_of(moment)
    messages: list[DigestMessage] = []
    skipped: Counter[str] = Counter()
    with ExitStack() as stack:
        store = store or stack.enter_context(FollowStore.open(settings))
        outbox = outbox or stack.enter_context(Outbox.open(settings))
        finder = ExpertFinder(searcher)
        stack.callback(finder.close)
        mode = "hybrid" if searcher.settings.embeddings else "lexical"
        digest = build_digest(finder, moment - timedelta(days=7), moment,
                              per_person=settings.digest_per_person,
                              fanout=settings.digest_fanout, mode=mode)
        for person_id in sorted({entry.person for entry in digest.entries}):
            person = searcher.current_person(person_id)
            prefs = store.preferences(person_id)
            reason = _refusal(person, prefs)
            key = digest_key(person_id, moment)
            if not reason and outbox.find(key) is not None:
                reason = "already queued this week"
            if reason or person is None:
                skipped[reason] += 1
                continue
            plan = [(e.question, [ev.item_id for ev in e.evidence])
                    for e in digest.for_person(person_id)]
            wanted = {ident for q, evidence in plan for ident in (q, *evidence)}
            found = searcher.scope(person).items(wanted)
            lang = language(prefs, person)
            questions = _shown(searcher, plan, found, lang, settings.public_url)
            if not questions:
                skipped["nothing readable"] += 1
                continue
            message = DigestMessage(person, prefs, lang, tuple(questions),
                                    _render(settings, person, lang, questions, week), key)
            if not dry_run:
                message = replace(message, queued=queue_digest(outbox, message, week, moment))
            messages.append(message)
    logger.info("digests (%s): %d messages, skipped %s", week, len(messages), dict(skipped))
    return DigestRun(week, tuple(messages), dict(skipped))


def digest_renderer(settings: Settings, searcher: Searcher, store: FollowStore) -> Renderer:
    """Re-renders a digest at send time from current data, with only the questions and
    evidence its recipient may still read (``items``: what the recheck kept) and no
    question accepted since; drops it when no question is left, or when its person
    turned digests off, paused everything or changed the address it goes to."""

    def render(message: OutboxMessage, person: Person, items: list[Item]
               ) -> OutboxMessage | Dropped:
        prefs = store.preferences(person.id)
        if not prefs.digests:
            return Dropped("the recipient turned digests off")
        if prefs.paused:
            return Dropped("the recipient paused everything")
        if (prefs.channel, prefs.address) != (message.channel, message.address):
            return Dropped("the recipient changed where messages go")
        context = message.payload.get("context") or {}
        plan = [(str(q.get("id", "")), [str(e) for e in q.get("evidence", [])])
                for q in context.get("questions", []) if isinstance(q, dict)]
        found = {item.id: item for item in items}
        lang = language(prefs, person)
        questions = _shown(searcher, plan, found, lang, settings.public_url)
        if not questions:
            return Dropped("no question left that the recipient may read and is still open")
        week = str(context.get("week", ""))
        rendered = _render(settings, person, lang, questions, week)
        fields = follow_payload(rendered, message.channel,
                                str(message.payload.get("format", prefs.webhook_format)), lang)
        payload = {**message.payload, **fields, "items": message_items(questions),
                   "context": _context(questions, week)}
        return replace(message, payload=payload)

    return render
