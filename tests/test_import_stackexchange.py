"""The Stack Exchange dump importer: real dumps, broken files, attacks and streaming."""

from __future__ import annotations

import functools
import re
import tracemalloc
import types
from collections import Counter
from pathlib import Path

import pytest

from core.records import Comment, Group, Person, Post, Problem
from indexer.importers import ImportOptions, SourceError
from indexer.importers.stackexchange import read_dump, site_host

DUMPS = Path(__file__).parents[2] / "shared/data/stackexchange"

# What each real dump holds, as documented; the tests also count it from the files.
EXPECTED = {
    "quantumcomputing": {
        "question": 612,
        "answer": 1060,
        "article": 314,
        "person": 3461,
        "comment": 3413,
    },
    "french-meta": {"question": 274, "answer": 487, "article": 20, "person": 1703, "comment": 1305},
}
KIND_OF_TYPE = {"1": "question", "2": "answer", "4": "article", "5": "article"}


def run(folder: Path, group: str | None = None) -> list:
    return list(read_dump(str(folder), ImportOptions(group=group)))


def of_type(items: list, cls: type) -> list:
    return [item for item in items if isinstance(item, cls)]


def write_xml(folder: Path, name: str, rows: list[str], prolog: str = "") -> Path:
    """A dump file ``name`` in ``folder`` holding ``rows`` (raw ``<row .../>`` strings)."""
    folder.mkdir(parents=True, exist_ok=True)
    root = name.removesuffix(".xml").lower()
    body = "".join(f"  {row}\n" for row in rows)
    path = folder / name
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}<{root}>\n{body}</{root}>\n',
        encoding="utf-8",
    )
    return path


def question(post_id: int, **extra: str) -> str:
    attrs = {
        "Id": str(post_id),
        "PostTypeId": "1",
        "CreationDate": "2020-01-02T03:04:05.678",
        "Score": "3",
        "Title": f"Question {post_id}",
        "Body": "&lt;p&gt;Why?&lt;/p&gt;",
        "OwnerUserId": "7",
        "Tags": "&lt;qubit&gt;&lt;gate&gt;",
    }
    attrs.update(extra)
    return "<row " + " ".join(f'{k}="{v}"' for k, v in attrs.items() if v != "DROP") + " />"


def answer(post_id: int, parent: int) -> str:
    return (
        f'<row Id="{post_id}" PostTypeId="2" ParentId="{parent}" Score="1" '
        f'CreationDate="2020-01-03T00:00:00" Body="&lt;p&gt;Because.&lt;/p&gt;" OwnerUserId="8" />'
    )


def comment(comment_id: int, post: int) -> str:
    return (
        f'<row Id="{comment_id}" PostId="{post}" Score="0" Text="Nice" '
        f'CreationDate="2020-01-04T00:00:00" UserId="7" />'
    )


@pytest.fixture
def physics(tmp_path: Path) -> Path:
    """A small valid dump folder named like a site; tests overwrite the files they break."""
    folder = tmp_path / "physics"
    write_xml(folder, "Posts.xml", [question(1, AcceptedAnswerId="2"), answer(2, 1)])
    write_xml(folder, "Users.xml", ['<row Id="7" DisplayName="Ada" />'])
    write_xml(folder, "Comments.xml", [comment(1, 1), comment(2, 2)])
    return folder


# --- real dumps ------------------------------------------------------------------------------


def source_counts(folder: Path) -> dict[str, int]:
    """Rows per record kind, counted straight from the XML text."""

    def rows(name: str) -> int:
        return (folder / name).read_text(encoding="utf-8").count("<row ")

    posts = (folder / "Posts.xml").read_text(encoding="utf-8")
    types_ = Counter(re.findall(r'PostTypeId="(\d+)"', posts))
    assert set(types_) <= set(KIND_OF_TYPE), f"unexpected post types {types_}"
    counts = Counter({KIND_OF_TYPE[t]: n for t, n in types_.items() if t in "12"})
    counts["article"] = types_["4"] + types_["5"]
    assert sum(types_.values()) == rows("Posts.xml")
    return {**counts, "person": rows("Users.xml"), "comment": rows("Comments.xml")}


