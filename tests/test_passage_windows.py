"""Passage windows per language (``passage_tokens_by_language``)."""

from __future__ import annotations

import pytest

from core.errors import ConfigError, IndexMismatchError
from core.settings import Settings
from indexer import VectorIndex

LONG = " ".join(f"Sentence number {n} says something about vaccines and trials." for n in range(80))


@pytest.fixture(scope="module")
def encoders(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    from indexer import load_encoder  # once per process and settings: windows included

    base = Settings(data_dir=tmp_path_factory.mktemp("windows"), encoder_backend="torch")
    return load_encoder(base), load_encoder(base.replace(passage_tokens_by_language="en:128,de:0"))


def _tokens(encoder: object, text: str) -> int:
    return len(encoder.tokenizer(text, add_special_tokens=True)["input_ids"])  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_language_gets_its_window_and_the_others_keep_the_models(encoders):
    default, windowed = encoders
    english = windowed.chunks("A title", LONG, "en")
    assert len(english) > len(default.chunks("A title", LONG, "en")) > 1
    assert max(_tokens(windowed, chunk.text) for chunk in english) <= 128
    assert max(_tokens(default, c.text) for c in default.chunks("A title", LONG, "en")) > 128
    # another language, no language, and a language at 0 (the model's window): as before
    for language in ("fr", None, "de"):
        assert windowed.chunks("A title", LONG, language) == default.chunks("A title", LONG,
                                                                            language)


@pytest.mark.parametrize("value", ["en", "en:", "en:12", "en:5000", ":128", "en:12x"])
def test_a_malformed_list_is_a_clear_error(value):
    with pytest.raises(ConfigError, match="passage_tokens_by_language"):
        Settings(passage_tokens_by_language=value)


def test_the_list_is_read_with_spaces_and_zeros():
    settings = Settings(passage_tokens_by_language=" en:128 , fr:0 ,")
    assert settings.passage_windows() == {"en": 128, "fr": 0}
    assert Settings().passage_windows() == {}


def test_an_index_cut_with_other_windows_asks_for_a_rebuild(tmp_path):
    folder = tmp_path / "vectors"
    VectorIndex.open(folder, Settings(data_dir=tmp_path, embedding_model="test"))
    VectorIndex.open(folder, Settings(data_dir=tmp_path, embedding_model="test"))  # same: fine
    with pytest.raises(IndexMismatchError, match="passage_windows.*rebuild"):
        VectorIndex.open(folder, Settings(data_dir=tmp_path, embedding_model="test",
                                          passage_tokens_by_language="en:128"))
