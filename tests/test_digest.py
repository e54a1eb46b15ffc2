"""Expert digests: the load-aware assignment under both limits (against a brute-force
oracle), never the asker, never a question the recipient may not read, accepted
questions left out, and the weekly replay on a tiny Stack Exchange dump."""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.records import Person
from expertise.digest import (
    ASSIGNERS,
    OpenQuestion,
    assign,
    build_digest,
    open_questions,
    plan_digest,
)
from expertise.finder import Expert, ExpertFinder
from indexer import index_sources
from search import Searcher
from tests.conftest import write_jsonl
from tests.test_import_stackexchange import write_xml

METHODS = sorted(ASSIGNERS)


def random_case(rng: random.Random, questions: int, people: int,
                depth: int) -> dict[str, list[tuple[str, float]]]:
    """Ranked candidates: a few popular people in most lists, scores best first."""
    names = [f"p{i}" for i in range(people)]
    cases = {}
    for q in range(questions):
        chosen = rng.sample(names, min(depth, people))
        scores = sorted((round(rng.uniform(0.1, 2.5), 3) for _ in chosen), reverse=True)
        cases[f"q{q}"] = list(zip(chosen, scores, strict=True))
    return cases


def normalised_total(candidates, chosen) -> tuple[int, float]:
    total = 0.0
    for question, people in chosen.items():
        top = candidates[question][0][1]
        scores = dict(candidates[question])
        total += sum(scores[p] / top for p in people)
    return sum(len(p) for p in chosen.values()), round(total, 6)


def oracle(candidates, per_person: int, fanout: int) -> tuple[int, float]:
    """Best (slots filled, total normalised score) over every feasible assignment."""
    pairs = [(q, p) for q, ranked in candidates.items() for p, _ in ranked]
    best = (0, 0.0)
    for mask in itertools.product((0, 1), repeat=len(pairs)):
        taken = [pair for pair, bit in zip(pairs, mask, strict=True) if bit]
        per_q = {q: [p for qq, p in taken if qq == q] for q in candidates}
        if any(len(v) > fanout for v in per_q.values()):
            continue
        if any(sum(p == person for _, p in taken) > per_person for _, person in taken):
            continue
        best = max(best, normalised_total(candidates, per_q))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_flow_is_optimal_against_a_brute_force_oracle(seed):
    rng = random.Random(seed)
    candidates = random_case(rng, questions=3, people=4, depth=rng.choice((2, 3, 4)))
    per_person, fanout = rng.choice((1, 2)), rng.choice((1, 2))
    flow = assign(candidates, per_person, fanout, "flow")
    count, total = normalised_total(candidates, flow)
    best_count, best_total = oracle(candidates, per_person, fanout)
    assert count == best_count and total == pytest.approx(best_total, abs=1e-5)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", range(5))
def test_both_limits_hold_and_recipients_are_candidates(method, seed):
    rng = random.Random(100 + seed)
    candidates = random_case(rng, questions=25, people=12, depth=8)
    chosen = assign(candidates, per_person=3, fanout=4, method=method)
    assert set(chosen) == set(candidates)
    load: dict[str, int] = {}
    for question, people in chosen.items():
        assert len(people) <= 4 and len(set(people)) == len(people)
        ranked = [p for p, _ in candidates[question]]
        assert set(people) <= set(ranked)
        assert list(people) == sorted(people, key=ranked.index)  # best placed first
        for person in people:
            load[person] = load.get(person, 0) + 1
    assert max(load.values()) <= 3
    # 25 questions x 4 slots > 12 people x 3: every person is used to the full
    assert sum(load.values()) == 36


