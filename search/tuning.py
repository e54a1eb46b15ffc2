"""Fine-tuning the encoder on pairs from the network itself (``quisait tune``).

Contrastive training as sentence-transformers' ``MultipleNegativesRankingLoss`` defines
it: each query must score its own positive above every other passage of the batch (the
other queries' positives, and each query's hard negative).  Batches never hold the same
query, positive or negative text twice, since a duplicate would be a false negative
(PIAF has about three questions per paragraph).  A validation slice of whole queries is
held out of the pairs; after each epoch the model is scored on it (MRR@10 of each query's
positive among every validation passage), training stops when that stops improving, and
the best epoch is what is written.  A plain torch loop: the trainer classes of
sentence-transformers would add ``datasets`` and ``accelerate`` for nothing more.

The output is a sentence-transformers folder, usable as ``embedding_model`` (then
``quisait rebuild``), with ``provenance.json`` (its id, base model, sources and counts,
languages, date, validation figures).  The id is part of the name vectors are cached
under (:func:`indexer.embeddings.embedding_key`), so a model tuned again into the same
folder never reuses the previous one's vectors.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ConfigError
from core.settings import Settings
from indexer.embeddings import PROVENANCE, resolve_model
from search.pairs import Pair, counts_by

log = logging.getLogger(__name__)

VALIDATION_K = 10


@dataclass(frozen=True)
class TuneOptions:
    """How to train: epochs and time budget, batch, learning rate, validation slice."""

    epochs: int = 3
    max_minutes: float | None = None
    batch_size: int = 32
    learning_rate: float = 5e-5
    warmup_share: float = 0.1
    validation_share: float = 0.1
    max_validation_queries: int = 300
    max_seq_length: int = 128
    seed: int = 0
    detached_negatives: bool = False  # see _step


@dataclass
class TuneSummary:
    """What a tuning run did (printed as JSON by ``quisait tune``)."""

    base_model: str
    out: str
    pairs_by_source: dict[str, int]
    languages: dict[str, int]
    training_pairs: int
    validation_queries: int
    hard_negatives: int
    epochs_run: int = 0
    best_epoch: int = 0
    stopped: str = "completed"  # completed, time, no_improvement
    seconds: float = 0.0
    pairs_per_minute: float = 0.0
    validation: dict[str, Any] = field(default_factory=dict)
    background_z: float | None = None  # see background_z()

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def check_output(out: Path, settings: Settings, force: bool = False) -> None:
    """Refuse to write over the model the index uses, inside the data folder's indexes,
    or over a non-empty folder without ``force``."""
    target = out.expanduser().resolve()
    used = {Path(resolve_model(settings.embedding_model)).expanduser().resolve()}
    params = settings.data_dir / "vectors" / "params.json"
    if params.is_file():
        model = json.loads(params.read_text()).get("model")
        if isinstance(model, str):
            used.add(Path(resolve_model(model.split("#")[0])).expanduser().resolve())
    if target in used:
        raise ConfigError(f"{out} is the model the index uses; write the tuned model to "
                          "another folder, then set embedding_model to it and rebuild")
    data = settings.data_dir.expanduser().resolve()
    if target == data or any(target.is_relative_to(data / name)
                             for name in ("fulltext", "vectors", "rebuild")):
        raise ConfigError(f"{out} is inside the data folder's indexes; choose another folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ConfigError(f"{out} exists and is not empty (--force to replace it)")


def split_validation(pairs: list[Pair], options: TuneOptions,
                     rng: random.Random) -> tuple[list[Pair], list[Pair]]:
    """(training, validation) pairs; validation holds whole queries, never in training."""
    queries = sorted({pair.query for pair in pairs})
    rng.shuffle(queries)
    wanted = min(options.max_validation_queries, int(len(queries) * options.validation_share))
    held = set(queries[:wanted]) if len(queries) >= 20 else set()
    return ([p for p in pairs if p.query not in held], [p for p in pairs if p.query in held])


def make_batches(pairs: list[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Shuffled batches in which no query, positive or negative text appears twice; a
    pair without a hard negative borrows another query's positive as its negative."""
    order = pairs[:]
    rng.shuffle(order)
    positives = [p.positive for p in order]
    open_batches: list[tuple[list[Pair], set[str]]] = []
    done: list[list[Pair]] = []
    for pair in order:
        negative = pair.negative
        for _ in range(5):
            if negative is not None and negative != pair.positive:
                break
            negative = rng.choice(positives)
        texts = {pair.query, pair.positive, negative or ""}
        free = [entry for entry in open_batches if not texts & entry[1]]
        if free:
            batch, used = free[0]
        else:
            batch, used = [], set()
            open_batches.append((batch, used))
        batch.append(Pair(pair.query, pair.positive, pair.source, pair.lang, negative,
                          pair.key))
        used |= texts
        if len(batch) == size:
            open_batches.remove((batch, used))
            done.append(batch)
    done += [batch for batch, _ in open_batches if len(batch) > 1]
    rng.shuffle(done)
    return done


