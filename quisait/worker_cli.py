"""``quisait worker``: one long-running process over a data folder that runs the follow
schedules (``immediately`` each tick, ``daily`` once per UTC day, ``weekly`` once per ISO
week) and sends what is due.  A thin wrapper over :func:`notify.worker.run_worker`;
registered on the main command group by :mod:`quisait.cli`.  SIGTERM and SIGINT stop it
after the current step (exit 0); a second worker over the same folder exits with 4.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from core.errors import QuisaitError


@click.command("worker")
@click.option("--interval", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds to sleep between ticks.")
@click.option("--once", is_flag=True, help="Run one tick and exit (for cron and tests).")
@click.pass_context
def worker_command(ctx: click.Context, interval: float, once: bool) -> None:
    """Run follow alerts on their schedules and send what is due, until stopped."""
    from notify.worker import run_worker
    from quisait.cli import _fail, _settings

    settings = _settings(ctx)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        click.echo(f"worker: {signal.Signals(signum).name}, stopping after this step",
                   err=True)
        stop.set()

    previous = {signum: signal.signal(signum, on_signal)
                for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        state = run_worker(settings, interval=interval, once=once, stop=stop,
                           on_locked=lambda: click.echo(
                               f"worker over {settings.data_dir} (every {interval:g} s)",
                               err=True))
    except QuisaitError as exc:
        _fail(exc)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo(f"worker stopped after {state.get('ticks', 0)} tick(s) in all, "
               f"{state.get('errors', 0)} error(s)")
