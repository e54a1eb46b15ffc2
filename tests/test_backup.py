"""Backups (issue 19, item 3): schema versions of the small stores, ``quisait backup``
taken while the server writes, and ``quisait restore`` into a fresh folder giving the
same searches, pins, topics, follows, introductions and tokens."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

import core.backup
from core.backup import MANIFEST, BackupError, backup, file_digest, restore
from core.errors import ConfigError
from core.settings import Settings
from expertise import Topic, TopicStore
from indexer import Catalog
from quisait.backup_cli import known_schema_versions
from quisait.cli import cli
from search.querylog import QueryLog
from tests.web_fixtures import MEMBERS, ROLES, bearer, copy_settings, token_for
from web import TokenStore, create_app
from web.introductions import IntroductionStore

QUERIES = ["notes de frais", "kubernetes déploiement", "Modbus OV-300"]
VIEWERS = sorted({*ROLES.values(), MEMBERS["g-codir"]})  # each role, a secret group's member
PINNED = ("notes de frais remboursement", "post-0170")


def api(app: Flask, method: str, url: str, token: str, query: dict[str, Any] | None = None,
        **body: Any) -> Any:
    response = app.test_client().open(f"/api/v1{url}", method=method, headers=bearer(token),
                                      json=body or None, query_string=query)
    assert response.status_code < 300, (url, response.get_json())
    return response.get_json()


def hit_ids(app: Flask, token: str, query: str, mode: str) -> list[str]:
    found = api(app, "GET", "/search", token, {"q": query, "mode": mode, "limit": 10})
    return [hit["id"] for hit in found["hits"]]


class Writer(threading.Thread):
    """What a running server does meanwhile: searches (logged) and pins, until stopped."""

    def __init__(self, app: Flask, token: str) -> None:
        super().__init__(daemon=True)
        self.app, self.token, self.writes = app, token, 0
        self.stop, self.wrote = threading.Event(), threading.Condition()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                hit_ids(self.app, self.token, f"frais {self.writes}", "lexical")
                api(self.app, "POST", "/pins", self.token, pattern=f"zzwriter{self.writes}",
                    item_id="post-0170")
                with self.wrote:
                    self.writes += 1
                    self.wrote.notify_all()
        except BaseException as exc:  # seen by the test, which would otherwise wait
            self.failure = exc
            with self.wrote:
                self.wrote.notify_all()

    def wait_for_more(self) -> None:
        """Return once the writer has written again (so writes land between copies)."""
        with self.wrote:
            seen = self.writes
            assert self.wrote.wait_for(lambda: self.writes > seen or self.failure, timeout=120)
        assert self.failure is None, self.failure


@pytest.fixture
def live(sample_index: Path, tmp_path: Path) -> Iterator[tuple[Flask, dict[str, str]]]:
    """An app over a copy of the sample, with a pin, a topic, a follow, an introduction and
    a token per viewer (one more, revoked)."""
    # no search rate limit: the writer's pace depends on the machine
    app = create_app(copy_settings(sample_index, tmp_path / "data", search_rate=0))
    tokens = {person: token_for(app, person) for person in VIEWERS}
    km = tokens["p-claire"]
    api(app, "POST", "/pins", km, pattern=PINNED[0], item_id=PINNED[1])
    api(app, "POST", "/topics", km, id="t-frais", name_fr="Notes de frais",
        name_en="Expense reports", tags=["frais"])
    api(app, "POST", "/follows", tokens["p-julien"], kind="search", target="kubernetes")
    services = app.extensions["quisait"]
    services.introductions.record("p-julien", "p-karim", "kubernetes", "hash")
    revoked, info = services.tokens.create("p-julien")
    services.tokens.revoke(info.id)
    tokens["revoked"] = revoked
    yield app, tokens


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_a_backup_taken_while_the_server_writes_restores_the_same_service(
        live: tuple[Flask, dict[str, str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    app, tokens = live
    data_dir = app.extensions["quisait"].settings.data_dir
    writer = Writer(app, tokens["p-claire"])
    writer.start()
    writer.wait_for_more()
    copy = core.backup._copy_store

    def copy_while_writing(source: Path, target: Path) -> int:
        writer.wait_for_more()  # a search logged and a pin added before each copy
        return copy(source, target)

    monkeypatch.setattr(core.backup, "_copy_store", copy_while_writing)
    pins_before, searches_before = (count(data_dir / "curation.sqlite", "pins"),
                                    count(data_dir / "querylog.sqlite", "searches"))
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "backup",
                                      str(tmp_path / "backup")])
    writer.wait_for_more()
    writer.stop.set()
    writer.join()
    assert result.exit_code == 0, result.output
    folder = tmp_path / "backup"
    check_consistent(folder, data_dir, pins_before, searches_before)

    restored = tmp_path / "restored"
    result = CliRunner().invoke(cli, ["--data-dir", str(restored), "restore", str(folder),
                                      "--quiet"], env={"QUISAIT_EMBEDDING_MODEL": "test"})
    assert result.exit_code == 0, result.output
    assert "restored catalog.sqlite, web.sqlite" in result.output
    assert (restored / "fulltext").is_dir() and (restored / "vectors").is_dir()
    again = create_app(Settings(data_dir=restored, embedding_model="test"))
    check_same_service(app, again, tokens, count(folder / "curation.sqlite", "pins"))


def check_consistent(folder: Path, data_dir: Path, pins_before: int,
                     searches_before: int) -> None:
    manifest = json.loads((folder / MANIFEST).read_text())
    names = [entry["name"] for entry in manifest["files"]]
    assert {"catalog.sqlite", "web.sqlite", "curation.sqlite", "topics.sqlite",
            "follows.sqlite", "querylog.sqlite"} <= set(names)
    assert sorted(path.name for path in folder.iterdir()) == sorted([*names, MANIFEST])
    for entry in manifest["files"]:
        path = folder / entry["name"]
        assert (file_digest(path), path.stat().st_size) == (entry["sha256"], entry["bytes"])
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("PRAGMA user_version").fetchone()[0] == entry["schema_version"]
    versions = {e["name"]: e["schema_version"] for e in manifest["files"]}
    assert versions["web.sqlite"] == versions["topics.sqlite"] == 1
    # the copy is a moment between the start and the end of the backup
    pins = count(folder / "curation.sqlite", "pins")
    assert pins_before < pins < count(data_dir / "curation.sqlite", "pins")
    searches = count(folder / "querylog.sqlite", "searches")
    assert searches_before < searches < count(data_dir / "querylog.sqlite", "searches")


def check_same_service(app: Flask, again: Flask, tokens: dict[str, str], pins: int) -> None:
    results = 0
    for viewer in VIEWERS:
        for query in QUERIES:
            for mode in ("lexical", "hybrid"):
                found = hit_ids(again, tokens[viewer], query, mode)  # the same tokens work
                assert found == hit_ids(app, tokens[viewer], query, mode), (viewer, query)
                results += len(found)
    assert results > 50  # so that the comparison can fail
    km = tokens["p-claire"]
    assert hit_ids(again, km, PINNED[0], "lexical")[0] == PINNED[1]
    before, after = (api(a, "GET", "/pins", km)["pins"] for a in (app, again))
    assert after == before[:pins] and len(after) == pins
    assert api(again, "GET", "/topics", km) == api(app, "GET", "/topics", km)
    julien = tokens["p-julien"]
    assert api(again, "GET", "/follows", julien) == api(app, "GET", "/follows", julien)
    old, new = app.extensions["quisait"], again.extensions["quisait"]
    assert new.introductions.total() == old.introductions.total() == 1
    assert new.tokens.secret_key() == old.tokens.secret_key()  # page sessions survive too
    assert [e.action for e in new.tokens.audit.entries()][-1] == "token.create"
    refused = again.test_client().get("/api/v1/search?q=frais", headers=bearer(tokens["revoked"]))
    assert refused.status_code == 401


# -- restore refuses ---------------------------------------------------------------------------


@pytest.fixture
def small_backup(tmp_path: Path) -> tuple[Path, Path]:
    """A data folder with an empty catalog, a token and a topic; its backup."""
    data = tmp_path / "data"
    Catalog(data / "catalog.sqlite").close()
    store = TokenStore.open(data)
    store.create("p-julien")
    store.close()
    TopicStore.open(data).put(Topic("t-x", "x", "x"))
    backup(data, tmp_path / "backup")
    return data, tmp_path / "backup"


def test_restore_checks_every_checksum_before_copying_anything(
        small_backup: tuple[Path, Path], tmp_path: Path) -> None:
    _, folder = small_backup
    with open(folder / "web.sqlite", "r+b") as handle:
        handle.seek(5000)
        byte = handle.read(1)
        handle.seek(5000)
        handle.write(bytes([byte[0] ^ 1]))
    target = tmp_path / "target"
    with pytest.raises(BackupError, match="web.sqlite does not match its checksum"):
        restore(folder, target)
    assert not target.exists()  # nothing restored, not even the catalog listed first


def test_restore_refuses_a_folder_that_has_a_catalog_unless_forced(
        small_backup: tuple[Path, Path], tmp_path: Path) -> None:
    data, folder = small_backup
    (data / "feeds.sqlite").write_bytes(b"")  # a store the backup does not have
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "restore", str(folder)])
    assert result.exit_code == 1 and "already has a catalog" in result.output
    assert (data / "feeds.sqlite").exists()
    report = restore(folder, data, force=True)
    assert report.restored[:3] == ["catalog.sqlite", "web.sqlite", "topics.sqlite"]
    assert report.removed == ["feeds.sqlite"] and not (data / "feeds.sqlite").exists()
    assert TopicStore.open(data).all() == [Topic("t-x", "x", "x")]


def test_restore_is_refused_while_an_indexer_holds_the_data_folder(
        small_backup: tuple[Path, Path], tmp_path: Path) -> None:
    """An indexing run holds the data folder's lock: a restore into that folder is
    refused with the lock's error, and copies nothing under it."""
    from indexer.pipeline import data_lock

    _, folder = small_backup
    target = tmp_path / "target"
    with data_lock(Settings(data_dir=target, embedding_model="test")):
        result = CliRunner().invoke(cli, ["--data-dir", str(target), "restore", str(folder),
                                          "--no-rebuild"])
    assert result.exit_code != 0 and "is being indexed by process" in result.output
    assert not (target / "catalog.sqlite").exists()
    # once the indexer is done, the same restore goes through
    result = CliRunner().invoke(cli, ["--data-dir", str(target), "restore", str(folder),
                                      "--no-rebuild"])
    assert result.exit_code == 0, result.output
    assert (target / "catalog.sqlite").is_file()


