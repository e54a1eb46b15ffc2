"""Search against a brute-force oracle on random corpora, memberships and queries.

The oracle re-states the visibility rules independently of ``core.visibility``
and scans every post; search must return exactly what the viewer may read
(lexical: the posts containing the word; semantic: every readable post, since
the floor is off and the corpus is smaller than the candidate depth; hybrid: all
readable posts when a word matched, none otherwise).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.settings import Settings
from indexer import index_sources
from search import Searcher
from tests.conftest import HashingEncoder

WORDS = ["alpha", "bravo", "charlie", "delta", "echo"]
PEOPLE = ["p-a", "p-b", "p-c", "p-guest", "p-gone"]
FEED = None


@st.composite
def networks(draw):
    n_groups = draw(st.integers(1, 4))
    groups = []
    for i in range(n_groups):
        members = draw(st.sets(st.sampled_from(["p-a", "p-b", "p-c", "p-gone"])))
        guests = draw(st.sets(st.just("p-guest")))
        groups.append({"type": "group", "id": f"g{i}", "name": f"Group {i}",
                       "visibility": draw(st.sampled_from(["open", "private", "secret"])),
                       "members": sorted(members), "guests": sorted(guests)})
    posts = []
    for i in range(draw(st.integers(1, 14))):
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=5))
        group = draw(st.sampled_from([g["id"] for g in groups] + [FEED]))
        posts.append({"type": "post", "id": f"post{i}", "author": "p-a", "group": group,
                      "created": "2026-01-01T00:00:00", "title": "", "body": " ".join(words),
                      "lang": "en"})
    return groups, posts


def oracle_readable(viewer: str | None, group: str | None, groups: list[dict]) -> bool:
    if viewer is None or viewer == "p-gone" or viewer == "nobody":
        return False
    if group is None:
        return viewer != "p-guest"
    spec = next(g for g in groups if g["id"] == group)
    if viewer in spec["members"] or viewer in spec["guests"]:
        return True
    return spec["visibility"] == "open" and viewer != "p-guest"


def build(network) -> tuple[Settings, tempfile.TemporaryDirectory]:
    groups, posts = network
    people = [{"type": "person", "id": p, "name": p, "guest": p == "p-guest",
               "status": "departed" if p == "p-gone" else "active"} for p in PEOPLE]
    folder = tempfile.TemporaryDirectory()
    source = Path(folder.name) / "net.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in people + groups + posts))
    config = Settings(data_dir=Path(folder.name) / "data", embedding_model="test",
                      semantic_floor=0.0, keyphrases=False)
    index_sources(config, [str(source)])
    return config, folder


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(network=networks(), word=st.sampled_from(WORDS),
       viewer=st.sampled_from(PEOPLE + ["nobody"]))
def test_search_equals_the_oracle(network, word, viewer, monkeypatch):
    fake = HashingEncoder()
    monkeypatch.setattr("indexer.pipeline.load_encoder", lambda s: fake)
    monkeypatch.setattr("search.engine.load_encoder", lambda s: fake)
    groups, posts = network
    config, folder = build(network)
    readable = {p["id"] for p in posts if oracle_readable(viewer, p["group"], groups)}
    containing = {p["id"] for p in posts if word in p["body"].split()}
    with folder, Searcher.open(config) as searcher:
        lexical = {h.id for h in searcher.search(word, viewer, mode="lexical", limit=1000)}
        semantic = {h.id for h in searcher.search(word, viewer, mode="semantic", limit=1000)}
        hybrid = {h.id for h in searcher.search(word, viewer, mode="hybrid", limit=1000)}
        filtered = {h.id for h in searcher.search(f"{word} group:g0", viewer, mode="semantic",
                                                  limit=1000)}
    assert lexical == readable & containing
    assert semantic == readable
    # when no word matches, hybrid answers only if the model is confident (never here)
    assert hybrid == (readable if lexical else set())
    assert filtered == {p["id"] for p in posts if p["group"] == "g0"} & readable
