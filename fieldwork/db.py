"""Engine, one session per request, and the commit-once-per-request rule.

Services only ``flush()``. A request commits once, after the view returned a response below 400, and rolls back
otherwise. CLI commands and jobs use :func:`session_scope`, which follows the same rule.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

_ENGINE_KEY = "fieldwork.engine"


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # Bulk INSERTs in pages small enough (under 4 KB of SQL) for psycopg to cache the parsed statement: with
        # SQLAlchemy's default 1,000-row pages psycopg re-parses every huge statement, which cost 2.5 s of a
        # 10,000-person import (bench/registry_import.py).
        engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=5,
                               insertmanyvalues_page_size=12)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    app.extensions[_ENGINE_KEY] = make_engine(app.config["DATABASE_URL"], app.config.get("SQL_ECHO", False))

    @app.after_request
    def _commit_or_rollback(response):
        session = g.pop("db_session", None)
        if session is not None:
            try:
                if response.status_code < 400:
                    session.commit()
                else:
                    session.rollback()
            finally:
                session.close()
        return response

    @app.teardown_request
    def _close(_exc):
        # Reached with a session still open only when the view raised: nothing it did is kept.
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions[_ENGINE_KEY]


def get_session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A unit of work for CLI commands and jobs: commit once at the end, roll back on error."""
    session = Session(get_engine(app), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
