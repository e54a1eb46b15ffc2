"""``quisait tune``: pairs mined from what everyone may read, hard negatives that are not
positives, batches without false negatives, a model folder usable as the encoder."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.errors import ConfigError
from core.settings import DEFAULT_MODEL, Settings
from indexer import Catalog, catalog_path, index_sources
from indexer.embeddings import embedding_key, resolve_model
from search.pairs import (
    SPLITS,
    Candidate,
    Pair,
    add_hard_negatives,
    beir_pairs,
    mine_pairs,
    query_split,
    training_groups,
)
from search.querylog import QueryLog
from search.tuning import TuneOptions, check_output, make_batches, tune
from tests.conftest import SHARED_DATA, write_jsonl

PIAF = SHARED_DATA / "beir" / "piaf-dev"
LONG = ("the runner caches the wheels between jobs so that a pipeline takes two minutes "
        "instead of twelve and nobody waits for the mirror any more ") * 2


def network() -> list[dict]:
    people = [{"type": "person", "id": p, "name": p} for p in ("p-a", "p-b")]
    groups = [{"type": "group", "id": "g-open", "name": "Open", "visibility": "open"},
              {"type": "group", "id": "g-secret", "name": "Secret", "visibility": "secret",
               "members": ["p-a"]}]
    posts = []
    for home, word in (("g-open", "pipelines"), ("g-secret", "zorbaflux")):
        posts += [
            {"type": "post", "id": f"{home}-q", "author": "p-a", "created": "2026-01-01",
             "group": home, "kind": "question", "title": f"How to speed up {word} builds?",
             "body": f"Our {word} builds are slow.", "accepted_answer": f"{home}-a1"},
            {"type": "post", "id": f"{home}-a1", "author": "p-b", "created": "2026-01-02",
             "group": home, "kind": "answer", "parent": f"{home}-q", "body": f"{word} {LONG}"},
            {"type": "post", "id": f"{home}-a2", "author": "p-a", "created": "2026-01-03",
             "group": home, "kind": "answer", "parent": f"{home}-q", "score": 3,
             "body": f"Use a local mirror for {word} dependencies."},
            {"type": "post", "id": f"{home}-p", "author": "p-a", "created": "2026-01-04",
             "group": home, "kind": "article", "title": f"Our {word} caching guide today",
             "body": f"{word} {LONG}"},
            {"type": "document", "id": f"{home}-d", "title": f"{word} handbook for teams",
             "text": f"{word} {LONG} " * 4, "source": "x.md", "group": home,
             "created": "2026-01-05"},
        ]
    return people + groups + posts


@pytest.fixture
def indexed(settings, tmp_path, encoder) -> Settings:
    report = index_sources(settings, [str(write_jsonl(tmp_path / "n.jsonl", network()))])
    assert not report.problems
    return settings


def mined(settings: Settings, include_private: bool) -> list[Pair]:
    catalog = Catalog(catalog_path(settings))
    try:
        groups = training_groups(catalog, include_private)
        return mine_pairs(catalog, groups, settings.data_dir / "querylog.sqlite")
    finally:
        catalog.close()


def test_pairs_come_from_open_content_unless_private_is_asked_for(indexed):
    pairs = mined(indexed, include_private=False)
    assert {p.source for p in pairs} == {"accepted_answer", "voted_answer", "title_body",
                                         "document_passage"}
    assert not any("zorbaflux" in p.query + p.positive for p in pairs)
    accepted = next(p for p in pairs if p.source == "accepted_answer")
    assert accepted.query == "How to speed up pipelines builds?" and accepted.key == "g-open-a1"
    with_private = mined(indexed, include_private=True)
    assert any("zorbaflux" in p.query for p in with_private)


def test_query_clicks_count_only_when_several_people_opened_them(indexed):
    log = QueryLog.open(indexed.data_dir, "hash")
    try:
        for viewer, item in (("p-a", "g-open-p"), ("p-b", "g-open-p"), ("p-a", "g-open-d"),
                             ("p-a", "g-open-d"), ("p-a", "g-secret-p"),
                             ("p-b", "g-secret-p")):
            search = log.log_search("caching guide", 3, "hybrid", "en", viewer)
            log.log_click(search, item, 1)
    finally:
        log.close()
    clicks = [p for p in mined(indexed, include_private=False) if p.source == "query_click"]
    assert [(p.query, p.key) for p in clicks] == [("caching guide", "g-open-p")]


def test_no_viewer_in_the_log_means_no_click_pairs(indexed):
    log = QueryLog.open(indexed.data_dir, "none")
    try:
        for _ in range(3):
            log.log_click(log.log_search("caching guide", 3, "hybrid", "en", "p-a"),
                          "g-open-p", 1)
    finally:
        log.close()
    assert not [p for p in mined(indexed, False) if p.source == "query_click"]


def test_a_hard_negative_is_never_a_known_positive():
    pairs = [Pair("q1", "answer one", "beir", "en", key="d1", thread="t1"),
             Pair("q1", "answer two", "beir", "en", key="d2", thread="t2"),
             Pair("q2", "answer three", "beir", "en", key="d3", thread="t3")]
    ranked = [Candidate("d1", "t1", "answer one"), Candidate("d9", "t2", "same thread"),
              Candidate("d8", "t8", "answer two"), Candidate("d7", "t7", "a wrong one")]
    found = add_hard_negatives(pairs, lambda query, depth: ranked)
    assert [p.negative for p in found] == ["a wrong one", "a wrong one", "answer one"]


def test_batches_hold_no_text_twice_and_lose_no_pair():
    rng = random.Random(1)
    pairs = [Pair(f"q{i % 40}", f"passage {i % 25}", "beir", "en",
                  negative=f"passage {(i + 7) % 25}" if i % 3 else None) for i in range(200)]
    unique = list({(p.query, p.positive): p for p in pairs}.values())
    batches = make_batches(unique, 8, rng)
    for batch in batches:
        texts = [t for p in batch for t in (p.query, p.positive, p.negative)]
        assert len(texts) == len(set(texts)), batch
        assert all(p.negative and p.negative != p.positive for p in batch)
    kept = sum(map(len, batches))
    assert kept >= len(unique) - 8  # a last batch of one is dropped


def test_piaf_halves_share_no_article_and_cover_every_query():
    halves = {split: beir_pairs(PIAF, split) for split in SPLITS}
    articles = {split: {p.key.split("p")[0] for p in pairs} for split, pairs in halves.items()}
    assert not articles["even"] & articles["odd"]
    assert len(halves["even"]) + len(halves["odd"]) == len(beir_pairs(PIAF))
    assert 0.4 < len(halves["even"]) / len(beir_pairs(PIAF)) < 0.6
    assert query_split("17", []) in SPLITS


def test_the_index_model_and_the_indexes_are_never_overwritten(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")  # the packaged model
    with pytest.raises(ConfigError, match="the model the index uses"):
        check_output(Path(resolve_model(DEFAULT_MODEL)), settings)
    with pytest.raises(ConfigError, match="inside the data folder"):
        check_output(settings.data_dir / "vectors" / "model", settings)
    taken = tmp_path / "taken"
    (taken / "x").mkdir(parents=True)
    with pytest.raises(ConfigError, match="not empty"):
        check_output(taken, settings)
    check_output(taken, settings, force=True)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """A one-layer model with the packaged tokenizer: trains in seconds."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer, BertConfig, BertModel

    try:
        from sentence_transformers.sentence_transformer import modules as models
    except ImportError:
        from sentence_transformers import models  # type: ignore[no-redef]

    folder = tmp_path_factory.mktemp("tiny")
    tokenizer = AutoTokenizer.from_pretrained(resolve_model(DEFAULT_MODEL))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=128)
    BertModel(config).save_pretrained(folder / "bert")
    tokenizer.save_pretrained(folder / "bert")
    word = models.Transformer(str(folder / "bert"), max_seq_length=64)
    model = SentenceTransformer(modules=[word, models.Pooling(32, "mean"), models.Normalize()],
                                device="cpu")
    model.save(str(folder / "model"))
    return folder / "model"


