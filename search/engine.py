"""Permission-aware retrieval over the indexer's full-text and vector indexes.

The viewer is resolved to the set of groups they may read *before* retrieval,
and that set filters inside both retrievers (a Whoosh filter query, a FAISS id
selector), so a permitted result is never lost to a top-k cut and a forbidden
one is never seen.  Hybrid mode fuses the two ranked lists.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

import numpy as np
from whoosh import qparser
from whoosh.query import NullQuery, Or, Term

from core.records import COMPANY_FEED, Group, Person
from core.settings import Settings
from core.visibility import readable_groups
from indexer import Catalog, FullTextIndex, Item, VectorIndex, catalog_path, load_encoder
from indexer.analysis import LANGUAGES, fold
from search.fusion import fuse

log = logging.getLogger(__name__)

MODES = ("lexical", "semantic", "hybrid")
FIELD_BOOSTS = {"title": 2.0, "tags": 1.5, "body": 1.0}
CANDIDATES = 100
SNIPPET_CHARS = 240


@dataclass(frozen=True)
class Hit:
    """One result: a post, comment or document the viewer may read."""

    id: str
    kind: str
    title: str
    snippet: str
    group: str
    group_name: str
    author: str | None
    author_name: str | None
    created: datetime
    score: float
    parent: str | None = None


class Searcher:
    """Open indexes of a data folder, ready to answer queries as a given viewer."""

    def __init__(self, settings: Settings, catalog: Catalog, fulltext: FullTextIndex,
                 vectors: VectorIndex | None) -> None:
        self.settings = settings
        self.catalog = catalog
        self.fulltext = fulltext
        self.vectors = vectors
        self.people: dict[str, Person] = catalog.people()
        self.groups: dict[str, Group] = catalog.groups()
        self._vector_groups: np.ndarray | None = None

    @classmethod
    def open(cls, settings: Settings) -> Searcher:
        """Open the catalog and the derived indexes of ``settings.data_dir``."""
        from core.errors import ConfigError

        path = catalog_path(settings)
        if not path.exists():
            raise ConfigError(f"no catalog in {settings.data_dir}; run `quisait index` first")
        catalog = Catalog(path)
        fulltext = FullTextIndex.open(settings.data_dir / "fulltext")
        vectors = (VectorIndex.open(settings.data_dir / "vectors", settings)
                   if settings.embeddings else None)
        return cls(settings, catalog, fulltext, vectors)

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.catalog.close()

    def permitted_groups(self, viewer: str | Person | None) -> frozenset[str]:
        """ACL tokens the viewer may read; unknown viewers get nothing (fail closed)."""
        person = self.people.get(viewer) if isinstance(viewer, str) else viewer
        return readable_groups(person, self.groups.values())

    def search(self, query: str, viewer: str | Person | None, mode: str = "hybrid",
               limit: int = 10) -> list[Hit]:
        """The ``limit`` best items for ``query`` that ``viewer`` may read."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} (valid: {', '.join(MODES)})")
        allowed = self.permitted_groups(viewer)
        if not allowed or not query.strip():
            return []
        rankings: list[list[tuple[int, float]]] = []
        if mode in ("lexical", "hybrid"):
            rankings.append(self._lexical(query, allowed, CANDIDATES))
        if mode in ("semantic", "hybrid") and self.vectors is not None:
            rankings.append(self._semantic(query, allowed, CANDIDATES))
        ranked = fuse("rrf", rankings)[:limit] if len(rankings) > 1 else (
            rankings[0][:limit] if rankings else [])
        items = self.catalog.items_by_rowid(rowid for rowid, _ in ranked)
        return [self._hit(items[r], s, query) for r, s in ranked
                if r in items and items[r].group in allowed]

    def _lexical(self, query: str, allowed: frozenset[str], k: int) -> list[tuple[int, float]]:
        fields = [f"{name}_{lang}" for name in ("title", "body") for lang in LANGUAGES]
        boosts = {f: FIELD_BOOSTS[f.split("_")[0]] for f in fields} | {"tags": FIELD_BOOSTS["tags"]}
        parser = qparser.MultifieldParser(fields + ["tags"], self.fulltext.index.schema,
                                          fieldboosts=boosts, group=qparser.OrGroup)
        parsed = parser.parse(query)
        if parsed is NullQuery:
            return []
        permission = Or([Term("group", token) for token in sorted(allowed)])
        with self.fulltext.searcher() as searcher:
            results = searcher.search(parsed, limit=k, filter=permission)
            return [(int(hit["rowid"]), float(hit.score)) for hit in results]

    def _semantic(self, query: str, allowed: frozenset[str], k: int) -> list[tuple[int, float]]:
        assert self.vectors is not None
        if len(self.vectors) == 0:
            return []
        vector = load_encoder(self.settings).encode([query])[0]
        codes, names = self._group_codes()
        wanted = np.array([i for i, name in enumerate(names) if name in allowed], dtype=np.int64)
        mask = np.isin(codes, wanted)
        best: dict[int, float] = {}
        for rowid, _ordinal, score in self.vectors.search(vector, k * 3, mask):
            best[rowid] = max(score, best.get(rowid, -1.0))
        return sorted(best.items(), key=lambda pair: -pair[1])[:k]

    def _group_codes(self) -> tuple[np.ndarray, list[str]]:
        """For each vector id, the index of its item's group in a name list."""
        assert self.vectors is not None
        rows = self.catalog.db.execute("SELECT rowid, group_id FROM items WHERE deleted = 0")
        group_of = dict(rows.fetchall())
        names = sorted(set(group_of.values()))
        position = {name: i for i, name in enumerate(names)}
        codes = np.array([position.get(group_of.get(int(r), ""), -1) for r in self.vectors.owners],
                         dtype=np.int64)
        return codes, names

    def _hit(self, item: Item, score: float, query: str) -> Hit:
        author = self.people.get(item.author or "")
        group = self.groups.get(item.group)
        group_name = group.name if group else ("company feed" if item.group == COMPANY_FEED
                                               else item.group)
        return Hit(id=item.id, kind=item.kind, title=item.title,
                   snippet=snippet(item.text, query), group=item.group, group_name=group_name,
                   author=item.author, author_name=author.name if author else None,
                   created=item.created, score=score, parent=item.parent)


_WORD = re.compile(r"\w+")


def snippet(text: str, query: str, size: int = SNIPPET_CHARS) -> str:
    """A window of ``text`` around the first query word found (accent- and case-blind)."""
    words = {fold(w.lower()) for w in _WORD.findall(query) if len(w) > 2}
    folded = fold(text.lower())
    positions = [m.start() for m in _WORD.finditer(folded) if m.group() in words]
    start = max(0, positions[0] - size // 3) if positions else 0
    window = " ".join(text[start : start + size].split())
    prefix = "…" if start else ""
    suffix = "…" if start + size < len(text) else ""
    return f"{prefix}{window}{suffix}"
