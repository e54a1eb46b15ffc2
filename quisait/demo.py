"""The demo: index the committed sample corpus, then show searches as different people."""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.errors import IndexMismatchError
from core.settings import Settings
from indexer import IndexReport, index_sources, rebuild
from indexer.sample import DOCUMENTS_DIR, FEED_PATH, NETWORK_PATH

FEED_GROUP = "g-veille"
log = logging.getLogger(__name__)

# (viewer, query, why it is worth showing)
SHOWCASE = [
    ("p-claire", "notes de frais déplacement", "an employee, in French"),
    ("p-claire", "how do I roll back a Kubernetes deployment", "an employee, in English"),
    ("p-claire", "zorbaflux", "a canary word of the secret CODIR group: nothing for a non-member"),
    ("p-ian", "Orvalis Hub Modbus", "a partner's guest: only the group he was invited to"),
]

# (viewer, subject, why): who knows about it, with the evidence
EXPERT_SHOWCASE = [
    ("p-julien", "notes de frais", "who answers expense questions (accepted answers first)"),
    ("p-claire", "SAP FI facture", "a KM lead: the departed SAP expert is flagged, not ranked"),
]


def index_sample(settings: Settings, progress: bool = True) -> list[IndexReport]:
    """Index the sample network, its shared documents and its RSS feed.  A demo folder
    whose indexes an earlier version built (another analyzer, schema or model) is the
    demo's own: its derived indexes are rebuilt from the catalog, then indexed again."""
    try:
        return _index_sample(settings, progress)
    except IndexMismatchError as exc:
        log.warning("%s; rebuilding the demo's indexes", exc)
        rebuild(settings, progress=progress)
        return _index_sample(settings, progress)


def _index_sample(settings: Settings, progress: bool) -> list[IndexReport]:
    return [
        index_sources(settings, [str(NETWORK_PATH), str(DOCUMENTS_DIR)], progress=progress),
        index_sources(settings, [str(FEED_PATH)], fmt="rss", group=FEED_GROUP, progress=progress),
    ]


def run_showcase(settings: Settings, echo: Callable[[str], None]) -> None:
    """A few searches that show answers, both languages and permissions at work."""
    from expertise import ExpertFinder
    from search import Searcher

    with Searcher.open(settings) as searcher:
        for viewer, query, why in SHOWCASE:
            person = searcher.people[viewer]
            echo(f"\n$ quisait search {query!r} --as {viewer}   # {person.name}: {why}")
            hits = searcher.search(query, viewer=viewer, limit=3)
            if not hits:
                echo("  no results")
            for hit in hits:
                echo(f"  - {hit.title or hit.kind} ({hit.group_name}, {hit.author_name})")
        finder = ExpertFinder(searcher)
        for viewer, subject, why in EXPERT_SHOWCASE:
            echo(f"\n$ quisait experts {subject!r} --as {viewer}   # {why}")
            experts = finder.experts(subject, viewer, limit=3,
                                     include_inactive=finder.is_km_lead(viewer))
            for expert in experts:
                state = f" [{expert.state}]" if expert.state != "active" else ""
                echo(f"  - {expert.person.name}{state}: {expert.why}")
        finder.close()
