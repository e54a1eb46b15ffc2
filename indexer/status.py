"""What is in a data folder, for ``quisait status``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.settings import Settings
from indexer.catalog import Catalog
from indexer.keyphrases import keyphrases_since
from indexer.pipeline import catalog_path


def _state_generation(folder: Path) -> int | None:
    path = folder / "state.json"
    if not path.exists():
        return None
    try:
        return int(json.loads(path.read_text())["generation"])
    except (ValueError, KeyError, json.JSONDecodeError):
        return None


def index_status(settings: Settings) -> dict[str, Any]:
    """Counts per type, kind, group and language, and the generation of each index."""
    path = catalog_path(settings)
    if not path.exists():
        raise ConfigError(f"no catalog in {settings.data_dir}; run `quisait index SOURCE` first")
    catalog = Catalog(path)
    try:
        info = catalog.counts()
        info["index_generations"] = {
            "fulltext": _state_generation(settings.data_dir / "fulltext"),
            "vectors": _state_generation(settings.data_dir / "vectors"),
            "keyphrases": keyphrases_since(catalog),
        }
    finally:
        catalog.close()
    info["data_dir"] = str(settings.data_dir)
    info["embedding_model"] = settings.embedding_model
    return info
