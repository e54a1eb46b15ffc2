"""Reading a BEIR folder (``corpus.jsonl``, ``queries.jsonl``, ``qrels/test.tsv``) and
splitting its queries in two halves that share no document.

Used by the search and answer evaluations and by tuning's BEIR pairs: one place, so
that what is tuned on one half is never reported on it.
"""

from __future__ import annotations

import csv
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

SPLITS = ("even", "odd")
_ARTICLE = re.compile(r"a(\d+)p\d+")


def jsonl_lines(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSONL file, blank lines skipped."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def read_qrels(folder: Path) -> dict[str, dict[str, int]]:
    """Query id -> {``beir:<document id>``: grade} from ``qrels/test.tsv``."""
    qrels: dict[str, dict[str, int]] = {}
    with open(folder / "qrels" / "test.tsv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[f"beir:{row['corpus-id']}"] = int(row["score"])
    return qrels


def of_split(qrels: dict[str, dict[str, int]], split: str | None) -> dict[str, dict[str, int]]:
    """The judgements of the queries of one half (:func:`query_split`; None: all)."""
    if split is None:
        return qrels
    return {query: docs for query, docs in qrels.items()
            if query_split(query, (d.removeprefix("beir:") for d in docs)) == split}


def query_split(query_id: str, relevant: Iterable[str]) -> str:
    """Which half of a BEIR set a query belongs to: by article for PIAF-style document
    ids (``a12p3``: article 12), so the halves never share a document, else by query id;
    a CRC-32 of the article or id decides (development sets may hold, say, only
    even-numbered articles, so no parity of the number itself)."""
    articles = sorted({m.group(1) for d in relevant if (m := _ARTICLE.fullmatch(d))})
    key = f"article {articles[0]}" if articles else f"query {query_id}"
    return SPLITS[zlib.crc32(key.encode()) % 2]
