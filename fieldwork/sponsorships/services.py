"""Donors and sponsored books and cards (tặng sổ BHXH, tặng thẻ BHYT). Services flush, never commit.

The money rule: a sponsorship pays part or all of the person's own share of the contribution for a period, as the
calculator computes it (``enrolments.services.quote_bhxh`` / ``quote_bhyt``), and all active sponsorships of one
person and scheme whose periods overlap never add up to more than that share. Paying turns the sponsorship into an
enrolment whose "other support" (Hỗ trợ khác on the D05-TS form) is the donor's amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, false, func, or_, true, update
from sqlmodel import Session, select

from ..audit import record, snapshot
from ..enrolments.calculator import renewal_scope
from ..enrolments.services import (
    RENEWAL_WINDOW,
    BhxhRequest,
    BhytRequest,
    EnrolmentError,
    add_months,
    enrol_bhxh,
    enrol_bhyt,
    month_start,
    parameters_for,
    place_of,
    quote_bhxh,
    quote_bhyt,
)
from ..households.rules import phone_error
from ..households.services import coverage
from ..models import (
    Assignment,
    CommitteeMember,
    Commune,
    Donor,
    DonorKind,
    Enrolment,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Household,
    OutreachEvent,
    OutreachKind,
    Person,
    Poverty,
    Role,
    Scheme,
    Sponsorship,
    SponsorshipStatus,
    User,
    Village,
    utcnow,
)
from ..policy import CalculatorError
from ..security import household_scope, is_assigned_to, member_record
from ..text import fold, format_date, format_vnd, nfc, normalise_phone

Status = SponsorshipStatus
ACTIVE = (Status.PROPOSED, Status.APPROVED, Status.PAID, Status.HANDED_OVER)
GIVEN = (Status.PAID, Status.HANDED_OVER, Status.ENDED)  # the donor's money has come in
NEXT_STATES = {
    Status.PROPOSED: (Status.APPROVED, Status.CANCELLED),
    Status.APPROVED: (Status.PAID, Status.CANCELLED),
    Status.PAID: (Status.HANDED_OVER,),
    Status.HANDED_OVER: (Status.ENDED,),
}
BHXH_MONTHS = (1, 3, 6, 12, 24, 36, 48, 60)  # modes 1, 3, 6, 12 and VS (whole years paid ahead)
BHYT_MONTHS = (3, 6, 12)
NEEDY = (Poverty.POOR, Poverty.NEAR_POOR, Poverty.HARDSHIP)
RENEWAL_DUE = "renewal_due"  # a list filter: derived from the enrolment, never stored


class SponsorshipError(ValueError):
    """A change refused for a reason the user can fix; ``field`` names the form field to show it on."""

    def __init__(self, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- scope -------------------------------------------------------------------------------------------------------


def donor_scope(user: User):
    """Condition on ``Donor`` rows: a commune's donors are its officials' and members' to see; admins see all."""
    if user.role == Role.ADMIN:
        return true()
    if user.commune_id is not None:
        return Donor.commune_id == user.commune_id
    return false()


def get_donor_for_user(session: Session, user: User, donor_id: int) -> Donor:
    donor = session.exec(select(Donor).where(Donor.id == donor_id, donor_scope(user))).first()
    if donor is None:
        abort(404)
    return donor


@dataclass
class SponsorshipItem:
    sponsorship: Sponsorship
    person: Person
    household: Household
    donor: Donor


def get_sponsorship_for_user(session: Session, user: User, sponsorship_id: int) -> SponsorshipItem:
    """The sponsorship if its beneficiary's household is in the user's scope (404 otherwise)."""
    row = session.exec(
        select(Sponsorship, Person, Household, Donor)
        .join(Person, Person.id == Sponsorship.person_id)
        .join(Household, Household.id == Person.household_id)
        .join(Donor, Donor.id == Sponsorship.donor_id)
        .where(Sponsorship.id == sponsorship_id, household_scope(user))
    ).first()
    if row is None:
        abort(404)
    return SponsorshipItem(*row)


def may_act(session: Session, user: User, household: Household) -> bool:
    """Officials and admins, or the member responsible for the household, propose and record sponsorships."""
    return user.role in (Role.OFFICIAL, Role.ADMIN) or is_assigned_to(session, user, household)


