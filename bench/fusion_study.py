"""Fusion study: dump each retriever's ranking once, then try fusions offline in seconds.

    python bench/fusion_study.py dump --beir ../shared/data/beir/piaf-dev \
        --out var/fusion/piaf-packaged.json
    QUISAIT_EMBEDDING_MODEL=var/models/piaf-even QUISAIT_MODEL_LANGUAGES=en,fr \
        python bench/fusion_study.py dump --beir ../shared/data/beir/piaf-dev --split odd \
        --out var/fusion/piaf-odd-tuned.json
    python bench/fusion_study.py score var/fusion/*.json

``dump`` runs every judged query (of one half with ``--split``) through the searcher's
own lexical retriever (BM25F, top 100, the reader's statistics) and through the vector
index *without* the semantic floor (top 100 items, best passage each, cosine), and
keeps the query's background (mean and spread of its similarity to the sample the
retriever uses).  ``score`` prints nDCG@10 of each fusion and weight on each dump, so a
choice can be checked on every set and half at once.  The product's signals (votes,
recency...) are constant on BEIR folders and left out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.settings import load_settings  # noqa: E402
from search.beir import jsonl_lines, of_split, read_qrels  # noqa: E402
from search.evaluate import READER, eval_settings, index_beir  # noqa: E402
from search.query import parse_query  # noqa: E402
from search.translate import text_query  # noqa: E402

DEPTH = 100
Ranking = list[tuple[str, float]]


def dump(args: argparse.Namespace) -> None:
    from search.engine import Searcher

    folder = Path(args.beir)
    settings = eval_settings(load_settings(), folder, None, None)
    index_beir(settings, folder, None, progress=False)
    qrels = of_split(read_qrels(folder), args.split or None)
    queries = {q["_id"]: q["text"] for q in jsonl_lines(folder / "queries.jsonl")
               if q["_id"] in qrels}
    out: dict[str, object] = {"set": folder.name, "split": args.split or "all",
                              "model": settings.embedding_model, "qrels": qrels, "queries": {}}
    with Searcher.open(settings) as searcher:
        allowed = searcher.scope(READER).readable
        rows = [r for (r,) in searcher.catalog.db.execute("SELECT rowid FROM items")]
        ids = {row: item.id for row, item in searcher.catalog.items_by_rowid(rows).items()}
        retriever = searcher.semantic
        mask = retriever.group_mask(allowed)
        view = searcher._lexical_view()
        for number, (qid, text) in enumerate(queries.items()):
            parsed = parse_query(text)
            tq = text_query(parsed)
            lexical = [] if tq is None else searcher.lexical.ranking(
                tq, view.permitted(allowed), allowed, DEPTH)
            vector = retriever.query_vector(parsed.free_text())
            background = retriever._background(vector, mask, allowed)
            best: dict[int, float] = {}
            for rowid, _ordinal, score in retriever._nearest(vector, DEPTH * 3, mask):
                best[rowid] = max(score, best.get(rowid, -1.0))
            semantic = sorted(best.items(), key=lambda pair: -pair[1])[:DEPTH]
            # the exact similarity of every lexical candidate (best passage), even far down
            vectors = retriever.vectors
            vids = np.flatnonzero(mask & np.isin(vectors.owners, [r for r, _ in lexical]))
            exact: dict[int, float] = {}
            for owner, similarity in zip(vectors.owners[vids], vectors.vectors(vids) @ vector,
                                         strict=True):
                exact[int(owner)] = max(float(similarity), exact.get(int(owner), -1.0))
            out["queries"][qid] = {  # type: ignore[index]
                "lexical": [[ids[r], round(float(s), 5)] for r, s in lexical if r in ids],
                "semantic": [[ids[r], round(float(s), 5)] for r, s in semantic if r in ids],
                "exact": {ids[r]: round(s, 5) for r, s in exact.items() if r in ids},
                "background": list(background) if background else None}
            if number % 200 == 0:
                print(f"{number}/{len(queries)}", file=sys.stderr)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out))


# -- fusions over {name: [(doc, score)]} -------------------------------------------------

def _minmax(ranking: Ranking) -> dict[str, float]:
    if not ranking:
        return {}
    values = [s for _, s in ranking]
    low, high = min(values), max(values)
    return {d: (s - low) / (high - low) if high > low else 1.0 for d, s in ranking}


def _zscore(ranking: Ranking) -> dict[str, float]:
    if not ranking:
        return {}
    values = np.array([s for _, s in ranking])
    mean, std = float(values.mean()), float(values.std()) or 1.0
    return {d: (s - mean) / std for d, s in ranking}


def _combine(parts: dict[str, dict[str, float]], weights: dict[str, float],
             missing: dict[str, float] | None = None) -> dict[str, float]:
    docs = set().union(*parts.values())
    missing = missing or {}
    return {d: sum(weights[n] * parts[n].get(d, missing.get(n, 0.0)) for n in parts)
            for d in docs}


def floor_semantic(entry: dict, z: float) -> Ranking:
    background = entry["background"]
    ranking = [(d, s) for d, s in entry["semantic"]]
    if background is None:
        return ranking
    floor = background[0] + z * background[1]
    return [(d, s) for d, s in ranking if s >= floor]


def fusion_minmax(entry: dict, w: float, z: float = 2.5) -> dict[str, float]:
    parts = {"lex": _minmax(entry["lexical"]), "sem": _minmax(floor_semantic(entry, z))}
    return _combine(parts, {"lex": 1 - w, "sem": w})


def fusion_zscore(entry: dict, w: float, z: float = 2.5) -> dict[str, float]:
    lex, sem = entry["lexical"], floor_semantic(entry, z)
    parts = {"lex": _zscore(lex), "sem": _zscore(sem)}
    low = {n: min(p.values(), default=0.0) for n, p in parts.items()}
    return _combine(parts, {"lex": 1 - w, "sem": w}, low)


def fusion_rrf(entry: dict, w: float, z: float = 2.5, k: int = 60) -> dict[str, float]:
    scores: dict[str, float] = {}
    for _name, ranking, weight in (("lex", entry["lexical"], 1 - w),
                                  ("sem", floor_semantic(entry, z), w)):
        for rank, (d, _) in enumerate(ranking, start=1):
            scores[d] = scores.get(d, 0.0) + weight / (k + rank)
    return scores


def fusion_background(entry: dict, w: float, z: float = 0.0) -> dict[str, float]:
    """Semantic as z over the query's background, lexical as a share of its best score
    times a fixed scale: both are calibrated per query without looking at the list."""
    background = entry["background"] or [0.0, 1.0]
    lexical = entry["lexical"]
    top = lexical[0][1] if lexical else 1.0
    lex = {d: s / top for d, s in lexical}
    sem = {d: max(0.0, (s - background[0]) / background[1] - z) / 10.0
           for d, s in entry["semantic"]}
    return _combine({"lex": lex, "sem": sem}, {"lex": 1 - w, "sem": w})


def fusion_lexical_led(entry: dict, w: float, z: float = 0.0) -> dict[str, float]:
    """Semantic reorders the lexical candidates only (min-max within them)."""
    lexical = entry["lexical"]
    if not lexical:
        return dict(entry["semantic"])
    sem = dict(entry["semantic"])
    candidates = [(d, sem.get(d, min(sem.values(), default=0.0))) for d, _ in lexical]
    parts = {"lex": _minmax(lexical), "sem": _minmax(candidates)}
    return _combine(parts, {"lex": 1 - w, "sem": w})


def fusion_rescore(entry: dict, w: float, z: float = 2.5) -> dict[str, float]:
    """Every lexical candidate gets its exact similarity; the semantic neighbours over the
    floor join with no lexical score; both min-max normalised over the union."""
    exact = entry.get("exact") or {}
    semantic = dict(floor_semantic(entry, z))
    union = {d for d, _ in entry["lexical"]} | set(semantic)
    fallback = min(semantic.values(), default=0.0)
    sem = [(d, exact.get(d, semantic.get(d, fallback))) for d in union]
    parts = {"lex": _minmax(entry["lexical"]), "sem": _minmax(sem)}
    return _combine(parts, {"lex": 1 - w, "sem": w})


def fusion_rescore_lexical(entry: dict, w: float, z: float = 2.5) -> dict[str, float]:
    """As lexled, with each lexical candidate's exact similarity."""
    exact = entry.get("exact") or {}
    lexical = entry["lexical"]
    if not lexical:
        return dict(floor_semantic(entry, z))
    sem = dict(entry["semantic"])
    fallback = min(sem.values(), default=0.0)
    candidates = [(d, exact.get(d, sem.get(d, fallback))) for d, _ in lexical]
    parts = {"lex": _minmax(lexical), "sem": _minmax(candidates)}
    return _combine(parts, {"lex": 1 - w, "sem": w})


