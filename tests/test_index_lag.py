"""What outsiders observe while the vector index lags the catalog.

The catalog is written first and the derived indexes catch up after it
(`indexer.pipeline.update_indexes`); with `embeddings = false` the vectors do not catch
up at all until embeddings are on again.  Meanwhile a vector row still records its
item's old group.  Rows of items the catalog changed after the vectors' generation take
part in nobody's semantic search (`SemanticRetriever._lag`): an outsider's ranks and
scores are those of an index built with the item already moved.
"""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from indexer import index_sources
from search import Searcher
from tests.conftest import write_jsonl
from tests.test_pipeline import corpus


def moved() -> list[dict]:
    return [r if r.get("id") != "n1" else {**r, "group": "g-secret"} for r in corpus()]


def observed(settings: Settings, viewer: str = "p-ana",
             modes: tuple[str, ...] = ("semantic", "hybrid")) -> list[tuple[str, dict]]:
    with Searcher.open(settings) as searcher:
        return [(hit.id, hit.explanation) for mode in modes
                for hit in searcher.search("notes de frais", viewer, mode=mode)]


def observed_fresh(settings: Settings, tmp_path: Path) -> list[tuple[str, dict]]:
    """What the outsider sees in a folder indexed with the item already moved."""
    fresh = settings.replace(data_dir=tmp_path / "fresh")
    index_sources(fresh, [str(write_jsonl(tmp_path / "fresh.jsonl", moved()))])
    return observed(fresh)


def test_a_move_to_a_secret_group_the_vectors_missed_moves_nothing(
        settings: Settings, tmp_path: Path, encoder) -> None:
    index_sources(settings, [str(write_jsonl(tmp_path / "before.jsonl", corpus()))])
    index_sources(settings.replace(embeddings=False),
                  [str(write_jsonl(tmp_path / "after.jsonl", moved()))])
    lagging = observed(settings)
    assert "n1" not in [ident for ident, _ in lagging]  # the item itself never shows
    assert lagging == observed_fresh(settings, tmp_path)


def test_the_moved_item_is_back_for_its_readers_once_the_vectors_catch_up(
        settings: Settings, tmp_path: Path, encoder) -> None:
    index_sources(settings, [str(write_jsonl(tmp_path / "before.jsonl", corpus()))])
    after = write_jsonl(tmp_path / "after.jsonl", moved())
    index_sources(settings.replace(embeddings=False), [str(after)])
    member = [ident for ident, _ in observed(settings, "p-bo", ("semantic",))]
    assert "n1" not in member  # fail closed while its vector row is stale
    index_sources(settings, [str(after)])  # embeddings on again: the vectors catch up
    assert "n1" in [ident for ident, _ in observed(settings, "p-bo", ("semantic",))]
    assert observed(settings) == observed_fresh(settings, tmp_path)