def synthetic_pairs(count: int = 120) -> list[Pair]:
    rng = random.Random(0)
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
    pairs = []
    for i in range(count):
        topic = rng.sample(words, 3)
        pairs.append(Pair(" ".join(topic), f"{' '.join(topic)} passage number {i}", "file",
                          "en", key=f"k{i}"))
    return pairs


def test_tune_writes_a_model_the_index_can_use(tiny_model, tmp_path):
    from indexer.embeddings import Encoder

    settings = Settings(data_dir=tmp_path / "data", embedding_model=str(tiny_model))
    out = tmp_path / "tuned"
    summary = tune(settings, synthetic_pairs(), out, TuneOptions(epochs=2, batch_size=16,
                                                                  learning_rate=1e-3))
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["base_model"] == str(tiny_model)
    assert provenance["sources"] == {"file": 120} and provenance["languages"] == {"en": 120}
    assert summary.validation["before"] <= summary.validation["after"]
    assert 1 <= summary.best_epoch <= summary.epochs_run <= 2
    tuned = Settings(data_dir=tmp_path / "data", embedding_model=str(out),
                     encoder_backend="torch")
    assert embedding_key(tuned) == f"{out}#{provenance['id']}"
    vectors = Encoder(tuned).encode(["alpha bravo", "kilo lima"])
    assert vectors.shape == (2, 32)
    tune(settings, synthetic_pairs(), out, TuneOptions(epochs=1, batch_size=16))
    assert embedding_key(tuned) != f"{out}#{provenance['id']}"  # a new run: new vectors


