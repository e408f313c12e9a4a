"""Accounts: creating users, checking passwords, signing in and out. Services flush; the caller commits."""

from __future__ import annotations

from typing import Optional

from flask import request
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit import record
from ..models import Role, User, utcnow
from ..text import normalise_phone

# Compared against when the phone number is unknown, so a wrong phone and a wrong password take the same time.
_DUMMY_HASH = generate_password_hash("fieldwork-timing-equaliser")


def hash_password(password: str) -> str:
    """scrypt, Werkzeug's default: a memory-hard modern algorithm, with a per-password salt."""
    return generate_password_hash(password, method="scrypt")


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
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def note_sign_in(session: Session, user: User) -> None:
    user.last_login_at = utcnow()
    session.add(user)
    record(session, user, "login", user, ip=request.remote_addr if request else None)


def sign_out_everywhere(session: Session, user: User) -> None:
    """Bump the session version: every copy of this user's login cookie stops working."""
    user.session_version += 1
    session.add(user)
    record(session, user, "logout", user, ip=request.remote_addr if request else None)
