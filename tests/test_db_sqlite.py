"""SQLite's write-ahead log is copied back into the database file by a thread of the process, not by a request."""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy import text

from fieldwork.db import make_engine


def _rows_in_database_file(path) -> int:
    """Rows of ``t`` in the database file itself, the write-ahead log ignored: what checkpoints have copied."""
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as connection:
        return connection.execute("SELECT count(*) FROM t").fetchone()[0]


def _create(path) -> None:
    with sqlite3.connect(path) as connection:  # before the engine turns WAL on: the table is in the file
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")


def _write(engine, rows: int) -> None:
    for _ in range(rows):  # one commit each, as requests do: ~1 page of log per commit
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t (body) VALUES (:b)"), {"b": "x" * 200})


def test_requests_never_checkpoint_and_the_thread_does(tmp_path):
    path = tmp_path / "wal.sqlite3"
    _create(path)
    engine = make_engine(f"sqlite:///{path}", checkpoint_seconds=3600)  # the thread sleeps for the whole test
    _write(engine, 1_500)  # SQLite alone would have checkpointed after 1,000 pages of log
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
    assert _rows_in_database_file(path) == 0
    engine.dispose()

    again = make_engine(f"sqlite:///{path}", checkpoint_seconds=0.05)
    _write(again, 1)
    deadline = time.monotonic() + 10
    while _rows_in_database_file(path) < 1_501 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _rows_in_database_file(path) == 1_501
    again.dispose()


def test_without_the_thread_sqlite_checkpoints_in_the_committing_request(tmp_path):
    path = tmp_path / "plain.sqlite3"
    _create(path)
    engine = make_engine(f"sqlite:///{path}", checkpoint_seconds=0)
    _write(engine, 1_500)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
    assert _rows_in_database_file(path) >= 900
    engine.dispose()
