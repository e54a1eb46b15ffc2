"""Key phrases before and after: the legacy RAKE-like extractor beside the spaCy one.

Imports SOURCES into a scratch catalog and prints, as Markdown:

- for ``--items`` items of ``--lang``, evenly spaced, the old and the new phrases side by
  side (``--chunks`` adds spaCy's parser-based ``noun_chunks`` for comparison);
- extraction time per item, old and new (spaCy's import and load apart), and what the
  parser and the lemmatizer would add (``--variants``);
- grouping: the phrases' ``topic_key`` against spaCy's lemmas (``--variants``);
- the share of indexing time the key-phrase step takes: ``index_sources`` with the
  default settings (packaged model; ``--no-embeddings`` for full text only) in a fresh
  process, ``--index-runs`` times, and the same in another checkout with ``--before DIR``
  (the extractor of version 1: ``git worktree add --detach DIR 0336d9a``).

Usage: ``python bench/bench_keyphrases.py indexer/sample/corpus/network.jsonl
indexer/sample/corpus/documents --items 40 --variants --index-runs 3``
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


# -- the legacy extractor (indexer/keyphrases.py before VERSION 2), kept verbatim -------------

LEGACY_MAX_WORDS = 3
LEGACY_CONNECTORS = frozenset({"de", "d'", "d’", "du", "des", "à", "en"})
_LEGACY_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|[^\w\s]", re.UNICODE)
_LEGACY_ELIDED = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)


@functools.cache
def _legacy_stop_words(language: str) -> frozenset[str]:
    from indexer.analysis import stop_words

    return stop_words(language)


def _legacy_candidates(text: str, language: str) -> list[tuple[str, ...]]:
    stop_words = _legacy_stop_words("fr" if language == "fr" else "en")
    connectors = LEGACY_CONNECTORS if language == "fr" else frozenset()
    phrases: list[tuple[str, ...]] = []
    current: list[str] = []

    def close() -> None:
        while current and current[-1] in connectors:
            current.pop()
        if current and sum(w not in connectors for w in current) <= LEGACY_MAX_WORDS:
            phrases.append(tuple(current))
        current.clear()

    for match in _LEGACY_WORDS.finditer(text[:20_000]):
        word = match.group().lower()
        if language == "fr" and (elided := _LEGACY_ELIDED.match(word)):
            close()
            if elided.group().rstrip("'’") == "d" and current:
                current.append("d'")
            word = word[elided.end():]
        if current and word in connectors:
            current.append(word)
        elif word.isalpha() and len(word) > 1 and word not in stop_words:
            current.append(word)
        else:
            close()
    close()
    return phrases


def legacy_keyphrases(title: str, text: str, language: str,
                      top: int = 8) -> list[tuple[str, float]]:
    """The extractor of key-phrase version 1."""
    from indexer.analysis import fold

    candidates = _legacy_candidates(f"{title}.\n{text}", language)
    frequency: Counter[str] = Counter()
    degree: defaultdict[str, int] = defaultdict(int)
    for phrase in candidates:
        content = [w for w in phrase if w not in LEGACY_CONNECTORS]
        for word in content:
            frequency[word] += 1
            degree[word] += len(content)
    scores: dict[str, float] = {}
    for phrase in candidates:
        content = [w for w in phrase if w not in LEGACY_CONNECTORS]
        if not content:
            continue
        key = " ".join(phrase)
        scores[key] = sum(degree[w] / frequency[w] for w in content) + candidates.count(phrase)
    ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
    unique: dict[str, tuple[str, float]] = {}
    for phrase_text, score in ranked:
        unique.setdefault(fold(phrase_text), (phrase_text, round(score, 3)))
    return list(unique.values())[:top]


# -- the corpus ---------------------------------------------------------------------------------

def load_items(sources: list[str], folder: str) -> list[Any]:
    """Live items of SOURCES, imported into a scratch catalog (no key phrases, no vectors)."""
    from core.settings import load_settings
    from indexer import Catalog, catalog_path, index_sources

    settings = load_settings(data_dir=folder, embeddings=False, keyphrases=False)
    index_sources(settings, sources)
    catalog = Catalog(catalog_path(settings))
    try:
        return [item for item in catalog.changed_items(0) if not item.deleted]
    finally:
        catalog.close()


def cell(phrases: list[str]) -> str:
    return " · ".join(p.replace("\n", " ") for p in phrases).replace("|", "\\|") or "–"


def side_by_side(items: list[Any], count: int, chunks: bool) -> None:
    from indexer.keyphrases import extract_many

    step = max(1, len(items) // count) if count else 1
    chosen = items[::step][:count]
    new = list(extract_many((i.title, i.text, i.lang) for i in chosen))
    from indexer.keyphrases import VERSION

    header = f"| item | before (v1) | after (v{VERSION}) |"
    noun_chunks: list[list[str]] = []
    if chunks:
        from indexer import french_phrases

        nlp = french_phrases.load_pipeline(("ner", "senter", "lemmatizer"))
        docs = nlp.pipe(french_phrases.french_text(i.title, i.text) for i in chosen)
        noun_chunks = [list(dict.fromkeys(c.text for c in doc.noun_chunks))[:8] for doc in docs]
        header += " noun_chunks (parser) |"
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for n, (item, after) in enumerate(zip(chosen, new, strict=True)):
        title = (item.title or item.text)[:50].replace("|", "\\|").replace("\n", " ")
        before = [p for p, _ in legacy_keyphrases(item.title, item.text, item.lang)]
        row = f"| {item.id} {title} | {cell(before)} | {cell([p for p, _ in after])} |"
        if chunks:
            row += f" {cell(noun_chunks[n])} |"
        print(row)


# -- timings ------------------------------------------------------------------------------------

def extraction_times(items: list[Any]) -> dict[str, float]:
    """Milliseconds per item, old and new, and spaCy's one-off costs in seconds."""
    import torch  # noqa: F401  (indexing imports it before key phrases: the encoder)

    started = time.perf_counter()
    for item in items:
        legacy_keyphrases(item.title, item.text, item.lang)
    legacy = time.perf_counter() - started
    started = time.perf_counter()
    import spacy  # noqa: F401

    imported = time.perf_counter() - started
    from indexer import french_phrases
    from indexer.keyphrases import extract_many

    started = time.perf_counter()
    french_phrases.french_pipeline()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    list(extract_many((i.title, i.text, i.lang) for i in items))
    new = time.perf_counter() - started
    french = sum(i.lang == "fr" for i in items)
    return {"items": len(items), "french_items": french,
            "legacy_ms_per_item": round(1000 * legacy / len(items), 3),
            "new_ms_per_item": round(1000 * new / len(items), 3),
            "new_ms_per_french_item": round(1000 * new / max(french, 1), 3),
            "spacy_import_s": round(imported, 2), "pipeline_load_s": round(loaded, 2)}


