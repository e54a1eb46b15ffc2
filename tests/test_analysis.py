"""French and English analyzers (elision, folding, stemming, stop words) and language detection."""

from __future__ import annotations

import pickle

import pytest

from indexer.analysis import (
    LANGUAGES,
    analyze,
    analyzer_for,
    detect_language,
    english_analyzer,
    fold,
    french_analyzer,
)


def fr(text: str) -> list[str]:
    return analyze(text, "fr")


def en(text: str) -> list[str]:
    return analyze(text, "en")


# -- French: elision ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["l’équipe", "l'équipe", "L’Équipe", "L'ÉQUIPE"])
def test_french_elision_with_either_apostrophe_gives_the_bare_word(text: str) -> None:
    assert fr(text) == fr("équipe")
    assert fr(text) == ["equip"]


@pytest.mark.parametrize(
    ("elided", "bare"),
    [
        ("d’accord", "accord"),
        ("d'accord", "accord"),
        ("qu’ingénieur", "ingénieur"),
        ("qu'ingénieur", "ingénieur"),
        ("jusqu’ici", "ici"),
        ("jusqu'ici", "ici"),
        ("lorsqu’Antoine", "Antoine"),
        ("s’organiser", "organiser"),
    ],
)
def test_french_elided_prefixes_are_dropped(elided: str, bare: str) -> None:
    terms = fr(elided)
    assert terms == fr(bare)
    assert terms, f"{bare!r} should leave a term"
    assert not any("'" in t or "’" in t for t in terms)


@pytest.mark.parametrize("text", ["qu’il", "qu'il", "jusqu’à", "jusqu'à"])
def test_french_elision_of_a_stop_word_leaves_nothing(text: str) -> None:
    # qu' is dropped, then il / à are stop words: no stray "qu" or "jusqu" term
    assert fr(text) == []


def test_french_elision_keeps_the_rest_of_the_sentence() -> None:
    assert fr("jusqu’à Nantes") == fr("Nantes") == ["nant"]


def test_words_that_merely_contain_an_apostrophe_are_not_cut() -> None:
    # "aujourd" is no elided article: the word stays whole, whichever apostrophe is typed
    assert fr("aujourd’hui") == fr("aujourd'hui") == ["aujourd'hui"]


# -- French: folding ---------------------------------------------------------------------------


def test_french_accent_and_case_folding() -> None:
    assert fr("équipe") == fr("equipe") == fr("ÉQUIPE") == fr("Equipe") == ["equip"]


@pytest.mark.parametrize(
    ("ligature", "expanded"),
    [("cœur", "coeur"), ("œuvre", "oeuvre"), ("Œuvre", "oeuvre"), ("æquo", "aequo")],
)
def test_french_ligatures_fold_to_two_letters(ligature: str, expanded: str) -> None:
    assert fr(ligature) == fr(expanded)
    assert fr(ligature) and all("œ" not in t and "æ" not in t for t in fr(ligature))


def test_ligature_terms() -> None:
    assert fr("cœur") == ["coeur"]
    assert fr("ex æquo") == ["ex", "aequo"]


def test_fold_function() -> None:
    assert fold("Déploiement") == "Deploiement"
    assert fold("cœur") == "coeur"
    assert fold("Œdème") == "OEdeme"
    assert fold("naïve façade") == "naive facade"
    assert fold("plain") == "plain"


# -- French: stemming and stop words -----------------------------------------------------------


@pytest.mark.parametrize(
    ("plural", "singular"),
    [
        ("équipes", "équipe"),
        ("déploiements", "déploiement"),
        ("serveurs", "serveur"),
        ("sociétés", "société"),
    ],
)
def test_french_plural_and_singular_share_a_stem(plural: str, singular: str) -> None:
    assert fr(plural) == fr(singular)
    assert len(fr(plural)) == 1


def test_french_stemming_actually_stems() -> None:
    # a stem, not the folded word itself
    assert fr("déploiements") == ["deploi"]


@pytest.mark.parametrize("word", ["le", "la", "des", "de", "du", "et", "une", "Le", "LA"])
def test_french_stop_words_are_dropped(word: str) -> None:
    assert fr(word) == []


@pytest.mark.parametrize("word", ["quel", "Quelle", "quels", "quelles", "lequel", "laquelle",
                                  "combien", "comment", "pourquoi", "quand", "quoi"])
