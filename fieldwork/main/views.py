from __future__ import annotations

from flask import request
from flask_login import current_user, login_required

from ..db import get_session
from ..pagecache import cached
from ..htmx import render, wants_partial
from ..models import Role
from ..targets import services as targets
from ..text import local_today
from . import bp, services


@bp.route("/")
@login_required
@cached
def home():
    db = get_session()
    if current_user.role == Role.MEMBER:
        home = services.member_home(db, current_user, group=request.args.get("xom") or None,
                                    query=request.args.get("q") or None,
                                    tier=request.args.get("viec", type=int), rows_only=wants_partial())
        return render("main/home_member.html", "worklist/_rows.html", home=home, work=home.work)
    if current_user.role == Role.OFFICIAL:
        return render("main/home_official.html", home=targets.commune_dashboard(
            db, current_user, local_today(), request.args.get("chi-tieu", type=int)))
    return render("main/home_admin.html", home=services.admin_home(db))
