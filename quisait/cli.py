"""The ``quisait`` command: thin wrappers over the library, heavy imports done lazily."""

from __future__ import annotations

import enum
import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from core.errors import QuisaitError
from core.settings import Settings, load_settings


class ExitCode(enum.IntEnum):
    """Exit codes of the ``quisait`` command."""

    OK = 0
    ERROR = 1
    USAGE = 2
    PROBLEMS = 3  # finished, but some records were skipped
    LOCKED = 4
    MISMATCH = 5


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _fail(exc: QuisaitError) -> None:
    from core.errors import IndexMismatchError, LockedError

    click.secho(f"error: {exc}", fg="red", err=True)
    codes = {LockedError: ExitCode.LOCKED, IndexMismatchError: ExitCode.MISMATCH}
    sys.exit(codes.get(type(exc), ExitCode.ERROR))


@click.group()
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML settings file (default: $QUISAIT_CONFIG or ./quisait.toml).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Data folder (setting data_dir).")
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, data_dir: Path | None, verbose: int) -> None:
    """quisait: who knows what, and where it is written."""
    from web.observability import configure_logging

    levels = {0: logging.WARNING, 1: logging.INFO}
    try:
        settings = load_settings(config, data_dir=data_dir)
    except QuisaitError as exc:
        logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
        _fail(exc)
    configure_logging(levels.get(verbose, logging.DEBUG), settings.log_format)
    ctx.obj = {"settings": settings}


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "stackexchange", "docs", "rss"]),
              help="Source format (guessed from each source when omitted).")
@click.option("--group", help="Group id for records that do not name one.")
@click.option("--prune", is_flag=True, help="Remove records no longer present in the sources.")
@click.option("--no-embeddings", is_flag=True, help="Full text only (setting embeddings=false).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where records are read and passages encoded: here, or on a Ray cluster.")
@click.option("--address", help="Ray cluster to use, HEAD:PORT (default: start a local one).")
@click.option("--workers", type=click.IntRange(min=1),
              help="Encoders on the Ray cluster (default: one per CPU of the cluster).")
@click.pass_context
def index(ctx: click.Context, sources: tuple[str, ...], fmt: str | None, group: str | None,
          prune: bool, no_embeddings: bool, quiet: bool, engine: str, address: str | None,
          workers: int | None) -> None:
    """Import SOURCES (files, folders, feed URLs) and update the indexes."""
    settings = _settings(ctx)
    if no_embeddings:
        settings = settings.replace(embeddings=False)
    if engine == "local" and (address or workers):
        raise click.UsageError("--address and --workers need --engine ray")
    try:
        if engine == "ray":
            report, note = _index_on_ray(settings, list(sources), fmt, group, prune, quiet,
                                         address, workers)
        else:
            from indexer import index_sources

            report = index_sources(settings, list(sources), fmt=fmt, group=group, prune=prune,
                                   progress=not quiet)
            note = ""
    except QuisaitError as exc:
        _fail(exc)
    click.echo(
        f"read {report.read} records: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.removed} removed, {report.skipped} skipped "
        f"in {report.seconds:.1f} s ({report.posts_per_second:.0f} records/s)"
    )
    if note:
        click.echo(note)
    for problem in report.problems[:20]:
        click.secho(f"  skipped {problem}", fg="yellow", err=True)
    if report.skipped > 20:
        click.secho(f"  ... and {report.skipped - 20} more", fg="yellow", err=True)
    if report.problems:
        sys.exit(ExitCode.PROBLEMS)


def _index_on_ray(settings: Settings, sources: list[str], fmt: str | None, group: str | None,
                  prune: bool, quiet: bool, address: str | None,
                  workers: int | None) -> tuple[Any, str]:
    """``index --engine ray``: the report, and a line on what the workers encoded."""
    from indexer import index_sources_on_ray

    report = index_sources_on_ray(settings, sources, fmt=fmt, group=group, prune=prune,
                                  progress=not quiet, address=address, workers=workers)
    return report, f"encoded {report.passages_sent} passages on {report.workers} Ray workers"


