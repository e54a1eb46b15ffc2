"""The embedding model run by ONNX Runtime: exported once from the torch model, then loaded.

The transformer alone is exported (``torch.onnx.export``) into ``<data_dir>/models/``;
pooling and normalisation are done here in numpy, as the sentence-transformers
model's own pooling configuration says.  ``onnx-int8`` is the same graph with its
matrix weights quantised per channel (``onnxruntime.quantization.quantize_dynamic``).
Nothing here is imported unless a setting asks for an ONNX backend.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ConfigError
from core.settings import Settings

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
EXPORT_VERSION = 1  # bump when the export or quantisation recipe changes
SUPPORTED_MODULES = {"Transformer", "Pooling", "Normalize"}


def _mean(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)


def _cls(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return tokens[:, 0]


def _max(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.where(mask > 0, tokens, np.float32(-1e9)).max(axis=1)


# sentence-transformers' pooling modes -> how token embeddings become one vector
POOLINGS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "mean": _mean, "cls": _cls, "max": _max}


def model_files(settings: Settings, folder: str) -> tuple[Path, Path]:
    """The ``.onnx`` file and its ``.json`` description for this model and backend.

    The name carries a fingerprint of the model folder (file names and sizes, and the id
    of a tuned model's run), so an upgraded or re-tuned model is exported again instead
    of reusing a stale graph.
    """
    from indexer.embeddings import model_provenance

    listing = sorted((p.name, p.stat().st_size) for p in Path(folder).glob("*") if p.is_file())
    tuning = model_provenance(folder).get("id")  # a model tuned again: the same sizes
    fingerprint = hashlib.sha256(
        json.dumps([folder, listing, EXPORT_VERSION, tuning]).encode()).hexdigest()[:10]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(settings.embedding_model).name) or "model"
    base = settings.data_dir / "models" / f"{stem}-{fingerprint}-{settings.encoder_backend}"
    return base.with_suffix(".onnx"), base.with_suffix(".json")


def _atomic_target(path: Path, write: Callable[[str], object]) -> None:
    """Let ``write`` fill a temporary file beside ``path``, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; it is a plain shared file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _pooling_mode(model: Any) -> str:
    kinds = [type(module).__name__ for module in model]
    if set(kinds) - SUPPORTED_MODULES or "Pooling" not in kinds:
        raise ConfigError(f"the ONNX backends support transformer + pooling models only; "
                          f"this one has {kinds}: set encoder_backend = torch")
    pooling = model[kinds.index("Pooling")]
    # ``pooling_mode`` since sentence-transformers 6, ``get_pooling_mode_str()`` before
    mode = getattr(pooling, "pooling_mode", None) or pooling.get_pooling_mode_str()
    if mode not in POOLINGS:
        raise ConfigError(f"the ONNX backends support pooling {', '.join(POOLINGS)}, not "
                          f"{mode!r}: set encoder_backend = torch")
    return mode


def export_fp32(folder: str, target: Path) -> dict[str, Any]:
    """Export the transformer of the sentence-transformers model in ``folder`` to ``target``."""
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(folder, device="cpu")
    mode = _pooling_mode(model)
    transformer = model[0]
    network: Any = getattr(transformer, "auto_model", None) or transformer.model
    network.eval()

    class TokenEmbeddings(torch.nn.Module):  # keyword call: forward's positional order varies
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.network(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state

    # traced with padding in the batch, so the attention-mask path is the one recorded
    sample = model.tokenizer(["a short one", "a somewhat longer sample sentence"],
                             padding=True, return_tensors="pt")
    sample.setdefault("token_type_ids", torch.zeros_like(sample["input_ids"]))
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "token_embeddings")}

    def write(tmp: str) -> None:
        # the tracer warns about Python branches on shapes; for an encoder they are constant
        # (no causal mask, no cache), and the test against torch checks the result
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(TokenEmbeddings(), tuple(sample[n] for n in INPUTS), tmp,
                              input_names=list(INPUTS), output_names=["token_embeddings"],
                              dynamic_axes=axes, opset_version=17, dynamo=False)

    _atomic_target(target, write)
    window: Any = model.max_seq_length
    dimension = getattr(model, "get_embedding_dimension", None) or (
        model.get_sentence_embedding_dimension)
    return {"pooling": mode, "window": int(window), "dimension": int(dimension() or 0)}


def quantise_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the matrix products, one scale per output channel."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # per-tensor scales lose too much here (cosine to torch ~0.94 vs ~0.995 per channel)
    _atomic_target(target, lambda tmp: quantize_dynamic(
        source, tmp, weight_type=QuantType.QInt8, per_channel=True,
        op_types_to_quantize=["MatMul"]))


def ensure_exported(settings: Settings, folder: str) -> tuple[Path, dict[str, Any]]:
    """The ONNX file for ``settings.encoder_backend``, exporting it on first use."""
    path, meta_path = model_files(settings, folder)
    if path.exists() and meta_path.exists():
        return path, json.loads(meta_path.read_text())
    log.info("exporting %s to %s (once)", settings.embedding_model, path)
    fp32, fp32_meta = model_files(settings.replace(encoder_backend="onnx"), folder)
    if fp32.exists() and fp32_meta.exists():
        meta = json.loads(fp32_meta.read_text())
    else:
        meta = export_fp32(folder, fp32)
        _atomic_target(fp32_meta, lambda tmp: Path(tmp).write_text(json.dumps(meta)))
    if path != fp32:
        quantise_int8(fp32, path)
        _atomic_target(meta_path, lambda tmp: Path(tmp).write_text(json.dumps(meta)))
    return path, meta


class OnnxModel:
    """Token embeddings from ONNX Runtime, pooled and normalised like the torch model."""

    def __init__(self, settings: Settings, folder: str) -> None:
        import onnxruntime
        from transformers import AutoTokenizer

        path, meta = ensure_exported(settings, folder)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = settings.threads
        options.inter_op_num_threads = 1
        # idle threads sleep, as OMP_WAIT_POLICY=PASSIVE does for torch (shared 2-core machine)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.pool = POOLINGS[meta["pooling"]]
        self.window = int(meta["window"])
        self.dimension = int(meta["dimension"])
        self.batch_size = settings.batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 vectors, one row per text (batched longest first, as
        sentence-transformers does, so that a batch holds texts of similar lengths)."""
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            vectors[rows] = self._encode_batch([texts[i].strip() for i in rows])
        return vectors

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encoded = self.tokenizer(texts, padding=True, truncation=True, max_length=self.window,
                                 return_tensors="np")
        ids = encoded["input_ids"].astype(np.int64)
        mask = encoded["attention_mask"].astype(np.int64)
        types = encoded.get("token_type_ids")
        feed = {"input_ids": ids, "attention_mask": mask,
                "token_type_ids": np.zeros_like(ids) if types is None else types.astype(np.int64)}
        tokens = self.session.run(None, feed)[0]
        pooled = self.pool(tokens, mask[..., None].astype(np.float32))
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return (pooled / norms).astype(np.float32)
