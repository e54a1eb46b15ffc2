"""KM signals: each one changes the ranking when applied, and never widens access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.settings import Settings
from indexer import index_sources
from search import Searcher
from search.curation import Curation
from tests.conftest import write_jsonl

PEOPLE = [{"type": "person", "id": p, "name": p} for p in ("p-ana", "p-bo", "p-km")]
PEOPLE[2]["roles"] = ["km_lead"]
GROUPS = [{"type": "group", "id": "g-open", "name": "Open"},
          {"type": "group", "id": "g-secret", "name": "Secret", "visibility": "secret",
           "members": ["p-bo"]}]


def post(ident, body, created="2026-01-05T10:00:00", group="g-open", **extra):
    return {"type": "post", "id": ident, "author": "p-ana", "created": created,
            "title": "", "body": body, "group": group, "lang": "en", **extra}


CORPUS = PEOPLE + GROUPS + [
    post("twin-a", "expense report portal guide"),
    post("twin-b", "expense report portal guide"),
    post("strong", "expense report expense report portal expense report"),
    post("rse", "our réseau social d'entreprise grows every month"),
    post("q", "how to file an expense report", kind="question", accepted_answer="ans-2"),
    post("ans-1", "use the expense report portal", kind="answer", parent="q"),
    post("ans-2", "use the expense report portal", kind="answer", parent="q"),
    post("quiet", "travel booking portal guide"),  # first in the catalog: wins a plain tie
    post("popular", "travel booking portal guide", reactions=40),
    post("old", "cafeteria menu update", created="2020-01-05T10:00:00"),
    post("new", "cafeteria menu update", created="2026-01-04T10:00:00"),
    post("hidden", "secret expense report plan", group="g-secret"),
]


@pytest.fixture
def settings(tmp_path, encoder) -> Settings:
    config = Settings(data_dir=tmp_path / "data", embedding_model="test")
    index_sources(config, [str(write_jsonl(tmp_path / "net.jsonl", CORPUS))])
    return config


def ranking(settings: Settings, query: str, viewer: str = "p-ana", **changes) -> list[str]:
    with Searcher.open(settings.replace(**changes) if changes else settings) as searcher:
        return [hit.id for hit in searcher.search(query, viewer, mode="lexical", limit=20)]


def curate(settings: Settings) -> Curation:
    return Curation.open(settings.data_dir)


def test_official_lifts_and_outdated_sinks(settings):
    before = ranking(settings, "expense report portal")
    assert before.index("strong") < before.index("twin-b")
    curate(settings).mark("twin-b", "official")
    curate(settings).mark("strong", "outdated")
    after = ranking(settings, "expense report portal")
    assert after.index("twin-b") < after.index("strong")
    assert after[-1] == "strong"


def test_accepted_answer_ranks_above_its_twin(settings):
    order = ranking(settings, "use the expense report portal")
    assert order.index("ans-2") < order.index("ans-1")


def test_reactions_break_ties_mildly(settings):
    order = ranking(settings, "travel booking portal guide")
    assert order[:2] == ["popular", "quiet"]


def test_recency_only_when_enabled(settings):
    assert ranking(settings, "cafeteria menu")[:2] == ["old", "new"]  # tie: catalog order
    assert ranking(settings, "cafeteria menu", recency_half_life_days=90.0)[:2] == ["new", "old"]


def test_synonyms_apply_both_ways(settings):
    assert "rse" not in ranking(settings, "RSE")
    curate(settings).add_synonyms(["RSE", "réseau social d’entreprise"])
    assert ranking(settings, "RSE") == ["rse"]
    assert "rse" in ranking(settings, "reseau social d'entreprise")


def test_pins_come_first_for_their_audience_and_dates(settings):
    pins = curate(settings)
    pins.add_pin("expense portal", "quiet")
    assert ranking(settings, "expense report portal")[0] == "quiet"
    assert "quiet" not in ranking(settings, "cafeteria menu")
    later = datetime.now(UTC) + timedelta(days=3)
    pins.add_pin("cafeteria", "twin-a", starts=later)
    assert "twin-a" not in ranking(settings, "cafeteria menu")
    pins.add_pin("menu", "twin-b", audience=["km_lead"])
    assert ranking(settings, "cafeteria menu", viewer="p-km")[0] == "twin-b"
    assert "twin-b" not in ranking(settings, "cafeteria menu", viewer="p-ana")


def test_a_pin_never_shows_what_the_viewer_may_not_read(settings):
    curate(settings).add_pin("expense", "hidden")
    assert "hidden" not in ranking(settings, "expense report", viewer="p-ana")
    assert ranking(settings, "expense report", viewer="p-bo")[0] == "hidden"
    assert ranking(settings, "expense report", viewer="nobody") == []
