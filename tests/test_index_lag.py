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
from indexer.fulltext import FullTextIndex
from search import Searcher
from tests.conftest import write_jsonl
from tests.test_pipeline import corpus, post


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


# -- the full-text side ----------------------------------------------------------------
#
# An index run writes the catalog, then commits the full-text index, then saves its
# generation (`FullTextIndex.catch_up`).  In between, the moved item's document still
# carries its old group and words.  Documents of items changed after the saved
# generation count for nobody (`LexicalView.live`): not in matches, BM25 statistics,
# facet counts or spelling suggestions.  Simulated here by a run whose full-text
# catch-up does nothing, as if the server searched between the two writes.

def lexical_corpus(move: bool = False) -> list[dict]:
    """The pipeline corpus with open posts sharing n1's words, so that n1's document
    weighs on their scores."""
    extra = [post("f1", "Frais de déplacement", "Les frais de transport sont remboursés."),
             post("f2", "Frais de repas", "Les frais de repas ont un plafond.")]
    records = corpus() + extra
    return [{**r, "group": "g-secret"} if move and r.get("id") == "n1" else r
            for r in records]


def lexical_observed(searcher: Searcher, viewer: str = "p-ana") -> dict:
    scope = searcher.scope(viewer)
    return {"hits": [(h.id, h.explanation) for h in scope.search("frais déplacement",
                                                                 mode="lexical")],
            "facets": scope.facets("frais"),
            "suggestion": scope.suggest("déclarr")}


def catalog_only(settings: Settings, records: list[dict], path: Path, monkeypatch) -> None:
    """An index run stopped between its catalog write and its full-text commit."""
    with monkeypatch.context() as patch:
        patch.setattr(FullTextIndex, "catch_up", lambda self, catalog, progress=None: 0)
        index_sources(settings.replace(embeddings=False), [str(write_jsonl(path, records))])


def test_a_move_the_full_text_index_missed_moves_nothing(
        settings: Settings, tmp_path: Path, monkeypatch) -> None:
    words = settings.replace(embeddings=False)
    index_sources(words, [str(write_jsonl(tmp_path / "before.jsonl", lexical_corpus()))])
    with Searcher.open(words) as running:  # a server, open before the run
        before = lexical_observed(running)
        catalog_only(settings, lexical_corpus(move=True), tmp_path / "after.jsonl",
                     monkeypatch)
        lagging = lexical_observed(running)
    with Searcher.open(words) as opened:  # and one opened meanwhile
        assert lexical_observed(opened) == lagging
    fresh = words.replace(data_dir=tmp_path / "fresh")
    index_sources(fresh, [str(write_jsonl(tmp_path / "fresh.jsonl",
                                          lexical_corpus(move=True)))])
    with Searcher.open(fresh) as searcher:
        assert lagging == lexical_observed(searcher)
    assert lagging != before  # the move changes what the outsider sees, as it should


def test_the_moved_item_is_back_in_word_search_once_the_index_catches_up(
        settings: Settings, tmp_path: Path, monkeypatch) -> None:
    words = settings.replace(embeddings=False)
    index_sources(words, [str(write_jsonl(tmp_path / "before.jsonl", lexical_corpus()))])
    with Searcher.open(words) as running:
        catalog_only(settings, lexical_corpus(move=True), tmp_path / "after.jsonl",
                     monkeypatch)
        member = [h.id for h in running.search("notes de frais", "p-bo", mode="lexical")]
        assert "n1" not in member  # fail closed while its document is stale
        index_sources(words, [str(tmp_path / "after.jsonl")])  # the index catches up
        assert "n1" in [h.id for h in running.search("notes de frais", "p-bo",
                                                     mode="lexical")]
        assert "n1" not in [h.id for h in running.search("notes de frais", "p-ana",
                                                         mode="lexical")]