def variants(items: list[Any]) -> dict[str, dict[str, float]]:
    """Load and tagging time of the pipeline as used, with the lemmatizer, with the parser."""
    from indexer import french_phrases

    texts = [french_phrases.french_text(i.title, i.text) for i in items if i.lang == "fr"]
    found = {}
    for name, excluded in [("tagger (used)", french_phrases.EXCLUDED),
                           ("tagger + lemmatizer", ("parser", "senter", "ner")),
                           ("tagger + parser (noun_chunks)", ("senter", "lemmatizer", "ner"))]:
        started = time.perf_counter()
        nlp = french_phrases.load_pipeline(excluded)
        loaded = time.perf_counter() - started
        runs = []
        for _ in range(2):  # the first run warms caches (the lemmatizer's tables)
            started = time.perf_counter()
            for doc in nlp.pipe(texts, batch_size=french_phrases.BATCH_SIZE):
                list(doc.noun_chunks) if "parser" in nlp.pipe_names else None
            runs.append(time.perf_counter() - started)
        found[name] = {"load_s": round(loaded, 2), "first_run_s": round(runs[0], 2),
                       "ms_per_french_item": round(1000 * runs[1] / max(len(texts), 1), 2)}
    return found


def grouping(items: list[Any]) -> dict[str, Any]:
    """Do ``topic_key`` groups agree with groups by spaCy lemma?"""
    from indexer import french_phrases
    from indexer.analysis import fold
    from indexer.keyphrases import extract_many, topic_key

    french = [i for i in items if i.lang == "fr"]
    phrases = sorted({p for found in extract_many((i.title, i.text, "fr") for i in french)
                      for p, _ in found})
    nlp = french_phrases.load_pipeline(("parser", "senter", "ner"))
    lemma = {p: fold(" ".join(t.lemma_.lower() for t in doc))
             for p, doc in zip(phrases, nlp.pipe(phrases), strict=True)}

    def pairs(key: Any) -> set[str]:
        """Pairs of forms (case aside) that ``key`` puts in one group."""
        groups: defaultdict[str, set[str]] = defaultdict(set)
        for p in phrases:
            groups[key(p)].add(p.lower())
        return {f"{a} = {b}" for forms in groups.values() for a in forms for b in forms if a < b}

    by_key, by_lemma = pairs(topic_key), pairs(lemma.__getitem__)
    return {"phrases": len(phrases),
            "groups_by_topic_key": len({topic_key(p) for p in phrases}),
            "groups_by_lemma": len(set(lemma.values())),
            "pairs_merged_by_both": len(by_key & by_lemma),
            "examples_merged_by_both": sorted(by_key & by_lemma)[:10],
            "pairs_merged_by_lemma_only": sorted(by_lemma - by_key),
            "pairs_merged_by_topic_key_only": sorted(by_key - by_lemma)}


