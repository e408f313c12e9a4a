"""Glue between the calculator, the forms and the enrolment services: prefill, previews, the calculator page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from sqlalchemy import bindparam
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, select

from ..models import Assignment, Commune, Household, Person, Province, Role, User
from ..policy import BhytSupport, CalculatorError, bhxh_quote, bhyt_quote, snapshot
from ..security import household_condition, member_record, scope_parameters
from . import services


@dataclass
class CalculatorResult:
    scheme: str
    bhxh: Optional[object] = None
    bhyt: Optional[list] = None
    error: Optional[str] = None
    error_field: Optional[str] = None

    @property
    def bhyt_total(self) -> int:
        return sum(q.total for q in self.bhyt or [])

    @property
    def bhyt_person(self) -> int:
        return sum(q.person for q in self.bhyt or [])


def _province_code(session: Session, user: User) -> Optional[str]:
    if user.commune_id is None:
        return None
    return session.exec(select(Province.code).join(Commune, Commune.province_id == Province.id)
                        .where(Commune.id == user.commune_id)).first()


def run(session: Session, user: User, form, today: date) -> CalculatorResult:
    """The calculator page: "how much would we pay?" for the inputs on the form, on ``today``'s parameters."""
    params = snapshot(session, today, _province_code(session, user))
    try:
        if form.scheme.data == "bhyt_hgd":
            members = form.members.data or 1
            return CalculatorResult("bhyt_hgd", bhyt=bhyt_quote(params, months=form.months.data,
                                                               supports=[BhytSupport(form.support.data)] * members))
        return CalculatorResult("bhxh_tn", bhxh=bhxh_quote(
            params, income=form.income.data or 0, mode=form.mode.data, groups={form.group.data},
            years=form.years.data or 0, missing_months=form.missing_months.data or 0))
    except CalculatorError as error:
        return CalculatorResult(form.scheme.data, error=error.message, error_field=error.field)


def bhxh_prefill(args, today: date) -> dict:
    """The enrolment form filled from the calculator's query string (thu-nhap, phuong-thuc, ...)."""
    return {
        "income": args.get("income", type=int) or 1_500_000,
        "mode": args.get("mode") or "12",
        "years": args.get("years", type=int) or 1,
        "missing_months": args.get("missing_months", type=int) or 0,
        "from_month": services.month_start(today),
        "receipt_date": today,
        "other_support": 0,
    }


def bhxh_request(form) -> services.BhxhRequest:
    return services.BhxhRequest(
        income=form.income.data, mode=form.mode.data, from_month=form.from_month.data, years=form.years.data or 0,
        missing_months=form.missing_months.data or 0, other_support=form.other_support.data or 0,
        receipt_no=(form.receipt_no.data or "").strip() or None, receipt_date=form.receipt_date.data,
        collector_code=(form.collector_code.data or "").strip() or None, event_id=form.event_id.data,
    )


def preview_bhxh(session: Session, person: Person, household: Household, form, today: date):
    """The amounts for what the form holds now, or the reason they cannot be computed."""
    if form.income.data is None or form.from_month.data is None:
        return None
    try:
        return services.quote_bhxh(session, person, household, bhxh_request(form), form.receipt_date.data or today)
    except CalculatorError as error:
        return CalculatorResult("bhxh_tn", error=error.message, error_field=error.field)


def bhyt_prefill(args, people: list[Person], today: date) -> dict:
    chosen = [int(i) for i in args.getlist("nguoi") if i.isdigit()] or [p.id for p in people]
    return {"person_ids": chosen, "months": args.get("months", type=int) or 12,
            "from_month": services.month_start(today), "receipt_date": today}


def bhyt_request(form) -> services.BhytRequest:
    return services.BhytRequest(
        person_ids=list(form.person_ids.data or []), months=form.months.data, from_month=form.from_month.data,
        receipt_no=(form.receipt_no.data or "").strip() or None, receipt_date=form.receipt_date.data,
        collector_code=(form.collector_code.data or "").strip() or None, event_id=form.event_id.data,
    )


def preview_bhyt(session: Session, household: Household, form, today: date):
    if not form.person_ids.data or form.from_month.data is None:
        return None
    try:
        return services.quote_bhyt(session, household, bhyt_request(form), form.receipt_date.data or today)
    except services.EnrolmentError as error:
        return CalculatorResult("bhyt_hgd", error=error.message, error_field=error.field)


def _renewal_rule(kind: str, member_id, commune_id, village_id) -> ColumnElement[bool]:
    """Members see the renewals of the households they are responsible for; officials their commune's. The ids are
    values, or bound parameters in the statements built once."""
    if kind == "member":
        return Household.id.in_(select(Assignment.household_id).where(Assignment.member_id == member_id,
                                                                     Assignment.valid_to.is_(None)))
    return household_condition(kind, commune_id, village_id)


def _renewal_parameters(session: Session, user: User) -> tuple[str, dict]:
    if user.role == Role.MEMBER:
        member = member_record(session, user)
        return ("member", {"member_id": member.id}) if member is not None else ("none", {})
    return scope_parameters(user)


# One condition per kind of scope, with bound parameters: the statements built on it are built once too.
_RENEWAL_CONDITIONS = {kind: _renewal_rule(kind, bindparam("member_id"), bindparam("commune_id"),
                                           bindparam("village_id"))
                       for kind in ("member", "all", "commune", "village", "none")}


def renewal_scope(session: Session, user: User) -> ColumnElement[bool]:
    """The households whose renewals and sponsorships ``user`` looks after, as a condition with the ids as values."""
    kind, params = _renewal_parameters(session, user)
    return _renewal_rule(kind, params.get("member_id"), params.get("commune_id"), params.get("village_id"))


def prebuilt_renewal_scope(session: Session, user: User) -> tuple[ColumnElement[bool], dict]:
    """:func:`renewal_scope` as a condition built once and the values of its bound parameters."""
    kind, params = _renewal_parameters(session, user)
    return _RENEWAL_CONDITIONS[kind], params
