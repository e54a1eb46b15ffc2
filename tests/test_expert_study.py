"""The expertise study (bench/expert_study.py) scores what the product's weighting
scores: its offline figures stand for the product's only while a dump's fields reach
:func:`expertise.scoring.combine` as the finder's signals do (evidence: the ten best
credits)."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

from expertise.finder import CREDITED
from expertise.scoring import WEIGHTINGS, Signals, combine

STUDY = Path(__file__).resolve().parent.parent / "bench" / "expert_study.py"


@pytest.fixture(scope="module")
def study():
    spec = importlib.util.spec_from_file_location("expert_study", STUDY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["expert_study"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("expert_study", None)


def _dump(seed: int) -> dict:
    rng = random.Random(seed)
    people = [f"u{i}" for i in range(12)]
    questions = []
    for number in range(6):
        found = rng.sample(people, 7)
        questions.append({
            "id": f"q{number}", "gold": rng.choice(people), "relevance_mass": 5.0,
            "credits": {p: [round(rng.random(), 4) for _ in range(rng.randrange(1, 14))]
                        for p in found},
            "profile": {p: round(rng.random(), 4) for p in rng.sample(people, 2)}})
    return {"candidates": people, "questions": questions,
            "answers": {p: rng.randrange(0, 40) for p in people},
            "accepted": {p: rng.randrange(0, 10) for p in people},
            "recent": {p: round(rng.random() * 8, 4) for p in people},
            "answer_rate": {p: round(rng.random(), 4) for p in people}}


@pytest.mark.parametrize("weighting", ["default", "routing"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_study_ranks_as_the_product_weighting_does(study, weighting, seed):
    data = _dump(seed)
    score = study.CANDIDATES["product" if weighting == "default" else "routing"](data)
    for question in data["questions"]:
        evidence = {p: sum(sorted(c, reverse=True)[:CREDITED])
                    for p, c in question["credits"].items()}
        signals = Signals(evidence=evidence, profile=question["profile"],
                          answers=data["answers"], accepted=data["accepted"],
                          recent=data["recent"], answer_rate=data["answer_rate"])
        product = combine(signals, data["candidates"], WEIGHTINGS[weighting])
        ours = score(question)
        for person in data["candidates"]:
            assert ours[person] == pytest.approx(product[person][0], abs=1e-9), person


def test_the_study_scores_a_rank_of_one_as_one(study):
    data = _dump(4)
    for question in data["questions"]:  # the gold person holds all the evidence
        question["credits"] = {question["gold"]: [1.0]}
    assert study._mrr(study._ranks(data, study.CANDIDATES["evidence"](data))) == 1.0
