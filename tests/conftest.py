"""Shared fixtures: settings in a temporary data folder, a small deterministic encoder."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from core.settings import Settings
from tests.hashing import HashingEncoder
from tests.web_fixtures import app, hashing_encoder, sample_index, shared_app  # noqa: F401

# The default run replays the same examples every time (a red CI is then a real change);
# HYPOTHESIS_PROFILE=explore draws new ones, to look for bugs on purpose.
hypothesis_settings.register_profile("replay", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "replay"))

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "indexer" / "sample" / "corpus"


@pytest.fixture
def encoder(monkeypatch: pytest.MonkeyPatch) -> Iterator[HashingEncoder]:
    """Replace the real model everywhere the pipeline and search load it."""
    fake = HashingEncoder()
    monkeypatch.setattr("indexer.pipeline.load_encoder", lambda settings: fake)
    monkeypatch.setattr("search.engine.load_encoder", lambda settings: fake)
    yield fake


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", embedding_model="test-hashing")


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path
