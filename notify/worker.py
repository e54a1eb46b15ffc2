"""The notification worker: one long-running process per data folder that runs the follow
schedules and sends what is due, in place of ``quisait notify`` from cron.

- **One per folder.**  An exclusive ``fcntl`` lock on ``<data_dir>/worker.lock`` (the
  indexer's mechanism): a second worker gets :class:`core.errors.LockedError`.
- **Ticks.**  Each tick runs :func:`notify.run_follows` for ``immediately``; for
  ``daily`` once per UTC day and ``weekly`` once per ISO week (the period last done is
  kept in the state file, so a restart does not run it again; the outbox's dedupe keys
  would keep it from sending twice anyway); then :func:`notify.deliver_due` with the
  follow recheck.  Every step is wrapped: an exception is logged and counted, and the
  step is tried again at the next tick (a failed daily or weekly run is not marked done).
- **Stopping.**  :func:`run_worker` stops between steps when its ``stop`` event is set
  (SIGTERM and SIGINT set it from the command), then releases the lock.
- **State.**  ``<data_dir>/worker.json`` (written whole, atomically): the periods done,
  each step's last run (started, finished, ok or error, counts) and totals, read by
  ``quisait status`` (:func:`worker_status`).

The weekly step also queues the expert digests (:mod:`notify.digests`), re-rendered
at delivery by their send-time recheck.  Each tick first polls the feeds due
(:func:`indexer.feeds.poll_due_feeds`, step ``feeds``), so the follows see their entries.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from core.errors import LockedError
from core.settings import Settings
from notify.outbox import utc_now

logger = logging.getLogger(__name__)

SCHEDULES = ("immediately", "daily", "weekly")
STEPS = (*SCHEDULES, "deliver")

Clock = Callable[[], datetime]


def lock_path(settings: Settings) -> Path:
    return settings.data_dir / "worker.lock"


def state_path(settings: Settings) -> Path:
    return settings.data_dir / "worker.json"


@contextmanager
def worker_lock(settings: Settings) -> Iterator[None]:
    """Exclusive right to run the worker over the data folder; LockedError otherwise."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_path(settings), "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise LockedError(f"a worker already runs over {settings.data_dir} "
                              f"({holder}); stop it first") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def period_of(schedule: str, now: datetime) -> str:
    """The period a schedule runs once in: the UTC day, the ISO week ("" each tick)."""
    if schedule == "daily":
        return now.date().isoformat()
    if schedule == "weekly":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    return ""


def read_state(settings: Settings) -> dict[str, Any] | None:
    """The worker's state file, or None if there is none (or it cannot be read)."""
    try:
        state = json.loads(state_path(settings).read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def write_state(settings: Settings, state: dict[str, Any]) -> None:
    path = state_path(settings)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state, indent=2, ensure_ascii=False))
    os.replace(temporary, path)