def imported_counts(items: list) -> dict[str, int]:
    counts = Counter(post.kind for post in of_type(items, Post))
    return {
        **counts,
        "person": len(of_type(items, Person)),
        "comment": len(of_type(items, Comment)),
    }


@functools.cache
def load(site: str) -> tuple[Path, list]:
    """A real dump's folder and everything imported from it (read once per session)."""
    folder = DUMPS / site
    if not (folder / "Posts.xml").is_file():
        pytest.skip(f"{folder} is absent")
    return folder, run(folder)


@pytest.fixture(params=sorted(EXPECTED))
def real_dump(request: pytest.FixtureRequest) -> tuple[str, Path, list]:
    return request.param, *load(request.param)


@pytest.fixture
def quantumcomputing() -> tuple[Path, list]:
    return load("quantumcomputing")


def test_real_dump_counts_match_source_with_no_problems(real_dump: tuple[str, Path, list]) -> None:
    site, folder, items = real_dump
    assert of_type(items, Problem) == []
    assert source_counts(folder) == EXPECTED[site]
    assert imported_counts(items) == EXPECTED[site]
    assert items[0] == Group(f"se-{site}", f"{site} (Stack Exchange)", kind="theme")
    assert len(of_type(items, Group)) == 1


def test_real_dump_references_resolve(real_dump: tuple[str, Path, list]) -> None:
    site, _, items = real_dump
    people = {p.id for p in of_type(items, Person)}
    posts = {p.id: p for p in of_type(items, Post)}
    ids = [item.id for item in items if not isinstance(item, Problem)]
    assert len(ids) == len(set(ids)), "ids must be unique"
    assert all(i.startswith(f"se-{site}") for i in ids)
    assert f"se-{site}-u-1" in people  # the Community user is a row like any other
    for post in posts.values():
        assert post.author is None or post.author in people
        assert post.group == f"se-{site}"
        if post.kind == "answer":
            assert posts[post.parent].kind == "question"
    for note in of_type(items, Comment):
        assert note.post in posts
        assert note.author is None or note.author in people


def test_quantumcomputing_accepted_answers(quantumcomputing: tuple[Path, list]) -> None:
    _, items = quantumcomputing
    posts = {p.id: p for p in of_type(items, Post)}
    accepted = [p for p in posts.values() if p.accepted_answer]
    assert len(accepted) == 389
    for question_ in accepted:
        chosen = posts[question_.accepted_answer]
        assert chosen.kind == "answer" and chosen.parent == question_.id


def test_quantumcomputing_fields(quantumcomputing: tuple[Path, list]) -> None:
    folder, items = quantumcomputing
    votes = (folder / "Votes.xml").read_text(encoding="utf-8")
    upvotes = len(re.findall(r'PostId="1" VoteTypeId="2"', votes))
    first = next(p for p in of_type(items, Post) if p.id == "se-quantumcomputing-p1")
    assert first.title == "Can a Turing machine simulate a quantum computer?"
    assert first.tags == ("simulation", "quantum-turing-machine")
    assert first.reactions == upvotes > 0
    assert first.created.isoformat() == "2018-03-12T17:00:45.567000+00:00"
    assert first.url == "https://quantumcomputing.stackexchange.com/q/1"
    titles = Counter(p.title.split(":")[0] for p in of_type(items, Post) if p.kind == "article")
    assert titles == {"Tag wiki": 157, "Tag wiki excerpt": 157}


# --- shape of the output ---------------------------------------------------------------------


def test_records_in_order_with_namespaced_ids(physics: Path) -> None:
    items = run(physics)
    assert [type(i).__name__ for i in items] == [
        "Group",
        "Person",
        "Post",
        "Post",
        "Comment",
        "Comment",
    ]
    group, ada, asked, answered, note, _ = items
    assert group.id == "se-physics" and ada.id == "se-physics-u7"
    assert asked.id == "se-physics-p1" and asked.accepted_answer == "se-physics-p2"
    assert asked.tags == ("qubit", "gate") and asked.body_format == "html"
    assert asked.created.tzinfo is not None and asked.created.hour == 3
    assert (
        answered.parent == "se-physics-p1"
        and answered.title == ""
        and answered.author == "se-physics-u8"
    )
    assert (
        note.post == "se-physics-p1"
        and note.author == "se-physics-u7"
        and note.group == "se-physics"
    )


