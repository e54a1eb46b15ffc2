"""The speed-ups of search must not change what anyone sees.

The vectorised BM25F must rank exactly as a brute-force BM25 over the viewer's
collection (and never by what lies outside it); the caches
(permission masks, vector masks, query vectors, people and groups) must follow a
new index generation and a membership change on the very next search.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from whoosh import query as wq

from core.settings import Settings
from indexer import Catalog, FullTextIndex, catalog_path, index_sources
from search import Searcher, parse_query
from search.facts import item_facts
from search.lexical import LexicalView
from search.translate import text_query
from tests.conftest import HashingEncoder

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima "
         "équipe équipes données projet réseau").split()


def _people() -> list[dict]:
    return [{"type": "person", "id": p, "name": p} for p in ("p-ann", "p-bob", "p-eve")]


def _group(members: list[str], ident: str = "g-private") -> dict:
    return {"type": "group", "id": ident, "name": ident, "visibility": "private",
            "members": members}


def _post(i: int, text: str, group: str | None = "g-private", **extra: object) -> dict:
    return {"type": "post", "id": f"post{i}", "author": "p-ann", "group": group,
            "created": f"2026-01-{1 + i % 28:02d}T00:00:00", "title": text.split()[0],
            "body": text, "lang": "fr" if "é" in text else "en", **extra}


def _write(path: Path, records: list[dict]) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return str(path)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> HashingEncoder:
    encoder = HashingEncoder()
    monkeypatch.setattr("indexer.pipeline.load_encoder", lambda settings: encoder)
    monkeypatch.setattr("search.engine.load_encoder", lambda settings: encoder)
    return encoder


@pytest.fixture
def config(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", embedding_model="test-hashing",
                    semantic_floor=0.0, keyphrases=False)


def _random_posts(rng: random.Random, count: int, start: int = 0) -> list[dict]:
    return [_post(start + i, " ".join(rng.choices(WORDS, k=rng.randint(1, 30))),
                  group=None) for i in range(count)]


def _oracle(reader_searcher, query, collection: set[int], boosts: float = 1.0) -> dict:
    """Brute force: BM25 of each matching document of ``collection``, one posting at a
    time through Whoosh's reader, statistics counted over ``collection`` only."""
    if isinstance(query, wq.Or | wq.And) and len(query.subqueries) == 1:
        return _oracle(reader_searcher, query.subqueries[0], collection, boosts)
    if isinstance(query, wq.Or | wq.And):
        parts = [_oracle(reader_searcher, sub, collection) for sub in query.subqueries]
        docs = set.union(*map(set, parts)) if isinstance(query, wq.Or) else \
            set.intersection(*map(set, parts))
        boost = query.boost if isinstance(query, wq.And) else query.boost
        return {d: boost * boosts * sum(p.get(d, 0.0) for p in parts) for d in docs}
    if isinstance(query, wq.AndMaybe):  # the required part's documents, scored by both
        required = _oracle(reader_searcher, query.a, collection)
        extra = _oracle(reader_searcher, query.b, collection)
        return {d: query.boost * boosts * (v + extra.get(d, 0.0)) for d, v in required.items()}
    if isinstance(query, wq.AndNot):
        kept = _oracle(reader_searcher, query.a, collection, boosts)
        dropped = _oracle(reader_searcher, query.b, collection)
        return {d: v for d, v in kept.items() if d not in dropped}
    if isinstance(query, wq.Term):
        return {d: v * query.boost * boosts
                for d, v in _term_oracle(reader_searcher, query, collection).items()}
    matched = set(reader_searcher.docs_for_query(query)) & collection
    total: dict[int, float] = dict.fromkeys(matched, 0.0)
    for field, text in set(query.iter_all_terms()):
        for d, v in _term_oracle(reader_searcher, wq.Term(field, text), collection).items():
            if d in total:
                total[d] += v
    return {d: v * query.boost * boosts for d, v in total.items()}


def _term_oracle(whoosh, query: wq.Term, collection: set[int]) -> dict[int, float]:
    import math

    reader = whoosh.reader()
    field = whoosh.schema[query.fieldname]
    term = field.to_bytes(query.text)
    if (query.fieldname, term) not in reader:
        return {}
    postings = {}
    matcher = reader.postings(query.fieldname, term)
    while matcher.is_active():
        if matcher.id() in collection:
            postings[matcher.id()] = matcher.weight()
        matcher.next()
    size = len(collection)
    average = sum(reader.doc_field_length(d, query.fieldname, 0) or 0 for d in collection) / size
    idf = math.log(1 + (size - len(postings) + 0.5) / (len(postings) + 0.5))
    b, k1 = whoosh.weighting._field_B.get(query.fieldname, whoosh.weighting.B), \
        whoosh.weighting.K1
    return {d: idf * w * (k1 + 1) / (w + k1 * (1 - b + b * max(
        reader.doc_field_length(d, query.fieldname, 1) or 1, 1) / (average or 1)))
        for d, w in postings.items()}


