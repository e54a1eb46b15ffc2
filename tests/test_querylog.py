"""The query log: privacy of viewers, the visibility rule, listings, best-effort writes."""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from search import querylog
from search.querylog import QueryLog, normalise_query

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
PUBLIC = frozenset({"@feed", "g-open"})
SECRET = PUBLIC | {"g-secret"}


def stored_viewers(folder: Path) -> list[str | None]:
    with sqlite3.connect(folder / "querylog.sqlite") as db:
        return [v for (v,) in db.execute("SELECT viewer FROM searches ORDER BY id")]


def database_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.glob("querylog.sqlite*"))


@pytest.fixture
def qlog(tmp_path: Path):
    log = QueryLog.open(tmp_path, "hash")
    yield log
    log.close()


# -- viewers ------------------------------------------------------------------------------


def test_hash_mode_never_writes_the_viewer_id(tmp_path: Path) -> None:
    viewer = "viewer-7f3a9c-alice.martin"
    log = QueryLog.open(tmp_path, "hash")
    for n in range(20):
        log.log_search(f"congés {n}", 0, "hybrid", "fr", viewer, groups=PUBLIC)
    # read while the WAL still holds the lines, then after a checkpoint
    assert (tmp_path / "querylog.sqlite-wal").exists()
    assert viewer.encode() not in database_bytes(tmp_path)
    log.close()
    assert viewer.encode() not in database_bytes(tmp_path)
    [key] = set(stored_viewers(tmp_path))
    assert key is not None and len(key) == 64 and viewer not in key


def test_same_viewer_same_hash_across_reopen(tmp_path: Path) -> None:
    log = QueryLog.open(tmp_path, "hash")
    log.log_search("badge", 1, "hybrid", "en", "alice")
    log.log_search("badge", 1, "hybrid", "en", "bob")
    log.close()
    log = QueryLog.open(tmp_path, "hash")
    log.log_search("badge", 1, "hybrid", "en", "alice")
    log.close()
    alice, bob, alice_again = stored_viewers(tmp_path)
    assert alice == alice_again != bob


def test_different_databases_hash_differently(tmp_path: Path) -> None:
    keys = []
    for name in ("one", "two"):
        log = QueryLog.open(tmp_path / name, "hash")
        log.log_search("badge", 1, "hybrid", "en", "alice")
        log.close()
        keys += stored_viewers(tmp_path / name)
    assert keys[0] != keys[1]
    # an explicit salt is what makes hashes comparable across databases
    shared = [QueryLog.open(tmp_path / n, "hash", salt=b"k" * 32) for n in ("three", "four")]
    assert shared[0].viewer_key("alice") == shared[1].viewer_key("alice") != keys[0]


def test_none_mode_stores_null(tmp_path: Path) -> None:
    log = QueryLog.open(tmp_path, "none")
    log.log_search("badge", 1, "hybrid", "en", "alice")
    log.close()
    assert stored_viewers(tmp_path) == [None]
    assert b"alice" not in database_bytes(tmp_path)


def test_unknown_viewer_mode_lists_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="hash, none"):
        QueryLog.open(tmp_path, "plain")


# -- listings -----------------------------------------------------------------------------


def test_zero_result_queries_grouped_counted_sorted(qlog: QueryLog) -> None:
    for n, query in enumerate(["  Congés   Payés ", "congés payés", "CONGÉS\tpayés", "badge",
                               "badge", "cantine"]):
        qlog.log_search(query, 0, "hybrid", "fr", "alice", at=T0 + timedelta(hours=n))
    qlog.log_search("congés payés", 12, "hybrid", "fr", "alice", at=T0 + timedelta(days=1))
    listed = qlog.zero_result_queries(visible_to=PUBLIC)
    assert [(q.query, q.searches) for q in listed] == [
        ("congés payés", 3), ("badge", 2), ("cantine", 1)]
    assert listed[0].last_seen == T0 + timedelta(hours=2)  # the hit a day later is not zero
    assert normalise_query("  Élan\n VITAL ") == "élan vital"  # accents kept


