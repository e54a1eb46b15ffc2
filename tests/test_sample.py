"""The committed sample corpus: imports cleanly, and its canary words never leak."""

from __future__ import annotations

import json

import pytest

from core.records import Comment, Document, Group, Person, Post
from core.settings import Settings
from indexer.importers import ImportOptions, get_importer
from indexer.sample import CANARIES_PATH, DOCUMENTS_DIR, FEED_PATH, NETWORK_PATH
from quisait.demo import FEED_GROUP, index_sample
from search import Searcher

CANARIES = json.loads(CANARIES_PATH.read_text())


def read(fmt: str, path, group=None) -> list:
    return list(get_importer(fmt)(str(path), ImportOptions(group=group)))


def test_sample_imports_without_problems():
    network = read("jsonl", NETWORK_PATH)
    documents = read("docs", DOCUMENTS_DIR)
    feed = read("rss", FEED_PATH, FEED_GROUP)
    counts = {cls: sum(isinstance(r, cls) for r in network + documents + feed)
              for cls in (Person, Group, Post, Comment, Document)}
    assert counts == {Person: 38, Group: 14, Post: 312, Comment: 97, Document: 12}
    groups = [r for r in network if isinstance(r, Group)]
    assert {g.visibility for g in groups} == {"open", "private", "secret"}
    assert {g.kind for g in groups} == {"project", "function", "site", "theme", "product",
                                        "internet", "general"}
    people = [r for r in network if isinstance(r, Person)]
    assert sum(p.status == "departed" for p in people) == 1
    assert sum(p.opted_out for p in people) == 1
    assert sum(p.guest for p in people) == 2


@pytest.fixture(scope="module")
def sample_settings(tmp_path_factory) -> Settings:
    from tests.conftest import HashingEncoder

    settings = Settings(data_dir=tmp_path_factory.mktemp("sample"), embedding_model="test")
    fake = HashingEncoder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("indexer.pipeline.load_encoder", lambda s: fake)
        reports = index_sample(settings, progress=False)
    assert all(not r.problems for r in reports)
    return settings


def outsiders(searcher: Searcher, group_id: str) -> list[str]:
    """Every person who is not a member or guest of the group, plus an unknown viewer."""
    group = searcher.groups[group_id]
    return sorted(set(searcher.people) - group.members - group.guests) + ["nobody"]


@pytest.mark.parametrize("case", sorted(CANARIES))
def test_canary_words_never_reach_outsiders(sample_settings, case, monkeypatch):
    from tests.conftest import HashingEncoder

    monkeypatch.setattr("search.engine.load_encoder", lambda s: HashingEncoder())
    group_id, words = CANARIES[case]["group"], CANARIES[case]["words"]
    with Searcher.open(sample_settings) as searcher:
        for viewer in outsiders(searcher, group_id):
            for word in words:
                for mode in ("lexical", "semantic", "hybrid"):
                    hits = searcher.search(word, viewer, mode=mode, limit=50)
                    assert all(h.group != group_id for h in hits), (viewer, word, mode)
                    assert not any(word in (h.title + h.snippet).lower() for h in hits)
        group = searcher.groups[group_id]
        member = next(p for p in sorted(group.members | group.guests)
                      if searcher.people[p].status == "active")
        assert any(h.group == group_id for h in searcher.search(words[0], member, "lexical"))


@pytest.mark.parametrize("case", sorted(CANARIES))
def test_facets_suggestions_and_similar_never_leak(sample_settings, case, monkeypatch):
    from tests.conftest import HashingEncoder

    monkeypatch.setattr("search.engine.load_encoder", lambda s: HashingEncoder())
    group_id, words = CANARIES[case]["group"], CANARIES[case]["words"]
    with Searcher.open(sample_settings) as searcher:
        secret_items = [r[0] for r in searcher.catalog.db.execute(
            "SELECT id FROM items WHERE group_id = ?", (group_id,))]
        for viewer in outsiders(searcher, group_id):
            for word in words:
                facets = searcher.scope(viewer).facets(word)
                assert all(v.value != group_id for v in facets["group"])
                assert sum(v.count for v in facets["group"]) == len(
                    searcher.search(word, viewer, mode="lexical", limit=1000))
                misspelt = word[:-1] + ("a" if word[-1] != "a" else "e")
                suggestion = searcher.scope(viewer).suggest(misspelt) or ""
                assert word not in suggestion
            for item_id in secret_items[:3]:
                assert searcher.scope(viewer).similar(item_id) == []
        member = next(p for p in sorted(searcher.groups[group_id].members
                                        | searcher.groups[group_id].guests)
                      if searcher.people[p].status == "active")
        misspelt = words[0][:-1] + ("a" if words[0][-1] != "a" else "e")
        assert searcher.scope(member).suggest(misspelt) == words[0]
        assert searcher.scope(member).facets(words[0])["group"][0].value == group_id


def test_the_demo_rebuilds_indexes_an_earlier_version_built(tmp_path, encoder):
    """A demo folder indexed by an older analyzer is the demo's own: ``index_sample``
    rebuilds it instead of failing (a data folder of one's own still asks for
    ``quisait rebuild``, with a clear error)."""
    from core.errors import IndexMismatchError
    from indexer import index_sources
    from indexer.analysis import ANALYZER_VERSION

    settings = Settings(data_dir=tmp_path / "demo", embedding_model="test", keyphrases=False)
    index_sample(settings, progress=False)
    params = settings.data_dir / "fulltext" / "params.json"
    older = {**json.loads(params.read_text()), "analyzer_version": ANALYZER_VERSION - 1}
    params.write_text(json.dumps(older))
    with pytest.raises(IndexMismatchError, match="analyzer_version"):
        index_sources(settings, [str(FEED_PATH)], fmt="rss", group=FEED_GROUP)
    reports = index_sample(settings, progress=False)
    assert all(not r.problems for r in reports)
    assert json.loads(params.read_text())["analyzer_version"] == ANALYZER_VERSION
    with Searcher.open(settings) as searcher:
        assert searcher.search("notes de frais", "p-claire", mode="lexical")
