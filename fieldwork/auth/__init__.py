"""Signing in and out, and the language switch."""

from __future__ import annotations

from typing import Optional

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam
from sqlmodel import select

from ..extensions import login_manager
from ..models import User

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Hãy đăng nhập để tiếp tục.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))  # built once: every request runs it


@login_manager.user_loader
def load_user(cookie_id: str) -> Optional[User]:
    """The cookie carries "<id>:<session version>"; an old version (after logout) or an inactive user loads nobody."""
    from ..db import get_session

    user_id, _, version = cookie_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = get_session().exec(_USER_BY_ID, params={"user_id": int(user_id)}).first()
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


from . import sessions, views  # noqa: E402,F401
