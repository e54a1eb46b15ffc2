"""Word pairs: consecutive query words found side by side in a body score again.

On by default for French (``word_pairs = "fr"``, measured in docs/tuning.md), off for
English.  The pairs reorder what the words match, never match more, and are scored
over what the viewer may read, like every other clause.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from whoosh import query as wq

from core.errors import ConfigError
from core.settings import Settings
from indexer import index_sources
from search import Searcher
from search.query import parse_query
from search.translate import MAX_PAIRS, PAIR_BOOST, pair_queries, text_query
from tests.conftest import write_jsonl

PEOPLE = [{"type": "person", "id": "p-ana", "name": "Ana"},
          {"type": "person", "id": "p-bo", "name": "Bo"}]
OPEN = {"type": "group", "id": "g-open", "name": "Ouvert", "visibility": "open"}
SECRET = {"type": "group", "id": "g-secret", "name": "Secret", "visibility": "secret",
          "members": ["p-bo"]}


def _post(pid: str, body: str, group: str = "g-open", lang: str = "fr") -> dict:
    return {"type": "post", "id": pid, "author": "p-bo", "group": group, "lang": lang,
            "created": "2026-03-01T09:00:00", "title": "", "body": body}


# "notes de frais" side by side in the long post; both words, apart, in the short one
# (which plain BM25 prefers: a shorter field)
SIDE_BY_SIDE = _post("side", "Les notes de frais se remboursent chaque mois par le service "
                             "comptable de la direction financière régionale.")
APART = _post("apart", "Les notes du service, puis les frais.")


def _phrases(query: wq.Query | None) -> list[wq.Phrase]:
    if query is None:
        return []
    found = [query] if isinstance(query, wq.Phrase) else []
    for child in query.children():
        found += _phrases(child)
    return found


def test_pairs_are_consecutive_words_without_stop_words_in_the_named_languages():
    parsed = parse_query("remboursement des notes de frais")
    french = pair_queries(parsed, {"fr"})
    assert [(p.fieldname, tuple(p.words)) for p in french] == [
        ("body_fr", ("rembours", "not")), ("body_fr", ("not", "frais"))]
    assert all(p.boost == PAIR_BOOST for p in french)
    assert {p.fieldname for p in pair_queries(parsed, {"fr", "en"})} == {"body_fr", "body_en"}
    assert pair_queries(parsed, set()) == []
    # negated words and a lone word make no pair; a long query keeps its first pairs
    assert pair_queries(parse_query("frais -notes"), {"fr"}) == []
    long = " ".join(f"mot{i}x" for i in range(40))
    assert len(pair_queries(parse_query(long), {"fr"})) == MAX_PAIRS


def test_pairs_are_optional_clauses_of_the_free_words_only():
    parsed = parse_query("notes de frais")
    with_pairs = text_query(parsed, pairs={"fr"})
    assert len(_phrases(with_pairs)) == 1
    assert _phrases(text_query(parsed)) == []
    # a query of required phrases only gets no pairs: nothing optional to reorder
    quoted = parse_query('"notes de frais"')
    assert text_query(quoted, pairs={"fr"}) == text_query(quoted)


def test_words_side_by_side_rank_first_in_french(tmp_path: Path, encoder):
    source = write_jsonl(tmp_path / "net.jsonl", [*PEOPLE, OPEN, SIDE_BY_SIDE, APART])
    ranked = {}
    for pairs in ("fr", "none"):
        config = Settings(data_dir=tmp_path / f"data-{pairs}", embedding_model="test",
                          keyphrases=False, word_pairs=pairs)
        index_sources(config, [str(source)])
        with Searcher.open(config) as searcher:
            hits = searcher.search("notes de frais", "p-ana", mode="lexical", limit=5)
            ranked[pairs] = [(hit.id, hit.score) for hit in hits]
    assert [pid for pid, _ in ranked["none"]] == ["apart", "side"]  # BM25: the shorter
    assert [pid for pid, _ in ranked["fr"]] == ["side", "apart"]
    # the pair adds its words' scores again, times the boost; the other post is unmoved
    assert dict(ranked["fr"])["apart"] == pytest.approx(dict(ranked["none"])["apart"])
    assert dict(ranked["fr"])["side"] == pytest.approx(
        dict(ranked["none"])["side"] * (1 + PAIR_BOOST))


def test_english_bodies_score_no_pairs_by_default(tmp_path: Path, encoder):
    side = _post("side", "The expense reports are refunded every month by the accounting "
                         "office of the regional finance department.", lang="en")
    apart = _post("apart", "The reports of the office, then the expense.", lang="en")
    source = write_jsonl(tmp_path / "net.jsonl", [*PEOPLE, OPEN, side, apart])
    config = Settings(data_dir=tmp_path / "data", embedding_model="test", keyphrases=False)
    index_sources(config, [str(source)])
    with Searcher.open(config) as searcher:
        plain = [(h.id, h.score) for h in searcher.search("expense reports", "p-ana",
                                                         mode="lexical")]
    with Searcher.open(replace(config, word_pairs="en")) as searcher:
        paired = [(h.id, h.score) for h in searcher.search("expense reports", "p-ana",
                                                          mode="lexical")]
    assert [pid for pid, _ in plain] == ["apart", "side"]
    assert [pid for pid, _ in paired] == ["side", "apart"]


def test_secret_pairs_move_no_outsider_score(tmp_path: Path, encoder):
    """A secret group full of the pair changes nothing an outsider's search returns:
    which posts, in which order, with which scores (the pairs' statistics are the
    outsider's)."""
    secret = [_post(f"s{i}", "notes de frais " * (1 + i), group="g-secret")
              for i in range(12)]
    seen = {}
    for name, records in (("plain", []), ("secret", [SECRET, *secret])):
        source = write_jsonl(tmp_path / f"{name}.jsonl",
                             [*PEOPLE, OPEN, SECRET, SIDE_BY_SIDE, APART, *records])
        config = Settings(data_dir=tmp_path / f"data-{name}", embedding_model="test",
                          keyphrases=False)
        index_sources(config, [str(source)])
        with Searcher.open(config) as searcher:
            seen[name] = [(h.id, round(h.score, 9)) for h in
                          searcher.search("notes de frais", "p-ana", mode="lexical")]
            if name == "secret":  # the member does find them, first
                member = searcher.search("notes de frais", "p-bo", mode="lexical", limit=3)
                assert all(hit.id.startswith("s") for hit in member)
    assert seen["plain"] == seen["secret"]


def test_word_pairs_setting_is_checked():
    assert Settings(word_pairs="fr, en").pair_languages() == {"fr", "en"}
    assert Settings(word_pairs="none").pair_languages() == frozenset()
    assert Settings(word_pairs="").pair_languages() == frozenset()
    with pytest.raises(ConfigError, match="word_pairs"):
        Settings(word_pairs="fr,de")
