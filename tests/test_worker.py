"""``quisait worker``: one tick queues and sends a follow alert through a real SMTP
server on 127.0.0.1; a second worker over the same folder is refused (exit 4); SIGTERM
stops it cleanly (exit 0, lock released); daily and weekly schedules run once per UTC day
and ISO week across restarts (the clock injected); a failing step never stops the rest."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import notify.alerts
from notify.worker import lock_path, read_state, run_worker, state_path
from quisait.cli import cli
from tests.follow_fixtures import Clock, Network, post
from tests.test_notify_mail import SmtpRecorder, running_smtp

QUISAIT = Path(sys.executable).with_name("quisait")


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpRecorder, int]]:
    with running_smtp() as server:
        yield server


def write_config(net: Network, path: Path) -> Path:
    s = net.settings
    values = {"data_dir": str(s.data_dir), "embeddings": False, "keyphrases": False,
              "secret_key": s.secret_key, "public_url": s.public_url,
              "smtp_host": s.smtp_host, "smtp_port": s.smtp_port, "mail_from": s.mail_from,
              "notify_timeout_seconds": s.notify_timeout_seconds}
    path.write_text("[quisait]\n" + "".join(f"{k} = {json.dumps(v)}\n"
                                            for k, v in values.items()))
    return path


def test_once_queues_and_sends_a_follow_alert(tmp_path: Path,
                                              smtp: tuple[SmtpRecorder, int]) -> None:
    recorder, port = smtp
    net = Network(tmp_path, smtp_host="127.0.0.1", smtp_port=port,
                  mail_from="quisait@valtorre.example")
    try:
        net.follow("p-anne", "search", "migration")
        net.prefs("p-anne", frequency="immediately")
        net.push([post("n-open", "Migration plan", "g-ops")])
        config = write_config(net, tmp_path / "quisait.toml")
        result = CliRunner().invoke(cli, ["--config", str(config), "worker", "--once"])
        assert result.exit_code == 0, result.output
        assert [item.rcpt_tos for item in recorder.received] == [["p-anne@valtorre.example"]]
        assert "Migration plan" in recorder.received[0].message.as_string()
        state = read_state(net.settings)
        assert state is not None and state["ticks"] == 1 and state.get("errors", 0) == 0
        assert state["runs"]["immediately"]["counts"]["queued"] == 1
        assert state["runs"]["deliver"]["counts"]["sent"] == 1
        assert state["stopped"]
        status = CliRunner().invoke(cli, ["--config", str(config), "status"])
        assert status.exit_code == 0, status.output
        assert "worker: process" in status.output and "deliver:" in status.output
        shown = CliRunner().invoke(cli, ["--config", str(config), "status", "--json"])
        assert json.loads(shown.output)["worker"]["running"] is False
        again = CliRunner().invoke(cli, ["--config", str(config), "worker", "--once"])
        assert again.exit_code == 0 and len(recorder.received) == 1  # nothing twice
    finally:
        net.close()


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("QUISAIT_")}


def _wait_for(predicate: Any, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_second_worker_is_refused_and_sigterm_stops_the_first(tmp_path: Path) -> None:
    data = tmp_path / "data"  # empty: each step fails (no catalog), the loop goes on
    lock = data / "worker.lock"
    command = [str(QUISAIT), "--data-dir", str(data), "worker"]
    first = subprocess.Popen([*command, "--interval", "600"], cwd=tmp_path,
                             env=_environ(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        def first_tick_done() -> bool:
            assert first.poll() is None, first.communicate()
            path = data / "worker.json"
            state = json.loads(path.read_text()) if path.exists() else {}
            return "deliver" in state.get("runs", {})

        _wait_for(lambda: lock.exists() and lock.read_text() == f"process {first.pid}")
        second = subprocess.run([*command, "--once"], cwd=tmp_path, env=_environ(),
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 4, second.stderr
        assert "already runs" in second.stderr and str(first.pid) in second.stderr
        _wait_for(first_tick_done)
        started = time.monotonic()
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        first.communicate()
    with open(lock, "a+") as handle:  # released: this process takes it at once
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert lock.read_text() == ""
    state = json.loads((data / "worker.json").read_text())
    assert state["stopped"] and state["ticks"] == 1 and state["errors"] == 4
    assert state["runs"]["daily"]["ok"] is False and "daily" not in state.get("periods", {})


def test_daily_and_weekly_run_once_per_period_across_restarts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    net = Network(tmp_path)
    real = notify.alerts.run_follows
    calls: Counter[str] = Counter()
    failing: set[str] = set()

    def counted(settings: Any, searcher: Any, frequency: str, *args: Any,
                **kwargs: Any) -> Any:
        calls[frequency] += 1
        if frequency in failing:
            raise RuntimeError("boom")
        return real(settings, searcher, frequency, *args, **kwargs)

    monkeypatch.setattr(notify.alerts, "run_follows", counted)
    clock = Clock()  # Monday 2026-03-02 08:00 UTC
    try:
        net.follow("p-bob", "search", "migration")
        net.prefs("p-bob", frequency="daily", channel="webhook",
                  webhook_url="http://127.0.0.1:9/hook")
        net.push([post("n-one", "Migration plan", "g-ops")])
        run_worker(net.settings, once=True, clock=clock)
        assert calls == {"immediately": 1, "daily": 1, "weekly": 1}
        assert len(net.queued()["p-bob"]) == 1
        clock.advance(hours=15)  # 23:00, the same day
        run_worker(net.settings, once=True, clock=clock)
        assert calls == {"immediately": 2, "daily": 1, "weekly": 1}
        clock.advance(hours=2)  # Tuesday: daily again, not weekly
        failing.add("daily")
        state = run_worker(net.settings, once=True, clock=clock)
        assert calls == {"immediately": 3, "daily": 2, "weekly": 1}
        assert state["errors"] == 1 and state["runs"]["daily"]["ok"] is False
        assert state["runs"]["deliver"]["ok"] is True  # the failure stopped nothing else
        failing.clear()
        run_worker(net.settings, once=True, clock=clock)  # a failed day is tried again
        assert calls == {"immediately": 4, "daily": 3, "weekly": 1}
        run_worker(net.settings, once=True, clock=clock)
        assert calls == {"immediately": 5, "daily": 3, "weekly": 1}
        clock.advance(days=6)  # next Monday: a new ISO week
        state = run_worker(net.settings, once=True, clock=clock)
        assert calls == {"immediately": 6, "daily": 4, "weekly": 2}
        assert state["periods"] == {"daily": "2026-03-09", "weekly": "2026-W11"}
        assert not lock_path(net.settings).read_text()
        assert state_path(net.settings).exists()
    finally:
        net.close()
