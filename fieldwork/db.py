"""Engine, one session per request, and the commit-once-per-request rule.

Services only ``flush()``. A request commits once, after the view returned a response below 400, and rolls back
otherwise. CLI commands and jobs use :func:`session_scope`, which follows the same rule.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
import urllib.parse
from contextlib import closing, contextmanager
from functools import lru_cache, partial
from typing import Iterator, Optional, Sequence

from flask import Flask, abort, current_app, g, has_request_context, jsonify, request
from sqlalchemy import event, exc, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

_ENGINE_KEY = "fieldwork.engine"


def make_engine(url: str, echo: bool = False, pool_size: int = 5, max_overflow: int = 5,
                checkpoint_seconds: float = 0, ping_idle_seconds: float = 10) -> Engine:
    """``pool_size``/``max_overflow`` (PostgreSQL): connections each process keeps and may add. A gunicorn worker
    with T threads needs at most T; workers × (pool_size + max_overflow) must stay under the server's
    max_connections (docs/deploy.md). ``checkpoint_seconds`` (SQLite file): see :func:`_start_checkpointer`.
    ``ping_idle_seconds`` (PostgreSQL): see :func:`_ping_if_idle`."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 15})
        path = engine.url.database or ""
        background = checkpoint_seconds > 0 and path not in ("", ":memory:") and not path.startswith("file:")
        event.listen(engine, "connect", partial(_sqlite_pragmas, checkpoint=(path, checkpoint_seconds)
                                                if background else None))
        event.listen(engine, "savepoint", _sqlite_begin_before_savepoint)
    else:
        # Bulk INSERTs in pages small enough (under 4 KB of SQL) for psycopg to cache the parsed statement: with
        # SQLAlchemy's default 1,000-row pages psycopg re-parses every huge statement, which cost 2.5 s of a
        # 10,000-person import (bench/registry_import.py).
        engine = create_engine(url, echo=echo, pool_size=pool_size, max_overflow=max_overflow,
                               insertmanyvalues_page_size=12)
        event.listen(engine, "checkout", partial(_ping_if_idle, engine.dialect, ping_idle_seconds))
        event.listen(engine, "checkout", _autocommit_until_a_write)
        event.listen(engine, "checkin", _checked_in)
        event.listen(engine, "before_cursor_execute", _begin_before_a_write)
    return engine


# A statement that only reads: SELECT/SHOW, or a WITH whose parts only read, without a row lock, a transaction-level
# advisory lock or a setting for the transaction. Anything else (INSERT, UPDATE, DELETE, SAVEPOINT, DDL, SELECT ...
# FOR UPDATE, SELECT pg_advisory_xact_lock(...), set_config(..., true)) opens the transaction first. Statements are
# the app's SQL with bound parameters: nothing a user typed is ever in this text.
_READ_ONLY = re.compile(r"\s*(SELECT|SHOW|WITH)\b", re.IGNORECASE)
_NOT_ONLY_READS = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|FOR\s+SHARE|FOR\s+KEY\s+SHARE|PG_ADVISORY_XACT_\w+|"
                             r"SET_CONFIG)\b", re.IGNORECASE)


_CACHED_TEXT = 4096  # characters


def _only_reads(statement: str) -> bool:
    """Whether ``statement`` only reads (above), decided once per text. The two searches took 39 µs on the signed-in
    user's statement (1,400 characters), before every statement on PostgreSQL; the app's statements are compiled once
    (SQLAlchemy's cache), so the same few hundred texts come back on every request. Texts that vary (an IN list's
    length, a bulk INSERT's page) can be long: those over 4,096 characters are searched each time, and the cache
    holds at most 512 texts, 2 MB per process."""
    if len(statement) > _CACHED_TEXT:
        return _searched(statement)
    return _only_reads_cached(statement)


def _searched(statement: str) -> bool:
    return bool(_READ_ONLY.match(statement)) and not _NOT_ONLY_READS.search(statement)


_only_reads_cached = lru_cache(maxsize=512)(_searched)


def _autocommit_until_a_write(dbapi_connection, _record, _proxy) -> None:
    """PostgreSQL: a request's reads run without BEGIN and COMMIT, as on SQLite (whose driver begins a transaction
    just before the first INSERT, UPDATE or DELETE); :func:`_begin_before_a_write` opens the transaction at the
    first write, and the request's commit ends it.

    psycopg otherwise sends BEGIN before a connection's first statement, and the request's commit sends COMMIT: two
    more round trips on every page, for the app and for PostgreSQL on the same two cores, where a kept page needs
    two statements of its own (the user, the data revisions). Nothing is lost by it: PostgreSQL runs in READ
    COMMITTED, where every statement sees the data committed when it starts, in a transaction or not; a write and
    every statement after it are still one transaction, committed or rolled back whole; row locks (SELECT ... FOR
    UPDATE) open the transaction first, so they are held until the commit."""
    from psycopg.pq import TransactionStatus

    if dbapi_connection.info.transaction_status == TransactionStatus.IDLE:
        dbapi_connection.autocommit = True


