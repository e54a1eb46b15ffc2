"""Fixtures for the web tests: the sample corpus indexed once per session, an app over a
copy of it, and clients signed in as each role."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.settings import Settings
from indexer.sample import CANARIES_PATH
from tests.hashing import HashingEncoder
from web import TokenStore, create_app

CANARIES = json.loads(CANARIES_PATH.read_text())
# one person per role of the sample corpus (see indexer/sample/README.md)
ROLES = {"guest": "p-ian", "employee": "p-julien", "km_lead": "p-claire", "admin": "p-nadia"}

_ENCODER = HashingEncoder(name="test")
_INDEXED: dict[str, Path] = {}

# outsiders of every canary group, by role: a guest of another group, plain employees,
# a KM lead and an admin (roles grant no read access)
OUTSIDERS = {"g-codir": ["p-ian", "p-julien", "p-claire", "p-nadia"],
             "g-horizon": ["p-ian", "p-julien", "p-claire", "p-helene"],
             "g-kestrel": ["p-julien", "p-claire", "p-nadia", "p-helene"]}
MEMBERS = {"g-codir": "p-helene", "g-horizon": "p-isabelle", "g-kestrel": "p-ian"}

@pytest.fixture(scope="session")
def hashing_encoder() -> Iterator[HashingEncoder]:
    """The fast deterministic encoder, in place of the model, for the whole session."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("indexer.pipeline.load_encoder", lambda settings: _ENCODER)
        patch.setattr("search.engine.load_encoder", lambda settings: _ENCODER)
        yield _ENCODER


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory,
                 hashing_encoder: HashingEncoder) -> Path:
    """The sample corpus indexed once (full text, key phrases and hashing vectors)."""
    from quisait.demo import index_sample

    # each test module imports this fixture, which makes it one fixture per module: index
    # once anyway (tests that write work on copies)
    if "sample" not in _INDEXED:
        settings = Settings(data_dir=tmp_path_factory.mktemp("web-sample") / "data",
                            embedding_model="test")
        reports = index_sample(settings, progress=False)
        assert all(not report.problems for report in reports)
        _INDEXED["sample"] = settings.data_dir
    return _INDEXED["sample"]


def copy_settings(sample_index: Path, target: Path, **changes: Any) -> Settings:
    """Settings over a private copy of the sample index (tests that write get their own)."""
    shutil.copytree(sample_index, target)
    return Settings(data_dir=target, embedding_model="test", **changes)


@pytest.fixture(scope="session")
def shared_app(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """A read-mostly app (demo sign-in on) shared by the tests that do not ingest."""
    settings = copy_settings(sample_index, tmp_path_factory.mktemp("web-app") / "data",
                             demo_login=True)
    app = create_app(settings)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def app(sample_index: Path, tmp_path: Path) -> Flask:
    """An app over its own copy of the index (for tests that ingest, delete or curate)."""
    app = create_app(copy_settings(sample_index, tmp_path / "data", demo_login=True))
    app.config["TESTING"] = True
    return app


def token_for(app: Flask, person: str, roles: tuple[str, ...] = ()) -> str:
    store: TokenStore = app.extensions["quisait"].tokens
    return store.create(person, roles=roles)[0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed_in(app: Flask, person: str) -> FlaskClient:
    """A page client signed in as ``person`` through the demo form."""
    client = app.test_client()
    page = client.get("/signin").get_data(as_text=True)
    response = client.post("/signin", data={"person": person, "csrf_token": csrf_of(page),
                                            "next": "/search"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def csrf_of(page: str) -> str:
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return page[start:page.index('"', start)]