def test_visibility_rule_hides_secret_members_queries(qlog: QueryLog) -> None:
    canary = "projet zanzibarcanary"
    qlog.log_search(canary, 0, "hybrid", "fr", "alice", at=T0, groups=SECRET)
    sid = qlog.log_search(canary, 3, "hybrid", "fr", "alice", at=T0, groups=SECRET)
    qlog.log_click(sid, "post-1", 1)
    qlog.log_search("badge", 0, "hybrid", "fr", "bob", at=T0, groups=PUBLIC)

    def seen(visible: frozenset[str]) -> set[str]:
        return ({q.query for q in qlog.zero_result_queries(visible_to=visible)}
                | {q.query for q in qlog.top_queries(visible_to=visible)})

    assert seen(PUBLIC) == {"badge"}
    assert seen(SECRET | {"g-other"}) == {"badge", canary}
    assert seen(frozenset()) == set()
    # the aggregates follow the same rule
    assert qlog.searches_per_day(visible_to=PUBLIC) == [(T0.date(), 1)]
    assert qlog.click_through(visible_to=PUBLIC)["clicked"] == 0
    assert qlog.click_through(visible_to=SECRET)["clicked"] == 1
    with pytest.raises(TypeError):
        qlog.zero_result_queries(visible_to="g-secret")  # type: ignore[arg-type]


def test_top_queries_average_results_and_truncation(qlog: QueryLog) -> None:
    for results in (2, 4, 0):
        qlog.log_search("Wiki", results, "lexical", "en", None, at=T0)
    qlog.log_search("x" * 5000, 1, "lexical", "en", None, at=T0)
    top = qlog.top_queries(visible_to=PUBLIC)
    assert top[0] == ("wiki", 3, 2.0)
    assert top[1].query == "x" * querylog.MAX_QUERY_CHARS


def test_clicks_and_click_through(qlog: QueryLog, caplog: pytest.LogCaptureFixture) -> None:
    ids = [qlog.log_search(f"q{n}", 5, "hybrid", "en", "alice", at=T0) for n in range(4)]
    qlog.log_click(ids[0], "a", 1, at=T0 + timedelta(seconds=5))
    qlog.log_click(ids[1], "b", 3, at=T0 + timedelta(seconds=5))  # first click counts
    qlog.log_click(ids[1], "c", 1, at=T0 + timedelta(seconds=9))
    with caplog.at_level(logging.DEBUG, logger="search.querylog"):
        qlog.log_click(999_999, "z", 1)
    assert "unknown search 999999" in caplog.text
    stats = qlog.click_through(visible_to=PUBLIC)
    assert stats["searches"] == 4 and stats["clicked"] == 2
    assert stats["rate"] == pytest.approx(0.5)
    assert stats["mrr"] == pytest.approx((1 + 1 / 3) / 2)
    with pytest.raises(ValueError):
        qlog.log_click(ids[2], "d", 0)


def test_click_through_of_an_empty_log(qlog: QueryLog) -> None:
    assert qlog.click_through(visible_to=PUBLIC) == {
        "searches": 0, "clicked": 0, "rate": 0.0, "mrr": 0.0}


def test_since_and_limit(qlog: QueryLog) -> None:
    for day in range(5):
        for n in range(day + 1):
            qlog.log_search(f"q{day}", 0, "hybrid", "en", None,
                            at=T0 + timedelta(days=day, minutes=n))
    since = T0 + timedelta(days=3)
    assert [q.query for q in qlog.zero_result_queries(visible_to=PUBLIC, since=since)] == [
        "q4", "q3"]
    assert len(qlog.top_queries(visible_to=PUBLIC, limit=2)) == 2
    assert len(qlog.top_queries(visible_to=PUBLIC, limit=0)) == 1  # bounded to 1..1000
    assert qlog.searches_per_day(visible_to=PUBLIC, limit=2) == [
        (date(2024, 3, 7), 4), (date(2024, 3, 8), 5)]
    naive_since = datetime(2024, 3, 8)  # naive times are UTC
    assert qlog.searches_per_day(visible_to=PUBLIC, since=naive_since) == [(date(2024, 3, 8), 5)]
    assert qlog.click_through(visible_to=PUBLIC, since=since)["searches"] == 9


