"""What every response gets for a phone on a weak signal, hooked on the app by this blueprint.

* Static files are versioned by content (``?v=<hash>`` added by ``url_for('static', ...)``) and, at their current
  version, cached for a year: a phone never asks for them again until they change.
* Text responses (HTML, CSS, JS, JSON, SVG) are gzipped when the browser accepts it. Done here, with the standard
  library, rather than with an extension: a few lines, no dependency, and the static files' gzip is kept in memory.
* Pages the phone may keep for offline use (the member's worklist, the households currently assigned to them) carry
  ``X-Fieldwork-Offline: <user id>``; the service worker caches only those, under that user. They also carry an ETag
  (the page without its CSRF token), so the service worker's background refresh costs a 304 when nothing changed.
* A background refresh (``X-Fieldwork-Prefetch``) never consumes the flash messages meant for the page the member
  is about to see.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import current_app, g, request
from flask.globals import request_ctx
from flask_login import current_user
from jinja2.utils import htmlsafe_json_dumps

from ..models import Household, Role
from . import bp

PREFETCH_HEADER = "X-Fieldwork-Prefetch"
OFFLINE_HEADER = "X-Fieldwork-Offline"
COMPRESSIBLE = {"text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                "application/manifest+json", "image/svg+xml", "text/plain"}
MIN_COMPRESS = 512
YEAR = 365 * 24 * 3600


# --- versioned static files --------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _file_version(path: str, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def asset_version(filename: str) -> str | None:
    path = Path(current_app.static_folder) / filename
    try:
        return _file_version(str(path), path.stat().st_mtime_ns)
    except OSError:
        return None


@bp.app_url_defaults
def _version_static_urls(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = asset_version(values["filename"])
        if version:
            values["v"] = version


# --- what the page tells its script -------------------------------------------------------------------------------


@bp.app_context_processor
def _offline_context() -> dict:
    return {"offline_status": offline_status}


def offline_status() -> dict:
    """For ``offline/_status.html``: who is signed in, the script's messages, and for officials the visits to review."""
    from ..db import get_session

    signed_in = current_user.is_authenticated
    official = signed_in and current_user.role in (Role.OFFICIAL, Role.ADMIN)
    return {
        "user_id": current_user.id if signed_in else None,
        "role": current_user.role.value if signed_in else "",
        # Unescaped Vietnamese (half the bytes of \u escapes), still safe inside <script>.
        "texts": _texts_json(),
        "attention": _attention_count(get_session(), current_user) if official else 0,
    }


def _texts_json() -> str:
    """The script's messages as JSON, made once per process and catalogue (the current request's language)."""
    from ..i18n import per_catalogue
    from .texts import phone_texts

    return per_catalogue("phone_texts", lambda: htmlsafe_json_dumps(phone_texts(), ensure_ascii=False))


def _attention_count(db, user) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from ..visits.services import attention_count

    try:
        return attention_count(db, user)
    except SQLAlchemyError:  # an error page rendered after a failed transaction still renders
        return 0


# --- requests and responses ----------------------------------------------------------------------------------------


@bp.before_app_request
def _keep_flashes_for_the_page() -> None:
    if request.headers.get(PREFETCH_HEADER):
        request_ctx.flashes = []  # get_flashed_messages() then leaves the session alone


@bp.after_app_request
def _for_weak_signal(response):
    if request.endpoint == "static":
        _cache_static(response)
    elif request.method == "GET" and response.status_code == 200 and response.mimetype == "text/html":
        _mark_offline_page(response)
    _compress(response)
    return response


def _cache_static(response) -> None:
    filename = (request.view_args or {}).get("filename", "")
    if request.args.get("v") and request.args.get("v") == asset_version(filename):
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
        response.cache_control.no_cache = None


def offline_owner() -> int | None:
    """The member this page may be kept on the phone for: their worklist and their current households only.

    Worked out once per request (``g.offline_owner``); a page served from the kept pages (fieldwork/pagecache.py)
    brings the answer it was kept with, which depends on the same data as the page."""
    if "offline_owner" not in g:
        g.offline_owner = _offline_owner()
    return g.offline_owner


def _offline_owner() -> int | None:
    from ..db import get_session
    from ..htmx import wants_partial
    from ..security import is_assigned_to

    if not current_user.is_authenticated or current_user.role != Role.MEMBER or wants_partial():
        return None
    if request.endpoint == "main.home" and not request.args:
        return current_user.id
    if request.endpoint == "households.detail":
        db = get_session()
        household = db.get(Household, request.view_args["household_id"])
        if household is not None and household.archived_at is None and is_assigned_to(db, current_user, household):
            return current_user.id
    return None


def _mark_offline_page(response) -> None:
    owner = offline_owner()
    if owner is None:
        return
    response.headers[OFFLINE_HEADER] = str(owner)
    response.headers["Cache-Control"] = "private, no-store"  # kept by the service worker only, under its owner
    etag = g.get("kept_page_etag")  # a kept page's, computed when it was built (fieldwork/pagecache.py)
    if etag is None:
        body = response.get_data()
        token = g.get("csrf_token")
        if token:
            body = body.replace(token.encode(), b"")
        etag = hashlib.sha256(body).hexdigest()[:32]
    response.set_etag(etag)
    if request.headers.get(PREFETCH_HEADER):
        response.make_conditional(request)
    response.vary.add("Cookie")


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0 or request.accept_encodings["*"] > 0


def wants_gzip(length: int) -> bool:
    """Whether a text answer of ``length`` bytes is sent gzip-compressed to this request (as :func:`_compress`
    decides): for fieldwork/pagecache.py, which has its pages compressed already."""
    return length >= MIN_COMPRESS and _accepts_gzip()


@lru_cache(maxsize=64)
def _gzip_static(path: str, mtime_ns: int) -> bytes:
    return gzip.compress(Path(path).read_bytes(), 6)


def _compress(response) -> None:
    if g.get("kept_page_etag") is not None and response.headers.get("Content-Encoding") == "gzip":
        # A kept page, compressed when it was built (fieldwork/pagecache.py). A 304 (the phone's copy is current)
        # carries the ETag and Vary its 200 would; Werkzeug has left the body and its encoding out.
        _gzipped(response)
        return
    if (response.mimetype not in COMPRESSIBLE or response.status_code < 200 or response.status_code in (204, 206, 304)
            or request.method == "HEAD" or "Content-Encoding" in response.headers or not _accepts_gzip()):
        return
    response.vary.add("Accept-Encoding")
    if request.endpoint == "static":
        path = Path(current_app.static_folder) / request.view_args["filename"]
        if hasattr(response.response, "close"):
            response.response.close()  # the open file send_file handed over
        response.direct_passthrough = False
        data = _gzip_static(str(path), path.stat().st_mtime_ns)
    elif response.is_streamed:
        return
    else:
        raw = response.get_data()
        if len(raw) < MIN_COMPRESS:
            return
        data = gzip.compress(raw, 6)
    response.set_data(data)
    response.headers["Content-Encoding"] = "gzip"
    _gzipped(response)


def _gzipped(response) -> None:
    response.vary.add("Accept-Encoding")
    if response.get_etag()[0]:
        response.set_etag(response.get_etag()[0], weak=True)  # another representation of the same content