def test_vectorised_bm25f_ranks_as_a_brute_force_oracle(tmp_path, config, fake):
    """Several segments and deleted documents, two collections (everything; one group):
    the same documents, order and scores as BM25 computed one posting at a time with the
    collection's statistics."""
    rng = random.Random(7)
    first = _random_posts(rng, 120)
    for post in first[::3]:
        post["group"] = "g-private"
    index_sources(config, [_write(tmp_path / "a.jsonl", _people() + [_group(["p-ann"])]
                                  + first)])
    second = first[:60] + _random_posts(rng, 80, start=200)  # 60 removed, 80 added
    index_sources(config, [_write(tmp_path / "a.jsonl", _people() + [_group(["p-ann"])]
                                  + second)], prune=True)
    whoosh = FullTextIndex.open(config.data_dir / "fulltext").searcher()
    assert len(whoosh.subsearchers or []) > 1 and whoosh.reader().has_deletions()
    view = LexicalView(whoosh)
    queries = [" ".join(rng.sample(WORDS, rng.randint(1, 5))) for _ in range(40)]
    queries += [f'{rng.choice(WORDS)} "{rng.choice(WORDS)} {rng.choice(WORDS)}"'
                for _ in range(15)] + ["alpha OR (bravo charlie)", "équipe", "alpha -bravo"]
    for tokens in (frozenset({"@feed", "g-private"}), frozenset({"@feed"})):
        collection = view.collection(tokens)
        members = set(np.flatnonzero(collection.mask).tolist())
        for query in queries:
            text = text_query(parse_query(query))
            assert text is not None
            oracle = _oracle(whoosh, text, members)
            expected = sorted(oracle.items(), key=lambda pair: (-pair[1], pair[0]))[:15]
            found = view.top(text, view.live(), 15, collection)
            assert np.allclose([s for _, s in found], [s for _, s in expected],
                               rtol=1e-9), query
            assert {d for d, _ in found} <= set(oracle), query


def test_scores_ignore_documents_outside_the_collection(tmp_path, config, fake):
    """The statistics leak of issue 14: secret posts full of the query's words must not
    move an outsider's scores, order or explanation by a hair."""
    rng = random.Random(3)
    open_posts = _random_posts(rng, 60)
    people = _people() + [_group(["p-ann"])]
    source = tmp_path / "a.jsonl"
    index_sources(config, [_write(source, people + open_posts)])
    queries = ["alpha bravo", "kilo OR lima", '"alpha bravo"', "équipe données", "golf -hotel"]

    def observed() -> list:
        with Searcher.open(config) as searcher:
            return [[(h.id, h.score, h.explanation) for h in searcher.search(
                q, "p-bob", mode="lexical", limit=50)] for q in queries]

    before = observed()
    secret = [_post(500 + i, "alpha bravo kilo lima équipe données golf " * (i % 4 + 1))
              for i in range(40)]
    index_sources(config, [_write(source, people + open_posts + secret)])
    assert observed() == before
    with Searcher.open(config) as searcher:  # the member's own scores do change
        assert [h.id for h in searcher.search("alpha bravo", "p-ann", mode="lexical",
                                             limit=50)] != [i for i, _, _ in before[0]]


def test_exclusions_remove_every_matching_document(tmp_path, config, fake):
    """Whoosh's own AndNot matcher let some excluded documents through (measured on the
    sample corpus); the vectorised one applies the exclusion to every document."""
    index_sources(config, [_write(tmp_path / "a.jsonl", _people() + [_group(["p-ann"]),
        _post(1, "alpha bravo"), _post(2, "alpha charlie"), _post(3, "alpha")])])
    with Searcher.open(config) as searcher:
        found = {h.id for h in searcher.search("alpha -bravo", "p-ann", mode="lexical")}
        semantic = {h.id for h in searcher.search("alpha -bravo", "p-ann", mode="semantic")}
    assert found == {"post2", "post3"}
    assert "post1" not in semantic