def may_cancel(user: User, sponsorship: Sponsorship) -> bool:
    """A member may withdraw their proposal; once the commune has approved, only an official cancels."""
    return user.role in (Role.OFFICIAL, Role.ADMIN) or sponsorship.status == Status.PROPOSED


def commune_id_of(session: Session, household: Household) -> int:
    return session.exec(select(Village.commune_id).where(Village.id == household.village_id)).one()


# --- donors ------------------------------------------------------------------------------------------------------

DONOR_FIELDS = ("name", "kind", "contact_name", "phone", "address", "email", "consent_public", "notes")


def _clean_donor(values: dict) -> dict:
    clean = {k: v for k, v in values.items() if k in DONOR_FIELDS}
    for key in ("name", "contact_name", "address", "email", "notes"):
        clean[key] = nfc(clean.get(key)) or None
    if not clean["name"]:
        raise SponsorshipError(str(_l("Hãy nhập tên nhà tài trợ (cá nhân hoặc tổ chức).")), "name")
    if (message := phone_error(clean.get("phone"))):
        raise SponsorshipError(message, "phone")
    clean["phone"] = normalise_phone(clean.get("phone")) or None
    clean["email"] = clean["email"].lower() if clean["email"] else None
    clean["kind"] = DonorKind(clean["kind"])
    clean["consent_public"] = bool(clean.get("consent_public"))
    return clean


def _check_name_free(session: Session, commune_id: int, name: str, donor_id: Optional[int] = None) -> None:
    names = session.exec(select(Donor.name).where(Donor.commune_id == commune_id, Donor.id != (donor_id or 0))).all()
    if fold(name) in {fold(n) for n in names}:
        raise SponsorshipError(str(_l("Xã đã có nhà tài trợ tên “%(name)s”. Hãy mở nhà tài trợ đó, hoặc thêm chi tiết "
                                      "để phân biệt (ví dụ tên chi nhánh, địa chỉ).", name=name)), "name")


def create_donor(session: Session, commune_id: int, *, actor: User, **values) -> Donor:
    clean = _clean_donor(values)
    _check_name_free(session, commune_id, clean["name"])
    donor = Donor(commune_id=commune_id, **clean)
    session.add(donor)
    session.flush()
    record(session, actor, "create", donor, after=snapshot(donor))
    return donor


def update_donor(session: Session, donor: Donor, *, actor: User, **values) -> Donor:
    clean = _clean_donor(values)
    _check_name_free(session, donor.commune_id, clean["name"], donor.id)
    before = snapshot(donor)
    for key, value in clean.items():
        setattr(donor, key, value)
    session.add(donor)
    session.flush()
    record(session, actor, "update", donor, before=before, after=snapshot(donor))
    return donor


def donor_choices(session: Session, commune_id: int) -> list[tuple[int, str]]:
    donors = session.exec(select(Donor).where(Donor.commune_id == commune_id).order_by(Donor.name)).all()
    return [(d.id, d.name) for d in donors]


def commune_choices(session: Session) -> list[tuple[int, str]]:
    """For an admin adding a donor: the communes that have villages (the catalogue holds all 3,321)."""
    rows = session.exec(select(Commune).where(Commune.id.in_(select(Village.commune_id))).order_by(Commune.name)).all()
    return [(c.id, c.name) for c in rows]


@dataclass
class DonorRow:
    donor: Donor
    sponsorships: int
    amount: int  # of the active and completed sponsorships


def donor_list(session: Session, user: User) -> list[DonorRow]:
    counted = and_(Sponsorship.donor_id == Donor.id, Sponsorship.status != Status.CANCELLED)
    rows = session.exec(
        select(Donor, func.count(Sponsorship.id), func.coalesce(func.sum(Sponsorship.amount), 0))
        .outerjoin(Sponsorship, counted)
        .where(donor_scope(user))
        .group_by(Donor.id)
        .order_by(Donor.name)
    ).all()
    return [DonorRow(d, int(n), int(a)) for d, n, a in rows]


# --- amounts -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    scheme: Scheme
    months: int
    from_month: date
    income: Optional[int] = None  # voluntary social insurance only

    @property
    def until(self) -> date:
        """The first month no longer covered."""
        return add_months(month_start(self.from_month), self.months)


