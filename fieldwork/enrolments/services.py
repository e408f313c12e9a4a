"""Recording enrolments and renewals, the renewal list, and drop-outs. Services flush, never commit.

Amounts always come from the calculator (policy.py) over the parameters in force on the payment date; nobody types
a sum of money except a sponsor's share ("other support"). The person's paid-until / card-valid-until date follows
from the months paid, and puts them on the renewal list 30 days before it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, or_, update
from sqlmodel import Session, select

from ..audit import record, snapshot
from ..db import read_rows
from ..events.services import event_for_household
from ..models import (
    BhxhStatus,
    BhytStatus,
    CommitteeMember,
    Commune,
    CommuneKind,
    Dropout,
    DropoutReason,
    Enrolment,
    EnrolmentKind,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Household,
    PaymentMode,
    Person,
    Poverty,
    Province,
    Scheme,
    User,
    Village,
    utcnow,
)
from ..policy import (
    BhytSupport,
    CalculatorError,
    MissingParameter,
    PolicySnapshot,
    SupportGroup,
    bhxh_quote,
    bhyt_quote,
)
from ..policy import snapshot as policy_snapshot
from ..text import format_date

RENEWAL_WINDOW = timedelta(days=30)


class EnrolmentError(ValueError):
    def __init__(self, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.field = field


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_day_of_period(from_month: date, months: int) -> date:
    """The last day covered by ``months`` months paid from the first of ``from_month``."""
    return add_months(month_start(from_month), months) - timedelta(days=1)


@dataclass
class Place:
    village: Village
    commune: Commune
    province: Province


def place_of(session: Session, household: Household) -> Place:
    village = session.get(Village, household.village_id)
    commune = session.get(Commune, village.commune_id)
    return Place(village, commune, session.get(Province, commune.province_id))


def support_groups(person: Person, household: Household, place: Place) -> set[SupportGroup]:
    """The state-support groups a person belongs to for voluntary social insurance (the highest applies)."""
    groups = {SupportGroup.OTHER}
    if household.poverty == Poverty.POOR:
        groups.add(SupportGroup.POOR)
    if household.poverty == Poverty.NEAR_POOR:
        groups.add(SupportGroup.NEAR_POOR)
    if person.ethnicity and person.ethnicity.strip().lower() != "kinh":
        groups.add(SupportGroup.ETHNIC_MINORITY)
    if place.commune.kind == CommuneKind.DAC_KHU:
        groups.add(SupportGroup.ISLAND)
    return groups


def bhyt_support_for(person: Person, household: Household) -> BhytSupport:
    if household.poverty == Poverty.NEAR_POOR:
        return BhytSupport.NEAR_POOR
    occupation = (person.occupation or "").lower()
    if "học sinh" in occupation or "sinh viên" in occupation:
        return BhytSupport.STUDENT
    if household.poverty == Poverty.FARMING_AVERAGE:
        return BhytSupport.FARMING_AVERAGE
    return BhytSupport.NONE


def parameters_for(session: Session, place: Place, on: date) -> PolicySnapshot:
    return policy_snapshot(session, on, place.province.code)


def supported_months_used(session: Session, person: Person) -> int:
    """Months of voluntary social insurance already paid with state support (the 120-month lifetime limit)."""
    used = session.exec(
        select(func.coalesce(func.sum(Enrolment.months), 0))
        .where(Enrolment.person_id == person.id, Enrolment.scheme == Scheme.BHXH_TN, Enrolment.amount_state > 0)
    ).one()
    return int(used)


def _has_enrolled(session: Session, person: Person, scheme: Scheme) -> bool:
    return session.exec(
        select(Enrolment.id).where(Enrolment.person_id == person.id, Enrolment.scheme == scheme)
    ).first() is not None


def _event_for(session: Session, household: Household, event_id: Optional[int]) -> Optional[int]:
    """The outreach event an enrolment came from: one of the household's village, or commune-wide in its commune."""
    if event_id is None:
        return None
    event = event_for_household(session, household, event_id)
    if event is None:
        raise EnrolmentError(str(_l("Hoạt động đã chọn không phải của thôn này hay của cả xã; hãy chọn lại trong "
                                    "danh sách, hoặc chọn “— Không —”.")), "event_id")
    return event.id


