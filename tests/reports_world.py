"""A village with one known week of work, for the weekly-report tests: every figure the report should show follows
from what is seeded here, by construction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from fieldwork.models import (
    BhytStatus,
    Donor,
    DonorKind,
    Dropout,
    DropoutReason,
    Enrolment,
    EnrolmentKind,
    FollowUp,
    FollowUpKind,
    Indicator,
    PaymentMode,
    PeriodKind,
    Person,
    RefusalReason,
    Scheme,
    Sponsorship,
    SponsorshipStatus,
    Target,
    Visit,
    VisitOutcome,
)
from fieldwork.reports.week import Week, week_of
from fieldwork.text import LOCAL_TZ, local_today

MEMBER_NAMES = ["Nguyễn Thị Tuyết", "Trần Văn Đức", "Lê Thị Hằng", "Phạm Quốc Việt"]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local wall-clock time in Asia/Ho_Chi_Minh, as the UTC instant the database keeps."""
    return datetime.combine(day, time(hour, minute), LOCAL_TZ).astimezone(timezone.utc)


@dataclass
class World:
    week: Week
    village: object
    commune_id: int
    members: list
    households: list
    people: dict


def seed_week(db, make_village, make_committee, make_household, *, name: str = "Thôn Đồng Bông") -> World:
    week = week_of(local_today()).shifted(-2)
    mon, sun = week.first, week.last
    village = make_village(name=name)
    _committee, members = make_committee(village, members=4)
    for member, full_name in zip(members, MEMBER_NAMES):
        member.full_name = full_name
        db.add(member)
    m1, m2 = members[1], members[2]
    hh = [make_household(village, assigned_to=m1, head_name=n, people=2)
          for n in ("Hoàng Văn Bình", "Đỗ Thị Lan", "Vũ Văn Khánh", "Bùi Thị Mai")]
    hh.append(make_household(village, assigned_to=m2, head_name="Đặng Văn Sơn", people=2))
    people = {h.id: db.exec(Person.__table__.select().where(Person.household_id == h.id)
                            .order_by(Person.id)).all() for h in hh}
    pid = {h.id: [row.id for row in people[h.id]] for h in hh}

    def visit(h, member, when, outcome, **kw):
        db.add(Visit(uuid=str(uuid.uuid4()), household_id=h.id, member_id=member.id, visited_at=when,
                     outcome=outcome, **kw))

    visit(hh[0], m1, at(mon, 8), VisitOutcome.AGREED)
    visit(hh[0], m1, at(mon + timedelta(days=2), 9), VisitOutcome.CONSIDERING)
    visit(hh[1], m1, at(sun, 23, 30), VisitOutcome.REFUSED, reason=RefusalReason.CANNOT_AFFORD)
    visit(hh[4], m2, at(mon + timedelta(days=4), 15), VisitOutcome.NOT_HOME)
    visit(hh[2], m1, at(sun + timedelta(days=1), 0, 10), VisitOutcome.AGREED)  # next week
    visit(hh[3], m1, at(mon - timedelta(days=1), 23, 50), VisitOutcome.AGREED)  # the week before

    db.add(Enrolment(person_id=pid[hh[0].id][0], scheme=Scheme.BHXH_TN, kind=EnrolmentKind.NEW,
                     chosen_income=1_500_000, payment_mode=PaymentMode.YEARLY, months=12, from_month=mon.replace(day=1),
                     valid_until=date(mon.year + 1, mon.month, 1) - timedelta(days=1), amount_total=3_960_000,
                     amount_person=3_168_000, amount_state=792_000, member_id=m1.id,
                     receipt_date=mon + timedelta(days=1), receipt_no="BL-0001"))
    for rank, (person_id, total) in enumerate(zip(pid[hh[1].id], (1_263_600, 884_520)), start=1):
        db.add(Enrolment(person_id=person_id, scheme=Scheme.BHYT_HGD, kind=EnrolmentKind.RENEWAL, months=12,
                         from_month=mon.replace(day=1), valid_until=mon + timedelta(days=360), bhyt_rank=rank,
                         amount_total=total, amount_person=total, member_id=m1.id,
                         created_at=at(mon + timedelta(days=5), 10)))
    db.add(Enrolment(person_id=pid[hh[2].id][0], scheme=Scheme.BHYT_HGD, kind=EnrolmentKind.NEW, months=12,
                     from_month=mon.replace(day=1), valid_until=mon + timedelta(days=360), bhyt_rank=1,
                     amount_total=1_263_600, amount_person=1_263_600, member_id=m1.id,
                     receipt_date=sun + timedelta(days=1)))  # dated next week

    db.add(Dropout(person_id=pid[hh[3].id][0], scheme=Scheme.BHYT_HGD, ended_on=mon - timedelta(days=20),
                   reason=DropoutReason.CANNOT_AFFORD, member_id=m1.id, created_at=at(mon + timedelta(days=3), 11)))

    commune_id = village.commune_id
    hidden = Donor(commune_id=commune_id, name="Ông Nguyễn Văn Hảo", kind=DonorKind.PERSON, consent_public=False)
    named = Donor(commune_id=commune_id, name="Công ty TNHH Minh Phát", kind=DonorKind.BUSINESS, consent_public=True)
    db.add_all([hidden, named])
    db.flush()
    db.add(Sponsorship(donor_id=hidden.id, person_id=pid[hh[3].id][1], scheme=Scheme.BHYT_HGD, months=12,
                       from_month=mon.replace(day=1), amount=884_520, status=SponsorshipStatus.PAID,
                       paid_on=mon + timedelta(days=3), created_at=at(mon - timedelta(days=10), 9)))
    db.add(Sponsorship(donor_id=named.id, person_id=pid[hh[4].id][0], scheme=Scheme.BHXH_TN, months=12,
                       from_month=mon.replace(day=1), amount=3_168_000, status=SponsorshipStatus.HANDED_OVER,
                       paid_on=mon - timedelta(days=5), handed_over_on=mon, created_at=at(mon - timedelta(days=12), 9)))

    db.add(FollowUp(household_id=hh[2].id, member_id=m1.id, kind=FollowUpKind.REVISIT, due_on=sun + timedelta(days=2),
                    note="Hẹn gặp con trai"))
    db.add(FollowUp(household_id=hh[3].id, member_id=m1.id, kind=FollowUpKind.REVISIT, due_on=sun + timedelta(days=8)))
    db.add(FollowUp(household_id=hh[4].id, member_id=m2.id, kind=FollowUpKind.REVISIT, due_on=mon))  # overdue

    person = db.get(Person, pid[hh[4].id][1])
    person.bhyt_status, person.bhyt_card_expiry = BhytStatus.HOUSEHOLD, sun + timedelta(days=10)
    db.add(person)
    db.add(Target(commune_id=commune_id, village_id=village.id, indicator=Indicator.NEW_BHXH_TN,
                  period_kind=PeriodKind.YEAR, period_start=date(mon.year, 1, 1), period_end=date(mon.year, 12, 31),
                  deadline=date(mon.year, 12, 31), value=10))
    db.commit()
    return World(week, village, commune_id, members, hh, pid)
