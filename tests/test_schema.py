"""The published JSON Schema of the JSONL export: in sync with the records, and validating them."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import indexer
from core.records import (
    RECORD_TYPES,
    Comment,
    Document,
    Group,
    Person,
    Post,
    record_from_dict,
    record_to_dict,
)
from indexer.schema import records_schema

SCHEMA_FILE = Path(indexer.__file__).parent / "records.schema.json"
WHEN = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)

SAMPLES = {
    "person": Person(
        id="alice", name="Alice", languages=("fr",), skills=("sql",), roles=("admin",)
    ),
    "group": Group(id="g", name="G", kind="site", visibility="secret", members=frozenset({"a"})),
    "post": Post(id="p", author=None, created=WHEN, kind="answer", parent="q", updated=WHEN),
    "comment": Comment(id="c", post="p", author="alice", created=WHEN, body_format="html"),
    "document": Document(id="d", title="T", text="x", source="s", created=WHEN, group="g"),
}


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = records_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def sample_dict(kind: str) -> dict[str, Any]:
    return record_to_dict(SAMPLES[kind])


def test_published_schema_is_in_sync() -> None:
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert published == records_schema(), (
        f"{SCHEMA_FILE} is out of date; regenerate it with "
        "`python -m indexer.schema > indexer/records.schema.json`"
    )


def test_published_schema_is_a_valid_draft_2020_12_schema() -> None:
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(published)
    assert published["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_covers_every_record_type() -> None:
    assert set(records_schema()["$defs"]) == set(RECORD_TYPES)
    assert set(SAMPLES) == set(RECORD_TYPES)


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_every_exported_record_validates(validator: Draft202012Validator, kind: str) -> None:
    data = sample_dict(kind)
    errors = list(validator.iter_errors(data))
    assert errors == [], [e.message for e in errors]
    assert record_from_dict(data) == SAMPLES[kind]


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_default_record_validates(validator: Draft202012Validator, kind: str) -> None:
    # only required fields set: the defaults (empty lists, nulls) must be valid too
    data = sample_dict(kind)
    required = set(records_schema()["$defs"][kind]["required"])
    minimal = {k: v for k, v in data.items() if k in required}
    assert validator.is_valid(minimal)
    assert validator.is_valid(record_to_dict(record_from_dict(minimal)))


_DELETE = object()


def broken(record_type: str, /, **changes: Any) -> dict[str, Any]:
    """An exported sample with some fields changed (or removed, with ``_DELETE``)."""
    data = copy.deepcopy(sample_dict(record_type))
    for key, value in changes.items():
        if value is _DELETE:
            del data[key]
        else:
            data[key] = value
    return data


@pytest.mark.parametrize(
    "data",
    [
        broken("group", visibility="public"),
        broken("group", kind="club"),
        broken("post", kind="poll"),
        broken("comment", body_format="rtf"),
        broken("person", status="retired"),
        broken("person", roles=["boss"]),
        broken("person", name=_DELETE),
        broken("post", created=_DELETE),
        broken("comment", post=_DELETE),
        broken("document", source=_DELETE),
        broken("person", colour="blue"),
        broken("post", colour="blue"),
        broken("post", reactions="3"),
        broken("post", reactions=1.5),
        broken("person", guest="yes"),
        broken("group", members="alice"),
        broken("document", title=None),
        broken("post", type="poll"),
        {"id": "x", "name": "no type"},
        [1, 2],
    ],
    ids=[
        "visibility",
        "group-kind",
        "post-kind",
        "body_format",
        "status",
        "role",
        "missing-name",
        "missing-created",
        "missing-post",
        "missing-source",
        "extra-person",
        "extra-post",
        "int-as-string",
        "float-as-int",
        "bool-as-string",
        "list-as-string",
        "null-title",
        "unknown-type",
        "no-type",
        "array",
    ],
)
def test_invalid_records_fail_validation(validator: Draft202012Validator, data: Any) -> None:
    assert not validator.is_valid(data)


def test_schema_bounds_counts_and_links_as_the_records_do(validator: Draft202012Validator) -> None:
    refused = [broken("post", reactions=2**63), broken("post", reactions=-1),
               broken("comment", score=-(2**63) - 1), broken("post", url="javascript:alert(1)"),
               broken("post", url="/posts/p"), broken("post", url="data:text/html,x")]
    for data in refused:
        assert not validator.is_valid(data), data
    for url in ("", "https://intranet.example/p", "mailto:kb@valtorre.example"):
        assert validator.is_valid(broken("post", url=url, reactions=10**9, score=-(10**9)))
