"""Follow alerts as people read them: French or English, plain text, HTML, webhook data.

Rendered from catalog items the recipient may read (the caller has checked), each with
its title, group, author, date and link (``public_url`` + the post page's path).  Every
value that goes into HTML is escaped; Slack-format text escapes ``&``, ``<`` and ``>``
(Slack reads ``<!channel>`` and ``<url|text>`` in them).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from core.errors import NotFoundError
from core.records import COMPANY_FEED

if TYPE_CHECKING:
    from indexer import Item
    from notify.follows import Follow
    from search import Scope, Searcher

# message id -> (French, English)
STRINGS: dict[str, tuple[str, str]] = {
    "subject": ("quisait : du nouveau pour « {label} »", "quisait: new for “{label}”"),
    "intro": ("Du nouveau pour « {label} », que vous suivez :",
              "New for “{label}”, which you follow:"),
    "meta": ("dans {group}, par {author}, le {date}", "in {group}, by {author}, {date}"),
    "more": ("Tout voir sur quisait", "See everything on quisait"),
    "manage": ("Gérer ce que vous suivez", "Manage what you follow"),
    "unsubscribe": ("Ne plus recevoir ces messages", "Stop these messages"),
    "link": ("{what} : {url}", "{what}: {url}"),
    "unknown_author": ("auteur inconnu", "unknown author"),
    "feed": ("fil de l'entreprise", "company feed"),
    "reply": ("Réponse : {title}", "Re: {title}"),
    "untitled": ("({kind} sans titre)", "(untitled {kind})"),
}


def say(lang: str, key: str, **values: object) -> str:
    """The message ``key`` in ``lang`` (fr or en), with its fields filled in."""
    french, english = STRINGS[key]
    return (french if lang == "fr" else english).format(**values)


class TopicSource(Protocol):
    """What rendering and matching need of the topic store: ``get`` (NotFoundError)."""

    def get(self, topic_id: str) -> Any: ...


@dataclass(frozen=True)
class Entry:
    """One item of an alert, as shown."""

    id: str
    title: str
    group: str
    author: str
    date: str
    url: str


@dataclass(frozen=True)
class Rendered:
    """An alert in every form a channel needs."""

    subject: str
    text: str
    html: str
    slack: str
    data: dict[str, Any]


def site_url(public_url: str, path: str) -> str:
    """``path`` on the site people reach (a bare path while ``public_url`` is not set)."""
    return public_url.rstrip("/") + path


def _title(searcher: Searcher, item: Item, lang: str) -> str:
    if item.title:
        return item.title
    parent = searcher.catalog.item(item.parent) if item.parent else None
    if parent is not None and parent.title and parent.group == item.group:
        return say(lang, "reply", title=parent.title)
    return say(lang, "untitled", kind=item.kind)


def entries(searcher: Searcher, items: Sequence[Item], lang: str,
            public_url: str) -> list[Entry]:
    """The items as an alert shows them (the caller passes only readable items)."""
    shown = []
    for item in items:
        group = searcher.groups.get(item.group)
        author = searcher.people.get(item.author or "")
        shown.append(Entry(
            id=item.id, title=_title(searcher, item, lang),
            group=group.name if group else say(lang, "feed") if item.group == COMPANY_FEED
            else item.group,
            author=author.name if author else say(lang, "unknown_author"),
            date=item.created.date().isoformat(),
            url=site_url(public_url, f"/posts/{quote(item.id)}")))
    return shown


def follow_label(scope: Scope, follow: Follow, lang: str, topics: TopicSource | None) -> str:
    """What the follow is called in a message: the query, the topic's name, ``#tag``, the
    group's or the person's name (the id when the recipient may not know the name)."""
    if follow.kind == "tag":
        return f"#{follow.target}"
    searcher = scope.searcher
    if follow.kind == "group" and scope.can_see(follow.target):
        return searcher.groups[follow.target].name
    if follow.kind == "person" and follow.target in searcher.people:
        return searcher.people[follow.target].name
    if follow.kind == "topic" and topics is not None:
        try:
            topic = topics.get(follow.target)
        except NotFoundError:
            return follow.target
        return str(topic.name_fr if lang == "fr" else topic.name_en)
    return follow.target


def follow_page(follow: Follow) -> str:
    """The page that shows everything a follow matches."""
    query = {"tag": f"tag:{follow.target}", "group": f"group:{follow.target}",
             "person": f"author:{follow.target}"}.get(follow.kind, follow.target)
    if follow.kind == "topic":
        return f"/topics/{quote(follow.target)}"
    return f"/search?q={quote(query)}&mode=lexical"


def _slack(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_follow(follow: Follow, label: str, shown: Sequence[Entry], lang: str,
                  public_url: str, unsubscribe: str = "") -> Rendered:
    """The alert of ``follow`` listing ``shown`` (``unsubscribe``: a link, or "")."""
    more = site_url(public_url, follow_page(follow))
    manage = site_url(public_url, "/me/follows")
    lines = [say(lang, "intro", label=label), ""]
    for entry in shown:
        meta = say(lang, "meta", group=entry.group, author=entry.author, date=entry.date)
        lines += [f"- {entry.title}", f"  {meta}", f"  {entry.url}"]
    links = [("more", more), ("manage", manage)] + ([("unsubscribe", unsubscribe)]
                                                    if unsubscribe else [])
    lines += ["", *(say(lang, "link", what=say(lang, key), url=url) for key, url in links)]
    return Rendered(
        subject=say(lang, "subject", label=label), text="\n".join(lines),
        html=_html(label, shown, lang, more, manage, unsubscribe),
        slack=_slack("\n".join(lines)),
        data={"follow": {"id": follow.id, "kind": follow.kind, "target": follow.target,
                         "label": label},
              "items": [asdict(entry) for entry in shown], "url": more})


def _html(label: str, shown: Sequence[Entry], lang: str, more: str, manage: str,
          unsubscribe: str) -> str:
    def esc(value: str) -> str:
        return html.escape(value, quote=True)

    items = "".join(
        f'<li><a href="{esc(e.url)}">{esc(e.title)}</a><br><small>'
        f'{esc(say(lang, "meta", group=e.group, author=e.author, date=e.date))}</small></li>'
        for e in shown)
    links = [f'<a href="{esc(more)}">{esc(say(lang, "more"))}</a>',
             f'<a href="{esc(manage)}">{esc(say(lang, "manage"))}</a>']
    if unsubscribe:
        links.append(f'<a href="{esc(unsubscribe)}">{esc(say(lang, "unsubscribe"))}</a>')
    return (f'<!doctype html><html lang="{esc(lang)}"><body>'
            f'<p>{esc(say(lang, "intro", label=label))}</p><ul>{items}</ul>'
            f'<p>{" · ".join(links)}</p></body></html>')


def follow_payload(rendered: Rendered, channel: str, webhook_format: str,
                   lang: str) -> Mapping[str, Any]:
    """The rendered fields a channel's outbox payload holds (items and context apart)."""
    if channel == "email":
        return {"subject": rendered.subject, "text": rendered.text, "html": rendered.html,
                "lang": lang}
    return {"text": rendered.slack if webhook_format == "slack" else rendered.text,
            "data": rendered.data, "format": webhook_format}
