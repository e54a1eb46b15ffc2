"""Training pairs for tuning the encoder: (query, positive passage), from the network itself.

Mined from the data folder (:func:`mine_pairs`): question -> accepted answer and answers
with a positive score, post or article title -> body, document title -> passage, and
search query -> opened result from the query log when several distinct people opened
it.  Added from outside: a BEIR folder's judged queries (:func:`beir_pairs`, optionally
one half of a split, so that tuning and evaluation never share a query) and a JSONL
file of ``{"query", "positive"}`` lines (:func:`jsonl_pairs`).

Privacy: by default pairs come only from what every employee may read (open groups and
the company feed).  A model can memorise what it is trained on, and every reader of
the index then shares the model, so private and secret content is used only when the
caller opts in (``include_private``).

Hard negatives (:func:`add_hard_negatives`) come from a lexical ranking of the query
over the same permitted content; a candidate that is a known positive of the query is
skipped (it would teach the model that a right answer is wrong).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.records import COMPANY_FEED, Problem
from indexer.analysis import detect_language
from indexer.catalog import Catalog, Item
from search.beir import SPLITS, jsonl_lines, query_split, read_qrels

log = logging.getLogger(__name__)

SOURCES = ("accepted_answer", "voted_answer", "title_body", "document_passage", "query_click",
           "beir", "file")
MIN_TITLE_WORDS = 3
MIN_BODY_WORDS = 20
MIN_ANSWER_WORDS = 2  # "Yes." teaches nothing
PASSAGE_WORDS = 180  # about the model's 256-token window
PASSAGES_PER_DOCUMENT = 3
MIN_DISTINCT_CLICKERS = 2
MAX_POSITIVE_CHARS = 2000


@dataclass(frozen=True)
class Pair:
    """A query and a passage that answers it (and, once mined, a hard negative)."""

    query: str
    positive: str
    source: str
    lang: str
    negative: str | None = None
    key: str = ""  # what identifies the positive (an item id), for false-negative checks
    thread: str = ""  # the thread (root item) it comes from: none of it is a negative


def _passage(title: str, text: str) -> str:
    """The positive as the index embeds an item's first passage: title, then text."""
    body = text.strip()[:MAX_POSITIVE_CHARS]
    return f"{title.strip()}\n{body}" if title.strip() else body


def _words(text: str) -> int:
    return len(text.split())


# -- mined from the data folder ------------------------------------------------------------


def training_groups(catalog: Catalog, include_private: bool) -> frozenset[str]:
    """ACL tokens pairs may come from: open groups and the company feed, or every group
    with ``include_private`` (never replies waiting for their thread)."""
    groups = catalog.groups().values()
    chosen = {g.id for g in groups if include_private or g.visibility == "open"}
    return frozenset(chosen | {COMPANY_FEED})


def mine_pairs(catalog: Catalog, groups: frozenset[str],
               query_log: Path | None = None) -> list[Pair]:
    """Every pair the data folder holds in ``groups`` (see the module docstring)."""
    items = catalog.items_in_groups(groups)
    by_id = {item.id: item for item in items}
    pairs: list[Pair] = []
    for item in items:
        pairs += _thread_pairs(item, by_id) + _title_pairs(item)
    if query_log is not None and query_log.is_file():
        pairs += _click_pairs(query_log, by_id)
    return pairs


def _question_text(question: Item) -> str:
    return question.title.strip() or " ".join(question.text.split()[:60])


def _thread_pairs(item: Item, by_id: dict[str, Item]) -> list[Pair]:
    """An answer of a question (same thread, hence same group): accepted, or voted up."""
    question = by_id.get(item.parent or "")
    if item.kind != "answer" or question is None or question.kind != "question":
        return []
    data = json.loads(question.data)
    if data.get("accepted_answer") == item.id:
        source = "accepted_answer"
    elif int(json.loads(item.data).get("score") or 0) > 0:
        source = "voted_answer"
    else:
        return []
    if _words(item.text) < MIN_ANSWER_WORDS:
        return []
    return [Pair(_question_text(question), _passage("", item.text), source, item.lang,
                 key=item.id, thread=question.id)]


def _title_pairs(item: Item) -> list[Pair]:
    """A post or article's title -> its body; a document's title -> its passages."""
    if _words(item.title) < MIN_TITLE_WORDS or _words(item.text) < MIN_BODY_WORDS:
        return []
    if item.kind in ("post", "article", "event"):
        return [Pair(item.title.strip(), _passage("", item.text), "title_body", item.lang,
                     key=item.id, thread=item.id)]
    if item.kind != "document":
        return []
    words = item.text.split()
    return [Pair(item.title.strip(), " ".join(words[start:start + PASSAGE_WORDS]),
                 "document_passage", item.lang, key=f"{item.id}#{start}", thread=item.id)
            for start in range(0, len(words), PASSAGE_WORDS)[:PASSAGES_PER_DOCUMENT]
            if len(words[start:start + PASSAGE_WORDS]) >= MIN_BODY_WORDS]