def _close_tasks(session: Session, person: Person) -> None:
    session.exec(
        update(FollowUp)
        .where(FollowUp.person_id == person.id, FollowUp.status == FollowUpStatus.OPEN,
               FollowUp.kind.in_([FollowUpKind.COMPLETE_ENROLMENT, FollowUpKind.RENEWAL]))
        .values(status=FollowUpStatus.DONE, closed_at=utcnow())
    )


# --- voluntary social insurance ----------------------------------------------------------------------------------


@dataclass
class BhxhRequest:
    income: int
    mode: str
    from_month: date
    years: int = 0
    missing_months: int = 0
    other_support: int = 0
    receipt_no: Optional[str] = None
    receipt_date: Optional[date] = None
    collector_code: Optional[str] = None
    event_id: Optional[int] = None


def _no_parameters(on: date) -> CalculatorError:
    """A receipt dated before the app's legal parameters begin (a typo, or a very old receipt)."""
    return CalculatorError(str(_l("Chưa có mức lương cơ sở và các mức đóng, hỗ trợ áp dụng cho ngày %(d)s; hãy "
                                  "kiểm tra lại ngày biên lai.", d=format_date(on))), "receipt_date")


def quote_bhxh(session: Session, person: Person, household: Household, req: BhxhRequest, on: date):
    place = place_of(session, household)
    try:
        return bhxh_quote(
            parameters_for(session, place, on), income=req.income, mode=req.mode,
            groups=support_groups(person, household, place), years=req.years, missing_months=req.missing_months,
            support_months_used=supported_months_used(session, person), other_support=req.other_support,
        )
    except MissingParameter as missing:
        raise _no_parameters(on) from missing


def enrol_bhxh(session: Session, person: Person, household: Household, req: BhxhRequest, *,
               member: Optional[CommitteeMember], actor: User, today: date) -> Enrolment:
    try:
        quote = quote_bhxh(session, person, household, req, req.receipt_date or today)
    except CalculatorError as error:
        raise EnrolmentError(error.message, error.field) from error
    event_id = _event_for(session, household, req.event_id)
    renewal = _has_enrolled(session, person, Scheme.BHXH_TN) or person.bhxh_status == BhxhStatus.VOLUNTARY
    enrolment = Enrolment(
        person_id=person.id, scheme=Scheme.BHXH_TN, kind=EnrolmentKind.RENEWAL if renewal else EnrolmentKind.NEW,
        chosen_income=req.income, payment_mode=PaymentMode(req.mode), months=quote.months,
        from_month=month_start(req.from_month), valid_until=last_day_of_period(req.from_month, quote.months),
        amount_total=quote.total, amount_person=quote.person, amount_state=quote.state, amount_local=quote.local,
        amount_other=quote.other, state_share_bp=quote.state_share_bp, local_share_bp=quote.local_share_bp,
        member_id=member.id if member else None, receipt_no=req.receipt_no or None,
        receipt_date=req.receipt_date, collector_code=req.collector_code or None, recorded_by_id=actor.id,
        event_id=event_id,
    )
    session.add(enrolment)
    before = snapshot(person, ["bhxh_status", "bhxh_paid_until"])
    person.bhxh_status = BhxhStatus.VOLUNTARY
    person.bhxh_paid_until = max(filter(None, [person.bhxh_paid_until, enrolment.valid_until]))
    session.add(person)
    _close_tasks(session, person)
    session.flush()
    record(session, actor, "create", enrolment, after=snapshot(enrolment))
    record(session, actor, "update", person, before=before, after=snapshot(person, ["bhxh_status", "bhxh_paid_until"]))
    return enrolment


# --- household health insurance ----------------------------------------------------------------------------------


@dataclass
class BhytRequest:
    person_ids: list[int]  # in the order of their rank within this purchase
    months: int
    from_month: date
    receipt_no: Optional[str] = None
    receipt_date: Optional[date] = None
    collector_code: Optional[str] = None
    event_id: Optional[int] = None


