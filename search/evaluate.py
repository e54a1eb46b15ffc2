"""Search quality on any BEIR-layout folder, through the product's own search path.

``corpus.jsonl`` becomes posts of one open group, read by one employee; every
query of ``queries.jsonl`` that has judgements in ``qrels/test.tsv`` is run
through :class:`search.Searcher`; ranx computes nDCG@10, MRR@10 and Recall@100.
The data folder persists between runs (``var/eval/<set>`` by default), so the
second evaluation of a set reuses its catalog and embedding cache: seconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import ConfigError, IndexMismatchError
from core.records import Group, Person, Post, Record, record_to_dict
from core.settings import DEFAULT_MODEL, Settings
from indexer import index_sources, rebuild
from indexer.embeddings import embedding_key
from search.beir import jsonl_lines, of_split, read_qrels
from search.engine import MODES, Searcher

log = logging.getLogger(__name__)

GROUP = "beir"
READER = "beir-reader"
DEPTH = 100
METRICS = ("ndcg@10", "mrr@10", "recall@100")
_DATE = datetime(2020, 1, 1, tzinfo=UTC)


def beir_records(folder: Path, lang: str | None) -> Iterator[Record]:
    """The corpus as records: one open group, one reader, one post per document."""
    yield Group(id=GROUP, name="BEIR corpus", visibility="open")
    yield Person(id=READER, name="Evaluation reader")
    for doc in jsonl_lines(folder / "corpus.jsonl"):
        yield Post(id=f"beir:{doc['_id']}", author=None, created=_DATE, group=GROUP,
                   kind="article", title=doc.get("title") or "", body=doc.get("text") or "",
                   lang=lang)


def default_work_dir(folder: Path, lang: str | None, model: str = DEFAULT_MODEL) -> Path:
    """``var/eval/<set>-<lang>-<digest>``; another model than the packaged one gets a
    folder of its own (switching models would otherwise rebuild the indexes each time)."""
    key = str(folder.resolve()) + ("" if model == DEFAULT_MODEL else f"|{model}")
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    return Path("var") / "eval" / f"{folder.name}-{lang or 'auto'}-{digest}"


def index_beir(settings: Settings, folder: Path, lang: str | None, progress: bool) -> None:
    """Index the corpus (a no-op when the data folder already holds it unchanged)."""
    export = settings.data_dir / "corpus-records.jsonl"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(export, "w", encoding="utf-8") as out:
        for record in beir_records(folder, lang):
            out.write(json.dumps(record_to_dict(record), ensure_ascii=False) + "\n")
    try:
        index_sources(settings, [str(export)], fmt="jsonl", progress=progress)
    except IndexMismatchError as exc:  # the work folder is ours: rebuild it, keep the cache
        log.warning("%s; rebuilding", exc)
        rebuild(settings, progress=progress)


def evaluate_beir(settings: Settings, folder: Path, mode: str = "hybrid",
                  lang: str | None = None, progress: bool = False,
                  split: str | None = None) -> dict[str, Any]:
    """Index ``folder`` into ``settings.data_dir`` if needed, run its queries (or those of
    one half, see :func:`search.beir.query_split`), score them."""
    from ranx import Qrels, Run, evaluate

    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (valid: {', '.join(MODES)})")
    for name in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
        if not (folder / name).is_file():
            raise ConfigError(f"{folder} is not a BEIR folder: {name} is missing")
    started = time.perf_counter()
    index_beir(settings, folder, lang, progress)
    indexed = time.perf_counter()
    qrels = of_split(read_qrels(folder), split)
    queries = {q["_id"]: q["text"] for q in jsonl_lines(folder / "queries.jsonl")
               if q["_id"] in qrels}
    run: dict[str, dict[str, float]] = {}
    with Searcher.open(settings) as searcher:
        for qid, text in queries.items():
            hits = searcher.search(text, READER, mode=mode, limit=DEPTH)
            run[qid] = {hit.id: float(DEPTH - rank) for rank, hit in enumerate(hits)}
            if not run[qid]:
                run[qid] = {"beir:__none__": 0.0}  # ranx needs every query in the run
    scores = evaluate(Qrels(qrels), Run(run), list(METRICS))
    return {**{m: round(float(scores[m]), 4) for m in METRICS}, "queries": len(queries),
            "mode": mode, "lang": lang or "auto", "set": folder.name, "split": split or "all",
            "model": settings.embedding_model,
            "index_seconds": round(indexed - started, 1),
            "search_seconds": round(time.perf_counter() - indexed, 1),
            "seconds": round(time.perf_counter() - started, 1)}


def eval_settings(settings: Settings, folder: Path, lang: str | None,
                  work_dir: Path | None) -> Settings:
    return replace(settings, data_dir=work_dir or default_work_dir(
        folder, lang, embedding_key(settings)))
