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
    """Facts of the live items among ``rowids`` (deleted or unknown ones are left out)."""
    rows = []
    for chunk in _chunks(list(dict.fromkeys(rowids))):
        marks = ",".join("?" * len(chunk))
        rows += db.execute(
            "SELECT rowid, id, kind, group_id, parent, created, "
            "json_extract(data, '$.reactions'), json_extract(data, '$.accepted_answer') "
            f"FROM items WHERE rowid IN ({marks}) AND deleted = 0", chunk).fetchall()
    parents: dict[str, tuple[str, str | None]] = {}
    for chunk in _chunks(sorted({row[4] for row in rows if row[4]})):
        marks = ",".join("?" * len(chunk))
        parents.update((ident, (title, accepted)) for ident, title, accepted in db.execute(
            "SELECT id, title, json_extract(data, '$.accepted_answer') FROM items "
            f"WHERE id IN ({marks}) AND deleted = 0", chunk))
    found: dict[int, Facts] = {}
    for rowid, ident, kind, group, parent, created, reactions, accepted_answer in rows:
        title, parent_accepted = parents.get(parent, ("", None)) if parent else ("", None)
        accepted = (bool(accepted_answer) if kind == "question"
                    else kind == "answer" and bool(parent) and parent_accepted == ident)
        found[rowid] = Facts(rowid, ident, kind, group, datetime.fromisoformat(created),
                             int(reactions or 0), accepted, title or "")
    return found
