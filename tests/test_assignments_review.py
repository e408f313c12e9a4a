"""The review numbers: each member's load, unassigned households, not visited in 30 days, overdue follow-ups."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone

import pytest

from fieldwork.assignments import services
from fieldwork.models import (
    Assignment, FollowUp, FollowUpKind, FollowUpStatus, Household, Role, Visit, VisitOutcome, utcnow,
)
from fieldwork.text import LOCAL_TZ

TODAY = date(2026, 11, 23)


def _at(days_ago: int, hour: int = 10, minute: int = 0) -> datetime:
    """A local time ``days_ago`` days before TODAY, as the UTC instant the database keeps."""
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour, minute), LOCAL_TZ).astimezone(timezone.utc)


@pytest.fixture
def arranged(app, db, make_village, make_committee, make_user):
    village = make_village(name="Thôn Đồng Bông")
    _, (a, b, c, gone) = make_committee(village, members=4)
    gone.left_on = date(2026, 11, 1)
    db.add(gone)
    n = iter(range(1, 100))

    def house(member=None, group="Xóm Trên", **extra) -> Household:
        h = Household(village_id=village.id, code=f"H-{next(n):02d}", head_name="Chủ Hộ", hamlet_group=group, **extra)
        db.add(h)
        db.flush()
        if member is not None:
            db.add(Assignment(household_id=h.id, member_id=member.id, valid_from=date(2026, 8, 1)))
        return h

    def visit(h, member, when):
        db.add(Visit(uuid=str(uuid.uuid4()), household_id=h.id, member_id=member.id, visited_at=when,
                     outcome=VisitOutcome.CONSIDERING))

    def follow_up(h, member, due, status=FollowUpStatus.OPEN):
        db.add(FollowUp(household_id=h.id, member_id=member.id, kind=FollowUpKind.REVISIT, due_on=due,
                        status=status))

    # a holds 4: two visited 10 days ago, one 40 days ago, one never.
    a1, a2, a3, _a4 = house(a), house(a), house(a), house(a)
    visit(a1, a, _at(10))
    visit(a2, a, _at(10))
    visit(a2, a, _at(45))
    visit(a3, a, _at(40))
    # b holds 2: one visited just after local midnight 29 days ago (the evening before, in UTC) — still "in the last
    # 30 days"; the other visited 30 days ago — no longer.
    b1, b2 = house(b, group="Xóm Dưới"), house(b, group="Xóm Dưới")
    visit(b1, b, _at(29, 0, 30))
    visit(b2, b, _at(30, 23, 30))
    # The departed member still holds 2; c holds nothing.
    g1, _g2 = house(gone), house(gone)
    # 3 unassigned in outreach; an archived and a stopped one do not count.
    house(group="Xóm Trên"), house(group=None), house(group=None)
    house(archived_at=utcnow())
    house(outreach_stopped="moved_away")
    # Follow-ups: a has one overdue, one due today, one done late; b a cancelled late one; the departed one overdue.
    follow_up(a1, a, TODAY - timedelta(days=1))
    follow_up(a2, a, TODAY)
    follow_up(a3, a, TODAY - timedelta(days=7), FollowUpStatus.DONE)
    follow_up(b1, b, TODAY - timedelta(days=3), FollowUpStatus.CANCELLED)
    follow_up(g1, gone, TODAY - timedelta(days=2))
    db.commit()
    elsewhere = make_village(commune_code="00004", name="Tổ dân phố Ngoài Xã")
    db.add(Household(village_id=elsewhere.id, code="X-1", head_name="Người Ngoài"))
    db.commit()
    return {"village": village, "a": a, "b": b, "c": c, "gone": gone, "official": make_user(Role.OFFICIAL)}


def test_village_review_numbers(app, db, arranged):
    with app.test_request_context():
        review = services.village_review(db, arranged["village"], TODAY)
    loads = {line.member.id: (line.held, line.visited, line.not_visited, line.overdue) for line in review.members}
    assert loads == {arranged["a"].id: (4, 2, 2, 1), arranged["b"].id: (2, 1, 1, 0), arranged["c"].id: (0, 0, 0, 0)}
    assert review.households == 11  # 4 + 2 + 2 held by the departed member + 3 unassigned
    assert review.unassigned_count == 3 and len(review.unassigned) == 3
    assert [h.hamlet_group for h in review.unassigned] == ["Xóm Trên", None, None]
    assert review.not_visited == 8  # 11 in outreach, 3 visited in the last 30 days
    assert review.overdue == 2  # a's and the departed member's
    assert [(d.member.id, d.left_on, d.held) for d in review.departed] == [(arranged["gone"].id, date(2026, 11, 1), 2)]
    assert review.spread == 4


def test_unassigned_list_shows_the_first_50(app, db, arranged):
    village = arranged["village"]
    db.add_all([Household(village_id=village.id, code=f"Z-{i:03d}", head_name="Chủ Hộ") for i in range(60)])
    db.commit()
    review = services.village_review(db, village, TODAY)
    assert review.unassigned_count == 63 and len(review.unassigned) == 50


def test_commune_review_has_one_row_per_village_in_scope(app, db, arranged, make_village, make_user):
    empty = make_village(name="Thôn Hạ")
    rows = services.commune_review(db, arranged["official"], TODAY)
    by_name = {r.village.name: r for r in rows}
    assert set(by_name) == {"Thôn Đồng Bông", "Thôn Hạ"}
    r = by_name["Thôn Đồng Bông"]
    assert (r.households, r.members, r.unassigned, r.not_visited, r.overdue, r.departed_holding) == (11, 3, 3, 8, 2, 2)
    assert (r.min_load, r.max_load) == (0, 4)
    e = by_name[empty.name]
    assert (e.households, e.members, e.unassigned, e.min_load, e.max_load) == (0, 0, 0, 0, 0)
    admin_rows = services.commune_review(db, make_user(Role.ADMIN), TODAY)
    assert "Tổ dân phố Ngoài Xã" in {r.village.name for r in admin_rows}


def test_review_follows_a_balance(app, db, arranged):
    with app.test_request_context():
        services.auto_balance(db, arranged["village"], only_unassigned=True, actor=None, today=TODAY)
    db.commit()
    review = services.village_review(db, arranged["village"], TODAY)
    assert review.unassigned_count == 0
    # 3 unassigned go to the lightest first: c (0 → 2), then b (2 → 3); a keeps 4.
    assert [line.held for line in review.members] == [4, 3, 2]