def payment_mode(months: int) -> tuple[str, int]:
    """The D05-TS payment mode for ``months`` of voluntary social insurance: 1/3/6/12, or VS with whole years."""
    if months in (1, 3, 6, 12):
        return str(months), 0
    if months in BHXH_MONTHS:
        return "VS", months // 12
    raise SponsorshipError(str(_l("BHXH tự nguyện: chọn 1, 3, 6, 12 tháng hoặc đóng trước 2 đến 5 năm.")), "months")


def person_share(session: Session, person: Person, household: Household, terms: Terms, on: date) -> int:
    """What the person would pay themselves for ``terms`` on ``on``'s parameters, after state and local support."""
    if terms.scheme == Scheme.BHXH_TN:
        mode, years = payment_mode(terms.months)
        request = BhxhRequest(income=terms.income or 0, mode=mode, from_month=terms.from_month, years=years)
        try:
            return quote_bhxh(session, person, household, request, on).person
        except CalculatorError as error:
            raise SponsorshipError(error.message, "income" if error.field == "income" else "months") from error
    if terms.months not in BHYT_MONTHS:
        raise SponsorshipError(str(_l("Thẻ BHYT hộ gia đình mua theo 3, 6 hoặc 12 tháng.")), "months")
    try:  # ranked as enrol_bhyt ranks one person bought alone: after the household's valid cards
        pairs = quote_bhyt(session, household, BhytRequest([person.id], terms.months, terms.from_month), on)
    except EnrolmentError as error:
        raise SponsorshipError(error.message, "scheme") from error
    return pairs[0][1].person


def overlapping(session: Session, person_id: int, terms: Terms) -> list[Sponsorship]:
    """Active sponsorships of the person and scheme whose months overlap ``terms``' months."""
    rows = session.exec(
        select(Sponsorship).where(Sponsorship.person_id == person_id, Sponsorship.scheme == terms.scheme,
                                  Sponsorship.status.in_(ACTIVE), Sponsorship.from_month < terms.until)
    ).all()
    start = month_start(terms.from_month)
    return [s for s in rows if add_months(s.from_month, s.months) > start]


@dataclass
class Share:
    share: int  # the person's own share for the period
    taken: int  # already promised by other active sponsorships of an overlapping period
    others: list[Sponsorship] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return max(0, self.share - self.taken)


def share_for(session: Session, person: Person, household: Household, terms: Terms, on: date) -> Share:
    """The share and what other donors already cover. Overlapping sponsorships count in full against the new
    period's share: a person is never promised more than they owe for any one period."""
    others = overlapping(session, person.id, terms)
    return Share(person_share(session, person, household, terms, on), sum(s.amount for s in others), others)


@dataclass
class Preview:
    """The amounts the proposal form shows as it is filled in, or why they cannot be computed yet."""

    share: Optional[Share] = None
    error: Optional[str] = None


def preview(session: Session, person: Person, household: Household, terms: Optional[Terms],
            on: date) -> Optional[Preview]:
    if terms is None:
        return None
    try:
        return Preview(share=share_for(session, person, household, terms, on))
    except SponsorshipError as error:
        return Preview(error=error.message)


def default_income(session: Session, household: Household, on: date) -> int:
    """The lowest income one may choose (the rural poverty line): what sponsored books are usually based on."""
    return parameters_for(session, place_of(session, household), on).get("rural_poverty_line")


# --- the life-cycle ----------------------------------------------------------------------------------------------


def _check_move(sponsorship: Sponsorship, target: Status) -> None:
    allowed = NEXT_STATES.get(sponsorship.status, ())
    if target in allowed:
        return
    if allowed:
        message = _l("Khoản tài trợ đang ở bước “%(now)s”, không chuyển sang “%(to)s” được. Bước tiếp theo có thể là: "
                     "%(next)s.", now=sponsorship.status.label, to=target.label,
                     next=", ".join(s.label for s in allowed))
    else:
        message = _l("Khoản tài trợ đã ở bước cuối (“%(now)s”), không thay đổi được nữa. Nếu cần, hãy đề xuất "
                     "khoản tài trợ mới.", now=sponsorship.status.label)
    raise SponsorshipError(str(message))


def _responsible_member(session: Session, household: Household) -> Optional[CommitteeMember]:
    return session.exec(
        select(CommitteeMember).join(Assignment, Assignment.member_id == CommitteeMember.id)
        .where(Assignment.household_id == household.id, Assignment.valid_to.is_(None))
    ).first()


