"""Targets: the commune's list, setting, splitting and editing a target, its progress, the member's progress and the
emulation ranking (page and PDF). The commune dashboard is the official's home page (``main.home``)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..db import get_session
from ..htmx import render
from ..models import Role
from ..security import roles_required
from ..text import local_today
from . import bp, services
from .forms import EmulationForm, TargetForm, new_target_data, split_form, target_data
from .progress import format_bp, format_tenths

MANAGERS = (Role.OFFICIAL, Role.ADMIN)

bp.add_app_template_filter(format_bp, "bp")
bp.add_app_template_filter(format_tenths, "tenths")


def _form_error(form, error: services.TargetError) -> None:
    target = form[error.field] if error.field and error.field in form else None
    if target is not None:
        target.errors = list(target.errors) + [error.message]
    else:
        flash(error.message, "error")


def _commune():
    return services.commune_for_user(get_session(), current_user, request.args.get("xa", type=int))


@bp.route("/chi-tieu")
@login_required
def index():
    """Members have no commune list: they are sent to their own progress."""
    if current_user.role == Role.MEMBER:
        return redirect(url_for(".member_progress"))
    return render("targets/index.html", page=services.target_list(get_session(), _commune(), local_today()))


@bp.route("/chi-tieu/moi", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def create():
    db = get_session()
    commune = _commune()
    form = TargetForm(data=new_target_data(local_today()))
    if form.validate_on_submit():
        try:
            target = services.create_target(db, commune, actor=current_user, **form.values())
        except services.TargetError as error:
            _form_error(form, error)
        else:
            flash(_("Đã đặt chỉ tiêu. Hãy chia chỉ tiêu cho các thôn."), "success")
            return redirect(url_for(".detail", target_id=target.id))
    return render("targets/form.html", form=form, commune=commune, target=None,
                  status=422 if form.is_submitted() else 200)


@bp.route("/chi-tieu/<int:target_id>")
@login_required
def detail(target_id: int):
    db = get_session()
    target = services.get_target_for_user(db, current_user, target_id)
    if not services.may_manage(db, current_user, target):
        abort(403)
    return render("targets/detail.html", page=services.target_page(db, target, local_today()),
                  can_split=services.may_split(db, current_user, target), can_edit=current_user.role in MANAGERS)


@bp.route("/chi-tieu/<int:target_id>/chia", methods=["GET", "POST"])
@login_required
def split(target_id: int):
    """GET with typed parts (the live sum, an htmx request) answers the sum alone; POST saves parts that read, even
    when they do not add up (the target page then says so)."""
    db = get_session()
    target = services.get_target_for_user(db, current_user, target_id)
    if target.member_id is not None:
        abort(404)
    if not services.may_split(db, current_user, target):
        abort(403)
    plan = services.split_plan(db, target, request.args.get("theo"), local_today())
    form = split_form(plan, request.form if request.method == "POST" else request.args)
    if form.validate_on_submit():
        services.save_split(db, plan, form.parts(), actor=current_user)
        warning = services.parts_warning(plan, form.parts())
        flash(warning or _("Đã lưu các phần chỉ tiêu."), "warning" if warning else "success")
        return redirect(url_for(".detail", target_id=target.id))
    parts = form.parts() if form.check_parts() else None
    return render("targets/split.html", "targets/_split_sum.html", plan=plan, form=form, parts=parts,
                  warning=services.parts_warning(plan, parts) if parts else None,
                  status=422 if form.is_submitted() else 200)


@bp.route("/chi-tieu/<int:target_id>/sua", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(target_id: int):
    db = get_session()
    target = services.get_target_for_user(db, current_user, target_id)
    form = TargetForm(data=target_data(target), indicator=target.indicator, part=target.parent_id is not None)
    if form.validate_on_submit():
        try:
            services.update_target(db, target, actor=current_user, **form.values())
        except services.TargetError as error:
            _form_error(form, error)
        else:
            flash(_("Đã lưu chỉ tiêu."), "success")
            return redirect(url_for(".detail", target_id=target.id))
    return render("targets/form.html", form=form, commune=services.commune_for_user(db, current_user,
                  target.commune_id), target=target, status=422 if form.is_submitted() else 200)


@bp.route("/tien-do")
@login_required
def member_progress():
    """A member's own progress; officials and admins have the commune dashboard instead."""
    if current_user.role != Role.MEMBER:
        return redirect(url_for("main.home"))
    return render("targets/member.html", page=services.member_progress(get_session(), current_user, local_today()))


def _emulation():
    form = EmulationForm(request.args)
    if not form.validate():
        return form, None
    first, last = form.period(local_today())
    return form, services.emulation(get_session(), _commune(), first, last, local_today())


@bp.route("/thi-dua")
@roles_required(*MANAGERS)
def emulation():
    form, page = _emulation()
    return render("targets/emulation.html", form=form, page=page, status=200 if page else 422)


@bp.route("/thi-dua.pdf")
@roles_required(*MANAGERS)
def emulation_pdf():
    from weasyprint import HTML

    form, page = _emulation()
    if page is None:
        return render("targets/emulation.html", form=form, page=None, status=422)
    pdf = HTML(string=render_template("targets/emulation_pdf.html", page=page), base_url=request.url_root).write_pdf()
    name = f"thi-dua-{page.first.isoformat()}-{page.last.isoformat()}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})
