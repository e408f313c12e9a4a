"""Real Chromium at 360×740: a member logs "still considering" in three taps and sees the household move down."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from fieldwork.models import FollowUp, FollowUpKind, Role, Visit, VisitOutcome
from fieldwork.text import format_date, local_today
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_three_taps_to_log_still_considering(live_server, phone_page, db, make_village, make_committee, make_user,
                                             make_household, tmp_path):
    village = make_village(name="Thôn Đồng Bông")
    _, members = make_committee(village)
    member = members[1]
    first = make_household(village, assigned_to=member, head_name="Nguyễn Văn Đức")
    others = [make_household(village, assigned_to=member, head_name=name) for name in ("Trần Thị Hương", "Lê Văn Đạt")]
    today = local_today()
    db.add(FollowUp(household_id=first.id, member_id=member.id, kind=FollowUpKind.REVISIT,
                    due_on=today - timedelta(days=2)))
    for days, h in enumerate(others, start=2):  # visited recently, revisits planned sooner than a week
        db.add(Visit(uuid=str(uuid.uuid4()), household_id=h.id, member_id=member.id,
                     visited_at=datetime.now(timezone.utc) - timedelta(days=3), outcome=VisitOutcome.CONSIDERING))
        db.add(FollowUp(household_id=h.id, member_id=member.id, kind=FollowUpKind.REVISIT,
                        due_on=today + timedelta(days=days)))
    db.commit()
    user = make_user(Role.MEMBER, village=village, member=member, name="Đặng Thị Quỳnh")

    page = phone_page
    page.goto(live_server + "/dang-nhap")
    page.get_by_label("Số điện thoại").fill(user.phone)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(live_server + "/")
    rows = page.locator("ul.work > li")
    assert rows.first.locator("strong").inner_text() == "Nguyễn Văn Đức"
    assert "quá hạn 2 ngày" in rows.first.inner_text()

    taps = 0
    rows.first.locator("a.row").click()                            # tap 1: open the household
    taps += 1
    page.wait_for_url(f"{live_server}/ho/{first.id}")
    page.get_by_role("link", name="Đang cân nhắc").click()          # tap 2: pick the outcome
    taps += 1
    save = page.locator("#visit-panel").get_by_role("button", name="Lưu")
    save.wait_for()
    assert page.locator("#visit-panel input[name=next_date]").input_value() == (today + timedelta(days=7)).isoformat()
    save.click()                                                    # tap 3: save
    taps += 1
    page.wait_for_url(live_server + "/")
    assert taps == 3

    names = [n.inner_text() for n in page.locator("ul.work > li strong").all()]
    assert names[-1] == "Nguyễn Văn Đức" and names[0] != "Nguyễn Văn Đức"
    moved = page.locator("ul.work > li").last
    assert f"Hẹn thăm lại {format_date(today + timedelta(days=7))}" in moved.inner_text()
    assert "Đã ghi nhận: Đang cân nhắc" in page.locator("main").inner_text()
    assert db.exec(__import__("sqlmodel").select(Visit).where(Visit.household_id == first.id)).one().outcome \
        == VisitOutcome.CONSIDERING

    # Thumb-sized outcome buttons, nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "worklist-after-visit.png"), full_page=True)
