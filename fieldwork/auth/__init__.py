"""Signing in and out, and the language switch."""

from __future__ import annotations

from typing import Optional

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam
from sqlmodel import select

from ..extensions import login_manager
from ..models import User
from ..pagecache import remember_revisions, with_revisions

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Hãy đăng nhập để tiếp tục.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


# Built once: every request runs it. With the user come the data revisions its kept pages depend on.
_USER_BY_ID = with_revisions(select(User).where(User.id == bindparam("user_id")))


@login_manager.user_loader
def load_user(cookie_id: str) -> Optional[User]:
    """The cookie carries "<id>:<session version>"; an old version (after logout) or an inactive user loads nobody."""
    from ..db import get_session

    user_id, _, version = cookie_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    row = get_session().execute(_USER_BY_ID, {"user_id": int(user_id)}).first()
    if row is None:
        return None
    user = row[0]
    if not user.active or user.session_version != int(version):
        return None
    remember_revisions(user, row[1:])
    return user


from . import sessions, views  # noqa: E402,F401
