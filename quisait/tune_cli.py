"""``quisait tune``: fine-tune the encoder on pairs from the data folder (and from outside).

A thin wrapper: pairs from :mod:`search.pairs`, training from :mod:`search.tuning`.
Registered on the main command group by :mod:`quisait.cli`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from core.errors import ConfigError, QuisaitError
from core.records import Problem
from core.settings import Settings

BEIR_WORK = Path("var") / "tune"


@click.command("tune")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the tuned model (never the model the index uses).")
@click.option("--pairs", "pair_files", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='JSONL of {"query", "positive"} lines (repeatable).')
@click.option("--beir", "beir_folders", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A BEIR folder whose judged queries become pairs (repeatable).")
@click.option("--split", type=click.Choice(["even", "odd"]),
              help="Only one half of each BEIR folder (evaluate on the other half).")
@click.option("--no-mined", is_flag=True,
              help="Do not mine the data folder: only --pairs and --beir (they replace it).")
@click.option("--include-private", is_flag=True,
              help="Also train on private and secret groups (see README: a model can "
                   "memorise what it is trained on, and every reader shares it).")
@click.option("--no-hard-negatives", is_flag=True, help="In-batch negatives only.")
@click.option("--detached-negatives", is_flag=True,
              help="Encode hard negatives without gradients (faster; see README).")
@click.option("--epochs", default=3, show_default=True, type=click.IntRange(min=1),
              help="At most this many; an epoch is kept only if validation improves.")
@click.option("--max-minutes", type=click.FloatRange(min=0.1), help="Stop training after this.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(min=2))
@click.option("--max-tokens", default=128, show_default=True, type=click.IntRange(min=16),
              help="Training window (the packaged model was trained on 128; the saved "
                   "model keeps the base's window for indexing; see README).")
@click.option("--learning-rate", default=5e-5, show_default=True, type=float)
@click.option("--force", is_flag=True, help="Replace a non-empty --out folder.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def tune_command(ctx: click.Context, out: Path, pair_files: tuple[Path, ...],
                 beir_folders: tuple[Path, ...], split: str | None, no_mined: bool,
                 include_private: bool, no_hard_negatives: bool, detached_negatives: bool,
                 epochs: int,
                 max_minutes: float | None, batch_size: int, max_tokens: int,
                 learning_rate: float,
                 force: bool, quiet: bool) -> None:
    """Fine-tune the configured encoder; prints a JSON summary.  Then set
    embedding_model to OUT and run `quisait rebuild`."""
    from quisait.cli import _fail, _settings
    from search.tuning import TuneOptions, check_output, tune

    settings = _settings(ctx)
    problems: list[Problem] = []
    try:
        check_output(out, settings, force)
        pairs = gather_pairs(settings, pair_files, beir_folders, split, not no_mined,
                             include_private, not no_hard_negatives, problems)
        options = TuneOptions(epochs=epochs, max_minutes=max_minutes, batch_size=batch_size,
                              learning_rate=learning_rate, max_seq_length=max_tokens,
                              detached_negatives=detached_negatives)
        summary = tune(settings, pairs, out, options, progress=not quiet)
    except QuisaitError as exc:
        _fail(exc)
    for problem in problems:
        click.echo(f"skipped {problem}", err=True)
    click.echo(json.dumps({**summary.as_json(), "include_private": include_private,
                           "skipped": len(problems)}, indent=2, ensure_ascii=False))


def gather_pairs(settings: Settings, pair_files: tuple[Path, ...],
                 beir_folders: tuple[Path, ...], split: str | None, mined: bool,
                 include_private: bool, hard_negatives: bool,
                 problems: list[Problem]) -> list[Any]:
    """Every source's pairs, with hard negatives from the lexical index each came from."""
    from search.pairs import deduplicated

    pairs: list[Any] = []
    if mined or pair_files:
        pairs += _data_folder_pairs(settings, pair_files, mined, include_private,
                                    hard_negatives, problems)
    for folder in beir_folders:
        pairs += _beir_pairs(settings, folder, split, hard_negatives)
    if not pairs and not (mined or pair_files or beir_folders):
        raise ConfigError("no source of pairs: drop --no-mined, or give --pairs or --beir")
    return list(deduplicated(pairs))


def _data_folder_pairs(settings: Settings, pair_files: tuple[Path, ...], mined: bool,
                       include_private: bool, hard_negatives: bool,
                       problems: list[Problem]) -> list[Any]:
    """Mined pairs and those of --pairs files, negatives from the data folder's index."""
    from indexer import catalog_path
    from search.pairs import data_folder_pairs, jsonl_pairs

    pairs = [pair for path in pair_files for pair in jsonl_pairs(path, problems)]
    if not catalog_path(settings).exists():
        if mined and not pair_files:
            raise ConfigError(f"no catalog in {settings.data_dir} to mine pairs from; "
                              "index sources first, or give --pairs or --beir with --no-mined")
        return pairs
    return data_folder_pairs(settings, include_private, mined, pairs, hard_negatives)


def _beir_pairs(settings: Settings, folder: Path, split: str | None,
                hard_negatives: bool) -> list[Any]:
    """A BEIR folder's pairs; negatives from its corpus, indexed (words only) once into
    ``var/tune/<set>``."""
    from search import Searcher
    from search.evaluate import GROUP, index_beir
    from search.pairs import add_hard_negatives, beir_pairs, searcher_ranker

    pairs = beir_pairs(folder, split)
    if not hard_negatives or not pairs:
        return pairs
    lexical = replace(settings, data_dir=BEIR_WORK / folder.name, embeddings=False)
    index_beir(lexical, folder, None, progress=False)
    with Searcher.open(lexical) as searcher:
        return add_hard_negatives(pairs, searcher_ranker(searcher, frozenset({GROUP})))