def validation_score(model: Any, pairs: list[Pair]) -> float:
    """MRR@10 of each validation query's positives among every validation passage
    (positives and hard negatives); 0 without validation pairs."""
    if not pairs:
        return 0.0
    relevant: dict[str, set[str]] = defaultdict(set)
    for pair in pairs:
        relevant[pair.query].add(pair.positive)
    pool = sorted({p.positive for p in pairs} | {p.negative for p in pairs if p.negative})
    queries = sorted(relevant)
    encode = {"normalize_embeddings": True, "convert_to_numpy": True,
              "show_progress_bar": False, "batch_size": 64}
    passages = model.encode(pool, **encode)
    scores = model.encode(queries, **encode) @ passages.T
    total = 0.0
    for row, query in enumerate(queries):
        top = np.argsort(-scores[row])[:VALIDATION_K]
        rank = next((r for r, i in enumerate(top, start=1) if pool[i] in relevant[query]), 0)
        total += 1.0 / rank if rank else 0.0
    return round(total / len(queries), 4)


def background_z(model: Any, pairs: list[Pair]) -> float | None:
    """How far, in standard deviations of a query's similarity to the validation passages,
    its own positive stands out: the tenth percentile over validation queries, between
    1 and the packaged model's 2.5.  The semantic retriever keeps neighbours that stand
    out that much (``search.semantic``); contrastive tuning spreads similarities, so the
    packaged model's threshold would reject a tuned model's right answers.  None with
    too few validation queries to say."""
    from search.semantic import BACKGROUND_Z

    queries = sorted({p.query: p.positive for p in pairs}.items())
    pool = sorted({p.positive for p in pairs} | {p.negative for p in pairs if p.negative})
    if len(queries) < 10 or len(pool) < 20:
        return None
    encode = {"normalize_embeddings": True, "convert_to_numpy": True,
              "show_progress_bar": False, "batch_size": 64}
    passages = model.encode(pool, **encode)
    similarities = model.encode([q for q, _ in queries], **encode) @ passages.T
    index = {text: i for i, text in enumerate(pool)}
    z = [(row[index[positive]] - row.mean()) / (row.std() or 1.0)
         for row, (_, positive) in zip(similarities, queries, strict=True)]
    return round(float(min(BACKGROUND_Z, max(1.0, np.percentile(z, 10)))), 3)


def tune(settings: Settings, pairs: list[Pair], out: Path, options: TuneOptions,
         progress: bool = False) -> TuneSummary:
    """Fine-tune ``settings.embedding_model`` on ``pairs`` and write it to ``out``."""
    import torch
    from sentence_transformers import SentenceTransformer

    if not pairs:
        raise ConfigError("no training pairs: nothing to tune on")
    started = time.perf_counter()
    rng = random.Random(options.seed)
    torch.manual_seed(options.seed)
    torch.set_num_threads(settings.threads)
    model = SentenceTransformer(resolve_model(settings.embedding_model), device="cpu")
    window = int(model.max_seq_length or 512)
    model.max_seq_length = min(window, options.max_seq_length)  # the training window only
    training, validation = split_validation(pairs, options, rng)
    summary = TuneSummary(
        base_model=settings.embedding_model, out=str(out),
        pairs_by_source=counts_by(pairs, "source"), languages=counts_by(pairs, "lang"),
        training_pairs=len(training), validation_queries=len({p.query for p in validation}),
        hard_negatives=sum(p.negative is not None for p in pairs))
    before = validation_score(model, validation)
    scores, kept = _train(model, training, validation, options, summary, rng, progress,
                          before)
    summary.validation = {"metric": f"mrr@{VALIDATION_K}", "before": before,
                          "after": kept, "by_epoch": scores}
    summary.background_z = background_z(model, validation)
    summary.seconds = round(time.perf_counter() - started, 1)
    # the model indexes and searches with its own window, whatever it was trained with
    model.max_seq_length = window
    _write(model, out, summary, options)
    return summary


