"""Configuration: defaults here, then ``instance/config.py``, then ``FIELDWORK_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class Defaults:
    # Filled in by create_app() from the instance folder when left empty.
    DATABASE_URL = ""
    SECRET_KEY = ""

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

    # Uploads (household lists) are refused before parsing above this size.
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024

    SQL_ECHO = False


def default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "fieldwork.sqlite3")


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgresql://`` spelling and route it through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def instance_secret_key(instance_path: str) -> str:
    """Read the instance's secret key, generating it on first start (never a hard-coded key)."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
