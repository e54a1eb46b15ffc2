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
