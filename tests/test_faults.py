"""Faults while indexing and searching: a full disk, damaged or missing index files,
another model, ``kill -9`` of a rebuild.

Each fault must end in a clear error (a ``QuisaitError`` naming what failed and what to
do, never a traceback), leave the indexes of the last good run searchable with the same
results, and be repaired by running the same command again or ``quisait rebuild``, which
takes every vector from the embedding cache (the encoder is never called).
"""

from __future__ import annotations

import errno
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from whoosh.filedb.filestore import FileStorage

from core.errors import IndexMismatchError
from core.settings import Settings
from indexer import Catalog, FullTextIndex, VectorIndex, catalog_path, index_sources
from indexer.pipeline import IndexWriteError
from quisait.cli import ExitCode, cli
from search import Searcher, engine
from tests.conftest import ROOT, HashingEncoder, write_jsonl
from tests.test_pipeline import corpus, post

NEW_POST = post("new1", "Quantum flux capacitor", "A brand new quantum flux capacitor design")
QUERIES = [("kubernetes deployment", "p-ana"), ("quantum flux", "p-ana"), ("frais", "p-ana"),
           ("zorbaflux", "p-bo")]
MODES = ("lexical", "semantic", "hybrid")


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    """The CLI in-process; any exception that is not a QuisaitError escapes (a traceback)."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


def results(settings: Settings) -> dict[tuple[str, str, str], list[str]]:
    """Ids found for every query, viewer and mode."""
    found = {}
    with Searcher.open(settings) as searcher:
        for query, viewer in QUERIES:
            for mode in MODES:
                hits = searcher.search(query, viewer, mode=mode)
                found[(query, viewer, mode)] = [hit.id for hit in hits]
    return found


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def indexed(tmp_path: Path, encoder: HashingEncoder) -> tuple[Settings, Path]:
    """A data folder indexed from ``corpus()``; its source now also holds ``NEW_POST``."""
    source = write_jsonl(tmp_path / "network.jsonl", corpus())
    settings = Settings(data_dir=tmp_path / "data")
    index_sources(settings, [str(source)])
    write_jsonl(source, [*corpus(), NEW_POST])
    return settings, source


def index_command(settings: Settings, source: Path) -> Any:
    return run("--data-dir", str(settings.data_dir), "index", str(source), "--quiet")


# --- a full disk ------------------------------------------------------------------------------

class FullDisk:
    """A file object whose writes fail with ENOSPC once ``budget`` bytes are written."""

    def __init__(self, file: Any, budget: list[int]) -> None:
        self.file, self.budget = file, budget

    def write(self, data: bytes) -> int:
        if len(data) > self.budget[0]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.budget[0] -= len(data)
        return int(self.file.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()


def fill_whoosh_disk(monkeypatch: pytest.MonkeyPatch, names: str, budget: int) -> None:
    """Whoosh files whose name contains ``names`` ("" for all) share ``budget`` bytes."""
    create_file = FileStorage.create_file
    left = [budget]

    def failing(self: FileStorage, name: str, *args: Any, **kwargs: Any) -> Any:
        handle = create_file(self, name, *args, **kwargs)
        if names in name:
            handle.file = FullDisk(handle.file, left)
        return handle

    monkeypatch.setattr(FileStorage, "create_file", failing)


@pytest.mark.parametrize("names, budget", [
    ("", 0),             # the disk is full before the writer writes anything
    ("", 3000),          # it fills up while the new segment is written
    (".seg", 0),         # when the segment's files are assembled at commit
    (".toc.", 0),        # when the new table of contents is written, the commit's last step
], ids=["writer-open", "segment", "compound-file", "toc"])
def test_full_disk_in_the_fulltext_commit(indexed, names, budget):
    settings, source = indexed
    before = results(settings)
    with pytest.MonkeyPatch.context() as patch:
        fill_whoosh_disk(patch, names, budget)
        result = index_command(settings, source)
    assert result.exit_code == ExitCode.ERROR, result.output
    assert "updating the full-text index" in result.output
    assert "No space left on device" in result.output
    assert "run the same command again" in result.output
    # the catalog has the new post, and the vectors may too: only the lexical part is older
    after = results(settings)
    assert {k: v for k, v in after.items() if k[2] == "lexical"} == {
        k: v for k, v in before.items() if k[2] == "lexical"}
    assert "new1" not in after[("quantum flux", "p-ana", "lexical")]
    result = index_command(settings, source)
    assert result.exit_code == ExitCode.OK, result.output
    for mode in MODES:
        assert results(settings)[("quantum flux", "p-ana", mode)][0] == "new1"


def _vector_files(folder: Path) -> dict[str, str]:
    """Digests of the vector index as readers see it: the manifest, and the matrix rows it
    counts (rows a failed writer appended past them are not part of the index)."""
    manifest = folder / "manifest.npz"
    with np.load(manifest) as stored:
        size = len(stored["owners"]) * int(stored["dimension"]) * 4
        matrix = folder / f"matrix-{int(stored['epoch'])}.f32"
    return {"manifest": digest(manifest),
            "rows": hashlib.sha256(matrix.read_bytes()[:size]).hexdigest()}


@pytest.mark.parametrize("where", ["rows", "manifest"])
def test_full_disk_while_writing_the_vector_index(indexed, encoder, where):
    settings, source = indexed
    folder = settings.data_dir / "vectors"
    before, stored = results(settings), _vector_files(folder)
    fdopen, real_open = os.fdopen, open

    def failing_fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:  # the manifest's writer
        handle = fdopen(fd, *args, **kwargs)
        name = os.readlink(f"/proc/self/fd/{fd}")
        return FullDisk(handle, [100]) if ".manifest.npz." in name else handle

    def failing_open(path: Any, *args: Any, **kwargs: Any) -> Any:  # the rows' appender
        handle = real_open(path, *args, **kwargs)
        return FullDisk(handle, [100]) if str(path).endswith(".f32") else handle

    with pytest.MonkeyPatch.context() as patch:
        if where == "manifest":
            patch.setattr("indexer.params.os.fdopen", failing_fdopen)
        else:
            patch.setattr("indexer.vectors.open", failing_open, raising=False)
        with pytest.raises(IndexWriteError, match="updating the vector index.*No space left"):
            index_sources(settings, [str(source)])
    assert _vector_files(folder) == stored, "the index must change whole or not at all"
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.npz", "matrix-0.f32", "params.json", "state.json"], \
        "no temporary file may be left behind"
    after = results(settings)
    assert after[("zorbaflux", "p-bo", "semantic")] == before[("zorbaflux", "p-bo", "semantic")]
    assert "new1" not in after[("quantum flux", "p-ana", "semantic")]
    encoded = encoder.encoded
    report = index_sources(settings, [str(source)])
    assert report.vector_changes == 1 and encoder.encoded == encoded, "new1 came from the cache"
    assert results(settings)[("quantum flux", "p-ana", "semantic")][0] == "new1"


def test_full_catalog_disk_is_a_clear_error_and_the_rerun_completes(indexed):
    settings, source = indexed
    before = results(settings)
    bulk = [post(f"bulk{i}", f"Bulk post {i}", "filler words " * 400) for i in range(80)]
    write_jsonl(source, [*corpus(), NEW_POST, *bulk])
    catalog_init = Catalog.__init__

    def small_disk(self: Catalog, path: Path) -> None:  # SQLite's own "disk is full"
        catalog_init(self, path)
        pages = self.db.execute("PRAGMA page_count").fetchone()[0]
        self.db.execute(f"PRAGMA max_page_count = {pages + 50}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Catalog, "__init__", small_disk)
        result = index_command(settings, source)
    assert result.exit_code == ExitCode.ERROR, result.output
    assert f"importing {source}" in result.output and "full" in result.output
    assert results(settings) == before
    assert index_command(settings, source).exit_code == ExitCode.OK
    assert Catalog(catalog_path(settings)).item("bulk79") is not None


# --- damaged or missing index files -----------------------------------------------------------

def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _drop_an_owner(path: Path) -> None:
    """A readable manifest whose last passage lost its ordinal."""
    with np.load(path) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["ordinals"] = arrays["ordinals"][:-1]
    with open(path, "wb") as out:
        np.savez(out, **arrays)


def _one(folder: Path, pattern: str) -> Path:
    [found] = folder.glob(pattern)
    return found


CORRUPTIONS = {
    "truncated manifest": ("vectors/manifest.npz is unreadable",
                           lambda d: _truncate(d / "manifest.npz")),
    "missing manifest": ("manifest.npz is missing", lambda d: (d / "manifest.npz").unlink()),
    "manifest out of step": ("inconsistent", lambda d: _drop_an_owner(d / "manifest.npz")),
    "truncated matrix": ("the manifest counts", lambda d: _truncate(d / "matrix-0.f32")),
    "missing matrix": ("matrix-0.f32 holds 0 bytes", lambda d: (d / "matrix-0.f32").unlink()),
    "missing toc": ("lost its table of contents", lambda d: _one(d, "*.toc").unlink()),
    "truncated toc": ("fulltext is unreadable", lambda d: _truncate(_one(d, "*.toc"))),
    "missing segment": ("fulltext is unreadable", lambda d: _one(d, "*.seg").unlink()),
    "truncated segment": ("fulltext is unreadable", lambda d: _truncate(_one(d, "*.seg"))),
    "garbage params.json": ("params.json is corrupt",
                            lambda d: (d / "params.json").write_bytes(b"\xff\x00 not json")),
    "params.json not an object": ("not a JSON object",
                                  lambda d: (d / "params.json").write_text("[4, 1]")),
    "params.json missing": ("has no params.json", lambda d: (d / "params.json").unlink()),
    "params.json of another schema": ("schema_version: index has 3", lambda d: (
        d / "params.json").write_text('{"schema_version": 3, "analyzer_version": 1}')),
    "state.json garbage": ("state.json is corrupt",
                           lambda d: (d / "state.json").write_text('{"generation": "x"}')),
}
FOLDER_OF = {name: "vectors" for name in ("truncated manifest", "missing manifest",
                                          "manifest out of step", "truncated matrix",
                                          "missing matrix")}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_damaged_index_files_are_a_clear_error_and_rebuild_repairs_them(indexed, encoder,
                                                                         name):
    settings, source = indexed
    write_jsonl(source, corpus())  # the fixture's new post is not wanted here
    expected = results(settings)
    folder = settings.data_dir / FOLDER_OF.get(name, "fulltext")
    message, damage = CORRUPTIONS[name]
    damage(folder)
    # this process still holds the loaded vectors (a server keeps answering from them);
    # a new process would read the damaged files: forget them
    engine._VECTORS.clear()
    for command in (["search", "kubernetes", "--as", "p-ana"], ["index", str(source), "--quiet"]):
        result = run("--data-dir", str(settings.data_dir), *command)
        assert result.exit_code == ExitCode.MISMATCH, (command, result.output)
        assert message in result.output and "run `quisait rebuild`" in result.output
        assert "Traceback" not in result.output
    calls = encoder.calls
    result = run("--data-dir", str(settings.data_dir), "rebuild", "--quiet")
    assert result.exit_code == ExitCode.OK, result.output
    assert encoder.calls == calls, "rebuild must take every vector from the cache"
    assert results(settings) == expected


def test_damaged_catalog_is_not_sent_to_rebuild(indexed):
    settings, _ = indexed
    catalog_path(settings).write_bytes(b"this is not a database" * 100)
    for path in catalog_path(settings).parent.glob("catalog.sqlite-*"):
        path.unlink()
    with pytest.raises(IndexMismatchError, match="catalog .* is damaged.*backup"):
        Catalog(catalog_path(settings))
    result = run("--data-dir", str(settings.data_dir), "search", "x", "--as", "p-ana")
    assert result.exit_code == ExitCode.MISMATCH and "is damaged" in result.output


def test_rebuild_without_a_catalog_creates_nothing(tmp_path):
    result = run("--data-dir", str(tmp_path / "nowhere"), "rebuild", "--quiet")
    assert result.exit_code == ExitCode.ERROR and "no catalog" in result.output
    assert not (tmp_path / "nowhere" / "catalog.sqlite").exists()


def test_an_index_of_no_items_survives_a_restart(tmp_path, encoder):
    """The vector file is written even when empty: a missing one then always means a loss."""
    source = write_jsonl(tmp_path / "people.jsonl", corpus()[:3])
    settings = Settings(data_dir=tmp_path / "data")
    index_sources(settings, [str(source)])
    assert VectorIndex.open(settings.data_dir / "vectors", settings).rows == 0
    write_jsonl(source, corpus())
    index_sources(settings, [str(source)])
    assert results(settings)[("kubernetes deployment", "p-ana", "semantic")]


# --- another embedding model ------------------------------------------------------------------

def test_a_changed_model_setting_refuses_to_mix_vectors(indexed, encoder):
    settings, source = indexed
    vectors = settings.data_dir / "vectors" / "manifest.npz"
    stored, data = digest(vectors), str(settings.data_dir)
    other = {"QUISAIT_EMBEDDING_MODEL": "another-model"}
    for command in (["search", "kubernetes", "--as", "p-ana"], ["index", str(source), "--quiet"]):
        result = run("--data-dir", data, *command, env=other)
        assert result.exit_code == ExitCode.MISMATCH, result.output
        assert "another-model" in result.output and "all-MiniLM-L6-v2" in result.output
        assert "quisait rebuild" in result.output
    assert digest(vectors) == stored
    with pytest.raises(IndexMismatchError):
        Searcher.open(settings.replace(embedding_model="another-model"))
    # once rebuilt for the new model, the old one is refused in turn
    assert run("--data-dir", data, "rebuild", "--quiet", env=other).exit_code == ExitCode.OK
    result = run("--data-dir", data, "search", "kubernetes", "--as", "p-ana")
    assert result.exit_code == ExitCode.MISMATCH and "another-model" in result.output


# --- kill -9 of a rebuild ---------------------------------------------------------------------

# the CLI with the hashing encoder in place of the model: deterministic, and no model to load
FAKE_MODEL_CLI = """
import sys
sys.path.insert(0, {root!r})
from tests.conftest import HashingEncoder
import indexer.pipeline
import os, time
if os.environ.get("TEST_SLOW_MANIFEST"):  # hold the new manifest's temporary file
    _replace = os.replace                       # long enough to be killed with it in place
    def _slow_replace(src, dst, *args, **kwargs):
        if os.path.basename(str(src)).startswith(".manifest.npz."):
            time.sleep(0.5)
        return _replace(src, dst, *args, **kwargs)
    os.replace = _slow_replace