def test_french_interrogatives_are_stop_words_as_english_ones_are(word: str) -> None:
    """A question's "quelle" is not its subject: kept, it matched (at a high idf) the
    rare paragraph that holds the word; English drops "what", "how", "when" already."""
    assert fr(word) == []
    assert fr(f"{word} est la date de fondation ?") == ["dat", "fondat"]


def test_the_english_analyzer_keeps_a_comment() -> None:
    assert analyze("comment", "en") == ["comment"]  # French "how", English "comment"


def test_french_sentence_keeps_only_content_words() -> None:
    assert fr("La migration de la base des clients") == ["migrat", "bas", "client"]


# French words typed with and without accents must stem to the same term.
ACCENTED_FRENCH = [
    "équipe",
    "déploiement",
    "sécurité",
    "société",
    "intégration",
    "élève",
    "château",
    "fenêtre",
    "hôpital",
    "réunion",
    "procédure",
    "développeur",
    "qualité",
    "réseau",
    "général",
    "coût",
    "façade",
    "théâtre",
    "réglementation",
    "cœur",
]


@pytest.mark.parametrize("word", ACCENTED_FRENCH)
def test_french_word_stems_the_same_with_and_without_accents(word: str) -> None:
    folded = fold(word)
    assert folded != word  # the case really exercises folding
    assert fr(word) == fr(folded)
    assert fr(word.upper()) == fr(folded)
    assert len(fr(word)) == 1


# -- English -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["team's", "team’s", "Team's", "teams"])
def test_english_possessives_and_plurals(text: str) -> None:
    assert en(text) == en("team") == ["team"]


def test_english_contraction_apostrophe_removed() -> None:
    assert en("don’t") == en("don't") == ["dont"]


@pytest.mark.parametrize(
    ("inflected", "base"),
    [("deployments", "deployment"), ("running", "run"), ("runs", "run"), ("RUNNING", "run")],
)
def test_english_stemming(inflected: str, base: str) -> None:
    assert en(inflected) == en(base)


def test_english_stemming_actually_stems() -> None:
    assert en("deployments") == ["deploy"]
    assert en("running") == ["run"]


def test_english_case_folding() -> None:
    assert en("Kubernetes") == en("KUBERNETES") == en("kubernetes")


@pytest.mark.parametrize("word", ["the", "a", "of", "and", "The", "OF"])
def test_english_stop_words_are_dropped(word: str) -> None:
    assert en(word) == []


def test_english_sentence_keeps_only_content_words() -> None:
    assert en("The deployment of the new servers") == ["deploy", "new", "server"]


def test_languages_differ() -> None:
    # "des" is a French stop word but an ordinary token in English
    assert fr("des") == []
    assert en("des") != []


# -- analyzer_for, pickling ---------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_analyzer_for_known_languages(language: str) -> None:
    terms = [t.text for t in analyzer_for(language)("Équipes")]
    assert terms == analyze("Équipes", language)
    assert terms


def test_analyzer_for_unknown_language_lists_valid_ones() -> None:
    with pytest.raises(ValueError) as info:
        analyzer_for("de")
    message = str(info.value)
    assert "'de'" in message
    for language in LANGUAGES:
        assert language in message


@pytest.mark.parametrize("factory", [french_analyzer, english_analyzer])
def test_analyzers_survive_pickling(factory) -> None:  # type: ignore[no-untyped-def]
    text = "L’Équipe des déploiements: the team's running cœur"
    analyzer = factory()
    expected = [t.text for t in analyzer(text)]  # warms the stem cache too
    restored = pickle.loads(pickle.dumps(analyzer))
    assert [t.text for t in restored(text)] == expected
    assert expected


# -- language detection --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Nous avons déployé le nouveau cluster à Nantes la semaine dernière.",
        "Quelqu’un sait-il comment configurer l’authentification unique pour l’équipe ?",
    ],
)
def test_detect_french(text: str) -> None:
    assert detect_language(text) == "fr"
    assert detect_language(text, default="en") == "fr"


@pytest.mark.parametrize(
    "text",
    [
        "We deployed the new cluster in Nantes last week.",
        "Does anyone know how to configure single sign-on for the team?",
    ],
)
def test_detect_english(text: str) -> None:
    assert detect_language(text) == "en"
    assert detect_language(text, default="fr") == "en"


@pytest.mark.parametrize("text", ["", "   ", "123 456 !!!", "2026-03-01 10:00"])
def test_detect_language_without_letters_returns_the_default(text: str) -> None:
    assert detect_language(text) == "en"
    assert detect_language(text, default="fr") == "fr"
