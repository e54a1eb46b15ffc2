"""Review reminders: the owner of an official item hears that its review date is near or
past, once a week until someone reviews it (sets a new date) or removes the mark.

The worker's daily step.  An official mark within ``review_notice_days`` of its review
date, or past it (it no longer counts as official then), sends its owner (the mark's
owner, else the item's author) one message a week on their channel: the item, its group,
the date, and a link to the post page where they renew or drop the mark.  Nothing goes to
someone departed, opted out, paused, without a confirmed address, or who may not read the
item now; the send-time recheck reads the item again (kind ``review``: no renderer, so it
goes out only if the owner may still read it).
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.settings import Settings
from notify.alerts import language, unsubscribe_link
from notify.delivery import queue_email, queue_webhook
from notify.follows import FollowStore
from notify.outbox import Outbox, utc_now
from notify.render import site_url

if TYPE_CHECKING:
    from search import Searcher

KIND = "review"
UNSUBSCRIBE = "all"

_TEXT = {
    "en": {"subject": "Review due: {title}",
           "soon": "“{title}” ({group}) is official until {date}: review it before then.",
           "overdue": "“{title}” ({group}) was due for review on {date}: it no longer counts "
                      "as official.",
           "action": "Open it to confirm it is still right (a new review date) or to remove "
                     "the mark:",
           "unsubscribe": "Stop every message from quisait"},
    "fr": {"subject": "À revoir : {title}",
           "soon": "« {title} » ({group}) est officiel jusqu'au {date} : revoyez-le d'ici là.",
           "overdue": "« {title} » ({group}) devait être revu le {date} : il ne compte plus "
                      "comme officiel.",
           "action": "Ouvrez-le pour confirmer qu'il est toujours juste (nouvelle date de "
                     "revue) ou retirer la marque :",
           "unsubscribe": "Ne plus rien recevoir de quisait"},
}


@dataclass(frozen=True)
class ReviewRun:
    queued: int
    reminders: int
    skipped: dict[str, int]


def run_review_reminders(settings: Settings, searcher: Searcher, now: datetime | None = None,
                         *, store: FollowStore, outbox: Outbox,
                         dry_run: bool = False) -> ReviewRun:
    """Queue this week's reminder of every official mark due within
    ``review_notice_days`` or overdue (one per item, review date and ISO week)."""
    moment = now or utc_now()
    today = moment.date()
    horizon = today + timedelta(days=settings.review_notice_days)
    due = [mark for mark in searcher.curation.all_marks()
           if mark.mark == "official" and mark.review is not None and mark.review <= horizon]
    items = searcher.catalog.items_by_id(mark.item_id for mark in due)
    year, week, _ = today.isocalendar()
    skipped: Counter[str] = Counter()
    reminders = queued = 0
    for mark in due:
        item = items.get(mark.item_id)
        owner = searcher.current_person((mark.owner or (item.author if item else None)) or "")
        if item is None:
            skipped["item gone"] += 1
            continue
        if owner is None or owner.opted_out:
            skipped["owner left or opted out"] += 1
            continue
        if not searcher.scope(owner).can_read(item.group):
            skipped["owner may not read it"] += 1
            continue
        prefs = store.preferences(owner.id)
        if prefs.paused or not prefs.address:
            skipped["owner paused or has no address"] += 1
            continue
        reminders += 1
        if dry_run:
            continue
        lang = language(prefs, owner)
        words = _TEXT[lang]
        group = searcher.groups.get(item.group)
        values = {"title": item.title or item.kind, "group": group.name if group else item.group,
                  "date": mark.review.isoformat() if mark.review else ""}
        state = "overdue" if mark.expired(today) else "soon"
        link = site_url(settings.public_url, f"/posts/{item.id}")
        line = words[state].format(**values)
        text = f"{line}\n{words['action']}\n{link}\n"
        common: dict[str, Any] = {
            "kind": KIND, "recipient": owner.id, "items": [item.id], "now": moment,
            "dedupe_key": f"{KIND}:{item.id}:{values['date']}:{year}-W{week:02d}",
            "context": {"review": values["date"], "state": state}}
        if prefs.channel == "email":
            unsubscribe = unsubscribe_link(settings, owner.id, UNSUBSCRIBE)
            body = (f'<p>{html.escape(line)}</p><p>{html.escape(words["action"])} '
                    f'<a href="{html.escape(link)}">{html.escape(link)}</a></p>')
            if unsubscribe:
                body += (f'<p><small><a href="{html.escape(unsubscribe)}">'
                         f'{html.escape(words["unsubscribe"])}</a></small></p>')
            made = queue_email(outbox, address=prefs.email, unsubscribe=UNSUBSCRIBE,
                               subject=words["subject"].format(**values), text=text,
                               html=f'<!doctype html><html lang="{lang}"><body>{body}'
                                    "</body></html>", lang=lang, **common)
        else:
            made = queue_webhook(outbox, url=prefs.webhook_url, text=text,
                                 data={"item": item.id, "url": link, **values, "state": state},
                                 format=prefs.webhook_format, **common)
        queued += int(made)
    return ReviewRun(queued, reminders, dict(skipped))
