"""Topics curated by KM leads, their pages, and the topics quisait proposes.

A topic is data (``topics.sqlite`` beside the catalog): names in French and
English, a description, synonyms, tags and seed queries.  Its page is computed
for one viewer from what they may read: top experts, best content (pinned
first), unanswered questions and coverage (how many questions are answered, how
fast, by how many people; a topic resting on one person is flagged).  Candidate
topics are frequent tags and key phrases that no topic covers yet.
"""

from __future__ import annotations

import json
import re
import sqlite3
import statistics
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import InvalidRecordError, NotFoundError
from core.store import Migration, migrate, open_store
from expertise.records import Expert
from indexer import topic_key
from search import Hit, ParsedQuery, Scope
from search.query import AnyOf, Filter, Node, Phrase, Term

if TYPE_CHECKING:
    from expertise.finder import ExpertFinder

COVERAGE_DEPTH = 500   # questions examined for a topic's coverage
CANDIDATE_MIN_ITEMS = 3
_SCHEMA = """
CREATE TABLE IF NOT EXISTS topics (
    id TEXT PRIMARY KEY, data TEXT NOT NULL, updated TEXT NOT NULL, updated_by TEXT);
"""


def _create(db: sqlite3.Connection) -> None:
    # version 1: the table as it was before versions (IF NOT EXISTS: a file of then has it)
    db.execute(_SCHEMA)


# the schema version is ``PRAGMA user_version`` (:func:`core.store.migrate`)
MIGRATIONS: list[Migration] = [_create]


@dataclass(frozen=True)
class Topic:
    """A subject KM leads follow."""

    id: str
    name_fr: str
    name_en: str
    description: str = ""
    synonyms: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    queries: tuple[str, ...] = ()

    def expressions(self) -> list[str]:
        return list(dict.fromkeys(e for e in (self.name_fr, self.name_en, *self.synonyms,
                                              *self.queries, *self.tags) if e.strip()))

    def query(self) -> ParsedQuery:
        """Any of the topic's names, synonyms, seed queries and tags."""
        options: list[Node] = []
        for text in self.expressions():
            words = tuple(text.split())
            options.append(Phrase(words, text) if len(words) > 1 else Term(text))
        return ParsedQuery((AnyOf(tuple(options)),) if options else (), ())


@dataclass(frozen=True)
class Coverage:
    questions: int
    answered: int
    accepted: int
    answerers: int
    median_hours_to_answer: float | None
    top_answerer_share: float
    at_risk: bool  # rests on one person, or nobody answers


@dataclass(frozen=True)
class TopicPage:
    topic: Topic
    experts: tuple[Expert, ...]
    content: tuple[Hit, ...]
    unanswered: tuple[Hit, ...]
    coverage: Coverage
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


TOPIC_ID = re.compile(r"[\w.-]{1,100}")  # it is a path segment: no "/", space or control


