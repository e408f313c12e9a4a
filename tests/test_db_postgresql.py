"""PostgreSQL's pooled connections: tested before use only after sitting idle, replaced when they died meanwhile.

Runs against the machine's PostgreSQL server (FIELDWORK_TEST_DATABASE_URL, else the one every test machine has).
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import exc, text

from fieldwork.config import normalise_database_url
from fieldwork.db import make_engine
from tests.conftest import PG_ENV

SERVER = os.environ.get(PG_ENV) or "postgresql://postgres@127.0.0.1:5432/test"


def _kill_other_connections(engine) -> int:
    """Terminate the engine's connections from outside, as a restart of PostgreSQL would."""
    with psycopg.connect(SERVER.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
        return admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                             "AND application_name = %s", (engine.url.query["application_name"],)).fetchone()[0]


def _engine(idle_seconds: float, name: str):
    url = normalise_database_url(SERVER) + ("&" if "?" in SERVER else "?") + f"application_name={name}"
    return make_engine(url, pool_size=1, max_overflow=0, ping_idle_seconds=idle_seconds)


def _one(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT 1")).scalar()


def test_a_connection_that_died_while_idle_is_replaced_without_an_error():
    engine = _engine(0.05, "fieldwork-idle-ping")
    try:
        assert _one(engine) == 1
        assert _kill_other_connections(engine) == 1
        time.sleep(0.1)  # idle longer than the setting: tested on the way out of the pool, found dead, replaced
        assert _one(engine) == 1
    finally:
        engine.dispose()


def test_a_busy_connection_is_not_tested_on_every_request():
    """The round trip pool_pre_ping made on every checkout is gone: a connection back in the pool a moment ago is
    handed out as it is. Had it died right then, the request fails, and the pool is replaced for the next one."""
    engine = _engine(3600, "fieldwork-busy-no-ping")
    try:
        assert _one(engine) == 1
        assert _kill_other_connections(engine) == 1
        with pytest.raises(exc.OperationalError):
            _one(engine)
        assert _one(engine) == 1
    finally:
        engine.dispose()


@contextmanager
def _probe_table(table: str, rows: int = 0):
    """An engine of its own and a table ``table`` (n int) holding 1..rows (none by default); both gone afterwards."""
    engine = _engine(3600, f"fieldwork-{table}")
    try:
        with engine.begin() as connection:
            connection.execute(text(f"CREATE TABLE IF NOT EXISTS {table} (n int)"))
            connection.execute(text(f"DELETE FROM {table}"))
            for n in range(1, rows + 1):
                connection.execute(text(f"INSERT INTO {table} VALUES ({n})"))
        yield engine
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()


def _status(session) -> tuple:
    dbapi_connection = session.connection().connection.dbapi_connection
    return dbapi_connection.info.transaction_status, dbapi_connection


def test_reads_run_without_a_transaction_and_the_first_write_opens_one():
    """A request that only reads sends no BEGIN or COMMIT (two round trips fewer per page); from its first write
    on, everything is one transaction: rolled back whole, as before."""
    from psycopg.pq import TransactionStatus
    from sqlmodel import Session

    with _probe_table("lazy_begin_probe") as engine:
        with Session(engine) as session:
            session.exec(text("SELECT count(*) FROM lazy_begin_probe"))
            session.exec(text("WITH t AS (SELECT 1 AS a) SELECT a FROM t"))
            status, _ = _status(session)
            assert status == TransactionStatus.IDLE  # no BEGIN was sent
            session.exec(text("INSERT INTO lazy_begin_probe VALUES (1)"))
            session.exec(text("SELECT count(*) FROM lazy_begin_probe"))
            session.exec(text("INSERT INTO lazy_begin_probe VALUES (2)"))
            assert _status(session)[0] == TransactionStatus.INTRANS
            session.rollback()
        with Session(engine) as session:
            assert session.exec(text("SELECT count(*) FROM lazy_begin_probe")).scalar() == 0  # both undone
            session.exec(text("WITH new AS (INSERT INTO lazy_begin_probe VALUES (3) RETURNING n) SELECT n FROM new"))
            assert _status(session)[0] == TransactionStatus.INTRANS  # a WITH that writes is a write
            session.commit()
            assert session.exec(text("SELECT count(*) FROM lazy_begin_probe")).scalar() == 1


def test_a_row_lock_opens_the_transaction_and_is_held_until_the_commit():
    from psycopg.pq import TransactionStatus
    from sqlmodel import Session

    with _probe_table("lazy_lock_probe", rows=1) as engine:
        for clause in ("FOR UPDATE", "FOR NO KEY UPDATE", "FOR SHARE", "FOR KEY SHARE"):
            with Session(engine) as session:
                session.exec(text(f"SELECT n FROM lazy_lock_probe {clause}"))
                assert _status(session)[0] == TransactionStatus.INTRANS, clause
                with psycopg.connect(SERVER.replace("postgresql+psycopg://", "postgresql://")) as other:
                    with pytest.raises(psycopg.errors.LockNotAvailable):
                        other.execute("SELECT n FROM lazy_lock_probe FOR UPDATE NOWAIT")
                session.commit()
        with Session(engine) as session:  # a lock held until the end of the transaction, taken by a SELECT
            session.exec(text("SELECT pg_advisory_xact_lock(424242)"))
            assert _status(session)[0] == TransactionStatus.INTRANS
            with psycopg.connect(SERVER.replace("postgresql+psycopg://", "postgresql://")) as other:
                assert other.execute("SELECT pg_try_advisory_xact_lock(424242)").fetchone()[0] is False
            session.commit()
        with Session(engine) as session:  # a setting for the transaction only
            session.exec(text("SELECT set_config('application_name', 'fieldwork-in-transaction', true)"))
            assert _status(session)[0] == TransactionStatus.INTRANS
            session.rollback()


def test_a_caller_asking_for_autocommit_keeps_it():
    """VACUUM and CREATE INDEX CONCURRENTLY refuse to run in a transaction: the caller's AUTOCOMMIT is honoured."""
    engine = _engine(3600, "fieldwork-lazy-begin-autocommit")
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("CREATE TABLE IF NOT EXISTS lazy_vacuum_probe (n int)"))
            connection.execute(text("VACUUM lazy_vacuum_probe"))  # raises in a transaction block
            connection.execute(text("DROP TABLE lazy_vacuum_probe"))
    finally:
        engine.dispose()


