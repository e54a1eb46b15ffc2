"""Indexing end to end on a small corpus: incremental runs, prune, lock, params, rebuild."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import IndexMismatchError, LockedError
from core.settings import Settings
from indexer import Catalog, VectorIndex, catalog_path, index_sources, rebuild
from indexer.catalog import ORPHAN
from indexer.fulltext import FullTextIndex
from indexer.pipeline import data_lock
from search import Searcher
from tests.conftest import HashingEncoder, write_jsonl

PEOPLE = [
    {"type": "person", "id": "p-ana", "name": "Ana"},
    {"type": "person", "id": "p-bo", "name": "Bo"},
    {"type": "person", "id": "p-guest", "name": "Gus", "guest": True},
]
GROUPS = [
    {"type": "group", "id": "g-open", "name": "Open", "visibility": "open"},
    {"type": "group", "id": "g-secret", "name": "Secret", "visibility": "secret",
     "members": ["p-bo"]},
]


def post(ident: str, title: str, body: str, group: str | None = "g-open", **extra) -> dict:
    return {"type": "post", "id": ident, "author": "p-ana", "created": "2026-01-05T10:00:00",
            "title": title, "body": body, "group": group, **extra}


def corpus() -> list[dict]:
    return PEOPLE + GROUPS + [
        post("q1", "Kubernetes rollout", "How do I roll back a kubernetes deployment?",
             kind="question"),
        post("a1", "", "Use kubectl rollout undo on the deployment.", kind="answer", parent="q1"),
        post("n1", "Notes de frais", "Comment déclarer mes notes de frais après un déplacement ?"),
        post("s1", "Projet zorbaflux", "Le budget zorbaflux reste confidentiel.", "g-secret"),
        # declares the open group, but its question is secret: must stay secret
        post("s2", "", "zorbaflux answer", "g-open", kind="answer", parent="s1"),
        {"type": "comment", "id": "c1", "post": "q1", "author": "p-bo",
         "created": "2026-01-06T09:00:00", "body": "Also check the rollout history."},
    ]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "network.jsonl", corpus())


def ids(settings: Settings, query: str, viewer: str, mode: str = "lexical") -> list[str]:
    with Searcher.open(settings) as searcher:
        return [hit.id for hit in searcher.search(query, viewer, mode=mode)]


def test_first_run_indexes_everything(settings, source, encoder):
    report = index_sources(settings, [str(source)])
    assert (report.read, report.added, report.skipped) == (11, 11, 0)
    catalog = Catalog(catalog_path(settings))
    assert catalog.counts()["items_by_kind"] == {
        "answer": 2, "comment": 1, "post": 2, "question": 1}
    assert catalog.item("n1").lang == "fr" and catalog.item("q1").lang == "en"
    assert ids(settings, "kubernetes", "p-ana")[0] == "q1"
    assert "q1" in ids(settings, "kubernetes deployment", "p-ana", mode="semantic")
    assert set(ids(settings, "déclarer frais", "p-ana")) == {"n1"}


def test_answers_and_comments_live_in_their_threads_group(settings, source, encoder):
    index_sources(settings, [str(source)])
    catalog = Catalog(catalog_path(settings))
    assert catalog.item("s2").group == "g-secret"
    assert catalog.item("c1").group == "g-open"
    for mode in ("lexical", "semantic", "hybrid"):
        # semantic search always returns neighbours; none may be secret
        assert not {"s1", "s2"} & set(ids(settings, "zorbaflux", "p-ana", mode))
        assert ids(settings, "zorbaflux", "p-guest", mode) == []
        assert ids(settings, "zorbaflux", "nobody", mode) == []
    assert set(ids(settings, "zorbaflux", "p-bo")) == {"s1", "s2"}


def test_second_run_over_unchanged_sources_does_no_work(settings, source, encoder):
    index_sources(settings, [str(source)])
    generation = Catalog(catalog_path(settings)).generation
    vectors_file = settings.data_dir / "vectors" / "manifest.npz"
    stamp = vectors_file.stat().st_mtime_ns
    encoded = encoder.encoded
    report = index_sources(settings, [str(source)])
    assert (report.added, report.updated, report.unchanged) == (0, 0, 11)
    assert encoder.encoded == encoded, "unchanged records must not be re-encoded"
    assert Catalog(catalog_path(settings)).generation == generation
    assert vectors_file.stat().st_mtime_ns == stamp


def test_changed_record_replaces_the_old_one(settings, source, encoder, tmp_path):
    index_sources(settings, [str(source)])
    records = corpus()
    records[5] = post("n1", "Notes de frais", "Le portail Concur remplace le formulaire papier.")
    write_jsonl(source, records)
    report = index_sources(settings, [str(source)])
    assert (report.updated, report.added) == (1, 0)
    assert ids(settings, "Concur", "p-ana") == ["n1"]
    assert ids(settings, "déplacement", "p-ana") == []
    vectors = VectorIndex.open(settings.data_dir / "vectors", settings)
    owners = Catalog(catalog_path(settings)).item("n1").rowid
    assert list(vectors.owners).count(owners) == 1


def test_prune_removes_what_the_source_no_longer_has(settings, source, encoder):
    index_sources(settings, [str(source)])
    write_jsonl(source, [r for r in corpus() if r["id"] != "q1"])
    index_sources(settings, [str(source)])
    assert "q1" in ids(settings, "kubernetes", "p-ana"), "without --prune nothing is removed"
    report = index_sources(settings, [str(source)], prune=True)
    assert report.removed == 1
    for mode in ("lexical", "semantic", "hybrid"):
        assert "q1" not in ids(settings, "kubernetes rollout", "p-ana", mode)
    vectors = VectorIndex.open(settings.data_dir / "vectors", settings)
    assert len(vectors) == sum(1 for r in corpus() if r["type"] != "person"
                               and r["type"] != "group") - 1


def test_malformed_lines_are_reported_and_the_rest_indexed(settings, tmp_path, encoder):
    path = tmp_path / "bad.jsonl"
    lines = [json.dumps(r) for r in PEOPLE + GROUPS]
    lines += ["{not json", json.dumps({"type": "post", "id": "x"}),
              json.dumps({"type": "comment", "id": "c9", "post": "nowhere", "author": "p-ana",
                          "created": "2026-01-01"}),
              json.dumps(post("ok", "Fine", "A valid post after broken ones"))]
    path.write_text("\n".join(lines) + "\n")
    report = index_sources(settings, [str(path)])
    where = sorted(p.location for p in report.problems)
    assert where == ["line 6", "line 7"]
    assert ids(settings, "valid", "p-ana") == ["ok"]
    # a comment on a post not (yet) known is kept, in no group: nobody reads it
    catalog = Catalog(settings.data_dir / "catalog.sqlite")
    try:
        assert catalog.item("c9").group == ORPHAN
    finally:
        catalog.close()


def test_a_second_indexer_is_refused(settings, source, encoder):
    with data_lock(settings), pytest.raises(LockedError, match="being indexed"):
        index_sources(settings, [str(source)])


def test_other_model_or_schema_is_a_clear_error(settings, source, encoder):
    index_sources(settings, [str(source)])
    other = Settings(data_dir=settings.data_dir, embedding_model="another-model")
    with pytest.raises(IndexMismatchError, match="quisait rebuild") as caught:
        VectorIndex.open(settings.data_dir / "vectors", other)
    assert "another-model" in str(caught.value)
    params = settings.data_dir / "fulltext" / "params.json"
    params.write_text(json.dumps({"schema_version": 0, "analyzer_version": 1}))
    with pytest.raises(IndexMismatchError, match="schema_version"):
        FullTextIndex.open(settings.data_dir / "fulltext")


def test_rebuild_recreates_indexes_without_encoding(settings, source, encoder):
    index_sources(settings, [str(source)])
    before = ids(settings, "kubernetes deployment", "p-ana", "hybrid")
    fresh = HashingEncoder()
    encoder.encode = fresh.encode  # count only what rebuild encodes
    report = rebuild(settings)
    assert fresh.encoded == 0
    assert report.fulltext_changes == 6  # q1 a1 n1 s1 s2 c1
    assert ids(settings, "kubernetes deployment", "p-ana", "hybrid") == before


def test_rebuild_of_a_words_only_folder(settings, source):
    """A folder indexed without embeddings (the tuner's hard-negative index) rebuilds its
    full-text index; there are no vectors to swap in, and none appear."""
    words_only = settings.replace(embeddings=False)
    index_sources(words_only, [str(source)])
    before = ids(words_only, "kubernetes deployment", "p-ana")
    assert before and not (settings.data_dir / "vectors").exists()
    report = rebuild(words_only)
    assert report.fulltext_changes == 6
    assert ids(words_only, "kubernetes deployment", "p-ana") == before
    assert not (settings.data_dir / "vectors").exists()
    assert not (settings.data_dir / "rebuild").exists()


def test_corrupt_vector_file_is_a_clear_error(settings, source, encoder):
    index_sources(settings, [str(source)])
    (settings.data_dir / "vectors" / "manifest.npz").write_bytes(b"garbage")
    with pytest.raises(IndexMismatchError, match="rebuild"):
        VectorIndex.open(settings.data_dir / "vectors", settings)
    rebuild(settings)
    assert ids(settings, "kubernetes", "p-ana", "semantic")


def test_a_searcher_following_new_generations_sees_deletions_and_reuses_segments(
        settings, source, encoder):
    """One Searcher kept across index generations (as the server keeps one per thread):
    the reader of a segment that did not change is reused rather than read again; a
    deleted post leaves results and counts at once."""
    index_sources(settings, [str(source)])
    with Searcher.open(settings) as searcher:
        assert [h.id for h in searcher.search("kubernetes", "p-ana", mode="lexical")]
        [(first, _)] = searcher._whoosh_searcher().reader().leaf_readers()
        records = [*corpus(), post("n9", "Kubernetes notes", "Rolling back a kubernetes app.")]
        write_jsonl(source, records)
        index_sources(settings, [str(source)])  # a new segment, no deletion
        assert "n9" in [h.id for h in searcher.search("kubernetes", "p-ana", mode="lexical")]
        readers = [r for r, _ in searcher._whoosh_searcher().reader().leaf_readers()]
        assert first in readers, "the unchanged segment's reader is reused"
        write_jsonl(source, [r for r in records if r["id"] != "a1"])
        index_sources(settings, [str(source)], prune=True)  # a deletion in that segment
        hits = [h.id for h in searcher.search("kubernetes", "p-ana", mode="lexical", limit=50)]
        assert "a1" not in hits and "n9" in hits
        counts = searcher.scope("p-ana").facets("kubernetes")
        assert sum(v.count for v in counts["type"]) == len(hits)
        readers = [r for r, _ in searcher._whoosh_searcher().reader().leaf_readers()]
        assert first not in readers, "a segment with new deletions is read again"


def test_a_first_build_forks_writers_only_without_other_threads(tmp_path: Path):
    """Whoosh's multi-process writer forks; a child forked beside other running threads
    (Ray's, in one process) can wait forever on a lock one of them held, so the
    index then writes in this process instead."""
    import threading

    from whoosh.multiproc import MpWriter

    from indexer import fulltext

    index = FullTextIndex.open(tmp_path / "fulltext", procs=2)
    alone = fulltext._other_threads  # other tests may leave threads behind: pretend none
    fulltext._other_threads = list
    try:
        writer = index._writer(fresh=True)
        assert isinstance(writer, MpWriter)
        writer.cancel()
    finally:
        fulltext._other_threads = alone
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="busy", daemon=True)
    other.start()
    try:
        writer = index._writer(fresh=True)
        assert not isinstance(writer, MpWriter)
        writer.cancel()
    finally:
        stop.set()
        other.join()
