"""Alembic environment: the app's engine (or a connection handed in by tests) and SQLModel's metadata."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import fieldwork.models  # noqa: F401  (registers every table on SQLModel.metadata)
from fieldwork.migrate import include_object

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_, obj, autogen_context):
    # Our UTC type is a DateTime(timezone=True) in the database; keep migrations free of app imports.
    if type_ == "type" and obj.__class__.__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations(connection) -> None:
    # A migration's writes do not raise the pages' data revision (fieldwork/pagecache.py): the table may not exist
    # yet, or no more. Kept pages live in server processes, which are restarted after a migration anyway.
    connection.info["fieldwork.migrating"] = True
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        include_object=include_object,
        compare_type=True,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.info.pop("fieldwork.migrating", None)


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = config.attributes.get("engine")
    if engine is None:
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        conn.info["fieldwork.migrating"] = True
        try:
            run_migrations(conn)
            conn.commit()
        finally:
            conn.info.pop("fieldwork.migrating", None)


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not used: run `flask db upgrade` against a database.")
run_online()
