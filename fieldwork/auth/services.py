"""Accounts: creating users, checking passwords, signing in and out. Services flush; the caller commits."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import Optional

from flask import request
from flask_babel import gettext
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit import record, snapshot
from ..models import Role, User, utcnow
from ..text import normalise_phone
from .passwords import password_problem

# Compared against when the phone number is unknown, so a wrong phone and a wrong password take the same time.
_DUMMY_HASH = generate_password_hash("fieldwork-timing-equaliser")


class PasswordError(ValueError):
    """A password change refused: the message says what to do, ``field`` which form field it belongs to."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def hash_password(password: str) -> str:
    """scrypt, Werkzeug's default: a memory-hard modern algorithm, with a per-password salt.

    Hashed in NFC, so "mật khẩu" typed with composed marks (Android, Unikey's default) and with combining marks
    (some Windows keyboards) is the same password.
    """
    return generate_password_hash(unicodedata.normalize("NFC", password), method="scrypt")


def password_matches(user: User, password: str) -> bool:
    composed = unicodedata.normalize("NFC", password)
    if check_password_hash(user.password_hash, composed):
        return True
    # Hashes made before passwords were composed first: the password exactly as typed then.
    return composed != password and check_password_hash(user.password_hash, password)


def create_user(
    session: Session,
    *,
    phone: str,
    display_name: str,
    role: Role,
    password: str,
    commune_id: Optional[int] = None,
    village_id: Optional[int] = None,
    actor: Optional[User] = None,
) -> User:
    phone = normalise_phone(phone)
    user = User(
        phone=phone,
        display_name=display_name,
        role=role,
        password_hash=hash_password(password),
        password_changed_at=utcnow(),
        commune_id=commune_id,
        village_id=village_id,
    )
    session.add(user)
    session.flush()
    record(session, actor, "create", user, after={"phone": phone, "role": role.value, "name": display_name})
    return user


def authenticate(session: Session, phone: str, password: str) -> Optional[User]:
    """The active user with this phone and password, or None; never says which of the two was wrong."""
    user = session.exec(select(User).where(User.phone == normalise_phone(phone))).first()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not password_matches(user, password) or not user.active:
        return None
    return user


def one_time_password_expired(user: User, days: int, now: Optional[datetime] = None) -> bool:
    """A password given by an official that was not replaced within ``days`` no longer opens the account."""
    if not user.must_change_password or user.password_changed_at is None:
        return False
    return (now or utcnow()) - user.password_changed_at > timedelta(days=days)


def set_password(session: Session, user: User, password: str, *, actor: Optional[User], action: str,
                 one_time: bool) -> None:
    """Store a new password and end every session of the user (their cookies carry the old session version).

    ``one_time``: given by an official, to be replaced by the user at their next sign-in.
    """
    fields = ["must_change_password", "password_changed_at", "session_version"]
    before = snapshot(user, fields)
    user.password_hash = hash_password(password)
    user.must_change_password = one_time
    user.password_changed_at = utcnow()
    user.session_version += 1
    session.add(user)
    session.flush()
    record(session, actor, action, user, before=before, after=snapshot(user, fields),
           ip=request.remote_addr if request else None)


def change_password(session: Session, user: User, *, current: str, new: str) -> None:
    """The user replaces their own password; raises PasswordError when the current one is wrong or the new one
    breaks the rules or is the same as before."""
    if not password_matches(user, current):
        raise PasswordError(gettext("Mật khẩu hiện tại không đúng. Hãy nhập lại mật khẩu bạn vừa dùng để đăng "
                                    "nhập."), "current_password")
    problem = password_problem(new, phone=user.phone, name=user.display_name)
    if problem:
        raise PasswordError(problem, "new_password")
    if password_matches(user, new):
        raise PasswordError(gettext("Mật khẩu mới phải khác mật khẩu hiện tại."), "new_password")
    set_password(session, user, new, actor=user, action="change_password", one_time=False)


def note_sign_in(session: Session, user: User) -> None:
    user.last_login_at = utcnow()
    session.add(user)
    record(session, user, "login", user, ip=request.remote_addr if request else None)


def sign_out_everywhere(session: Session, user: User) -> None:
    """Bump the session version: every copy of this user's login cookie stops working."""
    user.session_version += 1
    session.add(user)
    record(session, user, "logout", user, ip=request.remote_addr if request else None)
