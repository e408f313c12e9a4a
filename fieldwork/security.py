"""Roles and scope: the one place that decides what a user may see.

Every view loads objects through a ``get_<thing>_for_user()`` helper here; an object outside the user's scope answers
404, exactly as one that does not exist, so scope leaks nothing about other villages or communes.
"""

from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar
from urllib.parse import urlsplit

from flask import abort, g, has_app_context, has_request_context, request
from flask_login import current_user, login_required
from sqlalchemy import bindparam, false, true
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, select

from .models import Assignment, Commune, CommitteeMember, Household, Person, Role, User, Village

F = TypeVar("F", bound=Callable)


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Signed in and holding one of ``roles``; otherwise 403 (a member asking for an official's page)."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


# --- scope as SQL conditions ---------------------------------------------------------------------------------------


def village_scope(user: User) -> ColumnElement[bool]:
    """Condition on ``Village`` rows the user may see."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.OFFICIAL and user.commune_id is not None:
        return Village.commune_id == user.commune_id
    if user.role == Role.MEMBER and user.village_id is not None:
        return Village.id == user.village_id
    return false()


def household_scope(user: User) -> ColumnElement[bool]:
    """Condition on ``Household`` rows the user may see (joins nothing: members are scoped by village id)."""
    return household_condition(_scope_kind(user), user.commune_id, user.village_id)


def _scope_kind(user: User) -> str:
    if user.role == Role.ADMIN:
        return "all"
    if user.role == Role.OFFICIAL and user.commune_id is not None:
        return "commune"
    if user.role == Role.MEMBER and user.village_id is not None:
        return "village"
    return "none"


def scope_parameters(user: User) -> tuple[str, dict]:
    """The user's kind of scope and the values of the bound parameters ``household_condition`` takes for it."""
    kind = _scope_kind(user)
    if kind == "commune":
        return kind, {"commune_id": user.commune_id}
    if kind == "village":
        return kind, {"village_id": user.village_id}
    return kind, {}


def household_condition(kind: str, commune_id, village_id) -> ColumnElement[bool]:
    """The rule behind :func:`household_scope`; the ids are values, or bound parameters in prebuilt statements."""
    if kind == "all":
        return true()
    if kind == "commune":
        return Household.village_id.in_(select(Village.id).where(Village.commune_id == commune_id))
    if kind == "village":
        return Household.village_id == village_id
    return false()


def commune_scope(user: User) -> ColumnElement[bool]:
    if user.role == Role.ADMIN:
        return true()
    if user.commune_id is not None:
        return Commune.id == user.commune_id
    return false()


# --- load-and-authorize helpers ----------------------------------------------------------------------------------


# Statements of every request built once, with bound parameters: building a SELECT and its cache key costs more
# than running it on an index (a sixth of a household page's time, sampled with py-spy; docs/performance.md).
_HOUSEHOLD_IN_SCOPE = {
    (kind, with_village): (select(Household, Village).join(Village, Village.id == Household.village_id)
                           if with_village else select(Household))
    .where(Household.id == bindparam("household_id"),
           household_condition(kind, bindparam("commune_id"), bindparam("village_id")))
    for kind in ("all", "commune", "village", "none") for with_village in (False, True)
}
_MEMBER_OF_USER = select(CommitteeMember).where(CommitteeMember.user_id == bindparam("user_id"))
_HOLDS = select(Assignment.id).where(Assignment.household_id == bindparam("household_id"),
                                     Assignment.member_id == bindparam("member_id"), Assignment.valid_to.is_(None))
_HELD_BY_USER = (select(Household, CommitteeMember)
                 .join(Assignment, (Assignment.household_id == Household.id) & Assignment.valid_to.is_(None))
                 .join(CommitteeMember, CommitteeMember.id == Assignment.member_id)
                 .where(Household.id == bindparam("household_id"),
                        household_condition("village", None, bindparam("village_id")),
                        CommitteeMember.user_id == bindparam("user_id")))


def get_household_for_user(session: Session, user: User, household_id: int) -> Household:
    return _household_in_scope(session, user, household_id, with_village=False)


def get_household_and_village_for_user(session: Session, user: User, household_id: int) -> tuple[Household, Village]:
    """The household and its village in one statement (a page that shows both)."""
    return tuple(_household_in_scope(session, user, household_id, with_village=True))


def _household_in_scope(session: Session, user: User, household_id: int, *, with_village: bool):
    kind, params = scope_parameters(user)
    found = session.exec(_HOUSEHOLD_IN_SCOPE[kind, with_village],
                         params={**params, "household_id": household_id}).first()
    if found is None:
        abort(404)
    return found


def get_person_for_user(session: Session, user: User, person_id: int) -> tuple[Person, Household]:
    row = session.exec(
        select(Person, Household)
        .join(Household, Household.id == Person.household_id)
        .where(Person.id == person_id, household_scope(user))
    ).first()
    if row is None:
        abort(404)
    return row[0], row[1]


_UNKNOWN = object()


def is_assigned_to(session: Session, user: User, household: Household, holder: object = _UNKNOWN) -> bool:
    """Whether ``household`` is currently assigned to the member behind ``user`` (field actions need it).

    ``holder``: the household's current holder (a CommitteeMember, or None when nobody holds it), when the caller
    has read it in this request's transaction already; the answer then costs no query."""
    member = member_record(session, user)
    if member is None:
        return False
    # A page asks more than once (the view, the offline copy's owner); a GET changes no assignment, so its answer
    # is remembered for the request. Writes ask the database every time.
    remembered = g.setdefault("assigned", {}) if has_request_context() and request.method == "GET" else {}
    key = (member.id, household.id)
    if holder is not _UNKNOWN:
        remembered[key] = holder is not None and holder.id == member.id
    if key not in remembered:
        remembered[key] = session.exec(
            _HOLDS, params={"household_id": household.id, "member_id": member.id}).first() is not None
    return remembered[key]


def household_held_by(session: Session, user: User, household_id: int) -> tuple[Household, CommitteeMember] | None:
    """A member's household that is in their village and assigned to them now, with their committee-member row: what
    :func:`get_household_for_user`, :func:`member_record` and :func:`is_assigned_to` find in three statements, in one
    (the visit POST). None when any of them would fail: the caller then asks those, which tell 404 from 403."""
    if _scope_kind(user) != "village":
        return None
    row = session.exec(_HELD_BY_USER, params={"household_id": household_id, "village_id": user.village_id,
                                              "user_id": user.id}).first()
    if row is None:
        return None
    household, member = row
    if has_app_context() and g.get("db_session") is session:
        g.setdefault("member_records", {})[user.id] = member
    return household, member


def get_village_for_user(session: Session, user: User, village_id: int) -> Village:
    village = session.exec(select(Village).where(Village.id == village_id, village_scope(user))).first()
    if village is None:
        abort(404)
    return village


def member_record(session: Session, user: User) -> CommitteeMember | None:
    """The committee-member row behind a member's login, if any.

    A member's page asks several times per request (scope, assignment checks, the form); within a request, on the
    request's session, the row found is kept in ``g`` and reused while it still belongs to the login (a login
    linked or unlinked meanwhile is looked up again)."""
    in_request = has_app_context() and g.get("db_session") is session
    if in_request:
        known = g.get("member_records", {}).get(user.id)
        if known is not None and known.user_id == user.id:
            return known
    member = session.exec(_MEMBER_OF_USER, params={"user_id": user.id}).first()
    if in_request and member is not None:
        g.setdefault("member_records", {})[user.id] = member
    return member


# --- redirects ---------------------------------------------------------------------------------------------------


def safe_next(target: str | None, default: str) -> str:
    """Only paths inside this app: no scheme, no host, no protocol-relative ``//`` or backslash tricks."""
    if not target:
        return default
    target = target.strip()
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
