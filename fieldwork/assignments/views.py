"""Assigning households: the commune's review, a village's assignment page, one household, bulk, auto-balance,
handover. Officials of the commune, admins and the village committee's head may assign (``services.can_assign``)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, session as browser_session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..committees.services import get_member_for_village
from ..db import get_session
from ..htmx import render, wants_partial
from ..pagecache import cached
from ..models import Role, Village
from ..security import get_household_for_user, get_village_for_user, roles_required, safe_next
from ..text import local_today
from . import bp, services
from .forms import AssignForm, BalanceForm, BulkAssignForm, HandoverForm

BALANCE_KEY = "assignments.balance"  # the last auto-balance's loads before/after, shown once after the redirect
FILTERS = ("xom", "phu-trach", "trang")


def _village_for_assigning(village_id: int):
    db = get_session()
    village = get_village_for_user(db, current_user, village_id)
    if not services.can_assign(db, current_user, village):
        abort(403)
    return db, village


def _form_error(form, error: services.RegistryError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = list(target.errors) + [error.message]
    else:
        flash(error.message, "error")


def _status(form) -> int:
    return 422 if form.is_submitted() else 200


def _filters() -> dict:
    """The list's filters: from the query string, or from the bulk form's hidden copies of them."""
    return {k: request.values[k] for k in FILTERS if request.values.get(k)}


def _offer_members(db, village, form, leaving=None) -> None:
    """Fill the form's member select with the village's active members (but not the one handing over)."""
    members = [m for m in services.active_members(db, village) if leaving is None or m.id != leaving.id]
    form.set_members(members, services.member_loads(db, [m.id for m in members]))


def _village_page(db, village, *, bulk=None, balance=None, result=None, status: int = 200):
    """The village's assignment page; an htmx filter request gets only the household rows (and no review)."""
    bulk, review = bulk or BulkAssignForm(formdata=None), None
    if not wants_partial():
        review = services.village_review(db, village, local_today())
        bulk.set_members([line.member for line in review.members],
                         {line.member.id: line.held for line in review.members})
    filters = _filters()
    listing = services.household_listing(db, village, group=filters.get("xom"), holder=filters.get("phu-trach"),
                                         page=request.values.get("trang", 1, type=int))
    return render("assignments/village.html", "assignments/_household_rows.html", village=village, review=review,
                  listing=listing, bulk=bulk, balance=balance or BalanceForm(formdata=None), result=result,
                  filters=filters, selected=set(bulk.household_ids.data or []), status=status)


# --- reviews -------------------------------------------------------------------------------------------------------


@bp.route("/phan-cong")
@roles_required(Role.OFFICIAL, Role.ADMIN)
@cached
def commune():
    rows = services.commune_review(get_session(), current_user, local_today())
    return render("assignments/commune.html", rows=rows)


@bp.route("/thon/<int:village_id>/phan-cong")
@login_required
def village(village_id: int):
    db, village = _village_for_assigning(village_id)
    result = None if wants_partial() else browser_session.pop(BALANCE_KEY, None)
    if result and result.get("village") != village.id:
        result = None
    return _village_page(db, village, result=result)


# --- assigning -----------------------------------------------------------------------------------------------------


@bp.route("/ho/<int:household_id>/phan-cong", methods=["GET", "POST"])
@login_required
def household(household_id: int):
    db = get_session()
    household = get_household_for_user(db, current_user, household_id)
    village = db.get(Village, household.village_id)
    if not services.can_assign(db, current_user, village):
        abort(403)
    form = AssignForm(next=request.args.get("next"))
    _offer_members(db, village, form)
    if form.validate_on_submit():
        try:
            member = services.member_for_village(db, village, form.member_id.data)
            changed = services.assign(db, household, member, actor=current_user, today=local_today())
        except services.RegistryError as error:
            _form_error(form, error)
        else:
            flash(_("Đã giao hộ %(code)s cho %(name)s.", code=household.code, name=member.full_name) if changed
                  else _("%(name)s vẫn đang phụ trách hộ này; không có gì thay đổi.", name=member.full_name),
                  "success")
            return redirect(safe_next(form.next.data, url_for(".household", household_id=household.id)))
    return render("assignments/household.html", form=form, household=household, village=village,
                  history=services.history(db, household), status=_status(form))


@bp.route("/thon/<int:village_id>/phan-cong/giao", methods=["POST"])
@login_required
def bulk(village_id: int):
    db, village = _village_for_assigning(village_id)
    form = BulkAssignForm()
    _offer_members(db, village, form)
    if form.validate_on_submit():
        try:
            households = services.households_for_ids(db, village, form.household_ids.data)
            member = services.member_for_village(db, village, form.member_id.data)
            changed = services.assign_many(db, households, member, actor=current_user, today=local_today())
        except services.RegistryError as error:
            _form_error(form, error)
        else:
            flash(_("Đã giao %(n)s hộ cho %(name)s.", n=changed, name=member.full_name)
                  + ("" if changed == len(households) else " " + _(
                      "%(k)s hộ còn lại đã do người này phụ trách từ trước.", k=len(households) - changed)),
                  "success")
            return redirect(url_for(".village", village_id=village.id, **_filters()))
    return _village_page(db, village, bulk=form, status=422)


@bp.route("/thon/<int:village_id>/phan-cong/can-bang", methods=["POST"])
@login_required
def balance(village_id: int):
    db, village = _village_for_assigning(village_id)
    form = BalanceForm()
    if form.validate_on_submit():
        try:
            result = services.auto_balance(db, village, only_unassigned=form.only_unassigned.data == "1",
                                           actor=current_user, today=local_today())
        except services.RegistryError as error:
            _form_error(form, error)
        else:
            browser_session[BALANCE_KEY] = _stash(village, result)
            flash(_("Đã chia đều: %(n)s hộ được giao hoặc đổi người phụ trách.", n=result.changed) if result.changed
                  else _("Các hộ đã được chia đều từ trước; không có hộ nào cần chuyển."), "success")
            return redirect(url_for(".village", village_id=village.id) + "#ket-qua")
    return _village_page(db, village, balance=form, status=422)


def _stash(village: Village, result: services.BalanceResult) -> dict:
    return {"village": village.id, "changed": result.changed, "considered": result.considered,
            "follow_ups": result.follow_ups,
            "rows": [[c.member.full_name, c.before, c.after] for c in result.loads]}


@bp.route("/thon/<int:village_id>/phan-cong/ban-giao/<int:member_id>", methods=["GET", "POST"])
@login_required
def handover(village_id: int, member_id: int):
    db, village = _village_for_assigning(village_id)
    leaving = get_member_for_village(db, village, member_id)
    form = HandoverForm()
    _offer_members(db, village, form, leaving)
    if form.validate_on_submit():
        try:
            to = services.member_for_village(db, village, form.receiver_id) if form.receiver_id else None
            result = services.handover(db, leaving, to=to, actor=current_user, today=local_today())
        except services.RegistryError as error:
            _form_error(form, error)
        else:
            flash(_("Đã bàn giao %(h)s hộ và %(f)s việc hẹn của %(name)s.", h=result.households,
                    f=result.follow_ups, name=leaving.full_name), "success")
            return redirect(url_for(".village", village_id=village.id))
    held, follow_ups = services.holdings(db, leaving)
    return render("assignments/handover.html", form=form, village=village, leaving=leaving, held=held,
                  follow_ups=follow_ups, status=_status(form))
