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
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


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
        run_migrations(conn)
        conn.commit()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not used: run `flask db upgrade` against a database.")
run_online()
