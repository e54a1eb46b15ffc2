"""Hits, facets and posts as the API returns them and the pages show them.

User-written HTML is sanitised with nh3 before it leaves this module; plain text
is escaped; snippets are split into (text, highlighted) pieces so templates
escape every piece and never mark anything safe.  Links keep only http(s) and
mailto targets; remote images (which the CSP would block anyway, and which would
tell a remote host who reads what) become plain links, other images their alt text.
"""

from __future__ import annotations

import html
import re
from typing import Any

import markdown as markdown_lib
import nh3
from markupsafe import escape

from core.records import COMPANY_FEED, URL_SCHEMES, safe_url
from indexer import Item
from search import Hit, Searcher

# children of a thread shown on a post's page at most
MAX_CHILDREN = 200
LINK_REL = "noopener noreferrer nofollow"
# an <img> as nh3 writes it: attributes double-quoted, a quote inside one escaped
_IMAGE = re.compile(r'<img((?:\s+[a-z-]+(?:="[^"]*")?)*)\s*/?>')
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')


def pieces(text: str, spans: tuple[tuple[int, int], ...]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, highlighted) at the highlight spans."""
    out: list[tuple[str, bool]] = []
    last = 0
    for start, end in sorted(spans):
        if start < last or end > len(text):
            continue  # overlapping or out of range: ignore rather than garble
        if start > last:
            out.append((text[last:start], False))
        out.append((text[start:end], True))
        last = end
    if last < len(text):
        out.append((text[last:], False))
    return out


def hit_json(hit: Hit, explain: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": hit.id, "kind": hit.kind, "title": hit.title, "thread_title": hit.thread_title,
        "parent": hit.parent, "snippet": hit.snippet,
        "highlights": [list(span) for span in hit.highlights],
        "group": {"id": hit.group, "name": hit.group_name},
        "author": {"id": hit.author, "name": hit.author_name} if hit.author else None,
        "created": hit.created.isoformat(), "score": round(hit.score, 6),
        "accepted": hit.accepted, "pinned": hit.pinned, "mark": hit.mark,
        "url": f"/posts/{hit.id}",
    }
    if explain:
        data["explanation"] = hit.explanation
    return data


def facets_json(facets: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {name: [{"value": v.value, "label": v.label, "count": v.count} for v in values]
            for name, values in facets.items()}


def body_html(item: Item) -> str:
    """The item's body as safe HTML (sanitised user HTML, rendered Markdown, or text)."""
    record = item.record
    body = getattr(record, "body", None)
    fmt = getattr(record, "body_format", "text")
    if body is None:  # documents: their extracted text
        body, fmt = item.text, "text"
    if fmt == "html":
        return clean_html(body)
    if fmt == "markdown":
        return clean_html(markdown_lib.markdown(body))
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    return "".join(f"<p>{escape(p)}</p>" for p in paragraphs)


def clean_html(text: str) -> str:
    """User HTML made safe: nh3's allow-list, http(s)/mailto links only, and images
    turned into links (a second nh3 pass, without <img>, vouches for the rewrite)."""
    schemes = set(URL_SCHEMES)
    first = nh3.clean(text, url_schemes=schemes, link_rel=LINK_REL)
    linked = _IMAGE.sub(_image_as_link, first)
    return nh3.clean(linked, tags=set(nh3.ALLOWED_TAGS) - {"img"}, url_schemes=schemes,
                     link_rel=LINK_REL)


def _image_as_link(image: re.Match[str]) -> str:
    """A remote image as a link to it (its alt text, or the URL, as the text); an image
    with a data:, relative or no source as its alt text alone."""
    attributes = {name: html.unescape(value)
                  for name, value in _ATTRIBUTE.findall(image.group(1))}
    source, alt = attributes.get("src", ""), attributes.get("alt", "").strip()
    remote = safe_url(source)
    if not remote.lower().startswith(("http://", "https://")):
        return str(escape(alt))
    return f'<a href="{escape(remote)}" rel="{LINK_REL}">{escape(alt or remote)}</a>'


def group_name(searcher: Searcher, group: str) -> str:
    found = searcher.groups.get(group)
    return found.name if found else ("company feed" if group == COMPANY_FEED else group)


def person_ref(searcher: Searcher, person_id: str | None) -> dict[str, str] | None:
    if not person_id:
        return None
    person = searcher.people.get(person_id)
    return {"id": person_id, "name": person.name if person else person_id}


def children(searcher: Searcher, item: Item) -> list[Item]:
    """Live answers and comments of an item, oldest first (same group as their thread)."""
    rows = searcher.catalog.db.execute(
        "SELECT id FROM items WHERE parent = ? AND deleted = 0 ORDER BY created, rowid LIMIT ?",
        (item.id, MAX_CHILDREN)).fetchall()
    found = [searcher.catalog.item(ident) for (ident,) in rows]
    return [child for child in found if child is not None and child.group == item.group]


def post_json(searcher: Searcher, item: Item, with_children: bool = True) -> dict[str, Any]:
    """A post, comment or document the viewer may read, with its thread's replies."""
    _, accepted = searcher.catalog.thread_facts(item)
    parent = searcher.catalog.item(item.parent) if item.parent else None
    data: dict[str, Any] = {
        "id": item.id, "type": item.type, "kind": item.kind, "title": item.title,
        "body_html": body_html(item), "lang": item.lang, "tags": list(item.tags),
        "group": {"id": item.group, "name": group_name(searcher, item.group)},
        "author": person_ref(searcher, item.author), "created": item.created.isoformat(),
        "updated": item.updated.isoformat() if item.updated else None,
        "parent": ({"id": parent.id, "title": parent.title}
                   if parent is not None and parent.group == item.group else None),
        "accepted": accepted, "mark": searcher.curation.marks().get(item.id),
    }
    if with_children:
        data["replies"] = [post_json(searcher, child, with_children=False)
                           for child in children(searcher, item)]
    return data
