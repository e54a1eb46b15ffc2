"""Regenerate the sample corpus: ``python -m indexer.sample.build`` (from the repository root).

Everything is derived from the hand-written tables of this package with one seeded
random generator and a fixed base date, so the output is byte-identical across runs.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path

from core.records import Comment, Group, Person, Post, record_to_dict
from indexer.sample import (
    CANARIES_PATH,
    CORPUS_DIR,
    DOCUMENTS_DIR,
    FEED_PATH,
    NETWORK_PATH,
    topics_business,
    topics_field,
    topics_tech,
)
from indexer.sample.assemble import Assembler, Draft
from indexer.sample.canaries import CANARIES
from indexer.sample.checks import (
    check_canaries,
    check_content,
    check_documents,
    check_people,
    places,
)
from indexer.sample.documents import write_documents
from indexer.sample.feed import feed_xml
from indexer.sample.markup import render
from indexer.sample.people import EMPLOYEES, GROUPS, PEOPLE
from indexer.sample.posts import ENTRIES

TOPICS = (*topics_tech.TOPICS, *topics_business.TOPICS, *topics_field.TOPICS)
POST_URL = "https://rse.valtorre.example/posts/{id}"


def _choose_format(draft: Draft, rng_value: float) -> str:
    if draft.fmt:
        return draft.fmt
    source = draft.source
    if "```" in source:
        return "markdown" if rng_value < 0.65 else "html"
    if any(mark in source for mark in ("`", "\n- ", "](", "**")):
        return "markdown" if rng_value < 0.4 else "html" if rng_value < 0.75 else "text"
    return "text" if rng_value < 0.6 else "html" if rng_value < 0.8 else "markdown"


def build_network() -> tuple[list[Person], list[Group], list[Post], list[Comment], dict[str, str]]:
    """People, groups, posts and comments; plus the language of each post and comment id."""
    people = {p.id: p for p in PEOPLE}
    members: dict[str | None, list[str]] = {g.id: sorted(g.members) for g in GROUPS}
    members[None] = list(EMPLOYEES)
    assembler = Assembler(people, members)
    for topic in TOPICS:
        assembler.add_topic(topic)
    for index, item in enumerate(ENTRIES, 1):
        assembler.add_entry(item, f"entry#{index}")
    assembler.add_generic_comments()

    drafts = sorted(assembler.posts, key=lambda d: (d.created, d.key))
    ids = {d.key: f"post-{n:04d}" for n, d in enumerate(drafts, 1)}
    langs = {ids[d.key]: d.lang for d in drafts}
    posts = []
    for d in drafts:
        fmt = _choose_format(d, assembler.rng.random())
        posts.append(Post(
            ids[d.key], d.author, d.created, d.title, render(d.source, fmt), fmt, d.group, d.kind,
            d.tags, d.updated, ids.get(d.parent or ""), ids.get(d.accepted or ""), d.reactions,
            d.score, POST_URL.format(id=ids[d.key])))
    comments = []
    for n, c in enumerate(sorted(assembler.comments, key=lambda c: (c.created, c.key)), 1):
        comments.append(Comment(f"c-{n:04d}", ids[c.target], c.author, c.created, c.source, "text",
                                c.group, c.reactions, c.score))
        langs[f"c-{n:04d}"] = c.lang
    return list(PEOPLE), _complete_members(posts, comments, people), posts, comments, langs


def _complete_members(posts: list[Post], comments: list[Comment],
                      people: dict[str, Person]) -> list[Group]:
    """Open groups also count as members everyone who wrote there (one joins to post)."""
    writers: dict[str, set[str]] = {}
    items: list[Post | Comment] = [*posts, *comments]
    for item in items:
        if item.group and item.author and not people[item.author].guest:
            writers.setdefault(item.group, set()).add(item.author)
    return [replace(g, members=g.members | writers.get(g.id, set()))
            if g.visibility == "open" else g for g in GROUPS]


def write_network(path: Path, records: list[Person | Group | Post | Comment]) -> None:
    lines = [json.dumps(record_to_dict(r), ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def build(corpus: Path = CORPUS_DIR) -> dict[str, object]:
    """(Re)write the whole corpus under ``corpus`` after checking it; return a summary."""
    people, groups, posts, comments, langs = build_network()
    check_people(people, groups)
    check_content(people, groups, posts, comments)
    check_documents(groups, people)
    corpus.mkdir(parents=True, exist_ok=True)
    documents = corpus / DOCUMENTS_DIR.name
    shutil.rmtree(documents, ignore_errors=True)
    documents.mkdir()
    written = write_documents(documents)
    feed = feed_xml()
    files = {p.relative_to(documents).as_posix(): p.read_text(encoding="utf-8")
             for p in written if p.suffix in (".html", ".md", ".txt", ".toml")}
    files["feed.xml"] = feed
    canary_hits = check_canaries(places(people, groups, posts, comments, files))
    write_network(corpus / NETWORK_PATH.name, [*people, *groups, *posts, *comments])
    (corpus / FEED_PATH.name).write_text(feed, encoding="utf-8", newline="\n")
    (corpus / CANARIES_PATH.name).write_text(
        json.dumps(CANARIES, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")
    return summarize(groups, posts, comments, langs, canary_hits, written)


def summarize(groups: list[Group], posts: list[Post], comments: list[Comment],
              langs: dict[str, str], canary_hits: dict[str, int],
              written: list[Path]) -> dict[str, object]:
    """Counts worth eyeballing after a rebuild."""
    visibility = {g.id: g.visibility for g in groups}
    items: list[Post | Comment] = [*posts, *comments]
    where = Counter((p.group or "@feed") for p in items)
    return {
        "posts": len(posts), "comments": len(comments),
        "kinds": dict(Counter(p.kind for p in posts)),
        "formats": dict(Counter(p.body_format for p in posts)),
        "languages": dict(Counter(langs.values())),
        "groups": dict(sorted(where.items())),
        "visibility": dict(Counter(visibility.get(p.group or "", "feed") for p in items)),
        "questions": _question_stats(posts),
        "canary_occurrences": canary_hits,
        "documents": len(written) - 1,
    }


def _question_stats(posts: list[Post]) -> dict[str, int]:
    answered = {p.parent for p in posts if p.kind == "answer"}
    questions = [p for p in posts if p.kind == "question"]
    accepted = sum(bool(q.accepted_answer) for q in questions)
    unanswered = sum(q.id not in answered for q in questions)
    return {"total": len(questions), "accepted": accepted,
            "answered_not_accepted": len(questions) - accepted - unanswered,
            "unanswered": unanswered}


def main() -> None:
    summary = build()
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
