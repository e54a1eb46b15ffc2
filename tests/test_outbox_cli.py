"""``quisait outbox``: operators see the dead letters with their errors and requeue them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from notify import Outbox
from quisait.cli import cli


def _dead_message(data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    with Outbox(data_dir / "outbox.sqlite", max_attempts=1) as outbox:
        assert outbox.enqueue("follow", "p-anne", "webhook", "https://hooks.example/x",
                              "follow:f-1:2026-12-06", {"text": "hello", "items": ["post-1"]})
        assert outbox.enqueue("follow", "p-bob", "webhook", "https://hooks.example/y",
                              "follow:f-2:2026-12-06", {"text": "hi", "items": ["post-2"]})
        message = outbox.claim_due()
        assert message is not None
        assert outbox.mark_failed(message, "HTTP 500 from hooks.example") == "dead"
        return message.id


def _run(data_dir: Path, *args: str):
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), "outbox", *args])


def test_dead_letters_are_listed_with_their_error_then_requeued(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    dead = _dead_message(data_dir)
    shown = _run(data_dir, "status")
    assert shown.exit_code == 0, shown.output
    assert "dead: 1" in shown.output and "queued: 1" in shown.output
    assert f"dead {dead}" in shown.output and "HTTP 500 from hooks.example" in shown.output
    listed = json.loads(_run(data_dir, "status", "--json").output)
    assert [row["id"] for row in listed["dead"]] == [dead]
    assert listed["counts"]["dead"] == 1

    requeued = _run(data_dir, "requeue", dead)
    assert requeued.exit_code == 0, requeued.output
    after = json.loads(_run(data_dir, "status", "--json").output)
    assert after["dead"] == [] and after["counts"]["queued"] == 2
    # a message that is not dead (any more) is refused, with the exit code saying so
    again = _run(data_dir, "requeue", dead, "no-such-id")
    assert again.exit_code == 1 and "no dead message no-such-id" in again.output
