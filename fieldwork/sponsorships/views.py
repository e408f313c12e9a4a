"""Donors, the people who need a sponsor, and sponsorships from proposal to hand-over; the thank-you letter."""

from __future__ import annotations

from typing import Callable, Optional

from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..db import get_session
from ..enrolments.services import month_start
from ..households.forms import EmptyForm
from ..htmx import render
from ..models import Role, Scheme
from ..security import get_person_for_user, roles_required
from ..text import local_today
from . import bp, pdf, services
from .forms import CancelForm, DonorForm, EndForm, HandOverForm, ListFilterForm, PaidForm, SponsorshipForm

MANAGERS = (Role.OFFICIAL, Role.ADMIN)


def _error(form, error: services.SponsorshipError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = list(target.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def _status(form) -> int:
    return 422 if form.is_submitted() else 200


# --- donors ------------------------------------------------------------------------------------------------------


@bp.route("/nha-tai-tro")
@login_required
def donors():
    """Officials and admins manage donors; members see the list read-only (to name one in a proposal)."""
    rows = services.donor_list(get_session(), current_user)
    return render("sponsorships/donors.html", rows=rows, can_manage=current_user.role in MANAGERS)


@bp.route("/nha-tai-tro/moi", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def donor_create():
    db = get_session()
    admin = current_user.role == Role.ADMIN
    form = DonorForm(communes=services.commune_choices(db) if admin else None)
    if form.validate_on_submit():
        commune_id = form.commune_id.data if admin else current_user.commune_id
        try:
            donor = services.create_donor(db, commune_id, actor=current_user, **form.values())
        except services.SponsorshipError as error:
            _error(form, error)
        else:
            flash(_("Đã thêm nhà tài trợ %(name)s.", name=donor.name), "success")
            return redirect(url_for(".donor_detail", donor_id=donor.id))
    return render("sponsorships/donor_form.html", form=form, donor=None, status=_status(form))


@bp.route("/nha-tai-tro/<int:donor_id>")
@roles_required(*MANAGERS)
def donor_detail(donor_id: int):
    db = get_session()
    donor = services.get_donor_for_user(db, current_user, donor_id)
    return render("sponsorships/donor.html", page=services.donor_page(db, donor, local_today()))


@bp.route("/nha-tai-tro/<int:donor_id>/sua", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def donor_edit(donor_id: int):
    db = get_session()
    donor = services.get_donor_for_user(db, current_user, donor_id)
    form = DonorForm(obj=donor if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = donor.kind.value
    if form.validate_on_submit():
        try:
            services.update_donor(db, donor, actor=current_user, **form.values())
        except services.SponsorshipError as error:
            _error(form, error)
        else:
            flash(_("Đã lưu thông tin nhà tài trợ."), "success")
            return redirect(url_for(".donor_detail", donor_id=donor.id))
    return render("sponsorships/donor_form.html", form=form, donor=donor, status=_status(form))


@bp.route("/nha-tai-tro/<int:donor_id>/thu-cam-on.pdf")
@roles_required(*MANAGERS)
def letter(donor_id: int):
    db = get_session()
    donor = services.get_donor_for_user(db, current_user, donor_id)
    letter = services.letter_for(db, donor, local_today())
    if letter is None:
        flash(_("Nhà tài trợ chưa nộp tiền cho khoản tài trợ nào; thư cảm ơn in được sau khi ghi nhận đã nộp."),
              "error")
        return redirect(url_for(".donor_detail", donor_id=donor.id))
    response = make_response(pdf.letter_pdf(letter))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="thu-cam-on-{donor.id}.pdf"'
    return response


# --- who needs a sponsor, and the list of sponsorships -----------------------------------------------------------


@bp.route("/tai-tro/can-ho-tro")
@login_required
def beneficiaries():
    rows = services.beneficiaries(get_session(), current_user, local_today())
    return render("sponsorships/beneficiaries.html", rows=rows)


@bp.route("/tai-tro")
@login_required
def listing():
    form = ListFilterForm(request.args)
    listing = services.sponsorship_list(get_session(), current_user, status=form.status.data or "",
                                        scheme=form.scheme.data or "", today=local_today())
    return render("sponsorships/list.html", "sponsorships/_sponsorship_rows.html", form=form, listing=listing)


# --- proposing ---------------------------------------------------------------------------------------------------


def _proposal_form(db, household) -> SponsorshipForm:
    """On GET the form is filled from the query string (the htmx preview sends the whole form that way)."""
    donors = services.donor_choices(db, services.commune_id_of(db, household))
    if request.method == "POST":
        return SponsorshipForm(donors=donors)
    today = local_today()
    defaults = {"scheme": Scheme.BHXH_TN.value, "months": 12, "from_month": month_start(today),
                "income": services.default_income(db, household, today)}
    return SponsorshipForm(formdata=request.args or None, data=defaults, donors=donors)


@bp.route("/nguoi/<int:person_id>/tai-tro/moi", methods=["GET", "POST"])
@login_required
def propose(person_id: int):
    db = get_session()
    person, household = get_person_for_user(db, current_user, person_id)
    if not services.may_act(db, current_user, household):
        abort(403)
    form = _proposal_form(db, household)
    if form.validate_on_submit():
        try:
            sponsorship = services.propose(
                db, person, household, services.get_donor_for_user(db, current_user, form.donor_id.data),
                form.terms(), form.amount.data, form.notes.data, actor=current_user, today=local_today())
        except services.SponsorshipError as error:
            _error(form, error)
        else:
            flash(_("Đã đề xuất tài trợ cho %(name)s; chờ xã duyệt.", name=person.full_name), "success")
            return redirect(url_for(".detail", sponsorship_id=sponsorship.id))
    preview = services.preview(db, person, household, form.terms(), local_today())
    return render("sponsorships/sponsorship_form.html", "sponsorships/_quote.html", form=form, person=person,
                  household=household, preview=preview, status=_status(form))


# --- one sponsorship and its life-cycle --------------------------------------------------------------------------

FORMS = {"approve": EmptyForm, "pay": PaidForm, "hand_over": HandOverForm, "end": EndForm, "cancel": CancelForm}


def _forms(db, item: services.SponsorshipItem, posted: Optional[str] = None) -> dict:
    """Every action form of the page; only the one just posted reads the request."""
    today = local_today()
    defaults = {"pay": {"paid_on": today}, "hand_over": {"handed_over_on": today}, "end": {"ended_on": today}}
    if item.sponsorship.scheme == Scheme.BHXH_TN:
        defaults["pay"]["income"] = services.default_income(db, item.household, today)
    events = services.ceremonies(db, services.commune_id_of(db, item.household))
    forms = {}
    for name, cls in FORMS.items():
        extra = {"events": events} if cls is HandOverForm else {}
        formdata = {} if name == posted else {"formdata": None}
        forms[name] = cls(data=defaults.get(name), **formdata, **extra)
    return forms


def _detail(db, item: services.SponsorshipItem, forms: dict, status: int = 200):
    return render("sponsorships/sponsorship.html", page=services.sponsorship_page(db, item, local_today()),
                  forms=forms, can_act=services.may_act(db, current_user, item.household),
                  can_approve=current_user.role in MANAGERS,
                  can_cancel=services.may_cancel(current_user, item.sponsorship), status=status)


@bp.route("/tai-tro/<int:sponsorship_id>")
@login_required
def detail(sponsorship_id: int):
    db = get_session()
    item = services.get_sponsorship_for_user(db, current_user, sponsorship_id)
    return _detail(db, item, _forms(db, item))


def _anyone(_user, _sponsorship) -> bool:
    return True


def _act(sponsorship_id: int, name: str, run: Callable, done: str, allowed: Callable = _anyone):
    """Load and authorize, validate the posted action form, run the step; 422 with the page when refused."""
    db = get_session()
    item = services.get_sponsorship_for_user(db, current_user, sponsorship_id)
    if not services.may_act(db, current_user, item.household) or not allowed(current_user, item.sponsorship):
        abort(403)
    forms = _forms(db, item, posted=name)
    if forms[name].validate_on_submit():
        try:
            run(db, item, forms[name])
        except services.SponsorshipError as error:
            _error(forms[name], error)
        else:
            flash(done % {"name": item.person.full_name}, "success")
            return redirect(url_for(".detail", sponsorship_id=sponsorship_id))
    return _detail(db, item, forms, status=422)


@bp.route("/tai-tro/<int:sponsorship_id>/duyet", methods=["POST"])
@roles_required(*MANAGERS)
def approve(sponsorship_id: int):
    return _act(sponsorship_id, "approve",
                lambda db, item, _form: services.approve(db, item.sponsorship, actor=current_user),
                _("Xã đã duyệt khoản tài trợ cho %(name)s."))


@bp.route("/tai-tro/<int:sponsorship_id>/da-nop", methods=["POST"])
@login_required
def pay(sponsorship_id: int):
    def run(db, item, form):
        services.mark_paid(db, item, paid_on=form.paid_on.data, income=form.income.data,
                           receipt_no=form.receipt_no.data, actor=current_user, today=local_today())

    return _act(sponsorship_id, "pay", run, _("Đã ghi nhận nhà tài trợ nộp tiền và %(name)s tham gia bảo hiểm."))


@bp.route("/tai-tro/<int:sponsorship_id>/da-trao", methods=["POST"])
@login_required
def hand_over(sponsorship_id: int):
    def run(db, item, form):
        services.hand_over(db, item, on=form.handed_over_on.data, event_id=form.event_id.data,
                           event_text=form.handover_event.data, actor=current_user, today=local_today())

    return _act(sponsorship_id, "hand_over", run, _("Đã ghi nhận trao sổ, thẻ cho %(name)s."))


@bp.route("/tai-tro/<int:sponsorship_id>/ket-thuc", methods=["POST"])
@login_required
def end(sponsorship_id: int):
    return _act(sponsorship_id, "end",
                lambda db, item, form: services.end(db, item, on=form.ended_on.data, actor=current_user),
                _("Đã kết thúc khoản tài trợ cho %(name)s."))


@bp.route("/tai-tro/<int:sponsorship_id>/huy", methods=["POST"])
@login_required
def cancel(sponsorship_id: int):
    return _act(sponsorship_id, "cancel",
                lambda db, item, form: services.cancel(db, item, reason=form.reason.data, actor=current_user),
                _("Đã huỷ khoản tài trợ cho %(name)s."), services.may_cancel)
