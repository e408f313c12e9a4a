"""Household lists: the template, upload with preview, all-or-nothing confirm, export of a village or a commune."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from ..db import get_session
from ..households.forms import EmptyForm
from ..htmx import render
from ..models import Role, Village
from ..security import get_village_for_user, roles_required
from ..text import local_today
from . import bp, services, spreadsheet
from .forms import UploadForm

MANAGERS = (Role.OFFICIAL, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # personal data: not kept by browsers or proxies
    return response


def _upload_page(form: UploadForm, village: Village, status: int = 200):
    return render("imports/upload.html", form=form, village=village,
                  batches=services.recent_batches(get_session(), village), status=status)


def _village_list_url(village: Village) -> str:
    try:
        return url_for("households.village_list", village_id=village.id)
    except BuildError:
        return url_for("main.home")


@bp.route("/nhap/mau.xlsx")
@login_required
def template():
    return _xlsx(services.template_workbook(), "mau-danh-sach-ho.xlsx")


@bp.route("/thon/<int:village_id>/nhap", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def upload(village_id: int):
    db = get_session()
    village = get_village_for_user(db, current_user, village_id)
    if request.method == "POST" and (request.content_length or 0) > spreadsheet.MAX_REQUEST_BYTES:
        form = UploadForm(formdata=None)
        form.file.errors = [spreadsheet.too_large().message]
        return _upload_page(form, village, 413)
    form = UploadForm()
    if not form.validate_on_submit():
        return _upload_page(form, village, 422 if form.is_submitted() else 200)
    try:
        data = spreadsheet.read_limited(form.file.data.stream)
        batch = services.create_batch(db, village, actor=current_user, filename=form.file.data.filename, data=data)
    except spreadsheet.FileRefused as refused:
        form.file.errors = [refused.message]
        return _upload_page(form, village, refused.status)
    return redirect(url_for(".preview", batch_id=batch.id))


@bp.route("/nhap/<int:batch_id>")
@roles_required(*MANAGERS)
def preview(batch_id: int):
    db = get_session()
    batch, village = services.get_batch_for_user(db, current_user, batch_id)
    plan = None if batch.confirmed_at else services.preview(db, batch, village, local_today())
    return render("imports/preview.html", batch=batch, village=village, plan=plan, form=EmptyForm())


@bp.route("/nhap/<int:batch_id>/xac-nhan", methods=["POST"])
@roles_required(*MANAGERS)
def confirm(batch_id: int):
    db = get_session()
    batch, village = services.get_batch_for_user(db, current_user, batch_id)
    try:
        plan = services.confirm(db, batch, village, actor=current_user, today=local_today())
    except services.AlreadyConfirmed:
        flash(_("Danh sách này đã được nhập trước đó; không ghi thêm gì."), "error")
        return redirect(url_for(".preview", batch_id=batch.id))
    if plan.problems:
        return render("imports/preview.html", batch=batch, village=village, plan=plan, form=EmptyForm(),
                      refused=True, status=422)
    flash(_("Đã nhập danh sách: %(hc)s hộ mới, %(hu)s hộ cập nhật, %(pc)s người mới, %(pu)s người cập nhật.",
            hc=plan.households_created, hu=plan.households_updated, pc=plan.people_created,
            pu=plan.people_updated), "success")
    return redirect(_village_list_url(village))


@bp.route("/thon/<int:village_id>/xuat.xlsx")
@roles_required(*MANAGERS)
def export_village(village_id: int):
    db = get_session()
    village = get_village_for_user(db, current_user, village_id)
    data = services.export_workbook(db, [village], actor=current_user, subject=village)
    return _xlsx(data, services.download_name(village.name))


@bp.route("/xa/xuat.xlsx")
@roles_required(*MANAGERS)
def export_commune():
    db = get_session()
    commune, villages = services.commune_villages(db, current_user, request.args.get("xa", type=int))
    data = services.export_workbook(db, villages, actor=current_user, subject=commune)
    return _xlsx(data, services.download_name(commune.name))
