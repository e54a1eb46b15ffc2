"""Stack Exchange data dumps (a folder of Posts.xml, Users.xml, ...) as records.

Every file is streamed with defusedxml's ``iterparse``: each ``row`` element is
converted, then cleared, so memory stays flat however large the dump.  Ids are
namespaced by site (``se-{site}-p{Id}``) so several dumps can share a catalog.
A bad row becomes a :class:`Problem`; a broken file stops that file only.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from core.records import (
    COUNT_RANGES,
    Comment,
    Group,
    Person,
    Post,
    Problem,
    Record,
    parse_datetime,
)
from indexer.importers import ImportOptions, SourceError
from indexer.text import html_to_text

logger = logging.getLogger(__name__)

T = TypeVar("T")
Row = dict[str, str]

UPVOTE = 2
# Post types a dump may hold besides questions, answers and tag wikis; they are reported, not read.
SKIPPED_POST_TYPES = {
    "3": "orphaned tag wiki",
    "6": "moderator nomination",
    "7": "wiki placeholder",
    "8": "privilege wiki",
}
# Dumps write a post's tags as "<a><b>" (older) or "|a|b|" (newer).
_TAG_NAME = re.compile(r"[^<>|]+")


class _BadRow(ValueError):
    """A row that cannot become a record; the message says why."""


@dataclass(frozen=True)
class _Dump:
    """What the row converters need to know about the dump being read."""

    site: str
    host: str
    group: str
    upvotes: dict[int, int]
    wiki_tags: dict[int, str]

    def ident(self, letter: str, number: int) -> str:
        """The catalog id of a user (``u``), post (``p``) or comment (``c``) of this site."""
        return f"se-{self.site}-{letter}{number}"


def read_dump(source: str, options: ImportOptions) -> Iterator[Record | Problem]:
    """Group, people, posts and comments of the Stack Exchange dump in folder ``source``.

    Raises :class:`SourceError` at once if the folder has no ``Posts.xml``; every
    other defect is yielded as a :class:`Problem` while reading goes on.
    """
    folder = Path(source)
    if not folder.is_dir():
        raise SourceError(f"{source}: no such folder (expected a Stack Exchange dump)")
    if not (folder / "Posts.xml").is_file():
        raise SourceError(f"{source}: not a Stack Exchange dump, Posts.xml is missing")
    return _read_folder(folder, options)


def _read_folder(folder: Path, options: ImportOptions) -> Iterator[Record | Problem]:
    site = Path(os.path.abspath(folder)).name
    group = options.group or f"se-{site}"
    if options.group is None:
        yield Group(id=group, name=f"{site} (Stack Exchange)", kind="theme", visibility="open")
    upvotes = yield from _count_upvotes(folder / "Votes.xml")
    wiki_tags = yield from _read_wiki_tags(folder / "Tags.xml")
    dump = _Dump(site, site_host(site), group, upvotes, wiki_tags)
    yield from _convert_file(folder / "Users.xml", partial(_person, dump))
    yield from _convert_file(folder / "Posts.xml", partial(_post, dump))
    yield from _convert_file(folder / "Comments.xml", partial(_comment, dump))


def site_host(site: str) -> str:
    """Web host of a dump named ``site``: physics, french-meta, or a host like stackoverflow.com."""
    if "." in site:
        return site
    if site.endswith("-meta"):
        return f"{site.removesuffix('-meta')}.meta.stackexchange.com"
    return f"{site}.stackexchange.com"


# --- streaming -------------------------------------------------------------------------------


def _rows(path: Path) -> Iterator[tuple[int, Row] | Problem]:
    """Number (from 1) and attributes of each ``row``; a broken file ends in a Problem."""
    if not path.is_file():
        logger.info("%s: absent, skipped", path)
        return
    count = 0
    try:
        with path.open("rb") as stream:
            root = None
            for event, element in iterparse(stream, events=("start", "end")):
                root = element if root is None else root
                if event == "end" and element.tag == "row":
                    count += 1
                    yield count, dict(element.attrib)
                    element.clear()
                    root.clear()  # drop finished rows so the tree never grows
    except ParseError as exc:
        line, column = exc.position
        reason = f"malformed XML, rest of file skipped after row {count}: {exc}"
        yield Problem(str(path), f"line {line}, column {column}", reason)
    except DefusedXmlException as exc:
        yield Problem(str(path), f"after row {count}", f"unsafe XML refused: {exc!r}")
    except OSError as exc:
        yield Problem(str(path), f"after row {count}", f"cannot read file: {exc}")


def _convert_file(path: Path, convert: Callable[[Row], T | None]) -> Iterator[T | Problem]:
    """``convert`` applied to each row of ``path``; a row it rejects becomes a Problem."""
    rows = problems = 0
    for item in _rows(path):
        if isinstance(item, Problem):
            problems += 1
            yield item
            continue
        number, row = item
        rows += 1
        try:
            result = convert(row)
        except ValueError as exc:
            problems += 1
            yield _row_problem(path, number, row, str(exc))
            continue
        if result is not None:
            yield result
    logger.info("%s: %d rows, %d problems", path, rows, problems)


def _row_problem(path: Path, number: int, row: Row, reason: str) -> Problem:
    known_id = f" (Id {row['Id']})" if row.get("Id") else ""
    return Problem(str(path), f"row {number}{known_id}", reason)


# --- fields ----------------------------------------------------------------------------------


def _required(row: Row, name: str) -> str:
    value = row.get(name)
    if not value:
        raise _BadRow(f"missing {name}")
    return value


def _as_int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise _BadRow(f"{name} is not an integer: {value!r}") from None


def _as_date(value: str, name: str) -> datetime:
    try:
        return parse_datetime(value)  # dumps write naive UTC times
    except ValueError:
        raise _BadRow(f"{name} is not an ISO date: {value!r}") from None


def _score(row: Row) -> int:
    """The row's Score, refused out of the range a record may hold (it would not index)."""
    score = _optional(row, "Score", _as_int) or 0
    low, high = COUNT_RANGES["score"]
    if not low <= score <= high:
        raise _BadRow(f"Score out of range ({low} to {high}): {str(score)[:30]}")
    return score