def test_a_time_budget_stops_training(tiny_model, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", embedding_model=str(tiny_model))
    summary = tune(settings, synthetic_pairs(), tmp_path / "out",
                   TuneOptions(epochs=50, batch_size=16, max_minutes=0.001))
    assert summary.stopped == "time" and summary.epochs_run == 1


def test_the_command_needs_a_source_and_reports_bad_lines(tiny_model, tmp_path):
    from quisait.cli import cli

    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    missing = runner.invoke(cli, [*data, "tune", "--out", str(tmp_path / "o")])
    assert missing.exit_code != 0 and "no catalog" in missing.output
    lines = [json.dumps({"query": p.query, "positive": p.positive}) for p in synthetic_pairs()]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join([*lines, "{broken", json.dumps({"query": "x"})]) + "\n")
    env = {"QUISAIT_EMBEDDING_MODEL": str(tiny_model)}
    done = runner.invoke(cli, [*data, "tune", "--no-mined", "--pairs", str(pairs), "--out",
                               str(tmp_path / "o"), "--batch-size", "16", "--quiet"], env=env)
    assert done.exit_code == 0, done.output
    assert "line 121" in done.output and "line 122" in done.output
    summary = json.loads(done.output[done.output.index("{"):])
    assert summary["pairs_by_source"] == {"file": 120} and summary["skipped"] == 2


def test_eval_on_one_half_counts_only_its_queries(tmp_path, encoder):
    from search.evaluate import evaluate_beir

    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    docs = [{"_id": f"a{a}p0", "title": f"Article {a}", "text": f"topic{a} words here"}
            for a in range(6)]
    write_jsonl(folder / "corpus.jsonl", docs)
    write_jsonl(folder / "queries.jsonl", [{"_id": f"q{a}", "text": f"topic{a}"}
                                           for a in range(6)])
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"q{a}\ta{a}p0\t1\n" for a in range(6)))
    settings = Settings(data_dir=tmp_path / "data", embedding_model="test-hashing")
    halves = [evaluate_beir(settings, folder, "lexical", split=s)["queries"] for s in SPLITS]
    assert sum(halves) == 6 and all(halves)


def test_the_query_log_schema_is_what_click_pairs_read(indexed):
    QueryLog.open(indexed.data_dir, "hash").close()
    db = sqlite3.connect(indexed.data_dir / "querylog.sqlite")
    try:
        columns = {row[1] for row in db.execute("PRAGMA table_info(searches)")}
    finally:
        db.close()
    assert {"normalised", "viewer", "query"} <= columns


def test_a_model_tuned_on_french_names_french_among_its_languages(tmp_path):
    from search.engine import tuned_languages

    folder = tmp_path / "tuned"
    folder.mkdir()
    (folder / "provenance.json").write_text(json.dumps({"id": "x", "languages": {
        "fr": 900, "en": 40, "de": 3}}))
    assert tuned_languages(Settings(embedding_model=str(folder))) == {"fr"}
    assert tuned_languages(Settings()) == frozenset()


