"""BM25F over what the viewer may read, vectorised with numpy over Whoosh's postings.

Whoosh scores one posting at a time in Python, with statistics (document
frequency, number of documents, average field length) taken over the whole index,
deleted and secret documents included: a score, and so an order of results, would
then move when a secret post holds the query's words, and anyone could confirm
words guessed from groups they cannot read.  A :class:`LexicalView` of one Whoosh
searcher reads each term's postings a block at a time into arrays (cached per
segment), and scores them with BM25 (Robertson-Sparck Jones idf, the index's B and
K1, Whoosh's stored field lengths) whose statistics are taken over a
:class:`Collection`: the live documents one set of readable groups may see.  Scores,
and everything ranked on them, depend on readable content only.  ``Or`` / ``And`` /
``AndNot`` combine as Whoosh's matchers do (sums of the children's scores); any
other node (phrases) is matched by Whoosh and scored as the sum of its words' scores.
Permissions and filters are boolean masks over document numbers, cached per
searcher: a new searcher (new segments) means a new view, so nothing stale survives
a refresh.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from functools import partial
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.matching import WrappingMatcher
from whoosh.util.numeric import byte_to_length

log = logging.getLogger(__name__)

POSTINGS_BUDGET = 4_000_000  # cached postings per view (about 50 MB)
MASKS_KEPT = 256  # permission / filter masks per view
MEMOS_KEPT = 1024  # small derived values per view (spelling corrections)
IDFS_KEPT = 100_000  # idf values per (term, collection), per view
SEGMENT_COLUMNS_KEPT = 256  # per-segment columns, shared by the views of the process
SEGMENT_POSTINGS_BUDGET = 8_000_000  # per-segment postings, shared (about 100 MB)


class Lru:
    """A small least-recently-used cache; ``cost`` bounds the total size."""

    def __init__(self, budget: int, cost: Callable[[Any], int] = lambda _: 1) -> None:
        self.budget, self.cost, self.used = budget, cost, 0
        self.entries: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        if key in self.entries:
            self.entries.move_to_end(key)
            return self.entries[key]
        value = make()
        self.entries[key] = value
        self.used += self.cost(value)
        while self.used > self.budget and len(self.entries) > 1:
            _, old = self.entries.popitem(last=False)
            self.used -= self.cost(old)
        return value


def _leaf(matcher: Any) -> Any:
    """The block matcher under Whoosh's deleted-documents wrapper (deletions are
    masked separately)."""
    while isinstance(matcher, WrappingMatcher) and not isinstance(matcher, W3LeafMatcher):
        matcher = matcher.child
    return matcher


def _block_postings(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, weights) of a term's postings, read a block at a time."""
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    while matcher.is_active():
        matcher._read_ids()  # Whoosh-Reloaded 2.7's block API (private, pinned)
        matcher._read_weights()
        ids.append(np.asarray(matcher._ids, dtype=np.int64))
        weights.append(np.asarray(matcher._weights, dtype=np.float64))
        matcher._next_block()
    if not ids:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    return np.concatenate(ids), np.concatenate(weights)


def _iterated(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, weights) of any Whoosh matcher, one posting at a time."""
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)


def _matched_ids(matcher: Any) -> np.ndarray:
    """Document numbers a Whoosh matcher matches (its scores are not used)."""
    ids: list[int] = []
    while matcher.is_active():
        ids.append(matcher.id())
        matcher.next()
    return np.asarray(ids, dtype=np.int64)


_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


def _lexicon(reader: Any, field: str) -> frozenset[str]:
    return frozenset(term.decode() if isinstance(term, bytes) else term
                     for term in reader.lexicon(field))


def _segment_lengths(reader: Any, field: str) -> np.ndarray:
    """Decoded field lengths of a segment's documents (0 where a document has none)."""
    count = reader.doc_count_all()
    column = reader._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)  # private, pinned
    if column is None:
        return np.zeros(count)
    raw = np.frombuffer(column._dbfile.get(column._basepos, column._count), dtype=np.uint8)
    codes = np.zeros(count, dtype=np.uint8)
    codes[: len(raw)] = raw[:count]
    return _LENGTHS[codes] * (codes != 0)