def propose(session: Session, person: Person, household: Household, donor: Donor, terms: Terms,
            amount: Optional[int], notes: Optional[str], *, actor: User, today: date) -> Sponsorship:
    """Record a proposed sponsorship. ``amount`` None means what remains of the person's share for the period.

    The share is computed on ``today``'s parameters; the person's row is locked first (PostgreSQL), so two
    proposals made at the same moment cannot both take the same remaining amount.
    """
    if person.archived_at is not None or household.archived_at is not None:
        raise SponsorshipError(str(_l("Hồ sơ của người này đã lưu trữ; hãy khôi phục trước khi đề xuất tài trợ.")))
    if donor.commune_id != commune_id_of(session, household):
        raise SponsorshipError(str(_l("Nhà tài trợ này thuộc xã khác; hãy chọn nhà tài trợ của xã.")), "donor_id")
    session.exec(select(Person.id).where(Person.id == person.id).with_for_update()).first()
    share = share_for(session, person, household, terms, today)
    if share.share <= 0:
        raise SponsorshipError(str(_l("Với thời gian này người tham gia không phải tự đóng đồng nào (Nhà nước hỗ trợ "
                                      "toàn bộ), nên không cần tài trợ.")), "scheme")
    if share.remaining <= 0:
        raise SponsorshipError(str(_l("Phần người này phải đóng cho thời gian này (%(share)s) đã được các nhà tài trợ "
                                      "khác nhận đủ. Hãy chọn thời gian khác, hoặc huỷ một khoản tài trợ trước.",
                                      share=format_vnd(share.share))), "amount")
    amount = share.remaining if amount is None else amount
    if amount <= 0:
        raise SponsorshipError(str(_l("Số tiền tài trợ phải lớn hơn 0; để trống để tài trợ toàn bộ phần còn lại "
                                      "(%(rest)s).", rest=format_vnd(share.remaining))), "amount")
    if amount > share.remaining:
        raise SponsorshipError(str(_l(
            "Số tiền tài trợ vượt quá phần còn lại người này phải đóng: chỉ còn %(rest)s (phải đóng %(share)s, các nhà "
            "tài trợ khác đã nhận %(taken)s). Hãy nhập tối đa %(rest)s.", rest=format_vnd(share.remaining),
            share=format_vnd(share.share), taken=format_vnd(share.taken))), "amount")
    sponsorship = Sponsorship(donor_id=donor.id, person_id=person.id, scheme=terms.scheme, months=terms.months,
                              from_month=month_start(terms.from_month), amount=amount, proposed_by_id=actor.id,
                              notes=nfc(notes) or None)
    session.add(sponsorship)
    session.flush()
    record(session, actor, "create", sponsorship,
           after={**snapshot(sponsorship), "chosen_income": terms.income, "share": share.share, "taken": share.taken})
    return sponsorship


def _moved(session: Session, sponsorship: Sponsorship, actor: User, action: str, before: dict, **extra) -> None:
    session.add(sponsorship)
    session.flush()
    record(session, actor, action, sponsorship, before=before, after={**snapshot(sponsorship), **extra})


def approve(session: Session, sponsorship: Sponsorship, *, actor: User) -> None:
    """The commune approves a proposal (officials and admins only: the view checks the role)."""
    _check_move(sponsorship, Status.APPROVED)
    before = snapshot(sponsorship)
    sponsorship.status = Status.APPROVED
    sponsorship.approved_by_id = actor.id
    sponsorship.approved_at = utcnow()
    _moved(session, sponsorship, actor, "approve", before)


def _enrol_sponsored_bhyt(session: Session, item: SponsorshipItem, request: BhytRequest, member, actor: User,
                          today: date) -> Enrolment:
    """enrol_bhyt for one person, then the donor's amount moves from the person's part to "other support"."""
    sponsorship = item.sponsorship
    try:
        [enrolment] = enrol_bhyt(session, item.household, request, member=member, actor=actor, today=today)
    except EnrolmentError as error:
        raise SponsorshipError(error.message) from error
    if sponsorship.amount > enrolment.amount_person:
        raise SponsorshipError(str(_l(
            "Mức đóng đã thay đổi: phần người tham gia phải đóng nay là %(share)s, ít hơn số tiền tài trợ %(amount)s. "
            "Hãy huỷ khoản này và đề xuất lại với số tiền mới.", share=format_vnd(enrolment.amount_person),
            amount=format_vnd(sponsorship.amount))))
    before = snapshot(enrolment, ["amount_person", "amount_other"])
    enrolment.amount_other = sponsorship.amount
    enrolment.amount_person -= sponsorship.amount
    session.add(enrolment)
    session.flush()
    record(session, actor, "update", enrolment, before=before,
           after=snapshot(enrolment, ["amount_person", "amount_other"]))
    return enrolment


