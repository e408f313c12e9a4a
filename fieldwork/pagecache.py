"""Rendered pages kept in memory per process, served again until the next write in the commune.

The pages people open most — a member's worklist and households, an official's dashboard and report previews — are
read many times between two writes: a member opens the worklist again after every visit they log, an official
reloads the dashboard. Building one costs 5–30 SQL statements and thousands of Python objects; serving it again
costs one indexed read.

**Exact, not timed.** Every transaction that writes (any INSERT, UPDATE or DELETE on the app's engine, whatever code ran
it: a view, a service, a command, a test fixture) raises a counter in ``data_revision`` in the same transaction, just
before it commits: a member's village's, an official's commune's, or the row (0, 0) that concerns every commune when the
writer has no commune (an admin, a command, a sign-in that failed). A kept page is keyed by the counters its reader's
pages depend on (a member: their village's, their commune's own and (0, 0), since members see only their village; an
official: every counter of the commune), read with the user in the request's first statement, before any of the page's
data, so no worker serves a page built before a write it can see. The key also holds the user (pages differ by role and
assignment, and scope was checked for that user when the page was built), the path with its query, the htmx headers
(partial or whole page), the language and the local date (the worklist's "overdue" and the report's running week move at
midnight); an entry can also be given a ``max_age`` (the household page: the 24-hour correction rule moves with the
clock).

**What is not kept.** Anything but a 200 HTML answer to a GET; a request with messages waiting to be shown (they
are shown once); users without a commune (admins see every commune). The CSRF token differs per session: a kept page
is kept without it and served with the reader's. Only views that leave the session alone use it.

Per process (each gunicorn worker its own), bounded by ``PAGE_CACHE_MB``, least recently used first out;
``PAGE_CACHE_MB = 0`` turns it off. With ``PAGE_CACHE_URL`` (a Redis server, the setting for a province) every worker
of a server shares one store instead (:class:`SharedStore`): a page built by one worker is served by all of them.
Pages are kept gzip-ready (fieldwork/gzpage.py: compressed once when built, at the level every page is sent at, a
quarter to a sixth of the text's size), so 4 MB hold about as many pages as 16 MB of text would, and serving one again
compresses nothing.
Measured in docs/performance.md.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import secrets
import threading
import time
from collections import OrderedDict
from typing import Callable, Optional

from flask import Flask, Response, current_app, g, has_request_context, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import and_, bindparam, case, event, func, literal, select

from .models import DataRevision, Role, User
from . import gzpage
from .offline.web import offline_owner, wants_gzip
from .text import local_today

FLAG = "fieldwork.wrote"
MIGRATING = "fieldwork.migrating"  # set by migrations/env.py: a migration's writes raise nothing
EVERY_COMMUNE = 0
_WRITES = ("INSERT", "UPDATE", "DELETE")
_BUMP = ("INSERT INTO data_revision (commune_id, village_id, revision) VALUES ({p}, {p}, 1) "
         "ON CONFLICT (commune_id, village_id) DO UPDATE SET revision = data_revision.revision + 1")


# --- the counter -------------------------------------------------------------------------------------------------


def watch(engine) -> None:
    """Mark every connection of ``engine`` that writes, and raise the counter when it commits."""
    bump = _BUMP.format(p="?" if engine.dialect.name == "sqlite" else "%s")

    @event.listens_for(engine, "before_cursor_execute")
    def _mark(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        head = statement.lstrip()[:6].upper()
        if head in _WRITES and "data_revision" not in statement[:40] and MIGRATING not in conn.info:
            conn.info[FLAG] = True

    @event.listens_for(engine, "commit")
    def _raise(conn) -> None:
        if not conn.info.pop(FLAG, False):
            return
        # Straight on the DB-API connection, inside the transaction being committed: no SQLAlchemy state to disturb.
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(bump, _writer_scope())
        finally:
            cursor.close()

    @event.listens_for(engine, "rollback")
    def _forget(conn) -> None:
        conn.info.pop(FLAG, None)


def _writer_scope() -> tuple[int, int]:
    """(commune, village) of the row to raise: a member's village, an official's commune, else (0, 0)."""
    if has_request_context():
        user = g.get("_login_user")  # Flask-Login's loaded user, without loading it here mid-commit
        if getattr(user, "is_authenticated", False) and getattr(user, "commune_id", None):
            village_id = user.village_id if user.role == Role.MEMBER and user.village_id else EVERY_COMMUNE
            return user.commune_id, village_id
    return EVERY_COMMUNE, EVERY_COMMUNE


def _revision(commune, village):
    return (select(DataRevision.revision)
            .where(DataRevision.commune_id == commune, DataRevision.village_id == village).scalar_subquery())


def _revision_columns(commune, village, in_a_village):
    """The counters a user's pages depend on, as four SQL columns: (0, 0); then, for a member of a village, the
    rows (commune, 0) and (commune, village); for anyone else the sum of every row of their commune (counters only
    rise, so the sum changes with any of them). A row not written yet is NULL."""
    commune_sum = select(func.sum(DataRevision.revision)).where(DataRevision.commune_id == commune).scalar_subquery()
    return (_revision(0, 0), case((in_a_village, _revision(commune, 0))),
            case((in_a_village, _revision(commune, village))), case((in_a_village, None), else_=commune_sum))


def with_revisions(user_statement):
    """``user_statement`` (a SELECT of one user) with the user's data revisions as four more columns: the request
    loads its user and what its kept pages depend on in one statement (:func:`remember_revisions`)."""
    return user_statement.add_columns(*_revision_columns(
        User.commune_id, User.village_id, and_(User.role == Role.MEMBER, User.village_id.is_not(None))))


def remember_revisions(user, columns) -> None:
    """Keep the revisions loaded with the request's user for :func:`revisions`."""
    g._data_revisions = (user.id, tuple(columns))


