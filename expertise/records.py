"""The records the expert finder returns, and the words it reads a question with.

Apart from :mod:`expertise.finder` so that the modules it builds on (person pages,
routing, topics, digests) can use them without importing the finder back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.records import Person
from expertise.scoring import ROLE_WEIGHTS
from expertise.words import QUESTION_WORDS
from search import ParsedQuery
from search.query import words_query

MAX_QUERY_WORDS = 64  # a pasted question is cut to its first words (title first)


@dataclass(frozen=True)
class Evidence:
    """One item that supports a person's expertise, readable by the viewer."""

    item_id: str
    title: str
    snippet: str
    url: str
    role: str
    created: datetime
    group: str
    credit: float


@dataclass(frozen=True)
class Expert:
    """A ranked person: score, its named components, evidence and counts."""

    person: Person
    score: float
    components: dict[str, float]
    evidence: tuple[Evidence, ...]
    answers: int
    accepted: int
    posts: int
    last_activity: datetime | None
    why: str
    state: str = "active"  # "departed" or "opted_out" in a KM lead's view (never ranked)
    explanation: dict[str, Any] = field(default_factory=dict, compare=False)


def plain_query(text: str) -> ParsedQuery:
    """Free text (a pasted question) as optional words, question words left out."""
    return words_query(text, QUESTION_WORDS, MAX_QUERY_WORDS)


ROLE_PHRASES = {"accepted_answer": ("accepted answer", "accepted answers"),
                "answer": ("answer", "answers"), "author": ("post", "posts"),
                "question": ("question", "questions"), "comment": ("comment", "comments")}


def why(subject: str, credits: list[tuple[float, Evidence]], person: Person) -> str:
    """One line: the strongest kinds of evidence, how many, and when last."""
    if not credits:
        skills = ", ".join(person.skills[:3])
        return f"declares {skills}" if skills else "profile matches the subject"
    counts: dict[str, int] = defaultdict(int)
    for _, evidence in credits:
        counts[evidence.role] += 1
    parts = [f"{n} {ROLE_PHRASES[role][n > 1]}" for role, n in
             sorted(counts.items(), key=lambda pair: -ROLE_WEIGHTS[pair[0]])][:2]
    latest = max(e.created for _, e in credits)
    short = subject if len(subject) <= 40 else subject[:39].rstrip() + "…"
    return f"{' and '.join(parts)} on “{short}”, last in {latest:%B %Y}"

