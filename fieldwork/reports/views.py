"""Weekly reports: the village's and the commune's preview, draft PDF, printing (which freezes a version), the
printed versions, and the week's Excel workbook."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..db import get_session
from ..errors import render_error
from ..exports.services import may_draw_lists
from ..htmx import render
from ..pagecache import cached
from ..models import Role
from ..security import roles_required
from ..text import local_today
from . import archive, bp, pdf, services, workbook
from .forms import PrintForm
from .week import Week, parse_week, recent_weeks, week_of


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _week() -> Week | None:
    """The week asked for (``?tuan=2026-W47``), by default the last complete one; never a week still to come."""
    today = local_today()
    raw = request.args.get("tuan")
    week = parse_week(raw) if raw else week_of(today).shifted(-1)
    return week if week is not None and week.first <= today else None


def _bad_week():
    return render_error(400, _("Tuần không hợp lệ. Hãy chọn một tuần trong danh sách (tuần đã qua hoặc tuần này)."))


def _unit(village_id: int | None):
    db = get_session()
    if village_id is None:
        return archive.commune_unit(db, current_user, request.args.get("xa", type=int))
    return archive.village_unit(db, current_user, village_id)


def _page(unit, week: Week, form: PrintForm, status: int = 200):
    db = get_session()
    report = services.build(db, unit, week, local_today())
    if not form.is_submitted():
        form.proposals.data = archive.latest_proposals(db, unit, week)
    return render("reports/report.html", "reports/_print_form.html", status=status, report=report, form=form,
                  weeks=recent_weeks(local_today()), versions=archive.versions(db, unit, week),
                  may_print=archive.may_print(db, current_user, unit), village_id=unit.village and unit.village.id,
                  may_draw_lists=may_draw_lists(db, current_user))


def _show(village_id: int | None):
    week = _week()
    return _page(_unit(village_id), week, PrintForm()) if week else _bad_week()


def _draft(village_id: int | None):
    week = _week()
    if week is None:
        return _bad_week()
    unit = _unit(village_id)
    report = services.build(get_session(), unit, week, local_today())
    report.prepared_by = current_user.display_name
    name = f"bao-cao-{unit.key}-{week.key}-ban-xem-truoc.pdf"
    return _pdf_response(pdf.report_pdf(report, draft=True), name)


def _print(village_id: int | None):
    week, unit, db = _week(), _unit(village_id), get_session()
    if week is None:
        return _bad_week()
    if not archive.may_print(db, current_user, unit):
        return render_error(403, _("Chỉ trưởng ban vận động hoặc cán bộ xã được in và chốt báo cáo."))
    form = PrintForm()
    if not form.validate_on_submit():
        return _page(unit, week, form, 422)
    try:
        row = archive.freeze(db, unit, week, local_today(), proposals=(form.proposals.data or "").strip(),
                             note=(form.note.data or "").strip(), actor=current_user)
    except archive.ReportError as error:
        form[error.field or "note"].errors = [error.message]
        return _page(unit, week, form, 422)
    flash(_("Đã in và lưu báo cáo %(w)s, bản %(v)s.", w=week.key, v=row.version), "success")
    return redirect(_page_url(unit, week))


def _page_url(unit, week: Week) -> str:
    if unit.village is not None:
        return url_for("reports.village", village_id=unit.village.id, tuan=week.key)
    return url_for("reports.commune", tuan=week.key, xa=unit.commune.id if current_user.role == Role.ADMIN else None)


def _workbook(village_id: int | None):
    week = _week()
    if week is None:
        return _bad_week()
    report = services.build(get_session(), _unit(village_id), week, local_today())
    return Response(workbook.week_workbook(report), mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{workbook.filename(report)}"'})


def _pdf_response(data: bytes, name: str) -> Response:
    disposition = "attachment" if request.args.get("tai") else "inline"
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{name}"'})


@bp.route("/bao-cao")
@login_required
def index():
    """A member goes to their village's report; officials to the commune's, which lists every village."""
    if current_user.role == Role.MEMBER:
        if current_user.village_id is None:
            return render_error(404)
        return redirect(url_for("reports.village", village_id=current_user.village_id))
    return redirect(url_for("reports.commune", **request.args))


@bp.route("/bao-cao/thon/<int:village_id>")
@login_required
@cached
def village(village_id: int):
    return _show(village_id)


@bp.route("/bao-cao/thon/<int:village_id>/xem-truoc.pdf")
@login_required
def village_draft(village_id: int):
    return _draft(village_id)


@bp.route("/bao-cao/thon/<int:village_id>/in", methods=["POST"])
@login_required
def village_print(village_id: int):
    return _print(village_id)


@bp.route("/bao-cao/thon/<int:village_id>/tuan.xlsx")
@login_required
def village_workbook(village_id: int):
    return _workbook(village_id)


@bp.route("/bao-cao/xa/tuan.xlsx")
@roles_required(Role.OFFICIAL, Role.ADMIN)
def commune_workbook():
    return _workbook(None)


@bp.route("/bao-cao/xa")
@roles_required(Role.OFFICIAL, Role.ADMIN)
def commune():
    return _show(None)


@bp.route("/bao-cao/xa/xem-truoc.pdf")
@roles_required(Role.OFFICIAL, Role.ADMIN)
def commune_draft():
    return _draft(None)


@bp.route("/bao-cao/xa/in", methods=["POST"])
@roles_required(Role.OFFICIAL, Role.ADMIN)
def commune_print():
    return _print(None)


@bp.route("/bao-cao/ban-in/<int:report_id>.pdf")
@login_required
def archived(report_id: int):
    """A printed report, byte for byte as it was printed."""
    row = archive.get_archived_for_user(get_session(), current_user, report_id)
    name = f"bao-cao-{row.unit_key}-{row.week_start.isoformat()}-ban-{row.version}.pdf"
    response = _pdf_response(row.pdf, name)
    response.headers["ETag"] = f'"{row.pdf_sha256}"'
    return response