def _enrol_sponsored_bhxh(session: Session, item: SponsorshipItem, request: BhxhRequest, member, actor: User,
                          today: date) -> Enrolment:
    try:
        return enrol_bhxh(session, item.person, item.household, request, member=member, actor=actor, today=today)
    except EnrolmentError as error:
        if error.field == "other_support":
            raise SponsorshipError(str(_l(
                "Với mức thu nhập này, phần người tham gia phải đóng ít hơn số tiền tài trợ (%(amount)s). Hãy nhập "
                "mức thu nhập đã chọn khi đề xuất, hoặc huỷ và đề xuất lại với số tiền thấp hơn.",
                amount=format_vnd(item.sponsorship.amount))), "income") from error
        raise SponsorshipError(error.message, "income" if error.field == "income" else None) from error


def mark_paid(session: Session, item: SponsorshipItem, *, paid_on: date, income: Optional[int],
              receipt_no: Optional[str], actor: User, today: date) -> Enrolment:
    """The donor's money has come in: record the enrolment (its "other support" is the donor's amount, on the
    parameters in force on ``paid_on``), link it to the sponsorship and close the person's "needs a sponsor" tasks."""
    sponsorship = item.sponsorship
    _check_move(sponsorship, Status.PAID)
    if paid_on > today:
        raise SponsorshipError(str(_l("Ngày nộp tiền không được sau hôm nay; hãy chọn ngày đã nộp.")), "paid_on")
    member = member_record(session, actor) or _responsible_member(session, item.household)
    receipt = (receipt_no or "").strip() or None
    if sponsorship.scheme == Scheme.BHXH_TN:
        mode, years = payment_mode(sponsorship.months)
        request = BhxhRequest(income=income or 0, mode=mode, from_month=sponsorship.from_month, years=years,
                              other_support=sponsorship.amount, receipt_no=receipt, receipt_date=paid_on)
        enrolment = _enrol_sponsored_bhxh(session, item, request, member, actor, today)
    else:
        request = BhytRequest([item.person.id], sponsorship.months, sponsorship.from_month, receipt_no=receipt,
                              receipt_date=paid_on)
        enrolment = _enrol_sponsored_bhyt(session, item, request, member, actor, today)
    enrolment.sponsorship_id = sponsorship.id
    session.add(enrolment)
    session.exec(
        update(FollowUp)
        .where(FollowUp.person_id == item.person.id, FollowUp.kind == FollowUpKind.NEEDS_SPONSOR,
               FollowUp.status == FollowUpStatus.OPEN)
        .values(status=FollowUpStatus.DONE, closed_at=utcnow())
    )
    before = snapshot(sponsorship)
    sponsorship.status, sponsorship.paid_on = Status.PAID, paid_on
    _moved(session, sponsorship, actor, "pay", before, enrolment_id=enrolment.id)
    return enrolment


def ceremonies(session: Session, commune_id: int) -> list[OutreachEvent]:
    """The commune's hand-over ceremonies, newest first, to pick the one a book or card was handed over at."""
    return list(session.exec(
        select(OutreachEvent).where(OutreachEvent.commune_id == commune_id, OutreachEvent.kind == OutreachKind.CEREMONY)
        .order_by(OutreachEvent.held_on.desc(), OutreachEvent.id.desc()).limit(50)
    ).all())


