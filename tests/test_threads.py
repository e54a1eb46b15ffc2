"""Replies follow their thread: an item's group is always its thread root's.

The attacks of issue 14 (1): a question re-sent into a secret group, an answer pushed
before its question, an accepted answer from another (secret) thread; each checked as
an outsider through search (titles, thread titles, accepted marks, ``is:accepted``),
similar items and the catalog itself.
"""

from __future__ import annotations

from pathlib import Path

from indexer import Catalog, catalog_path, index_sources
from indexer.catalog import ORPHAN, THREADS_META
from search import Searcher
from tests.conftest import write_jsonl

PEOPLE = [{"type": "person", "id": "p-in", "name": "Insider"},
          {"type": "person", "id": "p-out", "name": "Outsider"}]
OPEN = {"type": "group", "id": "g-open", "name": "Open", "visibility": "open"}
SECRET = {"type": "group", "id": "g-secret", "name": "Secret", "visibility": "secret",
          "members": ["p-in"]}


def question(group: str, **extra: object) -> dict:
    return {"type": "post", "id": "q1", "author": "p-in", "created": "2026-01-05T09:00:00",
            "group": group, "kind": "question", "title": "Zorglub merger timeline",
            "body": "When does the zorglub merger close?", **extra}


ANSWER = {"type": "post", "id": "a1", "author": "p-in", "created": "2026-01-05T10:00:00",
          "group": "g-open", "kind": "answer", "parent": "q1",
          "body": "The quarnix paperwork closes in March."}
COMMENT = {"type": "comment", "id": "c1", "post": "a1", "author": "p-in",
           "created": "2026-01-05T11:00:00", "group": "g-open",
           "body": "Quarnix lawyers confirmed it."}


def index(settings, tmp_path: Path, name: str, records: list[dict]) -> None:
    report = index_sources(settings, [str(write_jsonl(tmp_path / name, records))])
    assert not report.problems, report.problems


def groups_of(settings, *ids: str) -> list[str]:
    catalog = Catalog(catalog_path(settings))
    try:
        return [catalog.item(ident).group for ident in ids]
    finally:
        catalog.close()


def seen(settings, viewer: str, query: str, mode: str = "lexical") -> list:
    with Searcher.open(settings) as searcher:
        return searcher.search(query, viewer, mode=mode)


def test_a_question_moved_to_a_secret_group_takes_its_replies(settings, tmp_path, encoder):
    index(settings, tmp_path, "one.jsonl", [*PEOPLE, OPEN, SECRET, question("g-open"),
                                            ANSWER, COMMENT])
    assert {h.id for h in seen(settings, "p-out", "quarnix")} == {"a1", "c1"}
    index(settings, tmp_path, "two.jsonl", [question("g-secret")])  # the connector moves it
    assert groups_of(settings, "q1", "a1", "c1") == ["g-secret"] * 3
    for mode in ("lexical", "hybrid", "semantic"):
        assert seen(settings, "p-out", "quarnix zorglub", mode) == []
    inside = seen(settings, "p-in", "quarnix")
    assert {h.id for h in inside} == {"a1", "c1"}
    assert next(h for h in inside if h.id == "a1").thread_title == "Zorglub merger timeline"


def test_an_answer_before_its_question_waits_in_no_group(settings, tmp_path, encoder):
    index(settings, tmp_path, "early.jsonl", [*PEOPLE, OPEN, SECRET, ANSWER, COMMENT])
    assert groups_of(settings, "a1", "c1") == [ORPHAN, ORPHAN]
    for viewer in ("p-out", "p-in"):
        assert seen(settings, viewer, "quarnix") == []
    index(settings, tmp_path, "late.jsonl", [question("g-secret")])
    assert groups_of(settings, "a1", "c1") == ["g-secret", "g-secret"]
    assert seen(settings, "p-out", "quarnix") == []
    found = seen(settings, "p-in", "quarnix")
    assert {h.id for h in found} == {"a1", "c1"}
    assert {h.group for h in found} == {"g-secret"}


def test_a_question_moved_back_to_open_brings_its_thread(settings, tmp_path, encoder):
    index(settings, tmp_path, "one.jsonl", [*PEOPLE, OPEN, SECRET, question("g-secret"),
                                            ANSWER, COMMENT])
    assert groups_of(settings, "a1", "c1") == ["g-secret", "g-secret"]
    index(settings, tmp_path, "two.jsonl", [question("g-open")])
    assert groups_of(settings, "a1", "c1") == ["g-open", "g-open"]
    assert {h.id for h in seen(settings, "p-out", "quarnix")} == {"a1", "c1"}


