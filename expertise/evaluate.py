"""Question routing measured on a Stack Exchange dump, with a time split that cannot leak.

The protocol (issue 5, followed exactly):

- T is the creation date of the question at the 80th percentile of all questions
  sorted by date (another quantile with ``split_at``: more test questions, a shorter
  history; the issue's figures are at 0.8); the history is every question and answer
  created before T;
  candidates are the people who posted at least one answer before T;
- test questions are those created at or after T whose accepted answer's author is
  a candidate; the query is the test question's title and body (HTML stripped);
  the gold expert is that author;
- only the history is indexed, candidates are ranked, MRR, P@1 and P@5 printed.

Nothing from after T reaches the ranking: posts are cut at T, and the votes and
acceptances that history posts carry are recounted from ``Votes.xml`` keeping only
those cast before T's day (the dump's own scores and accepted flags include later
votes).  The two reference baselines of the issue are computed on the same split.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from defusedxml.ElementTree import iterparse

from core.errors import ConfigError, IndexMismatchError
from core.records import Group, Person, Post, Record, record_to_dict
from core.settings import Settings
from expertise.digest import OpenQuestion
from expertise.finder import ExpertFinder
from expertise.records import plain_query
from indexer import index_sources, rebuild
from indexer.importers import ImportOptions
from indexer.importers.stackexchange import read_dump
from indexer.text import html_to_text
from search import ParsedQuery, Searcher
from search.query import Filter

log = logging.getLogger(__name__)

TUNED_MODEL = "tuned-model"  # in the work folder, beside the indexes
READER = "expertise-eval-reader"
SPLIT_QUANTILE = 0.8
UPVOTE, DOWNVOTE, ACCEPT = 2, 3, 1


@dataclass(frozen=True)
class Split:
    """A dump cut at T: what may be indexed, who may be ranked, what is asked."""

    split: datetime
    group: Group
    people: list[Person]
    history: list[Post]
    candidates: frozenset[str]
    tests: list[tuple[str, str, str]]  # (question id, query text, gold person id)
    period: tuple[OpenQuestion, ...] = ()  # every question at or after T (digests)


def _votes_before(folder: Path, cutoff: datetime) -> tuple[Counter[int], Counter[int], set[int]]:
    """Upvotes, downvotes and accept votes per post id cast strictly before ``cutoff``'s day."""
    up: Counter[int] = Counter()
    down: Counter[int] = Counter()
    accepted: set[int] = set()
    path = folder / "Votes.xml"
    if not path.is_file():
        return up, down, accepted
    day = cutoff.date()
    for _, element in iterparse(str(path)):
        if element.tag == "row":
            try:
                kind = int(element.get("VoteTypeId", "0"))
                post = int(element.get("PostId", "0"))
                when = datetime.fromisoformat(element.get("CreationDate", "")).date()
            except ValueError:
                element.clear()
                continue
            if when < day:
                if kind == UPVOTE:
                    up[post] += 1
                elif kind == DOWNVOTE:
                    down[post] += 1
                elif kind == ACCEPT:
                    accepted.add(post)
        element.clear()
    return up, down, accepted


def _number(ident: str) -> int:
    return int(ident.rsplit("p", 1)[1])