def test_a_membership_change_shows_on_the_next_search(tmp_path, config, fake):
    """Permission masks are cached per set of readable groups: adding a person to a
    group, then removing them, must change what the same open Searcher shows."""
    posts = [_post(1, "kilo secret plans"), _post(2, "kilo public notes", group="g-open")]
    opened = {"type": "group", "id": "g-open", "name": "Open", "visibility": "open"}
    source = tmp_path / "net.jsonl"
    index_sources(config, [_write(source, _people() + [_group(["p-ann"]), opened] + posts)])
    with Searcher.open(config) as searcher:
        for mode in ("lexical", "semantic", "hybrid"):
            assert {h.id for h in searcher.search("kilo", "p-bob", mode=mode)} == {"post2"}
        index_sources(config, [_write(source, _people() + [_group(["p-ann", "p-bob"]), opened]
                                      + posts)])
        for mode in ("lexical", "semantic", "hybrid"):
            assert {h.id for h in searcher.search("kilo", "p-bob", mode=mode)} == {
                "post1", "post2"}, mode
        index_sources(config, [_write(source, _people() + [_group(["p-ann"]), opened] + posts)])
        for mode in ("lexical", "semantic", "hybrid"):
            assert {h.id for h in searcher.search("kilo", "p-bob", mode=mode)} == {"post2"}
        assert searcher.scope("p-bob").facets("kilo")["group"][0].value == "g-open"


def test_cached_masks_are_per_set_of_readable_groups(tmp_path, config, fake):
    posts = [_post(1, "kilo secret plans"), _post(2, "kilo public notes", group="g-open")]
    opened = {"type": "group", "id": "g-open", "name": "Open", "visibility": "open"}
    index_sources(config, [_write(tmp_path / "net.jsonl",
                                  _people() + [_group(["p-ann"]), opened] + posts)])
    with Searcher.open(config) as searcher:
        for _ in range(2):  # the second time from the caches
            for mode in ("lexical", "semantic", "hybrid"):
                assert {h.id for h in searcher.search("kilo", "p-ann", mode=mode)} == {
                    "post1", "post2"}, mode
                assert {h.id for h in searcher.search("kilo", "p-bob", mode=mode)} == {
                    "post2"}, mode
                assert searcher.search("kilo", "nobody", mode=mode) == []
            # the retrievers themselves, under the final check of each hit's group
            assert _retrieved(searcher, "p-ann") == ({"post1", "post2"}, {"post1", "post2"})
            assert _retrieved(searcher, "p-bob") == ({"post2"}, {"post2"})


def _retrieved(searcher: Searcher, viewer: str) -> tuple[set[str], set[str]]:
    parsed, person = parse_query("kilo"), searcher._person(viewer)
    allowed = searcher.scope(person).readable
    mask = searcher._restriction_mask(parsed, searcher.scope(person))
    text = text_query(parsed)
    assert text is not None
    lexical = [rowid for rowid, _ in searcher.lexical.ranking(text, mask, allowed, 10)]
    semantic = [rowid for rowid, _ in searcher.semantic.ranking("kilo", allowed, None, 10)[0]]
    items = searcher.catalog.items_by_rowid(lexical + semantic)
    return {items[r].id for r in lexical}, {items[r].id for r in semantic}


def test_a_new_index_generation_shows_on_the_next_search(tmp_path, config, fake):
    source = tmp_path / "net.jsonl"
    posts = [_post(1, "lima first"), _post(2, "lima second", group="g-other")]
    groups = [_group(["p-ann"]), _group(["p-bob"], ident="g-other")]
    index_sources(config, [_write(source, _people() + groups + posts[:1])])
    with Searcher.open(config) as searcher:
        assert [h.id for h in searcher.search("lima", "p-ann", mode="lexical")] == ["post1"]
        assert searcher.search("lima", "p-bob", mode="lexical") == []
        index_sources(config, [_write(source, _people() + groups + posts)])
        assert [h.id for h in searcher.search("lima", "p-bob", mode="lexical")] == ["post2"]
        assert [h.id for h in searcher.search("lima", "p-ann", mode="hybrid")] == ["post1"]
        # the post moves to a group p-bob cannot read: gone for him, in every mode
        moved = [posts[0], {**posts[1], "group": "g-private"}]
        index_sources(config, [_write(source, _people() + groups + moved)])
        for mode in ("lexical", "semantic", "hybrid"):
            assert searcher.search("lima", "p-bob", mode=mode) == [], mode
        # (the open Searcher's vector index is the one it opened: post2 is not in it)
        for mode in ("lexical", "hybrid"):
            assert {h.id for h in searcher.search("lima", "p-ann", mode=mode)} == {
                "post1", "post2"}, mode


def test_repeated_queries_are_encoded_once(tmp_path, config, fake):
    index_sources(config, [_write(tmp_path / "a.jsonl", _people() + [_group(["p-ann"]),
                                                                  _post(1, "golf hotel")])])
    with Searcher.open(config) as searcher:
        before = fake.encoded
        for _ in range(3):
            assert searcher.search("golf", "p-ann", mode="semantic")
        assert fake.encoded == before + 1


