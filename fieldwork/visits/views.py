from __future__ import annotations

from datetime import datetime, timezone

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlmodel import select

from ..db import get_session
from ..htmx import render
from ..models import Channel, Person, RefusalReason, Role, Scheme, Visit, VisitOutcome, utcnow
from ..security import get_household_for_user, is_assigned_to, member_record, roles_required
from ..text import local_today
from . import bp, services
from .forms import VisitForm


def _people(db, household_id: int) -> list[Person]:
    return db.exec(select(Person).where(Person.household_id == household_id, Person.archived_at.is_(None))
                   .order_by(Person.birth_year)).all()


def _input(form: VisitForm, visited_at: datetime) -> services.VisitInput:
    return services.VisitInput(
        uuid=form.uuid.data.lower(), outcome=VisitOutcome(form.outcome.data), visited_at=visited_at,
        reason=RefusalReason(form.reason.data) if form.reason.data else None,
        scheme=Scheme(form.scheme.data) if form.scheme.data else None, channel=Channel(form.channel.data),
        met_person=(form.met_person.data or "").strip() or None, notes=(form.notes.data or "").strip() or None,
        next_date=form.next_date.data, person_ids=tuple(form.person_ids.data or ()),
    )


def _field_error(form: VisitForm, error: services.VisitError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = list(target.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def _member_for(db, household):
    member = member_record(db, current_user)
    if member is None or not is_assigned_to(db, current_user, household):
        abort(403)
    return member


@bp.route("/ho/<int:household_id>/van-dong", methods=["GET", "POST"])
@login_required
def log(household_id: int):
    db = get_session()
    household = get_household_for_user(db, current_user, household_id)
    member = _member_for(db, household)
    form = VisitForm(people=_people(db, household.id))
    if request.method == "GET":
        outcome = VisitOutcome(request.args.get("ket-qua", VisitOutcome.CONSIDERING.value))
        form.outcome.data, form.next_date.data = outcome.value, services.default_next_date(outcome, local_today())
    elif form.validate_on_submit():
        try:
            result = services.log_visit(db, household, member, _input(form, utcnow()), actor=current_user,
                                        today=local_today())
        except services.VisitError as error:
            _field_error(form, error)
            return render("visits/new.html", "visits/_visit_form.html", form=form, household=household,
                          status=error.status)
        flash(_("Đã ghi nhận: %(outcome)s — hộ %(name)s.", outcome=result.visit.outcome.label,
                name=household.head_name), "success")
        return redirect(url_for("main.home"))
    status = 422 if form.is_submitted() else 200
    return render("visits/new.html", "visits/_visit_form.html", form=form, household=household, status=status)


@bp.route("/van-dong/<int:visit_id>/sua", methods=["GET", "POST"])
@login_required
def correct(visit_id: int):
    db = get_session()
    visit = db.get(Visit, visit_id) or abort(404)
    household = get_household_for_user(db, current_user, visit.household_id)
    if not services.can_correct(visit, current_user, member_record(db, current_user), utcnow()):
        abort(403)
    form = VisitForm(obj=visit if request.method == "GET" else None, people=_people(db, household.id))
    if request.method == "GET":
        services.fill_form(db, form, visit)
    elif form.validate_on_submit():
        try:
            services.correct_visit(db, visit, household, _input(form, visit.visited_at), actor=current_user,
                                   today=local_today())
        except services.VisitError as error:
            _field_error(form, error)
        else:
            flash(_("Đã sửa lần vận động."), "success")
            return redirect(url_for("households.detail", household_id=household.id))
    status = 422 if form.is_submitted() else 200
    return render("visits/correct.html", form=form, household=household, visit=visit, status=status)


@bp.route("/ho/<int:household_id>/tiep-tuc-van-dong", methods=["POST"])
@roles_required(Role.OFFICIAL, Role.ADMIN)
def resume(household_id: int):
    from ..households.forms import EmptyForm

    db = get_session()
    household = get_household_for_user(db, current_user, household_id)
    if EmptyForm().validate_on_submit() and household.outreach_stopped:
        services.resume_outreach(db, household, actor=current_user)
        flash(_("Hộ %(name)s đã trở lại danh sách vận động.", name=household.head_name), "success")
    return redirect(url_for("households.detail", household_id=household.id))
