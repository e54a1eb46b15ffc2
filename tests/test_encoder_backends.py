"""Encoder backends: the setting, the embedding identity, pooling, and ONNX against torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError, IndexMismatchError
from core.settings import Settings, load_settings
from indexer.catalog import Catalog
from indexer.embeddings import embedding_key
from indexer.onnx_encoder import POOLINGS, model_files
from indexer.vectors import VectorIndex
from tests.conftest import ROOT, SAMPLE


def test_backend_setting_is_read_and_checked() -> None:
    assert Settings().encoder_backend == "onnx-int8"  # the default since 2026-12-07
    chosen = load_settings(environ={"QUISAIT_ENCODER_BACKEND": "torch"})
    assert chosen.encoder_backend == "torch"
    with pytest.raises(ConfigError, match="torch, onnx, onnx-int8"):
        Settings(encoder_backend="tensorrt")


def test_embedding_key_names_the_backend_except_torch() -> None:
    base = Settings(embedding_model="m")
    keys = {b: embedding_key(base.replace(encoder_backend=b))
            for b in ("torch", "onnx", "onnx-int8")}
    assert keys["torch"] == "m"  # caches made before backends existed stay valid
    assert len(set(keys.values())) == 3


def test_vector_cache_is_not_shared_between_backends(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite")
    torch_key = embedding_key(Settings(embedding_model="m", encoder_backend="torch"))
    int8_key = embedding_key(Settings(embedding_model="m", encoder_backend="onnx-int8"))
    catalog.cache_vectors(torch_key, {"d1": np.ones(4, dtype=np.float32).tobytes()})
    assert catalog.cached_vectors(torch_key, ["d1"])
    assert catalog.cached_vectors(int8_key, ["d1"]) == {}


def test_switching_backend_asks_for_a_rebuild(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, embedding_model="m")
    VectorIndex.open(tmp_path / "vectors", settings)
    with pytest.raises(IndexMismatchError, match="rebuild"):
        VectorIndex.open(tmp_path / "vectors", settings.replace(encoder_backend="onnx"))


def test_importing_the_packages_does_not_import_onnxruntime() -> None:
    code = "import sys, indexer, search; print('onnxruntime' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "False"


def test_pooling_ignores_padding() -> None:
    tokens = np.array([[[1.0, 2.0], [3.0, 4.0], [100.0, -100.0]]], dtype=np.float32)
    mask = np.array([[[1.0], [1.0], [0.0]]], dtype=np.float32)
    assert POOLINGS["mean"](tokens, mask).tolist() == [[2.0, 3.0]]
    assert POOLINGS["max"](tokens, mask).tolist() == [[3.0, 4.0]]
    assert POOLINGS["cls"](tokens, mask).tolist() == [[1.0, 2.0]]


def test_export_files_depend_on_backend_and_model_files(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"v1")
    settings = Settings(data_dir=tmp_path / "data")
    fp32, _ = model_files(settings.replace(encoder_backend="onnx"), str(folder))
    int8, _ = model_files(settings.replace(encoder_backend="onnx-int8"), str(folder))
    assert fp32 != int8 and fp32.parent == settings.data_dir / "models"
    (folder / "model.safetensors").write_bytes(b"version 2")  # an upgraded model package
    assert model_files(settings.replace(encoder_backend="onnx"), str(folder))[0] != fp32


# -- the real packaged model (export and three loads: tens of seconds on 2 cores) -----------

def _sample_texts() -> list[str]:
    texts = []
    for line in (SAMPLE / "network.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        texts += [str(record[k]) for k in ("title", "body", "about") if record.get(k)]
    return texts[:60] + ["  padded  ", "short", "word " * 400]  # and one past the window


@pytest.fixture(scope="module")
def onnx_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx")


@pytest.fixture(scope="module")
def real_encoders(onnx_data: Path) -> dict[str, object]:
    pytest.importorskip("onnxruntime")
    from indexer.embeddings import Encoder

    base = Settings(data_dir=onnx_data)
    return {b: Encoder(base.replace(encoder_backend=b)) for b in ("torch", "onnx", "onnx-int8")}


@pytest.mark.slow
def test_onnx_vectors_match_torch(real_encoders: dict) -> None:
    texts = _sample_texts()
    reference = real_encoders["torch"].encode(texts)
    onnx = real_encoders["onnx"].encode(texts)
    assert onnx.shape == reference.shape and onnx.dtype == np.float32
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    assert (reference * onnx).sum(axis=1).min() >= 0.9999
    int8 = (reference * real_encoders["onnx-int8"].encode(texts)).sum(axis=1)
    assert int8.mean() >= 0.98  # close, not equal: why int8 is measured before being offered


@pytest.mark.slow
def test_onnx_backends_chunk_and_name_like_torch(real_encoders: dict) -> None:
    text = " ".join(_sample_texts())
    chunks = {b: e.chunks("A title", text) for b, e in real_encoders.items()}
    assert len(chunks["torch"]) > 1 and chunks["onnx"] == chunks["torch"] == chunks["onnx-int8"]
    assert real_encoders["torch"].name == "all-MiniLM-L6-v2"
    assert real_encoders["onnx-int8"].name == "all-MiniLM-L6-v2+onnx-int8"
    assert real_encoders["onnx"].encode([]).shape == (0, 384)


@pytest.mark.slow
def test_export_is_reused(real_encoders: dict, onnx_data: Path) -> None:
    from indexer.embeddings import Encoder

    models = onnx_data / "models"
    before = {p.name: p.stat().st_mtime_ns for p in models.iterdir()}
    assert {p.rsplit("-", 1)[-1] for p in before} == {"onnx.onnx", "onnx.json", "int8.onnx",
                                                       "int8.json"}
    Encoder(Settings(data_dir=onnx_data, encoder_backend="onnx-int8"))
    assert {p.name: p.stat().st_mtime_ns for p in models.iterdir()} == before
