"""The commune dashboard (the official's home) and the member's own progress page."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta

import pytest

from fieldwork.models import (
    BhytStatus, Dropout, DropoutReason, FollowUp, FollowUpKind, Indicator, Person, Scheme, Visit, VisitOutcome,
)
from fieldwork.targets.progress import Status
from fieldwork.targets.services import commune_dashboard
from fieldwork.text import LOCAL_TZ, local_today
from tests.targets_data import commune, enrol, make_target, people_of  # noqa: F401


def _visit(db, household, member, day: date):
    db.add(Visit(uuid=str(uuid.uuid4()), household_id=household.id, member_id=member.id, outcome=VisitOutcome.NOT_HOME,
                 visited_at=datetime.combine(day, time(9), LOCAL_TZ)))
    db.commit()


def arrange(db, commune, today: date) -> dict:
    """A 20-day campaign half gone: Tân Sơn ahead (3 of 5), Đồng Bông behind (3 of 15); members to coach."""
    a, b, ma, mb = commune["a"], commune["b"], commune["members_a"], commune["members_b"]
    start, end = today - timedelta(days=10), today + timedelta(days=10)
    whole = make_target(db, a.commune_id, value=20, start=start, end=end)
    part_a = make_target(db, a.commune_id, value=15, start=start, end=end, village_id=a.id, parent=whole)
    part_b = make_target(db, a.commune_id, value=5, start=start, end=end, village_id=b.id, parent=whole)
    on_pace = make_target(db, a.commune_id, value=6, start=start, end=end, village_id=a.id, member_id=ma[1].id,
                          parent=part_a)
    behind = make_target(db, a.commune_id, value=5, start=start, end=end, village_id=a.id, member_id=ma[2].id,
                         parent=part_a)
    for person in people_of(db, commune["households_a"][0]):
        enrol(db, person, today, member=ma[1])
    for person in people_of(db, commune["households_b"][0]):
        enrol(db, person, today, member=mb[1])
    _visit(db, commune["households_a"][0], ma[1], today - timedelta(days=16))  # ma[1]: nothing for 16 days
    _visit(db, commune["households_a"][2], ma[2], today)
    _visit(db, commune["households_b"][0], mb[1], today - timedelta(days=7))
    db.add(FollowUp(household_id=commune["households_a"][2].id, member_id=ma[2].id, kind=FollowUpKind.REVISIT,
                    due_on=today - timedelta(days=3)))
    lapsed, dropped = people_of(db, commune["households_b"][0])[:2]
    lapsed.bhyt_status, lapsed.bhyt_card_expiry = BhytStatus.HOUSEHOLD, today - timedelta(days=7)
    dropped.bhyt_status, dropped.bhyt_card_expiry = BhytStatus.HOUSEHOLD, today - timedelta(days=12)
    db.add_all([lapsed, dropped])
    db.add(Dropout(person_id=dropped.id, scheme=Scheme.BHYT_HGD, ended_on=dropped.bhyt_card_expiry,
                   reason=DropoutReason.CANNOT_AFFORD, member_id=mb[1].id))
    covered = db.get(Person, people_of(db, commune["households_a"][1])[0].id)
    covered.bhyt_status = BhytStatus.OTHER_GROUP
    db.add(covered)
    db.commit()
    return {"whole": whole, "part_a": part_a, "part_b": part_b, "on_pace": on_pace, "behind": behind}


def test_dashboard_ranks_villages_calls_out_the_lagging_and_coaches(db, commune):
    today = date(2026, 6, 17)  # a Wednesday
    t = arrange(db, commune, today)
    board = commune_dashboard(db, commune["official"], today)
    assert board.main.target.id == t["whole"].id
    assert (board.main.progress.achieved, board.main.progress.status) == (6, Status.BEHIND)
    assert [(r.rank, r.village.name, r.line.progress.percent) for r in board.ranking] == [
        (1, "Thôn Tân Sơn", 6000), (2, "Thôn Đồng Bông", 2000)]
    assert [ln.target.id for ln in board.lagging_villages] == [t["part_a"].id]
    assert [ln.target.id for ln in board.lagging_members] == [t["behind"].id]
    assert (board.week_first, board.week_last) == (date(2026, 6, 15), date(2026, 6, 21))
    assert (board.week.visits, board.week.new, board.week.renewals) == (1, 6, 0)
    ma, mb = commune["members_a"], commune["members_b"]
    coaching = [(c.member.id, c.inactive, c.overdue, c.lapsed, c.dropouts) for c in board.coaching]
    assert coaching == [(ma[1].id, True, 0, 0, 0), (ma[2].id, False, 1, 0, 0), (mb[1].id, False, 0, 1, 1)]
    assert board.coaching[0].last_visit == today - timedelta(days=16)
    rows = {row.village.name: row for row in board.villages}
    assert (rows["Thôn Đồng Bông"].covered, rows["Thôn Đồng Bông"].people, rows["Thôn Đồng Bông"].rate) == (1, 9, 1111)
    assert (rows["Thôn Tân Sơn"].missed_renewals, rows["Thôn Đồng Bông"].missed_renewals) == (1, 0)
    assert not board.gaps  # 15 + 5 = 20


def test_main_target_can_be_chosen_and_villages_without_a_part_come_last(db, commune):
    today = date(2026, 6, 17)
    t = arrange(db, commune, today)
    renewals = make_target(db, commune["a"].commune_id, indicator=Indicator.RENEWALS, value=10,
                           start=today - timedelta(days=10), end=today + timedelta(days=10))
    board = commune_dashboard(db, commune["official"], today, renewals.id)
    assert board.main.target.id == renewals.id
    assert [r.line for r in board.ranking] == [None, None]
    assert commune_dashboard(db, commune["official"], today, 999999).main.target.id == t["whole"].id


def test_dashboard_page_shows_bars_in_rank_order_lagging_and_coaching(client, login, db, commune):
    today = local_today()
    arrange(db, commune, today)
    login(commune["official"])
    body = client.get("/").get_data(as_text=True)
    ranking = body[body.index('id="ranking"'):body.index('id="coaching"')]
    order = re.findall(r'data-village="(\d+)"', ranking)
    assert order == [str(commune["b"].id), str(commune["a"].id)]
    widths = re.findall(r'<span style="width: ([\d.]+)%">', ranking)
    assert widths == ["60.00", "20.00"]
    lagging = body[body.index('id="lagging"'):body.index('id="coaching"')]
    assert "Thôn Đồng Bông" in lagging and "cần 8 theo tiến độ" in lagging and "Chậm tiến độ" in lagging
    assert "Thôn Tân Sơn</strong>" not in lagging
    coaching = body[body.index('id="coaching"'):body.index('id="week"')]
    assert f'data-member="{commune["members_a"][1].id}"' in coaching and "không đi thăm 14 ngày" in coaching
    assert "Tuần này" in body and "11,11 %" in body
    # The village table stays.
    assert "Thành viên ban" in body and "Thành Viên Số 1" in body


def test_dashboard_without_targets_says_so_and_links_to_set_one(client, login, commune):
    login(commune["official"])
    body = client.get("/").get_data(as_text=True)
    assert "Xã chưa có chỉ tiêu đang thực hiện." in body and 'href="/chi-tieu/moi"' in body
    assert "Thôn Đồng Bông" in body and "Tổ dân phố số 1" not in body


def test_member_sees_own_share_village_target_and_week_on_the_phone(client, login, db, commune):
    today = local_today()
    t = arrange(db, commune, today)
    login(commune["member_a"])
    body = client.get("/tien-do").get_data(as_text=True)
    mine = body[body.index('id="my-targets"'):body.index('id="village-targets"')]
    assert f'data-target="{t["on_pace"].id}"' in mine and "<strong>3</strong> / 6" in mine
    assert f'data-target="{t["behind"].id}"' not in body  # a colleague's share
    village = body[body.index('id="village-targets"'):]
    assert f'data-target="{t["part_a"].id}"' in village and "Chia cho thành viên" not in village
    week = body[body.index('id="my-week"'):body.index('id="my-targets"')]
    assert "<strong>3</strong> người tham gia mới" in week
    assert f'data-target="{t["part_b"].id}"' not in body  # another village's
    login(commune["head_a"])
    assert "Chia cho thành viên" in client.get("/tien-do").get_data(as_text=True)


@pytest.mark.parametrize("who", ["official", "admin"])
def test_progress_page_sends_officials_and_admins_home(client, login, commune, who):
    login(commune[who])
    response = client.get("/tien-do")
    assert response.status_code == 302 and response.headers["Location"] == "/"
