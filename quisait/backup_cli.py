"""``quisait backup DIR`` and ``quisait restore DIR``: what the data folder cannot rebuild.

A thin wrapper over :mod:`core.backup`; registered on the main command group by
:mod:`quisait.cli`.  The restore rebuilds the indexes by running ``quisait rebuild``.
"""

from __future__ import annotations

from pathlib import Path

import click


def known_schema_versions() -> dict[str, int]:
    """Store file -> the newest schema version this quisait knows (a restore refuses a
    backup of a newer one before it copies anything)."""
    from expertise.topics import MIGRATIONS as TOPICS
    from indexer.feeds import SCHEMA_VERSION as FEEDS
    from notify.follows import MIGRATIONS as FOLLOWS
    from notify.schema import MIGRATIONS as OUTBOX
    from search.curation import MIGRATIONS as CURATION
    from search.profiles import MIGRATIONS as PROFILES
    from search.querylog import MIGRATIONS as QUERYLOG
    from web.schema import MIGRATIONS as WEB

    return {"web.sqlite": len(WEB), "curation.sqlite": len(CURATION),
            "topics.sqlite": len(TOPICS), "profiles.sqlite": len(PROFILES),
            "follows.sqlite": len(FOLLOWS), "outbox.sqlite": len(OUTBOX),
            "feeds.sqlite": FEEDS, "querylog.sqlite": len(QUERYLOG)}


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count / 1e3:.1f} kB"


@click.command("backup")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace TARGET if it already exists.")
@click.pass_context
def backup_command(ctx: click.Context, target: Path, force: bool) -> None:
    """Back up the catalog and the small stores into the folder TARGET (safe while the
    server and the worker run; the indexes are left out: a restore rebuilds them)."""
    from core.backup import backup
    from core.errors import QuisaitError
    from quisait.cli import _fail, _settings

    try:
        manifest = backup(_settings(ctx).data_dir, target, force=force)
    except QuisaitError as exc:
        _fail(exc)
    for entry in manifest.entries:
        version = "" if entry.schema_version is None else f", schema {entry.schema_version}"
        click.echo(f"  {entry.name} ({_size(entry.bytes)}{version})")
    total = sum(entry.bytes for entry in manifest.entries)
    click.echo(f"backed up {len(manifest.entries)} files ({_size(total)}) into {target}")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Restore into a data folder that has a catalog: its stores are replaced.")
@click.option("--rebuild/--no-rebuild", "rebuild_indexes", default=True, show_default=True,
              help="Rebuild the full-text and vector indexes from the restored catalog, "
                   "as `quisait rebuild` does.")
@click.option("--quiet", is_flag=True, help="No progress bars while rebuilding.")
@click.pass_context
def restore_command(ctx: click.Context, source: Path, force: bool, rebuild_indexes: bool,
                    quiet: bool) -> None:
    """Restore the backup in SOURCE into the data folder (stop the server and the worker
    first), then rebuild the indexes.  The copy holds the data folder's write lock, as
    indexing does: a restore never runs under an indexer, nor an indexer under it."""
    from core.backup import restore
    from core.errors import QuisaitError
    from indexer.pipeline import data_lock
    from quisait.cli import _fail, _settings, rebuild

    settings = _settings(ctx)
    data_dir = settings.data_dir
    try:
        with data_lock(settings):
            report = restore(source, data_dir, force=force, newest=known_schema_versions())
    except QuisaitError as exc:
        _fail(exc)
    click.echo(f"restored {', '.join(report.restored)} into {data_dir}")
    if report.removed:
        click.echo(f"removed {', '.join(report.removed)} (not in the backup)")
    if not rebuild_indexes:
        click.echo("the indexes were not rebuilt: run `quisait rebuild` before serving")
        return
    click.echo("rebuilding the indexes from the restored catalog")
    ctx.invoke(rebuild, quiet=quiet)
