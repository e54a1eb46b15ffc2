"""Build-time assertions: referential integrity, the people's special states, and the canaries."""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from core.records import Comment, Group, Person, Post
from indexer.sample.assemble import BASE_DATE
from indexer.sample.canaries import canary_groups
from indexer.sample.documents_text import DEFAULTS, DOCUMENTS
from indexer.sample.people import DEPARTURES

SHARED_GROUP = "g-kestrel"
TOTAL_RANGE = (300, 450)


class SampleError(AssertionError):
    """The generated sample breaks one of its promises."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise SampleError(message)


def check_people(people: list[Person], groups: list[Group]) -> None:
    """The special states the README promises, and guests confined to the shared group."""
    states = Counter(p.status for p in people)
    _require(states["departed"] == 1, "exactly one departed person")
    _require(sum(p.opted_out for p in people) == 1, "exactly one opted-out person")
    guests = {p.id for p in people if p.guest}
    _require(len(guests) == 2, "two guests")
    _require(sum("km_lead" in p.roles for p in people) >= 2, "at least two KM leads")
    _require(sum("admin" in p.roles for p in people) >= 1, "an admin")
    ids = {p.id for p in people}
    for group in groups:
        _require(group.members <= ids and group.guests <= ids, f"{group.id}: unknown member")
        _require(not group.members & guests, f"{group.id}: a guest listed as member")
        _require(group.guests <= guests, f"{group.id}: a non-guest listed as guest")
        _require(not group.guests or group.id == SHARED_GROUP,
                 f"{group.id}: guests outside {SHARED_GROUP}")
    kinds = {g.kind for g in groups}
    _require(len(kinds) == 7, f"every group kind, got {sorted(kinds)}")
    visibility = Counter(g.visibility for g in groups)
    _require(visibility["secret"] >= 1 and visibility["private"] >= 2, "secret and private groups")


def check_content(people: list[Person], groups: list[Group], posts: list[Post],
                  comments: list[Comment]) -> None:
    """Authors exist and may write where they wrote; answers, acceptances and comments line up."""
    by_person = {p.id: p for p in people}
    by_group = {g.id: g for g in groups}
    by_post = {p.id: p for p in posts}
    _require(len(by_post) == len(posts), "post ids are unique")
    _require(len({c.id for c in comments}) == len(comments), "comment ids are unique")
    _require(TOTAL_RANGE[0] <= len(posts) + len(comments) <= TOTAL_RANGE[1], "post+comment count")
    items: list[Post | Comment] = [*posts, *comments]
    for item in items:
        author = by_person.get(item.author or "")
        _require(author is not None, f"{item.id}: unknown author {item.author}")
        assert author is not None
        _require(item.group is None or item.group in by_group, f"{item.id}: unknown group")
        if item.group is None:
            _require(not author.guest, f"{item.id}: guest writing in the company feed")
        else:
            group = by_group[item.group]
            inside = author.id in group.members or author.id in group.guests
            _require(inside, f"{item.id}: {author.id} is not a member of {group.id}")
        _require(item.created < BASE_DATE, f"{item.id}: dated after the base date")
        if author.id in DEPARTURES:
            _require(item.created < DEPARTURES[author.id], f"{item.id}: written after departure")
    for post in posts:
        _check_post_links(post, by_post)
    for c in comments:
        target = by_post.get(c.post)
        _require(target is not None, f"{c.id}: unknown post {c.post}")
        assert target is not None
        _require(c.group == target.group, f"{c.id}: not in its post's group")
        _require(c.created > target.created, f"{c.id}: older than its post")


def _check_post_links(post: Post, by_post: dict[str, Post]) -> None:
    if post.kind == "answer":
        parent = by_post.get(post.parent or "")
        _require(parent is not None and parent.kind == "question",
                 f"{post.id}: parent not a question")
        assert parent is not None
        _require(parent.group == post.group, f"{post.id}: not in its question's group")
        _require(parent.created < post.created, f"{post.id}: older than its question")
    else:
        _require(post.parent is None, f"{post.id}: only answers have a parent")
    if post.accepted_answer:
        chosen = by_post.get(post.accepted_answer)
        _require(post.kind == "question", f"{post.id}: only questions accept answers")
        _require(chosen is not None and chosen.parent == post.id,
                 f"{post.id}: accepts a foreign answer")


def check_documents(groups: list[Group], people: list[Person]) -> None:
    """Documents live in known groups, by known authors; defaults-only ones match [defaults]."""
    group_ids, person_ids = {g.id for g in groups}, {p.id for p in people}
    for spec in DOCUMENTS:
        _require(spec.group in group_ids and spec.author in person_ids, f"{spec.path}: unknown ids")
        if spec.metadata == "defaults":
            same = (spec.group, spec.author, list(spec.tags)) == (
                DEFAULTS["group"], DEFAULTS["author"], DEFAULTS["tags"])
            _require(same, f"{spec.path}: relies on [defaults] but says otherwise")


@dataclass(frozen=True)
class Place:
    """Somewhere text lives: its group (None for the company feed) and whether it is content."""

    where: str
    group: str | None
    content: bool
    text: str


def places(people: list[Person], groups: list[Group], posts: list[Post], comments: list[Comment],
           files: dict[str, str]) -> Iterable[Place]:
    """Every piece of text in the corpus, with where it lives."""
    for p in people:
        yield Place(p.id, "@profile", False, " ".join(str(v) for v in p.__dict__.values()))
    for g in groups:
        yield Place(g.id, "@group", False, f"{g.id} {g.name} {g.description}")
    for post in posts:
        yield Place(post.id, post.group, True, " ".join([post.title, post.body, *post.tags]))
    for c in comments:
        yield Place(c.id, c.group, True, c.body)
    for spec in DOCUMENTS:
        text = " ".join([spec.path, spec.title, spec.body, *spec.tags, files.get(spec.path, "")])
        yield Place(spec.path, spec.group, True, text)
    manifest = tomllib.loads(files["manifest.toml"])
    yield Place("manifest defaults", "@manifest", False, str(manifest["defaults"]))
    for path, entry in manifest["files"].items():
        group = entry.get("group", manifest["defaults"]["group"])
        yield Place(f"manifest {path}", group, True, f"{path} {entry}")
    yield Place("feed.xml", "@internet", False, files["feed.xml"])


def check_canaries(found: Iterable[Place]) -> dict[str, int]:
    """Each canary occurs, and only in content of its own group; returns occurrences per word."""
    expected = canary_groups()
    counts = dict.fromkeys(expected, 0)
    for place in found:
        lowered = place.text.lower()
        for word, group in expected.items():
            if word in lowered:
                _require(place.content and place.group == group,
                         f"canary {word!r} leaks into {place.where} (group {place.group})")
                counts[word] += 1
    missing = [w for w, n in counts.items() if not n]
    _require(not missing, f"canaries never used: {missing}")
    return counts
