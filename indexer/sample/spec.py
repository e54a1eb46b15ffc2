"""The shapes the sample's hand-written content is written in (before ids and dates)."""

from __future__ import annotations

from dataclasses import dataclass, field

# ``who`` in a Reply: a person id, or one of these roles resolved at build time.
EXPERT = "E"  # one of the topic's experts who speaks the thread's language
OTHER_EXPERT = "E2"  # another expert than those who already answered
COLLEAGUE = "O"  # someone from the topic's crowd (not an expert)
ASKER = "Q"  # whoever asked the question
FIRST_ANSWERER = "A0"  # author of the first answer

# The thread's group is the topic's group unless it names another one.
TOPIC_GROUP = "@topic"


@dataclass(frozen=True)
class Reply:
    """An answer or a comment: who writes it and its text (light markup)."""

    who: str
    text: str
    on: int | None = None  # comments only: index of the answer commented on
    lang: str | None = None  # defaults to the thread's language


@dataclass(frozen=True)
class Thread:
    """A question with its answers and comments."""

    lang: str  # "fr", "en" or "mixed"
    title: str
    body: str
    tags: tuple[str, ...]
    answers: tuple[Reply, ...] = ()
    comments: tuple[Reply, ...] = ()
    accept: int | str | None = "auto"  # answer index, "auto" (maybe the expert's) or None
    asker: str | None = None
    group: str | None = TOPIC_GROUP
    days: tuple[int, int] | None = None  # how long before the base date it was asked
    fmt: str | None = None


@dataclass(frozen=True)
class Topic:
    """A subject with the people who ask about it and those who know."""

    name: str
    group: str | None
    experts: dict[str, int]  # person id -> weight
    askers: tuple[str, ...]
    threads: tuple[Thread, ...]
    crowd: tuple[str, ...] = field(default=())  # non-experts who chime in; askers if empty


@dataclass(frozen=True)
class Entry:
    """A standalone post, article or event."""

    kind: str
    lang: str
    author: str
    group: str | None
    title: str
    body: str
    tags: tuple[str, ...] = ()
    days: int | None = None
    comments: tuple[Reply, ...] = ()
    fmt: str | None = None


def answer(who: str, *paragraphs: str, lang: str | None = None) -> Reply:
    """An answer whose paragraphs are joined by blank lines."""
    return Reply(who, "\n\n".join(paragraphs), lang=lang)


def comment(who: str, text: str, on: int | None = None, lang: str | None = None) -> Reply:
    """A comment on the question (``on=None``) or on one of its answers."""
    return Reply(who, text, on=on, lang=lang)


def ask(lang: str, title: str, tags: str, body: str, *answers: Reply, **options: object) -> Thread:
    """A question thread; ``tags`` is a space-separated string."""
    return Thread(lang, title, body, tuple(tags.split()), tuple(answers), **options)  # type: ignore[arg-type]


def entry(kind: str, lang: str, author: str, group: str | None, title: str, tags: str,
          *paragraphs: str, **options: object) -> Entry:
    """A standalone post, article or event whose paragraphs are joined by blank lines."""
    body = "\n\n".join(paragraphs)
    return Entry(kind, lang, author, group, title, body, tuple(tags.split()), **options)  # type: ignore[arg-type]
