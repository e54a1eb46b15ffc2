"""Permission-aware retrieval over the indexer's full-text and vector indexes.

The viewer is resolved to the set of groups they may read *before* retrieval,
and that set, with the query's filters, restricts both retrievers from inside
(a Whoosh filter query; a FAISS id selector), so a permitted result is never
lost to a top-k cut and a forbidden one is never seen.  Each mode is a retriever
(:mod:`search.retrieval`): lexical, semantic, and hybrid, their composition through a
fusion from :data:`search.fusion.FUSIONS`; the searcher then applies the KM signals.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from types import TracebackType
from typing import Any

import numpy as np
from whoosh import query as wq

from core.errors import ConfigError
from core.records import COMPANY_FEED, Group, Person
from core.settings import Settings
from core.visibility import readable_groups, visible_groups
from indexer import Catalog, FullTextIndex, Item, VectorIndex, catalog_path, load_encoder
from indexer.analysis import detect_language
from indexer.embeddings import model_provenance
from indexer.vectors import MANIFEST
from search import signals
from search.curation import Curation, normalise
from search.explore import corrections
from search.facts import Facts, item_facts
from search.feedback import FeedbackStore, Target, counted_votes
from search.fusion import FUSIONS
from search.lexical import NO_LAG, Lag, LexicalView
from search.profiles import ProfileStore
from search.query import ParsedQuery, Phrase, parse_query, words_query
from search.querylog import QueryLog
from search.retrieval import HybridRetriever, LexicalRetriever, Request, Retriever
from search.scope import Scope
from search.semantic import SemanticRetriever
from search.snippets import highlights, snippet
from search.translate import FilterContext, filter_query, node_query, text_query
from search.word_vectors import french_vectors

log = logging.getLogger(__name__)

MODES = ("lexical", "semantic", "hybrid")
CANDIDATES = 100


_VECTORS: OrderedDict[tuple[str, Settings], _Shared] = OrderedDict()
_VECTORS_LOCK = threading.Lock()
_VECTORS_KEPT = 8


def _file_stamp(folder: Any) -> tuple[int, ...]:
    stamp: list[int] = []
    for name in (MANIFEST, "state.json", "params.json"):
        try:
            info = os.stat(folder / name)
            stamp += [info.st_ino, info.st_mtime_ns, info.st_size]
        except FileNotFoundError:
            stamp += [0, 0, 0]
    return tuple(stamp)


@dataclass
class _Shared:
    stamp: tuple[int, ...]
    vectors: VectorIndex | None
    loading: threading.Lock = field(default_factory=threading.Lock)


def shared_vectors(settings: Settings) -> VectorIndex:
    """The vector index of a data folder, shared read-only by every searcher of the
    process (the web server's threads) and brought up to its files when they change.

    Each thread loading its own copy cost 0.5 s and 300 MB per thread at 100k posts.
    A new version shares the rows and graph of the previous one and reads only the
    added rows (:meth:`VectorIndex.reopened`); while one thread reads them, the others
    go on with the version they had: readers never wait for a writer."""
    folder = settings.data_dir / "vectors"
    key = (str(folder.resolve()), settings)
    with _VECTORS_LOCK:
        entry = _VECTORS.setdefault(key, _Shared((), None))
        _VECTORS.move_to_end(key)
        while len(_VECTORS) > _VECTORS_KEPT:
            _VECTORS.popitem(last=False)
    stamp = _file_stamp(folder)
    if entry.vectors is not None and entry.stamp == stamp:
        return entry.vectors
    # the first load makes everyone wait (there is nothing else to answer with)
    if not entry.loading.acquire(blocking=entry.vectors is None):
        assert entry.vectors is not None
        return entry.vectors
    try:
        if entry.vectors is None or entry.stamp != stamp:
            vectors = (VectorIndex.open(folder, settings) if entry.vectors is None
                       else entry.vectors.reopened())
            entry.vectors, entry.stamp = vectors, stamp
        return entry.vectors
    finally:
        entry.loading.release()


_ENTITIES: dict[str, tuple[int, dict[str, Person], dict[str, Group]]] = {}
_ENTITIES_LOCK = threading.Lock()


def _entities(catalog: Catalog) -> tuple[int, dict[str, Person], dict[str, Group]]:
    """(entity generation, people, groups) of a catalog, read once per change of a
    person or group and shared by the searchers of the process (records are frozen)."""
    key = f"{catalog.path}:{os.stat(catalog.path).st_ino}"  # a new catalog file: a new key
    with _ENTITIES_LOCK:
        generation = catalog.entity_generation()
        cached = _ENTITIES.get(key)
        if cached is None or cached[0] != generation:
            cached = (generation, catalog.people(), catalog.groups())
            _ENTITIES[key] = cached
        return cached


def tuned_languages(settings: Settings) -> frozenset[str]:
    """Languages a tuned model was trained on (its provenance says): each with at least a
    fifth (or 500) of its training pairs."""
    trained = model_provenance(settings.embedding_model).get("languages") or {}
    if not isinstance(trained, dict) or not (total := sum(trained.values())):
        return frozenset()
    return frozenset(lang for lang, count in trained.items() if count >= min(500, total / 5))


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
    thread_title: str = ""
    accepted: bool = False
    pinned: bool = False
    mark: str | None = None  # the curation mark in effect (official, outdated)
    highlights: tuple[tuple[int, int], ...] = ()  # query words in the snippet (start, end)
    explanation: dict[str, float] = field(default_factory=dict, compare=False)


class Searcher:
    """Open indexes of a data folder, ready to answer queries as a given viewer."""

    def __init__(self, settings: Settings, catalog: Catalog, fulltext: FullTextIndex,
                 vectors: VectorIndex | None, curation: Curation | None = None,
                 query_log: QueryLog | None = None,
                 feedback: FeedbackStore | None = None) -> None:
        if settings.fusion not in FUSIONS:
            raise ConfigError(f"unknown fusion {settings.fusion!r} "
                              f"(valid: {', '.join(sorted(FUSIONS))})")
        self.settings = settings
        self.catalog = catalog
        self.fulltext = fulltext
        self.vectors = vectors
        self.curation = curation or Curation(None)
        self.query_log = query_log
        # votes are told apart by the query log's salted viewer hash (none: no ranking)
        self.feedback = feedback or FeedbackStore(
            None, query_log.viewer_key if query_log is not None else None)
        # what people chose on their own profile, over the records (open() gives the
        # data folder's store; an empty one in memory otherwise)
        self.profiles = ProfileStore(None)
        self._profile_version = -1
        self.people: dict[str, Person] = {}
        self.groups: dict[str, Group] = {}
        self._generation = -1
        self._refresh_people()
        self._whoosh: Any = None
        self._view: LexicalView | None = None
        self._follow_vectors = False  # pick up new versions of the shared vector index
        self._lagging: dict[tuple[int, int], np.ndarray] = {}  # _changed_after's
        # load_encoder is looked up here at each call (tests and the bench replace it)
        self.semantic = SemanticRetriever(settings, vectors,
                                          lambda: load_encoder(settings), self._changed_after)
        self.lexical = LexicalRetriever(self._lexical_view)
        self.retrievers: dict[str, Retriever] = {
            "lexical": self.lexical, "semantic": self.semantic,
            "hybrid": HybridRetriever(self.lexical, self.semantic, settings.fusion,
                                      self.semantic_weight, settings.semantic_weight)}

    @classmethod
    def open(cls, settings: Settings) -> Searcher:
        """Open the catalog and the derived indexes of ``settings.data_dir``."""
        path = catalog_path(settings)
        if not path.exists():
            raise ConfigError(f"no catalog in {settings.data_dir}; run `quisait index` first")
        catalog = Catalog(path)
        fulltext = FullTextIndex.open(settings.data_dir / "fulltext")
        vectors = shared_vectors(settings) if settings.embeddings else None
        query_log = (QueryLog.open(settings.data_dir, settings.query_log)
                     if settings.query_log != "off" else None)
        curation = Curation.open(settings.data_dir, settings.official_expired)
        feedback = FeedbackStore.open(settings.data_dir,
                                      query_log.viewer_key if query_log is not None else None)
        searcher = cls(settings, catalog, fulltext, vectors, curation, query_log, feedback)
        searcher._follow_vectors = settings.embeddings
        searcher.use_profiles(ProfileStore.open(settings.data_dir))
        searcher.warm_up()
        return searcher

    def warm_up(self) -> None:
        """Load what the first query would otherwise wait for: the model (and its first,
        slow, call), the language identifier, the permission columns of the full-text
        index, the group codes, the spelling lexicon (typos' corrections), the French word
        vectors (extracted answers)."""
        detect_language("warm up")
        french_vectors()
        view = self._refresh_view()
        view.codes("group")
        view.column("rowid")
        if self.settings.spelling_correction:
            view.known("spell", ())  # reads each segment's lexicon once
        self.semantic.warm_up()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def use_profiles(self, store: ProfileStore) -> None:
        """Apply ``store``'s profile choices to the people from now on."""
        self.profiles.close()
        self.profiles, self._profile_version = store, -1
        self._refresh_people()

    def close(self) -> None:
        if self._whoosh is not None:
            self._whoosh.close()
        self.curation.close()
        self.profiles.close()
        self.feedback.close()
        if self.query_log is not None:
            self.query_log.close()
        self.catalog.close()

    def _changed_after(self, generation: int) -> Lag:
        """(a key: 0 when nothing changed after ``generation``, else the pair of it and
        the catalog's generation; the rowids of the items changed after it, deletions
        included)."""
        current = self.catalog.generation
        if current <= generation:
            return NO_LAG
        key = (generation, current)
        rowids = self._lagging.get(key)
        if rowids is None:  # read once per pair (one pair per derived index)
            rowids = np.array(self.catalog.changed_rowids(generation), dtype=np.int64)
            if len(self._lagging) >= 4:
                self._lagging.clear()
            self._lagging[key] = rowids
        return key, rowids

    def _whoosh_searcher(self) -> Any:
        """One Whoosh searcher, reopened (reusing unchanged segments) when the index has a
        new generation."""
        if self._whoosh is not None:
            if self.fulltext.index.latest_generation() == self._whoosh.reader().generation():
                return self._whoosh
        self._whoosh = self.fulltext.searcher(previous=self._whoosh)
        return self._whoosh

    def _refresh_view(self) -> LexicalView:
        """Vectorised scoring and cached masks over the latest Whoosh searcher: a new
        searcher (new segments, deletions) starts a new view, with empty caches; and
        the latest version of the shared vector index.  Called once per public call, so
        that every part of one answer (masks, scores, document numbers, vector ids)
        comes from the same version of each index."""
        if self._follow_vectors:
            vectors = shared_vectors(self.settings)
            if vectors is not self.vectors:
                self.vectors = vectors
                self.semantic.use(vectors)
        # before the searcher: it reflects this generation or a newer one, so the items
        # changed since are all that its documents may tell wrongly (old group, old words)
        lag = self._changed_after(self.fulltext.committed_generation())
        searcher = self._whoosh_searcher()
        view = self._view
        if view is None or view.searcher is not searcher or view.lag_key != lag[0]:
            view = self._view = LexicalView(searcher, lag)
        return view

    def _lexical_view(self) -> LexicalView:
        """The view of the current call (see :meth:`_refresh_view`)."""
        return self._view if self._view is not None else self._refresh_view()

    # -- permissions ---------------------------------------------------------------

    def _refresh_people(self) -> None:
        """Reload people and groups when one has changed (memberships included), so a
        person added to or removed from a group sees it on the next search; and when
        someone changed their profile choices (accepted skills, opting out)."""
        version = self.profiles.version()
        if (self.catalog.entity_generation() != self._generation
                or version != self._profile_version):
            self._generation, people, self.groups = _entities(self.catalog)
            choices = self.profiles.everyone()
            self.people = ({ident: self.profiles.apply(person, choices.get(ident))
                            for ident, person in people.items()} if choices else people)
            self._profile_version = version

    def _person(self, viewer: str | Person | None) -> Person | None:
        """The viewer as the catalog knows them now: a ``Person`` handed in is looked up
        again by id, so a person marked departed (or changed) since the caller read them
        is judged on the current record (an unknown id reads nothing)."""
        self._refresh_people()
        if isinstance(viewer, Person):
            viewer = viewer.id
        return self.people.get(viewer) if viewer is not None else None

    def current_person(self, person_id: str | None) -> Person | None:
        """The active person with this id in the catalog as it is now (people and
        memberships re-read when they changed), or None: departed and unknown people
        cannot sign in.  Called on every request, so a change applies at once."""
        person = self._person(person_id) if person_id else None
        return person if person is not None and person.status == "active" else None

    def active_people(self) -> list[Person]:
        """Every active person as the catalog knows them now, by name (demo sign-in)."""
        self._refresh_people()
        return sorted((p for p in self.people.values() if p.status == "active"),
                      key=lambda person: person.name)

    def scope(self, viewer: str | Person | None) -> Scope:
        """What ``viewer`` (a person id, a ``Person`` or None) may read and see, as the
        catalog says now: the one way to read content.  Unknown and departed viewers
        read and see nothing (fail closed)."""
        person = self._person(viewer)
        groups = self.groups.values()
        return Scope(person, readable_groups(person, groups), visible_groups(person, groups),
                     self)

    # -- search ----------------------------------------------------------------------

    def search(self, query: str | ParsedQuery, viewer: str | Person | None,
               mode: str = "hybrid", limit: int = 10) -> list[Hit]:
        """Shorthand for ``self.scope(viewer).search(query, mode, limit)``."""
        return self.scope(viewer).search(query, mode, limit)

    def _search(self, scope: Scope, query: str | ParsedQuery, mode: str,
                limit: int) -> list[Hit]:
        """The ``limit`` best items for ``query`` that ``scope`` may read (:meth:`Scope.search`).

        Raises ``QuerySyntaxError`` (a 400) for a query that cannot be read.
        """
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} (valid: {', '.join(MODES)})")
        self._refresh_view()
        parsed = parse_query(query) if isinstance(query, str) else query
        person, allowed = scope.viewer, scope.readable
        if not allowed or parsed.is_empty():
            return []
        restriction = self._restriction_mask(parsed, scope)
        text = text_query(parsed, self.synonyms(scope, parsed), self.pair_languages)
        if text is None:  # filters only: newest first
            ranked = self._newest(restriction, limit)
            return self._ranked_hits(ranked, parsed, {}, person, allowed, limit, rerank=False)
        passages = (self._semantic_mask(parsed, restriction, allowed)
                    if mode != "lexical" and self.semantic.available else None)
        found = self.retrievers[mode].retrieve(
            Request(text, parsed.free_text(), allowed, restriction, passages, CANDIDATES))
        return self._ranked_hits(found.ranking, parsed, dict(found.parts), person, allowed,
                                 limit, feedback_query=query if isinstance(query, str) else None,
                                 also=tuple(corrections(scope, parsed).values()))

    def synonyms(self, scope: Scope, parsed: ParsedQuery) -> dict[str, tuple[str, ...]]:
        """The curated synonyms, and for ``scope`` the automatic corrections of words no
        readable document contains (each searched beside the word typed)."""
        table = self.curation.synonym_table()
        for word, correction in corrections(scope, parsed).items():
            key = normalise(word)
            table[key] = (*table.get(key, ()), correction)
        return table

    def _record_search(self, scope: Scope, query: str, hits: list[Hit], mode: str) -> int:
        """See :meth:`Scope.record_search`."""
        if self.query_log is None:
            return 0
        return self.query_log.log_search(query, len(hits), mode, detect_language(query),
                                         scope.viewer_id, groups=scope.readable)

    def record_click(self, search_id: int, item_id: str, rank: int) -> None:
        if self.query_log is not None and search_id:
            self.query_log.log_click(search_id, item_id, rank)

    def rank_within(self, query: str, groups: frozenset[str], k: int) -> list[Item]:
        """The ``k`` best items for ``query`` (lexical) among the ACL tokens ``groups``.

        For trusted tools that choose their groups themselves (tuning's hard negatives);
        never for a viewer: a viewer's search goes through :meth:`search`."""
        self._refresh_view()
        text = text_query(words_query(query), pairs=self.pair_languages)
        if text is None or not groups:
            return []
        mask = self._lexical_view().permitted(groups)
        ranked = self.lexical.ranking(text, mask, groups, k)
        items = self.catalog.items_by_rowid(rowid for rowid, _ in ranked)
        return [items[rowid] for rowid, _ in ranked if rowid in items]

    def semantic_weight(self, text: str) -> float:
        """How much to trust the embedding model for this query's language:
        ``semantic_weight`` for the languages of ``model_languages``,
        ``semantic_weight_tuned`` for those a tuned model learned (its provenance), and
        ``semantic_weight_other`` for the rest."""
        language = detect_language(text)
        if language in self.known_languages:
            return self.settings.semantic_weight
        if language in self.tuned_languages:
            return self.settings.semantic_weight_tuned
        return self.settings.semantic_weight_other

    @cached_property
    def pair_languages(self) -> frozenset[str]:
        return self.settings.pair_languages()

    @cached_property
    def known_languages(self) -> frozenset[str]:
        return frozenset(lang.strip() for lang in self.settings.model_languages.split(","))

    @cached_property
    def tuned_languages(self) -> frozenset[str]:
        return tuned_languages(self.settings)

    def _filters(self, parsed: ParsedQuery, scope: Scope) -> wq.Query | None:
        """The query's filters (``group:`` and the like resolved among the groups the
        scope may see), or None."""
        if not parsed.filters:
            return None
        context = FilterContext([self.groups[g] for g in sorted(scope.visible)
                                 if g in self.groups], self.people.values())
        return filter_query(parsed, context)

    def _restriction(self, parsed: ParsedQuery, scope: Scope) -> wq.Query:
        """Permissions and the query's filters, as one unscored Whoosh query."""
        permission = wq.Or([wq.Term("group", token) for token in sorted(scope.readable)])
        filters = self._filters(parsed, scope)
        return wq.And([permission, filters]) if filters is not None else permission

    def _restriction_mask(self, parsed: ParsedQuery, scope: Scope) -> np.ndarray:
        """Permissions and the query's filters, as a mask over Whoosh document numbers
        (the permission part cached per set of readable groups and index segments)."""
        view = self._lexical_view()
        mask = view.permitted(scope.readable)
        filters = self._filters(parsed, scope)
        return mask & view.matching(filters) if filters is not None else mask

    def _semantic_mask(self, parsed: ParsedQuery, restriction: np.ndarray,
                       allowed: frozenset[str]) -> np.ndarray | None:
        """What the vector search must also respect: filters, required phrases, exclusions,
        as a mask over vector ids.

        None when only permissions apply (the fast path by group codes)."""
        assert self.vectors is not None
        phrases = [node_query(c) for c in parsed.clauses
                   if isinstance(c, Phrase) and not c.negated]
        excluded = [node_query(c) for c in parsed.clauses if getattr(c, "negated", False)]
        if not parsed.filters and not phrases and not excluded:
            return None
        view = self._lexical_view()
        collection = view.collection(allowed)
        docs = restriction.copy()
        for phrase in phrases:
            docs &= view.matches(phrase, collection)
        for exclusion in excluded:
            docs &= ~view.matches(exclusion, collection)
        rowids = view.column("rowid")[docs].astype(np.int64)
        return np.isin(self.vectors.owners, rowids)

    def _newest(self, restriction: np.ndarray, k: int) -> list[tuple[int, float]]:
        view = self._lexical_view()
        docs = np.flatnonzero(restriction)
        created = view.column("created", translate=False)[docs].astype(np.int64)
        rowids = view.column("rowid")
        order = np.lexsort((rowids[docs], -created))[:k]
        return [(int(rowids[doc]), 0.0) for doc in docs[order]]

    # -- results -----------------------------------------------------------------------

    def _ranked_hits(self, fused: list[tuple[int, float]], parsed: ParsedQuery,
                     rankings: dict[str, list[tuple[int, float]]], person: Person | None,
                     allowed: frozenset[str], limit: int, rerank: bool = True,
                     feedback_query: str | None = None,
                     also: tuple[str, ...] = ()) -> list[Hit]:
        """Apply the KM signals (pins first, then marks, accepted, reactions, recency,
        and the feedback cast on ``feedback_query``: what the person typed); snippets
        highlight the query's words and ``also`` (the words searched for its typos)."""
        now = datetime.now(UTC)
        pinned = self._pinned(parsed, person, allowed, now)
        facts = item_facts(self.catalog.db, [r for r, _ in fused]
                           + [item.rowid for item in pinned.values()])
        # the catalog has the last word on an item's group (an index may lag behind it)
        candidates = [self._candidate(facts[r], s) for r, s in fused
                      if r in facts and facts[r].group in allowed]
        marks = self.curation.marks(now.date())  # those in effect today
        voted = (self._feedback_factors(feedback_query, candidates, allowed, now)
                 if rerank and feedback_query else {})
        scored = (signals.rerank(candidates, marks, now,
                                 self.settings.recency_half_life_days, voted) if rerank
                  else [(c, c.score, {}) for c in candidates])
        positions = self._positions(rankings)
        explained = [(c.rowid, s, {**positions.get(c.rowid, {}), **f})
                     for c, s, f in scored if c.id not in pinned]
        pins = [(item.rowid, 0.0, {"pinned": 1.0}) for item in pinned.values()]
        chosen = (pins + explained)[:limit]
        items = self.catalog.items_by_rowid(rowid for rowid, _, _ in chosen)
        terms = (*parsed.positive_terms(), *also)
        return [self._hit(items[rowid], facts[rowid], score, terms, explanation,
                          marks.get(items[rowid].id))
                for rowid, score, explanation in chosen if rowid in items and rowid in facts]

    def _feedback_factors(self, query: str, candidates: list[signals.Candidate],
                          allowed: frozenset[str], now: datetime) -> dict[str, float]:
        """Item id -> feedback factor of the candidates people voted on for this query,
        counting only the votes this viewer may be influenced by (search.feedback)."""
        if not self.feedback.per_person:
            return {}  # voters not told apart (query_log "none"/"off"): no ranking effect
        votes = self.feedback.votes("result", query)
        ids = {c.id for c in candidates} & {vote.target for vote in votes}
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        targets = {ident: Target(group, author) for ident, group, author in self.catalog.db.execute(
            f"SELECT id, group_id, author FROM items WHERE deleted = 0 AND id IN ({marks})",
            sorted(ids))}
        voters = self.feedback.voters(self.people)
        readable: dict[str, frozenset[str]] = {}

        def readable_by(person: Person) -> frozenset[str]:
            if person.id not in readable:
                readable[person.id] = readable_groups(person, self.groups.values())
            return readable[person.id]

        counted = counted_votes(votes, targets, allowed, voters, readable_by)
        factors = {ident: signals.feedback_factor([(v.helpful, v.at) for v in cast], now)
                   for ident, cast in counted.items()}
        return {ident: factor for ident, factor in factors.items() if factor is not None}

    @staticmethod
    def _candidate(facts: Facts, score: float) -> signals.Candidate:
        return signals.Candidate(facts.rowid, facts.id, score, facts.created, facts.accepted,
                                 facts.reactions)

    def _pinned(self, parsed: ParsedQuery, person: Person | None, allowed: frozenset[str],
                now: datetime) -> dict[str, Item]:
        """Items pinned for this query that the viewer may read, in pin order."""
        if person is None:
            return {}
        audience = allowed | set(person.roles) | {"guest" if person.guest else "employee"}
        found: dict[str, Item] = {}
        for pin in signals.matching_pins(self.curation.pins(), parsed.free_text(), now,
                                         frozenset(audience)):
            item = self.catalog.item(pin.item_id)
            if item is not None and item.group in allowed:  # a pin never widens access
                found.setdefault(item.id, item)
        return found

    @staticmethod
    def _positions(rankings: dict[str, list[tuple[int, float]]]) -> dict[int, dict[str, float]]:
        """Each ranked item's rank and score in each ranking (its first place in it)."""
        explanations: dict[int, dict[str, float]] = {}
        for name, ranking in rankings.items():
            for rank, (key, score) in reversed(list(enumerate(ranking, start=1))):
                explanation = explanations.setdefault(key, {})
                explanation[f"{name}_rank"] = rank
                explanation[f"{name}_score"] = round(score, 4)
        return explanations

    def _hit(self, item: Item, facts: Facts, score: float, terms: tuple[str, ...],
             explanation: dict[str, float], mark: str | None = None) -> Hit:
        author = self.people.get(item.author or "")
        group = self.groups.get(item.group)
        group_name = group.name if group else ("company feed" if item.group == COMPANY_FEED
                                               else item.group)
        text = snippet(item.text, terms)
        return Hit(id=item.id, kind=item.kind, title=item.title, snippet=text,
                   highlights=highlights(text, terms), group=item.group,
                   group_name=group_name, author=item.author,
                   author_name=author.name if author else None, created=item.created,
                   score=score, parent=item.parent, accepted=facts.accepted,
                   thread_title=facts.thread_title,
                   pinned="pinned" in explanation, mark=mark, explanation=explanation)