def _train(model: Any, training: list[Pair], validation: list[Pair], options: TuneOptions,
           summary: TuneSummary, rng: random.Random, progress: bool,
           before: float) -> tuple[list[float], float]:
    """Epochs until done, out of time or no better on validation; the best weights are
    left in ``model``: the untuned ones (epoch 0) when no epoch beat ``before``, their
    validation score.  Returns the score after each epoch and the kept model's."""
    import torch
    from tqdm import tqdm

    try:  # sentence-transformers 6 moved the losses; 3 to 5 have them here
        from sentence_transformers.sentence_transformer.losses import (
            MultipleNegativesRankingLoss,
        )
    except ImportError:
        from sentence_transformers.losses import (  # type: ignore[no-redef]
            MultipleNegativesRankingLoss,
        )

    loss = MultipleNegativesRankingLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.learning_rate)
    per_epoch = len(make_batches(training, options.batch_size, random.Random(0)))
    schedule = _linear_schedule(optimizer, options.warmup_share, per_epoch * options.epochs)
    deadline = (time.monotonic() + options.max_minutes * 60) if options.max_minutes else None
    # epoch 0 is the model as it came: an epoch must beat it to be kept
    best, scores, trained, train_seconds = before, [], 0, 0.0
    best_state = ({k: v.detach().clone() for k, v in model.state_dict().items()}
                  if validation else None)
    summary.best_epoch = 0
    for epoch in range(1, options.epochs + 1):
        batches = make_batches(training, options.batch_size, rng)
        model.train()
        epoch_start = time.perf_counter()
        with tqdm(total=sum(map(len, batches)), desc=f"epoch {epoch}", unit="pair",
                  disable=not progress, leave=False) as bar:
            for batch in batches:
                if deadline is not None and time.monotonic() > deadline:
                    summary.stopped = "time"
                    break
                _step(model, loss, optimizer, schedule, batch, options.detached_negatives)
                trained += len(batch)
                bar.update(len(batch))
        train_seconds += time.perf_counter() - epoch_start
        model.eval()
        scores.append(validation_score(model, validation) if validation else 0.0)
        summary.epochs_run = epoch
        # a tie with the untuned model goes to the epoch (it learnt the network's pairs)
        if scores[-1] > best or not validation or (summary.best_epoch == 0
                                                   and scores[-1] >= best):
            best, summary.best_epoch = scores[-1], epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        elif validation:
            summary.stopped = "no_improvement"
            break
        if summary.stopped == "time":
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    summary.pairs_per_minute = round(trained / train_seconds * 60, 1) if train_seconds else 0.0
    return scores, (best if validation else 0.0)


def _step(model: Any, loss: Any, optimizer: Any, schedule: Any, batch: list[Pair],
          detached: bool = False) -> None:
    """One optimisation step on a batch.  With ``detached``, hard negatives are encoded
    without gradients (a third less work per pair; the queries still learn to move away
    from them, the negatives' own encodings are not pushed)."""
    import torch

    prepare = getattr(model, "preprocess", None) or model.tokenize  # renamed in ST 6
    columns = [[p.query for p in batch], [p.positive for p in batch],
               [p.negative or "" for p in batch]]
    if detached:
        value = _detached_loss(model, loss, [prepare(column) for column in columns])
    else:
        value = loss([prepare(column) for column in columns], None)
    value.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    schedule.step()
    optimizer.zero_grad()


def _detached_loss(model: Any, loss: Any, features: list[Any]) -> Any:
    """The multiple-negatives ranking loss (scaled cosine, cross-entropy on the diagonal)
    with the negatives' embeddings taken as constants."""
    import torch

    anchors, positives = (model(f)["sentence_embedding"] for f in features[:2])
    with torch.no_grad():
        negatives = model(features[2])["sentence_embedding"]
    candidates = torch.nn.functional.normalize(torch.cat([positives, negatives]), dim=-1)
    scores = torch.nn.functional.normalize(anchors, dim=-1) @ candidates.T * loss.scale
    labels = torch.arange(len(anchors), device=scores.device)
    return torch.nn.functional.cross_entropy(scores, labels)


def _linear_schedule(optimizer: Any, warmup_share: float, steps: int) -> Any:
    """Linear warm-up over ``warmup_share`` of the steps, then linear decay to zero."""
    import torch

    warmup = max(1, int(steps * warmup_share))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (steps - step) / max(1, steps - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _write(model: Any, out: Path, summary: TuneSummary, options: TuneOptions) -> None:
    """The model folder and its provenance (written last: a folder without it is not a
    finished tuning)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / PROVENANCE).unlink(missing_ok=True)
    model.save(str(out))
    provenance = {
        "id": uuid.uuid4().hex, "base_model": summary.base_model,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "sources": summary.pairs_by_source, "languages": summary.languages,
        "training_pairs": summary.training_pairs, "epochs_run": summary.epochs_run,
        "best_epoch": summary.best_epoch, "validation": summary.validation,
        "background_z": summary.background_z,
        "options": asdict(options),
    }
    (out / PROVENANCE).write_text(json.dumps(provenance, indent=2, ensure_ascii=False) + "\n")