def fusion_calibrated(entry: dict, w: float, z: float = 2.5) -> dict[str, float]:
    """As rescore, but the semantic side normalised from the query's background mean
    (a per-query theoretical minimum) to the best similarity, not from the list's minimum."""
    exact = entry.get("exact") or {}
    semantic = dict(floor_semantic(entry, z))
    union = {d for d, _ in entry["lexical"]} | set(semantic)
    background = entry["background"] or [0.0, 1.0]
    sims = {d: exact.get(d, semantic.get(d, background[0])) for d in union}
    top = max(sims.values(), default=1.0)
    span = max(top - background[0], 1e-6)
    sem = {d: max(0.0, (s - background[0]) / span) for d, s in sims.items()}
    parts = {"lex": _minmax(entry["lexical"]), "sem": sem}
    return _combine(parts, {"lex": 1 - w, "sem": w})


def fusion_rescore_share(entry: dict, w: float, z: float = 2.5) -> dict[str, float]:
    """As rescore, the lexical score as a share of the best one instead of min-max."""
    exact = entry.get("exact") or {}
    semantic = dict(floor_semantic(entry, z))
    union = {d for d, _ in entry["lexical"]} | set(semantic)
    fallback = min(semantic.values(), default=0.0)
    sem = [(d, exact.get(d, semantic.get(d, fallback))) for d in union]
    top = entry["lexical"][0][1] if entry["lexical"] else 1.0
    lex = {d: s / top for d, s in entry["lexical"]}
    return _combine({"lex": lex, "sem": _minmax(sem)}, {"lex": 1 - w, "sem": w})