def _click_pairs(path: Path, by_id: dict[str, Item]) -> list[Pair]:
    """Search query -> opened result, when several distinct (hashed) people opened it."""
    import sqlite3

    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT MIN(s.query), c.item_id FROM clicks c JOIN searches s ON s.id = c.search_id "
            "WHERE s.viewer IS NOT NULL GROUP BY s.normalised, c.item_id "
            "HAVING COUNT(DISTINCT s.viewer) >= ?", (MIN_DISTINCT_CLICKERS,)).fetchall()
    finally:
        db.close()
    pairs = []
    for query, item_id in rows:
        item = by_id.get(item_id)  # only items of the training groups, live
        if item is not None and query.strip():
            pairs.append(Pair(query.strip(), _passage(item.title, item.text), "query_click",
                              item.lang, key=item.id, thread=item.parent or item.id))
    return pairs


# -- given from outside ------------------------------------------------------------------------


def beir_pairs(folder: Path, split: str | None = None) -> list[Pair]:
    """A BEIR folder's judged (query, relevant document) pairs, or those of one half."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r} (valid: {', '.join(SPLITS)})")
    for name in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
        if not (folder / name).is_file():
            raise ConfigError(f"{folder} is not a BEIR folder: {name} is missing")
    qrels = {q: {d.removeprefix("beir:"): s for d, s in docs.items()}
             for q, docs in read_qrels(folder).items()}
    wanted = {d for docs in qrels.values() for d in docs}
    corpus = {doc["_id"]: _passage(doc.get("title") or "", doc.get("text") or "")
              for doc in jsonl_lines(folder / "corpus.jsonl") if doc["_id"] in wanted}
    pairs = []
    for query in jsonl_lines(folder / "queries.jsonl"):
        relevant = qrels.get(query["_id"], {})
        if not relevant or (split and query_split(query["_id"], relevant) != split):
            continue
        lang = detect_language(query["text"])
        pairs += [Pair(query["text"], corpus[d], "beir", lang, key=f"beir:{d}",
                       thread=f"beir:{d}")
                  for d, score in relevant.items() if score > 0 and d in corpus]
    return pairs


def jsonl_pairs(path: Path, problems: list[Problem]) -> list[Pair]:
    """``{"query", "positive"}`` lines; a bad line is a problem naming it, the rest read."""
    pairs = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                query, positive = data["query"], data["positive"]
                if not (isinstance(query, str) and isinstance(positive, str)
                        and query.strip() and positive.strip()):
                    raise ValueError("query and positive must be non-empty strings")
            except (ValueError, KeyError, TypeError) as exc:
                problems.append(Problem(str(path), f"line {number}", f"not a pair: {exc}"))
                continue
            pairs.append(Pair(query.strip(), positive.strip()[:MAX_POSITIVE_CHARS], "file",
                              detect_language(query), key=f"line {number}"))
    return pairs


# -- hard negatives ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """A lexically ranked passage that may become a hard negative."""

    key: str
    thread: str
    passage: str


Ranker = Callable[[str, int], list[Candidate]]  # query, depth -> best first


def add_hard_negatives(pairs: list[Pair], rank: Ranker, depth: int = 10) -> list[Pair]:
    """Each pair with the best lexically ranked passage for its query that is not a known
    positive of that query: not the same item, not of the same thread (a question is not
    a wrong answer to itself), not the same text.  Pairs with none keep ``None``."""
    known: dict[str, set[str]] = defaultdict(set)
    for pair in pairs:
        known[pair.query] |= {pair.key, pair.key.partition("#")[0], pair.thread,
                              pair.positive} - {""}
    found: dict[str, str | None] = {}
    out = []
    for pair in pairs:
        if pair.query not in found:
            avoid = known[pair.query]
            found[pair.query] = next(
                (c.passage for c in rank(pair.query, depth) if c.passage.strip()
                 and not {c.key, c.thread, c.passage} & avoid), None)
        out.append(replace(pair, negative=found[pair.query]))
    return out


def deduplicated(pairs: Iterable[Pair]) -> Iterator[Pair]:
    """Pairs without repeats of the same (query, positive)."""
    seen: set[tuple[str, str]] = set()
    for pair in pairs:
        if (pair.query, pair.positive) not in seen:
            seen.add((pair.query, pair.positive))
            yield pair


def counts_by(pairs: Iterable[Pair], field: str) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for pair in pairs:
        value: Any = getattr(pair, field)
        counts[str(value)] += 1
    return dict(sorted(counts.items()))


def searcher_ranker(searcher: Any, groups: frozenset[str]) -> Ranker:
    """Candidates from a :class:`search.Searcher`'s lexical ranking within ``groups``."""
    def rank(query: str, depth: int) -> list[Candidate]:
        return [Candidate(item.id, item.parent or item.id, _passage(item.title, item.text))
                for item in searcher.rank_within(query, groups, depth)]
    return rank


def data_folder_pairs(settings: Any, include_private: bool, mined: bool = True,
                      extra: Iterable[Pair] = (), hard_negatives: bool = True) -> list[Pair]:
    """The pairs mined from a data folder (with ``mined``) and ``extra`` ones, each with a
    hard negative from the folder's lexical index over the training groups."""
    from dataclasses import replace as with_changes

    from indexer import catalog_path
    from search.engine import Searcher

    catalog = Catalog(catalog_path(settings))
    try:
        groups = training_groups(catalog, include_private)
        pairs = list(extra)
        if mined:
            pairs += mine_pairs(catalog, groups, settings.data_dir / "querylog.sqlite")
    finally:
        catalog.close()
    if not hard_negatives or not pairs:
        return pairs
    with Searcher.open(with_changes(settings, embeddings=False)) as searcher:
        return add_hard_negatives(pairs, searcher_ranker(searcher, groups))
