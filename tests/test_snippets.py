"""Snippets show the passage that matched, and mark the query's words in it."""

from search.snippets import highlights, snippet


def test_snippet_centres_on_the_densest_matches():
    middle = "the notes de frais portal accepts notes de frais photos "
    text = "intro " * 100 + middle + "end " * 100
    window = snippet(text, ["notes", "frais"], size=120)
    assert "notes de frais portal" in window
    assert window.startswith("…") and window.endswith("…")


def test_snippet_without_matches_is_the_beginning():
    assert snippet("first words of the text", ["absent"]) == "first words of the text"


def test_highlights_are_accent_case_and_stem_blind():
    text = "Les Équipes DevOps: l’équipe déploie sur KUBERNETES."
    marked = [text[a:b] for a, b in highlights(text, ["equipe", "kubernetes"])]
    assert marked == ["Équipes", "équipe", "KUBERNETES"]
    assert highlights(text, ["absent"]) == ()


def test_stop_words_are_not_highlighted_unless_the_query_is_only_them():
    text = "Pour les notes de frais de déplacement, voir la note de service. The end of it."
    shown = [text[a:b] for a, b in highlights(text, ["notes de frais"])]
    assert shown == ["notes", "frais", "note"]  # "de" in the query, never highlighted
    assert [text[a:b] for a, b in highlights(text, ["the end of"])] == ["end"]
    assert [text[a:b] for a, b in highlights(text, ["de"])] == ["de", "de", "de"]
    # the window goes to the content words too, not to the first "de"
    long = "de " * 200 + "notes de frais"
    assert "notes de frais" in snippet(long, ["notes de frais"], size=60)