def hand_over(session: Session, item: SponsorshipItem, *, on: date, event_id: Optional[int],
              event_text: Optional[str], actor: User, today: date) -> None:
    sponsorship = item.sponsorship
    _check_move(sponsorship, Status.HANDED_OVER)
    if on > today:
        raise SponsorshipError(str(_l("Ngày trao không được sau hôm nay; hãy ghi sau khi đã trao.")), "handed_over_on")
    if sponsorship.paid_on and on < sponsorship.paid_on:
        raise SponsorshipError(str(_l("Ngày trao không được trước ngày nộp tiền (%(d)s).",
                                      d=format_date(sponsorship.paid_on))), "handed_over_on")
    events = {e.id for e in ceremonies(session, commune_id_of(session, item.household))}
    if event_id is not None and event_id not in events:
        raise SponsorshipError(str(_l("Hãy chọn một lễ trao sổ, thẻ của xã trong danh sách, hoặc để trống.")),
                               "event_id")
    before = snapshot(sponsorship)
    sponsorship.status, sponsorship.handed_over_on = Status.HANDED_OVER, on
    sponsorship.event_id = event_id
    sponsorship.handover_event = nfc(event_text) or None
    if event_id is not None:
        session.exec(update(Enrolment).where(Enrolment.sponsorship_id == sponsorship.id, Enrolment.event_id.is_(None))
                     .values(event_id=event_id))
    _moved(session, sponsorship, actor, "hand_over", before)


def end(session: Session, item: SponsorshipItem, *, on: date, actor: User) -> None:
    sponsorship = item.sponsorship
    _check_move(sponsorship, Status.ENDED)
    if sponsorship.handed_over_on and on < sponsorship.handed_over_on:
        raise SponsorshipError(str(_l("Ngày kết thúc không được trước ngày trao (%(d)s).",
                                      d=format_date(sponsorship.handed_over_on))), "ended_on")
    before = snapshot(sponsorship)
    sponsorship.status, sponsorship.ended_on = Status.ENDED, on
    _moved(session, sponsorship, actor, "end", before)


def cancel(session: Session, item: SponsorshipItem, *, reason: str, actor: User) -> None:
    """Cancel with a reason, kept in the notes and the audit trail; the amount is freed for other donors."""
    sponsorship = item.sponsorship
    _check_move(sponsorship, Status.CANCELLED)
    reason = nfc(reason) or ""
    if not reason:
        raise SponsorshipError(str(_l("Hãy ghi lý do huỷ (ví dụ: nhà tài trợ rút lại, người dân đã tự đóng).")),
                               "reason")
    before = snapshot(sponsorship)
    sponsorship.status = Status.CANCELLED
    sponsorship.notes = "\n".join(filter(None, [sponsorship.notes, reason]))
    _moved(session, sponsorship, actor, "cancel", before, reason=reason)


# --- lists -------------------------------------------------------------------------------------------------------


@dataclass
class SponsorshipRow:
    sponsorship: Sponsorship
    person: Person
    household: Household
    donor: Donor
    valid_until: Optional[date] = None  # of the enrolment the sponsorship became
    renewal_due: bool = False


def _renewal_due_condition(today: date):
    return and_(Sponsorship.status == Status.HANDED_OVER, exists().where(
        Enrolment.sponsorship_id == Sponsorship.id, Enrolment.valid_until <= today + RENEWAL_WINDOW))


def _rows(session: Session, query, today: date) -> list[SponsorshipRow]:
    rows = [SponsorshipRow(*r) for r in session.exec(query).all()]
    ids = [r.sponsorship.id for r in rows]
    until = dict(session.exec(
        select(Enrolment.sponsorship_id, func.max(Enrolment.valid_until))
        .where(Enrolment.sponsorship_id.in_(ids)).group_by(Enrolment.sponsorship_id)
    ).all()) if ids else {}
    for row in rows:
        row.valid_until = until.get(row.sponsorship.id)
        row.renewal_due = (row.sponsorship.status == Status.HANDED_OVER and row.valid_until is not None
                           and row.valid_until <= today + RENEWAL_WINDOW)
    return rows


def _joined(*conditions):
    return (select(Sponsorship, Person, Household, Donor)
            .join(Person, Person.id == Sponsorship.person_id)
            .join(Household, Household.id == Person.household_id)
            .join(Donor, Donor.id == Sponsorship.donor_id)
            .where(*conditions))


LIST_LIMIT = 200


@dataclass
class SponsorshipListing:
    rows: list[SponsorshipRow]
    count: int
    amount: int
    people: int
    renewal_due: int
    status: str = ""
    scheme: str = ""

    @property
    def truncated(self) -> bool:
        return self.count > len(self.rows)