def test_limit_is_capped(qlog: QueryLog) -> None:
    for n in range(querylog.MAX_LIMIT + 5):
        qlog.log_search(f"q{n}", 0, "hybrid", "en", None, at=T0)
    assert len(qlog.zero_result_queries(visible_to=PUBLIC, limit=10**6)) == querylog.MAX_LIMIT


def test_prune_deletes_old_lines_and_their_clicks(qlog: QueryLog) -> None:
    old = qlog.log_search("old", 0, "hybrid", "en", None, at=T0)
    qlog.log_click(old, "a", 1, at=T0)
    new = qlog.log_search("new", 0, "hybrid", "en", None, at=T0 + timedelta(days=40))
    assert qlog.prune(T0 + timedelta(days=30)) == 1
    assert [q.query for q in qlog.zero_result_queries(visible_to=PUBLIC)] == ["new"]
    assert qlog.click_through(visible_to=PUBLIC) == {
        "searches": 1, "clicked": 0, "rate": 0.0, "mrr": 0.0}
    qlog.log_click(old, "a", 1)  # a late click on a pruned search is dropped
    assert qlog.click_through(visible_to=PUBLIC)["clicked"] == 0
    later = qlog.log_search("later", 0, "hybrid", "en", None)
    assert qlog.prune(datetime.now(UTC) + timedelta(days=1)) == 2
    assert qlog.log_search("again", 0, "hybrid", "en", None) > later > new  # ids never reused
    with sqlite3.connect(qlog.path) as db:
        assert db.execute("SELECT COUNT(*) FROM clicks").fetchone() == (0,)


# -- failures and threads -------------------------------------------------------------------


def test_locked_database_does_not_fail_the_search(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(querylog, "BUSY_TIMEOUT", 0.05)
    log = QueryLog.open(tmp_path, "hash")
    locker = sqlite3.connect(log.path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    with caplog.at_level(logging.WARNING, logger="search.querylog"):
        assert log.log_search("badge", 0, "hybrid", "en", "alice") == 0
        log.log_click(1, "a", 1)
    assert caplog.text.count("not recorded") == 2
    locker.execute("ROLLBACK")
    locker.close()
    assert log.log_search("badge", 0, "hybrid", "en", "alice") > 0  # recovers
    log.close()


def test_os_error_does_not_fail_the_search(
        qlog: QueryLog, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def full_disk(self: QueryLog) -> sqlite3.Connection:
        raise OSError(28, "No space left on device")

    qlog.close()  # no idle connection left: the next call must connect
    monkeypatch.setattr(QueryLog, "_connect", full_disk)
    with caplog.at_level(logging.WARNING, logger="search.querylog"):
        assert qlog.log_search("badge", 0, "hybrid", "en", "alice") == 0
    assert "No space left" in caplog.text


def test_concurrent_writers_are_all_recorded(qlog: QueryLog) -> None:
    start = threading.Barrier(8)
    ids: list[int] = []
    lock = threading.Lock()

    def writer(worker: int) -> None:
        start.wait()
        mine = [qlog.log_search(f"w{worker} q{n}", n % 2, "hybrid", "fr", f"user{worker}",
                                at=T0) for n in range(50)]
        with lock:
            ids.extend(mine)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 400 and 0 not in ids and len(set(ids)) == 400
    assert qlog.searches_per_day(visible_to=PUBLIC) == [(T0.date(), 400)]
    assert len(qlog.zero_result_queries(visible_to=PUBLIC, limit=1000)) == 200
