"""The full-text index: a Whoosh index derived from the catalog.

Each item fills the title/body fields of its language (``title_fr``/``body_fr``
or ``title_en``/``body_en``), so each is analyzed by the right analyzer; a query
is parsed against both.  The ``group`` field holds the item's ACL token so that
search can filter by permission inside the query.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from pathlib import Path
from typing import Any

from whoosh import scoring
from whoosh.fields import BOOLEAN, DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.filedb.filestore import FileStorage, RamStorage, Storage

from core.errors import IndexMismatchError, LockedError
from indexer import whoosh_io
from indexer.analysis import ANALYZER_VERSION, LANGUAGES, analyzer_for, spelling_analyzer
from indexer.catalog import Catalog, Item
from indexer.params import REBUILD_HINT, IndexState, check_params, write_params

log = logging.getLogger(__name__)


def _other_threads() -> list[threading.Thread]:
    """Running threads besides the main one and tqdm's progress-bar monitor (which only
    sleeps and refreshes bars)."""
    return [thread for thread in threading.enumerate()
            if thread is not threading.main_thread() and thread.name != "tqdm_monitor"]

whoosh_io.install()  # segment files read in place, not copied (see indexer.whoosh_io)

SCHEMA_VERSION = 4
INDEX_NAME = "quisait"
BM25_K1 = 0.9
BM25_B = 0.4


def build_schema() -> Schema:
    """The Whoosh schema; bump ``SCHEMA_VERSION`` when it changes."""
    fields = {
        "id": ID(stored=True, unique=True),
        "rowid": NUMERIC(int, bits=64, stored=True, signed=False, sortable=True),
        "type": ID(stored=True),
        "kind": ID(stored=True, sortable=True),
        "group": ID(stored=True, sortable=True),
        "author": ID(stored=True, sortable=True),
        "parent": ID(stored=True),
        "lang": ID(stored=True, sortable=True),
        "year": ID(sortable=True),
        "tags": KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        "created": DATETIME(stored=True, sortable=True),
        "accepted": BOOLEAN(stored=True),
        "answered": BOOLEAN(stored=True),
        "reactions": NUMERIC(int, stored=True, sortable=True),
    }
    # unstemmed, unfolded words: the vocabulary "did you mean" suggests from
    fields["spell"] = TEXT(analyzer=spelling_analyzer())
    for lang in LANGUAGES:
        analyzer = analyzer_for(lang)
        fields[f"title_{lang}"] = TEXT(analyzer=analyzer, phrase=True, field_boost=1.0)
        fields[f"body_{lang}"] = TEXT(analyzer=analyzer, phrase=True)
    return Schema(**fields)


def document_fields(item: Item, answered: bool, accepted: bool) -> dict[str, object]:
    """The Whoosh document for a live item (thread facts come from the catalog)."""
    record = item.record
    lang = item.lang if item.lang in LANGUAGES else "en"
    return {
        "id": item.id,
        "rowid": item.rowid,
        "type": item.type,
        "kind": item.kind,
        "group": item.group,
        "author": item.author or "",
        "parent": item.parent or "",
        "lang": lang,
        "tags": ",".join(item.tags),
        "created": item.created.replace(tzinfo=None),
        "year": str(item.created.year),
        "spell": f"{item.title}\n{item.text}",
        "accepted": accepted,
        "answered": answered,
        "reactions": int(getattr(record, "reactions", 0)),
        f"title_{lang}": item.title,
        # the body field holds the title too (one "contents" field, as BM25 baselines do);
        # the title field adds its own, boosted, evidence on top
        f"body_{lang}": f"{item.title}\n\n{item.text}" if item.title else item.text,
    }


def _params() -> dict[str, object]:
    return {"schema_version": SCHEMA_VERSION, "analyzer_version": ANALYZER_VERSION}


class RobertsonBM25F(scoring.BM25F):
    """BM25F with the Robertson-Sparck Jones idf of Lucene and Anserini,
    ``ln(1 + (N - n + 0.5) / (n + 0.5))``, instead of Whoosh's ``ln(N / (n + 1)) + 1``
    (which gives common words too much weight), and Anserini's k1 0.9, b 0.4."""

    def idf(self, searcher, fieldname, text):
        frequency = searcher.doc_frequency(fieldname, text)
        total = searcher.doc_count_all()
        return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))


def _has_toc(folder: Path) -> bool:
    """True if ``folder`` holds a table of contents (found by name, so a corrupt one too)."""
    return any(folder.glob(f"_{INDEX_NAME}_*.toc"))


