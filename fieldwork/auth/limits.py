"""Limits on password guessing: failed attempts per account and per address, across sign-in and password change.

Only failures count (a view calls ``note_failure()``), so a commune's members signing in from behind one carrier
address never lock each other out, and a member who types well is never slowed down. Once a limit is reached every
attempt for that account (or from that address) is refused until the window has moved on, the right password too:
a guesser learns nothing. The account is the phone number as typed, normalised, whether or not such an account
exists, so the limit says nothing about which numbers are registered.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_babel import gettext
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ..extensions import limiter
from ..text import normalise_phone


def note_failure() -> None:
    """This request was a wrong password: count it against the account and the address."""
    g.password_rejected = True


def _failed(_response) -> bool:
    return bool(g.get("password_rejected"))


def _account() -> str:
    if current_user.is_authenticated:
        return "account:" + current_user.phone
    return "account:" + normalise_phone(request.form.get("phone"))


per_account = limiter.shared_limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], scope="password-account", key_func=_account,
    methods=["POST"], deduct_when=_failed,
)
per_address = limiter.shared_limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], scope="password-address", key_func=get_remote_address,
    methods=["POST"], deduct_when=_failed,
)


def wait_text(error) -> str:
    """How long to wait after a breached limit, in words ("15 phút", "24 giờ")."""
    seconds = error.limit.limit.get_expiry()
    if seconds >= 3600:
        return gettext("%(n)s giờ", n=seconds // 3600)
    return gettext("%(n)s phút", n=max(1, seconds // 60))
