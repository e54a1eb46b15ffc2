"""Key phrases: French noun phrases from spaCy's tagger, grouping of variants, English,
and re-extraction when the extractor's version changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from indexer import Catalog, catalog_path, index_sources, keyphrases, topic_key
from indexer.keyphrases import extract_keyphrases, extract_many
from tests.conftest import write_jsonl

# the sample corpus's post-0270, where the first extractor found "bureau habituel" and
# "parking en plus"
MILEAGE = ("Au barème fiscal des indemnités kilométriques, selon la puissance fiscale de ta "
           "voiture : joins la carte grise une fois dans ton profil Notilus. Indique le "
           "trajet et le motif ; le trajet domicile-bureau habituel est déduit. Péages et "
           "parking en plus, avec justificatifs.")
FRAGMENTS = ("Bonjour Yann, la petite fiche d'accueil est prête. Elle est arrivée le 12 mars "
             "2025 à 9h30 ; ça prend 20 minutes en plus. Nous, on la trouve vraiment pratique.")
EXPENSES = ("Bonjour, ma note de frais de mars n’est toujours pas remboursée. Qui valide les "
            "notes de frais du service ? Les notes de frais passent par Notilus.")


def phrases(title: str, text: str, language: str = "fr") -> list[str]:
    return [p for p, _ in extract_keyphrases(title, text, language)]


def test_french_phrases_are_noun_phrases_not_fragments():
    found = phrases("", MILEAGE)
    assert "parking en plus" not in found and not any("en plus" in p for p in found)
    assert not any(p.endswith("habituel") for p in found)  # judging adjective: not a topic
    assert {"barème fiscal", "indemnités kilométriques", "trajet domicile-bureau"} <= set(found)


def test_adjective_led_pronoun_date_and_number_fragments_are_dropped():
    found = phrases("Accueil", FRAGMENTS)
    words = {w for p in found for w in p.lower().split()}
    assert not any(p.lower().startswith("petite") for p in found)
    assert not words & {"yann", "bonjour", "mars", "2025", "12", "20", "minutes", "ça", "nous",
                        "on", "vraiment", "pratique", "9h30"}
    assert "fiche d'accueil" in found


def test_variants_of_a_phrase_share_one_key_and_show_the_most_frequent_form():
    assert topic_key("notes de frais") == topic_key("note de frais") == topic_key("Notes de frais")
    assert topic_key("bureaux d’études") == topic_key("bureau d'études")
    assert topic_key("notes de frais") != topic_key("frais de port")
    found = extract_keyphrases("Notes de frais", EXPENSES, "fr")
    keyed = [p for p, _ in found if topic_key(p) == topic_key("note de frais")]
    assert keyed == ["notes de frais"]  # once, though written three ways ("de mars" dropped)


def test_english_keeps_sensible_phrases():
    found = phrases("Can I expense a standing desk for working from home?",
                    "My back hurts after long days. Could a standing desk go on an expense "
                    "claim, or is there a home office equipment allowance?", "en")
    assert {"standing desk", "expense claim"} <= set(found)
    assert not {"could", "can", "or"} & {w for p in found for w in p.split()}


def test_french_texts_give_the_same_phrases_in_a_batch_as_one_at_a_time():
    texts = [("", MILEAGE, "fr"), ("Accueil", FRAGMENTS, "fr"), ("Standing desk", "A desk.", "en"),
             ("Notes de frais", EXPENSES, "fr")]
    assert list(extract_many(texts)) == [extract_keyphrases(*t) for t in texts]


def test_the_tagger_loads_without_parser_lemmatizer_or_ner():
    from indexer.french_phrases import french_pipeline

    nlp = french_pipeline()
    assert french_pipeline() is nlp  # once per process
    assert not {"parser", "lemmatizer", "ner"} & set(nlp.pipe_names)
    assert "morphologizer" in nlp.pipe_names


def corpus() -> list[dict]:
    return [
        {"type": "person", "id": "p-ana", "name": "Ana"},
        {"type": "group", "id": "g-open", "name": "Open", "visibility": "open"},
        *[{"type": "post", "id": ident, "author": "p-ana", "created": "2026-01-05T10:00:00",
           "title": title, "body": body, "group": "g-open"}
          for ident, title, body in [("n1", "Notes de frais", EXPENSES),
                                     ("n2", "Indemnités kilométriques", MILEAGE),
                                     ("e1", "Standing desk", "Can I expense a standing desk?")]],
    ]


def stored(settings: Settings) -> dict[str, list[str]]:
    catalog = Catalog(catalog_path(settings))
    try:
        rows = catalog.db.execute("SELECT i.id, k.phrase FROM keyphrases k JOIN items i "
                                  "ON i.rowid = k.item_rowid ORDER BY i.id, k.score DESC")
        found: dict[str, list[str]] = {}
        for ident, phrase in rows:
            found.setdefault(ident, []).append(phrase)
        return found
    finally:
        catalog.close()


def test_a_new_extractor_version_re_extracts_every_item(tmp_path: Path, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data", embeddings=False)
    source = str(write_jsonl(tmp_path / "network.jsonl", corpus()))
    index_sources(settings, [source])
    first = stored(settings)
    assert set(first) == {"n1", "n2", "e1"}
    catalog = Catalog(catalog_path(settings))
    try:
        assert catalog.get_meta(keyphrases.VERSION_KEY) == str(keyphrases.VERSION)
        catalog.put_keyphrases(catalog.item("n1").rowid, [("phrase d'un autre extracteur", 1.0)])
        assert keyphrases.catch_up_keyphrases(catalog) == 0  # same version, nothing changed
    finally:
        catalog.close()
    assert stored(settings)["n1"] == ["phrase d'un autre extracteur"]

    monkeypatch.setattr(keyphrases, "VERSION", keyphrases.VERSION + 1)
    catalog = Catalog(catalog_path(settings))
    try:
        assert keyphrases.keyphrases_since(catalog) == 0
    finally:
        catalog.close()
    report = index_sources(settings, [source])  # unchanged sources: only the new version
    assert report.added == report.updated == 0
    assert stored(settings) == first
    catalog = Catalog(catalog_path(settings))
    try:
        assert catalog.get_meta(keyphrases.VERSION_KEY) == str(keyphrases.VERSION)
        assert keyphrases.catch_up_keyphrases(catalog) == 0
    finally:
        catalog.close()


@pytest.mark.parametrize("version", [None, "1"])
def test_catalogs_of_the_first_extractor_re_extract(tmp_path: Path, version: str | None):
    settings = Settings(data_dir=tmp_path / "data", embeddings=False)
    index_sources(settings, [str(write_jsonl(tmp_path / "network.jsonl", corpus()))])
    catalog = Catalog(catalog_path(settings))
    try:
        if version is None:  # written before versions were stored
            catalog.db.execute("DELETE FROM meta WHERE key = ?", (keyphrases.VERSION_KEY,))
        else:
            catalog.set_meta(keyphrases.VERSION_KEY, version)
        assert keyphrases.keyphrases_since(catalog) == 0
        assert keyphrases.catch_up_keyphrases(catalog) == 3
    finally:
        catalog.close()


def test_person_topics_and_candidate_topics_count_variants_as_one(sample_index: Path,
                                                                 tmp_path: Path,
                                                                 hashing_encoder):
    from expertise import ExpertFinder
    from search import Searcher
    from tests.web_fixtures import copy_settings

    settings = copy_settings(sample_index, tmp_path / "data")
    variants = ["Carte Zorglub", "cartes zorglub", "carte Zorglub"]  # each on one item
    with Searcher.open(settings) as searcher:
        readable = searcher.scope("p-claire").readable
    catalog = Catalog(catalog_path(settings))
    try:
        items = [i for i in catalog.items_by_author("p-karim") if i.group in readable][:3]
        for item, phrase in zip(items, variants, strict=True):
            catalog.put_keyphrases(item.rowid, [(phrase, 99.0)])
    finally:
        catalog.close()
    with Searcher.open(settings) as searcher:
        finder = ExpertFinder(searcher)
        page = finder.person("p-karim", "p-claire")
        candidates = finder.candidate_topics("p-claire", limit=500)
    assert page is not None
    topics = [t for t in page.topics if topic_key(t.name) == "carte zorglub"]
    assert [t.items for t in topics] == [3]
    assert topics[0].name in variants
    assert [n for label, n in candidates if topic_key(label) == "carte zorglub"] == [3]