class FullTextIndex:
    """A Whoosh index in a folder (or in memory), with the catalog generation it reflects."""

    def __init__(self, storage: Storage, state: IndexState, procs: int = 1) -> None:
        self.storage = storage
        self.procs = procs
        self.state = state
        if storage.index_exists(INDEX_NAME):
            self.index = storage.open_index(INDEX_NAME)
        else:
            self.index = storage.create_index(build_schema(), indexname=INDEX_NAME)
            self.state.generation = 0  # a new index reflects nothing, whatever state.json said

    @classmethod
    def open(cls, folder: Path, procs: int = 1) -> FullTextIndex:
        """Open (or create) the index in ``folder``.

        Other parameters, or files missing or corrupt, are an ``IndexMismatchError`` that
        says what is wrong and how to fix it (rather than a Whoosh traceback, or an empty
        index silently put in place of a broken one).
        """
        folder.mkdir(parents=True, exist_ok=True)
        storage = FileStorage(str(folder))
        exists = _has_toc(folder)
        if exists or (folder / "params.json").exists():
            check_params(folder, _params(), what="full-text index")  # raises if params missing
        else:
            write_params(folder, _params())
        state = IndexState(folder / "state.json")
        if not exists:
            if state.generation:
                raise IndexMismatchError(
                    f"full-text index in {folder} has lost its table of contents "
                    f"(_{INDEX_NAME}_*.toc) though it reflected catalog generation "
                    f"{state.generation}; {REBUILD_HINT}")
            return cls(storage, state, procs)
        try:
            index = cls(storage, state, procs)
            index.verify()
        except Exception as exc:  # a broken index raises anything: pickle, EOF, OSError...
            raise IndexMismatchError(
                f"full-text index in {folder} is unreadable ({type(exc).__name__}: {exc}); "
                f"{REBUILD_HINT}") from None
        return index

    def verify(self) -> None:
        """Open every segment once, so that a missing or truncated file is found now
        rather than by the first query."""
        reader = self.index.reader()
        try:
            reader.doc_count_all()
        finally:
            reader.close()

    @classmethod
    def in_memory(cls) -> FullTextIndex:
        """A throw-away index held in RAM (tests, evaluation)."""
        return cls(RamStorage(), IndexState(None))

    @property
    def generation(self) -> int:
        return self.state.generation

    def committed_generation(self) -> int:
        """The catalog generation the committed index reflects at least, as saved after
        the last commit (by any process).  Read it before opening a searcher: the
        searcher then reflects this generation or a newer one."""
        return self.state.saved()

    def catch_up(self, catalog: Catalog, progress: object | None = None) -> int:
        """Apply every catalog change newer than this index; returns the number applied."""
        target = catalog.generation
        if target <= self.generation:
            return 0
        fresh = self.index.doc_count_all() == 0
        # the write lock is ours, not the writer's: a writer that fails half-way (a full
        # disk) cannot always release it, and a server would then never write again
        lock = self.index.lock("WRITELOCK")
        if not lock.acquire(False):  # blocking=False, for file and RAM locks alike
            raise LockedError("the full-text index is being written by another process")
        try:
            applied = self._apply(catalog, target, fresh, progress)
        finally:
            lock.release()
        self.state.save(target)
        log.info("full-text index at generation %d (%d changes)", target, applied)
        return applied

    def _apply(self, catalog: Catalog, target: int, fresh: bool,
               progress: object | None) -> int:
        """Write the changes up to generation ``target`` in one commit (or none)."""
        writer = self._writer(fresh)
        applied = 0
        try:
            for item in catalog.changed_items(self.generation, target):
                if item.deleted:
                    writer.delete_by_term("id", item.id)
                elif fresh:  # nothing to replace: skip update_document's lookup
                    writer.add_document(**document_fields(item, *catalog.thread_facts(item)))
                else:
                    writer.update_document(**document_fields(item, *catalog.thread_facts(item)))
                applied += 1
                if progress is not None:
                    progress.update(1)  # type: ignore[attr-defined]
            writer.commit()
        except BaseException:
            with contextlib.suppress(Exception):  # cleaning up after a full disk may fail too
                writer.cancel()
            raise
        return applied

    def _writer(self, fresh: bool):
        """A writer (the caller holds the lock); a big first build analyses documents in
        ``procs`` processes, forked, so only from a process with no other thread but
        tqdm's monitor (a child forked beside running threads can wait forever on a lock
        one of them held: seen after Ray had started its threads in the same process)."""
        if (fresh and self.procs > 1 and isinstance(self.storage, FileStorage)
                and not _other_threads()):
            return self.index.writer(procs=self.procs, limitmb=128, multisegment=True,
                                     _lk=False, subargs={"limitmb": 128})
        return self.index.writer(limitmb=256, _lk=False)

    def searcher(self, previous: Any = None) -> Any:
        """A Whoosh searcher over the latest committed segments (see :class:`RobertsonBM25F`).

        With ``previous`` (an older searcher of this index, which must not be used or
        closed afterwards), the readers of its segments that did not change are reused:
        opening a segment reads its term index into memory (a fifth of a server's time
        under writes at 100k posts).  Not Whoosh's ``refresh()``: it reuses a segment's
        reader even when the segment gained deletions, with the old deletions."""
        weighting = RobertsonBM25F(K1=BM25_K1, B=BM25_B)
        if previous is None:
            return self.index.searcher(weighting=weighting)
        from whoosh.reading import MultiReader, SegmentReader
        from whoosh.searching import Searcher

        reusable = {reader.segment().segment_id(): reader
                    for reader, _ in previous.reader().leaf_readers()
                    if isinstance(reader, SegmentReader)}
        try:
            toc = self.index._read_toc()  # whoosh-reloaded 2.7's table of contents
            if not toc.segments:
                return self.index.searcher(weighting=weighting)
            readers = []
            for segment in toc.segments:
                old = reusable.get(segment.segment_id())
                if old is not None and old.segment().deleted_count() == segment.deleted_count():
                    readers.append(reusable.pop(segment.segment_id()))
                else:
                    readers.append(SegmentReader(self.storage, toc.schema, segment,
                                                 generation=toc.generation))
            reader = MultiReader(readers, generation=toc.generation)
        except Exception:  # a merge removed a segment file meanwhile: open afresh
            log.debug("reopening the full-text index whole", exc_info=True)
            return self.index.searcher(weighting=weighting)
        finally:
            for unused in reusable.values():
                unused.close()
        return Searcher(reader, weighting=weighting, fromindex=self.index)

    def doc_count(self) -> int:
        return int(self.index.doc_count())
