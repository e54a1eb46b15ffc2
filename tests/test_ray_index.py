"""Indexing on a Ray cluster writes exactly what local indexing writes.

A real cluster runs on this machine for the module: a head and a second node, each with one
CPU, every process on 127.0.0.1.  The encoder is the hashing one (shipped to the workers by
``encoder_factory``) except in one test, which encodes with the packaged model on the workers.
Ray is imported inside fixtures and tests only: collecting this file must not import it.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from core.settings import Settings
from indexer import Catalog, catalog_path, index_sources
from indexer.distributed import RayIndexReport, index_sources_on_ray
from indexer.fulltext import FullTextIndex
from indexer.sample import DOCUMENTS_DIR, FEED_PATH, NETWORK_PATH
from indexer.vectors import VectorIndex
from quisait.cli import ExitCode, cli
from quisait.demo import FEED_GROUP
from search import Searcher
from tests.bounded import deadline
from tests.conftest import ROOT, write_jsonl
from tests.hashing import HashingEncoder, hashing_encoder

pytestmark = pytest.mark.slow

TEST_SECONDS = 90  # each test; the cluster has its own bound
QUERIES = ["notes de frais déplacement", "Kubernetes deployment rollback", "RGPD données",
           "Modbus register map"]


@pytest.fixture(autouse=True)
def bounded() -> Iterator[None]:
    with deadline(TEST_SECONDS):
        yield


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A head node and a worker node, one CPU each, on 127.0.0.1; torn down at the end."""
    from ray.cluster_utils import Cluster

    with deadline(60):
        cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False})
        try:
            cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
        except BaseException:
            cluster.shutdown()
            raise
    try:
        yield cluster
    finally:
        cluster.shutdown()


def hashing_settings(folder: Path) -> Settings:
    return Settings(data_dir=folder, embedding_model="test-hashing")


def on_ray(cluster: Any, settings: Settings, sources: list[str], **options: Any) -> RayIndexReport:
    return index_sources_on_ray(settings, sources, address=cluster.address,
                                encoder_factory=hashing_encoder, **options)


def sample_runs(index: Any, settings: Settings) -> list[Any]:
    """The sample corpus, as the demo indexes it: network and documents, then the feed."""
    return [index(settings, [str(NETWORK_PATH), str(DOCUMENTS_DIR)]),
            index(settings, [str(FEED_PATH)], fmt="rss", group=FEED_GROUP)]