def _optional(row: Row, name: str, convert: Callable[[str, str], T]) -> T | None:
    value = row.get(name)
    return convert(value, name) if value else None


def _row_id(row: Row) -> int:
    return _as_int(_required(row, "Id"), "Id")


def _ref(dump: _Dump, letter: str, row: Row, name: str) -> str | None:
    number = _optional(row, name, _as_int)
    return None if number is None else dump.ident(letter, number)


def _tag_names(value: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in _TAG_NAME.findall(value) if name.strip())


# --- side files: counts and names only -------------------------------------------------------


def _count_upvotes(path: Path) -> Generator[Problem, None, dict[int, int]]:
    """Upvotes per post id in Votes.xml (only the counts are kept)."""
    upvotes: Counter[int] = Counter()

    def count(row: Row) -> None:
        if _as_int(_required(row, "VoteTypeId"), "VoteTypeId") == UPVOTE:
            upvotes[_as_int(_required(row, "PostId"), "PostId")] += 1

    yield from _convert_file(path, count)
    return dict(upvotes)


def _read_wiki_tags(path: Path) -> Generator[Problem, None, dict[int, str]]:
    """Tag name of each tag-wiki post id (excerpt and body) in Tags.xml."""
    wiki_tags: dict[int, str] = {}

    def remember(row: Row) -> None:
        name = _required(row, "TagName")
        for field in ("ExcerptPostId", "WikiPostId"):
            post_id = _optional(row, field, _as_int)
            if post_id is not None:
                wiki_tags[post_id] = name

    yield from _convert_file(path, remember)
    return wiki_tags


# --- records ---------------------------------------------------------------------------------


def _person(dump: _Dump, row: Row) -> Person:
    return Person(
        id=dump.ident("u", _row_id(row)),
        name=_required(row, "DisplayName"),
        location=row.get("Location", ""),
        about=html_to_text(row.get("AboutMe", "")),
    )


def _question_fields(dump: _Dump, row: Row, post_id: int) -> dict[str, Any]:
    return {
        "kind": "question",
        "title": row.get("Title", ""),
        "tags": _tag_names(row.get("Tags", "")),
        "accepted_answer": _ref(dump, "p", row, "AcceptedAnswerId"),
        "url": f"https://{dump.host}/q/{post_id}",
    }


def _answer_fields(dump: _Dump, row: Row, post_id: int) -> dict[str, Any]:
    parent = _as_int(_required(row, "ParentId"), "ParentId")
    return {
        "kind": "answer",
        "parent": dump.ident("p", parent),
        "url": f"https://{dump.host}/a/{post_id}",
    }


def _tag_wiki_fields(label: str, dump: _Dump, row: Row, post_id: int) -> dict[str, Any]:
    tag = dump.wiki_tags.get(post_id)
    if tag is None:  # its tag was renamed, merged or deleted since
        return {"kind": "article", "title": label}
    url = f"https://{dump.host}/tags/{quote(tag, safe='')}/info"
    return {"kind": "article", "title": f"{label}: {tag}", "tags": (tag,), "url": url}


POST_TYPES: dict[str, Callable[[_Dump, Row, int], dict[str, Any]]] = {
    "1": _question_fields,
    "2": _answer_fields,
    "4": partial(_tag_wiki_fields, "Tag wiki excerpt"),
    "5": partial(_tag_wiki_fields, "Tag wiki"),
}


def _post(dump: _Dump, row: Row) -> Post:
    post_id = _row_id(row)
    type_id = _required(row, "PostTypeId")
    if type_id not in POST_TYPES:
        name = SKIPPED_POST_TYPES.get(type_id, "unknown type")
        raise _BadRow(f"skipped PostTypeId {type_id} ({name}): not a question, answer or tag wiki")
    updated = _optional(row, "LastActivityDate", _as_date)
    return Post(
        id=dump.ident("p", post_id),
        author=_ref(dump, "u", row, "OwnerUserId"),
        created=_as_date(_required(row, "CreationDate"), "CreationDate"),
        updated=updated or _optional(row, "LastEditDate", _as_date),
        body=row.get("Body", ""),
        body_format="html",
        group=dump.group,
        reactions=dump.upvotes.get(post_id, 0),
        score=_score(row),
        **POST_TYPES[type_id](dump, row, post_id),
    )


def _comment(dump: _Dump, row: Row) -> Comment:
    return Comment(
        id=dump.ident("c", _row_id(row)),
        post=dump.ident("p", _as_int(_required(row, "PostId"), "PostId")),
        author=_ref(dump, "u", row, "UserId"),
        created=_as_date(_required(row, "CreationDate"), "CreationDate"),
        body=row.get("Text", ""),
        body_format="text",
        group=dump.group,
        score=_score(row),
    )


__all__ = ["read_dump", "site_host"]