def test_given_group_receives_posts_and_no_group_is_yielded(physics: Path) -> None:
    items = run(physics, group="quantum-lab")
    assert of_type(items, Group) == []
    assert {p.group for p in of_type(items, Post) + of_type(items, Comment)} == {"quantum-lab"}


def test_pipe_tags_side_files_and_unknown_wiki(physics: Path) -> None:
    write_xml(
        physics,
        "Posts.xml",
        [
            question(1, Tags="|q#|error-correction|"),
            question(2, OwnerUserId="DROP"),
            '<row Id="9" PostTypeId="5" CreationDate="2020-01-01T00:00:00" Body="" />',
            '<row Id="10" PostTypeId="4" CreationDate="2020-01-01T00:00:00" Body="Short" />',
        ],
    )
    write_xml(physics, "Tags.xml", ['<row Id="1" TagName="q#" Count="1" WikiPostId="9" />'])
    write_xml(
        physics,
        "Votes.xml",
        [
            '<row Id="1" PostId="1" VoteTypeId="2" />',
            '<row Id="2" PostId="1" VoteTypeId="2" />',
            '<row Id="3" PostId="1" VoteTypeId="3" />',
            '<row Id="4" PostId="x" VoteTypeId="2" />',
        ],
    )
    items = run(physics)
    posts = {p.id: p for p in of_type(items, Post)}
    assert posts["se-physics-p1"].tags == ("q#", "error-correction")
    assert posts["se-physics-p1"].reactions == 2
    assert posts["se-physics-p2"].author is None
    assert (
        posts["se-physics-p9"].title == "Tag wiki: q#" and posts["se-physics-p9"].kind == "article"
    )
    assert posts["se-physics-p9"].url == "https://physics.stackexchange.com/tags/q%23/info"
    assert posts["se-physics-p10"].title == "Tag wiki excerpt"
    [problem] = of_type(items, Problem)
    assert problem.source.endswith("Votes.xml") and problem.location == "row 4 (Id 4)"


def test_only_posts_file_is_enough(tmp_path: Path) -> None:
    write_xml(tmp_path / "lonely", "Posts.xml", [question(1)])
    items = run(tmp_path / "lonely")
    assert [type(i) for i in items] == [Group, Post]


def test_site_host() -> None:
    assert site_host("physics") == "physics.stackexchange.com"
    assert site_host("french-meta") == "french.meta.stackexchange.com"
    assert site_host("stackoverflow.com") == "stackoverflow.com"


# --- broken input ----------------------------------------------------------------------------


def test_missing_posts_file_or_folder_raises_source_error(tmp_path: Path) -> None:
    write_xml(tmp_path / "empty", "Users.xml", ['<row Id="1" DisplayName="A" />'])
    with pytest.raises(SourceError, match="Posts.xml"):
        read_dump(str(tmp_path / "empty"), ImportOptions())  # raised before iterating
    with pytest.raises(SourceError, match="no such folder"):
        read_dump(str(tmp_path / "nowhere"), ImportOptions())