def sponsorship_list(session: Session, user: User, *, status: str, scheme: str, today: date) -> SponsorshipListing:
    """Sponsorships of the households in the user's care (a member's assigned ones, an official's commune), with
    totals over everything the filters select. No status filter means every sponsorship but the cancelled ones."""
    conditions = [renewal_scope(session, user)]
    if status == RENEWAL_DUE:
        conditions.append(_renewal_due_condition(today))
    elif status in {s.value for s in Status}:
        conditions.append(Sponsorship.status == Status(status))
    else:
        conditions.append(Sponsorship.status != Status.CANCELLED)
    if scheme in {s.value for s in Scheme}:
        conditions.append(Sponsorship.scheme == Scheme(scheme))
    count, amount, people, due = session.exec(
        select(func.count(Sponsorship.id), func.coalesce(func.sum(Sponsorship.amount), 0),
               func.count(func.distinct(Sponsorship.person_id)),
               func.coalesce(func.sum(case((_renewal_due_condition(today), 1), else_=0)), 0))
        .join(Person, Person.id == Sponsorship.person_id).join(Household, Household.id == Person.household_id)
        .where(*conditions)
    ).one()
    query = _joined(*conditions).order_by(Sponsorship.created_at.desc(), Sponsorship.id.desc()).limit(LIST_LIMIT)
    return SponsorshipListing(rows=_rows(session, query, today), count=int(count), amount=int(amount),
                              people=int(people), renewal_due=int(due), status=status, scheme=scheme)


@dataclass
class DonorPage:
    donor: Donor
    commune: Commune
    rows: list[SponsorshipRow]

    def _sum(self, statuses) -> int:
        return sum(r.sponsorship.amount for r in self.rows if r.sponsorship.status in statuses)

    @property
    def promised(self) -> int:
        return self._sum(ACTIVE + (Status.ENDED,))

    @property
    def given(self) -> int:
        return self._sum(GIVEN)

    @property
    def people(self) -> int:
        return len({r.person.id for r in self.rows if r.sponsorship.status != Status.CANCELLED})


def donor_page(session: Session, donor: Donor, today: date) -> DonorPage:
    query = _joined(Sponsorship.donor_id == donor.id).order_by(Sponsorship.from_month.desc(), Sponsorship.id.desc())
    return DonorPage(donor=donor, commune=session.get(Commune, donor.commune_id), rows=_rows(session, query, today))


@dataclass
class SponsorshipPage:
    item: SponsorshipItem
    enrolment: Optional[Enrolment]
    event: Optional[OutreachEvent]
    next_states: tuple
    renewal_due: bool


def sponsorship_page(session: Session, item: SponsorshipItem, today: date) -> SponsorshipPage:
    sponsorship = item.sponsorship
    enrolment = session.exec(select(Enrolment).where(Enrolment.sponsorship_id == sponsorship.id)
                             .order_by(Enrolment.id.desc())).first()
    return SponsorshipPage(
        item=item, enrolment=enrolment,
        event=session.get(OutreachEvent, sponsorship.event_id) if sponsorship.event_id else None,
        next_states=NEXT_STATES.get(sponsorship.status, ()),
        renewal_due=(sponsorship.status == Status.HANDED_OVER and enrolment is not None
                     and enrolment.valid_until <= today + RENEWAL_WINDOW),
    )


# --- who needs a sponsor -----------------------------------------------------------------------------------------


@dataclass
class Beneficiary:
    person: Person
    household: Household
    schemes: list[Scheme]
    reasons: list[str]
    flagged: bool  # a visit recorded "refused: cannot afford"


BENEFICIARY_LIMIT = 500