def fusion_rescore_top(entry: dict, w: float, z: float = 2.5, k: int = 20) -> dict[str, float]:
    """As rescore, over the first ``k`` lexical candidates only."""
    return fusion_rescore({**entry, "lexical": entry["lexical"][:k]}, w, z)


def fusion_adaptive(entry: dict, w: float, z: float = 2.5) -> dict[str, float]:
    """As rescore, the weight falling as the lexical top result stands out from the
    second: to 0 when the second scores half the first, or less."""
    lexical = entry["lexical"]
    if len(lexical) >= 2 and lexical[0][1] > 0:
        gap = (lexical[0][1] - lexical[1][1]) / lexical[0][1]
        w *= 1 - min(1.0, 2 * gap)
    return fusion_rescore(entry, w, z)


FUSIONS: dict[str, Callable[..., dict[str, float]]] = {
    "share": fusion_rescore_share, "adaptive": fusion_adaptive,
    "rescore20": fusion_rescore_top,
    "rescore50": lambda entry, w, z=2.5: fusion_rescore_top(entry, w, z, 50),
    "calibrated": fusion_calibrated,
    "rescore": fusion_rescore, "rescorelex": fusion_rescore_lexical,
    "minmax": fusion_minmax, "zscore": fusion_zscore, "rrf": fusion_rrf,
    "background": fusion_background, "lexled": fusion_lexical_led}


def ndcg(dumped: dict, scorer: Callable[[dict], dict[str, float]]) -> float:
    from ranx import Qrels, Run, evaluate

    run = {}
    for qid, entry in dumped["queries"].items():
        scores = scorer(entry)
        top = sorted(scores.items(), key=lambda p: (-p[1], p[0]))[:DEPTH]
        run[qid] = {d: float(DEPTH - i) for i, (d, _) in enumerate(top)} or {"none": 0.0}
    return float(evaluate(Qrels(dumped["qrels"]), Run(run), "ndcg@10"))


def score(args: argparse.Namespace) -> None:
    dumps = {}
    for path in args.dumps:
        name, _, split = path.partition(":")  # file.json:even keeps one half of a full dump
        dumped = json.loads(Path(name).read_text())
        if split:
            dumped["qrels"] = of_split(dumped["qrels"], split)
            dumped["queries"] = {q: e for q, e in dumped["queries"].items()
                                 if q in dumped["qrels"]}
        dumps[Path(name).stem + (f":{split}" if split else "")] = dumped
    weights = [float(w) for w in args.weights.split(",")]
    print("fusion".ljust(22) + "".join(name[:18].rjust(19) for name in dumps))
    rows = [("lexical", lambda e: dict(e["lexical"])),
            ("semantic (no floor)", lambda e: dict(e["semantic"]))]
    for name in args.fusions.split(","):
        for w in weights:
            rows.append((f"{name} {w}", lambda e, f=FUSIONS[name], w=w: f(e, w, args.z)))
    for label, scorer in rows:
        print(label.ljust(22) + "".join(f"{ndcg(d, scorer):19.4f}" for d in dumps.values()),
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--beir", required=True)
    d.add_argument("--split", choices=("even", "odd"))
    d.add_argument("--out", required=True)
    s = sub.add_parser("score")
    s.add_argument("dumps", nargs="+")
    s.add_argument("--fusions", default="minmax,zscore,rrf,background,lexled")
    s.add_argument("--weights", default="0.05,0.1,0.2,0.3,0.5")
    s.add_argument("--z", type=float, default=2.5)
    args = parser.parse_args()
    dump(args) if args.command == "dump" else score(args)


if __name__ == "__main__":
    main()