def test_an_accepted_answer_from_a_secret_thread_marks_nothing(settings, tmp_path, encoder):
    secret_question = {**question("g-secret"), "id": "q2", "title": "Secret question"}
    secret_answer = {**ANSWER, "id": "a2", "parent": "q2", "group": "g-secret"}
    open_question = {**question("g-open"), "accepted_answer": "a2"}
    index(settings, tmp_path, "one.jsonl", [*PEOPLE, OPEN, SECRET, secret_question,
                                            secret_answer, open_question])
    hits = seen(settings, "p-out", "zorglub")
    assert [h.id for h in hits] == ["q1"] and not hits[0].accepted
    assert seen(settings, "p-out", "zorglub is:accepted") == []
    assert [h.id for h in seen(settings, "p-out", "zorglub is:unanswered")] == ["q1"]


def test_an_accepted_answer_of_the_thread_still_counts(settings, tmp_path, encoder):
    index(settings, tmp_path, "one.jsonl", [*PEOPLE, OPEN, question("g-open",
                                                                    accepted_answer="a1"),
                                            ANSWER])
    hits = {h.id: h for h in seen(settings, "p-out", "zorglub OR quarnix")}
    assert hits["q1"].accepted and hits["a1"].accepted
    assert {h.id for h in seen(settings, "p-out", "zorglub OR quarnix is:accepted")} == \
        {"q1", "a1"}


def test_a_reply_declaring_another_group_is_not_an_update_when_resent(settings, tmp_path,
                                                                     encoder):
    records = [*PEOPLE, OPEN, SECRET, question("g-secret"), ANSWER]
    index(settings, tmp_path, "one.jsonl", records)
    report = index_sources(settings, [str(tmp_path / "one.jsonl")])
    assert report.unchanged == len(records) and report.updated == 0


def test_a_loop_of_parents_has_no_audience(settings, tmp_path, encoder):
    loop = [{**ANSWER, "id": "x1", "parent": "x2"}, {**ANSWER, "id": "x2", "parent": "x1"}]
    index(settings, tmp_path, "loop.jsonl", [*PEOPLE, OPEN, *loop])
    assert groups_of(settings, "x1", "x2") == [ORPHAN, ORPHAN]


def test_a_reserved_group_id_is_refused(settings, tmp_path, encoder):
    feed = {"type": "group", "id": "@feed", "name": "Feed", "visibility": "open",
            "guests": ["p-out"]}
    report = index_sources(settings, [str(write_jsonl(tmp_path / "g.jsonl", [*PEOPLE, feed]))])
    assert [p.location for p in report.problems] == ["group @feed"]


def test_an_old_catalog_is_settled_once(settings, tmp_path, encoder):
    index(settings, tmp_path, "one.jsonl", [*PEOPLE, OPEN, SECRET, question("g-secret"),
                                            ANSWER])
    catalog = Catalog(catalog_path(settings))
    try:  # what the catalog looked like before replies followed their thread
        catalog.db.execute("UPDATE items SET group_id = 'g-open' WHERE id = 'a1'")
        catalog.db.execute("DELETE FROM meta WHERE key = ?", (THREADS_META,))
    finally:
        catalog.close()
    index(settings, tmp_path, "none.jsonl", [])
    assert groups_of(settings, "a1") == ["g-secret"]
    assert seen(settings, "p-out", "quarnix") == []


def test_similar_items_show_no_title_of_a_moved_thread(settings, tmp_path, encoder):
    other = {"type": "post", "id": "p9", "author": "p-in", "created": "2026-01-06T09:00:00",
             "group": "g-open", "title": "Quarnix paperwork", "body": "quarnix paperwork march"}
    index(settings, tmp_path, "one.jsonl", [*PEOPLE, OPEN, SECRET, question("g-open"),
                                            ANSWER, other])
    index(settings, tmp_path, "two.jsonl", [question("g-secret")])
    with Searcher.open(settings) as searcher:
        similar = searcher.scope("p-out").similar("p9")
    assert all(h.id not in ("q1", "a1") and "Zorglub" not in h.thread_title for h in similar)
