"""Settings: defaults, then TOML, then QUISAIT_* variables, then overrides; clear errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import DEFAULT_MODEL, Settings, load_settings

ALL_NAMES = [f.name for f in dataclasses.fields(Settings)]


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # no stray ./quisait.toml from the working directory
    monkeypatch.chdir(tmp_path)


def write_toml(tmp_path: Path, text: str, name: str = "conf.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.data_dir == Path("var/quisait")
    assert settings.embedding_model == DEFAULT_MODEL
    assert settings.embeddings is True
    assert settings.batch_size == 64
    assert settings.threads == 2
    assert settings.vector_index == "auto"
    assert settings.port == 8080
    assert settings.host == "127.0.0.1"


def test_toml_top_level_keys_override_defaults(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'port = 9000\nembeddings = false\ndata_dir = "/srv/q"\n')
    settings = load_settings(config=path, environ={})
    assert settings.port == 9000
    assert settings.embeddings is False
    assert settings.data_dir == Path("/srv/q")
    assert settings.threads == 2  # untouched


def test_toml_quisait_table_overrides_defaults(tmp_path: Path) -> None:
    path = write_toml(tmp_path, '[quisait]\nbatch_size = 8\nvector_index = "hnsw"\n')
    settings = load_settings(config=path, environ={})
    assert settings.batch_size == 8
    assert settings.vector_index == "hnsw"


def test_quisait_toml_in_working_directory_is_read(tmp_path: Path) -> None:
    write_toml(tmp_path, "threads = 7\n", name="quisait.toml")
    assert load_settings(environ={}).threads == 7


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "threads = 5\n", name="elsewhere.toml")
    assert load_settings(environ={"QUISAIT_CONFIG": str(path)}).threads == 5


def test_explicit_config_beats_environment_config(tmp_path: Path) -> None:
    chosen = write_toml(tmp_path, "threads = 3\n", name="chosen.toml")
    other = write_toml(tmp_path, "threads = 9\n", name="other.toml")
    assert load_settings(config=chosen, environ={"QUISAIT_CONFIG": str(other)}).threads == 3


def test_environment_overrides_toml(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'port = 9000\nhost = "0.0.0.0"\n')
    settings = load_settings(config=path, environ={"QUISAIT_PORT": "9100"})
    assert settings.port == 9100
    assert settings.host == "0.0.0.0"  # from the file, not overridden


def test_environment_values_are_converted() -> None:
    settings = load_settings(
        environ={
            "QUISAIT_DATA_DIR": "~/quisait-data",
            "QUISAIT_BATCH_SIZE": "16",
            "QUISAIT_EMBEDDING_MODEL": "other-model",
        }
    )
    assert settings.batch_size == 16
    assert settings.embedding_model == "other-model"
    assert settings.data_dir == Path("~/quisait-data").expanduser()
    assert "~" not in str(settings.data_dir)


def test_unrelated_environment_variables_are_ignored() -> None:
    assert load_settings(environ={"PORT": "1", "HOME": "/nowhere"}) == Settings()


def test_explicit_overrides_win(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "port = 9000\nthreads = 4\n")
    settings = load_settings(
        config=path, environ={"QUISAIT_PORT": "9100", "QUISAIT_THREADS": "6"}, port=9200
    )
    assert settings.port == 9200
    assert settings.threads == 6


def test_none_overrides_are_ignored() -> None:
    settings = load_settings(environ={"QUISAIT_PORT": "9100"}, port=None)
    assert settings.port == 9100


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", False),
        ("1", True),
        ("false", False),
        ("true", True),
        ("no", False),
        ("yes", True),
        ("off", False),
        ("on", True),
        ("FALSE", False),
        (" Yes ", True),
    ],
)
def test_booleans_from_environment(raw: str, expected: bool) -> None:
    settings = load_settings(environ={"QUISAIT_EMBEDDINGS": raw, "QUISAIT_KEYPHRASES": raw})
    assert settings.embeddings is expected
    assert settings.keyphrases is expected


@pytest.mark.parametrize(
    ("text", "source"),
    [("colour = 'blue'\n", "conf.toml"), ("[quisait]\ncolour = 'blue'\n", "conf.toml")],
)
def test_unknown_setting_in_toml_lists_valid_names(tmp_path: Path, text: str, source: str) -> None:
    path = write_toml(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(config=path, environ={})
    message = str(info.value)
    assert "'colour'" in message
    assert source in message
    for name in ALL_NAMES:
        assert name in message


def test_unknown_setting_in_environment_lists_valid_names() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"QUISAIT_COLOUR": "blue"})
    message = str(info.value)
    assert "'colour'" in message
    assert "QUISAIT_COLOUR" in message
    for name in ALL_NAMES:
        assert name in message


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        ({"QUISAIT_PORT": "eighty"}, "port"),
        ({"QUISAIT_BATCH_SIZE": "1.5"}, "batch_size"),
        ({"QUISAIT_EMBEDDINGS": "maybe"}, "embeddings"),
        ({"QUISAIT_KEYPHRASES": ""}, "keyphrases"),
    ],
)
def test_malformed_environment_value_names_the_setting(environ: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ=environ)
    assert repr(name) in str(info.value)
    assert next(iter(environ)) in str(info.value)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ('port = "eighty"\n', "port"),
        ("data_dir = 5\n", "data_dir"),
        ('embeddings = "maybe"\n', "embeddings"),
        ("threads = [1, 2]\n", "threads"),
    ],
)
def test_malformed_toml_value_names_the_setting(tmp_path: Path, text: str, name: str) -> None:
    path = write_toml(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(config=path, environ={})
    assert repr(name) in str(info.value)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("port = 80.5\n", "port"),  # a float silently truncated to 80
        ("batch_size = true\n", "batch_size"),  # a boolean silently read as 1
        ("embeddings = 2\n", "embeddings"),  # a number silently read as True
    ],
)
def test_toml_value_of_the_wrong_type_is_refused(tmp_path: Path, text: str, name: str) -> None:
    path = write_toml(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(config=path, environ={})
    assert repr(name) in str(info.value)


def test_malformed_toml_file(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "port = = 1\n")
    with pytest.raises(ConfigError) as info:
        load_settings(config=path, environ={})
    assert str(path) in str(info.value)


@pytest.mark.parametrize("source", ["environ", "toml", "override"])
def test_invalid_vector_index(tmp_path: Path, source: str) -> None:
    path = write_toml(tmp_path, 'vector_index = "annoy"\n')
    with pytest.raises(ConfigError) as info:
        if source == "environ":
            load_settings(environ={"QUISAIT_VECTOR_INDEX": "annoy"})
        elif source == "toml":
            load_settings(config=path, environ={})
        else:
            load_settings(environ={}, vector_index="annoy")
    assert "vector_index" in str(info.value)
    assert "annoy" in str(info.value)


@pytest.mark.parametrize("name", ["batch_size", "threads", "hnsw_threshold", "max_chunks"])
def test_counts_must_be_positive(name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings(environ={f"QUISAIT_{name.upper()}": "0"})


def test_missing_config_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_settings(config=missing, environ={})
    assert str(missing) in str(info.value)


def test_missing_config_file_from_environment(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(environ={"QUISAIT_CONFIG": str(missing)})


def test_settings_are_frozen() -> None:
    settings = load_settings(environ={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.port = 1  # type: ignore[misc]
    assert settings.port == 8080


def test_replace_converts_values_and_keeps_the_original() -> None:
    settings = Settings()
    changed = settings.replace(port="9001", embeddings="off")
    assert changed.port == 9001
    assert changed.embeddings is False
    assert settings.port == 8080
    with pytest.raises(ConfigError, match="colour"):
        settings.replace(colour="blue")
    with pytest.raises(ConfigError, match="vector_index"):
        settings.replace(vector_index="annoy")
