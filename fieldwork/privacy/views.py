from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..audit import record
from ..db import get_session
from ..htmx import render
from ..models import Role
from ..security import get_person_for_user, is_assigned_to, roles_required
from . import bp, services
from .forms import WithdrawForm


@bp.route("/nguoi/<int:person_id>/du-lieu.json")
@roles_required(Role.OFFICIAL, Role.ADMIN)
def export(person_id: int):
    """Everything held about one person, for a data-subject request; the export itself is audited."""
    db = get_session()
    person, household = get_person_for_user(db, current_user, person_id)
    data = services.everything_about(db, person, household)
    record(db, current_user, "export", person, after={"kind": "data_subject_request"})
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="du-lieu-ca-nhan-{person.id}.json"', "Cache-Control": "no-store"})


@bp.route("/nguoi/<int:person_id>/rut-dong-y", methods=["GET", "POST"])
@login_required
def withdraw(person_id: int):
    db = get_session()
    person, household = get_person_for_user(db, current_user, person_id)
    if current_user.role == Role.MEMBER and not is_assigned_to(db, current_user, household):
        abort(403)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            services.withdraw_consent(db, person, household, note=form.note.data, actor=current_user)
        except services.PrivacyError as error:
            form.confirmed.errors = [error.message]
        else:
            flash(_("Đã ghi nhận %(name)s rút lại sự đồng ý: ngừng vận động người này.", name=person.full_name),
                  "success")
            return redirect(url_for("households.person_detail", person_id=person.id))
    return render("privacy/withdraw.html", person=person, household=household, form=form,
                  status=422 if form.is_submitted() else 200)