@pytest.mark.parametrize("method", METHODS)
def test_a_question_whose_top_people_are_full_goes_to_its_next_best(method):
    # everyone's two best are the same two people, who can take two questions each
    candidates = {f"q{i}": [("a", 2.0), ("b", 1.9), (f"x{i}", 0.5), (f"y{i}", 0.4)]
                  for i in range(4)}
    chosen = assign(candidates, per_person=2, fanout=2, method=method)
    assert all(len(people) == 2 for people in chosen.values())
    assert sum("a" in p for p in chosen.values()) == 2
    assert sum("b" in p for p in chosen.values()) == 2
    # the other four slots go to each question's own next-best people
    assert all(set(people) <= {"a", "b", f"x{q[1:]}", f"y{q[1:]}"}
               for q, people in chosen.items())


def test_load_aware_gives_a_scarce_person_where_the_alternative_is_weakest():
    # "a" is best for both but may take one; q2's only other candidate is weak
    candidates = {"q1": [("a", 1.0), ("b", 0.95)], "q2": [("a", 1.0), ("c", 0.2)]}
    assert assign(candidates, per_person=1, fanout=1, method="greedy") == {
        "q1": ("a",), "q2": ("c",)}
    # the flow: 1.0 + 0.95 beats 1.0 + 0.2 (pairs, taking the tie at 1.0 first, does not)
    assert assign(candidates, per_person=1, fanout=1, method="flow") == {
        "q1": ("b",), "q2": ("a",)}


@pytest.mark.parametrize("method", METHODS)
def test_assignment_is_deterministic_whatever_the_input_order(method):
    candidates = random_case(random.Random(7), questions=15, people=6, depth=5)
    # ties: two people with the same score in every list
    candidates = {q: [("t1", 3.0), ("t2", 3.0), *ranked] for q, ranked in candidates.items()}
    first = assign(candidates, per_person=4, fanout=3, method=method)
    shuffled = dict(sorted(candidates.items(), reverse=True))
    assert assign(shuffled, per_person=4, fanout=3, method=method) == first
    assert assign(candidates, per_person=4, fanout=3, method=method) == first


def test_limits_and_unknown_assigners_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        assign({"q": [("a", 1.0)]}, per_person=0, fanout=1)
    with pytest.raises(ValueError, match="flow"):
        assign({"q": [("a", 1.0)]}, per_person=1, fanout=1, method="nope")


def expert(person: str, score: float) -> Expert:
    return Expert(person=Person(id=person, name=person), score=score, components={},
                  evidence=(), answers=1, accepted=0, posts=1, last_activity=None,
                  why=f"{person} knows")


def test_plan_never_sends_a_question_to_its_asker():
    when = datetime(2026, 1, 5, tzinfo=UTC)
    questions = [OpenQuestion(f"q{i}", "t", "t", "g", "asker", when) for i in range(3)]
    ranked = {q.id: [expert("asker", 9.0), expert("b", 1.0), expert("c", 0.5)]
              for q in questions}
    ranked["q2"] = [expert("b", 2.0), expert("asker", 1.0), expert("c", 0.5)]
    digest = plan_digest(questions, ranked, per_person=10, fanout=5, start=when, end=when)
    assert digest.entries and all(e.person != "asker" for e in digest.entries)
    assert digest.recipients("q0") == ("b", "c")
    # ranks among the candidates (the asker is none); then the better score first
    assert [(e.question, e.rank) for e in digest.for_person("b")] == [
        ("q2", 1), ("q0", 1), ("q1", 1)]
    assert [e.rank for e in digest.entries if e.person == "c"] == [2, 2, 2]
    assert digest.for_person("b")[0].why == "b knows"


# -- a small catalog with a private group ---------------------------------------------

def post(ident: str, author: str, group: str, day: int, kind: str = "question",
         **extra: object) -> dict:
    """A post on the one subject; ``day`` > 0 is in January 2026, <= 0 in December 2025."""
    date = f"2026-01-{day:02d}" if day > 0 else f"2025-12-{31 + day:02d}"
    title = f"Zorglub calibration {ident}" if kind == "question" else ""
    return {"type": "post", "id": ident, "author": author, "group": group, "kind": kind,
            "created": f"{date}T10:00:00", "title": title, "lang": "en",
            "body": "Zorglub calibration drift after the quarnix firmware update, how to fix it?",
            **extra}


