"""Shared fixtures: settings in a temporary data folder, a small deterministic encoder."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings as hypothesis_settings

from core.settings import Settings
from indexer.embeddings import Chunk

# The default run replays the same examples every time (a red CI is then a real change);
# HYPOTHESIS_PROFILE=explore draws new ones, to look for bugs on purpose.
hypothesis_settings.register_profile("replay", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "replay"))

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "indexer" / "sample" / "corpus"


class HashingEncoder:
    """A deterministic bag-of-words encoder: fast, no model, same API as ``Encoder``."""

    def __init__(self, name: str = "test-hashing", dimension: int = 64, words: int = 40) -> None:
        self.name = name
        self.dimension = dimension
        self.words = words
        self.calls = 0
        self.encoded = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.encoded += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dimension] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] /= norm if norm else 1.0
        return out

    def chunks(self, title: str, text: str) -> list[Chunk]:
        words = text.split()
        if not words:
            return [Chunk(0, title, 0, 0)] if title else []
        pieces = [" ".join(words[i : i + self.words]) for i in range(0, len(words), self.words)]
        return [Chunk(i, f"{title}\n{piece}", 0, len(text)) for i, piece in enumerate(pieces)]


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