def test_restore_refuses_stores_newer_than_the_code_and_unknown_files(
        small_backup: tuple[Path, Path], tmp_path: Path) -> None:
    _, folder = small_backup
    manifest = json.loads((folder / MANIFEST).read_text())
    edited = {**manifest, "files": [{**e, "schema_version": 99} if e["name"] == "web.sqlite"
                                    else e for e in manifest["files"]]}
    (folder / MANIFEST).write_text(json.dumps(edited))
    with pytest.raises(BackupError, match="web.sqlite has schema version 99, newer"):
        restore(folder, tmp_path / "target", newest=known_schema_versions())
    escape = {**manifest, "files": [*manifest["files"], {**manifest["files"][0],
                                                         "name": "../escaped.sqlite"}]}
    (folder / MANIFEST).write_text(json.dumps(escape))
    with pytest.raises(BackupError, match="names files quisait does not back up"):
        restore(folder, tmp_path / "target")
    assert not (tmp_path / "target").exists()


def test_backup_refuses_an_existing_target_unless_forced(
        small_backup: tuple[Path, Path]) -> None:
    data, folder = small_backup
    with pytest.raises(BackupError, match="already exists"):
        backup(data, folder)
    with pytest.raises(BackupError, match="holds the data folder"):
        backup(data, data.parent, force=True)
    (folder / "stray").write_text("x")
    manifest = backup(data, folder, force=True)
    assert "stray" not in {p.name for p in folder.iterdir()}
    assert {e.name for e in manifest.entries} == {"catalog.sqlite", "web.sqlite", "topics.sqlite"}
    assert oct(folder.stat().st_mode & 0o777) == "0o700"


