from __future__ import annotations

from flask_login import current_user, login_required

from ..db import get_session
from ..htmx import render
from ..security import get_household_for_user
from ..text import local_today
from . import bp, services


@bp.route("/ho/<int:household_id>")
@login_required
def detail(household_id: int):
    db = get_session()
    household = get_household_for_user(db, current_user, household_id)
    return render("households/detail.html", page=services.household_page(db, household, local_today()))
