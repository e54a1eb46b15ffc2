"""Records to and from plain dicts: round trips, and errors that name the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidRecordError
from core.records import (
    BODY_FORMATS,
    GROUP_KINDS,
    POST_KINDS,
    RECORD_TYPES,
    ROLES,
    Comment,
    Document,
    Group,
    Person,
    Post,
    checked_record,
    parse_datetime,
    record_from_dict,
    record_to_dict,
)

WHEN = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)

SAMPLES = [
    Person(
        id="alice",
        name="Alice Martin",
        title="SRE",
        department="Ops",
        location="Nantes",
        company="ACME",
        languages=("fr", "en"),
        skills=("kubernetes", "postgres"),
        about="Déploiements, l’équipe infra.",
        guest=False,
        opted_out=True,
        roles=("km_lead",),
    ),
    Group(
        id="g-infra",
        name="Infra",
        kind="project",
        visibility="private",
        description="Les serveurs",
        members=frozenset({"alice", "bob"}),
        guests=frozenset({"gina"}),
    ),
    Post(
        id="p1",
        author="alice",
        created=WHEN,
        title="Migration",
        body="<p>Hello</p>",
        body_format="html",
        group="g-infra",
        kind="question",
        tags=("postgres",),
        updated=WHEN + timedelta(days=1),
        accepted_answer="p2",
        reactions=3,
        score=-2,
        url="https://intranet.example/p1",
    ),
    Comment(
        id="c1",
        post="p1",
        author=None,
        created=WHEN,
        body="**ok**",
        body_format="markdown",
        group="g-infra",
        reactions=1,
    ),
    Document(
        id="d1",
        title="Runbook",
        text="Étape 1",
        source="share/runbook.pdf",
        created=WHEN,
        group=None,
        author="bob",
        format="pdf",
        tags=("ops",),
    ),
]

# The smallest valid dict of each type, to break one field at a time.
MINIMAL: dict[str, dict[str, Any]] = {
    "person": {"type": "person", "id": "a", "name": "A"},
    "group": {"type": "group", "id": "g", "name": "G"},
    "post": {"type": "post", "id": "p", "author": "a", "created": "2026-03-01T10:00:00Z"},
    "comment": {
        "type": "comment",
        "id": "c",
        "post": "p",
        "author": "a",
        "created": "2026-03-01T10:00:00Z",
    },
    "document": {
        "type": "document",
        "id": "d",
        "title": "T",
        "text": "x",
        "source": "s",
        "created": "2026-03-01T10:00:00Z",
    },
}


def with_(record_type: str, /, **changes: Any) -> dict[str, Any]:
    return {**MINIMAL[record_type], **changes}


def error_of(data: Any) -> str:
    with pytest.raises(InvalidRecordError) as info:
        record_from_dict(data)
    return str(info.value)


def checked_error_of(data: Any) -> str:
    """The error of input that reads as a record but fails the ingestion checks."""
    with pytest.raises(InvalidRecordError) as info:
        checked_record(data)
    return str(info.value)


# -- round trips -----------------------------------------------------------------------------------


@pytest.mark.parametrize("record", SAMPLES, ids=lambda r: type(r).__name__)
def test_round_trip_of_each_type(record: Any) -> None:
    data = record_to_dict(record)
    assert data["type"] == {v: k for k, v in RECORD_TYPES.items()}[type(record)]
    assert record_from_dict(data) == record
    # and through real JSON, as in the export
    assert record_from_dict(json.loads(json.dumps(data))) == record


def test_every_record_type_has_a_sample() -> None:
    assert {type(r) for r in SAMPLES} == set(RECORD_TYPES.values())


def test_record_to_dict_is_plain_json() -> None:
    data = record_to_dict(SAMPLES[1])
    assert data["members"] == ["alice", "bob"]  # sorted list, not a frozenset
    assert isinstance(record_to_dict(SAMPLES[0])["skills"], list)
    assert record_to_dict(SAMPLES[2])["created"] == "2026-03-01T10:30:00+00:00"


@pytest.mark.parametrize("kind", list(MINIMAL))
def test_minimal_dicts_are_valid(kind: str) -> None:
    record = record_from_dict(MINIMAL[kind])
    assert isinstance(record, RECORD_TYPES[kind])


texts = st.text(max_size=40)
ids = st.text(min_size=1, max_size=20)
string_tuples = st.lists(texts, max_size=4).map(tuple)
moments = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
counts = st.integers(min_value=-(2**40), max_value=2**40)

RECORDS = st.one_of(
    st.builds(
        Person,
        id=ids,
        name=texts,
        title=texts,
        about=texts,
        languages=string_tuples,
        skills=string_tuples,
        status=st.sampled_from(["active", "departed"]),
        guest=st.booleans(),
        opted_out=st.booleans(),
        roles=st.lists(st.sampled_from(ROLES), max_size=2).map(tuple),
    ),
    st.builds(
        Group,
        id=ids,
        name=texts,
        kind=st.sampled_from(GROUP_KINDS),
        visibility=st.sampled_from(["open", "private", "secret"]),
        description=texts,
        members=st.frozensets(ids, max_size=4),
        guests=st.frozensets(ids, max_size=4),
    ),
    st.builds(
        Post,
        id=ids,
        author=st.none() | ids,
        created=moments,
        title=texts,
        body=texts,
        body_format=st.sampled_from(BODY_FORMATS),
        group=st.none() | ids,
        kind=st.sampled_from(POST_KINDS),
        tags=string_tuples,
        updated=st.none() | moments,
        parent=st.none() | ids,
        accepted_answer=st.none() | ids,
        reactions=counts,
        score=counts,
        url=texts,
    ),
    st.builds(
        Comment,
        id=ids,
        post=ids,
        author=st.none() | ids,
        created=moments,
        body=texts,
        body_format=st.sampled_from(BODY_FORMATS),
        group=st.none() | ids,
        reactions=counts,
        score=counts,
    ),
    st.builds(
        Document,
        id=ids,
        title=texts,
        text=texts,
        source=texts,
        created=moments,
        group=st.none() | ids,
        author=st.none() | ids,
        format=texts,
        tags=string_tuples,
        updated=st.none() | moments,
    ),
)


@settings(max_examples=200, deadline=None)
@given(record=RECORDS)
def test_round_trip_property(record: Any) -> None:
    data = record_to_dict(record)
    assert record_from_dict(json.loads(json.dumps(data))) == record


# -- errors name the field ----------------------------------------------------------------------


def test_unknown_type_lists_valid_types() -> None:
    message = error_of({"type": "poll", "id": "x"})
    assert "'poll'" in message
    for name in RECORD_TYPES:
        assert name in message


def test_missing_type() -> None:
    message = error_of({"id": "x", "name": "X"})
    assert "person" in message  # the valid types are listed


@pytest.mark.parametrize("value", [None, 5, [], "not-a-dict"])
def test_non_object(value: Any) -> None:
    with pytest.raises(InvalidRecordError):
        record_from_dict(value)


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("person", "name"),
        ("group", "name"),
        ("post", "created"),
        ("post", "author"),
        ("comment", "post"),
        ("document", "source"),
        ("document", "text"),
    ],
)
def test_missing_required_field(kind: str, field: str) -> None:
    data = dict(MINIMAL[kind])
    del data[field]
    message = error_of(data)
    assert f"'{field}'" in message
    assert "missing" in message


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("post", "reactions", "3"),
        ("post", "score", 1.5),
        ("comment", "reactions", [1]),
        ("person", "guest", "yes"),
        ("person", "opted_out", 1),
        ("person", "skills", "python"),
        ("person", "languages", ["fr", 2]),
        ("group", "members", {"alice": True}),
        ("post", "tags", "a,b"),
        ("post", "title", 5),
        ("person", "name", ["A"]),
        ("post", "group", 7),
        ("document", "title", None),
        ("person", "id", 5),
    ],
)
def test_wrong_type_names_the_field(kind: str, field: str, value: Any) -> None:
    assert f"'{field}'" in error_of(with_(kind, **{field: value}))


@pytest.mark.parametrize("field", ["reactions", "score"])
@pytest.mark.parametrize("value", [True, False])
def test_bool_where_int_expected_is_refused(field: str, value: bool) -> None:
    assert f"'{field}'" in error_of(with_("post", **{field: value}))


@pytest.mark.parametrize("kind", ["person", "group", "post", "comment", "document"])
def test_empty_id_is_refused(kind: str) -> None:
    assert "'id'" in error_of(with_(kind, id=""))


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "", 1700000000, ["2026-03-01"]])
def test_bad_date_names_the_field(value: Any) -> None:
    assert "'created'" in error_of(with_("post", created=value))
    assert "'updated'" in error_of(with_("document", updated=value))


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("group", "visibility", "public"),
        ("group", "kind", "club"),
        ("post", "kind", "poll"),
        ("post", "body_format", "rtf"),
        ("comment", "body_format", "rtf"),
        ("person", "status", "retired"),
    ],
)
def test_unknown_enum_value_names_the_field_and_choices(kind: str, field: str, value: str) -> None:
    message = error_of(with_(kind, **{field: value}))
    assert f"'{field}'" in message
    assert repr(value) in message
    valid = {
        "visibility": ("open", "private", "secret"),
        "kind": GROUP_KINDS if kind == "group" else POST_KINDS,
        "body_format": BODY_FORMATS,
        "status": ("active", "departed"),
    }[field]
    for choice in valid:
        assert choice in message


def test_unknown_role_lists_valid_roles() -> None:
    message = error_of(with_("person", roles=["km_lead", "boss"]))
    assert "'boss'" in message
    for role in ROLES:
        assert role in message


@pytest.mark.parametrize("kind", list(MINIMAL))
def test_unknown_extra_field_is_named(kind: str) -> None:
    message = error_of(with_(kind, colour="blue"))
    assert "colour" in message


def test_document_format_is_free_text() -> None:
    # unlike body_format, a document's format is whatever the importer saw
    record = record_from_dict(with_("document", format="docx"))
    assert isinstance(record, Document)
    assert record.format == "docx"


# -- dates -----------------------------------------------------------------------------------------


def test_naive_datetimes_are_utc() -> None:
    post = record_from_dict(with_("post", created="2026-03-01T10:00:00"))
    assert isinstance(post, Post)
    assert post.created == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert post.created.utcoffset() == timedelta(0)


def test_offset_datetimes_are_converted_to_utc() -> None:
    post = record_from_dict(with_("post", created="2026-03-01T10:00:00+01:00"))
    assert isinstance(post, Post)
    assert post.created.tzinfo == UTC
    assert post.created.hour == 9


def test_z_suffix_means_utc() -> None:
    assert parse_datetime("2026-03-01T10:00:00Z") == datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_parse_datetime_accepts_datetimes() -> None:
    naive = datetime(2026, 3, 1, 10)
    assert parse_datetime(naive).tzinfo == UTC
    paris = datetime(2026, 3, 1, 10, tzinfo=timezone(timedelta(hours=1)))
    assert parse_datetime(paris) == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert parse_datetime(paris).tzinfo == UTC


# -- values that would not index or display (issue 14) -------------------------------------------


@pytest.mark.parametrize("field", ["created", "updated"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_dates_out_of_range_in_utc_name_the_field_and_value(field: str, value: str) -> None:
    message = error_of(with_("post", **{field: value}))
    assert f"'{field}'" in message and value in message and "out of range" in message


def test_dates_at_the_edges_of_utc_are_accepted() -> None:
    early = record_from_dict(with_("post", created="0001-01-01T00:00:00+00:00"))
    late = record_from_dict(with_("post", created="9999-12-31T23:59:59"))
    assert early.created.year == 1 and late.created.year == 9999  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["post", "comment"])
@pytest.mark.parametrize(
    ("field", "value"),
    [("reactions", 2**63), ("reactions", -1), ("reactions", 10**9 + 1),
     ("score", 2**63), ("score", -(2**63) - 1), ("score", -(10**9) - 1)],
)
def test_counts_out_of_range_name_the_field_and_value(kind: str, field: str, value: int) -> None:
    message = checked_error_of(with_(kind, **{field: value}))
    assert f"'{field}'" in message and str(value) in message


def test_counts_at_the_bounds_are_accepted() -> None:
    post = checked_record(with_("post", reactions=10**9, score=-(10**9)))
    assert isinstance(post, Post) and (post.reactions, post.score) == (10**9, -(10**9))


def test_a_huge_count_is_named_but_not_repeated_in_full() -> None:
    message = checked_error_of(with_("post", reactions=10**4000))
    assert "'reactions'" in message and len(message) < 300


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:x",
     "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "/posts/p1",
     "posts/p1", "//evil.example/x", "intranet.example/p1", "https:///nohost", "mailto:",
     "https://intranet.example/a b", "file:///etc/passwd"],
)
def test_unsafe_or_relative_urls_are_refused(url: str) -> None:
    message = checked_error_of(with_("post", url=url))
    assert "'url'" in message and repr(url) in message


@pytest.mark.parametrize("url", ["", "https://intranet.example/p1?a=1#x",
                                 "HTTP://intranet.example", "mailto:kb@valtorre.example"])
def test_http_and_mailto_urls_are_accepted(url: str) -> None:
    post = checked_record(with_("post", url=url))
    assert isinstance(post, Post) and post.url == url


def test_a_record_stored_before_the_checks_still_reads_back() -> None:
    # the catalog reads its records with record_from_dict: an old one must still display
    stored = with_("post", url="javascript:alert(1)", reactions=2**63)
    assert isinstance(record_from_dict(stored), Post)
    with pytest.raises(InvalidRecordError):
        checked_record(stored)
