"""The JSONL importer: one record per line; a bad line is a Problem with its line number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.records import Comment, Document, Group, Person, Post, Problem
from indexer.importers import ImportOptions, SourceError
from indexer.importers.jsonl import read_jsonl

PERSON = {"type": "person", "id": "alice", "name": "Alice"}
GROUP = {"type": "group", "id": "g1", "name": "Infra", "members": ["alice"]}
POST = {"type": "post", "id": "p1", "author": "alice", "created": "2026-03-01T10:00:00Z"}
COMMENT = {
    "type": "comment",
    "id": "c1",
    "post": "p1",
    "author": "alice",
    "created": "2026-03-01T11:00:00Z",
}
DOCUMENT = {
    "type": "document",
    "id": "d1",
    "title": "Runbook",
    "text": "Étape 1",
    "source": "share/runbook.pdf",
    "created": "2026-03-01T12:00:00Z",
}


def write_lines(tmp_path: Path, lines: list[Any]) -> str:
    """A JSONL file; dicts are dumped, str and bytes are written as they are."""
    path = tmp_path / "export.jsonl"
    chunks = []
    for line in lines:
        if isinstance(line, dict):
            line = json.dumps(line, ensure_ascii=False)
        chunks.append(line.encode("utf-8") if isinstance(line, str) else line)
    path.write_bytes(b"\n".join(chunks) + b"\n")
    return str(path)


def read(source: str, group: str | None = None) -> list[Any]:
    return list(read_jsonl(source, ImportOptions(group=group)))


def problems(items: list[Any]) -> list[Problem]:
    return [item for item in items if isinstance(item, Problem)]


def records(items: list[Any]) -> list[Any]:
    return [item for item in items if not isinstance(item, Problem)]


def test_valid_lines_become_records(tmp_path: Path) -> None:
    source = write_lines(tmp_path, [PERSON, GROUP, POST, COMMENT, DOCUMENT])
    items = read(source)
    assert [type(item) for item in items] == [Person, Group, Post, Comment, Document]
    assert items[0] == Person(id="alice", name="Alice")
    assert items[1].members == frozenset({"alice"})
    assert items[4].text == "Étape 1"


def test_blank_lines_are_ignored(tmp_path: Path) -> None:
    source = write_lines(tmp_path, ["", PERSON, "   ", "\t", "", POST, ""])
    items = read(source)
    assert [type(item) for item in items] == [Person, Post]


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_bytes((json.dumps(PERSON) + "\r\n" + json.dumps(POST) + "\r\n").encode("utf-8"))
    assert [type(item) for item in read(str(path))] == [Person, Post]


def test_last_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(PERSON) + "\n" + json.dumps(POST), encoding="utf-8")
    assert [type(item) for item in read(str(path))] == [Person, Post]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b'{"type": "person", "id": "x"', "invalid JSON"),
        (b"not json at all", "invalid JSON"),
        (b'{"type": "person", "id": "x", "name": "\xff\xfe"}', "UTF-8"),
        (b'{"type": "poll", "id": "x"}', "unknown record type"),
        (b'{"type": "person", "id": "x"}', "'name'"),
        (b'{"type": "post", "id": "x", "author": "a", "created": "soon"}', "'created'"),
        (b'{"type": "person", "id": "x", "name": "X", "colour": "blue"}', "colour"),
        (b'{"type": "group", "id": "x", "name": "X", "visibility": "public"}', "'visibility'"),
        (b"[1, 2, 3]", "JSON object"),
        (b'"just a string"', "JSON object"),
        (b"null", "JSON object"),
        (b"42", "JSON object"),
        (b"[" * 100_000, "nested"),
        (b'{"type": "person", "id": "x", "name": ' + b"[" * 100_000, "nested"),
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_line_is_a_problem_and_the_others_still_import(
    tmp_path: Path, bad: bytes, reason: str
) -> None:
    source = write_lines(tmp_path, [PERSON, bad, POST])
    items = read(source)
    assert [type(item) for item in items] == [Person, Problem, Post]
    problem = items[1]
    assert problem.source == source
    assert problem.location == "line 2"
    assert reason in problem.reason
    assert str(problem).startswith(f"{source}:line 2: ")


def test_problem_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    source = write_lines(tmp_path, [PERSON, "", "", "{oops", "", POST, "[]"])
    found = problems(read(source))
    assert [p.location for p in found] == ["line 4", "line 7"]


def test_duplicate_id_names_the_first_line(tmp_path: Path) -> None:
    renamed = {**PERSON, "name": "Alice again"}
    source = write_lines(tmp_path, [PERSON, POST, renamed, COMMENT])
    items = read(source)
    assert [type(item) for item in items] == [Person, Post, Problem, Comment]
    problem = items[2]
    assert problem.location == "line 3"
    assert "'alice'" in problem.reason
    assert "line 1" in problem.reason
    assert items[0].name == "Alice"  # the first one wins


def test_same_id_in_different_record_types_is_no_duplicate(tmp_path: Path) -> None:
    source = write_lines(tmp_path, [PERSON, {**POST, "id": "alice"}])
    items = read(source)
    assert [type(item) for item in items] == [Person, Post]


def test_a_bad_line_does_not_claim_its_id(tmp_path: Path) -> None:
    broken = {**PERSON, "status": "retired"}
    source = write_lines(tmp_path, [broken, PERSON])
    items = read(source)
    assert [type(item) for item in items] == [Problem, Person]


def test_group_option_fills_posts_and_documents_without_a_group(tmp_path: Path) -> None:
    source = write_lines(
        tmp_path,
        [
            POST,  # no group key
            {**POST, "id": "p2", "group": None},  # explicit null
            {**POST, "id": "p3", "group": "elsewhere"},
            DOCUMENT,
            {**DOCUMENT, "id": "d2", "group": "elsewhere"},
            COMMENT,
            {**COMMENT, "id": "c2", "group": None},
        ],
    )
    by_id = {item.id: item for item in read(source, group="imported")}
    assert by_id["p1"].group == "imported"
    assert by_id["p2"].group == "imported"
    assert by_id["p3"].group == "elsewhere"
    assert by_id["d1"].group == "imported"
    assert by_id["d2"].group == "elsewhere"
    assert by_id["c1"].group is None  # comments live in their post's group
    assert by_id["c2"].group is None


def test_without_group_option_posts_stay_in_the_feed(tmp_path: Path) -> None:
    source = write_lines(tmp_path, [POST, DOCUMENT])
    assert [item.group for item in read(source)] == [None, None]


def test_group_option_does_not_hide_a_non_object_line(tmp_path: Path) -> None:
    source = write_lines(tmp_path, ["[1]", POST])
    items = read(source, group="imported")
    assert [type(item) for item in items] == [Problem, Post]


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(SourceError) as info:
        read(str(missing))
    assert str(missing) in str(info.value)


def test_folder_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        read(str(tmp_path))


def test_empty_file_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert read(str(path)) == []


def test_records_and_problems_together(tmp_path: Path) -> None:
    source = write_lines(tmp_path, [PERSON, "{", GROUP, b"\xc3\x28", POST, PERSON])
    items = read(source)
    assert len(records(items)) == 3
    assert [p.location for p in problems(items)] == ["line 2", "line 4", "line 6"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [({"created": "0001-01-01T00:00:00+01:00"}, "'created'"),
     ({"updated": "9999-12-31T23:59:59-01:00"}, "'updated'"),
     ({"reactions": 2**63}, "'reactions'"),
     ({"score": -(2**63) - 1}, "'score'"),
     ({"url": "javascript:alert(1)"}, "'url'")],
    ids=["created", "updated", "reactions", "score", "url"],
)
def test_out_of_range_or_unsafe_values_skip_the_record_only(
    tmp_path: Path, changes: dict[str, Any], reason: str
) -> None:
    bad = {**POST, "id": "p-bad", **changes}
    items = read(write_lines(tmp_path, [PERSON, bad, POST]))
    assert [type(item) for item in items] == [Person, Problem, Post]
    assert items[1].location == "line 2" and reason in items[1].reason


def test_a_number_with_too_many_digits_is_a_problem(tmp_path: Path) -> None:
    digits = "9" * 5000
    line = json.dumps({**POST, "id": "p-big"}).replace('"created"', f'"score": {digits}, "created"')
    items = read(write_lines(tmp_path, [line, POST]))
    assert [type(item) for item in items] == [Problem, Post]
    assert "too many digits" in items[0].reason