def test_expert_evaluation_tunes_on_the_history_only(tiny_model, tmp_path):
    from expertise.evaluate import evaluate_experts, split_dump
    from tests.test_expertise import _dump

    folder = _dump(tmp_path / "site")
    settings = Settings(data_dir=tmp_path / "work", embedding_model=str(tiny_model))
    result = evaluate_experts(settings, folder, mode="hybrid",
                              tune_options=TuneOptions(batch_size=4))
    tuning = result["tuning"]
    assert tuning["training_pairs"] > 0 and result["queries"] == 1
    model = Path(tuning["out"])
    assert json.loads((model / "provenance.json").read_text())["base_model"] == str(tiny_model)
    split = split_dump(folder)
    assert tuning["pairs_by_source"] == {"voted_answer": 1}  # answer 102, voted before T
    assert all(p.created < split.split for p in split.history)
    params = json.loads((settings.data_dir / "vectors" / "params.json").read_text())
    assert params["model"].startswith(f"{model}#")


def test_detached_negatives_train_too(tiny_model, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", embedding_model=str(tiny_model))
    pairs = [Pair(p.query, p.positive, p.source, p.lang, negative=f"unrelated text {i}",
                  key=p.key) for i, p in enumerate(synthetic_pairs())]
    summary = tune(settings, pairs, tmp_path / "out", TuneOptions(
        epochs=2, batch_size=16, learning_rate=1e-3, detached_negatives=True))
    assert summary.pairs_per_minute > 0 and summary.hard_negatives == 120
    assert summary.validation["after"] >= summary.validation["before"]


class _StubModel:
    """Encodes each text to a fixed unit vector (queries near their positives)."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors

    def encode(self, texts, **_options):  # type: ignore[no-untyped-def]
        import numpy as np

        rows = np.array([self.vectors[t] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_background_z_is_measured_on_validation_and_used_by_the_retriever(tmp_path):
    import numpy as np

    from search.semantic import BACKGROUND_Z, SemanticRetriever
    from search.tuning import background_z

    rng = np.random.default_rng(0)
    vectors, pairs = {}, []
    for i in range(60):
        base = rng.normal(size=16)
        vectors[f"q{i}"] = list(base)
        vectors[f"p{i}"] = list(base + rng.normal(scale=0.9, size=16))  # loosely near
        pairs.append(Pair(f"q{i}", f"p{i}", "file", "en", key=f"k{i}"))
    measured = background_z(_StubModel(vectors), pairs)
    assert measured is not None and 1.0 <= measured < BACKGROUND_Z
    assert background_z(_StubModel(vectors), pairs[:9]) is None  # too few to say
    folder = tmp_path / "tuned"
    folder.mkdir()
    (folder / "provenance.json").write_text(json.dumps({"id": "x", "background_z": measured}))
    tuned = SemanticRetriever(Settings(embedding_model=str(folder)), None, lambda: None)
    assert tuned.background_z == measured
    assert SemanticRetriever(Settings(), None, lambda: None).background_z == BACKGROUND_Z


def test_an_epoch_must_beat_the_untuned_model_to_be_kept(tiny_model, tmp_path):
    """A learning rate that wrecks the model: no epoch beats the untuned one, so the
    untuned weights are written (epoch 0) and the summary says so."""
    from sentence_transformers import SentenceTransformer

    settings = Settings(data_dir=tmp_path / "data", embedding_model=str(tiny_model),
                        encoder_backend="torch")
    out = tmp_path / "wrecked"
    summary = tune(settings, synthetic_pairs(), out,
                   TuneOptions(epochs=2, batch_size=16, learning_rate=5.0))
    assert summary.validation["by_epoch"][0] < summary.validation["before"]
    assert summary.best_epoch == 0
    assert summary.validation["after"] == summary.validation["before"]
    texts = ["alpha bravo", "kilo lima"]
    base = SentenceTransformer(str(tiny_model), device="cpu").encode(texts)
    kept = SentenceTransformer(str(out), device="cpu").encode(texts)
    assert abs(base - kept).max() < 1e-5


def test_a_short_training_window_is_not_the_saved_models_window(tiny_model, tmp_path):
    from sentence_transformers import SentenceTransformer

    settings = Settings(data_dir=tmp_path / "data", embedding_model=str(tiny_model))
    out = tmp_path / "short"
    tune(settings, synthetic_pairs(40), out, TuneOptions(epochs=1, batch_size=16,
                                                          max_seq_length=16))
    assert SentenceTransformer(str(out), device="cpu").max_seq_length == 64  # the base's