@pytest.fixture(scope="module")
def sample_pair(cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample corpus indexed locally and on the cluster, each in its own data folder."""
    fake = HashingEncoder()
    local, remote = (hashing_settings(tmp_path_factory.mktemp(name)) for name in ("local", "ray"))
    with deadline(TEST_SECONDS), pytest.MonkeyPatch.context() as patch:
        patch.setattr("indexer.pipeline.load_encoder", lambda settings: fake)
        local_reports = sample_runs(index_sources, local)
        encoded_here = fake.encoded
        ray_reports = sample_runs(lambda s, src, **kw: on_ray(cluster, s, src, **kw), remote)
        encoded_by_driver = fake.encoded - encoded_here
    return {"local": local, "ray": remote, "local_reports": local_reports,
            "ray_reports": ray_reports, "encoded_here": encoded_here,
            "encoded_by_driver": encoded_by_driver}


# -- what the two data folders hold ------------------------------------------------------------

TABLES = ["meta", "entities", "memberships", "items", "keyphrases", "embeddings"]


def catalog_rows(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every catalog table, but for the one wall-clock time.

    The meta table's ``generation_at`` says when the content last changed (the
    metrics' age of the last ingest): two runs a second apart differ there and
    nowhere else.
    """
    db = sqlite3.connect(settings.data_dir / "catalog.sqlite")
    try:
        rows = {table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
                for table in TABLES}
        if "meta" in rows:
            rows["meta"] = [row for row in rows["meta"] if row[0] != "generation_at"]
        return rows
    finally:
        db.close()


def fulltext_contents(settings: Settings) -> tuple[list[dict[str, Any]], list[Any], int]:
    index = FullTextIndex.open(settings.data_dir / "fulltext")
    with index.index.reader() as reader:
        stored = sorted(reader.all_stored_fields(), key=lambda fields: fields["id"])
        return stored, list(reader.all_terms()), index.generation


def vector_contents(settings: Settings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(owners, ordinals, vectors of the live ids) of the vector index."""
    index = VectorIndex.open(settings.data_dir / "vectors", settings)
    live = np.flatnonzero(index.owners >= 0)
    return index.owners, index.ordinals, index.vectors(live)


def rankings(settings: Settings, mode: str = "hybrid") -> list[list[tuple[str, float]]]:
    with Searcher.open(settings) as searcher:
        return [[(hit.id, round(hit.score, 5))
                 for hit in searcher.search(query, viewer="p-claire", mode=mode, limit=10)]
                for query in QUERIES]


def assert_same_catalog(local: Settings, remote: Settings) -> None:
    local_rows, ray_rows = catalog_rows(local), catalog_rows(remote)
    for table in TABLES:
        assert ray_rows[table] == local_rows[table], table


# -- tests ----------------------------------------------------------------------------------------


def test_the_driver_joins_a_loopback_cluster_on_loopback(cluster):
    import ray

    from indexer.distributed import _ray_session

    with _ray_session(cluster.address):
        nodes = [node for node in ray.nodes() if node["Alive"]]
        assert len(nodes) == 2
        assert {node["NodeManagerAddress"] for node in nodes} == {"127.0.0.1"}
        assert ray.cluster_resources()["CPU"] == 2
    assert not ray.is_initialized()  # what it connected, it disconnected


def test_sample_corpus_on_ray_is_identical_to_local(sample_pair, encoder):
    local, remote = sample_pair["local"], sample_pair["ray"]
    first, feed = sample_pair["ray_reports"]
    assert (first.read, first.added, first.skipped) == (466, 466, 0)
    assert first.workers == 2 and first.nodes == 2  # one encoder on each node
    assert first.passages_sent + feed.passages_sent == sample_pair["encoded_here"] > 400
    assert sample_pair["encoded_by_driver"] == 0  # the workers encoded everything
    for ray_report, local_report in zip(sample_pair["ray_reports"], sample_pair["local_reports"],
                                        strict=True):
        assert (ray_report.read, ray_report.added, ray_report.fulltext_changes,
                ray_report.vector_changes) == (local_report.read, local_report.added,
                                               local_report.fulltext_changes,
                                               local_report.vector_changes)
    assert_same_catalog(local, remote)
    assert fulltext_contents(remote) == fulltext_contents(local)
    ray_owners, ray_ordinals, ray_vectors = vector_contents(remote)
    local_owners, local_ordinals, local_vectors = vector_contents(local)
    assert np.array_equal(ray_owners, local_owners)
    assert np.array_equal(ray_ordinals, local_ordinals)
    assert np.allclose(ray_vectors, local_vectors)
    ranked = rankings(remote)
    assert ranked == rankings(local)
    assert all(ranked)  # the queries find something: the comparison is not vacuous


def test_a_second_run_encodes_nothing_and_changes_nothing(sample_pair, cluster, encoder):
    remote = sample_pair["ray"]
    before = catalog_rows(remote)
    files = {path: path.stat().st_mtime_ns for path in remote.data_dir.rglob("*")
             if path.is_file() and path.name != "lock"}
    reports = sample_runs(lambda s, src, **kw: on_ray(cluster, s, src, **kw), remote)
    assert [(r.read, r.unchanged, r.added, r.updated) for r in reports] == [
        (466, 466, 0, 0), (7, 7, 0, 0)]
    assert all(r.passages_sent == 0 and r.workers == 0 for r in reports)  # no encoder started
    assert all(r.fulltext_changes == 0 and r.vector_changes == 0 for r in reports)
    assert encoder.encoded == 0
    assert catalog_rows(remote) == before
    assert {path: path.stat().st_mtime_ns for path in files} == files


def test_prune_problems_and_cache_as_locally(cluster, tmp_path, encoder):
    people = [{"type": "person", "id": f"p-{n}", "name": f"Person {n}"} for n in range(3)]
    posts = [{"type": "post", "id": f"post-{n}", "author": "p-0", "title": f"Title {n}",
              "body": f"body number {n} about pumps and valves", "created": f"2025-03-0{n}"}
             for n in range(1, 6)]
    edited = {**posts[1], "body": "body number 2 about compressors"}
    export = tmp_path / "export.jsonl"
    versions = [  # post-2 edited, post-3 gone, a broken line 6; then post-2 edited back
        people + posts,
        people + [posts[0], edited] + posts[3:],
        people + posts[:2] + posts[3:],
    ]
    folders = {"local": hashing_settings(tmp_path / "local"),
               "ray": hashing_settings(tmp_path / "ray")}
    runs = {"local": index_sources, "ray": lambda s, src, **kw: on_ray(cluster, s, src, **kw)}
    reports: dict[str, list[Any]] = {"local": [], "ray": []}
    for number, records in enumerate(versions):
        write_jsonl(export, records)
        if number == 1:
            lines = export.read_text().splitlines()
            export.write_text("\n".join([*lines[:5], '{"type": "post", "id": ', *lines[5:]]))
        for name, settings in folders.items():
            encoded = encoder.encoded
            reports[name].append(runs[name](settings, [str(export)], prune=number > 0))
            assert name == "local" or encoder.encoded == encoded  # the workers encode
        assert_same_catalog(folders["local"], folders["ray"])
    (_, pruned, reverted), local = reports["ray"], reports["local"]
    assert (pruned.removed, pruned.updated) == (local[1].removed, local[1].updated) == (1, 1)
    assert pruned.problems == local[1].problems
    assert [(p.source, p.location) for p in pruned.problems] == [(str(export), "line 6")]
    assert pruned.passages_sent == 1  # only the edited post's passage
    assert reverted.updated == reverted.vector_changes == 1
    assert reverted.passages_sent == 0  # its passage was in the cache: nothing sent out
    assert fulltext_contents(folders["ray"]) == fulltext_contents(folders["local"])
    assert rankings(folders["ray"], "semantic") == rankings(folders["local"], "semantic")


def test_the_packaged_model_encodes_on_the_workers(cluster, tmp_path):
    """The real encoder (Settings defaults) on both nodes gives the local vectors."""
    lines = NETWORK_PATH.read_text(encoding="utf-8").splitlines()
    subset = tmp_path / "subset.jsonl"
    subset.write_text("\n".join(lines[:52] + lines[52:76]) + "\n")  # people, groups, 24 posts
    local, remote = Settings(data_dir=tmp_path / "local"), Settings(data_dir=tmp_path / "ray")
    local_report = index_sources(local, [str(subset)])
    report = index_sources_on_ray(remote, [str(subset)], address=cluster.address)
    assert report.vector_changes == local_report.vector_changes == 24
    assert report.nodes == 2
    ray_owners, ray_ordinals, ray_vectors = vector_contents(remote)
    # every distinct passage went out once (a post longer than the window has several)
    catalog = Catalog(catalog_path(remote))
    cached = catalog.db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    catalog.close()
    assert report.passages_sent == cached >= 24
    local_owners, local_ordinals, local_vectors = vector_contents(local)
    assert np.array_equal(ray_owners, local_owners)
    assert np.array_equal(ray_ordinals, local_ordinals)
    assert np.allclose(ray_vectors, local_vectors, atol=1e-5)
    assert np.allclose(np.linalg.norm(ray_vectors, axis=1), 1.0, atol=1e-5)  # a real model's
    assert [ids[:3] for ids in rankings(remote, "semantic")] == [
        ids[:3] for ids in rankings(local, "semantic")]


def test_cli_index_with_the_ray_engine(cluster, tmp_path, encoder):
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    extra = [write_jsonl(tmp_path / f"extra-{n}.jsonl", [
        {"type": "post", "id": f"x-{n}", "author": "p-claire", "title": f"Extra {n}",
         "body": "notes de frais", "created": "2025-06-01"}]) for n in range(2)]
    sources = [str(NETWORK_PATH), str(DOCUMENTS_DIR), *map(str, extra)]  # more than read ahead
    result = runner.invoke(cli, [*data, "index", *sources, "--engine", "ray",
                                 "--address", cluster.address, "--workers", "1", "--quiet"],
                           catch_exceptions=False)
    assert result.exit_code == ExitCode.OK, result.output
    assert "read 468 records: 468 added" in result.output
    assert "on 1 Ray workers" in result.output
    assert encoder.encoded == 0  # the default factory (the patched load_encoder) went to Ray
    result = runner.invoke(cli, [*data, "search", "notes de frais", "--as", "p-claire"])
    assert result.exit_code == ExitCode.OK and "frais" in result.output
    result = runner.invoke(cli, [*data, "index", str(NETWORK_PATH), "--workers", "2"])
    assert result.exit_code == ExitCode.USAGE and "--engine ray" in result.output


def test_importing_the_project_does_not_import_ray():
    code = ("import sys, quisait.cli, indexer, indexer.distributed, search, expertise, web; "
            "sys.exit(any(m == 'ray' or m.startswith('ray.') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0