def test_batched_thread_facts_equal_the_catalog(tmp_path, config, fake):
    records = _people() + [
        _post(1, "question one", kind="question", accepted_answer="post2"),
        _post(2, "answer accepted", kind="answer", parent="post1"),
        _post(3, "answer other", kind="answer", parent="post1"),
        _post(4, "question two", kind="question"),
        _post(5, "answer lone", kind="answer", parent="post4", reactions=4),
        _post(6, "plain post")]
    index_sources(config, [_write(tmp_path / "a.jsonl", records + [_group(["p-ann"])])])
    catalog = Catalog(catalog_path(config))
    try:
        items = catalog.items_by_rowid(range(1, 100))
        facts = item_facts(catalog.db, items)
        assert set(facts) == set(items)
        for rowid, item in items.items():
            assert facts[rowid].accepted == catalog.thread_facts(item)[1], item.id
            parent = catalog.item(item.parent) if item.parent else None
            assert facts[rowid].thread_title == (parent.title if parent else "")
            assert facts[rowid].reactions == int(getattr(item.record, "reactions", 0))
        assert sorted(i.id for i in items.values() if facts[i.rowid].accepted) == [
            "post1", "post2"]
    finally:
        catalog.close()


def test_facet_counts_equal_whooshs(tmp_path, config, fake):
    """Counted with numpy from columns and tag postings: the same as Whoosh's grouping."""
    from whoosh import sorting

    from search.explore import FACETS

    rng = random.Random(3)
    groups = [_group(["p-ann", "p-bob"], ident=f"g{i}") for i in range(3)]
    groups.append({"type": "group", "id": "g-open", "name": "Open", "visibility": "open"})
    posts = [_post(i, " ".join(rng.choices(WORDS, k=rng.randint(1, 12))),
                   group=rng.choice(["g0", "g1", "g2", "g-open", None]),
                   tags=rng.sample(["sap", "rse", "python", "kafka"], rng.randint(0, 3)),
                   author=rng.choice(["p-ann", "p-bob", "p-eve"]))
             for i in range(150)]
    source = _write(tmp_path / "net.jsonl", _people() + groups + posts)
    index_sources(config, [source])
    index_sources(config, [_write(tmp_path / "net.jsonl", _people() + groups + posts[:120])],
                  prune=True)  # deletions and a second segment
    with Searcher.open(config) as searcher:
        for query, viewer in [("alpha", "p-ann"), ("bravo -charlie", "p-eve"),
                              ("tag:sap", "p-bob"), ("delta OR echo group:g-open", "p-ann")]:
            parsed, person = parse_query(query), searcher._person(viewer)
            text = text_query(parsed) or wq.Every()
            facets = {name: sorting.FieldFacet(field, allow_overlap=(field == "tags"),
                                               maptype=sorting.Count)
                      for name, field in FACETS.items()}
            restriction = searcher._restriction(parsed, searcher.scope(person))
            # Whoosh's AndNot can keep an excluded document: compare on the positive part
            if isinstance(text, wq.AndNot):
                text = wq.And([text.a, wq.Not(text.b)])
            expected = searcher._whoosh_searcher().search(text, filter=restriction,
                                                          groupedby=facets, limit=None)
            found = searcher.scope(viewer).facets(query)
            for name in FACETS:
                counts = {(k.decode() if isinstance(k, bytes) else k): n
                          for k, n in expected.groups(name).items() if k}
                assert {v.value: v.count for v in found[name]} == counts, (query, name)


def test_exact_scan_finds_what_brute_force_finds(config):
    """The masked numpy scan of a flat index (dense and sparse masks, dead rows): the
    exact neighbours, best first."""
    from indexer import VectorIndex

    rng = np.random.default_rng(5)
    index = VectorIndex.in_memory(config)
    vectors = rng.standard_normal((300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    owners = np.arange(300, dtype=np.int64) // 3
    index.add(owners, np.arange(300, dtype=np.int32) % 3, vectors)
    index.remove({5, 17, 40})
    live = ~np.isin(owners, [5, 17, 40])
    for _ in range(20):
        query = vectors[rng.integers(300)]
        allowed = rng.random(300) < rng.random()
        scores = np.where(allowed & live, vectors @ query, -np.inf)
        expected = [int(owners[v]) for v in np.argsort(-scores, kind="stable")[:25]
                    if np.isfinite(scores[v])]
        found = index.search(query, 25, allowed)
        assert [r for r, _, _ in found] == expected
        assert np.allclose([s for _, _, s in found], sorted(scores[allowed & live])[::-1][:25],
                           atol=1e-6)
    assert index.search(vectors[0], 5, np.zeros(300, dtype=bool)) == []


def test_an_index_without_items_answers_nothing(tmp_path, config, fake):
    index_sources(config, [_write(tmp_path / "a.jsonl", _people() + [_group(["p-ann"])])])
    with Searcher.open(config) as searcher:
        for mode in ("lexical", "semantic", "hybrid"):
            assert searcher.search("anything", "p-ann", mode=mode) == []
        assert searcher.search("group:g-private", "p-ann") == []
        assert searcher.scope("p-ann").facets("anything")["group"] == []