def beneficiaries(session: Session, user: User, today: date) -> list[Beneficiary]:
    """People who need a sponsor, with the reasons: an open "needs a sponsor" task from a visit (for the person, or
    for the whole household), or a poor, near-poor or hardship household; and for each the schemes they are a
    prospect for (no valid card; of working age outside social insurance) that no active sponsorship covers yet.
    Poor households get their cards from the state, so they are offered books only."""
    # Correlated EXISTS, not IN (every open task): each candidate looks its own tasks up by person or household.
    open_task = (FollowUp.kind == FollowUpKind.NEEDS_SPONSOR, FollowUp.status == FollowUpStatus.OPEN)
    rows = session.exec(
        select(Person, Household).join(Household, Household.id == Person.household_id)
        .where(renewal_scope(session, user), Person.archived_at.is_(None), Household.archived_at.is_(None),
               Household.outreach_stopped.is_(None),
               or_(Household.poverty.in_(NEEDY), exists().where(FollowUp.person_id == Person.id, *open_task),
                   exists().where(FollowUp.household_id == Household.id, FollowUp.person_id.is_(None), *open_task)))
        .order_by(Household.code, Person.id).limit(BENEFICIARY_LIMIT)
    ).all()
    if not rows:
        return []
    tasks = session.exec(select(FollowUp).where(FollowUp.kind == FollowUpKind.NEEDS_SPONSOR,
                                                FollowUp.status == FollowUpStatus.OPEN,
                                                FollowUp.household_id.in_({h.id for _p, h in rows}))).all()
    covered = set(session.exec(select(Sponsorship.person_id, Sponsorship.scheme).where(
        Sponsorship.person_id.in_([p.id for p, _h in rows]), Sponsorship.status.in_(ACTIVE))).all())
    result = []
    for person, household in rows:
        cov = coverage(person, today)
        schemes = [s for s, wanted in ((Scheme.BHXH_TN, cov.prospect_bhxh),
                                       (Scheme.BHYT_HGD, cov.prospect_bhyt and household.poverty != Poverty.POOR))
                   if wanted and (person.id, s) not in covered]
        mine = [t for t in tasks if t.household_id == household.id and t.person_id in (None, person.id)]
        reasons = [str(_l("Từ chối vì không đủ khả năng đóng (ghi nhận %(d)s)",
                          d=format_date(min(t.created_at for t in mine))))] if mine else []
        if household.poverty in NEEDY:
            reasons.append(household.poverty.label)
        if schemes and reasons:
            result.append(Beneficiary(person, household, schemes, reasons, bool(mine)))
    order = {Poverty.POOR: 0, Poverty.NEAR_POOR: 1, Poverty.HARDSHIP: 2}
    return sorted(result, key=lambda b: (not b.flagged, order.get(b.household.poverty, 3), b.household.code,
                                         b.person.id))


# --- the thank-you letter ----------------------------------------------------------------------------------------


@dataclass
class LetterLine:
    name: str
    scheme: Scheme
    months: int
    amount: int


@dataclass
class Letter:
    donor: Donor
    commune: Commune
    today: date
    named: list[LetterLine]  # beneficiaries who consented to their data being used
    unnamed_people: int
    unnamed_amount: int
    people: int
    books: int
    cards: int
    months: int
    amount: int

    @property
    def commune_in_text(self) -> str:
        """"Xã Tam Tiến" → "xã Tam Tiến", as the name stands inside a sentence."""
        return self.commune.name[:1].lower() + self.commune.name[1:]

    @property
    def place(self) -> str:
        """"Xã Tam Tiến" → "Tam Tiến": how the place line of an official letter names the commune."""
        name = self.commune.name
        for prefix in ("Xã ", "Phường ", "Đặc khu "):
            if name.startswith(prefix):
                return name[len(prefix):]
        return name


def letter_for(session: Session, donor: Donor, today: date) -> Optional[Letter]:
    """What the thank-you letter says: every sponsorship the donor has paid. Beneficiaries are named only when
    their consent is recorded; the others are counted. None when nothing has been paid yet."""
    rows = session.exec(
        select(Sponsorship, Person).join(Person, Person.id == Sponsorship.person_id)
        .where(Sponsorship.donor_id == donor.id, Sponsorship.status.in_(GIVEN))
        .order_by(Sponsorship.from_month, Sponsorship.id)
    ).all()
    if not rows:
        return None
    named = [LetterLine(p.full_name, s.scheme, s.months, s.amount) for s, p in rows if p.consent_at is not None]
    hidden = [(s, p) for s, p in rows if p.consent_at is None]
    return Letter(
        donor=donor, commune=session.get(Commune, donor.commune_id), today=today, named=named,
        unnamed_people=len({p.id for _s, p in hidden}), unnamed_amount=sum(s.amount for s, _p in hidden),
        people=len({p.id for _s, p in rows}), books=sum(s.scheme == Scheme.BHXH_TN for s, _p in rows),
        cards=sum(s.scheme == Scheme.BHYT_HGD for s, _p in rows), months=sum(s.months for s, _p in rows),
        amount=sum(s.amount for s, _p in rows),
    )
