"""The search box's query language: constructs, normalisation, errors, robustness."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import QuisaitError
from search.query import (
    MAX_CLAUSES,
    MAX_QUERY_CHARS,
    AllOf,
    AnyOf,
    Filter,
    ParsedQuery,
    Phrase,
    QuerySyntaxError,
    Term,
    parse_query,
)

NOW = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)


def parse(text: str) -> ParsedQuery:
    return parse_query(text, now=NOW)


def terms(*words: str) -> tuple[Term, ...]:
    return tuple(Term(word) for word in words)


# --- words, phrases, exclusions -------------------------------------------------

def test_words_are_kept_in_order() -> None:
    assert parse("kubernetes déploiement") == ParsedQuery(terms("kubernetes", "déploiement"), ())


def test_french_apostrophes_and_accents_stay_inside_words() -> None:
    query = parse("l’équipe d'intégration Œuvre naïve")
    assert query.clauses == terms("l’équipe", "d'intégration", "Œuvre", "naïve")
    assert query.free_text() == "l’équipe d'intégration Œuvre naïve"


@pytest.mark.parametrize("text", ['"notes de frais"', "« notes de frais »", "“notes de frais”",
                                  '«notes  de\tfrais"', '“notes de frais"'])
def test_phrases_in_straight_french_and_typographic_quotes(text: str) -> None:
    assert parse(text).clauses == (Phrase(("notes", "de", "frais"), "notes de frais"),)


def test_exclusions_of_words_and_phrases() -> None:
    query = parse('sap -papier -"note papier"')
    assert query.clauses == (Term("sap"), Term("papier", negated=True),
                             Phrase(("note", "papier"), "note papier", negated=True))
    assert query.free_text() == "sap"
    assert query.positive_terms() == ("sap",)


def test_phrase_next_to_a_word_and_empty_phrases() -> None:
    assert parse('"a b"c "" -"  "').clauses == (Phrase(("a", "b"), "a b"), Term("c"))


def test_control_and_invisible_characters_separate_words() -> None:
    assert parse("\ufeffa\x00b\u200bc\td").clauses == terms("a", "b", "c", "d")


def test_a_lone_dash_is_ignored_and_a_double_dash_is_a_word() -> None:
    assert parse("a - b --force").clauses == terms("a", "b", "--force")


def test_quotes_inside_a_word_are_literal() -> None:
    assert parse('5" l"avion').clauses == terms('5"', 'l"avion')


@pytest.mark.parametrize("text", ["10:30", "http://example.com/a?b=c", "https://x.org:8080/",
                                  "C++", "std::vector", "C#", "#1234", "mailto:karim@x.fr",
                                  "tags:sap", "f(x)", "or", "Or", "ou"])
def test_colons_and_symbols_that_are_not_filters_are_words(text: str) -> None:
    assert parse(text) == ParsedQuery((Term(text),), ())


# --- OR and groups ----------------------------------------------------------------

def test_or_binds_tighter_than_the_implicit_and() -> None:
    a, b, c, d = terms("a", "b", "c", "d")
    assert parse("a b OR c d").clauses == (a, AnyOf((b, c)), d)
    assert parse("a OR b OR c").clauses == (AnyOf((a, b, c)),)


def test_or_joins_phrases_and_exclusions() -> None:
    assert parse('k8s OR "kube cluster" OR -legacy').clauses == (AnyOf((
        Term("k8s"), Phrase(("kube", "cluster"), "kube cluster"), Term("legacy", negated=True))),)


def test_groups() -> None:
    a, b, c, d = terms("a", "b", "c", "d")
    assert parse("(a OR b) c").clauses == (AnyOf((a, b)), c)
    assert parse("(a b) OR c").clauses == (AnyOf((AllOf((a, b)), c)),)
    assert parse("(a OR b) OR (c OR d)").clauses == (AnyOf((a, b, c, d)),)
    assert parse("(a b) c ((d))").clauses == (a, b, c, d)  # top-level groups add nothing
    assert parse("(a f(x))").clauses == terms("a", "f(x)")


def test_filters_inside_groups_are_global() -> None:
    query = parse("(tag:sap a) OR b")
    assert query.clauses == (AnyOf((Term("a"), Term("b"))),)
    assert query.filters == (Filter("tag", ("sap",)),)
    assert parse("(tag:sap) b") == ParsedQuery(terms("b"), (Filter("tag", ("sap",)),))


def test_lowercase_or_is_a_word() -> None:
    assert parse("a or b").clauses == terms("a", "or", "b")
    assert parse("a -OR b").clauses == (Term("a"), Term("OR", negated=True), Term("b"))


# --- filters ------------------------------------------------------------------------

def test_hashtag_is_a_tag_filter() -> None:
    assert parse("#rgpd") == parse("tag:rgpd") == parse("tag:#RGPD") == parse("TAG:Rgpd")
    assert parse("#rgpd").filters == (Filter("tag", ("rgpd",)),)
    assert parse("-#sap").filters == (Filter("tag", ("sap",), negated=True),)


def test_the_combination_from_the_help_page() -> None:
    query = parse('"notes de frais" -papier author:p-karim after:2025-01 type:question '
                  "is:unanswered")
    assert query.clauses == (Phrase(("notes", "de", "frais"), "notes de frais"),
                             Term("papier", negated=True))
    assert query.filters == (Filter("author", ("p-karim",)), Filter("after", ("2025-01-01",)),
                             Filter("type", ("question",)), Filter("is", ("unanswered",)))
    assert query.free_text() == "notes de frais"


def test_filter_values_are_normalised() -> None:
    query = parse('group:"Finance,  achats" type:Question,ANSWER,question lang:FR is:accepted '
                  "tag:sap,#erp,")
    assert query.filters == (Filter("group", ("Finance, achats",)),
                             Filter("type", ("question", "answer")), Filter("lang", ("fr",)),
                             Filter("is", ("accepted",)), Filter("tag", ("sap", "erp")))
    assert query.clauses == ()


def test_repeated_and_negated_filters_are_kept_apart() -> None:
    assert parse("tag:sap tag:erp -tag:sage -lang:en").filters == (
        Filter("tag", ("sap",)), Filter("tag", ("erp",)), Filter("tag", ("sage",), negated=True),
        Filter("lang", ("en",), negated=True))


def test_quoted_filter_values_in_french_quotes() -> None:
    assert parse("author:«Karim P.» x").filters == (Filter("author", ("Karim P.",)),)


@pytest.mark.parametrize("value, start", [
    ("2026-01-05", "2026-01-05"), ("2025-03", "2025-03-01"), ("2025", "2025-01-01"),
    ("2025-3-5", "2025-03-05"), ("30d", "2026-03-01"), ("0d", "2026-03-31"),
    ("12w", "2026-01-06"), ("6M", "2025-09-30"), ("1m", "2026-02-28"), ("1y", "2025-03-31"),
    ("14m", "2025-01-31"),
])
def test_dates_resolve_to_the_start_of_the_period(value: str, start: str) -> None:
    assert parse(f"after:{value} before:{value}").filters == (
        Filter("after", (start,)), Filter("before", (start,)))


def test_a_month_is_after_its_start_and_before_the_next_start() -> None:
    assert parse("after:2025-03 before:2025-04").filters == (
        Filter("after", ("2025-03-01",)), Filter("before", ("2025-04-01",)))


def test_negated_dates_flip_to_the_other_bound() -> None:
    assert parse("-before:2025 -after:30d").filters == (
        Filter("after", ("2025-01-01",)), Filter("before", ("2026-03-01",)))


def test_relative_dates_default_to_the_current_utc_day() -> None:
    before = datetime.now(UTC).date()
    value = parse_query("after:1d").filters[0].values[0]
    after = datetime.now(UTC).date()
    assert value in {(before - timedelta(days=1)).isoformat(),
                     (after - timedelta(days=1)).isoformat()}


# --- the query object ---------------------------------------------------------------

def test_free_text_and_positive_terms_skip_filters_and_exclusions() -> None:
    query = parse('(kube OR "k8s cluster") -legacy tag:ops cluster')
    assert query.free_text() == "kube k8s cluster cluster"
    assert query.positive_terms() == ("kube", "k8s", "cluster")


def test_is_empty() -> None:
    assert parse("").is_empty() and parse('  - "" \t').is_empty()
    assert not parse("tag:x").is_empty() and not parse("-x").is_empty()


def test_parsed_queries_are_frozen_and_hashable() -> None:
    query = parse("a OR (b c) tag:x")
    assert hash(query) == hash(parse("a OR (b c) tag:x"))
    with pytest.raises(AttributeError):
        query.clauses = ()  # type: ignore[misc]


# --- errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, position, words", [
    ('a "notes de', 2, "never closed"),
    ("x «notes", 2, "never closed"),
    ('author:"Karim', 7, "never closed"),
    ("tag:", 4, "no value"),
    ("a -tag: b", 7, "no value"),
    ("Type:", 5, "no value"),
    ("tag:,#", 4, "no value"),
    ('group:""', 7, "no value"),
    ("type:foo", 5, "post, question, answer, comment, document, event, article"),
    ("x type:question,bogus", 16, "'bogus'"),
    ("lang:de", 5, "fr, en"),
    ("after:yesterday", 6, "2025-03, 2025, or a span back"),
    ("before:2025-02-30", 7, "cannot read the date"),
    ("after:0000", 6, "cannot read the date"),
    ("after:3000y", 6, "cannot read the date"),
    ("after:99999999999999999999d", 6, "cannot read the date"),
    ("after:²3d", 6, "cannot read the date"),
    ("is:open", 3, "unanswered, accepted"),
    ("OR a", 0, "each side"),
    ("a OR", 2, "each side"),
    ("a OR OR b", 2, "each side"),
    ("(a OR) b", 3, "each side"),
    ('a OR ""', 2, "each side"),
    ("tag:x OR a", 6, "cannot join filters"),
    ("a OR #x", 2, "cannot join filters"),
    ("(a b", 0, "never closed"),
    ("((a) b", 0, "never closed"),
    ("a)", 1, "closes nothing"),
    ("a b))", 3, "closes nothing"),
    ("x ()", 2, "empty"),
    ("-(a b)", 0, "cannot be excluded"),
    ("(((((((((a)))))))))", 8, "nest"),
])
def test_errors_point_at_the_culprit(text: str, position: int, words: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(text)
    assert caught.value.position == position
    assert words in str(caught.value)


def test_limits() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse("a" * (MAX_QUERY_CHARS + 1))
    assert caught.value.position == MAX_QUERY_CHARS
    assert len(parse("a" * MAX_QUERY_CHARS).clauses) == 1
    words = [f"w{i}" for i in range(MAX_CLAUSES)]
    assert len(parse(" ".join(words[:-1]) + " tag:x").filters) == 1
    with pytest.raises(QuerySyntaxError) as caught:
        parse(" ".join(words) + " tag:x")
    assert caught.value.position == len(" ".join(words)) + 1


def test_the_error_is_a_bad_request_and_a_value_error() -> None:
    with pytest.raises(ValueError) as caught:
        parse("tag:")
    assert isinstance(caught.value, QuisaitError) and caught.value.status == 400


# --- robustness -------------------------------------------------------------------------

SYNTAX = ['"', "«", "»", "“", "”", "(", ")", "-", "#", ":", ",", " ", "OR", "tag:", "type:",
          "after:", "is:", "lang:", "group:", "x", "é", "’", "\x00", "\n", "30d", "2025-"]


@settings(max_examples=400)
@given(st.one_of(st.text(max_size=1100), st.lists(st.sampled_from(SYNTAX)).map("".join)))
def test_arbitrary_text_raises_nothing_but_a_syntax_error(text: str) -> None:
    try:
        query = parse(text)
    except QuerySyntaxError as error:
        assert 0 <= error.position <= len(text)
        return
    query.free_text(), query.positive_terms(), hash(query)


WORD = st.text(st.characters(categories=["L"]), min_size=1, max_size=12).filter(
    lambda w: w != "OR")


@given(st.lists(WORD, max_size=20))
def test_words_only_queries_round_trip(words: list[str]) -> None:
    query = parse(" ".join(words))
    assert query.free_text() == " ".join(words)
    assert query.clauses == terms(*words)


PATHOLOGICAL = ['"' * 1000, "(" * 1000, ")" * 1000, "-" * 1000, "#a" * 500, "a:" * 500,
                "tag:" * 250, "(a " * 333, "a OR " * 200, '"a' * 500, "a)" * 500, "«" * 1000,
                "f(" * 500, "x" * 999 + '"', "after:" + "9" * 994, "\x00" * 1000]


def test_parse_time_stays_linear() -> None:
    rng = random.Random(7)
    inputs = PATHOLOGICAL + ["".join(rng.choices(SYNTAX, k=400))[:1000] for _ in range(200)]
    inputs += ["".join(map(chr, rng.choices(range(0x20, 0x3000), k=1000))) for _ in range(50)]
    worst = 0.0
    for text in inputs:
        started = time.perf_counter()
        try:
            parse(text)
        except QuerySyntaxError:
            pass
        worst = max(worst, time.perf_counter() - started)
    assert worst < 0.05
