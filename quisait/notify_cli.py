"""``quisait notify``: match follows against new items now, queue their alerts and send
what is due (``--dry-run``: only print what would go out, and to whom).

A thin wrapper over :func:`notify.run_follows` and :func:`notify.deliver_due` (with the
send-time permission recheck).  Registered on the main command group by
:mod:`quisait.cli`.  Run it from cron (every few minutes, say): ``immediately`` follows
send at each run, ``daily`` and ``weekly`` ones at the first run of the day or ISO week
that finds something (the outbox's dedupe keys make later runs in the period send
nothing twice).
"""

from __future__ import annotations

from typing import Any

import click

from core.errors import QuisaitError
from notify.follows import FREQUENCIES


def _print_alert(alert: Any, dry_run: bool) -> None:
    prefs = alert.preferences
    state = "would send" if dry_run else ("queued" if alert.queued else "queued before")
    click.echo(f"{state}: {alert.person.id} <{prefs.address}> by {prefs.channel}, "
               f"{alert.follow.kind} “{alert.label}” ({prefs.frequency}, {alert.lang}), "
               f"{len(alert.shown)} item(s)")
    for entry in alert.shown:
        click.echo(f"  - {entry.title} ({entry.group}, {entry.author}, {entry.date})")


def _print_digests(run: Any) -> None:
    for message in run.messages:
        prefs = message.preferences
        click.echo(f"would send: {message.person.id} <{prefs.address}> by {prefs.channel}, "
                   f"expert digest {run.week} ({message.lang}), "
                   f"{len(message.questions)} question(s)")
        for question in message.questions:
            click.echo(f"  - {question.question.title} ({question.question.group})")
    for reason, count in sorted(run.skipped.items()):
        click.echo(f"digests: {count} recipient(s) without a message: {reason}")


@click.command("notify")
@click.option("--dry-run", is_flag=True,
              help="Match follows and print what would go out and to whom; queue nothing, "
                   "send nothing, move no cursor.")
@click.option("--frequency", type=click.Choice(["all", *FREQUENCIES]), default="all",
              show_default=True, help="Which follows to run (by their person's frequency).")
@click.pass_context
def notify_command(ctx: click.Context, dry_run: bool, frequency: str) -> None:
    """Queue follow alerts for items created since the last run, then send what is due."""
    from expertise import TopicStore
    from notify import FollowStore, Outbox, deliver_due, follow_recheck, run_follows
    from notify.digests import digest_renderer, run_digests
    from quisait.cli import _fail, _settings
    from search import Searcher

    settings = _settings(ctx)
    frequencies = FREQUENCIES if frequency == "all" else (frequency,)
    try:
        # lexical matching only: the embedding model is not loaded
        with Searcher.open(settings.replace(embeddings=False)) as searcher, \
                FollowStore.open(settings) as store, Outbox.open(settings) as outbox:
            topics = TopicStore.open(settings.data_dir)
            try:
                for name in frequencies:
                    run = run_follows(settings, searcher, name, store=store, outbox=outbox,
                                      topics=topics, dry_run=dry_run)
                    for alert in run.alerts:
                        _print_alert(alert, dry_run)
                    for reason, count in sorted(run.skipped.items()):
                        click.echo(f"{name}: {count} follow(s) without a message: {reason}")
                if dry_run:
                    _print_digests(run_digests(settings, searcher, store=store, outbox=outbox,
                                               dry_run=True))
                    return
                renderers = {"digest": digest_renderer(settings, searcher, store)}
                report = deliver_due(settings, outbox, recheck=follow_recheck(
                    settings, searcher, store, topics, renderers=renderers))
            finally:
                topics.close()
    except QuisaitError as exc:
        _fail(exc)
    off = f"; waiting, channel off: {', '.join(report.off)}" if report.off else ""
    click.echo(f"sent {report.sent}, dropped at send time {report.dropped}, retrying "
               f"{report.retrying}, dead {report.dead}{off}")
