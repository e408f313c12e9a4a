"""Villages and committees: the official's pages for villages, committee members and members' logins."""

from __future__ import annotations

from typing import Optional

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from ..db import get_session
from ..htmx import render
from ..households.services import RegistryError
from ..models import Role
from ..security import get_village_for_user, roles_required
from ..text import format_date, local_today
from . import bp, services
from .forms import CommitteeForm, LeaveForm, MemberForm, VillageForm

MANAGERS = (Role.OFFICIAL, Role.ADMIN)


def _form_error(form, error: RegistryError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = list(target.errors) + [error.message]
    else:
        flash(error.message, "error")


def _optional_url(endpoint: str, **values) -> Optional[str]:
    """A link into another area, or None while that area has no such page (the link is then not shown)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _flash_saved(message: str, replaced_heads: list) -> None:
    flash(message, "success")
    for head in replaced_heads:
        flash(_("%(name)s không còn là trưởng ban.", name=head.full_name), "success")


def _status(form) -> int:
    return 422 if form.is_submitted() else 200


def _load_member(village_id: int, member_id: int):
    db = get_session()
    village = get_village_for_user(db, current_user, village_id)
    return db, village, services.get_member_for_village(db, village, member_id)


def _village_page(db, village, committee_form: CommitteeForm, status: int = 200):
    page = services.village_page(db, village)
    links = {name: _optional_url(endpoint, village_id=village.id) for name, endpoint in (
        ("households", "households.village_list"), ("import", "imports.upload"),
        ("export", "imports.export_village"), ("assign", "assignments.village"))}
    handover = {line.member.id: _optional_url("assignments.handover", village_id=village.id, member_id=line.member.id)
                for line in page.departed_holding}
    return render("committees/village.html", page=page, links=links, handover=handover,
                  committee_form=committee_form, status=status)


def _member_page(db, village, member, *, form=None, leave_form=None, status: int = 200):
    return render("committees/member_form.html", village=village, member=member,
                  form=form or MemberForm(formdata=None, obj=member),
                  leave_form=leave_form or LeaveForm(formdata=None, joined_on=member.joined_on),
                  login=services.member_login(db, member), status=status)


# --- villages ----------------------------------------------------------------------------------------------------


@bp.route("/thon")
@roles_required(*MANAGERS)
def villages():
    return render("committees/village_list.html", rows=services.list_villages(get_session(), current_user),
                  show_commune=current_user.role == Role.ADMIN,
                  export_url=None if current_user.role == Role.ADMIN else _optional_url("imports.export_commune"))


@bp.route("/thon/moi", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def village_create():
    db = get_session()
    form = VillageForm(with_commune=current_user.role == Role.ADMIN)
    if form.validate_on_submit():
        try:
            commune = services.commune_for_new_village(db, current_user, form.data.get("commune_code"))
            village = services.create_village(db, commune, actor=current_user, **form.values())
        except RegistryError as error:
            _form_error(form, error)
        else:
            flash(_("Đã thêm %(name)s.", name=village.name), "success")
            return redirect(url_for(".village", village_id=village.id))
    return render("committees/village_form.html", form=form, village=None, status=_status(form))


@bp.route("/thon/<int:village_id>/sua", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def village_edit(village_id: int):
    db = get_session()
    village = get_village_for_user(db, current_user, village_id)
    form = VillageForm(obj=village if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.update_village(db, village, actor=current_user, **form.values())
        except RegistryError as error:
            _form_error(form, error)
        else:
            flash(_("Đã lưu thông tin thôn."), "success")
            return redirect(url_for(".village", village_id=village.id))
    return render("committees/village_form.html", form=form, village=village, status=_status(form))


@bp.route("/thon/<int:village_id>")
@roles_required(*MANAGERS)
def village(village_id: int):
    db = get_session()
    return _village_page(db, get_village_for_user(db, current_user, village_id), CommitteeForm(formdata=None))


# --- the committee and its members -------------------------------------------------------------------------------


@bp.route("/thon/<int:village_id>/ban", methods=["POST"])
@roles_required(*MANAGERS)
def committee_create(village_id: int):
    db = get_session()
    village = get_village_for_user(db, current_user, village_id)
    form = CommitteeForm()
    if form.validate_on_submit():
        try:
            services.create_committee(db, village, actor=current_user, today=local_today(), **form.values())
        except RegistryError as error:
            _form_error(form, error)
        else:
            flash(_("Đã thành lập ban vận động. Hãy thêm từ 5 đến 7 thành viên."), "success")
            return redirect(url_for(".village", village_id=village.id))
    return _village_page(db, village, form, status=422)


@bp.route("/thon/<int:village_id>/ban/thanh-vien/moi", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def member_create(village_id: int):
    db = get_session()
    village = get_village_for_user(db, current_user, village_id)
    committee = services.current_committee(db, village)
    if committee is None:
        flash(_("Thôn này chưa có ban vận động; hãy thành lập ban trước."), "error")
        return redirect(url_for(".village", village_id=village.id))
    form = MemberForm()
    if form.validate_on_submit():
        try:
            member, replaced = services.add_member(db, committee, actor=current_user, today=local_today(),
                                                   **form.values())
        except RegistryError as error:
            _form_error(form, error)
        else:
            _flash_saved(_("Đã thêm %(name)s vào ban.", name=member.full_name), replaced)
            return redirect(url_for(".village", village_id=village.id))
    return render("committees/member_form.html", form=form, village=village, member=None, status=_status(form))


@bp.route("/thon/<int:village_id>/ban/thanh-vien/<int:member_id>/sua", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def member_edit(village_id: int, member_id: int):
    db, village, member = _load_member(village_id, member_id)
    form = MemberForm(obj=member if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            replaced = services.update_member(db, member, actor=current_user, today=local_today(), **form.values())
        except RegistryError as error:
            _form_error(form, error)
        else:
            _flash_saved(_("Đã lưu thông tin của %(name)s.", name=member.full_name), replaced)
            return redirect(url_for(".village", village_id=village.id))
    return _member_page(db, village, member, form=form, status=_status(form))


@bp.route("/thon/<int:village_id>/ban/thanh-vien/<int:member_id>/roi-ban", methods=["POST"])
@roles_required(*MANAGERS)
def member_leave(village_id: int, member_id: int):
    db, village, member = _load_member(village_id, member_id)
    form = LeaveForm(joined_on=member.joined_on)
    if form.validate_on_submit():
        try:
            services.member_leaves(db, member, actor=current_user, today=local_today(), left_on=form.left_on.data)
        except RegistryError as error:
            _form_error(form, error)
        else:
            flash(_("Đã ghi nhận %(name)s rời ban ngày %(d)s.", name=member.full_name,
                    d=format_date(member.left_on)), "success")
            return redirect(url_for(".village", village_id=village.id))
    return _member_page(db, village, member, leave_form=form, status=422)


# --- logins ------------------------------------------------------------------------------------------------------


@bp.route("/thon/<int:village_id>/ban/thanh-vien/<int:member_id>/tai-khoan", methods=["POST"])
@roles_required(*MANAGERS)
def login_grant(village_id: int, member_id: int):
    db, village, member = _load_member(village_id, member_id)
    try:
        user, password = services.grant_login(db, member, village, actor=current_user)
    except RegistryError as error:
        flash(error.message, "error")
        return _member_page(db, village, member, status=422)
    return _password_page(village, member, user, password, reset=False)


@bp.route("/thon/<int:village_id>/ban/thanh-vien/<int:member_id>/tai-khoan/mat-khau-moi", methods=["POST"])
@roles_required(*MANAGERS)
def password_reset(village_id: int, member_id: int):
    db, village, member = _load_member(village_id, member_id)
    try:
        user, password = services.reset_password(db, member, actor=current_user)
    except RegistryError as error:
        flash(error.message, "error")
        return _member_page(db, village, member, status=422)
    return _password_page(village, member, user, password, reset=True)


def _password_page(village, member, user, password: str, *, reset: bool):
    response = render("committees/login_granted.html", village=village, member=member, user=user,
                      password=password, reset=reset, days=current_app.config["ONE_TIME_PASSWORD_DAYS"])
    response.headers["Cache-Control"] = "no-store"  # the password is shown once and never kept anywhere
    return response


@bp.route("/thon/<int:village_id>/ban/thanh-vien/<int:member_id>/tai-khoan/thu-hoi", methods=["POST"])
@roles_required(*MANAGERS)
def login_revoke(village_id: int, member_id: int):
    db, village, member = _load_member(village_id, member_id)
    try:
        services.revoke_login(db, member, actor=current_user)
    except RegistryError as error:
        flash(error.message, "error")
        return _member_page(db, village, member, status=422)
    flash(_("Đã thu hồi tài khoản của %(name)s; họ không đăng nhập được nữa.", name=member.full_name), "success")
    return redirect(url_for(".member_edit", village_id=village.id, member_id=member.id))
