"""A commune for the outreach-event tests: two villages with committees, their head and a member, officials of this
commune and of another, and an admin; plus helpers that post the event form and read back what was stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlmodel import Session, func, select

from fieldwork.models import AuditEvent, Enrolment, OutreachEvent, OutreachKind, Role, User, Village
from fieldwork.text import local_today

PAID_ON = "2026-11-23"  # receipt date of the enrolments: fixes the parameters (base salary 2,530,000)


@dataclass
class World:
    village: Village  # Thôn Đông: the head's and the member's village
    other_village: Village  # Thôn Tây, same commune
    far_village: Village  # a village of another commune
    head: User
    member: User
    other_member: User  # a member of Thôn Tây
    official: User
    far_official: User
    admin: User
    members: list  # Thôn Đông's committee members; [0] is the head, [1] the member
    other_members: list  # Thôn Tây's; [1] is other_member


@pytest.fixture
def world(make_village, make_committee, make_user) -> World:
    village = make_village(name="Thôn Đông")
    other = make_village(name="Thôn Tây")
    far = make_village(commune_code="00004", name="Thôn Xa")
    _, members = make_committee(village)
    _, other_members = make_committee(other)
    return World(
        village=village, other_village=other, far_village=far,
        head=make_user(Role.MEMBER, village=village, member=members[0], name="Trưởng Ban Đông"),
        member=make_user(Role.MEMBER, village=village, member=members[1], name="Thành Viên Đông"),
        other_member=make_user(Role.MEMBER, village=other, member=other_members[1], name="Thành Viên Tây"),
        official=make_user(Role.OFFICIAL, name="Cán Bộ Xã"),
        far_official=make_user(Role.OFFICIAL, commune_code="00004", name="Cán Bộ Xã Khác"),
        admin=make_user(Role.ADMIN, name="Quản Trị"),
        members=members, other_members=other_members,
    )


def form_data(where, /, **over) -> dict:
    """What the event form posts: a village meeting yesterday, unless ``over`` says otherwise."""
    data = {"kind": "meeting", "held_on": (local_today() - timedelta(days=1)).isoformat(),
            "village": "xa" if where is None else str(where.id), "title": "Hội nghị khách hàng thôn Đông",
            "attendance": "45", "speakers": "Đ/c Nguyễn Văn A - Trưởng ban; Cán bộ BHXH huyện", "notes": ""}
    data.update(over)
    return data


def add_event(db: Session, world: World, village=None, *, held_on: date | None = None,
              kind: OutreachKind = OutreachKind.MEETING, title: str = "Họp thôn", commune_id: int | None = None,
              attendance: int | None = 30) -> OutreachEvent:
    """An event stored directly (arranging a test, not exercising the form)."""
    event = OutreachEvent(commune_id=commune_id or world.village.commune_id, village_id=village.id if village else None,
                          kind=kind, held_on=held_on or local_today() - timedelta(days=3), title=title,
                          attendance=attendance, created_by_id=world.official.id)
    db.add(event)
    db.commit()
    return event


def count_events(db: Session) -> int:
    return db.exec(select(func.count(OutreachEvent.id))).one()


def count_enrolments(db: Session) -> int:
    return db.exec(select(func.count(Enrolment.id))).one()


def audits(db: Session, action: str) -> list[AuditEvent]:
    return db.exec(select(AuditEvent).where(AuditEvent.entity == "outreach_event", AuditEvent.action == action)
                   .order_by(AuditEvent.id)).all()
