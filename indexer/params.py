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
        self._seen: tuple[tuple[int, int, int], int] | None = None  # see saved()
        if path is not None and path.exists():
            self.generation = self._read(path)

    def _read(self, path: Path) -> int:
        try:
            return int(json.loads(path.read_text())["generation"])
        except (ValueError, KeyError, TypeError, OSError) as exc:  # JSON and UTF-8 too
            raise IndexMismatchError(f"{path} is corrupt ({exc}); {REBUILD_HINT}") from None

    def saved(self) -> int:
        """The generation as saved in the file now, by this process or another: what a
        long-running reader goes by (``generation`` is this process's own view).  Read
        again only when the file changed (it is replaced whole: a new inode each time)."""
        if self.path is None:
            return self.generation
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return 0
        key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if self._seen is None or self._seen[0] != key:
            self._seen = (key, self._read(self.path))
        return self._seen[1]

    def save(self, generation: int) -> None:
        self.generation = generation
        if self.path is not None:
            write_atomically(self.path, json.dumps({"generation": generation}).encode())
