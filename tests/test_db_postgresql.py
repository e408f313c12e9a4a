"""PostgreSQL's pooled connections: tested before use only after sitting idle, replaced when they died meanwhile.

Runs against the machine's PostgreSQL server (FIELDWORK_TEST_DATABASE_URL, else the one every test machine has).
"""

from __future__ import annotations

import os
import time

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