class Collection:
    """The documents BM25 statistics are taken over: the live documents a set of readable
    groups (``key``) may see.  Number of documents, document frequencies and average
    field lengths all come from here, never from the rest of the index."""

    def __init__(self, key: Hashable, mask: np.ndarray) -> None:
        self.key = key
        self.mask = mask
        self.size = int(np.count_nonzero(mask))
        self._average: dict[str, float] = {}

    def average_length(self, field: str, lengths: np.ndarray) -> float:
        """Mean length of ``field`` over the collection (documents without it count 0,
        as Whoosh counts them), 1 for an empty collection."""
        if field not in self._average:
            total = float(lengths[self.mask].sum())
            self._average[field] = (total / self.size) if self.size and total else 1.0
        return self._average[field]

    def idf(self, ids: np.ndarray) -> float:
        """Robertson-Sparck Jones idf of a term whose postings are ``ids``, counting only
        the documents of the collection."""
        frequency = int(np.count_nonzero(self.mask[ids])) if len(ids) else 0
        return math.log(1 + (self.size - frequency + 0.5) / (frequency + 0.5))


Scored = tuple[np.ndarray, np.ndarray]  # (matched: bool[size], score: float64[size])
Lag = tuple[Hashable, np.ndarray]  # (a key, 0 for none; catalog rowids an index lags behind)
NO_LAG: Lag = (0, np.zeros(0, np.int64))


class _PerSegment:
    """Columns and postings of segments, shared by every view of the process: a
    segment's documents never change (deletions are masked separately), so a new view
    (new segments after a write) reads only what the new segments hold."""

    def __init__(self, budget: int, cost: Callable[[Any], int] = lambda _: 1) -> None:
        self.lock = threading.Lock()
        self.cache = Lru(budget, cost)

    def get(self, reader: Any, key: tuple[str, ...], make: Callable[[], Any]) -> Any:
        segment = reader.segment() if hasattr(reader, "segment") else None
        if segment is None:
            return make()
        full_key = (segment.segment_id(), *key)
        with self.lock:
            if full_key in self.cache.entries:
                return self.cache.get(full_key, make)
        value = make()  # outside the lock: another thread may read its own meanwhile
        with self.lock:
            return self.cache.get(full_key, lambda: value)


SEGMENT_COLUMNS = _PerSegment(SEGMENT_COLUMNS_KEPT)
SEGMENT_POSTINGS = _PerSegment(SEGMENT_POSTINGS_BUDGET, lambda value: len(value[0]))


