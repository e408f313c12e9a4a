"""How long a login lasts, and the password change that comes before anything else.

The session records when the user signed in and when they were last seen (UTC seconds, inside the signed cookie, so
a copied cookie ages like the original). A login ends after the role's idle time without a request, or its absolute
time after signing in, whatever the cookie's own expiry. Members (their own phone, days in the field, an offline
queue that waits for them to sign in again) get days; officials and admins (shared commune desktops) get hours.
The service worker's background refresh of kept pages (``X-Fieldwork-Prefetch``) is not the user being there and
does not count as activity.
"""

from __future__ import annotations

import time

from flask import current_app, flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from ..extensions import htmx
from ..models import Role, User
from . import bp

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
SEEN_GRANULARITY = 60  # seconds: the cookie is not rewritten on every click

# What a user who must change their password can still reach: the change itself, signing out, the language, and the
# app shell (nothing personal in it).
OPEN_BEFORE_CHANGE = {"auth.change_password", "auth.logout", "auth.set_language", "static",
                      "offline.service_worker", "offline.manifest", "offline.offline_page"}


def lifetimes(role: Role) -> tuple[int, int]:
    """(idle, absolute) lifetime in seconds for this role."""
    kind = "MEMBER" if role == Role.MEMBER else "STAFF"
    config = current_app.config
    return config[f"SESSION_IDLE_MINUTES_{kind}"] * 60, config[f"SESSION_MAX_MINUTES_{kind}"] * 60


def sign_in(user: User, *, remember: bool) -> None:
    """A fresh session (no fixation) with its clock started. ``remember`` keeps the cookie after the browser is
    closed; the lifetimes apply either way. Flask-Login's own remember cookie is not used: it would outlive them."""
    session.clear()
    login_user(user, remember=False)
    now = int(time.time())
    session[SIGNED_IN_AT] = session[SEEN_AT] = now
    session.permanent = bool(remember)


def refresh_login(user: User) -> None:
    """After a password change: this session carries the new session version, keeping its clock."""
    clock = session.get(SIGNED_IN_AT), session.get(SEEN_AT), session.permanent
    login_user(user, remember=False)
    session[SIGNED_IN_AT], session[SEEN_AT], session.permanent = clock


def _expired(now: int) -> bool:
    idle, absolute = lifetimes(current_user.role)
    signed_in, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    return signed_in is None or seen is None or now - signed_in > absolute or now - seen > idle


@bp.before_app_request
def enforce_lifetime():
    if request.endpoint in (None, "static") or not current_user.is_authenticated:
        return None
    now = int(time.time())
    if _expired(now):
        logout_user()
        session.clear()
        flash(gettext("Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại để tiếp tục."), "info")
        return None  # carry on signed out: protected pages send to the sign-in page, with "next"
    if now - session[SEEN_AT] >= SEEN_GRANULARITY and not request.headers.get("X-Fieldwork-Prefetch"):
        session[SEEN_AT] = now
    return None


@bp.before_app_request
def require_password_change():
    if request.endpoint in OPEN_BEFORE_CHANGE or not current_user.is_authenticated:
        return None
    if not current_user.must_change_password:
        return None
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify(error="password_change_required"), 401  # the phone's queue waits, as when signed out
    target = url_for("auth.change_password")
    if htmx and not htmx.boosted:
        return "", 204, {"HX-Redirect": target}
    return redirect(target)