def ranked_people(session: Session, household: Household, person_ids: list[int], from_month: date) -> tuple[list[Person], int]:
    """The people buying (checked to be of this household) and how many others of the household already hold a
    household card still valid at ``from_month``: ranks continue after them."""
    # The household's people, then the ones asked for: ids as posted never reach a query (past 2^31 they fail it).
    wanted = set(person_ids)
    people = {p.id: p for p in session.exec(
        select(Person).where(Person.household_id == household.id, Person.archived_at.is_(None))
    ).all() if p.id in wanted}
    if not person_ids or len(people) != len(wanted):
        raise EnrolmentError(str(_l("Hãy chọn ít nhất một người của hộ này để mua thẻ BHYT.")), "person_ids")
    already = session.exec(
        select(func.count(Person.id)).where(
            Person.household_id == household.id, Person.id.not_in(person_ids), Person.archived_at.is_(None),
            Person.bhyt_status == BhytStatus.HOUSEHOLD, Person.bhyt_card_expiry >= month_start(from_month))
    ).one()
    return [people[i] for i in person_ids], int(already)


def quote_bhyt(session: Session, household: Household, req: BhytRequest, on: date):
    if household.poverty == Poverty.POOR:
        raise EnrolmentError(str(_l("Hộ nghèo được Nhà nước cấp thẻ BHYT, không mua theo hộ gia đình. "
                                    "Hãy kiểm tra danh sách cấp thẻ của xã.")), "person_ids")
    people, already = ranked_people(session, household, req.person_ids, req.from_month)
    place = place_of(session, household)
    try:
        quotes = bhyt_quote(parameters_for(session, place, on), months=req.months,
                            supports=[BhytSupport.NONE] * already + [bhyt_support_for(p, household) for p in people])
    except CalculatorError as error:
        raise EnrolmentError(error.message, error.field) from error
    except MissingParameter as missing:
        error = _no_parameters(on)
        raise EnrolmentError(error.message, error.field) from missing
    return list(zip(people, quotes[already:]))


def enrol_bhyt(session: Session, household: Household, req: BhytRequest, *, member: Optional[CommitteeMember],
               actor: User, today: date) -> list[Enrolment]:
    pairs = quote_bhyt(session, household, req, req.receipt_date or today)
    event_id = _event_for(session, household, req.event_id)
    batch = str(uuid.uuid4())
    enrolments = []
    for person, quote in pairs:
        renewal = _has_enrolled(session, person, Scheme.BHYT_HGD) or person.bhyt_status == BhytStatus.HOUSEHOLD
        enrolment = Enrolment(
            person_id=person.id, scheme=Scheme.BHYT_HGD, kind=EnrolmentKind.RENEWAL if renewal else EnrolmentKind.NEW,
            months=req.months, from_month=month_start(req.from_month),
            valid_until=last_day_of_period(req.from_month, req.months), bhyt_rank=quote.rank,
            amount_total=quote.total, amount_person=quote.person, amount_state=quote.state, amount_local=quote.local,
            state_share_bp=quote.state_share_bp, local_share_bp=quote.local_share_bp,
            member_id=member.id if member else None, receipt_no=req.receipt_no or None,
            receipt_date=req.receipt_date, collector_code=req.collector_code or None, batch_key=batch,
            recorded_by_id=actor.id, event_id=event_id,
        )
        session.add(enrolment)
        before = snapshot(person, ["bhyt_status", "bhyt_card_expiry"])
        person.bhyt_status = BhytStatus.HOUSEHOLD
        person.bhyt_card_expiry = max(filter(None, [person.bhyt_card_expiry, enrolment.valid_until]))
        session.add(person)
        _close_tasks(session, person)
        session.flush()
        record(session, actor, "create", enrolment, after=snapshot(enrolment))
        record(session, actor, "update", person, before=before,
               after=snapshot(person, ["bhyt_status", "bhyt_card_expiry"]))
        enrolments.append(enrolment)
    return enrolments


# --- renewals and drop-outs --------------------------------------------------------------------------------------


class PersonRef(NamedTuple):
    id: int
    full_name: str


class HouseholdRef(NamedTuple):
    id: int
    code: str
    head_name: str
    village_id: int


