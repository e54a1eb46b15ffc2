"""``quisait outbox``: what the notification outbox holds, its dead letters, and requeueing.

For operators (the dead-letter list of issue 16): a thin wrapper over
:class:`notify.Outbox`.  Registered on the main command group by :mod:`quisait.cli`.
"""

from __future__ import annotations

import json

import click


@click.group("outbox")
def outbox_group() -> None:
    """The notification outbox: counts, dead letters, requeue."""


@outbox_group.command("status")
@click.option("--dead", "dead_limit", default=20, show_default=True,
              type=click.IntRange(min=0), help="List at most this many dead letters.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def outbox_status(ctx: click.Context, dead_limit: int, as_json: bool) -> None:
    """Messages per status, and the dead letters with their last error (newest first)."""
    from notify import Outbox
    from quisait.cli import _settings

    with Outbox.open(_settings(ctx)) as outbox:
        counts, dead = outbox.counts(), outbox.dead_letters(dead_limit)
    rows = [{"id": m.id, "kind": m.kind, "recipient": m.recipient, "channel": m.channel,
             "attempts": m.attempts, "last_error": m.last_error,
             "created": m.created.isoformat()} for m in dead]
    if as_json:
        click.echo(json.dumps({"counts": counts, "dead": rows}, indent=2))
        return
    click.echo(", ".join(f"{status}: {n}" for status, n in counts.items()))
    for row in rows:
        click.echo(f"  dead {row['id']}  {row['kind']} to {row['recipient']} by "
                   f"{row['channel']}, {row['attempts']} attempts: {row['last_error']}")


@outbox_group.command("requeue")
@click.argument("message_ids", nargs=-1, required=True)
@click.pass_context
def outbox_requeue(ctx: click.Context, message_ids: tuple[str, ...]) -> None:
    """Give dead messages a fresh set of attempts (the worker sends them at its next
    tick, with the send-time permission recheck)."""
    from notify import Outbox
    from quisait.cli import _settings

    missing = []
    with Outbox.open(_settings(ctx)) as outbox:
        for ident in message_ids:
            if not outbox.requeue(ident):
                missing.append(ident)
    for ident in missing:
        click.echo(f"no dead message {ident}", err=True)
    raise SystemExit(1 if missing else 0)