encoder = HashingEncoder()
indexer.pipeline.load_encoder = lambda settings: encoder
from quisait.cli import main
main()
"""


def quisait(data_dir: Path, *args: str, kill_when: Any = None) -> int:
    """Run the CLI; with ``kill_when``, ``kill -9`` it as soon as ``kill_when(data_dir)``."""
    command = [sys.executable, "-c", FAKE_MODEL_CLI.format(root=str(ROOT)),
               "--data-dir", str(data_dir), *args]
    env = {**os.environ, "QUISAIT_THREADS": "2"}
    if kill_when is not None:
        env["TEST_SLOW_MANIFEST"] = "1"
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if kill_when is None:
        _, err = process.communicate(timeout=600)
        assert process.returncode in (0, ExitCode.PROBLEMS), err.decode()
        return process.returncode
    while process.poll() is None and not kill_when(data_dir):
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    return process.returncode


def generated_posts(count: int) -> list[dict[str, Any]]:
    """Posts of random words, enough for each step of a rebuild to take a while."""
    rng = random.Random(7)
    vocabulary = [f"{rng.choice('bcdfglmnprstv')}{rng.choice('aeiou')}{rng.choice('lmnrst')}"
                  f"{rng.choice('aeiou')}{rng.choice('bcdgkmnpt')}" for _ in range(400)]
    return [{"type": "post", "id": f"gen{i}", "author": "p-claire",
             "created": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00",
             "title": " ".join(rng.choices(vocabulary, k=5)),
             "body": " ".join(rng.choices(vocabulary, k=rng.randint(30, 300)))}
            for i in range(count)]


def snapshot(data_dir: Path) -> dict[str, Any]:
    """Everything a rebuild derives, in a form that does not depend on segment layout."""
    settings = Settings(data_dir=data_dir)
    fulltext = FullTextIndex.open(data_dir / "fulltext")
    with fulltext.searcher() as searcher:
        documents = sorted((f["id"], f["group"], f["kind"]) for f in searcher.all_stored_fields())
    vectors = VectorIndex.open(data_dir / "vectors", settings)
    live = vectors.owners >= 0
    passages = sorted(zip(vectors.owners[live].tolist(), vectors.ordinals[live].tolist(),
                          strict=True))
    catalog = Catalog(catalog_path(settings))
    keyphrases = catalog.db.execute(
        "SELECT item_rowid, phrase, round(score, 6) FROM keyphrases ORDER BY 1, 2").fetchall()
    catalog.close()
    return {"documents": documents, "passages": passages, "keyphrases": keyphrases,
            "generations": (fulltext.generation, vectors.generation)}


@pytest.fixture(scope="module")
def sample_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The sample corpus and 1,500 generated posts, indexed; the snapshot of a clean rebuild."""
    from indexer.sample import DOCUMENTS_DIR, NETWORK_PATH

    folder = tmp_path_factory.mktemp("sample")
    generated = write_jsonl(folder / "generated.jsonl", generated_posts(1500))
    data_dir = folder / "data"
    quisait(data_dir, "index", str(NETWORK_PATH), str(DOCUMENTS_DIR), str(generated), "--quiet")
    quisait(data_dir, "rebuild", "--quiet")
    return data_dir, snapshot(data_dir)