def _begin_before_a_write(conn, cursor, statement, _parameters, _context, _executemany) -> None:
    dbapi_connection = cursor.connection
    if not dbapi_connection.autocommit or _only_reads(statement):
        return
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return  # asked for by the caller (VACUUM, CREATE INDEX CONCURRENTLY): every statement on its own
    dbapi_connection.autocommit = False  # psycopg sends BEGIN before this statement


def _ping_if_idle(dialect, idle_seconds: float, dbapi_connection, record, _proxy) -> None:
    """A pooled connection that sat unused for ``idle_seconds`` is tested (``SELECT 1``) before a request gets it:
    one that died meanwhile (PostgreSQL restarted, a firewall dropped it) is replaced, and the request does not fail.

    SQLAlchemy's ``pool_pre_ping`` tests every connection on every checkout: a round trip per request, which both
    the app and PostgreSQL pay on the same cores. Under load a connection goes back to its pool and out again within
    milliseconds, so it is not tested; if PostgreSQL restarts right then, the requests on connections in use fail as
    they would anyway, and the first error on a dead connection replaces the whole pool."""
    checked_in = record.info.get("checked_in_at")
    if checked_in is None or time.monotonic() - checked_in < idle_seconds:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except Exception as error:  # noqa: BLE001 - any failure: the pool replaces this connection and tries another
        raise exc.DisconnectionError() from error


