"""Online backups and restores: ``flask backup create`` and ``flask backup restore FILE``.

SQLite: the backup API copies a consistent snapshot while the app keeps serving (readers and writers only wait for
the pages being copied). PostgreSQL: ``pg_dump`` in its custom format, a consistent snapshot of one transaction;
``pg_restore --clean`` puts it back. Files are named by the moment they were taken (``fieldwork-20261123-2210.*``)
so a nightly cron keeps a dated series; nothing here deletes old backups (rotation is the operator's choice).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from .text import LOCAL_TZ

SQLITE_SUFFIX = ".sqlite3"
PG_SUFFIX = ".pgdump"


class BackupError(RuntimeError):
    pass


def _stamp() -> str:
    return datetime.now(LOCAL_TZ).strftime("%Y%m%d-%H%M%S")


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg_env(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL client tools, the password passed in the environment only."""
    parsed = make_url(url)
    args = ["--host", parsed.host or "127.0.0.1", "--port", str(parsed.port or 5432),
            "--username", parsed.username or "postgres", "--dbname", parsed.database or ""]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools (apt-get install postgresql-client)")
    return path


def create(url: str, directory: Path) -> Path:
    """A consistent copy of the database at ``url`` in ``directory``; returns the file written."""
    directory.mkdir(parents=True, exist_ok=True)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        target = directory / f"fieldwork-{_stamp()}{SQLITE_SUFFIX}"
        with sqlite3.connect(_sqlite_path(url)) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        os.chmod(target, 0o600)
        return target
    if backend == "postgresql":
        target = directory / f"fieldwork-{_stamp()}{PG_SUFFIX}"
        args, env = _pg_env(url)
        result = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *args],
                                env=env, capture_output=True, text=True)
        if result.returncode != 0:
            target.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        os.chmod(target, 0o600)
        return target
    raise BackupError(f"no backup method for {backend}")


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` by the backup in ``source``. Stop the app first: the database is overwritten."""
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        if source.suffix != SQLITE_SUFFIX:
            raise BackupError(f"{source.name} is not a SQLite backup ({SQLITE_SUFFIX})")
        try:
            with sqlite3.connect(source) as backup:
                if backup.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    raise BackupError(f"{source.name} is damaged (integrity check failed)")
                with sqlite3.connect(_sqlite_path(url)) as live:
                    backup.backup(live)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source.name} is not a readable SQLite database: {error}") from error
        return
    if backend == "postgresql":
        if source.suffix != PG_SUFFIX:
            raise BackupError(f"{source.name} is not a PostgreSQL backup ({PG_SUFFIX})")
        args, env = _pg_env(url)
        result = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                                 "--exit-on-error", *args, str(source)], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
        return
    raise BackupError(f"no restore method for {backend}")
