"""Alembic, driven from the app: the migrations live in ``migrations/`` at the project root."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from flask import Flask
from sqlalchemy.engine import Connection

from . import PROJECT_ROOT
from .db import get_engine


# Created by migrations with dialect-specific DDL, invisible to the metadata: not drift.
UNMODELLED_TABLE_PREFIX = "search_fts"
UNMODELLED_INDEXES = {"ix_search_entry_doc_tsv", "ix_search_entry_tsv"}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table" and name and name.startswith(UNMODELLED_TABLE_PREFIX):
        return False
    if type_ == "index" and name in UNMODELLED_INDEXES:
        return False
    return True


def alembic_config(app: Flask, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    cfg.attributes["engine"] = get_engine(app)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    command.upgrade(alembic_config(app), revision)