def topic_from_dict(data: dict[str, Any]) -> Topic:
    """A topic from JSON-like input; errors name the field."""
    for name in ("id", "name_fr", "name_en"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise InvalidRecordError(f"topic field {name!r}: a non-empty string is required")
    lists = {}
    for name in ("synonyms", "tags", "queries"):
        value = data.get(name, [])
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise InvalidRecordError(f"topic field {name!r}: a list of strings is required")
        lists[name] = tuple(v.strip() for v in value if v.strip())
    unknown = set(data) - {"id", "name_fr", "name_en", "description", *lists}
    if unknown:
        raise InvalidRecordError(f"topic field {sorted(unknown)[0]!r}: unknown field")
    if not TOPIC_ID.fullmatch(data["id"].strip()):
        raise InvalidRecordError("topic field 'id': letters, digits, '-', '_' and '.' only "
                                 "(at most 100), as it names the topic's address")
    return Topic(id=data["id"].strip(), name_fr=data["name_fr"].strip(),
                 name_en=data["name_en"].strip(), description=str(data.get("description", "")),
                 **lists)


class TopicStore:
    """``topics.sqlite``: one row per topic (thread-safe, one connection)."""

    def __init__(self, path: Path | None) -> None:
        self.db = open_store(path, "", timeout=30)
        self.schema_version = migrate(self.db, MIGRATIONS, "topic store")
        self._lock = threading.Lock()

    @classmethod
    def open(cls, data_dir: Path) -> TopicStore:
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(data_dir / "topics.sqlite")

    def close(self) -> None:
        self.db.close()

    def put(self, topic: Topic, by: str | None = None) -> None:
        data = json.dumps(asdict(topic), ensure_ascii=False)
        with self._lock:
            self.db.execute("INSERT INTO topics VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
                            "SET data = excluded.data, updated = excluded.updated, "
                            "updated_by = excluded.updated_by",
                            (topic.id, data, datetime.now(UTC).isoformat(), by))

    def delete(self, topic_id: str) -> bool:
        with self._lock:
            return self.db.execute("DELETE FROM topics WHERE id = ?", (topic_id,)).rowcount > 0

    def get(self, topic_id: str) -> Topic:
        with self._lock:
            row = self.db.execute("SELECT data FROM topics WHERE id = ?", (topic_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no topic {topic_id!r}")
        return topic_from_dict(json.loads(row[0]))

    def all(self) -> list[Topic]:
        with self._lock:
            rows = self.db.execute("SELECT data FROM topics ORDER BY id").fetchall()
        return [topic_from_dict(json.loads(row[0])) for row in rows]


def topic_page(finder: ExpertFinder, topic: Topic, scope: Scope, limit: int = 10,
               mode: str = "hybrid") -> TopicPage:
    """The topic as the viewer may see it: everything below comes from their scope."""
    query = topic.query()
    experts = finder.experts(query, scope, limit=limit, mode=mode)
    content = scope.search(query, mode=mode, limit=limit)
    open_questions = ParsedQuery(query.clauses, (Filter("type", ("question",)),
                                                 Filter("is", ("unanswered",))))
    unanswered = scope.search(open_questions, mode="lexical", limit=limit)
    return TopicPage(topic, tuple(experts), tuple(content), tuple(unanswered),
                     coverage(finder, query, scope))


def coverage(finder: ExpertFinder, query: ParsedQuery, scope: Scope) -> Coverage:
    """Answered share, answer delay and spread of answerers over the topic's questions."""
    questions = scope.search(ParsedQuery(query.clauses, (Filter("type", ("question",)),)),
                             mode="lexical", limit=COVERAGE_DEPTH)
    threads = finder.searcher.catalog.thread_items(h.id for h in questions)
    first_answer: dict[str, datetime] = {}
    answerers: Counter[str] = Counter()
    for item in threads:
        if item.kind == "answer" and item.parent and scope.can_read(item.group):
            if item.parent not in first_answer or item.created < first_answer[item.parent]:
                first_answer[item.parent] = item.created
            if item.author:
                answerers[item.author] += 1
    delays = [(first_answer[q.id] - q.created).total_seconds() / 3600 for q in questions
              if q.id in first_answer]
    total = sum(answerers.values())
    share = answerers.most_common(1)[0][1] / total if total else 0.0
    answered = len(first_answer)
    at_risk = bool(questions) and (len(answerers) <= 1 or share > 0.6)
    return Coverage(questions=len(questions), answered=answered,
                    accepted=sum(1 for q in questions if q.accepted),
                    answerers=len(answerers),
                    median_hours_to_answer=round(statistics.median(delays), 1) if delays
                    else None, top_answerer_share=round(share, 2), at_risk=at_risk)


def candidate_topics(finder: ExpertFinder, topics: list[Topic], scope: Scope,
                     limit: int = 20) -> list[tuple[str, int]]:
    """Frequent tags and key phrases of readable content that no topic covers yet."""
    allowed = sorted(scope.readable)
    if not allowed:
        return []
    covered = {topic_key(e) for t in topics for e in t.expressions()}
    marks = ",".join("?" * len(allowed))
    db = finder.searcher.catalog.db
    tagged: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for (tags,) in db.execute(f"SELECT tags FROM items WHERE deleted = 0 AND group_id IN "
                              f"({marks}) AND tags != '[]'", allowed):
        for tag in json.loads(tags):
            key = topic_key(tag)
            labels.setdefault(key, tag)
            tagged[key] += 1
    # every form of a phrase ("notes de frais", "note de frais") counts for its key
    phrased: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    sql = (f"SELECT k.phrase, COUNT(*) FROM keyphrases k JOIN items i ON i.rowid = k.item_rowid "
           f"WHERE i.deleted = 0 AND i.group_id IN ({marks}) GROUP BY k.phrase")
    for phrase, count in db.execute(sql, allowed):
        key = topic_key(phrase)
        phrased[key] += count
        forms.setdefault(key, Counter())[phrase] += count
    counts = {k: max(tagged[k], phrased[k]) for k in tagged.keys() | phrased.keys()}
    found = [(labels.get(k) or forms[k].most_common(1)[0][0], n)
             for k, n in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
             if n >= CANDIDATE_MIN_ITEMS and k not in covered]
    return found[:limit]
