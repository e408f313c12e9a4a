"""What the targets tests share: a commune with two villages and their committees, and enrolment rows dated at will.

Import the fixture into a test module with ``from tests.targets_data import commune  # noqa: F401``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Optional

import pytest
from sqlmodel import Session, select

from fieldwork.models import (
    CommitteeMember,
    Donor,
    DonorKind,
    Enrolment,
    EnrolmentKind,
    Household,
    Indicator,
    PeriodKind,
    Person,
    Role,
    Scheme,
    Sponsorship,
    Target,
    Village,
)


def people_of(db: Session, household: Household) -> list[Person]:
    return list(db.exec(select(Person).where(Person.household_id == household.id).order_by(Person.id)).all())


def enrol(db: Session, person: Person, on: date, *, scheme: Scheme = Scheme.BHYT_HGD,
          kind: EnrolmentKind = EnrolmentKind.NEW, member: Optional[CommitteeMember] = None,
          sponsored: bool = False, receipt: bool = True, created_at: Optional[datetime] = None) -> Enrolment:
    """An enrolment row dated ``on`` (its receipt date, or with ``receipt=False`` only its recording instant)."""
    sponsorship_id = None
    if sponsored:
        household = db.get(Household, person.household_id)
        donor = Donor(commune_id=db.get(Village, household.village_id).commune_id, name="Ngân hàng Chính sách",
                      kind=DonorKind.BANK)
        db.add(donor)
        db.flush()
        sponsorship = Sponsorship(donor_id=donor.id, person_id=person.id, scheme=scheme, months=12,
                                  from_month=on.replace(day=1), amount=1_000_000)
        db.add(sponsorship)
        db.flush()
        sponsorship_id = sponsorship.id
    enrolment = Enrolment(
        person_id=person.id, scheme=scheme, kind=kind, months=12, from_month=on.replace(day=1),
        valid_until=on.replace(day=1) + timedelta(days=364), amount_total=1_000_000, amount_person=1_000_000,
        member_id=member.id if member else None, sponsorship_id=sponsorship_id,
        receipt_date=on if receipt else None,
        created_at=created_at or datetime(on.year, on.month, on.day, 3, 0, tzinfo=timezone.utc),
    )
    db.add(enrolment)
    db.commit()
    return enrolment


def make_target(db: Session, commune_id: int, *, indicator: Indicator = Indicator.NEW_BHYT_HGD, value: int = 20,
                start: date, end: date, deadline: Optional[date] = None, village_id: Optional[int] = None,
                member_id: Optional[int] = None, parent: Optional[Target] = None,
                kind: PeriodKind = PeriodKind.YEAR) -> Target:
    target = Target(commune_id=commune_id, village_id=village_id, member_id=member_id,
                    parent_id=parent.id if parent else None, indicator=indicator, period_kind=kind,
                    period_start=start, period_end=end, deadline=deadline or end, value=value)
    db.add(target)
    db.commit()
    return target


@pytest.fixture
def commune(db, make_village, make_committee, make_user, make_household):
    """Xã Tam Tiến with Thôn Đồng Bông (3 households of 3 people) and Thôn Tân Sơn (1 household of 3 people);
    a commune of another province with one village; the people who use the app."""
    a = make_village(name="Thôn Đồng Bông", code="T01")
    b = make_village(name="Thôn Tân Sơn", code="T02")
    _, members_a = make_committee(a)
    _, members_b = make_committee(b)
    households_a = [make_household(a, assigned_to=members_a[1], head_name="Nguyễn Văn Đức"),
                    make_household(a, assigned_to=members_a[1], head_name="Trần Thị Hương"),
                    make_household(a, assigned_to=members_a[2], head_name="Lê Văn Đạt")]
    households_b = [make_household(b, assigned_to=members_b[1], head_name="Phạm Thị Lan")]
    foreign = make_village(commune_code="00004", name="Tổ dân phố số 1", code="T01")
    return {
        "a": a, "b": b, "members_a": members_a, "members_b": members_b,
        "households_a": households_a, "households_b": households_b, "foreign": foreign,
        "official": make_user(Role.OFFICIAL, name="Cán Bộ Xã"),
        "admin": make_user(Role.ADMIN),
        "outsider": make_user(Role.OFFICIAL, commune_code="00004"),
        "head_a": make_user(Role.MEMBER, village=a, member=members_a[0], name="Trưởng Ban Đồng Bông"),
        "member_a": make_user(Role.MEMBER, village=a, member=members_a[1], name="Đặng Thị Quỳnh"),
        "head_b": make_user(Role.MEMBER, village=b, member=members_b[0], name="Trưởng Ban Tân Sơn"),
    }
