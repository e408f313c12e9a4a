"""The first-run set-up wizard, /cai-dat: five steps, each a page that can be done, resumed or skipped."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..assignments import services as assignments
from ..db import get_session
from ..households.forms import EmptyForm
from ..households.services import RegistryError
from ..htmx import render
from ..models import Commune, Role
from ..security import get_village_for_user, roles_required
from ..text import local_today
from . import bp, pdf, services
from .forms import CommuneForm, SetupMemberForm, VillagesForm

MANAGERS = (Role.OFFICIAL, Role.ADMIN)


@bp.before_app_request
def guide_first_admin():
    """An admin arriving home on an installation that serves no commune yet is taken to the set-up."""
    if (request.endpoint == "main.home" and current_user.is_authenticated and current_user.role == Role.ADMIN
            and services.needs_setup(get_session())):
        return redirect(url_for("setup.index"))
    return None


def _page(template: str, progress: services.Progress, number: int, status: int = 200, **context) -> Response:
    return render(template, progress=progress, step=progress.step(number), status=status, **context)


def _progress_with_commune():
    """The progress of a step that needs the commune chosen, or a redirect to step 1."""
    progress = services.progress(get_session(), current_user)
    if progress.commune is None:
        flash(_("Hãy chọn tỉnh và xã trước."), "error")
        return progress, redirect(url_for(".commune"))
    return progress, None


def _form_error(form, error: RegistryError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = list(target.errors) + [error.message]
    else:
        flash(error.message, "error")


@bp.route("/cai-dat")
@roles_required(*MANAGERS)
def index():
    progress = services.progress(get_session(), current_user)
    return redirect(url_for(progress.first_open().endpoint))


# --- step 1: the commune -----------------------------------------------------------------------------------------


def _commune_choices(form: CommuneForm) -> None:
    db = get_session()
    form.province.choices = [("", _("— Chọn tỉnh, thành phố —"))] + [
        (str(p.id), p.name) for p in services.provinces(db)]
    communes = services.communes_of(db, int(form.province.data) if (form.province.data or "").isdigit() else None)
    form.commune.choices = [("", _("— Chọn xã —") if communes else _("Chọn tỉnh trước"))] + [
        (str(c.id), c.name) for c in communes]


@bp.route("/cai-dat/tinh-xa", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def commune():
    db = get_session()
    progress = services.progress(db, current_user)
    form = CommuneForm()
    _commune_choices(form)
    if request.method == "GET" or request.form.get("chon_tinh"):  # without JS, "Xem các xã" lists the province's
        return _page("setup/commune.html", progress, 1, form=form)
    if form.validate_on_submit():
        chosen = db.get(Commune, int(form.commune.data))
        try:
            user, password = services.create_official(db, chosen, name=form.official_name.data,
                                                      phone=form.official_phone.data, actor=current_user)
        except RegistryError as error:
            _form_error(form, error)
        else:
            response = _page("setup/official_created.html", services.progress(db, current_user), 1, user=user,
                             password=password, days=current_app.config["ONE_TIME_PASSWORD_DAYS"])
            response.headers["Cache-Control"] = "no-store"  # the password is shown once and kept nowhere
            return response
    return _page("setup/commune.html", progress, 1, status=422, form=form)


@bp.route("/cai-dat/tinh-xa/xa")
@roles_required(*MANAGERS)
def commune_options():
    """The commune select for the chosen province (htmx swaps it in when the province changes)."""
    form = CommuneForm(formdata=None, province=request.args.get("province", ""))
    _commune_choices(form)
    return render("setup/_commune_select.html", form=form)


# --- step 2: villages --------------------------------------------------------------------------------------------


@bp.route("/cai-dat/thon", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def villages():
    progress, elsewhere = _progress_with_commune()
    if elsewhere:
        return elsewhere
    db, form = get_session(), VillagesForm()
    pasted = None
    if form.validate_on_submit():
        pasted = services.parse_village_names(db, progress.commune, form.names.data)
        if not pasted.errors:
            created = services.add_villages(db, progress.commune, pasted.names, actor=current_user)
            _flash_villages(created, pasted)
            return redirect(url_for(".villages"))
    return _page("setup/villages.html", progress, 2, status=422 if form.is_submitted() else 200, form=form,
                 pasted=pasted)


def _flash_villages(created: list, pasted: services.PastedVillages) -> None:
    if created:
        flash(_("Đã thêm %(n)s thôn: %(names)s.", n=len(created), names=", ".join(v.name for v in created)),
              "success")
    if pasted.existing:
        flash(_("Đã có từ trước, không thêm lại: %(names)s.", names=", ".join(pasted.existing)), "success")
    if pasted.repeated:
        flash(_("Dòng lặp lại đã bỏ qua: %(names)s.", names=", ".join(pasted.repeated)), "success")


# --- step 3: committees and members ------------------------------------------------------------------------------


@bp.route("/cai-dat/ban")
@roles_required(*MANAGERS)
def committees():
    progress, elsewhere = _progress_with_commune()
    return elsewhere or _page("setup/committees.html", progress, 3)


@bp.route("/cai-dat/ban/<int:village_id>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def committee(village_id: int):
    db = get_session()
    village = get_village_for_user(db, current_user, village_id)
    form = SetupMemberForm()
    if form.validate_on_submit():
        try:
            member = services.add_member_with_login(db, village, actor=current_user, today=local_today(),
                                                    **form.values())
        except RegistryError as error:
            _form_error(form, error)
        else:
            flash(_("Đã thêm %(name)s vào ban và tạo tài khoản đăng nhập.", name=member.full_name), "success")
            return redirect(url_for(".committee", village_id=village.id))
    return _page("setup/committee.html", services.progress(db, current_user), 3,
                 status=422 if form.is_submitted() else 200, form=form,
                 status_row=services.village_status(db, village))


# --- step 4: households ------------------------------------------------------------------------------------------


@bp.route("/cai-dat/nhap-ho")
@roles_required(*MANAGERS)
def households():
    progress, elsewhere = _progress_with_commune()
    return elsewhere or _page("setup/households.html", progress, 4, form=EmptyForm())


@bp.route("/cai-dat/nhap-ho/<int:village_id>/chia-deu", methods=["POST"])
@roles_required(*MANAGERS)
def balance(village_id: int):
    db = get_session()
    village = get_village_for_user(db, current_user, village_id)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            result = assignments.auto_balance(db, village, only_unassigned=True, actor=current_user,
                                              today=local_today())
        except RegistryError as error:
            flash(error.message, "error")
        else:
            flash(_("%(village)s: đã giao %(n)s hộ cho các thành viên.", village=village.name, n=result.changed),
                  "success")
            return redirect(url_for(".households"))
    return _page("setup/households.html", services.progress(db, current_user), 4, status=422, form=form)


# --- step 5: login slips -----------------------------------------------------------------------------------------


@bp.route("/cai-dat/phieu")
@roles_required(*MANAGERS)
def slips():
    progress, elsewhere = _progress_with_commune()
    return elsewhere or _page("setup/slips.html", progress, 5, form=EmptyForm(),
                              days=current_app.config["ONE_TIME_PASSWORD_DAYS"])


@bp.route("/cai-dat/phieu/<int:village_id>.pdf", methods=["POST"])
@roles_required(*MANAGERS)
def slips_pdf(village_id: int):
    db = get_session()
    village = get_village_for_user(db, current_user, village_id)
    form, days = EmptyForm(), current_app.config["ONE_TIME_PASSWORD_DAYS"]
    try:
        if not form.validate_on_submit():
            raise RegistryError(_("Phiên làm việc đã hết hạn; hãy tải lại trang rồi bấm in lại."))
        sheet = services.issue_slips(db, village, actor=current_user, today=local_today(), days=days)
    except RegistryError as error:
        flash(error.message, "error")
        return _page("setup/slips.html", services.progress(db, current_user), 5, status=422, form=form, days=days)
    data = pdf.slips_pdf(sheet, app_url=request.host_url, days=days)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{pdf.slips_filename(sheet)}"',
        "Cache-Control": "no-store",  # one-time passwords: kept by no browser cache or proxy
    })
