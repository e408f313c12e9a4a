from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ..db import get_session
from ..models import Role
from ..security import get_household_for_user, get_person_for_user, roles_required
from . import bp, services


@bp.route("/lich-su/ho/<int:household_id>")
@roles_required(Role.OFFICIAL, Role.ADMIN)
def household(household_id: int):
    db = get_session()
    record = get_household_for_user(db, current_user, household_id)
    entries = services.history(db, services.household_keys(db, record))
    return render_template("history/history.html", household=record, person=None, entries=entries,
                           limit=services.SHOWN_LIMIT)


@bp.route("/lich-su/nguoi/<int:person_id>")
@roles_required(Role.OFFICIAL, Role.ADMIN)
def person(person_id: int):
    db = get_session()
    record, household = get_person_for_user(db, current_user, person_id)
    entries = services.history(db, services.person_keys(db, record))
    return render_template("history/history.html", household=household, person=record, entries=entries,
                           limit=services.SHOWN_LIMIT)