def index_worker(sources: list[str], folder: str, embeddings: bool) -> None:
    from core.settings import load_settings
    from indexer import index_sources

    report = index_sources(load_settings(data_dir=folder, embeddings=embeddings), sources)
    print(json.dumps({"seconds": report.seconds, **report.timings}))


def index_share(sources: list[str], runs: int, checkout: Path,
                embeddings: bool) -> dict[str, Any]:
    """Median per-step timings of ``index_sources`` in ``checkout``."""
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            command = [sys.executable, str(Path(__file__).resolve()), "--worker", folder,
                       *[str(Path(s).resolve()) for s in sources]]
            command += [] if embeddings else ["--no-embeddings"]
            env = {**os.environ, "PYTHONPATH": str(checkout)}
            output = subprocess.run(command, check=True, capture_output=True, text=True,
                                    cwd=checkout, env=env).stdout
            results.append(json.loads(output.strip().splitlines()[-1]))
    median = {k: round(statistics.median(r.get(k, 0.0) for r in results), 2) for k in results[0]}
    share = median.get("keyphrases", 0.0) / median["seconds"]
    return {"checkout": str(checkout), "runs": runs, "embeddings": embeddings, **median,
            "keyphrases_share": f"{100 * share:.1f} %"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+")
    parser.add_argument("--items", type=int, default=30, help="items shown side by side")
    parser.add_argument("--lang", default="fr", help="language of the items shown (or 'all')")
    parser.add_argument("--chunks", action="store_true", help="add spaCy's noun_chunks")
    parser.add_argument("--variants", action="store_true",
                        help="time the lemmatizer and parser; compare grouping with lemmas")
    parser.add_argument("--index-runs", type=int, default=0)
    parser.add_argument("--before", type=Path, help="another checkout to time indexing in")
    parser.add_argument("--no-embeddings", action="store_true",
                        help="time indexing without embeddings (full text only)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:  # runs in the checkout on PYTHONPATH
        index_worker(args.sources, args.worker, not args.no_embeddings)
        return
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        items = load_items(args.sources, folder)
    shown = [i for i in items if args.lang in ("all", i.lang)]
    times = extraction_times(items)  # first: spaCy's import and load not done yet
    print(f"## {', '.join(Path(s).name for s in args.sources)}: {len(items)} items\n")
    side_by_side(shown, args.items, args.chunks)
    print(f"\n```json\n{json.dumps(times, indent=2)}\n```")
    if args.variants:
        print(f"\n```json\n{json.dumps(variants(items), indent=2)}\n```")
        print(f"\n```json\n{json.dumps(grouping(items), indent=2, ensure_ascii=False)}\n```")
    if args.index_runs:
        checkouts = [ROOT] + ([args.before.resolve()] if args.before else [])
        shares = [index_share(args.sources, args.index_runs, c, not args.no_embeddings)
                  for c in checkouts]
        print(f"\n```json\n{json.dumps(shares, indent=2)}\n```")


if __name__ == "__main__":
    main()