RECORDS: list[dict] = [
    *({"type": "person", "id": p, "name": p} for p in
      ("p-asker", "p-member", "p-outsider", "p-quiet")),
    {"type": "group", "id": "g-open", "name": "Open", "visibility": "open"},
    {"type": "group", "id": "g-lab", "name": "Lab", "visibility": "private",
     "members": ["p-asker", "p-member"]},
    # history: the outsider is the zorglub expert in the open group, the member in the lab
    *(post(f"h{i}", "p-quiet", "g-open", -10 - i, accepted_answer=f"h{i}a") for i in range(4)),
    *(post(f"h{i}a", "p-outsider", "g-open", -10 - i, kind="answer", parent=f"h{i}")
      for i in range(4)),
    post("l1", "p-asker", "g-lab", -5, accepted_answer="l1a"),
    post("l1a", "p-member", "g-lab", -5, kind="answer", parent="l1"),
    # the outsider answered in the lab once, as a former member: evidence they may not see
    post("l2", "p-asker", "g-lab", -3, accepted_answer="l2a"),
    post("l2a", "p-outsider", "g-lab", -3, kind="answer", parent="l2"),
    # the week: open questions in both groups, one already accepted
    post("q-lab", "p-asker", "g-lab", 6),
    post("q-open", "p-asker", "g-open", 6),
    post("q-done", "p-quiet", "g-open", 7, accepted_answer="q-done-a"),
    post("q-done-a", "p-outsider", "g-open", 7, kind="answer", parent="q-done"),
    post("q-own", "p-outsider", "g-open", 8),
]
WEEK = (datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 12, tzinfo=UTC))


@pytest.fixture(scope="module")
def finder(tmp_path_factory: pytest.TempPathFactory):
    from core.settings import Settings

    folder = tmp_path_factory.mktemp("digest")
    settings = Settings(data_dir=folder / "data", embeddings=False)
    report = index_sources(settings, [str(write_jsonl(folder / "net.jsonl", RECORDS))])
    assert not report.problems, report.problems
    with Searcher.open(settings) as searcher:
        yield ExpertFinder(searcher)


def test_open_questions_leave_out_accepted_ones_and_other_weeks(finder):
    found = [q.id for q in open_questions(finder, *WEEK)]
    assert found == ["q-lab", "q-open", "q-own"]
    assert [q.group for q in open_questions(finder, *WEEK)][:2] == ["g-lab", "g-open"]


def test_digest_never_carries_a_question_its_recipient_may_not_read(finder):
    digest = build_digest(finder, *WEEK, per_person=10, fanout=5, mode="lexical")
    outsider = {e.question for e in digest.for_person("p-outsider")}
    # the outsider is the best zorglub answerer, yet never gets the lab's question
    assert "q-open" in outsider and "q-lab" not in outsider
    assert "q-own" not in outsider  # never their own
    assert "q-lab" in {e.question for e in digest.for_person("p-member")}  # positive control
    assert "p-asker" not in digest.recipients("q-lab") + digest.recipients("q-open")
    assert "q-done" not in digest.questions
    for entry in digest.entries:
        readable = finder.searcher.scope(entry.person).readable
        assert all(e.group in readable for e in entry.evidence)
    # the asker's ranking credits the outsider's lab answer; their digest does not show it
    ranked = finder.experts("zorglub calibration", "p-asker", mode="lexical")
    assert "l2a" in {e.item_id for x in ranked for e in x.evidence}
    assert "l2a" not in {e.item_id for x in digest.entries for e in x.evidence}
    top = digest.for_person("p-outsider")[0]
    assert top.evidence and top.why and top.rank == 1


