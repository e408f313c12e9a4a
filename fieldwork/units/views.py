"""Admin pages for administrative changes: the list of communes and villages, renaming, merging (with a confirmation
that shows what will move), and the history of changes. Admins only; bad input answers 422 and writes nothing."""

from __future__ import annotations

from typing import Optional

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..db import get_session
from ..htmx import render
from ..models import Commune, Role, UnitKind, Village
from ..security import roles_required
from ..text import local_today
from . import bp, services
from .forms import MergeCommuneForm, MergeVillageForm, RenameForm


def _get(model, unit_id: int):
    unit = get_session().get(model, unit_id)
    if unit is None:
        abort(404)
    return unit


def _form_error(form, error: services.UnitError) -> None:
    target = getattr(form, error.field or "", None) or form.effective_on
    target.errors = list(target.errors) + [error.message]


def _today_first() -> Optional[dict]:
    """A new form proposes today as the effective date (the usual case: recording a decision as it takes effect)."""
    return None if request.method == "POST" else {"effective_on": local_today()}


def _status(form) -> int:
    return 422 if form.is_submitted() else 200


@bp.route("/don-vi")
@roles_required(Role.ADMIN)
def index():
    rows, merged = services.listing(get_session())
    return render("units/index.html", rows=rows, merged=merged)


@bp.route("/don-vi/lich-su")
@roles_required(Role.ADMIN)
def history():
    db = get_session()
    changes = services.history(db)
    return render("units/history.html", changes=changes, units=services.units_by_id(db, changes))


def _rename(unit_type: UnitKind, unit, do_rename):
    form = RenameForm(data=_today_first())
    if form.validate_on_submit():
        try:
            do_rename(get_session(), current_user, unit, form.new_name.data, form.effective_on.data,
                      form.note.data, local_today())
        except services.UnitError as error:
            _form_error(form, error)
        else:
            flash(_("Đã đổi tên thành “%(name)s”. Tên cũ vẫn được giữ trong lịch sử thay đổi.", name=unit.name),
                  "success")
            return redirect(url_for(".history"))
    return render("units/rename.html", form=form, unit=unit, unit_type=unit_type, status=_status(form))


@bp.route("/don-vi/xa/<int:commune_id>/doi-ten", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def commune_rename(commune_id: int):
    return _rename(UnitKind.COMMUNE, _get(Commune, commune_id), services.rename_commune)


@bp.route("/don-vi/thon/<int:village_id>/doi-ten", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def village_rename(village_id: int):
    return _rename(UnitKind.VILLAGE, _get(Village, village_id), services.rename_village)


def _merge(unit_type: UnitKind, unit, form, into_of, do_merge):
    """First post: check and show what will move; second post (``confirm``): do it."""
    db = get_session()
    into, moves = None, None
    if form.validate_on_submit():
        try:
            into = into_of(form.into.data)
            moves = services.preview(db, unit_type, unit, into, form.effective_on.data, form.note.data,
                                     local_today())
            if form.confirm.data == "1":
                do_merge(db, current_user, unit, into, form.effective_on.data, form.note.data, local_today())
                flash(_("Đã sáp nhập %(a)s vào %(b)s.", a=unit.name, b=into.name), "success")
                return redirect(url_for(".history"))
        except services.UnitError as error:
            _form_error(form, error)
            into = moves = None
        else:
            return render("units/confirm.html", form=form, unit=unit, unit_type=unit_type, into=into, moves=moves)
    return render("units/merge.html", form=form, unit=unit, unit_type=unit_type, status=_status(form))


def _commune_by_code(code: Optional[str]) -> Commune:
    return services.commune_by_code(get_session(), code or "")


def _village_by_id(value: Optional[str]) -> Village:
    village = get_session().get(Village, int(value)) if value and value.isdigit() else None
    if village is None:
        raise services.UnitError(_("Hãy chọn thôn, tổ dân phố nhận sáp nhập trong danh sách."), "into")
    return village


@bp.route("/don-vi/xa/<int:commune_id>/sap-nhap", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def commune_merge(commune_id: int):
    commune = _get(Commune, commune_id)
    form = MergeCommuneForm(data=_today_first())
    return _merge(UnitKind.COMMUNE, commune, form, _commune_by_code, services.merge_commune)


@bp.route("/don-vi/thon/<int:village_id>/sap-nhap", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def village_merge(village_id: int):
    village = _get(Village, village_id)
    form = MergeVillageForm(services.village_choices(get_session(), village), data=_today_first())
    return _merge(UnitKind.VILLAGE, village, form, _village_by_id, services.merge_village)