def test_a_savepoint_before_any_write_opens_the_transaction_and_nests_in_it():
    """``begin_nested()`` as a request's first statement (an import row checked in a savepoint): SAVEPOINT outside a
    transaction block is an error on PostgreSQL, so it opens the transaction; undoing the savepoint keeps the rest."""
    from psycopg.pq import TransactionStatus
    from sqlmodel import Session

    with _probe_table("lazy_savepoint_probe") as engine:
        with Session(engine) as session:
            with session.begin_nested() as nested:
                assert _status(session)[0] == TransactionStatus.INTRANS
                session.exec(text("INSERT INTO lazy_savepoint_probe VALUES (1)"))
                nested.rollback()
            session.exec(text("INSERT INTO lazy_savepoint_probe VALUES (2)"))
            session.commit()
            assert session.exec(text("SELECT n FROM lazy_savepoint_probe")).all() == [(2,)]


def test_the_read_or_write_decision_is_kept_for_short_texts_only():
    """Decided once per statement text (39 µs of searches on the user's statement); a long text (an IN list of
    thousands of ids) is searched each time and never kept, so the cache stays small."""
    from fieldwork.db import _only_reads, _only_reads_cached

    _only_reads_cached.cache_clear()
    short_read, short_write = "SELECT id FROM household WHERE id = %(id)s", "UPDATE household SET x = 1"
    long_read = "SELECT id FROM household WHERE id IN (" + ", ".join(["%s"] * 2000) + ")"
    long_lock = long_read + " FOR UPDATE"
    assert [_only_reads(t) for t in (short_read, short_write, long_read, long_lock)] == [True, False, True, False]
    assert _only_reads(short_read) and _only_reads_cached.cache_info().currsize == 2
    assert _only_reads_cached.cache_info().hits == 1