def split_dump(folder: Path, split_at: float = SPLIT_QUANTILE) -> Split:
    """Read the dump and cut it at T, the question at quantile ``split_at`` (see the
    module docstring)."""
    if not 0 < split_at < 1:
        raise ConfigError(f"split quantile {split_at} is not between 0 and 1")
    group: Group | None = None
    people: list[Person] = []
    posts: list[Post] = []
    for record in read_dump(str(folder), ImportOptions()):
        if isinstance(record, Group):
            group = record
        elif isinstance(record, Person):
            people.append(record)
        elif isinstance(record, Post) and record.kind in ("question", "answer"):
            posts.append(record)
    questions = sorted((p for p in posts if p.kind == "question"), key=lambda p: p.created)
    if group is None or len(questions) < 10:
        raise ConfigError(f"{folder}: too few questions for a time split")
    cutoff = questions[int(split_at * len(questions))].created
    up, down, accepted_votes = _votes_before(folder, cutoff)
    by_id = {p.id: p for p in posts}
    history = []
    for post in posts:
        if post.created >= cutoff:
            continue
        number = _number(post.id)
        answer = post.accepted_answer
        keep = (answer in by_id and by_id[answer].created < cutoff
                and _number(answer) in accepted_votes) if answer else False
        history.append(replace(post, accepted_answer=answer if keep else None,
                               reactions=up[number], score=up[number] - down[number]))
    candidates = frozenset(p.author for p in history if p.kind == "answer" and p.author)
    tests, period = [], []
    for question in (q for q in questions if q.created >= cutoff):
        gold = by_id.get(question.accepted_answer or "")
        text = f"{question.title}\n{html_to_text(question.body)}"
        period.append(OpenQuestion(question.id, question.title, text, group.id,
                                   question.author, question.created))
        if gold and gold.author in candidates:
            tests.append((question.id, text, gold.author))
    return Split(cutoff, group, people, history, candidates, tests, tuple(period))


def _records(split: Split) -> Iterator[Record]:
    yield split.group
    yield Person(id=READER, name="Expertise evaluation reader")
    yield from split.people
    yield from sorted(split.history, key=lambda p: (p.kind != "question", p.created))


