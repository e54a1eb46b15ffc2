"""``quisait feeds add|list|remove``: the RSS and Atom feeds the worker polls into a group
(:mod:`indexer.feeds`); registered on the main command group by :mod:`quisait.cli`."""

from __future__ import annotations

import json

import click

from core.errors import QuisaitError


@click.group("feeds")
def feeds_group() -> None:
    """Feeds polled by `quisait worker` and indexed into a group."""


@feeds_group.command("add")
@click.argument("url")
@click.option("--group", required=True, help="Group id the entries are indexed into.")
@click.option("--every", default="1h", show_default=True,
              help="How often to poll: 30m, 2h, 1d (at least 5m).")
@click.pass_context
def feeds_add(ctx: click.Context, url: str, group: str, every: str) -> None:
    """Poll URL (http or https) every EVERY into GROUP (which must exist)."""
    from indexer.feeds import add_feed, format_every
    from notify.outbox import utc_now
    from quisait.cli import _fail, _settings

    try:
        feed = add_feed(_settings(ctx), url, group, every, utc_now())
    except QuisaitError as exc:
        _fail(exc)
    click.echo(f"feed {feed.url} into {feed.group} every {format_every(feed.every_seconds)}, "
               f"next poll {feed.next_due}")


@feeds_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def feeds_list(ctx: click.Context, as_json: bool) -> None:
    """The feeds: group, period, last poll, next poll, failures, entries indexed."""
    from indexer.feeds import FeedStore, format_every, store_path
    from quisait.cli import _settings

    settings = _settings(ctx)
    feeds = []
    if store_path(settings).exists():
        with FeedStore.open(settings) as store:
            feeds = store.listing()
    if as_json:
        click.echo(json.dumps([feed.as_dict() for feed in feeds], indent=2, ensure_ascii=False))
        return
    if not feeds:
        click.echo("no feeds")
    for feed in feeds:
        failing = f", {feed.failures} failure(s): {feed.last_error}" if feed.failures else ""
        click.echo(f"{feed.url}  {feed.group}  every {format_every(feed.every_seconds)}  "
                   f"last {feed.last_polled or 'never'}  next {feed.next_due}  "
                   f"{feed.entries_indexed} indexed{failing}")


@feeds_group.command("remove")
@click.argument("url")
@click.pass_context
def feeds_remove(ctx: click.Context, url: str) -> None:
    """Stop polling URL (the entries already indexed stay)."""
    from indexer.feeds import FeedError, FeedStore, store_path
    from quisait.cli import _fail, _settings

    settings = _settings(ctx)
    removed = False
    if store_path(settings).exists():
        with FeedStore.open(settings) as store:
            removed = store.remove(url)
    if not removed:
        _fail(FeedError(f"no feed {url!r}"))
    click.echo(f"removed {url}")
