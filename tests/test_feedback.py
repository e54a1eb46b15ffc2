"""The feedback signal and store: the factor's numbers (bounds, minimum of people, decay),
one vote per person (replaced, not added), votes without voters, and each rule of who
counts (search.feedback.counted_votes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.records import Person
from search import signals
from search.feedback import FeedbackStore, Target, Vote, counted_votes, readable_lines
from search.querylog import QueryLog

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def votes(*helpful: bool, age_days: float = 0.0) -> list[tuple[bool, datetime]]:
    return [(h, NOW - timedelta(days=age_days)) for h in helpful]


def test_the_factor_needs_three_people_and_stays_within_its_bounds():
    assert signals.feedback_factor(votes(True, True), NOW) is None
    assert signals.feedback_factor(votes(True, True, True), NOW) == pytest.approx(1.1)
    assert signals.feedback_factor(votes(False, False, False), NOW) == pytest.approx(0.9)
    assert signals.feedback_factor(votes(True, True, False), NOW) == pytest.approx(
        1 + 0.2 * (1 / 3) * 0.5)
    assert signals.feedback_factor(votes(True, False, True, False), NOW) is None  # even
    many_up = signals.feedback_factor(votes(*[True] * 10_000), NOW)
    many_down = signals.feedback_factor(votes(*[False] * 10_000), NOW)
    assert many_up is not None and many_down is not None
    assert 1.199 < many_up < 1.2 and 0.8 < many_down < 0.801


def test_the_factor_decays_with_the_votes_age():
    fresh = signals.feedback_factor(votes(True, True, True), NOW)
    aged = signals.feedback_factor(votes(True, True, True, age_days=90), NOW)
    assert aged == pytest.approx(1 + 0.2 * 1.5 / 4.5)  # three half-weights
    assert fresh is not None and aged is not None and 1 < aged < fresh
    assert signals.feedback_factor(votes(True, True, True, age_days=366), NOW) is None
    mixed = votes(True, True) + votes(True, age_days=400)  # the third is too old to count
    assert signals.feedback_factor(mixed, NOW) is None


def test_rerank_records_the_factor_in_the_explanation():
    one = signals.Candidate(1, "a", 1.0, NOW, False, 0)
    two = signals.Candidate(2, "b", 1.05, NOW, False, 0)
    ranked = signals.rerank([one, two], {}, NOW, 0, {"a": 1.1})
    assert [c.id for c, _, _ in ranked] == ["a", "b"]
    assert ranked[0][2] == {"feedback": 1.1} and ranked[1][2] == {}
    assert ranked[0][1] == pytest.approx(1.1)


@pytest.fixture
def store(tmp_path) -> FeedbackStore:
    log = QueryLog.open(tmp_path, "hash")
    return FeedbackStore(tmp_path / "feedback.sqlite", log.viewer_key)


def test_one_vote_per_person_target_and_query(store):
    store.record("result", "post-1", "Notes de  Frais", True, "p-a", "g-x", frozenset({"g-x"}))
    store.record("result", "post-1", "notes de frais", False, "p-a", "g-x", frozenset({"g-x"}))
    store.record("result", "post-1", "notes de frais", True, "p-b", "g-x", frozenset({"g-x"}))
    store.record("answer", "post-1", "notes de frais", True, "p-a", "g-x", frozenset({"g-x"}))
    cast = store.votes("result", "NOTES de frais")
    assert sorted(vote.helpful for vote in cast) == [False, True]
    assert store.choice("result", "post-1", "notes de frais", "p-a") is False
    assert store.choice("result", "post-2", "notes de frais", "p-a") is None
    stored = {row[0] for row in store.db.execute("SELECT voter FROM votes")}
    assert "p-a" not in stored and store.voter_key("p-a") in stored  # the salted hash
    assert store.per_person
    with pytest.raises(ValueError):
        store.record("post", "post-1", "q", True, "p-a", "g-x", frozenset())
    with pytest.raises(ValueError):
        store.record("result", "post-1", "   ", True, "p-a", "g-x", frozenset())


def test_without_voters_votes_are_kept_but_not_told_apart(tmp_path):
    log = QueryLog.open(tmp_path, "none")
    store = FeedbackStore(None, log.viewer_key)
    for _ in range(3):
        store.record("result", "post-1", "q", False, "p-a", "g-x", frozenset({"g-x"}))
    assert not store.per_person and store.choice("result", "post-1", "q", "p-a") is None
    assert len(store.votes("result", "q")) == 3
    [line] = readable_lines(store, "result", frozenset({"g-x"}), lambda target: "g-x")
    assert (line.not_helpful, line.helpful) == (3, 0)
    assert not FeedbackStore(None).per_person


def person(ident: str, status: str = "active") -> Person:
    return Person(id=ident, name=ident, status=status)


def test_who_counts():
    reader = frozenset({"g-open", "@feed"})
    voters = {f"k-{p}": person(p) for p in ("a", "b", "c", "author", "private")}
    voters["k-gone"] = person("gone", status="departed")
    readable = {"a": reader, "b": reader, "c": reader, "author": reader,
                "private": reader | {"g-secret"}, "gone": reader}
    targets = {"post-1": Target("g-open", "author")}

    def vote(voter: str | None, group: str = "g-open",
             groups: frozenset[str] = reader) -> Vote:
        return Vote("result", "q", "post-1", True, NOW, voter, group, groups)

    cast = [vote("k-a"), vote("k-b"), vote("k-c"), vote("k-author"), vote("k-gone"),
            vote("k-stranger"), vote(None), vote("k-a", group="g-old"),
            vote("k-private", groups=reader | {"g-secret"})]
    counted = counted_votes(cast, targets, reader, voters,
                            lambda p: readable[p.id])
    assert [v.voter for v in counted["post-1"]] == ["k-a", "k-b", "k-c"]
    # a member of g-secret reading the same item counts the private voter too
    counted = counted_votes(cast, targets, reader | {"g-secret"}, voters,
                            lambda p: readable[p.id])
    assert [v.voter for v in counted["post-1"]] == ["k-a", "k-b", "k-c", "k-private"]
    # a voter who can no longer read the item's group does not count
    counted = counted_votes(cast[:3], targets, reader, voters,
                            lambda p: frozenset() if p.id == "a" else readable[p.id])
    assert [v.voter for v in counted["post-1"]] == ["k-b", "k-c"]


def test_lines_follow_the_query_log_rule(store):
    store.record("result", "post-1", "zorbaflux", False, "p-a", "g-open",
                 frozenset({"g-open", "g-secret"}))
    store.record("result", "post-1", "frais", False, "p-b", "g-open", frozenset({"g-open"}))
    store.record("result", "post-2", "frais", False, "p-b", "g-secret",
                 frozenset({"g-open", "g-secret"}))
    groups = {"post-1": "g-open", "post-2": "g-secret"}
    outsider = readable_lines(store, "result", frozenset({"g-open"}), groups.get)
    assert [(line.query, line.target) for line in outsider] == [("frais", "post-1")]
    member = readable_lines(store, "result", frozenset({"g-open", "g-secret"}), groups.get)
    assert len(member) == 3
    moved = readable_lines(store, "result", frozenset({"g-open", "g-secret"}),
                           {"post-1": "g-secret", "post-2": "g-secret"}.get)
    assert [line.target for line in moved] == ["post-2"]
    with pytest.raises(TypeError):
        store.lines("result", visible_to="g-open")  # type: ignore[arg-type]