# -- schema versions ---------------------------------------------------------------------------

# each store's file as releases before schema versions wrote it (user_version 0)
OLD_WEB = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tokens (id TEXT PRIMARY KEY, person TEXT NOT NULL, hash TEXT NOT NULL,
    roles TEXT NOT NULL, created TEXT NOT NULL, expires TEXT, revoked TEXT);
CREATE TABLE sessions (hash TEXT PRIMARY KEY, person TEXT NOT NULL, created TEXT NOT NULL,
    last_seen TEXT NOT NULL, expires TEXT NOT NULL);
CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,
    actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE introductions (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,
    viewer TEXT, expert TEXT NOT NULL, query TEXT NOT NULL);
INSERT INTO meta VALUES ('secret_key', 'old-key'), ('introduction_salt', '00ff');
INSERT INTO audit (at, actor, action, target, detail) VALUES
    ('2026-01-01T00:00:00+00:00', 'p-x', 'mark.set', 'post-0274', 'mark=official');
INSERT INTO introductions (at, viewer, expert, query) VALUES
    ('2026-01-01T00:00:00+00:00', NULL, 'p-karim', 'sap');
"""
OLD_TOPICS = """
CREATE TABLE topics (id TEXT PRIMARY KEY, data TEXT NOT NULL, updated TEXT NOT NULL,
    updated_by TEXT);
