"""Configuration: defaults here, then ``instance/config.py``, then ``FIELDWORK_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
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

    # Served over HTTPS (FIELDWORK_HTTPS=1): Secure cookies named __Host-..., HSTS. See fieldwork/headers.py.
    HTTPS = False
    # How many reverse proxies in front set X-Forwarded-For and X-Forwarded-Proto (FIELDWORK_TRUSTED_PROXIES=1
    # behind nginx). Left at 0, those headers are ignored: anyone could forge them to dodge the per-address limit.
    TRUSTED_PROXIES = 0

    # How long a login lasts without use (idle) and at most (absolute), by role. Members work in the field for
    # days on their own phone, whose offline queue holds visits until they sign in again; officials and admins
    # sit at shared commune desktops. "Remember me" only keeps the cookie after the browser closes, within these.
    SESSION_IDLE_MINUTES_MEMBER = 3 * 24 * 60
    SESSION_MAX_MINUTES_MEMBER = 30 * 24 * 60
    SESSION_IDLE_MINUTES_STAFF = 2 * 60
    SESSION_MAX_MINUTES_STAFF = 12 * 60
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)  # the remembered cookie; the limits above end it sooner
    # A one-time password given by an official must be used (and replaced) within this many days.
    ONE_TIME_PASSWORD_DAYS = 7

    # Failed password attempts (sign-in and change of password), counted per account (the phone typed) and per
    # address. Counts live in memory (per process) unless RATELIMIT_STORAGE_URI names a shared store, e.g.
    # FIELDWORK_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0 (pip install "fieldwork[redis]").
    LOGIN_LIMIT_PER_ACCOUNT = "10 per 15 minutes; 50 per day"
    LOGIN_LIMIT_PER_ADDRESS = "50 per 15 minutes; 500 per day"  # generous: behind a carrier NAT, a commune is one
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_KEY_PREFIX = "fieldwork"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # a Redis outage falls back to per-process counts, never to none

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

    # Uploads (household lists) are refused before parsing above this size.
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024

    SQL_ECHO = False
    # PostgreSQL connections per process (FIELDWORK_DB_POOL_SIZE, FIELDWORK_DB_MAX_OVERFLOW): see docs/deploy.md.
    DB_POOL_SIZE = 5
    DB_MAX_OVERFLOW = 5
    # PostgreSQL: a pooled connection unused this long is tested before a request gets it (fieldwork/db.py), so one
    # that died (a restart of PostgreSQL) is replaced without an error (FIELDWORK_DB_PING_IDLE_SECONDS).
    DB_PING_IDLE_SECONDS = 10.0
    # SQLite: every this many seconds a thread of each process copies the write-ahead log into the database file
    # (a PASSIVE checkpoint), so no request waits for it (FIELDWORK_SQLITE_CHECKPOINT_SECONDS); 0 leaves it to SQLite,
    # which makes the request whose commit filled 1,000 pages of log do it. See fieldwork/db.py.
    SQLITE_CHECKPOINT_SECONDS = 1.0
    # Rendered pages kept per process (fieldwork/pagecache.py), in MB of compressed pages (about 4 MB of page text
    # each); 0 turns the cache off (FIELDWORK_PAGE_CACHE_MB).
    PAGE_CACHE_MB = 4
    # Kept pages shared by every worker process in a Redis server (FIELDWORK_PAGE_CACHE_URL=redis://host:6379/1,
    # `make install-redis` for the client), the setting for a province: a page built by one worker is served by all of
    # them; each worker keeps only the pages it last served (PAGE_CACHE_MB) in front of Redis. Each page expires
    # PAGE_CACHE_SECONDS after it was last read from Redis. Empty: each process keeps its own (PAGE_CACHE_MB).
    # See docs/deploy.md for sizing the Redis server.
    PAGE_CACHE_URL = ""
    PAGE_CACHE_SECONDS = 300


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