def worker_running(settings: Settings) -> bool:
    """Whether a worker holds the folder's lock now."""
    try:
        with open(lock_path(settings), "rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
    except FileNotFoundError:
        pass
    return False


def worker_status(settings: Settings) -> dict[str, Any] | None:
    """What ``quisait status`` shows of the worker (its state, and whether it runs now):
    None if it never ran here."""
    state = read_state(settings)
    if state is not None:
        state["running"] = worker_running(settings)
    return state


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _open_stores(settings: Settings, stack: ExitStack) -> tuple[Any, Any, Any, Any]:
    from expertise import TopicStore
    from notify.follows import FollowStore
    from notify.outbox import Outbox
    from search import Searcher

    # opened again at each tick: the index the follows are matched on is the current one
    searcher = stack.enter_context(Searcher.open(settings.replace(embeddings=False)))
    store = stack.enter_context(FollowStore.open(settings))
    outbox = stack.enter_context(Outbox.open(settings))
    topics = TopicStore.open(settings.data_dir)
    stack.callback(topics.close)
    return searcher, store, outbox, topics


def _step(settings: Settings, state: dict[str, Any], name: str, clock: Clock,
          action: Callable[[], dict[str, Any]], period: str = "") -> bool:
    """Run one step, record it in ``state`` (and the file); True if it went well."""
    started = clock()
    record: dict[str, Any] = {"started": _iso(started)}
    try:
        record["counts"] = action()
        record["ok"] = True
    except Exception as exc:  # a step's failure is logged and counted, never fatal
        logger.exception("worker: %s failed", name)
        record |= {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        state["errors"] = state.get("errors", 0) + 1
    record["finished"] = _iso(clock())
    if period:
        record["period"] = period
        if record["ok"]:
            state.setdefault("periods", {})[name] = period
    state.setdefault("runs", {})[name] = record
    write_state(settings, state)
    return bool(record["ok"])


def weekly_digests(settings: Settings, searcher: Any, now: datetime, store: Any,
                   outbox: Any) -> dict[str, int]:
    """The weekly step's expert digests (:func:`notify.digests.run_digests`): counts."""
    from notify.digests import run_digests

    run = run_digests(settings, searcher, now, store=store, outbox=outbox)
    return {"messages": len(run.messages),
            "queued": sum(1 for message in run.messages if message.queued),
            "skipped": sum(run.skipped.values())}


def review_reminders(settings: Settings, searcher: Any, now: datetime, store: Any,
                     outbox: Any) -> dict[str, int]:
    """The daily step's review reminders (:func:`notify.reviews.run_review_reminders`)."""
    from notify.reviews import run_review_reminders

    run = run_review_reminders(settings, searcher, now, store=store, outbox=outbox)
    return {"reminders": run.reminders, "queued": run.queued,
            "skipped": sum(run.skipped.values())}


def run_tick(settings: Settings, state: dict[str, Any], clock: Clock = utc_now,
             stop: threading.Event | None = None) -> dict[str, bool]:
    """One tick: the schedules due, then delivery.  Returns {step: ok} of what ran."""
    from notify.alerts import run_follows
    from notify.delivery import deliver_due
    from notify.digests import digest_renderer
    from notify.recheck import follow_recheck

    done: dict[str, bool] = {}
    now = clock()
    state["ticks"] = state.get("ticks", 0) + 1
    state["last_tick"] = _iso(now)
    with ExitStack() as stack:
        opened: list[Any] = []

        def stores() -> tuple[Any, Any, Any, Any]:
            if not opened:
                opened.extend(_open_stores(settings, stack))
            return opened[0], opened[1], opened[2], opened[3]

        from indexer.feeds import poll_due_feeds

        done["feeds"] = _step(settings, state, "feeds", clock,
                              lambda: poll_due_feeds(settings, now))
        for schedule in SCHEDULES:
            if stop is not None and stop.is_set():
                return done
            period = period_of(schedule, now)
            if period and state.get("periods", {}).get(schedule) == period:
                continue  # already done this day or week

            def follows(schedule: str = schedule) -> dict[str, Any]:
                searcher, store, outbox, topics = stores()
                run = run_follows(settings, searcher, schedule, now, store=store,
                                  outbox=outbox, topics=topics)
                counts: dict[str, Any] = {"alerts": len(run.alerts),
                                          "queued": sum(1 for alert in run.alerts
                                                        if alert.queued),
                                          "skipped": sum(run.skipped.values())}
                if schedule == "daily":
                    counts["reviews"] = review_reminders(settings, searcher, now, store, outbox)
                if schedule == "weekly":
                    counts["digests"] = weekly_digests(settings, searcher, now, store, outbox)
                return counts

            done[schedule] = _step(settings, state, schedule, clock, follows, period)
        if stop is not None and stop.is_set():
            return done

        def deliver() -> dict[str, Any]:
            searcher, store, outbox, topics = stores()
            report = deliver_due(settings, outbox,
                                 recheck=follow_recheck(
                                     settings, searcher, store, topics,
                                     renderers={"digest": digest_renderer(settings, searcher,
                                                                          store)}))
            return {"sent": report.sent, "dropped": report.dropped,
                    "retrying": report.retrying, "dead": report.dead,
                    "channels_off": list(report.off)}

        done["deliver"] = _step(settings, state, "deliver", clock, deliver)
    return done


def run_worker(settings: Settings, *, interval: float = 60.0, once: bool = False,
               clock: Clock = utc_now, stop: threading.Event | None = None,
               on_locked: Callable[[], None] | None = None) -> dict[str, Any]:
    """Hold the worker lock and tick every ``interval`` seconds until ``stop`` is set
    (``once``: one tick).  LockedError if another worker holds the folder.  Returns the
    final state.  ``on_locked`` is called once the lock is held."""
    stop = stop or threading.Event()
    with worker_lock(settings):
        if on_locked is not None:
            on_locked()
        state = read_state(settings) or {}
        state |= {"pid": os.getpid(), "started": _iso(clock()), "stopped": None,
                  "interval_seconds": interval}
        write_state(settings, state)
        try:
            while not stop.is_set():
                run_tick(settings, state, clock, stop)
                if once:
                    break
                stop.wait(interval)
        finally:
            state["stopped"] = _iso(clock())
            write_state(settings, state)
    return state
