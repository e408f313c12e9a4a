from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlmodel import select

from ..db import get_session
from ..events.services import recent_event_choices
from ..htmx import render
from ..models import DropoutReason, Person, Role, Scheme
from ..security import get_household_for_user, get_person_for_user, is_assigned_to, member_record
from ..text import local_today
from . import bp, calculator, services
from .forms import BhxhEnrolmentForm, BhytEnrolmentForm, CalculatorForm, DropoutForm


def _may_enrol(db, household) -> None:
    """Officials and admins, or the member responsible for the household."""
    if current_user.role == Role.MEMBER and not is_assigned_to(db, current_user, household):
        abort(403)


def _error(form, error: services.EnrolmentError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = list(target.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


@bp.route("/tinh-muc-dong")
@login_required
def calculate():
    form = CalculatorForm(request.args)
    result = calculator.run(get_session(), current_user, form, local_today()) if form.validate() else None
    return render("enrolments/calculator.html", "enrolments/_quote.html", form=form, result=result)


@bp.route("/nguoi/<int:person_id>/bhxh/moi", methods=["GET", "POST"])
@login_required
def bhxh_new(person_id: int):
    db = get_session()
    person, household = get_person_for_user(db, current_user, person_id)
    _may_enrol(db, household)
    form = BhxhEnrolmentForm(data=calculator.bhxh_prefill(request.args, local_today()) if request.method == "GET" else None)
    form.event_id.choices = recent_event_choices(db, household, local_today())
    quote = None
    if form.validate_on_submit():
        req = calculator.bhxh_request(form)
        try:
            services.enrol_bhxh(db, person, household, req, member=member_record(db, current_user),
                                actor=current_user, today=local_today())
        except services.EnrolmentError as error:
            _error(form, error)
        else:
            flash(_("Đã ghi nhận %(name)s tham gia BHXH tự nguyện.", name=person.full_name), "success")
            return redirect(url_for("households.detail", household_id=household.id))
    quote = calculator.preview_bhxh(db, person, household, form, local_today())
    return render("enrolments/bhxh_form.html", form=form, person=person, household=household, quote=quote,
                  status=422 if form.is_submitted() else 200)


@bp.route("/ho/<int:household_id>/bhyt/moi", methods=["GET", "POST"])
@login_required
def bhyt_new(household_id: int):
    db = get_session()
    household = get_household_for_user(db, current_user, household_id)
    _may_enrol(db, household)
    people = db.exec(select(Person).where(Person.household_id == household.id, Person.archived_at.is_(None))
                     .order_by(Person.birth_year, Person.id)).all()
    form = BhytEnrolmentForm(data=calculator.bhyt_prefill(request.args, people, local_today()) if request.method == "GET" else None)
    form.person_ids.choices = [(p.id, p.full_name) for p in people]
    form.event_id.choices = recent_event_choices(db, household, local_today())
    if form.validate_on_submit():
        try:
            services.enrol_bhyt(db, household, calculator.bhyt_request(form), member=member_record(db, current_user),
                                actor=current_user, today=local_today())
        except services.EnrolmentError as error:
            _error(form, error)
        else:
            flash(_("Đã ghi nhận thẻ BHYT hộ gia đình cho %(n)s người.", n=len(form.person_ids.data)), "success")
            return redirect(url_for("households.detail", household_id=household.id))
    quote = calculator.preview_bhyt(db, household, form, local_today())
    return render("enrolments/bhyt_form.html", form=form, household=household, quote=quote,
                  status=422 if form.is_submitted() else 200)


@bp.route("/gia-han")
@login_required
def renewals():
    db = get_session()
    condition, params = calculator.prebuilt_renewal_scope(db, current_user)
    rows = services.renewals_due(db, condition, local_today(), params=params)
    return render("enrolments/renewals.html", rows=rows, today=local_today())


@bp.route("/nguoi/<int:person_id>/ngung-dong", methods=["GET", "POST"])
@login_required
def dropout(person_id: int):
    db = get_session()
    person, household = get_person_for_user(db, current_user, person_id)
    _may_enrol(db, household)
    form = DropoutForm(data={"scheme": request.args.get("scheme", Scheme.BHYT_HGD.value)} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.record_dropout(db, person, Scheme(form.scheme.data), DropoutReason(form.reason.data),
                                    form.note.data, member=member_record(db, current_user), actor=current_user)
        except services.EnrolmentError as error:
            _error(form, error)
        else:
            flash(_("Đã ghi nhận %(name)s không đóng tiếp.", name=person.full_name), "success")
            return redirect(url_for(".renewals"))
    return render("enrolments/dropout.html", form=form, person=person, household=household,
                  status=422 if form.is_submitted() else 200)