@dataclass
class RenewalRow:
    """What the renewal lists show of a person: the columns they use, not ORM entities (a village's report lists
    100–200 of them; loading them as entities cost 4–5 ms of its build)."""
    person: PersonRef
    household: HouseholdRef
    scheme: Scheme
    ends: date
    overdue: bool


@lru_cache(maxsize=8)
def _renewals_queries(household_condition, limit: int) -> tuple:
    """The two statements of ``renewals_due`` for a condition built once (with bound parameters), built once too."""
    low, high = bindparam("renewal_low", type_=Person.bhyt_card_expiry.type), \
        bindparam("renewal_high", type_=Person.bhyt_card_expiry.type)
    due = (select(Person.id, Person.full_name, Person.bhyt_status, Person.bhyt_card_expiry, Person.bhxh_status,
                  Person.bhxh_paid_until, Household.id, Household.code, Household.head_name, Household.village_id)
           .join(Household, Household.id == Person.household_id)
           .where(household_condition, Person.archived_at.is_(None), Household.archived_at.is_(None),
                  Person.consent_withdrawn_at.is_(None),  # no reminders to people who withdrew consent
                  or_(and_(Person.bhyt_status == BhytStatus.HOUSEHOLD, Person.bhyt_card_expiry.between(low, high)),
                      and_(Person.bhxh_status == BhxhStatus.VOLUNTARY, Person.bhxh_paid_until.between(low, high))))
           .limit(limit))
    dropped = select(Dropout.person_id, Dropout.scheme, Dropout.ended_on).where(
        Dropout.person_id.in_(bindparam("renewal_people", expanding=True)))
    return due, dropped


def renewals_due(session: Session, household_condition, today: date, params: dict,
                 limit: int = 500) -> list[RenewalRow]:
    """People whose household card or paid voluntary period ends within 30 days, or ended in the last 30 days with
    neither a renewal nor a recorded drop-out, among the households ``household_condition`` selects.

    ``household_condition`` is built once with bound parameters (a module's constant) and ``params`` holds their
    values, so the statements are built once too."""
    low, high = today - RENEWAL_WINDOW, today + RENEWAL_WINDOW
    due, dropped_query = _renewals_queries(household_condition, limit)
    rows = read_rows(session, due, {**params, "renewal_low": low, "renewal_high": high})
    dropped = set(read_rows(session, dropped_query, {"renewal_people": [r[0] for r in rows]})) \
        if rows else set()
    result = []
    for (person_id, name, bhyt_status, bhyt_ends, bhxh_status, bhxh_ends,
         household_id, code, head_name, village_id) in rows:
        person = household = None
        for scheme, ends, status in ((Scheme.BHYT_HGD, bhyt_ends, bhyt_status == BhytStatus.HOUSEHOLD),
                                     (Scheme.BHXH_TN, bhxh_ends, bhxh_status == BhxhStatus.VOLUNTARY)):
            if status and ends and low <= ends <= high and (person_id, scheme, ends) not in dropped:
                if person is None:
                    person = PersonRef(person_id, name)
                    household = HouseholdRef(household_id, code, head_name, village_id)
                result.append(RenewalRow(person, household, scheme, ends, ends < today))
    return sorted(result, key=lambda r: (r.ends, r.household.code, r.person.id))


def record_dropout(session: Session, person: Person, scheme: Scheme, reason: DropoutReason, note: Optional[str], *,
                   member: Optional[CommitteeMember], actor: User) -> Dropout:
    ends = person.bhyt_card_expiry if scheme == Scheme.BHYT_HGD else person.bhxh_paid_until
    if ends is None:
        raise EnrolmentError(str(_l("Người này chưa có thời hạn tham gia để ghi nhận ngừng đóng.")), "scheme")
    dropout = Dropout(person_id=person.id, scheme=scheme, ended_on=ends, reason=reason, note=(note or "").strip() or None,
                      member_id=member.id if member else None, recorded_by_id=actor.id)
    session.add(dropout)
    session.flush()
    record(session, actor, "create", dropout, after=snapshot(dropout))
    return dropout
