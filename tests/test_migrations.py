"""The models and the migrations agree, on every backend; and the migrations go down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from fieldwork import create_app
from fieldwork.db import get_engine
from fieldwork.migrate import alembic_config, include_object
from tests.conftest import create_pg_database, drop_pg_database


def _diff(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        return compare_metadata(context, SQLModel.metadata)


def test_models_and_migrations_agree(app):
    assert _diff(get_engine(app)) == []


def test_migrations_downgrade_to_nothing_and_upgrade_again(backend, tmp_path):
    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}" if backend == "sqlite" else create_pg_database()
    try:
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "i"), "SECRET_KEY": "x"})
        cfg = alembic_config(app)
        command.upgrade(cfg, "head")
        command.downgrade(cfg, "base")
        assert set(inspect(get_engine(app)).get_table_names()) <= {"alembic_version"}  # FTS tables gone too
        command.upgrade(cfg, "head")
        assert _diff(get_engine(app)) == []
        get_engine(app).dispose()
    finally:
        if backend == "postgresql":
            drop_pg_database(url)
