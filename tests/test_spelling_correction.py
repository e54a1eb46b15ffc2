"""Searching for what was meant: a free word that no readable document contains is
searched beside the readable word one letter away (``spelling_correction``).

The correction is the viewer's: it is chosen among the words of what they may read, so a
word that exists only in a secret group is never searched for (or shown) for an outsider,
and adding secret content changes nothing they observe.  Measured in docs/tuning.md
("Searching for what was meant").
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from core.settings import Settings
from indexer import index_sources
from search import Searcher
from search.explore import CORRECT_MIN_LETTERS
from search.usecase import SearchPage, SearchRequest, run_search
from tests.conftest import write_jsonl
from tests.web_fixtures import bearer, signed_in, token_for

PEOPLE = [{"type": "person", "id": "p-ana", "name": "Ana"},
          {"type": "person", "id": "p-bo", "name": "Bo"}]
OPEN = {"type": "group", "id": "g-open", "name": "Ouvert", "visibility": "open"}
SECRET = {"type": "group", "id": "g-secret", "name": "Secret", "visibility": "secret",
          "members": ["p-bo"]}


def _post(pid: str, body: str, group: str = "g-open") -> dict:
    return {"type": "post", "id": pid, "author": "p-bo", "group": group, "lang": "fr",
            "created": "2026-03-01T09:00:00", "title": "", "body": body}


READABLE = [
    _post("camp", "Le camp de Stutthof fut libéré en mai 1945 par l'armée soviétique."),
    _post("camp2", "Stutthof se trouvait près de Gdańsk, sur la Baltique."),
    _post("port", "Le port de Gdynia accueille des ferries vers la Suède."),
]


def _index(tmp_path: Path, name: str, records: list[dict], **settings: object) -> Settings:
    source = write_jsonl(tmp_path / f"{name}.jsonl", [*PEOPLE, OPEN, SECRET, *records])
    config = Settings(data_dir=tmp_path / name, embedding_model="test", keyphrases=False,
                      **settings)  # type: ignore[arg-type]
    index_sources(config, [str(source)])
    return config


def test_an_unknown_word_is_searched_as_the_readable_word_one_letter_away(tmp_path, encoder):
    config = _index(tmp_path, "net", READABLE)
    with Searcher.open(config) as searcher:
        scope = searcher.scope("p-ana")
        assert scope.corrections("Quand fut libéré le Strutthof ?") == {"Strutthof": "stutthof"}
        hits = scope.search("Quand fut libéré le Strutthof ?", mode="lexical")
        assert [hit.id for hit in hits][:2] == ["camp", "camp2"]
        marked = [hits[1].snippet[start:end] for start, end in hits[1].highlights]
        assert marked == ["Stutthof"]  # the word searched is highlighted
        page = run_search(scope, SearchRequest("libéré Strutthof", "lexical", 1, 10))
        assert page.corrected == {"Strutthof": "stutthof"} and page.suggestion is None
        assert page.as_typed == 'libéré "Strutthof"'
        # quoted, the word is searched as typed: nothing has it
        assert scope.corrections('"Strutthof"') == {}
        assert scope.search('"Strutthof"', mode="lexical") == []
    with Searcher.open(replace(config, spelling_correction=False)) as searcher:
        scope = searcher.scope("p-ana")
        assert scope.corrections("Strutthof") == {}
        assert scope.search("Strutthof", mode="lexical") == []


@pytest.mark.parametrize("query", [
    "Stutthof",         # known: nothing to correct
    "Stuthoff",         # two letters away: only "did you mean"
    "during",           # a stop word (English): searched in no field, never a typo
    "-Strutthof",       # excluded words are not corrected
    "Strutthof2",       # not only letters: codes and references stay as typed
])
def test_what_is_not_corrected(tmp_path, encoder, query):
    config = _index(tmp_path, "net", READABLE)
    with Searcher.open(config) as searcher:
        assert searcher.scope("p-ana").corrections(query) == {}


def test_only_words_of_the_minimum_length_are_corrected(tmp_path, encoder):
    config = _index(tmp_path, "net", [*READABLE, _post("lac", "Le lac Wdzydze, en Poméranie.")])
    with Searcher.open(config) as searcher:
        scope = searcher.scope("p-ana")
        assert len("Gdyna") == CORRECT_MIN_LETTERS
        assert scope.corrections("Gdyna") == {"Gdyna": "gdynia"}
        assert scope.corrections("lax") == {}  # "lac" is one letter away, but too short


def test_the_most_frequent_readable_neighbour_wins_and_secret_words_never_count(
        tmp_path, encoder):
    """"Borxik" is one letter from "Borvik" and "Borzik"; "Borzik" is the more frequent
    readable word; a secret group full of "Borwik" (also one letter away) changes nothing
    the outsider observes, while its member gets the correction they can read."""
    readable = [*READABLE, _post("m1", "Le quai Borvik."), _post("m2", "La rue Borzik."),
                _post("m3", "Borzik, encore.")]
    secret = [_post(f"s{i}", "Borwik " * (3 + i), group="g-secret") for i in range(6)]
    seen = {}
    for name, records in (("plain", readable), ("secret", [*readable, *secret])):
        config = _index(tmp_path, name, records)
        with Searcher.open(config) as searcher:
            scope = searcher.scope("p-ana")
            page = run_search(scope, SearchRequest("Borxik quai", "lexical", 1, 10))
            seen[name] = (page.corrected, [(h.id, round(h.score, 9)) for h in page.hits],
                          page.facets, page.suggestion)
            if name == "secret":
                assert searcher.scope("p-bo").corrections("Borxik") == {"Borxik": "borwik"}
    assert seen["plain"] == seen["secret"]
    assert seen["plain"][0] == {"Borxik": "borzik"}
    assert {pid for pid, _ in seen["plain"][1]} == {"m1", "m2", "m3"}


def test_a_word_only_a_secret_group_holds_is_corrected_for_no_outsider(tmp_path, encoder):
    secret = [_post("s1", "Le projet Kessivor démarre.", group="g-secret")]
    config = _index(tmp_path, "net", [*READABLE, *secret])
    with Searcher.open(config) as searcher:
        assert searcher.scope("p-ana").corrections("Kesqsivor") == {}
        assert searcher.scope("p-ana").search("Kesqsivor", mode="lexical") == []
        assert searcher.scope("p-bo").corrections("Kesqsivor") == {"Kesqsivor": "kessivor"}
        assert [h.id for h in searcher.scope("p-bo").search("Kesqsivor", mode="lexical")] \
            == ["s1"]


@pytest.mark.parametrize(("query", "quoted"), [
    ("libéré Strutthof ?", 'libéré "Strutthof" ?'),
    ('"Strutthof camp" Strutthof', '"Strutthof camp" "Strutthof"'),  # not inside a phrase
    ("Strutthofs Strutthof", 'Strutthofs "Strutthof"'),  # the word, not a longer one
])
def test_the_search_as_typed_quotes_the_corrected_word(query, quoted):
    page = SearchPage(SearchRequest(query), [], [], 0, None,
                      corrected={"Strutthof": "stutthof"})
    assert page.as_typed == quoted


def test_the_page_says_what_it_also_searched_and_links_to_the_search_as_typed(shared_app):
    page = signed_in(shared_app, "p-julien").get("/search?q=kubqernetes&mode=lexical")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'class="suggestion corrected"' in html
    assert "<strong>kubernetes</strong>" in html
    assert "q=%22kubqernetes%22" in html  # the link searches the word quoted
    api = shared_app.test_client().get("/api/v1/search?q=kubqernetes&mode=lexical",
                                       headers=bearer(token_for(shared_app, "p-julien")))
    data = api.get_json()
    assert data["also_searched"] == {"kubqernetes": "kubernetes"} and data["hits"]


def test_a_word_moved_to_a_secret_group_is_no_longer_corrected_to(tmp_path, encoder):
    """The same open searcher, before and after the only post holding a word moves to a
    secret group: the outsider's typo of it is corrected before, not after (nor searched,
    nor highlighted), while the member still gets it."""
    post = _post("k1", "Le projet Kessivor démarre en mars.")
    config = _index(tmp_path, "net", [*READABLE, post])
    with Searcher.open(config) as searcher:
        assert searcher.scope("p-ana").corrections("Kesqsivor") == {"Kesqsivor": "kessivor"}
        assert [h.id for h in searcher.scope("p-ana").search("Kesqsivor", mode="lexical")] \
            == ["k1"]
        moved = write_jsonl(tmp_path / "moved.jsonl", [{**post, "group": "g-secret"}])
        index_sources(config, [str(moved)])
        assert searcher.scope("p-ana").corrections("Kesqsivor") == {}
        assert searcher.scope("p-ana").search("Kesqsivor", mode="lexical") == []
        assert searcher.scope("p-bo").corrections("Kesqsivor") == {"Kesqsivor": "kessivor"}