def test_digest_limits_come_from_the_settings(finder):
    searcher = finder.searcher
    tight = replace(searcher.settings, digest_per_person=1, digest_fanout=1)
    searcher.settings, original = tight, searcher.settings
    try:
        digest = build_digest(finder, *WEEK, mode="lexical")
    finally:
        searcher.settings = original
    assert all(len(digest.recipients(q)) <= 1 for q in digest.questions)
    assert all(len(digest.for_person(p)) <= 1 for p in ("p-outsider", "p-member", "p-quiet"))
    assert len(digest.entries) == 3  # each open question still reaches someone


# -- the weekly replay on a tiny dump ------------------------------------------------------

def tiny_dump(folder: Path) -> Path:
    """15 questions: 12 before T (user 1 answers every one, user 2 the qubit ones, user 3
    the photon ones), then 3 in the test period, two in one ISO week."""
    users = [f'<row Id="{u}" DisplayName="User {u}" />' for u in range(1, 6)]
    write_xml(folder, "Users.xml", users)
    rows = []
    days = [f"2020-01-{d:02d}" for d in range(1, 13)] + ["2020-02-03", "2020-02-04",
                                                         "2020-02-12"]
    for n, day in enumerate(days, start=1):
        topic = "qubit entanglement" if n % 2 else "photon polarisation"
        accepted = f' AcceptedAnswerId="{100 + n}"' if n > 12 else ""
        rows.append(f'<row Id="{n}" PostTypeId="1" CreationDate="{day}T09:00:00" '
                    f'OwnerUserId="5" Title="{topic} question {n}" '
                    f'Body="&lt;p&gt;about {topic}&lt;/p&gt;" Score="1"{accepted} />')
        if n <= 12:
            rows.append(f'<row Id="{200 + n}" PostTypeId="2" ParentId="{n}" '
                        f'CreationDate="{day}T10:00:00" OwnerUserId="1" '
                        f'Body="{topic} answer" Score="1" />')
        expert = 2 if n % 2 else 3
        rows.append(f'<row Id="{100 + n}" PostTypeId="2" ParentId="{n}" '
                    f'CreationDate="{day}T11:00:00" OwnerUserId="{expert}" '
                    f'Body="{topic} answer" Score="2" />')
    write_xml(folder, "Posts.xml", rows)
    return folder


def test_eval_digests_replays_the_test_period_under_the_limits(tmp_path):
    from core.settings import Settings
    from expertise.digest_eval import evaluate_digests

    folder = tiny_dump(tmp_path / "site")
    settings = Settings(data_dir=tmp_path / "work")
    result = evaluate_digests(settings, folder, mode="lexical", per_person=1, fanout=1)
    assert result["queries"] == 3 and result["digest_questions"] == 3
    assert result["weeks"] == 2
    assert result["max_questions_per_person_week"] == 1
    assert result["recipients_per_question"] == 1.0
    assert 0 <= result["reach"] <= 1 and result["reached"] == round(result["reach"] * 3)
    capped = result["reach"]
    roomy = evaluate_digests(settings, folder, mode="lexical", per_person=10, fanout=5)
    assert roomy["reach"] == 1.0 == roomy["uncapped_top5_reach"]  # 4 candidates, all sent
    assert roomy["recipients_per_question"] > 1 and capped < 1.0


def test_eval_digests_command_prints_the_figures(tmp_path):
    from quisait.cli import cli

    folder = tiny_dump(tmp_path / "site")
    result = CliRunner().invoke(cli, ["eval", "digests", "--stackexchange", str(folder),
                                      "--mode", "lexical", "--work-dir", str(tmp_path / "w"),
                                      "--per-person", "2", "--quiet"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["per_person"] == 2 and figures["fanout"] == 5
    assert {"reach", "queries", "recipients_per_question", "max_questions_per_person_week",
            "median_questions_per_person_week", "weeks", "seconds",
            "uncapped_top5_reach"} <= set(figures)
    from quisait.expertise_cli import eval_digests_command

    choices = next(p for p in eval_digests_command.params if p.name == "assigner").type
    assert sorted(choices.choices) == METHODS