def index_history(settings: Settings, split: Split, progress: bool) -> None:
    """Index the history only (a no-op when the work folder already holds it)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    export = settings.data_dir / "history.jsonl"
    with open(export, "w", encoding="utf-8") as out:
        for record in _records(split):
            out.write(json.dumps(record_to_dict(record), ensure_ascii=False) + "\n")
    try:
        index_sources(settings, [str(export)], fmt="jsonl", prune=True, progress=progress)
    except IndexMismatchError as exc:  # the work folder is ours: rebuild, keep the cache
        log.warning("%s; rebuilding", exc)
        rebuild(settings, progress=progress)


def _metrics(ranks: list[int | None]) -> dict[str, float]:
    count = len(ranks) or 1
    return {"mrr": round(sum(1 / r for r in ranks if r) / count, 4),
            "p@1": round(sum(1 for r in ranks if r == 1) / count, 4),
            "p@5": round(sum(1 for r in ranks if r and r <= 5) / count, 4)}


def _rank_of(order: list[str], gold: str) -> int | None:
    return order.index(gold) + 1 if gold in order else None


def baselines(split: Split) -> dict[str, dict[str, float]]:
    """Ranking every candidate by number of answers before T (the issue's prior)."""
    answers = Counter(p.author for p in split.history if p.kind == "answer" and p.author)
    order = sorted(split.candidates, key=lambda c: (-answers[c], c))
    return {"answers_before_t": _metrics([_rank_of(order, gold) for *_, gold in split.tests])}


def tag_agreement(finder: ExpertFinder, split: Split, tags: int = 10,
                  top: int = 5) -> float:
    """Mean overlap@5 between quisait's experts for ``tag:X`` and the site's own top
    answerers of tag X before T, over the most frequent tags (Stack Overflow for Teams
    lists subject-matter experts per tag the same way)."""
    by_id = {p.id: p for p in split.history}
    counts: dict[str, Counter[str]] = {}
    for post in split.history:
        question = by_id.get(post.parent or "")
        if post.kind == "answer" and post.author and question is not None:
            for tag in question.tags:
                counts.setdefault(tag, Counter())[post.author] += 1
    frequent = sorted(counts, key=lambda t: -sum(counts[t].values()))[:tags]
    overlaps = []
    for tag in frequent:
        site = {a for a, _ in counts[tag].most_common(top)}
        query = ParsedQuery((), (Filter("tag", (tag,)),))
        ours = {e.person.id for e in finder.experts(query, READER, limit=top, mode="lexical",
                                                    now=split.split)}
        overlaps.append(len(site & ours) / top)
    return round(sum(overlaps) / len(overlaps), 3) if overlaps else 0.0


def _model2_bm25(searcher: Searcher, text: str, candidates: frozenset[str]) -> list[str]:
    """The issue's second baseline, on quisait's lexical retrieval: per author, the sum of
    the scores of their posts among the top 100 retrieved (no threads, roles or prior)."""
    scores: dict[str, float] = {}
    for hit in searcher.search(plain_query(text), READER, mode="lexical", limit=100):
        if hit.author in candidates:
            scores[hit.author] = scores.get(hit.author, 0.0) + hit.score
    return sorted(candidates, key=lambda c: (-scores.get(c, 0.0), c))


def tune_on_history(settings: Settings, options: Any,
                    progress: bool) -> tuple[Settings, dict[str, Any]]:
    """Tune the encoder on pairs of the indexed history (before T: nothing of the test
    period is in the work folder), re-embed the history with it, and return the settings
    that use it, with the tuning summary."""
    from search.pairs import data_folder_pairs, deduplicated
    from search.tuning import tune

    # a public dump's history: every group of the work folder
    pairs = data_folder_pairs(settings, include_private=True)
    out = settings.data_dir / TUNED_MODEL
    summary = tune(settings, list(deduplicated(pairs)), out, options, progress)
    tuned = replace(settings, embedding_model=str(out))
    rebuild(tuned, progress=progress)
    return tuned, summary.as_json()


def evaluate_experts(settings: Settings, folder: Path, mode: str = "hybrid",
                     weighting: str = "default", progress: bool = False,
                     details: bool = False, tune_options: Any = None,
                     split_at: float = SPLIT_QUANTILE) -> dict[str, Any]:
    """Split at quantile ``split_at``, index the history, rank the candidates for every
    test question, score.  With ``tune_options``, the encoder is first tuned on the
    history's own pairs."""
    if not (folder / "Posts.xml").is_file():
        raise ConfigError(f"{folder} is not a Stack Exchange dump: Posts.xml is missing")
    started = time.perf_counter()
    split = split_dump(folder, split_at)
    index_history(settings, split, progress)
    tuning = None
    if tune_options is not None:
        settings, tuning = tune_on_history(settings, tune_options, progress)
    indexed = time.perf_counter()
    ranks: list[int | None] = []
    model2: list[int | None] = []
    per_query: list[dict[str, Any]] = []
    with Searcher.open(settings) as searcher:
        finder = ExpertFinder(searcher, weighting=weighting)
        for qid, text, gold in split.tests:
            ranked = finder.experts(plain_query(text), READER, limit=len(split.candidates),
                                    mode=mode, now=split.split, candidates=split.candidates)
            ranks.append(_rank_of([e.person.id for e in ranked], gold))
            per_query.append({"question": qid, "gold": gold, "rank": ranks[-1]})
            model2.append(_rank_of(_model2_bm25(searcher, text, split.candidates), gold))
        agreement = tag_agreement(finder, split)
    result: dict[str, Any] = {
        **_metrics(ranks), "queries": len(split.tests), "candidates": len(split.candidates),
        "split": split.split.isoformat(), "split_at": split_at,
        "history_posts": len(split.history), "mode": mode,
        "weighting": weighting, "site": folder.name,
        "baselines": {**baselines(split), "model2_lexical": _metrics(model2)},
        "tag_expert_overlap@5": agreement,
        "index_seconds": round(indexed - started, 1),
        "rank_seconds": round(time.perf_counter() - indexed, 1),
        "seconds": round(time.perf_counter() - started, 1)}
    if tuning is not None:
        result["tuning"] = tuning
    if details:
        result["per_query"] = per_query
    return result


def default_work_dir(folder: Path, tuned: bool = False,
                     split_at: float = SPLIT_QUANTILE) -> Path:
    """``var/eval/experts-<site>``; a tuned run, or another split, has its own (its
    history or vectors differ): ``experts-<site>-at60-tuned``."""
    at = "" if split_at == SPLIT_QUANTILE else f"-at{round(split_at * 100)}"
    return Path("var") / "eval" / f"experts-{folder.resolve().name}{at}{'-tuned' if tuned else ''}"


def eval_settings(settings: Settings, folder: Path, work_dir: Path | None,
                  tuned: bool = False, split_at: float = SPLIT_QUANTILE) -> Settings:
    return replace(settings, data_dir=work_dir or default_work_dir(folder, tuned, split_at))
