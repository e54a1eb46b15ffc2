"""Permissions at send time: a message goes out only with what its recipient may read now.

Between queueing and sending (a daily digest waits hours; a retry waits longer) the
recipient may leave, opt out or be removed from a group, and an item may be deleted or
moved to a secret group.  :func:`permission_recheck` is the ``recheck`` hook of
:func:`notify.deliver_due`: for each claimed message it reads the recipient again
(departed, unknown or opted out: dropped) and every item the payload's ``items`` lists
against their readable groups now (``searcher.scope(recipient).items``: the catalog's
group of each item, as every read does); what they may not read is taken out and the message
re-rendered by its kind's renderer, or dropped when nothing is left.  A message without
an ``items`` list cannot be checked and is dropped; a kind with no renderer goes out
only if every item passed.  Someone removed from a group yesterday gets nothing from it
today.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from core.records import Person
from core.settings import Settings
from indexer.catalog import Item
from notify.alerts import language, render_alert
from notify.delivery import Dropped, Recheck
from notify.follows import FollowStore
from notify.outbox import OutboxMessage
from notify.render import TopicSource, follow_payload

if TYPE_CHECKING:
    from search import Searcher

# re-renders a message with only the items it may still show (or drops it)
Renderer = Callable[[OutboxMessage, Person, list[Item]], "OutboxMessage | Dropped"]


def permission_recheck(searcher: Searcher,
                       renderers: Mapping[str, Renderer] | None = None) -> Recheck:
    """The send-time recheck over ``searcher``'s catalog as it is now; ``renderers`` by
    message kind re-render what is left."""
    known = dict(renderers or {})

    def recheck(message: OutboxMessage) -> OutboxMessage | Dropped:
        person = searcher.current_person(message.recipient)  # departed, unknown: None
        if person is None:
            return Dropped("the recipient is no longer an active person")
        if person.opted_out:
            return Dropped("the recipient opted out")
        ids = message.payload.get("items")
        if not isinstance(ids, list) or not ids:
            return Dropped("the message lists no item ids to check")
        found = searcher.scope(person).items(str(ident) for ident in ids)
        kept = [found[ident] for ident in ids if ident in found]
        if not kept:
            return Dropped("nothing in it that the recipient may still read")
        renderer = known.get(message.kind)
        if renderer is not None:
            return renderer(message, person, kept)
        if len(kept) < len(ids):
            return Dropped(f"items the recipient may no longer read, and no renderer for "
                           f"{message.kind!r} messages")
        return message

    return recheck


def follow_renderer(settings: Settings, searcher: Searcher, store: FollowStore,
                    topics: TopicSource | None) -> Renderer:
    """Re-renders follow alerts from current data; drops one whose follow was dropped or
    paused, whose person paused everything or changed the address it goes to."""

    def render(message: OutboxMessage, person: Person, items: list[Item]
               ) -> OutboxMessage | Dropped:
        context = message.payload.get("context") or {}
        follow = store.get(person.id, str(context.get("follow", "")))
        prefs = store.preferences(person.id)
        if follow is None or follow.paused:
            return Dropped("the follow was dropped or paused")
        if prefs.paused:
            return Dropped("the recipient paused every follow")
        if (prefs.channel, prefs.address) != (message.channel, message.address):
            return Dropped("the recipient changed where follow alerts go")
        lang = language(prefs, person)
        _, shown, rendered = render_alert(settings, searcher, follow, person, lang, items,
                                          topics)
        fields = follow_payload(rendered, message.channel,
                                str(message.payload.get("format", prefs.webhook_format)), lang)
        payload = {**message.payload, **fields, "items": [entry.id for entry in shown]}
        return replace(message, payload=payload)

    return render


def follow_recheck(settings: Settings, searcher: Searcher, store: FollowStore,
                   topics: TopicSource | None = None,
                   renderers: Mapping[str, Renderer] | None = None) -> Recheck:
    """:func:`permission_recheck` with follow alerts re-rendered (plus ``renderers`` of
    other kinds: digests); address confirmations, which show no item, checked apart."""
    from notify.confirm import KIND, confirmation_recheck

    items = permission_recheck(searcher, {
        "follow": follow_renderer(settings, searcher, store, topics), **(renderers or {})})
    confirm = confirmation_recheck(store, lambda person: searcher.current_person(person)
                                   is not None)

    def recheck(message: OutboxMessage) -> OutboxMessage | Dropped | None:
        return confirm(message) if message.kind == KIND else items(message)

    return recheck
