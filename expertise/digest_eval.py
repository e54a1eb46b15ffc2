"""Expert digests replayed on a Stack Exchange dump: whom would the weekly digests reach?

The expertise protocol's split (:func:`expertise.evaluate.split_dump`): the history
before T is indexed, candidates are the people who answered before T.  The test period
is replayed week by week (ISO weeks of creation): every question created in a week goes
out in that week's digests, answered or not (a digest cannot know which questions will
get an accepted answer, nor from whom), all of the week's questions assigned together
under the limits, each ranked with what was known before T (the routing weighting,
never the asker).  ``reach`` is the share of the test questions (those whose accepted
answer's author is a candidate) whose accepted answerer received them: the replay
measures whom the digests reach, not how fast.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.settings import Settings
from expertise.digest import DEPTH, Digest, OpenQuestion, plan_digest
from expertise.evaluate import READER, Split, index_history, split_dump
from expertise.finder import ExpertFinder
from expertise.records import Expert, plain_query
from expertise.routing import ROUTING_WEIGHTING
from search import Searcher

UNCAPPED_TOP = 5  # the comparison: today's routing, top 5 of every question, no limits


def iso_weeks(questions: Sequence[OpenQuestion]) -> dict[tuple[int, int], list[OpenQuestion]]:
    """Questions by ISO (year, week) of creation, weeks in order, questions by date."""
    weeks: dict[tuple[int, int], list[OpenQuestion]] = defaultdict(list)
    for question in sorted(questions, key=lambda q: (q.created, q.id)):
        year, week, _ = question.created.isocalendar()
        weeks[year, week].append(question)
    return dict(sorted(weeks.items()))


def _monday(question: OpenQuestion) -> datetime:
    day = question.created - timedelta(days=question.created.weekday())
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def rank_period(finder: ExpertFinder, split: Split, mode: str) -> dict[str, list[Expert]]:
    """The likely answerers of every question of the test period, from the history only."""
    return {q.id: finder.experts(plain_query(q.text), READER, limit=DEPTH, mode=mode,
                                 now=split.split, candidates=split.candidates,
                                 weighting=ROUTING_WEIGHTING,
                                 exclude={q.asker} if q.asker else ())
            for q in split.period}


def replay(weeks: Mapping[tuple[int, int], list[OpenQuestion]],
           ranked: Mapping[str, Sequence[Expert]], per_person: int, fanout: int,
           method: str) -> list[Digest]:
    """One digest a week, its questions assigned together under the limits."""
    return [plan_digest(questions, ranked, per_person, fanout, _monday(questions[0]),
                        _monday(questions[0]) + timedelta(days=7), method)
            for questions in weeks.values()]


def reach(digests: Sequence[Digest], gold: Mapping[str, str]) -> tuple[int, int]:
    """(test questions whose gold answerer received them, test questions)."""
    asked = [q for d in digests for q in d.questions if q in gold]
    received = {(e.question, e.person) for d in digests for e in d.entries}
    return sum((q, gold[q]) in received for q in asked), len(asked)


def _load(digests: Sequence[Digest]) -> dict[str, float]:
    per_week = [n for d in digests for n in Counter(e.person for e in d.entries).values()]
    questions = sum(len(d.questions) for d in digests) or 1
    return {"recipients_per_question": round(sum(len(d.entries) for d in digests) / questions,
                                             3),
            "max_questions_per_person_week": max(per_week, default=0),
            "median_questions_per_person_week": statistics.median(per_week) if per_week else 0}


def evaluate_digests(settings: Settings, folder: Path, mode: str = "hybrid",
                     per_person: int | None = None, fanout: int | None = None,
                     method: str = "flow", progress: bool = False) -> dict[str, Any]:
    """Split, index the history, rank every question of the test period, replay the
    weekly digests under the limits and measure their reach (see the module docstring).
    A lexical run leaves the history unembedded (it reads no vectors)."""
    if not (folder / "Posts.xml").is_file():
        raise ConfigError(f"{folder} is not a Stack Exchange dump: Posts.xml is missing")
    per_person = per_person or settings.digest_per_person
    fanout = fanout or settings.digest_fanout
    if mode == "lexical":
        settings = replace(settings, embeddings=False)
    started = time.perf_counter()
    split = split_dump(folder)
    index_history(settings, split, progress)
    indexed = time.perf_counter()
    with Searcher.open(settings) as searcher:
        ranked = rank_period(ExpertFinder(searcher, weighting=ROUTING_WEIGHTING), split, mode)
    ranked_at = time.perf_counter()
    gold = {qid: person for qid, _, person in split.tests}
    weeks = iso_weeks(split.period)
    digests = replay(weeks, ranked, per_person, fanout, method)
    reached, queries = reach(digests, gold)
    uncapped, _ = reach(replay(weeks, ranked, len(split.period), UNCAPPED_TOP, "greedy"), gold)
    tests_only = {w: [q for q in qs if q.id in gold] for w, qs in weeks.items()}
    reached_tests_only, _ = reach(replay({w: qs for w, qs in tests_only.items() if qs},
                                         ranked, per_person, fanout, method), gold)
    return {"reach": round(reached / (queries or 1), 4), "reached": reached,
            "queries": queries, "digest_questions": len(split.period), **_load(digests),
            "weeks": len(weeks), "per_person": per_person, "fanout": fanout,
            "assigner": method, "mode": mode, "site": folder.name,
            "split": split.split.isoformat(),
            "uncapped_top5_reach": round(uncapped / (queries or 1), 4),
            "reach_test_questions_only": round(reached_tests_only / (queries or 1), 4),
            "index_seconds": round(indexed - started, 1),
            "rank_seconds": round(ranked_at - indexed, 1),
            "assign_seconds": round(time.perf_counter() - ranked_at, 1),
            "seconds": round(time.perf_counter() - started, 1)}
