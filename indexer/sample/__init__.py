"""The committed sample corpus: a fictional company's enterprise social network.

``python -m indexer.sample.build`` regenerates every file under ``corpus/``
from the hand-written tables in this package; the output is byte-identical
across runs.  See ``README.md`` for the company, its people and its groups.
"""

from __future__ import annotations

from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
NETWORK_PATH = CORPUS_DIR / "network.jsonl"
DOCUMENTS_DIR = CORPUS_DIR / "documents"
FEED_PATH = CORPUS_DIR / "feed.xml"
CANARIES_PATH = CORPUS_DIR / "canaries.json"

__all__ = ["CANARIES_PATH", "CORPUS_DIR", "DOCUMENTS_DIR", "FEED_PATH", "NETWORK_PATH"]
