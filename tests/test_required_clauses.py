"""Free words beside a required phrase rank what the phrase matches; they may all miss.

Before, a query's free words had to match at least once even beside a quoted phrase, so
``Qu'est-ce que la "Grande Geste" ?``, whose free words are all stop words, found
nothing, and ``"grande geste" Bhārata`` dropped the phrase's documents without the name.
"""

from __future__ import annotations

from pathlib import Path

from whoosh import query as wq

from core.settings import Settings
from indexer import index_sources
from search import Searcher
from search.query import parse_query
from search.translate import text_query
from tests.conftest import write_jsonl

RECORDS = [
    {"type": "person", "id": "p-ana", "name": "Ana"},
    {"type": "group", "id": "g-open", "name": "Ouvert", "visibility": "open"},
    {"type": "group", "id": "g-secret", "name": "Secret", "visibility": "secret",
     "members": []},
    *({"type": "post", "id": pid, "author": "p-ana", "group": group, "lang": "fr",
       "created": "2026-03-01T09:00:00", "title": "", "body": body}
      for pid, group, body in [
          ("epic", "g-open", "Le Mahâbhârata relate la « Grande Geste » des Bhārata."),
          ("other", "g-open", "Une grande épopée, un geste ample : rien de la geste."),
          ("song", "g-open", "La chanson de geste, une grande geste en vers."),
          ("hidden", "g-secret", "Grande geste des Bhārata, secrète.")]),
]


def _search(tmp_path: Path, query: str) -> list[str]:
    config = Settings(data_dir=tmp_path / "data", embedding_model="test", keyphrases=False)
    if not (config.data_dir / "catalog.sqlite").exists():
        index_sources(config, [str(write_jsonl(tmp_path / "net.jsonl", RECORDS))])
    with Searcher.open(config) as searcher:
        return [hit.id for hit in searcher.search(query, "p-ana", mode="lexical")]


def test_a_phrase_with_only_stop_words_beside_it_still_finds(tmp_path: Path, encoder):
    # every free word is a stop word: the phrase alone decides (not the secret post)
    assert sorted(_search(tmp_path, 'Qu\'est-ce que la "Grande Geste" ?')) == ["epic", "song"]


def test_free_words_beside_a_phrase_rank_its_matches_and_require_nothing(tmp_path, encoder):
    # both hold the phrase; the one with the free word comes first, the other stays
    assert _search(tmp_path, '"grande geste" Bhārata') == ["epic", "song"]
    assert _search(tmp_path, '"grande geste" chanson vers') == ["song", "epic"]
    # a free word alone still has to match, and the secret post is never found
    assert _search(tmp_path, "Bhārata") == ["epic"]


def test_the_query_is_required_and_maybe_the_free_words():
    query = text_query(parse_query('"grande geste" Bhārata'))
    assert isinstance(query, wq.AndMaybe)
    assert not isinstance(text_query(parse_query("grande geste")), wq.AndMaybe)
