from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import bindparam
from sqlmodel import select

from ..db import get_session
from ..htmx import render
from ..models import Person, Role, Visit, VisitAttention, VisitOutcome, utcnow
from ..security import get_household_for_user, household_held_by, is_assigned_to, member_record, roles_required
from ..text import local_today
from . import bp, services
from .forms import VisitForm, plain_input


_PEOPLE = (select(Person).where(Person.household_id == bindparam("household_id"), Person.archived_at.is_(None))
           .order_by(Person.birth_year))  # built once (see security.py)


def _people(db, household_id: int) -> list[Person]:
    return db.exec(_PEOPLE, params={"household_id": household_id}).all()


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
    if request.method == "POST":
        logged = _log_plain(db, household_id)
        if logged is not None:
            return logged
    household = get_household_for_user(db, current_user, household_id)
    member = _member_for(db, household)
    form = VisitForm(people=_people(db, household.id))
    if request.method == "GET":
        asked = request.args.get("ket-qua")  # from the outcome buttons; anything else starts as "considering"
        outcome = VisitOutcome(asked) if asked in {o.value for o in VisitOutcome} else VisitOutcome.CONSIDERING
        form.outcome.data, form.next_date.data = outcome.value, services.default_next_date(outcome, local_today())
    elif form.validate_on_submit():
        try:
            result = services.log_visit(db, household, member, form.to_input(utcnow()), actor=current_user,
                                        today=local_today())
        except services.VisitError as error:
            _field_error(form, error)
            return render("visits/new.html", "visits/_visit_form.html", form=form, household=household,
                          status=error.status)
        return _logged(result, household)
    status = 422 if form.is_submitted() else 200
    return render("visits/new.html", "visits/_visit_form.html", form=form, household=household, status=status)


def _log_plain(db, household_id: int):
    """The common visit POST in a few statements: a plain submission (``forms.plain_input``) by the member holding
    the household (``security.household_held_by``), logged. None for anything else, or when logging it fails: the
    view then goes the whole way (the form, its errors, 404 or 403), and nothing was written."""
    data = plain_input(request.form, utcnow())
    found = household_held_by(db, current_user, household_id) if data is not None else None
    if found is None:
        return None
    household, member = found
    try:
        result = services.log_visit(db, household, member, data, actor=current_user, today=local_today())
    except services.VisitError:
        return None
    # Committed now, not after the response is built: the database's write lock (SQLite has one writer at a time)
    # is held from the first INSERT to the commit, and other members' visits wait for it meanwhile. A failure after
    # this point loses nothing: the phone sends the same UUID again, which is a replay.
    db.commit()
    return _logged(result, household)


def _logged(result: services.LogResult, household):
    flash(_("Đã ghi nhận: %(outcome)s — hộ %(name)s.", outcome=result.visit.outcome.label,
            name=household.head_name), "success")
    return redirect(url_for("main.home"))


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
            services.correct_visit(db, visit, household, form.to_input(visit.visited_at), actor=current_user,
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


@bp.route("/van-dong/can-xem")
@roles_required(Role.OFFICIAL, Role.ADMIN)
def attention():
    from ..households.forms import EmptyForm

    rows = services.attention_rows(get_session(), current_user)
    return render("visits/attention.html", rows=rows, labels=services.ATTENTION_LABELS, action_form=EmptyForm(),
                  outcomes={o.value: o.label for o in VisitOutcome})


@bp.route("/van-dong/can-xem/<int:attention_id>/da-xem", methods=["POST"])
@roles_required(Role.OFFICIAL, Role.ADMIN)
def resolve_attention(attention_id: int):
    from ..households.forms import EmptyForm

    db = get_session()
    row = db.get(VisitAttention, attention_id) or abort(404)
    get_household_for_user(db, current_user, db.get(Visit, row.visit_id).household_id)
    if EmptyForm().validate_on_submit() and row.resolved_at is None:
        services.resolve_attention(db, row, actor=current_user)
        flash(_("Đã đánh dấu là đã xem."), "success")
    return redirect(url_for(".attention"))


@bp.app_context_processor
def _offline_visit_form() -> dict:
    """The household page keeps the visit form for every outcome, to log a visit without signal."""
    days = {outcome.value: n for outcome, n in services.DEFAULT_REVISIT_DAYS.items()}
    return {"offline_visit_fields": offline_visit_fields, "revisit_days": days}


def offline_visit_fields(part: str) -> Markup:
    """A part of the offline visit form (``visits/_visit_fields_<part>.html`` for every outcome at once) in the current
    language: the same on every household page, so rendered once per process and catalogue. Nothing in it depends on
    the household, the user or the day (no values, no token)."""
    from ..i18n import per_catalogue

    def make() -> Markup:
        form = VisitForm(formdata=None, meta={"csrf": False})
        return Markup(render_template(f"visits/_visit_fields_{part}.html", form=form, any=True, outcome=None))

    return per_catalogue(f"offline_visit_fields:{part}", make)
