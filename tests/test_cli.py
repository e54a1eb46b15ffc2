"""The ``quisait`` command: exit codes, summaries, search output."""

from __future__ import annotations

import json

from click.testing import CliRunner

from indexer.pipeline import data_lock
from quisait.cli import ExitCode, cli
from tests.conftest import write_jsonl

RECORDS = [
    {"type": "person", "id": "p-ana", "name": "Ana"},
    {"type": "group", "id": "g-open", "name": "Open"},
    {"type": "post", "id": "q1", "author": "p-ana", "created": "2026-01-05T10:00:00",
     "group": "g-open", "kind": "question", "title": "Kubernetes rollback",
     "body": "How do I roll back a deployment?", "lang": "en"},
]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_index_status_search(tmp_path, encoder):
    source = write_jsonl(tmp_path / "net.jsonl", RECORDS)
    data = str(tmp_path / "data")
    result = run("--data-dir", data, "index", str(source), "--quiet")
    assert result.exit_code == ExitCode.OK, result.output
    assert "read 3 records: 3 added" in result.output
    status = json.loads(run("--data-dir", data, "status", "--json").output)
    assert status["items_by_kind"] == {"question": 1}
    found = run("--data-dir", data, "search", "kubernetes", "--as", "p-ana", "--explain")
    assert "Kubernetes rollback" in found.output and "lexical_rank=1" in found.output
    assert "no results" in run("--data-dir", data, "search", "kubernetes", "--as", "x").output
    typo = run("--data-dir", data, "search", "kubernetse", "--as", "p-ana").output
    assert "Also searched for: kubernetes" in typo and "Kubernetes rollback" in typo


def test_skipped_records_exit_with_problems(tmp_path, encoder):
    source = tmp_path / "bad.jsonl"
    source.write_text(json.dumps(RECORDS[0]) + "\n{broken\n")
    result = run("--data-dir", str(tmp_path / "data"), "index", str(source), "--quiet")
    assert result.exit_code == ExitCode.PROBLEMS
    assert "1 skipped" in result.output and "line 2" in result.output


def test_locked_and_mismatch_exit_codes(tmp_path, encoder):
    from core.settings import Settings

    source = write_jsonl(tmp_path / "net.jsonl", RECORDS)
    data = tmp_path / "data"
    with data_lock(Settings(data_dir=data)):
        result = run("--data-dir", str(data), "index", str(source), "--quiet")
    assert result.exit_code == ExitCode.LOCKED and "being indexed" in result.output
    run("--data-dir", str(data), "index", str(source), "--quiet")
    (data / "fulltext" / "params.json").write_text('{"schema_version": 0}')
    result = run("--data-dir", str(data), "search", "kubernetes", "--as", "p-ana")
    assert result.exit_code == ExitCode.MISMATCH and "quisait rebuild" in result.output


def test_query_syntax_error_points_at_the_culprit(tmp_path, encoder):
    source = write_jsonl(tmp_path / "net.jsonl", RECORDS)
    data = str(tmp_path / "data")
    run("--data-dir", data, "index", str(source), "--quiet")
    result = run("--data-dir", data, "search", 'roll "back', "--as", "p-ana")
    assert result.exit_code == ExitCode.ERROR
    assert "     ^" in result.output and "never closed" in result.output


def test_unknown_setting_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("QUISAIT_COLOUR", "blue")
    result = run("status")
    assert result.exit_code == ExitCode.ERROR and "unknown setting 'colour'" in result.output
