from __future__ import annotations

from flask_login import current_user, login_required

from ..db import get_session
from ..htmx import render
from ..models import Role
from . import bp, services


@bp.route("/")
@login_required
def home():
    db = get_session()
    if current_user.role == Role.MEMBER:
        return render("main/home_member.html", home=services.member_home(db, current_user))
    if current_user.role == Role.OFFICIAL:
        return render("main/home_official.html", home=services.official_home(db, current_user))
    return render("main/home_admin.html", home=services.admin_home(db))