def revisions(db, user) -> tuple:
    """What the user's pages depend on: loaded with the user at the start of the request (one statement fewer
    per page), else read now. Read before the page's data, never after: a write committed in between makes a page
    with newer data kept under the older counters, which no request reads any more."""
    loaded = g.get("_data_revisions")
    if loaded is not None and loaded[0] == user.id:
        return loaded[1]
    in_a_village = user.role == Role.MEMBER and user.village_id is not None
    columns = _revision_columns(bindparam("c", user.commune_id), bindparam("v", user.village_id),
                                literal(in_a_village))
    return tuple(db.execute(select(*columns)).one())


# --- the store ---------------------------------------------------------------------------------------------------


class Store:
    """Least recently used first out, bounded in bytes; thread-safe (gthread workers)."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit = limit_bytes
        self.size = 0
        self.hits = self.misses = 0
        # key → (stored at, status, headers, body, the offline copy's owner: fieldwork/offline/web.py)
        self._entries: OrderedDict[tuple, tuple[float, int, list, bytes, Optional[int]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, max_age: Optional[float]):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or (max_age is not None and time.monotonic() - entry[0] > max_age):
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple, status: int, headers: list, body: bytes, owner: Optional[int] = None,
            age: float = 0.0) -> None:
        """``age``: seconds since the page was built (one kept elsewhere first), for ``max_age``."""
        if len(body) > self.limit // 8:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= len(old[3])
            self._entries[key] = (time.monotonic() - age, status, headers, body, owner)
            self.size += len(body)
            while self.size > self.limit and self._entries:
                _key, dropped = self._entries.popitem(last=False)
                self.size -= len(dropped[3])

    def __len__(self) -> int:
        return len(self._entries)


_SKIPPED_HEADERS = {"content-length", "set-cookie"}


def store(app: Flask | None = None) -> Optional[Store | SharedStore]:
    return (app or current_app).extensions.get("fieldwork.pagecache")


class SharedStore:
    """The kept pages of every worker process in one Redis store (``PAGE_CACHE_URL``), each entry expiring
    ``PAGE_CACHE_SECONDS`` after it was last read.

    Keys carry a generation drawn when the app is created: gunicorn's workers, forked from one preloaded app, share
    it, and a restart (after an upgrade or a restore from a backup, which sets the counters back) starts a new one,
    so no page built from other data or code is ever served. Values are JSON and the compressed page, never pickles.
    A Redis server that fails or is slow costs the page its being kept, never the page: the store is then left alone
    for a few seconds and pages are built as without it.

    Each worker also keeps the pages it last built or fetched in front of Redis (a :class:`Store` of ``local_bytes``,
    ``PAGE_CACHE_MB``): a key names one page for good (its counters, user, path, date and generation are in it), so a
    copy is never stale, and serving it again saves Redis's round trip. Such a read leaves the entry's expiry in Redis
    as it was; if it expires there, another worker builds the page again."""

    RETRY_SECONDS = 5.0
    TIMEOUT_SECONDS = 0.25
    MAX_BYTES = 1024 * 1024

    def __init__(self, url: str, seconds: int, generation: Optional[str] = None, local_bytes: int = 0) -> None:
        import redis

        self._errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(url, socket_timeout=self.TIMEOUT_SECONDS,
                                           socket_connect_timeout=self.TIMEOUT_SECONDS)
        self.seconds = max(1, int(seconds))
        self.generation = generation or secrets.token_hex(8)
        self.prefix = f"fieldwork:page:{self.generation}:".encode()
        self.hits = self.misses = 0
        self.failures = 0
        self._down, self._down_until = False, 0.0
        self.local = Store(local_bytes) if local_bytes > 0 else None

    def _name(self, key: tuple) -> bytes:
        return self.prefix + hashlib.blake2b(repr(key).encode(), digest_size=20).hexdigest().encode()

    def _failed(self, error: Exception) -> None:
        self.failures += 1
        if not self._down:
            logging.getLogger(__name__).warning("kept pages: Redis failed (%s); pages are built without it, "
                                                "tried again every %.0f s", error, self.RETRY_SECONDS)
        self._down = True
        self._down_until = time.monotonic() + self.RETRY_SECONDS

    def _answered(self) -> None:
        if self._down:
            self._down = False
            logging.getLogger(__name__).warning("kept pages: Redis answers again")

    def get(self, key: tuple, max_age: Optional[float]):
        if self.local is not None:
            entry = self.local.get(key, max_age)
            if entry is not None:
                self.hits += 1
                return entry
        value = None
        if time.monotonic() >= self._down_until:
            try:
                value = self.client.getex(self._name(key), ex=self.seconds)
            except self._errors as error:
                self._failed(error)
            else:
                self._answered()
        if value is not None:
            meta, _, body = value.partition(b"\n")
            try:
                stored_at, status, headers, owner = json.loads(meta)
            except ValueError:  # not an entry of ours: built again, and overwritten
                stored_at = None
            if stored_at is not None and (max_age is None or time.time() - stored_at <= max_age):
                self.hits += 1
                headers = [tuple(h) for h in headers]
                if self.local is not None:
                    self.local.put(key, status, headers, body, owner, age=max(0.0, time.time() - stored_at))
                return stored_at, status, headers, body, owner
        self.misses += 1
        return None

    def put(self, key: tuple, status: int, headers: list, body: bytes, owner: Optional[int] = None) -> None:
        if self.local is not None:
            self.local.put(key, status, headers, body, owner)
        if len(body) > self.MAX_BYTES or time.monotonic() < self._down_until:
            return
        meta = json.dumps([time.time(), status, headers, owner], ensure_ascii=True).encode()
        try:
            self.client.set(self._name(key), meta + b"\n" + body, ex=self.seconds)
        except self._errors as error:
            self._failed(error)
        else:
            self._answered()


def init_app(app: Flask, engine) -> None:
    watch(engine)
    megabytes = float(app.config.get("PAGE_CACHE_MB") or 0)
    url = app.config.get("PAGE_CACHE_URL") or ""
    if megabytes <= 0:
        pages = None
    elif url:
        pages = SharedStore(url, int(app.config.get("PAGE_CACHE_SECONDS") or 300),
                            local_bytes=int(megabytes * 1024 * 1024))
    else:
        pages = Store(int(megabytes * 1024 * 1024))
    app.extensions["fieldwork.pagecache"] = pages


def _key(commune_id: int, revision: tuple) -> tuple:
    headers = request.headers
    return (request.endpoint, request.full_path, headers.get("HX-Request"), headers.get("HX-Boosted"),
            headers.get("HX-History-Restore-Request"), current_user.id, str(get_locale()), local_today(),
            commune_id, revision)


def _serve(response: Response, packed: bytes, token: bytes) -> None:
    """The kept page as ``response``'s body, with ``token`` in it: gzip-compressed as packed when the client takes
    gzip (fieldwork/gzpage.py), else as text. ``g.kept_page_etag`` tells fieldwork/offline/web.py the body's ETag
    and that it is compressed already."""
    body = gzpage.gzipped(packed, token) if wants_gzip(gzpage.text_length(packed)) else None
    if body is None:
        response.set_data(gzpage.unpacked(packed, token))
    else:
        response.set_data(body)
        response.headers["Content-Encoding"] = "gzip"
    g.kept_page_etag = gzpage.etag(packed)


def cached(view: Callable = None, *, max_age: Optional[float] = None):
    """Serve the view's page from the store while none of its reader's counters moved (see the module)."""
    if view is None:
        return functools.partial(cached, max_age=max_age)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        pages = store()
        commune_id = getattr(current_user, "commune_id", None) if current_user.is_authenticated else None
        if pages is None or request.method != "GET" or not commune_id or session.get("_flashes"):
            return view(*args, **kwargs)
        from .db import get_session

        key = _key(commune_id, revisions(get_session(), current_user))
        entry = pages.get(key, max_age)
        if entry is not None:
            _stored_at, status, headers, packed, owner = entry
            g.offline_owner = owner
            response = Response(b"", status=status, headers=headers)
            _serve(response, packed, generate_csrf().encode())
            return response
        response = make_response(view(*args, **kwargs))
        if (response.status_code == 200 and response.mimetype == "text/html" and not response.is_streamed
                and not session.get("_flashes")):
            token = g.get("csrf_token")
            packed = gzpage.pack(response.get_data(), token.encode() if token else None)
            if packed is not None:
                headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _SKIPPED_HEADERS]
                pages.put(key, response.status_code, headers, packed, offline_owner())
                _serve(response, packed, token.encode() if token else b"")
        return response

    return wrapper