INSERT INTO topics VALUES ('t-old', '{"id": "t-old", "name_fr": "vieux", "name_en": "old"}',
    '2026-01-01T00:00:00+00:00', NULL);
"""
OLD_QUERYLOG = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE searches (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,
    query TEXT NOT NULL, normalised TEXT NOT NULL, results INTEGER NOT NULL,
    mode TEXT NOT NULL, language TEXT NOT NULL, viewer TEXT, groups TEXT NOT NULL);
CREATE TABLE clicks (search_id INTEGER NOT NULL, item_id TEXT NOT NULL, rank INTEGER NOT NULL,
    at TEXT NOT NULL);
INSERT INTO meta VALUES ('viewer_salt', '0011');
INSERT INTO searches (at, query, normalised, results, mode, language, viewer, groups) VALUES
    ('2026-01-01T00:00:00.000000+00:00', 'vieux', 'vieux', 0, 'lexical', 'fr', NULL, '[]');
"""


def _tokens(folder: Path) -> tuple[int, Any]:
    store = TokenStore.open(folder)
    return store.schema_version, (store.secret_key(),
                                  [(e.action, e.item_id) for e in store.audit.entries()])


def _introductions(folder: Path) -> tuple[int, Any]:
    store = IntroductionStore.open(folder)
    return store.schema_version, (store.total(), store.viewer_key("p-x", "hash"))


def _topics(folder: Path) -> tuple[int, Any]:
    store = TopicStore.open(folder)
    return store.schema_version, [t.name_en for t in store.all()]


def _querylog(folder: Path) -> tuple[int, Any]:
    log = QueryLog.open(folder, "hash")
    return log.schema_version, ([q.query for q in log.zero_result_queries(
        visible_to=frozenset())], log.viewer_key("p-x") == _hmac("0011", "p-x"))


def _hmac(salt: str, viewer: str) -> str:
    import hashlib
    import hmac

    return hmac.new(bytes.fromhex(salt), viewer.encode(), hashlib.sha256).hexdigest()


Opener = Callable[[Path], tuple[int, Any]]
OLD_FILES: list[tuple[str, str, Opener, Any]] = [
    ("web.sqlite", OLD_WEB, _tokens, ("old-key", [("mark.set", "post-0274")])),
    ("web.sqlite", OLD_WEB, _introductions, (1, _hmac("00ff", "p-x"))),
    ("topics.sqlite", OLD_TOPICS, _topics, ["old"]),
    ("querylog.sqlite", OLD_QUERYLOG, _querylog, (["vieux"], True)),
]


@pytest.mark.parametrize(("name", "schema", "opener", "kept"), OLD_FILES,
                         ids=["tokens", "introductions", "topics", "querylog"])
def test_a_file_of_before_versions_opens_at_version_1_with_its_data(
        tmp_path: Path, name: str, schema: str, opener: Opener, kept: Any) -> None:
    with sqlite3.connect(tmp_path / name) as db:
        db.executescript(schema)
    assert opener(tmp_path) == (1, kept)
    assert opener(tmp_path) == (1, kept)  # opening again changes nothing
    with sqlite3.connect(tmp_path / name) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1


@pytest.mark.parametrize(("name", "opener"), [(name, opener) for name, _, opener, _ in OLD_FILES],
                         ids=["tokens", "introductions", "topics", "querylog"])
def test_a_file_newer_than_the_code_is_refused(tmp_path: Path, name: str,
                                              opener: Opener) -> None:
    opener(tmp_path)
    with sqlite3.connect(tmp_path / name) as db:
        db.execute("PRAGMA user_version = 2")
    with pytest.raises(ConfigError, match="schema version 2, newer than this quisait knows"):
        opener(tmp_path)
