"""A small deterministic encoder for tests, importable by Ray worker processes too.

It lives outside ``conftest.py`` so that a worker can unpickle it without pytest.
"""

from __future__ import annotations

import hashlib
import time

import numpy as np

from core.settings import Settings
from indexer.embeddings import Chunk

SLOW_WORD = "lentissimo"  # a text holding it takes SLOW_SECONDS to encode: a request that
SLOW_SECONDS = 1.5       # is surely in flight when a test kills the process serving it


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
        if any(SLOW_WORD in text for text in texts):
            time.sleep(SLOW_SECONDS)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dimension] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] /= norm if norm else 1.0
        return out

    def chunks(self, title: str, text: str, language: str | None = None) -> list[Chunk]:
        words = text.split()
        if not words:
            return [Chunk(0, title, 0, 0)] if title else []
        pieces = [" ".join(words[i : i + self.words]) for i in range(0, len(words), self.words)]
        return [Chunk(i, f"{title}\n{piece}", 0, len(text)) for i, piece in enumerate(pieces)]


def hashing_encoder(settings: Settings) -> HashingEncoder:
    """An encoder factory (what ``load_encoder`` is to the real model) for the hashing one."""
    return HashingEncoder()
