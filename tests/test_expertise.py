"""Expertise on the sample corpus: ranking, people states, person pages, routing, and the
permission canaries through every function of the package."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import NotFoundError
from expertise import WEIGHTINGS, ExpertFinder
from expertise.scoring import combine, get_weighting
from indexer.sample import CANARIES_PATH
from search import Searcher
from tests.web_fixtures import copy_settings

CANARIES = json.loads(CANARIES_PATH.read_text())


@pytest.fixture(scope="module")
def finder(sample_index: Path, tmp_path_factory: pytest.TempPathFactory,
           hashing_encoder) -> Iterator[ExpertFinder]:
    settings = copy_settings(sample_index, tmp_path_factory.mktemp("experts") / "data")
    with Searcher.open(settings) as searcher:
        yield ExpertFinder(searcher)


def ids(experts) -> list[str]:
    return [e.person.id for e in experts]


def test_the_person_who_answers_expense_questions_ranks_first(finder):
    experts = finder.experts("notes de frais", "p-julien", mode="lexical")
    assert experts[0].person.id == "p-karim"
    top = experts[0]
    assert top.accepted >= 1 and top.evidence and "accepted" in top.why
    assert set(top.components) == set(WEIGHTINGS["default"].weights)
    readable = finder.searcher.scope("p-julien").readable
    assert all(e.group in readable for x in experts for e in x.evidence)


def test_departed_and_opted_out_people_are_never_ranked(finder):
    sap = finder.experts("SAP FI MIRO facture", "p-karim", mode="lexical", limit=50)
    excel = finder.experts("Excel VBA macro tableau croisé", "p-karim", mode="lexical",
                           limit=50)
    assert "p-bernard" not in ids(sap) and "p-nicolas" not in ids(excel)
    assert sap and excel  # someone else is found
    # a KM lead sees them, flagged, after the ranking
    km_sap = finder.experts("SAP FI MIRO facture", "p-claire", mode="lexical", limit=50,
                            include_inactive=True)
    flagged = {e.person.id: e.state for e in km_sap if e.state != "active"}
    assert flagged.get("p-bernard") == "departed"
    km_excel = finder.experts("Excel VBA macro", "p-claire", mode="lexical",
                              include_inactive=True)
    assert {e.person.id: e.state for e in km_excel}.get("p-nicolas") == "opted_out"


def outsiders(finder: ExpertFinder, group_id: str) -> list[str]:
    group = finder.searcher.groups[group_id]
    people = finder.searcher.people
    return sorted(p for p in people if p not in group.members | group.guests
                  and people[p].status == "active")


@pytest.mark.parametrize("case", sorted(CANARIES))
def test_canaries_never_reach_outsiders_through_expertise(finder, case):
    group_id, words = CANARIES[case]["group"], CANARIES[case]["words"]
    secret_ids = {row[0] for row in finder.searcher.catalog.db.execute(
        "SELECT id FROM items WHERE group_id = ?", (group_id,))}
    authors = {row[0] for row in finder.searcher.catalog.db.execute(
        "SELECT DISTINCT author FROM items WHERE group_id = ?", (group_id,))}
    for viewer in outsiders(finder, group_id)[::3] + ["nobody"]:
        for word in words:
            for expert in finder.experts(word, viewer, mode="lexical"):
                assert not {e.item_id for e in expert.evidence} & secret_ids
                assert word not in json.dumps([e.snippet + e.title for e in expert.evidence])
                assert expert.components.get("evidence", 0) == 0 or expert.evidence
            routing = finder.route(word, viewer, mode="lexical")
            assert not {h.id for h in routing.answered} & secret_ids
            assert all(not {e.item_id for e in x.evidence} & secret_ids
                       for x in routing.experts)
        for author in sorted(authors)[:4]:
            page = finder.person(author, viewer)
            if page is None:
                continue
            assert group_id not in {g for g, _ in page.groups}
            shown = json.dumps(page.as_dict(), default=str)
            assert not any(w in shown for w in words), (viewer, author)
            assert not any(i in shown for i in secret_ids)
        for secret in sorted(secret_ids)[:2]:
            with pytest.raises(NotFoundError):
                finder.route_post(secret, viewer)
    # positive control: a member finds the evidence
    group = finder.searcher.groups[group_id]
    member = next(p for p in sorted(group.members | group.guests)
                  if finder.searcher.people[p].status == "active")
    found = finder.experts(words[0], member, mode="lexical")
    assert any(e.group == group_id for x in found for e in x.evidence)


def test_activity_counts_only_readable_groups(finder):
    outsider = outsiders(finder, "g-codir")[0]
    member = "p-helene"
    inside = finder.activity.for_groups(finder.searcher.scope(member).readable)
    outside = finder.activity.for_groups(finder.searcher.scope(outsider).readable)
    writers = [p for p in finder.searcher.groups["g-codir"].members]
    assert sum(inside.authored.get(p, 0) for p in writers) > sum(
        outside.authored.get(p, 0) for p in writers)


def test_guests_see_and_are_seen_only_within_shared_groups(finder):
    seen_by_guest = set(finder.rankable(finder.searcher.scope("p-ian")))
    kestrel = finder.searcher.groups["g-kestrel"]
    assert seen_by_guest <= kestrel.members | kestrel.guests
    for expert in finder.experts("Modbus OV-300", "p-ian", mode="lexical"):
        assert expert.person.id in kestrel.members | kestrel.guests
    # an employee outside the shared group never gets the guests suggested
    outsider = outsiders(finder, "g-kestrel")[0]
    assert not {"p-ian", "p-fiona"} & set(finder.rankable(finder.searcher.scope(outsider)))


def test_person_page_shows_enrichment_suggestions_to_the_person_and_km_leads(finder):
    own = finder.person("p-thomas", "p-thomas")
    assert own is not None and "Ansible" in own.declared_only
    assert own.topics and all(t.evidence for t in own.topics)
    assert own.suggestions  # GitLab CI, Terraform ...: demonstrated, not declared
    assert not set(own.suggestions) & set(own.declared)
    km = finder.person("p-thomas", "p-claire")
    assert km is not None and km.suggestions == own.suggestions
    colleague = finder.person("p-thomas", "p-julien")
    assert colleague is not None and colleague.suggestions == ()
    assert colleague.topics == own.topics


def test_person_page_of_departed_people_says_so(finder):
    page = finder.person("p-bernard", "p-karim")
    assert page is not None and page.state == "departed" and page.topics
    assert finder.person("p-nobody", "p-karim") is None
    assert finder.person("p-thomas", "p-ian") is None  # a guest sees only shared groups


def test_routing_excludes_the_asker_and_offers_answered_lookalikes(finder):
    question = "Comment se faire rembourser une note de frais de déplacement ?"
    routing = finder.route(question, "p-karim", mode="lexical")
    assert "p-karim" not in ids(routing.experts)
    assert routing.experts
    for hit in routing.answered:
        assert hit.kind == "question" and hit.accepted
    unanswered = finder.unanswered("p-claire", limit=5)
    assert unanswered
    for hit, experts in unanswered:
        assert hit.kind == "question"
        assert hit.author not in ids(experts)


def test_route_post_uses_the_question_and_hides_unreadable_ones(finder):
    question = finder.searcher.catalog.db.execute(
        "SELECT id, author FROM items WHERE kind = 'question' AND group_id = 'g-finance' "
        "LIMIT 1").fetchone()
    routing = finder.route_post(question[0], "p-julien", mode="lexical")
    assert question[1] not in ids(routing.experts)
    assert question[0] not in {h.id for h in routing.answered}
    with pytest.raises(NotFoundError):
        finder.route_post("no-such-post", "p-julien")


def test_unknown_weighting_or_scorer_lists_the_valid_ones(finder):
    with pytest.raises(ValueError, match="default"):
        get_weighting("nope")
    from expertise.scoring import Signals, Weighting

    signals = Signals({}, {}, {}, {}, {}, {})
    with pytest.raises(ValueError, match="evidence"):
        combine(signals, ["a"], Weighting({"nope": 1.0}))


def test_each_component_changes_the_ranking():
    from expertise.scoring import Signals, Weighting

    signals = Signals(evidence={"a": 2.0, "b": 1.0}, profile={"b": 1.0},
                      answers={"b": 50}, accepted={}, recent={"b": 9.0}, answer_rate={})
    people = ["a", "b"]
    assert combine(signals, people, Weighting({"evidence": 1.0}))["a"][0] > \
        combine(signals, people, Weighting({"evidence": 1.0}))["b"][0]
    for name in ("profile", "prior", "recent"):
        mixed = combine(signals, people, Weighting({"evidence": 1.0, name: 1.0}))
        assert mixed["b"][0] > mixed["a"][0], name


def test_topic_page_has_experts_content_unanswered_and_coverage(finder):
    from expertise import topic_from_dict

    topic = topic_from_dict({"id": "t-frais", "name_fr": "notes de frais",
                             "name_en": "expense reports", "synonyms": ["remboursement"],
                             "tags": ["notes-de-frais"]})
    finder.topics.put(topic, by="p-claire")
    page = finder.topic("t-frais", "p-julien", mode="lexical")
    assert page.experts and page.experts[0].person.id == "p-karim"
    assert page.content
    cover = page.coverage
    assert cover.questions >= cover.answered >= cover.accepted > 0
    assert cover.answerers >= 1 and cover.median_hours_to_answer is not None
    candidates = [name.lower() for name, _ in finder.candidate_topics("p-claire")]
    assert candidates and "notes de frais" not in candidates
    with pytest.raises(NotFoundError):
        finder.topic("t-none", "p-julien")


def test_topic_fields_are_validated_by_name():
    from core.errors import InvalidRecordError
    from expertise import topic_from_dict

    with pytest.raises(InvalidRecordError, match="name_en"):
        topic_from_dict({"id": "t", "name_fr": "x"})
    with pytest.raises(InvalidRecordError, match="tags"):
        topic_from_dict({"id": "t", "name_fr": "x", "name_en": "y", "tags": "a"})
    with pytest.raises(InvalidRecordError, match="colour"):
        topic_from_dict({"id": "t", "name_fr": "x", "name_en": "y", "colour": "red"})


@pytest.mark.parametrize("case", ["secret", "private", "guest_shared"])
def test_topic_pages_and_candidates_never_leak_canaries(finder, case):
    from expertise import topic_from_dict

    group_id, words = CANARIES[case]["group"], CANARIES[case]["words"]
    topic_id = f"t-{case}"
    finder.topics.put(topic_from_dict({"id": topic_id, "name_fr": words[0],
                                       "name_en": words[-1], "tags": words}))
    for viewer in outsiders(finder, group_id)[::4]:
        page = finder.topic(topic_id, viewer, mode="lexical")
        assert page.content == () and page.unanswered == ()
        assert page.coverage.questions == 0 and page.coverage.answerers == 0
        assert all(not x.evidence or all(e.group != group_id for e in x.evidence)
                   for x in page.experts)
        candidates = json.dumps(finder.candidate_topics(viewer, limit=500))
        assert not any(w in candidates.lower() for w in words)
    group = finder.searcher.groups[group_id]
    member = next(p for p in sorted(group.members | group.guests)
                  if finder.searcher.people[p].status == "active")
    assert finder.topic(topic_id, member, mode="lexical").content


def _dump(folder: Path) -> Path:
    """A tiny Stack Exchange dump: ten questions on days 1-10, answers, and votes cast
    before and after the split (T = the 9th question, day 9)."""
    folder.mkdir()
    users = "".join(f'<row Id="{u}" DisplayName="User {u}" />' for u in (1, 2, 3, 4))
    (folder / "Users.xml").write_text(f"<users>{users}</users>")
    posts, votes = [], []

    def day(n: int) -> str:
        return f"2020-01-{n:02d}T12:00:00.000"

    for n in range(1, 11):
        accepted = f' AcceptedAnswerId="{100 + n}"' if n in (1, 9, 10) else ""
        posts.append(f'<row Id="{n}" PostTypeId="1" CreationDate="{day(n)}" OwnerUserId="4" '
                     f'Title="qubit question {n}" Body="&lt;p&gt;about qubit {n}&lt;/p&gt;" '
                     f'Tags="|qubit|"{accepted} Score="1" />')
    for n in range(1, 9):  # answers before T, by users 1 and 2
        author = 1 if n % 2 else 2
        posts.append(f'<row Id="{100 + n}" PostTypeId="2" ParentId="{n}" '
                     f'CreationDate="{day(n)}" OwnerUserId="{author}" Body="answer {n}" '
                     f'Score="9" />')
    posts.append('<row Id="109" PostTypeId="2" ParentId="9" CreationDate="2020-01-09T13:00:00"'
                 ' OwnerUserId="2" Body="gold answer" Score="3" />')
    posts.append('<row Id="110" PostTypeId="2" ParentId="10" CreationDate="2020-01-10T13:00:00"'
                 ' OwnerUserId="3" Body="late answer" Score="3" />')
    posts.append('<row Id="111" PostTypeId="2" ParentId="2" CreationDate="2020-01-11T13:00:00"'
                 ' OwnerUserId="3" Body="after the split" Score="3" />')
    (folder / "Posts.xml").write_text(f"<posts>{''.join(posts)}</posts>")
    votes = ['<row Id="1" PostId="101" VoteTypeId="1" CreationDate="2020-01-20T00:00:00" />',
             '<row Id="2" PostId="102" VoteTypeId="2" CreationDate="2020-01-03T00:00:00" />',
             '<row Id="3" PostId="102" VoteTypeId="2" CreationDate="2020-01-30T00:00:00" />',
             '<row Id="4" PostId="103" VoteTypeId="3" CreationDate="2020-01-04T00:00:00" />']
    (folder / "Votes.xml").write_text(f"<votes>{''.join(votes)}</votes>")
    return folder


def test_time_split_lets_nothing_from_after_t_leak(tmp_path):
    from expertise.evaluate import baselines, split_dump

    split = split_dump(_dump(tmp_path / "site"))
    assert split.split.day == 9
    assert all(p.created < split.split for p in split.history)
    history = {p.id.rsplit("p", 1)[1]: p for p in split.history}
    assert "111" not in history and "109" not in history  # answers after T
    assert history["1"].accepted_answer is None  # accepted only after T
    assert history["102"].reactions == 1 and history["102"].score == 1  # one vote before T
    assert history["103"].score == -1
    assert split.candidates == {"se-site-u1", "se-site-u2"}
    # question 9's accepted answer is by a candidate; question 10's is not
    assert [(q.rsplit("p", 1)[1], gold) for q, _, gold in split.tests] == [("9", "se-site-u2")]
    assert "qubit question 9" in split.tests[0][1] and "<p>" not in split.tests[0][1]
    # u1 and u2 both answered 4 times before T: ties go by id, so the gold u2 is second
    assert baselines(split)["answers_before_t"]["mrr"] == 0.5


def test_an_earlier_split_cuts_the_history_there(tmp_path):
    from core.errors import ConfigError
    from expertise.evaluate import default_work_dir, split_dump

    folder = _dump(tmp_path / "site")
    split = split_dump(folder, split_at=0.5)  # T = the 6th question, day 6
    assert split.split.day == 6
    assert all(p.created < split.split for p in split.history)
    assert {p.id.rsplit("p", 1)[1] for p in split.history if p.kind == "answer"} == {
        "101", "102", "103", "104", "105"}
    assert [q.rsplit("p", 1)[1] for q, _, _ in split.tests] == ["9"]
    assert default_work_dir(folder, split_at=0.5).name == "experts-site-at50"
    assert default_work_dir(folder, True).name == "experts-site-tuned"
    with pytest.raises(ConfigError):
        split_dump(folder, split_at=1.0)


def test_eval_experts_runs_end_to_end_on_a_dump(tmp_path):
    from core.settings import Settings
    from expertise.evaluate import evaluate_experts

    folder = _dump(tmp_path / "site")
    settings = Settings(data_dir=tmp_path / "work", embeddings=False)
    result = evaluate_experts(settings, folder, mode="lexical")
    assert result["queries"] == 1 and result["candidates"] == 2
    assert 0 < result["mrr"] <= 1 and set(result["baselines"]) == {"answers_before_t",
                                                                   "model2_lexical"}
    with Searcher.open(settings) as searcher:  # the index holds the history only
        ids = {row[0] for row in searcher.catalog.db.execute("SELECT id FROM items")}
    assert "se-site-p111" not in ids and "se-site-p10" not in ids
