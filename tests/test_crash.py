"""``kill -9`` during indexing, then the same command again: the counts of an uninterrupted run.

Runs the real CLI in subprocesses on the sample corpus (JSONL export and shared
documents) with the real embedding model, kills it at several moments (loading,
reading, encoding), and compares the final catalog, full-text, key-phrase and
vector counts with those of a run that was never interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.settings import Settings
from indexer import Catalog, FullTextIndex, VectorIndex, catalog_path
from indexer.sample import DOCUMENTS_DIR, NETWORK_PATH
from tests.conftest import SHARED_DATA

DUMP = SHARED_DATA / "stackexchange" / "french-meta"
pytestmark = pytest.mark.slow


def run_index(data_dir: Path, kill_after: float | None = None) -> int:
    command = [sys.executable, "-m", "quisait", "--data-dir", str(data_dir), "index",
               str(NETWORK_PATH), str(DOCUMENTS_DIR), "--quiet"]
    env = {**os.environ, "QUISAIT_THREADS": "2"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if kill_after is None:
        process.communicate(timeout=900)
        return process.returncode
    time.sleep(kill_after)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    return process.returncode


def snapshot(data_dir: Path) -> dict[str, object]:
    settings = Settings(data_dir=data_dir)
    catalog = Catalog(catalog_path(settings))
    counts = catalog.counts()
    live = catalog.db.execute("SELECT COUNT(*) FROM items WHERE deleted = 0").fetchone()[0]
    vectors = VectorIndex.open(data_dir / "vectors", settings)
    fulltext = FullTextIndex.open(data_dir / "fulltext")
    result = {
        "entities": counts["entities"],
        "kinds": counts["items_by_kind"],
        "fulltext_docs": fulltext.doc_count(),
        "vectors_live_items": len(set(vectors.owners[vectors.owners >= 0].tolist())),
        "vectors": len(vectors),
        "keyphrase_items": catalog.db.execute(
            "SELECT COUNT(DISTINCT item_rowid) FROM keyphrases").fetchone()[0],
    }
    assert result["fulltext_docs"] == live
    catalog.close()
    return result


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    data_dir = tmp_path_factory.mktemp("reference")
    assert run_index(data_dir) == 0
    return snapshot(data_dir)


@pytest.mark.parametrize("kill_after", [2.5, 9.0])
def test_killed_run_then_rerun_matches_an_uninterrupted_run(tmp_path, reference, kill_after):
    data_dir = tmp_path / "data"
    assert run_index(data_dir, kill_after) == -signal.SIGKILL
    assert run_index(data_dir) == 0
    assert snapshot(data_dir) == reference


@pytest.mark.skipif(not DUMP.is_dir(), reason="shared Stack Exchange dump not available")
def test_second_indexer_is_refused_while_the_first_runs(tmp_path):
    data_dir = tmp_path / "data"
    command = [sys.executable, "-m", "quisait", "--data-dir", str(data_dir), "index",
               str(DUMP), "--quiet", "--no-embeddings"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not (data_dir / "lock").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        second = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert second.returncode == 4, second.stderr
        assert "being indexed" in second.stderr
    finally:
        first.kill()
        first.wait()
