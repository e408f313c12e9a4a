"""The legal parameters page: every dated figure with its source, adding a new value, correcting a row. Admins only."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..db import get_session
from ..htmx import render
from ..models import Role
from ..security import roles_required
from ..text import local_today
from . import bp, services
from .forms import EditParameterForm, NewParameterForm


def _form_error(form, error: services.ParameterError) -> None:
    target = getattr(form, error.field or "", None) or form.value
    target.errors = list(target.errors) + [error.message]
    form.duplicate_of = error.existing_id


@bp.route("/tham-so")
@roles_required(Role.ADMIN)
def index():
    return render("parameters/index.html", listing=services.parameter_listing(get_session(), local_today()))


@bp.route("/tham-so/moi", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create():
    db = get_session()
    prefill = {"key": request.args.get("key", "base_salary"), "province_code": request.args.get("tinh", "")}
    form = NewParameterForm(services.provinces(db, local_today()), data=prefill if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            row = services.add_parameter(db, current_user, **form.values())
        except services.ParameterError as error:
            _form_error(form, error)
        else:
            flash(_("Đã thêm giá trị mới: %(v)s.", v=services.format_value(row.value, row.unit, row.key)), "success")
            return redirect(url_for(".index", _anchor=f"k-{row.key}"))
    return render("parameters/form.html", form=form, row=None, hint=services.ANY_UNIT_HINT,
                  status=422 if form.is_submitted() else 200)


@bp.route("/tham-so/<int:parameter_id>/sua", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(parameter_id: int):
    db = get_session()
    row = services.get_parameter(db, parameter_id)
    form = EditParameterForm(row.unit, data=services.edit_values(row) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            changed = services.update_parameter(db, current_user, row, **form.values())
        except services.ParameterError as error:
            _form_error(form, error)
        else:
            flash(_("Đã lưu thay đổi.") if changed else _("Không có gì thay đổi."), "success")
            return redirect(url_for(".index", _anchor=f"k-{row.key}"))
    about = services.describe(db, row)
    return render("parameters/form.html", form=form, row=row, about=about, hint=about.hint,
                  status=422 if form.is_submitted() else 200)
