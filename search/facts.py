"""What ranking and result display need of each candidate, in two SQL queries for all.

Ranking a hundred candidates used to read each full item (body included) and ask
one or two questions per item about its thread; here one query reads the few
columns the signals need (``json_extract`` picks the reactions and the accepted
answer out of the record), and a second reads the parents of the answers and
comments among them (accepted marks and thread titles).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CHUNK = 500  # bound parameters per query


@dataclass(frozen=True)
class Facts:
    """A live item's facts for ranking and display."""

    rowid: int
    id: str
    kind: str
    group: str
    created: datetime
    reactions: int
    accepted: bool  # an accepted answer, or a question that has one
    thread_title: str  # the title of the post it answers or comments, if live


def _chunks(values: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def item_facts(db: sqlite3.Connection, rowids: Iterable[int]) -> dict[int, Facts]:
    """Facts of the live items among ``rowids`` (deleted or unknown ones are left out).

    A thread title and an accepted mark come from another item of the thread (the
    parent, the accepted answer): each counts only when that item is live and in the
    same group as the one shown, so neither says anything the viewer may not read."""
    rows = []
    for chunk in _chunks(list(dict.fromkeys(rowids))):
        marks = ",".join("?" * len(chunk))
        rows += db.execute(
            "SELECT rowid, id, kind, group_id, parent, created, "
            "json_extract(data, '$.reactions'), json_extract(data, '$.accepted_answer') "
            f"FROM items WHERE rowid IN ({marks}) AND deleted = 0", chunk).fetchall()
    parents: dict[str, tuple[str, str, str | None]] = {}
    for chunk in _chunks(sorted({row[4] for row in rows if row[4]})):
        marks = ",".join("?" * len(chunk))
        parents.update((ident, (group, title, accepted)) for ident, group, title, accepted
                       in db.execute(
            "SELECT id, group_id, title, json_extract(data, '$.accepted_answer') FROM items "
            f"WHERE id IN ({marks}) AND deleted = 0", chunk))
    answers: dict[str, tuple[str, str | None]] = {}
    for chunk in _chunks(sorted({row[7] for row in rows if row[2] == "question" and row[7]})):
        marks = ",".join("?" * len(chunk))
        answers.update((ident, (group, parent)) for ident, group, parent in db.execute(
            "SELECT id, group_id, parent FROM items WHERE kind = 'answer' AND deleted = 0 "
            f"AND id IN ({marks})", chunk))
    found: dict[int, Facts] = {}
    for rowid, ident, kind, group, parent, created, reactions, accepted_answer in rows:
        parent_group, title, parent_accepted = parents.get(parent or "", ("", "", None))
        if parent_group != group:  # a parent the viewer may not read says nothing
            title, parent_accepted = "", None
        if kind == "question":
            accepted = answers.get(accepted_answer or "") == (group, ident)
        else:
            accepted = kind == "answer" and bool(parent) and parent_accepted == ident
        found[rowid] = Facts(rowid, ident, kind, group, datetime.fromisoformat(created),
                             int(reactions or 0), accepted, title or "")
    return found
