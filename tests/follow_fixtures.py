"""A small network for the follow tests: people of every kind, an open, a secret and a
partner group, indexed for real (full text only, no key phrases: seconds), with the
follow store, the outbox on a test clock and the topics beside it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.settings import Settings
from expertise import Topic, TopicStore
from indexer import Catalog, catalog_path, index_sources, update_indexes
from notify import Follow, FollowRun, FollowStore, Outbox, follow_cursor, run_follows
from search import Searcher

SECRET = "follow-test-secret-0123456789"
PUBLIC_URL = "https://quisait.valtorre.example"
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

PEOPLE = [
    {"type": "person", "id": "p-anne", "name": "Anne Martin", "languages": ["fr"]},
    {"type": "person", "id": "p-bob", "name": "Bob Smith", "languages": ["en", "fr"]},
    {"type": "person", "id": "p-gus", "name": "Gus Partner", "guest": True,
     "company": "Orvalis"},
    {"type": "person", "id": "p-dora", "name": "Dora Leaving"},
    {"type": "person", "id": "p-olga", "name": "Olga Private", "opted_out": True},
    {"type": "person", "id": "p-xavier", "name": "Xavier Auteur"},
]
VAULT = {"type": "group", "id": "g-vault", "name": "Vault", "visibility": "secret",
         "members": ["p-anne", "p-xavier", "p-dora", "p-olga"]}
GROUPS = [
    {"type": "group", "id": "g-ops", "name": "Ops", "visibility": "open",
     "members": ["p-anne", "p-bob", "p-xavier"]},
    VAULT,
    {"type": "group", "id": "g-partner", "name": "Partner", "visibility": "private",
     "members": ["p-anne", "p-xavier"], "guests": ["p-gus"]},
    {"type": "group", "id": "g-other", "name": "Other secret", "visibility": "secret",
     "members": ["p-xavier"]},
]


def post(ident: str, title: str, group: str | None, author: str = "p-xavier",
         created: str = "2026-03-01T09:00:00", **extra: Any) -> dict[str, Any]:
    """A post record (body: its title, so that words of either match)."""
    return {"type": "post", "id": ident, "author": author, "created": created,
            "group": group, "title": title, "body": extra.pop("body", title), **extra}


OLD_POSTS = [post("old-k8s", "Kubernetes ancien", "g-ops", created="2025-01-10T09:00:00"),
             post("old-vault", "Kubernetes vault ancien", "g-vault",
                  created="2025-01-11T09:00:00")]


class Clock:
    """A clock that moves when told to."""

    def __init__(self, moment: datetime = NOW) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


class Network:
    """The small network indexed in ``folder``, and the stores follow alerts use."""

    def __init__(self, folder: Path, **changes: Any) -> None:
        values: dict[str, Any] = {"data_dir": folder / "data", "embeddings": False,
                                  "keyphrases": False, "secret_key": SECRET,
                                  "public_url": PUBLIC_URL, "notify_timeout_seconds": 5.0,
                                  "webhook_allow_hosts": "127.0.0.1"}  # the receivers' host
        self.settings = Settings(**(values | changes))
        self.folder = folder
        self.batches = 0
        self.push([*PEOPLE, *GROUPS, *OLD_POSTS])
        self.searcher = Searcher.open(self.settings)
        self.store = FollowStore.open(self.settings)
        self.clock = Clock()
        self.outbox = Outbox.open(self.settings, clock=self.clock)
        self.topics = TopicStore.open(self.settings.data_dir)
        self.topics.put(Topic(id="t-k8s", name_fr="Conteneurs", name_en="Containers",
                              synonyms=("kubernetes",)))

    def push(self, records: list[dict[str, Any]]) -> None:
        """Index records as a connector would (people and groups replace theirs)."""
        self.batches += 1
        path = self.folder / f"batch-{self.batches}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        report = index_sources(self.settings, [str(path)], progress=False)
        assert not report.problems, report.problems

    def delete(self, ident: str) -> None:
        """Delete an item everywhere, as ``DELETE /api/v1/records`` does."""
        catalog = Catalog(catalog_path(self.settings))
        try:
            with catalog.transaction() as generation:
                assert catalog.delete("item", ident, generation)
            update_indexes(self.settings, catalog)
        finally:
            catalog.close()

    def follow(self, person: str, kind: str, target: str) -> Follow:
        follow, new = self.store.add(person, kind, target, follow_cursor(self.searcher))
        assert new
        return follow

    def prefs(self, person: str, **changes: Any) -> None:
        """Save a person's preferences (email to ``<id>@valtorre.example`` by default)."""
        values = {"email": f"{person}@valtorre.example"} | changes
        current = self.store.preferences(person)
        saved = self.store.save_preferences(replace(current, **values),
                                            follow_cursor(self.searcher))
        if saved.email:  # as if its owner had followed the confirmation link
            self.store.confirm_email(person, saved.email)

    def run(self, frequency: str = "daily", **options: Any) -> FollowRun:
        return run_follows(self.settings, self.searcher, frequency, self.clock(),
                           store=self.store, outbox=self.outbox, topics=self.topics,
                           **options)

    def queued(self) -> dict[str, list[str]]:
        """person -> ids of the items of each queued message, in queue order."""
        rows = self.outbox.db.execute("SELECT recipient, payload FROM messages ORDER BY rowid")
        found: dict[str, list[str]] = {}
        for recipient, payload in rows:
            found.setdefault(recipient, []).extend(json.loads(payload)["items"])
        return found

    def close(self) -> None:
        self.topics.close()
        self.outbox.close()
        self.store.close()
        self.searcher.close()