class LexicalView:
    """Vectorised scoring, permission masks and columns over one Whoosh searcher."""

    def __init__(self, searcher: Any,
                 lag: Lag = NO_LAG) -> None:
        self.searcher = searcher
        # (a key, the catalog rowids of the items changed after the generation the
        # searcher was committed at): their documents count for nobody (:meth:`live`)
        self.lag_key, self._lagging = lag
        # segments holding documents (an index without any has no columns to read)
        self.segments: list[tuple[Any, int]] = [
            (sub, offset) for sub, offset in searcher.subsearchers or [(searcher, 0)]
            if sub.reader().doc_count_all()]
        self.size = int(searcher.doc_count_all())
        # term postings (with their documents' field lengths) and phrase matches
        self._postings = Lru(POSTINGS_BUDGET, lambda value: len(
            value[0] if isinstance(value, tuple) else value))
        self._idf = Lru(IDFS_KEPT)  # per (term, collection): a count over the postings
        self._masks = Lru(MASKS_KEPT)
        self._memos = Lru(MEMOS_KEPT)
        self._columns: dict[str, np.ndarray] = {}
        self._lengths: dict[str, np.ndarray] = {}
        self._live: np.ndarray | None = None
        self._distinct: dict[str, list[str]] = {}

    def memo(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """A small value derived from this view's documents, computed once per view
        (a new index generation starts afresh)."""
        return self._memos.get(key, make)

    # -- columns and masks --------------------------------------------------------------

    def column(self, field: str, translate: bool = True) -> np.ndarray:
        """A sortable field's value for every document number (read once per view):
        stored values, or with ``translate=False`` the raw sortable ones (datetimes as
        integers)."""
        key = f"{field}:{translate}"
        if key not in self._columns:
            def read(reader: Any) -> np.ndarray:
                values = list(reader.column_reader(field, translate=translate))
                numeric = all(isinstance(v, int) for v in values[:100])
                return np.asarray(values, dtype=np.int64 if numeric else object)

            parts: list[np.ndarray] = [
                SEGMENT_COLUMNS.get(sub.reader(), ("column", key), partial(read, sub.reader()))
                for sub, _offset in self.segments]
            numeric = all(part.dtype == np.int64 for part in parts)
            self._columns[key] = (np.concatenate(parts) if parts else np.zeros(0)).astype(
                np.int64 if numeric else object)
        return self._columns[key]

    def live(self) -> np.ndarray:
        """False for deleted documents (still in their segment until a merge), and for
        the documents of items the catalog changed after this index's commit: until the
        index catches up, such a document may hold an old group and old words, so it
        takes part in no match, count or statistic, for anyone."""
        if self._live is None:
            live = np.ones(self.size, dtype=bool)
            for sub, offset in self.segments:
                reader = sub.reader()
                if reader.has_deletions():
                    dead = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
                    live[dead + offset] = False
            if len(self._lagging) and self.size:
                live &= ~np.isin(self.column("rowid"), self._lagging)
            self._live = live
        return self._live

    def permitted(self, tokens: frozenset[str]) -> np.ndarray:
        """Live documents whose ACL token is in ``tokens`` (cached per token set)."""
        def make() -> np.ndarray:
            distinct, codes = self.codes("group")
            wanted = np.array([value in tokens for value in distinct] + [False], dtype=bool)
            return wanted[codes] & self.live()
        return self._masks.get(("permitted", tokens), make)

    def codes(self, field: str) -> tuple[list[str], np.ndarray]:
        """A string column as (distinct values, each document's index among them)."""
        key = f"codes:{field}"
        if key not in self._columns:
            def encode(reader: Any) -> tuple[list[str], np.ndarray]:
                column = list(reader.column_reader(field))
                distinct = sorted({str(v) for v in column})
                position = {value: i for i, value in enumerate(distinct)}
                return distinct, np.fromiter((position[str(v)] for v in column),
                                             dtype=np.int32, count=len(column))

            parts: list[tuple[list[str], np.ndarray]] = [
                SEGMENT_COLUMNS.get(sub.reader(), ("codes", field), partial(encode, sub.reader()))
                for sub, _offset in self.segments]
            distinct = sorted({value for names, _ in parts for value in names})
            position = {value: i for i, value in enumerate(distinct)}
            self._columns[key] = np.concatenate(
                [np.array([position[name] for name in names], dtype=np.int32)[codes]
                 for names, codes in parts] or [np.zeros(0, np.int32)])
            self._distinct[field] = distinct
        return self._distinct[field], self._columns[key]

    def term_postings(self, field: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Every posting of ``field`` (tags: a few per document) as (distinct terms, each
        posting's term index, each posting's document number); read once per view."""
        key = f"postings:{field}"
        if key not in self._columns:
            terms = sorted({term.decode() if isinstance(term, bytes) else term
                            for sub, _offset in self.segments
                            for term in sub.reader().lexicon(field)})
            codes: list[np.ndarray] = [np.zeros(0, np.int32)]
            docs: list[np.ndarray] = [np.zeros(0, np.int64)]
            for code, term in enumerate(terms):
                ids = self._postings_ids(field, term)
                codes.append(np.full(len(ids), code, dtype=np.int32))
                docs.append(ids)
            self._columns[key] = np.concatenate(codes)
            self._columns[f"{key}:docs"] = np.concatenate(docs)
            self._distinct[key] = terms
        return (self._distinct[key], self._columns[key], self._columns[f"{key}:docs"])

    def known(self, field: str, terms: Iterable[str]) -> list[str]:
        """Those of ``terms`` that a document of the index holds in ``field`` (each
        segment's lexicon is read once, and shared like its columns)."""
        lexicons = [SEGMENT_COLUMNS.get(sub.reader(), ("lexicon", field),
                                        partial(_lexicon, sub.reader(), field))
                    for sub, _offset in self.segments]
        return [term for term in terms if any(term in lexicon for lexicon in lexicons)]

    def count_in(self, field: str, term: str, mask: np.ndarray) -> int:
        """How many documents of ``mask`` hold ``term`` in ``field`` (postings cached)."""
        return int(mask[self._postings_ids(field, term)].sum())

    def _postings_ids(self, field: str, term: str) -> np.ndarray:
        """Live document numbers of a term's postings, unscored."""
        ids: list[np.ndarray] = [np.zeros(0, np.int64)]
        for sub, offset in self.segments:
            reader = sub.reader()
            if (field, term) in reader:
                matcher = _leaf(reader.postings(field, term))
                if isinstance(matcher, W3LeafMatcher):
                    local = SEGMENT_POSTINGS.get(reader, ("ids", field, term),
                                                 partial(_block_postings, matcher))[0]
                else:
                    local = np.fromiter(matcher.all_ids(), dtype=np.int64)
                ids.append(local + offset)
        found = np.concatenate(ids)
        return found[self.live()[found]]

    def matching(self, query: wq.Query) -> np.ndarray:
        """Documents matching an unscored (filter) query, as a mask (cached per query)."""
        def make() -> np.ndarray:
            mask = np.zeros(self.size, dtype=bool)
            found = np.fromiter(self.searcher.docs_for_query(query), dtype=np.int64)
            mask[found] = True
            return mask & self.live()
        return self._masks.get(("query", query), make)

    def collection(self, tokens: frozenset[str]) -> Collection:
        """The documents readers of ``tokens`` may see, as a collection for BM25's
        statistics (cached per token set)."""
        return self._masks.get(("collection", tokens),
                               lambda: Collection(tokens, self.permitted(tokens)))

    # -- scoring ------------------------------------------------------------------------

    def top(self, query: wq.Query, allowed: np.ndarray, k: int,
            collection: Collection) -> list[tuple[int, float]]:
        """The ``k`` best (document number, score) among ``allowed`` (a subset of the
        collection); ties broken by catalog rowid, which adding other documents never
        changes (document numbers may move when segments merge)."""
        matched, score = self.scored(query, collection)
        docs = np.flatnonzero(matched & allowed & collection.mask)
        if len(docs) > k:
            keep = np.argpartition(-score[docs], k - 1)[:k]
            threshold = score[docs[keep]].min()
            docs = docs[score[docs] >= threshold]  # every tie at the cut, then sort
        order = np.lexsort((self.column("rowid")[docs], -score[docs]))[:k]
        return [(int(d), float(score[d])) for d in docs[order]]

    def scored(self, query: wq.Query, collection: Collection) -> Scored:
        """Which documents match ``query`` and their scores (0 where not matched), with
        the statistics of ``collection``."""
        if isinstance(query, wq.Or | wq.And) and len(query.subqueries) == 1:
            return self.scored(query.subqueries[0], collection)  # a lone child's boost: ignored
        if isinstance(query, wq.Or):
            matched, score = self._empty()
            self._add(query, matched, score, collection)
            return matched, score
        if isinstance(query, wq.And):
            if not query.subqueries:
                return self._empty()
            matched, score = self.scored(query.subqueries[0], collection)
            for sub in query.subqueries[1:]:
                sub_matched, sub_score = self.scored(sub, collection)
                matched &= sub_matched
                score += sub_score
            score[~matched] = 0.0
            return matched, self._boosted(score, query.boost)
        if isinstance(query, wq.AndMaybe):  # matched by the first, scored by both
            matched, score = self.scored(query.a, collection)
            _, extra = self.scored(query.b, collection)
            score = np.where(matched, score + extra, 0.0)
            return matched, self._boosted(score, query.boost)
        if isinstance(query, wq.AndNot):
            matched, score = self.scored(query.a, collection)
            matched &= ~self.scored(query.b, collection)[0]
            score[~matched] = 0.0
            return matched, score
        if query is wq.NullQuery:
            return self._empty()
        ids, values = (self.term(query, collection) if isinstance(query, wq.Term)
                       else self._delegated(query, collection))
        matched, score = self._empty()
        matched[ids] = True
        score[ids] = values
        return matched, score

    def matches(self, query: wq.Query, collection: Collection) -> np.ndarray:
        """Which documents match ``query`` (a mask); the collection is the viewer's, whose
        scores are cached for the search that goes with it."""
        return self.scored(query, collection)[0]

    def _add(self, query: wq.Or, matched: np.ndarray, score: np.ndarray,
             collection: Collection) -> None:
        """Add an ``Or``'s matches and scores in place; nested ``Or``s without a boost of
        their own (one per query word) add into the same arrays."""
        if query.boost != 1.0:
            sub_matched, sub_score = self.scored(wq.Or(query.subqueries), collection)
            matched |= sub_matched
            score += sub_score * query.boost
            return
        for sub in query.subqueries:
            if isinstance(sub, wq.Term):
                ids, values = self.term(sub, collection)
                matched[ids] = True
                score[ids] += values
            elif isinstance(sub, wq.Or) and len(sub.subqueries) > 1:
                self._add(sub, matched, score, collection)
            else:
                sub_matched, sub_score = self.scored(sub, collection)
                matched |= sub_matched
                score += sub_score

    def _empty(self) -> Scored:
        return np.zeros(self.size, dtype=bool), np.zeros(self.size, dtype=np.float64)

    @staticmethod
    def _boosted(score: np.ndarray, boost: float) -> np.ndarray:
        return score * boost if boost != 1.0 else score

    def term(self, query: wq.Term, collection: Collection) -> tuple[np.ndarray, np.ndarray]:
        """(live document numbers, scores) of one term over ``collection``, boost
        included.  The postings are cached per view; the scores are computed at each
        call (a few vector operations), since caching them per collection too would keep
        one copy per set of readable groups and churn the cache under many viewers."""
        ids, weights, lengths = self._postings.get(
            ("postings", query.fieldname, query.text),
            lambda: self._term_postings(query.fieldname, query.text))
        if not len(ids) or not self.searcher.schema[query.fieldname].scorable:
            return ids, self._boosted(weights, query.boost)  # Whoosh: the weight alone
        weighting = self.searcher.weighting
        b = weighting._field_B.get(query.fieldname, weighting.B)
        k1 = weighting.K1
        average = collection.average_length(query.fieldname, self.lengths(query.fieldname))
        idf = self._idf.get((query.fieldname, query.text, collection.key),
                            lambda: collection.idf(ids))
        norm = k1 * ((1 - b) + (b / average) * lengths)
        return ids, (idf * (k1 + 1) * query.boost) * weights / (weights + norm)

    def _term_postings(self, fieldname: str,
                       text: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(live document numbers, weights, field lengths) of a term's postings in every
        segment (a length of at least 1, Whoosh's default for a missing one)."""
        empty = np.zeros(0, np.int64), np.zeros(0, np.float64), np.zeros(0, np.float64)
        if fieldname not in self.searcher.schema:
            return empty
        try:
            term = self.searcher.schema[fieldname].to_bytes(text)
        except ValueError:
            return empty
        ids: list[np.ndarray] = [empty[0]]
        weights: list[np.ndarray] = [empty[1]]
        for sub, offset in self.segments:
            reader = sub.reader()
            if (fieldname, term) not in reader:
                continue
            matcher = _leaf(reader.postings(fieldname, term))
            if isinstance(matcher, W3LeafMatcher):
                local, values = SEGMENT_POSTINGS.get(
                    reader, ("postings", fieldname, term), partial(_block_postings, matcher))
            else:  # another codec: one posting at a time
                local, values = _iterated(matcher)
            ids.append(local + offset)
            weights.append(values)
        docs, values = np.concatenate(ids), np.concatenate(weights)
        keep = self.live()[docs]
        docs = docs[keep]
        return docs, values[keep], np.maximum(self.lengths(fieldname)[docs], 1.0)

    def lengths(self, field: str) -> np.ndarray:
        """Each document's length in ``field``, as Whoosh stores it (one byte, decoded;
        0 where the document has none)."""
        if field not in self._lengths:
            parts = [_segment_lengths(sub.reader(), field) for sub, _offset in self.segments]
            self._lengths[field] = np.concatenate(parts) if parts else np.zeros(0)
        return self._lengths[field]

    def _delegated(self, query: wq.Query,
                   collection: Collection) -> tuple[np.ndarray, np.ndarray]:
        """Phrases and other nodes: matched by Whoosh's matcher (live documents only),
        scored as the sum of their words' scores over the collection, times the node's
        boost (Whoosh's own scores would use the whole index's statistics)."""
        docs = self._postings.get(("matched", query), lambda: self._delegated_ids(query))
        total = np.zeros(len(docs))
        for fieldname, text in sorted(set(query.iter_all_terms())):
            ids, values = self.term(wq.Term(fieldname, text), collection)
            dense = np.zeros(self.size)
            dense[ids] = values
            total += dense[docs]
        return docs, total * query.boost

    def _delegated_ids(self, query: wq.Query) -> np.ndarray:
        ids = [_matched_ids(query.matcher(sub, self.searcher.context())) + offset
               for sub, offset in self.segments]
        docs = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        return docs[self.live()[docs]]