def test_bad_rows_become_problems_and_the_rest_is_read(physics: Path) -> None:
    path = write_xml(
        physics,
        "Posts.xml",
        [
            question(1),
            question(2, CreationDate="yesterday"),
            question(3, Id="DROP"),
            question(4, Score="lots"),
            question(5, PostTypeId="6"),
            answer(6, 1),
            '<row Id="7" PostTypeId="2" CreationDate="2020-01-01T00:00:00" />',
        ],
    )
    items = run(physics)
    assert [p.id for p in of_type(items, Post)] == ["se-physics-p1", "se-physics-p6"]
    problems = {p.location: p.reason for p in of_type(items, Problem)}
    assert list(problems) == [
        "row 2 (Id 2)",
        "row 3",
        "row 4 (Id 4)",
        "row 5 (Id 5)",
        "row 7 (Id 7)",
    ]
    assert "CreationDate" in problems["row 2 (Id 2)"] and "missing Id" in problems["row 3"]
    assert "Score" in problems["row 4 (Id 4)"] and "PostTypeId 6" in problems["row 5 (Id 5)"]
    assert "ParentId" in problems["row 7 (Id 7)"]
    assert all(p.source == str(path) for p in of_type(items, Problem))
    assert len(of_type(items, Comment)) == 2


def test_truncated_file_keeps_earlier_rows_and_other_files(physics: Path) -> None:
    path = write_xml(physics, "Posts.xml", [question(1), answer(2, 1), question(3)])
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index('<row Id="3"') + 30], encoding="utf-8")
    items = run(physics)
    assert [p.id for p in of_type(items, Post)] == ["se-physics-p1", "se-physics-p2"]
    [problem] = of_type(items, Problem)
    assert problem.source == str(path)
    assert re.fullmatch(r"line 5, column \d+", problem.location)
    assert len(of_type(items, Comment)) == 2  # the next file is still read


def test_invalid_utf8_is_a_problem(physics: Path) -> None:
    path = write_xml(physics, "Comments.xml", [comment(1, 1), comment(2, 1)])
    path.write_bytes(
        path.read_bytes().replace(
            b'Text="Nice" CreationDate="2020-01-04T00:00:00" UserId="7" />\n</',
            b'Text="Ni\xff\xfe" />\n</',
        )
    )
    items = run(physics)
    assert [c.id for c in of_type(items, Comment)] == ["se-physics-c1"]
    [problem] = of_type(items, Problem)
    assert problem.location.startswith("line 4") and "malformed XML" in problem.reason


BILLION_LAUGHS = (
    '<!DOCTYPE posts [\n  <!ENTITY lol0 "lol">\n'
    + "".join(f'  <!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10))
    + "]>\n"
)


def test_billion_laughs_is_refused_without_blowing_memory(physics: Path) -> None:
    write_xml(physics, "Posts.xml", [question(1, Body="&lol9;")], prolog=BILLION_LAUGHS)
    tracemalloc.start()
    try:
        items = run(physics)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000
    assert of_type(items, Post) == []
    [problem] = of_type(items, Problem)
    assert "EntitiesForbidden" in problem.reason
    assert len(of_type(items, Person)) == 1 and len(of_type(items, Comment)) == 2


def test_external_entity_is_refused(physics: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    prolog = f'<!DOCTYPE posts [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
    write_xml(physics, "Posts.xml", [question(1, Body="&xxe;")], prolog=prolog)
    items = run(physics)
    assert len(of_type(items, Problem)) == 1
    assert not any("TOP-SECRET" in repr(item) for item in items)


# --- streaming -------------------------------------------------------------------------------


def test_posts_are_streamed(tmp_path: Path) -> None:
    body = "x" * 25_000
    rows = [question(i, Body=body) for i in range(1, 401)]
    path = write_xml(tmp_path / "big", "Posts.xml", rows)
    size = path.stat().st_size
    assert size > 10_000_000
    records = read_dump(str(tmp_path / "big"), ImportOptions())
    assert isinstance(records, types.GeneratorType)
    tracemalloc.start()
    try:
        kinds = Counter(type(item).__name__ for item in records)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kinds == {"Group": 1, "Post": 400}
    assert peak < size / 10, f"peak {peak} bytes for a {size}-byte file"


def test_a_score_past_what_an_index_holds_is_a_problem(physics: Path) -> None:
    write_xml(physics, "Posts.xml", [question(1, Score=str(2**63)), question(2)])
    items = run(physics)
    assert [p.id for p in of_type(items, Post)] == ["se-physics-p2"]
    [problem] = of_type(items, Problem)
    assert problem.location == "row 1 (Id 1)" and "Score" in problem.reason