def _checked_in(_dbapi_connection, record) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _sqlite_pragmas(dbapi_connection, _record, checkpoint: tuple[str, float] | None = None) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Each connection keeps its own page cache (SQLite's default: 2 MB). A worker's 4 threads filled 4 of them
    # over a 10-minute soak on the province file (+9 … +11 % per worker); 1 MB each made no measurable difference
    # to a page's CPU (the operating system's cache serves the rest of the file).
    cursor.execute("PRAGMA cache_size=-1024")
    cursor.execute("PRAGMA journal_size_limit=67108864")  # a log reset after a checkpoint shrinks back to 64 MB
    if checkpoint is not None:
        cursor.execute("PRAGMA wal_autocheckpoint=0")  # the process's checkpoint thread does it instead
        _start_checkpointer(*checkpoint)
    cursor.close()


_checkpointers: dict[tuple[int, str, float], threading.Thread] = {}
_checkpointers_lock = threading.Lock()


def _start_checkpointer(path: str, every: float) -> None:
    """Checkpoints off the request path. In WAL mode SQLite copies the log back into the database file when a
    commit has filled 1,000 pages of it, in the connection that made that commit: on a province-sized file
    (5 GB, its pages scattered and not in memory) that took up to a second (300 one-visit commits on the bench
    province: median 0.07 ms, the one that checkpointed 924 ms), which a member posting a visit waited for, and a
    gunicorn thread with them. Here the request connections never checkpoint; one thread per process (started with
    its first connection, again after a fork) runs a PASSIVE checkpoint every ``every`` seconds on a connection of
    its own: it copies what no reader still needs and never blocks a reader or a writer. When several processes try
    at once, one does it and the others find the log already copied."""
    key = (os.getpid(), os.path.abspath(path), every)
    with _checkpointers_lock:
        thread = _checkpointers.get(key)
        if thread is not None and thread.is_alive():
            return
        thread = threading.Thread(target=_checkpoint_loop, args=(key[1], every), name="sqlite-checkpoint",
                                  daemon=True)
        _checkpointers[key] = thread
        thread.start()


def _checkpoint_loop(path: str, every: float) -> None:
    uri = "file:" + urllib.parse.quote(path) + "?mode=rw"  # never creates a file that was removed
    while True:
        time.sleep(every)
        try:
            with closing(sqlite3.connect(uri, uri=True, timeout=0.1)) as connection:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            if not os.path.exists(path):
                return  # the database is gone (a test's file, a replaced copy): nothing more to do


def _sqlite_begin_before_savepoint(conn, _name) -> None:
    """Open the transaction before a savepoint when no write has opened it yet. Python's sqlite3 module begins a
    transaction only before INSERT/UPDATE/DELETE; a SAVEPOINT issued before any of them would start a transaction
    of its own, and releasing it would COMMIT what it holds at once, apart from the rest of the request (a visit
    without its follow-ups and audit line if the request then failed). After this BEGIN the savepoint nests, and
    SQLAlchemy's commit or rollback ends the whole transaction as on PostgreSQL."""
    dbapi_connection = conn.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


def storable(text: str) -> bool:
    """Whether both databases can keep ``text``: PostgreSQL refuses NUL (U+0000) in text, and neither driver can
    encode a lone surrogate (which JSON's "\\ud800" escapes produce) as UTF-8."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _all_storable(value) -> bool:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return all(_all_storable(k) and _all_storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_all_storable(v) for v in value)
    return True


def _refuse_unstorable_text():
    """Text no database can store is refused (400) before any query, so both backends answer alike: SQLite would
    keep a NUL that PostgreSQL refuses mid-request with a 500. No keyboard types these; a forged request or a broken
    file does."""
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        return None  # never read: refused as too large by the view or by Werkzeug
    texts = [v for data in (request.args, request.form) for _k, v in data.items(multi=True)]
    texts += [f.filename or "" for _k, f in request.files.items(multi=True)]
    if all(storable(t) for t in texts) and (not request.is_json or _all_storable(request.get_json(silent=True))):
        return None
    if request.is_json:
        response = jsonify(error="bad_request")
        response.status_code = 400
        return response
    abort(400)


def _count_queries(app: Flask) -> None:
    """Debug aid, off by default (COUNT_QUERIES, env FIELDWORK_COUNT_QUERIES=1): every response carries
    ``X-Query-Count``, the SQL statements the request ran, so a load test (bench/load.py) shows N+1 patterns per
    endpoint. Counted per request in ``g``; statements outside a request (CLI, jobs) are not counted."""

    @event.listens_for(get_engine(app), "before_cursor_execute")
    def _count(_conn, _cursor, _statement, _parameters, _context, _executemany) -> None:
        if has_request_context():
            g.query_count = g.get("query_count", 0) + 1

    @app.after_request
    def _header(response):
        response.headers["X-Query-Count"] = str(g.get("query_count", 0))
        return response


def init_app(app: Flask) -> None:
    app.extensions[_ENGINE_KEY] = make_engine(app.config["DATABASE_URL"], app.config.get("SQL_ECHO", False),
                                              int(app.config["DB_POOL_SIZE"]), int(app.config["DB_MAX_OVERFLOW"]),
                                              float(app.config["SQLITE_CHECKPOINT_SECONDS"]),
                                              float(app.config["DB_PING_IDLE_SECONDS"]))
    from . import pagecache

    pagecache.init_app(app, app.extensions[_ENGINE_KEY])
    app.before_request(_refuse_unstorable_text)
    if app.config.get("COUNT_QUERIES"):
        _count_queries(app)

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


def discard_request_session() -> None:
    """Roll back the request's session after an unexpected error: what it did is lost anyway, and the error page
    must still be able to read (the signed-in user, for the layout) instead of failing on the broken transaction."""
    session = g.get("db_session")
    if session is not None:
        session.rollback()


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


_INSERTS: dict = {}  # a table's INSERT, built once (its cache key is then computed once too)


def read_rows(session: Session, statement, params: Optional[dict] = None) -> list:
    """The rows of a SELECT of columns (not entities), run on the session's connection in its transaction: the same
    rows as ``session.exec(statement).all()`` without the ORM's loading machinery, which cost a fifth of a query of
    150 rows (a member's people on the worklist). Pending ORM changes are not flushed first: for read paths."""
    return session.connection().execute(statement, params or {}).all()


def insert_rows(session: Session, objects: Sequence[SQLModel]) -> None:
    """INSERT the rows of ``objects`` on the session's connection, one Core statement per table, in order: without
    the ORM's unit of work, which cost more than the statements for the rows a visit adds (its follow-up, its audit
    line). The objects stay outside the session and their generated ids are not read back: for rows nobody reads in
    the same request."""
    batches: dict = {}
    for obj in objects:
        table = type(obj).__table__
        batches.setdefault(table, []).append({
            column.key: value for column in table.columns
            if (value := getattr(obj, column.key)) is not None or not column.primary_key})
    connection = session.connection()
    for table, rows in batches.items():
        statement = _INSERTS.get(table)
        if statement is None:
            statement = _INSERTS[table] = insert(table)
        connection.execute(statement, rows)

