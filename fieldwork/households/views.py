"""Households and people: pages, corrections, archive, move, consent, duplicates, merges, search."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..db import get_session
from ..htmx import render
from ..i18n import per_catalogue
from ..offline.web import offline_owner
from ..pagecache import cached
from ..models import Person, Role, VisitOutcome
from ..security import (
    get_household_and_village_for_user,
    get_household_for_user,
    get_person_for_user,
    get_village_for_user,
    is_assigned_to,
    roles_required,
)
from ..text import local_today
from ..assignments import services as assignment_services
from . import bp, search, services
from .forms import ConsentForm, EmptyForm, HouseholdForm, MergeHouseholdForm, MoveForm, PersonForm, SearchForm

MANAGERS = (Role.OFFICIAL, Role.ADMIN)


def _form_error(form, error: services.RegistryError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = list(target.errors) + [error.message]
    else:
        flash(error.message, "error")


@dataclass
class SaveOutcome:
    saved: bool
    status: int = 200
    person: Optional[Person] = None
    duplicates: list = field(default_factory=list)


def _save_person(db, household, person, form: PersonForm) -> SaveOutcome:
    """Validate, warn about likely duplicates (the official confirms), then create or update the person."""
    if not form.is_submitted():
        return SaveOutcome(saved=False)
    if not form.validate():
        return SaveOutcome(saved=False, status=422)
    values = form.values()
    duplicates = services.duplicates_for_new_values(db, household, values, person.id if person else None)
    if any(d.blocking for d in duplicates):
        return SaveOutcome(saved=False, status=422, duplicates=duplicates)
    if duplicates and form.confirm_not_duplicate.data != "1":
        form.confirm_not_duplicate.data = "1"  # a second "save" confirms
        return SaveOutcome(saved=False, status=409, duplicates=duplicates)
    try:
        if person is None:
            person = services.create_person(db, household, actor=current_user, today=local_today(), **values)
        else:
            services.update_person(db, person, actor=current_user, today=local_today(), **values)
    except services.RegistryError as error:
        _form_error(form, error)
        return SaveOutcome(saved=False, status=422)
    return SaveOutcome(saved=True, person=person)


# --- search ------------------------------------------------------------------------------------------------------


@bp.route("/tim-kiem")
@login_required
@cached
def search_page():
    form = SearchForm(request.args)
    hits = search.search(get_session(), current_user, form.q.data or "") if form.validate() else []
    return render("households/search.html", "households/_search_results.html", form=form, hits=hits,
                  query=form.q.data or "")


# --- village list and new household --------------------------------------------------------------------------------


@bp.route("/thon/<int:village_id>/ho")
@roles_required(*MANAGERS)
def village_list(village_id: int):
    db = get_session()
    village = get_village_for_user(db, current_user, village_id)
    listing = services.village_households(
        db, village, group=request.args.get("xom") or None, archived=request.args.get("luu-tru") == "1",
        page=request.args.get("trang", 1, type=int),
    )
    return render("households/village_list.html", "households/_village_rows.html", village=village,
                  listing=listing)


@bp.route("/thon/<int:village_id>/ho/moi", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def create(village_id: int):
    db = get_session()
    village = get_village_for_user(db, current_user, village_id)
    form = HouseholdForm()
    if form.validate_on_submit():
        try:
            household = services.create_household(db, village, actor=current_user, **form.values())
        except services.RegistryError as error:
            _form_error(form, error)
        else:
            flash(_("Đã thêm hộ %(name)s.", name=household.head_name), "success")
            return redirect(url_for(".detail", household_id=household.id))
    status = 422 if form.is_submitted() else 200
    return render("households/household_form.html", form=form, village=village, household=None, status=status)


# --- one household -----------------------------------------------------------------------------------------------


@bp.route("/ho/<int:household_id>")
@login_required
@cached(max_age=300)  # the 24-hour rule for correcting a visit moves with the clock
def detail(household_id: int):
    db = get_session()
    household, village = get_household_and_village_for_user(db, current_user, household_id)
    page = services.household_page(db, household, local_today(), village)
    can_manage = current_user.role in MANAGERS
    can_log = is_assigned_to(db, current_user, household, page.responsible) and not household.archived_at
    offline_owner()  # worked out now, from what is loaded: after the request's commit the household is read again
    return render("households/detail.html", page=page,
                  can_manage=can_manage, action_form=EmptyForm() if can_manage else None,  # its forms are theirs
                  can_log=can_log,
                  outcome_choices=per_catalogue("outcome choices", lambda: [(o.value, o.label) for o in VisitOutcome]),
                  correctable=services.correctable_visits(db, current_user, household, page.visits),
                  can_assign=assignment_services.can_assign(db, current_user, village))


@bp.route("/ho/<int:household_id>/sua", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(household_id: int):
    db = get_session()
    household = get_household_for_user(db, current_user, household_id)
    form = HouseholdForm(obj=household if request.method == "GET" else None)
    if request.method == "GET":
        form.poverty.data = household.poverty.value
    if form.validate_on_submit():
        try:
            services.update_household(db, household, actor=current_user, **form.values())
        except services.RegistryError as error:
            _form_error(form, error)
        else:
            flash(_("Đã lưu thông tin hộ."), "success")
            return redirect(url_for(".detail", household_id=household.id))
    status = 422 if form.is_submitted() else 200
    village = get_village_for_user(db, current_user, household.village_id)
    return render("households/household_form.html", form=form, village=village, household=household, status=status)


@bp.route("/ho/<int:household_id>/luu-tru", methods=["POST"])
@roles_required(*MANAGERS)
def archive(household_id: int):
    db = get_session()
    household = get_household_for_user(db, current_user, household_id)
    if EmptyForm().validate_on_submit() and household.archived_at is None:
        services.archive_household(db, household, actor=current_user)
        flash(_("Đã lưu trữ hộ %(name)s. Có thể khôi phục bất cứ lúc nào.", name=household.head_name), "success")
    return redirect(url_for(".detail", household_id=household.id))


@bp.route("/ho/<int:household_id>/khoi-phuc", methods=["POST"])
@roles_required(*MANAGERS)
def restore(household_id: int):
    db = get_session()
    household = get_household_for_user(db, current_user, household_id)
    if EmptyForm().validate_on_submit() and household.archived_at is not None and household.merged_into_id is None:
        services.restore_household(db, household, actor=current_user)
        flash(_("Đã khôi phục hộ %(name)s.", name=household.head_name), "success")
    return redirect(url_for(".detail", household_id=household.id))


@bp.route("/ho/<int:household_id>/chuyen-thon", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def move(household_id: int):
    db = get_session()
    household = get_household_for_user(db, current_user, household_id)
    form = MoveForm()
    form.village_id.choices = services.village_choices(db, current_user, household)
    if form.validate_on_submit():
        target = get_village_for_user(db, current_user, form.village_id.data)
        try:
            services.move_household(db, household, target, actor=current_user)
        except services.RegistryError as error:
            _form_error(form, error)
        else:
            flash(_("Đã chuyển hộ sang %(v)s; hãy phân công người phụ trách mới.", v=target.name), "success")
            return redirect(url_for(".detail", household_id=household.id))
    status = 422 if form.is_submitted() else 200
    return render("households/move.html", form=form, household=household, status=status)


@bp.route("/ho/<int:household_id>/gop", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def merge(household_id: int):
    db = get_session()
    household = get_household_for_user(db, current_user, household_id)
    form = MergeHouseholdForm()
    if form.validate_on_submit():
        try:
            other = services.household_by_code_for_merge(db, current_user, household, form.other_code.data)
            services.merge_households(db, household, other, actor=current_user)
        except services.RegistryError as error:
            _form_error(form, error)
        else:
            flash(_("Đã gộp hộ %(code)s vào hộ này.", code=other.code), "success")
            return redirect(url_for(".detail", household_id=household.id))
    status = 422 if form.is_submitted() else 200
    return render("households/merge.html", form=form, household=household, status=status)


# --- people ------------------------------------------------------------------------------------------------------


@bp.route("/ho/<int:household_id>/nguoi/moi", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def person_create(household_id: int):
    db = get_session()
    household = get_household_for_user(db, current_user, household_id)
    form = PersonForm()
    outcome = _save_person(db, household, None, form)
    if outcome.saved:
        flash(_("Đã thêm %(name)s vào hộ.", name=outcome.person.full_name), "success")
        return redirect(url_for(".detail", household_id=household.id))
    return render("households/person_form.html", form=form, household=household, person=None,
                  duplicates=outcome.duplicates, status=outcome.status)


@bp.route("/nguoi/<int:person_id>")
@login_required
def person_detail(person_id: int):
    db = get_session()
    person, household = get_person_for_user(db, current_user, person_id)
    page = services.person_page(db, current_user, person, household, local_today())
    return render("households/person.html", page=page, can_manage=current_user.role in MANAGERS,
                  action_form=EmptyForm())


@bp.route("/nguoi/<int:person_id>/sua", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def person_edit(person_id: int):
    db = get_session()
    person, household = get_person_for_user(db, current_user, person_id)
    form = PersonForm(obj=person if request.method == "GET" else None)
    if request.method == "GET":
        for name in ("relation", "sex", "bhyt_status", "bhxh_status"):
            getattr(form, name).data = getattr(person, name).value
    outcome = _save_person(db, household, person, form)
    if outcome.saved:
        flash(_("Đã lưu thông tin của %(name)s.", name=person.full_name), "success")
        return redirect(url_for(".person_detail", person_id=person.id))
    return render("households/person_form.html", form=form, household=household, person=person,
                  duplicates=outcome.duplicates, status=outcome.status)


@bp.route("/nguoi/<int:person_id>/luu-tru", methods=["POST"])
@roles_required(*MANAGERS)
def person_archive(person_id: int):
    db = get_session()
    person, household = get_person_for_user(db, current_user, person_id)
    if EmptyForm().validate_on_submit() and person.archived_at is None:
        services.archive_person(db, person, actor=current_user)
        flash(_("Đã lưu trữ hồ sơ của %(name)s.", name=person.full_name), "success")
    return redirect(url_for(".detail", household_id=household.id))


@bp.route("/nguoi/<int:person_id>/dong-y", methods=["GET", "POST"])
@login_required
def person_consent(person_id: int):
    db = get_session()
    person, household = get_person_for_user(db, current_user, person_id)
    if current_user.role == Role.MEMBER and not is_assigned_to(db, current_user, household):
        abort(403)
    form = ConsentForm()
    if form.validate_on_submit():
        services.record_consent(db, person, actor=current_user, note=form.note.data)
        flash(_("Đã ghi nhận sự đồng ý của %(name)s.", name=person.full_name), "success")
        return redirect(url_for(".person_detail", person_id=person.id))
    status = 422 if form.is_submitted() else 200
    return render("households/consent.html", form=form, person=person, household=household, status=status)


@bp.route("/nguoi/<int:person_id>/trung/<int:other_id>/bo-qua", methods=["POST"])
@roles_required(*MANAGERS)
def duplicate_dismiss(person_id: int, other_id: int):
    db = get_session()
    person, _household = get_person_for_user(db, current_user, person_id)
    other, _other_household = get_person_for_user(db, current_user, other_id)
    if EmptyForm().validate_on_submit():
        services.dismiss_duplicate(db, person, other, actor=current_user)
        flash(_("Đã ghi nhận: %(a)s và %(b)s là hai người khác nhau.", a=person.full_name, b=other.full_name),
              "success")
    return redirect(url_for(".person_detail", person_id=person.id))


@bp.route("/nguoi/<int:person_id>/gop/<int:other_id>", methods=["POST"])
@roles_required(*MANAGERS)
def person_merge(person_id: int, other_id: int):
    db = get_session()
    person, _household = get_person_for_user(db, current_user, person_id)
    other, _other_household = get_person_for_user(db, current_user, other_id)
    if EmptyForm().validate_on_submit():
        try:
            services.merge_people(db, person, other, actor=current_user)
        except services.RegistryError as error:
            flash(error.message, "error")
        else:
            flash(_("Đã gộp hồ sơ trùng vào hồ sơ của %(name)s.", name=person.full_name), "success")
    return redirect(url_for(".person_detail", person_id=person.id))