@cli.command()
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def rebuild(ctx: click.Context, quiet: bool) -> None:
    """Recreate the full-text and vector indexes from the catalog (no re-encoding)."""
    from indexer import rebuild as rebuild_indexes

    try:
        report = rebuild_indexes(_settings(ctx), progress=not quiet)
    except QuisaitError as exc:
        _fail(exc)
    click.echo(f"rebuilt {report.fulltext_changes} documents, "
               f"{report.vector_changes} items embedded in {report.seconds:.1f} s")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Counts per type, group and language; index generations; the model."""
    from indexer import index_status
    from notify.worker import worker_status

    try:
        info = index_status(_settings(ctx))
    except QuisaitError as exc:
        _fail(exc)
    worker = worker_status(_settings(ctx))
    if worker is not None:
        info["worker"] = worker
    feeds = _feeds_status(_settings(ctx))
    if feeds is not None:
        info["feeds"] = feeds
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    _print_status(info)


def _print_status(info: dict[str, Any]) -> None:
    click.echo(f"data folder: {info['data_dir']}")
    click.echo(f"embedding model: {info['embedding_model']}")
    click.echo(f"catalog generation {info['generation']}; " + ", ".join(
        f"{name} at {gen}" for name, gen in info["index_generations"].items()))
    for title, key in [("records", "entities"), ("items by type", "items_by_type"),
                       ("items by kind", "items_by_kind"), ("items by language",
                       "items_by_language"), ("items by group", "items_by_group")]:
        values = ", ".join(f"{k} {v}" for k, v in info[key].items()) or "none"
        click.echo(f"{title}: {values}")
    if "worker" in info:
        _print_worker(info["worker"])
    if "feeds" in info:
        click.echo(f"feeds: {info['feeds']['count']}, {info['feeds']['failing']} failing")


def _feeds_status(settings: Settings) -> dict[str, int] | None:
    from indexer.feeds import feeds_status

    try:
        return feeds_status(settings)
    except Exception:  # a broken feeds store never hides the rest of the status
        logging.getLogger(__name__).exception("cannot read the feeds")
        return None


def _print_worker(worker: dict[str, Any]) -> None:
    stopped = (", running" if worker.get("running") else
               f", stopped {worker.get('stopped') or '(killed)'}")
    click.echo(f"worker: process {worker.get('pid', '?')}, started {worker.get('started')}"
               f"{stopped}; {worker.get('ticks', 0)} tick(s), {worker.get('errors', 0)} "
               "error(s)")
    for name, run in worker.get("runs", {}).items():
        counts = ", ".join(f"{k} {v}" for k, v in (run.get("counts") or {}).items())
        outcome = "ok" if run.get("ok") else f"error: {run.get('error', '?')}"
        click.echo(f"  {name}: {run.get('started')} to {run.get('finished')}, {outcome}"
                   + (f" ({counts})" if counts else ""))


@cli.command("search")
@click.argument("query")
@click.option("--as", "viewer", required=True, help="Person id of the viewer (permissions).")
@click.option("--mode", type=click.Choice(["lexical", "semantic", "hybrid"]), default="hybrid")
@click.option("-k", "--limit", default=10, show_default=True)
@click.option("--explain", is_flag=True, help="Show where each score came from.")
@click.option("--facets", "show_facets", is_flag=True, help="Show counts per group, type, ...")
@click.pass_context
def search_command(ctx: click.Context, query: str, viewer: str, mode: str, limit: int,
                   explain: bool, show_facets: bool) -> None:
    """Search as VIEWER sees it.

    QUERY accepts words, "phrases", -excluded, OR, and the filters group:, author:,
    type:, tag: (or #tag), lang:, before:, after: (2025-03, 30d) and is:unanswered,
    is:accepted.
    """
    from search import QuerySyntaxError, Searcher
    from search.usecase import SearchRequest, run_search

    try:
        with Searcher.open(_settings(ctx)) as searcher:
            found = run_search(searcher.scope(viewer), SearchRequest(
                query, mode, per_page=limit, facets=show_facets, facets_of_shown=False))
            hits, suggestion, facets = found.hits, found.suggestion, found.facets
    except QuerySyntaxError as exc:
        click.echo(f"  {query}\n  {' ' * exc.position}^", err=True)
        _fail(exc)
    except QuisaitError as exc:
        _fail(exc)
    for typed, searched in found.corrected.items():
        click.secho(f"Also searched for: {searched} (nothing you may read contains "
                    f"{typed!r}; quote it to search only for it)", fg="cyan")
    if suggestion:
        click.secho(f"Did you mean: {suggestion}", fg="cyan")
    if not hits:
        click.echo("no results")
    _print_hits(hits, explain)
    for name, values in facets.items():
        if values:
            click.echo(f"{name}: " + ", ".join(f"{v.label} ({v.count})" for v in values[:8]))


def _emphasised(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    out, last = [], 0
    for start, end in spans:
        out += [text[last:start], click.style(text[start:end], bold=True, underline=True)]
        last = end
    return "".join(out) + text[last:]


def _print_hits(hits: list[Any], explain: bool) -> None:
    for rank, hit in enumerate(hits, start=1):
        accepted = " ✓ accepted" if hit.accepted and hit.kind == "answer" else ""
        accepted += " [pinned]" if hit.pinned else ""
        click.secho(f"{rank:2}. {hit.title or 'Re: ' + hit.thread_title}{accepted}", bold=True)
        click.echo(f"    {hit.kind} in {hit.group_name} by {hit.author_name or 'unknown'}, "
                   f"{hit.created:%Y-%m-%d}  [{hit.id}, score {hit.score:.3f}]")
        click.echo(f"    {_emphasised(hit.snippet, hit.highlights)}")
        if explain:
            click.echo("    explain: " + ", ".join(f"{k}={v}" for k, v in hit.explanation.items()))


@cli.command()
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Then serve the web UI with demo sign-in.")
@click.pass_context
def demo(ctx: click.Context, quiet: bool, serve: bool) -> None:
    """Index the bilingual sample corpus, show a few searches, then serve the web UI."""
    from quisait.demo import index_sample, run_showcase

    settings = _settings(ctx)
    try:
        for report in index_sample(settings, progress=not quiet):
            click.echo(f"indexed {report.read} records ({report.added} new, "
                       f"{report.skipped} skipped) in {report.seconds:.1f} s")
        run_showcase(settings, click.echo)
    except QuisaitError as exc:
        _fail(exc)
    click.echo(f"\nTry: quisait --data-dir {settings.data_dir} search 'RGPD' --as p-elodie")
    if serve:
        click.echo("\nThe web UI: sign in as any sample person (demo sign-in is on).")
        _serve(settings.replace(demo_login=True))


@cli.group("eval")
def eval_group() -> None:
    """Measure search and expertise quality on public data sets."""


@eval_group.command("search")
@click.option("--beir", "folder", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv.")
@click.option("--mode", type=click.Choice(["lexical", "semantic", "hybrid"]), default="hybrid")
@click.option("--lang", type=click.Choice(["auto", "en", "fr"]), default="auto",
              help="Language of the corpus (auto: detected per document).")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Data folder kept between runs (default var/eval/<set>).")
@click.option("--split", type=click.Choice(["even", "odd"]),
              help="Only the queries of one half (PIAF: by article; else by query id), "
                   "the other half being what `quisait tune --beir --split` trains on.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def eval_search(ctx: click.Context, folder: Path, mode: str, lang: str, work_dir: Path | None,
                split: str | None, quiet: bool) -> None:
    """nDCG@10, MRR@10 and Recall@100 of a search mode on a BEIR data set."""
    from search.evaluate import eval_settings, evaluate_beir

    language = None if lang == "auto" else lang
    settings = eval_settings(_settings(ctx), folder, language, work_dir)
    try:
        result = evaluate_beir(settings, folder, mode=mode, lang=language, progress=not quiet,
                               split=split)
    except QuisaitError as exc:
        _fail(exc)
    click.echo(json.dumps(result))


@eval_group.command("answers")
@click.option("--beir", "folder", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="BEIR folder with answers.jsonl ({\"_id\", \"answers\": [gold spans]}).")
@click.option("--mode", type=click.Choice(["lexical", "semantic", "hybrid"]), default="hybrid")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Data folder kept between runs (default var/eval/<set>).")
@click.option("--split", type=click.Choice(["even", "odd"]),
              help="Only the questions of one half (PIAF: by article).")
@click.option("--fit", is_flag=True,
              help="Choose weights, passages and threshold on these questions instead.")
@click.option("--tuning", help="JSON {weights, passages, abstain_below, encoded} to use (a "
                               "--fit output) instead of the built-in one; with --fit, "
                               "where the fit starts (and its encoded).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.pass_context
def eval_answers(ctx: click.Context, folder: Path, mode: str, work_dir: Path | None,
                 split: str | None, fit: bool, tuning: str | None, quiet: bool) -> None:
    """answer@1, answer@3, abstentions and citations of extracted answers."""
    from search.answer_eval import evaluate_answers, fit_weights, tuning_from
    from search.evaluate import eval_settings

    settings = eval_settings(_settings(ctx), folder, None, work_dir)
    try:
        if fit:
            result = fit_weights(settings, folder, mode=mode, split=split, progress=not quiet,
                                 tuning=tuning_from(tuning))
        else:
            result = evaluate_answers(settings, folder, mode=mode, split=split,
                                      progress=not quiet, tuning=tuning_from(tuning))
    except QuisaitError as exc:
        _fail(exc)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--tuning") from None
    click.echo(json.dumps(result))


@cli.group("token")
def token_group() -> None:
    """API tokens for `Authorization: Bearer` (only their hash is stored)."""


def _token_store(ctx: click.Context) -> Any:
    from web import TokenStore

    return TokenStore.open(_settings(ctx).data_dir)


@token_group.command("create")
@click.argument("person")
@click.option("--expires", "days", type=click.FloatRange(min=0, min_open=True),
              help="Days until the token expires (default: never).")
@click.option("--connector", is_flag=True, help="May push and delete records (POST /records).")
@click.pass_context
def token_create(ctx: click.Context, person: str, days: float | None, connector: bool) -> None:
    """Create a token for PERSON (a person id) and print it once."""
    from indexer import Catalog, catalog_path

    settings = _settings(ctx)
    if not catalog_path(settings).exists():
        _fail(QuisaitError(f"no catalog in {settings.data_dir}; run `quisait index` first"))
    catalog = Catalog(catalog_path(settings))
    try:
        known = catalog.people().get(person)
    finally:
        catalog.close()
    if known is None or known.status != "active":
        _fail(QuisaitError(f"no active person {person!r} in {settings.data_dir}"))
    token, info = _token_store(ctx).create(person, days, ("connector",) if connector else ())
    expiry = f"expires {info.expires:%Y-%m-%d %H:%M} UTC" if info.expires else "never expires"
    click.echo(token)
    click.echo(f"token {info.id} for {person}, {expiry}; shown once, keep it secret", err=True)


@token_group.command("revoke")
@click.argument("token_id")
@click.pass_context
def token_revoke(ctx: click.Context, token_id: str) -> None:
    """Revoke the token whose id is TOKEN_ID (see `quisait token list`)."""
    if not _token_store(ctx).revoke(token_id):
        _fail(QuisaitError(f"no live token {token_id!r}"))
    click.echo(f"revoked {token_id}")


@token_group.command("list")
@click.pass_context
def token_list(ctx: click.Context) -> None:
    """Tokens: id, person, roles, creation, expiry, revocation (never the token itself)."""
    for info in _token_store(ctx).listing():
        state = (f"revoked {info.revoked:%Y-%m-%d}" if info.revoked else
                 f"expires {info.expires:%Y-%m-%d}" if info.expires else "no expiry")
        roles = ",".join(info.roles) or "-"
        click.echo(f"{info.id}  {info.person}  {roles}  created {info.created:%Y-%m-%d}  {state}")


@cli.command()
@click.option("--host", help="Address to bind (setting host, default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (setting port).")
@click.option("--threads", default=4, show_default=True, help="Worker threads.")
@click.option("--serving", type=click.Choice(["local", "ray"]),
              help="Run searches here or on Ray Serve replicas (setting serving).")
@click.option("--replicas", type=click.IntRange(min=1),
              help="Replicas with --serving ray (setting replicas, default 2).")
@click.option("--ray-address", help="Ray cluster to join, HEAD:PORT (setting ray_address; "
              "default: start a local one).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, threads: int,
          serving: str | None, replicas: int | None, ray_address: str | None) -> None:
    """Serve the web UI and JSON API with waitress."""
    settings = _settings(ctx)
    options = {"host": host, "port": port, "serving": serving, "replicas": replicas,
               "ray_address": ray_address}
    settings = settings.replace(**{k: v for k, v in options.items() if v})
    _serve(settings, threads)


def _serve(settings: Settings, threads: int = 4) -> None:
    import waitress

    from web import create_app, waitress_options

    try:
        app = create_app(settings)
    except QuisaitError as exc:
        _fail(exc)
    logging.getLogger("quisait.access").setLevel(logging.INFO)  # a line per request
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    click.echo(f"quisait serving {settings.data_dir} at http://{shown}:{settings.port}/ "
               "(Ctrl-C to stop)")
    waitress.serve(app, host=settings.host, port=settings.port, threads=threads,
                   **waitress_options(settings))


from quisait.expertise_cli import register as _register_expertise  # noqa: E402

_register_expertise(cli, eval_group)

from quisait.tune_cli import tune_command  # noqa: E402

cli.add_command(tune_command)

from quisait.notify_cli import notify_command  # noqa: E402

cli.add_command(notify_command)

from quisait.worker_cli import worker_command  # noqa: E402

cli.add_command(worker_command)

from quisait.feeds_cli import feeds_group  # noqa: E402

cli.add_command(feeds_group)

from quisait.outbox_cli import outbox_group  # noqa: E402

cli.add_command(outbox_group)

from quisait.backup_cli import backup_command, restore_command  # noqa: E402

cli.add_command(backup_command)
cli.add_command(restore_command)


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="quisait")


if __name__ == "__main__":
    main()
