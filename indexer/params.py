"""``params.json`` and ``state.json`` of a derived index folder.

``params.json`` says how the index was built (model, dimension, schema and
analyzer versions); opening an index with other parameters is an
:class:`~core.errors.IndexMismatchError` that says how to fix it.  ``state.json``
holds the catalog generation the index reflects.  Both are replaced atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from core.errors import IndexMismatchError

REBUILD_HINT = "run `quisait rebuild` to recreate the derived indexes from the catalog"


def write_atomically(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` so that readers see the old or the new file, never half."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_params(folder: Path, params: dict[str, Any]) -> None:
    write_atomically(folder / "params.json", json.dumps(params, indent=2).encode())


def check_params(folder: Path, expected: dict[str, Any], what: str) -> None:
    """Raise ``IndexMismatchError`` unless ``folder/params.json`` matches ``expected``."""
    path = folder / "params.json"
    try:
        found = json.loads(path.read_text())
    except FileNotFoundError:
        raise IndexMismatchError(f"{what} in {folder} has no params.json; {REBUILD_HINT}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexMismatchError(f"{what}: {path} is corrupt ({exc}); {REBUILD_HINT}") from None
    except OSError as exc:
        raise IndexMismatchError(f"{what}: cannot read {path} ({exc}); {REBUILD_HINT}") from None
    if not isinstance(found, dict):
        raise IndexMismatchError(
            f"{what}: {path} is corrupt (not a JSON object); {REBUILD_HINT}")
    differences = [
        f"{key}: index has {found.get(key)!r}, settings want {value!r}"
        for key, value in expected.items()
        if found.get(key) != value
    ]
    if differences:
        raise IndexMismatchError(
            f"{what} in {folder} was built with other parameters ({'; '.join(differences)}); "
            f"{REBUILD_HINT}"
        )


class IndexState:
    """The catalog generation a derived index reflects, kept in ``state.json``."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.generation = 0
        if path is not None and path.exists():
            try:
                self.generation = int(json.loads(path.read_text())["generation"])
            except (ValueError, KeyError, TypeError, OSError) as exc:  # JSON and UTF-8 too
                raise IndexMismatchError(f"{path} is corrupt ({exc}); {REBUILD_HINT}") from None

    def save(self, generation: int) -> None:
        self.generation = generation
        if self.path is not None:
            write_atomically(self.path, json.dumps({"generation": generation}).encode())