def _rebuilding(data_dir: Path) -> bool:
    return "process" in (data_dir / "lock").read_text()


KILL_WHEN = {  # each step of a rebuild, seen from the files it leaves
    "started": lambda d: _rebuilding(d),
    "key phrases": lambda d: _rebuilding(d) and not (d / "rebuild").exists(),
    "full text": lambda d: any((d / "rebuild" / "fulltext").glob("*.seg")) or any(
        (d / "rebuild" / "fulltext").glob("*.trm")),
    "vectors": lambda d: (d / "rebuild" / "fulltext" / "state.json").exists(),
    "vector file": lambda d: any((d / "rebuild" / "vectors").glob(".manifest.npz.*")),
}


@pytest.mark.slow
@pytest.mark.parametrize("step", list(KILL_WHEN))
def test_killed_rebuild_then_rebuild_equals_a_clean_rebuild(tmp_path, sample_data, step):
    source, clean = sample_data
    data_dir = tmp_path / "data"
    shutil.copytree(source, data_dir)
    code = quisait(data_dir, "rebuild", "--quiet", kill_when=KILL_WHEN[step])
    assert code == -signal.SIGKILL, "the rebuild ended before it could be killed"
    assert snapshot(data_dir) == clean, "the old indexes answer until the new ones are ready"
    quisait(data_dir, "rebuild", "--quiet")
    assert snapshot(data_dir) == clean


def test_a_rebuild_killed_between_its_renames_is_completed_by_the_next_writer(indexed):
    """The old full-text folder moved aside, the new one not yet in place: the next holder
    of the data lock puts the rebuilt one in place."""
    from indexer.pipeline import STAGING, data_lock

    settings, _ = indexed
    expected = results(settings)
    data = settings.data_dir
    (data / STAGING).mkdir()
    shutil.copytree(data / "fulltext", data / STAGING / "fulltext")
    os.rename(data / "fulltext", data / ".replaced-fulltext")
    with data_lock(settings):
        pass
    assert sorted(p.name for p in data.iterdir() if p.is_dir()) == ["fulltext", "vectors"]
    assert results(settings) == expected
