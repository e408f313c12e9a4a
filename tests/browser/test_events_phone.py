"""Real Chromium at 360×740: a committee head logs a village meeting on a phone, and the filter swaps the list."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from fieldwork.models import OutreachEvent, OutreachKind, Role
from fieldwork.text import local_today
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_head_logs_a_meeting_on_a_phone(live_server, phone_page, db, make_village, make_committee, make_user,
                                        tmp_path):
    village = make_village(name="Thôn Đồng Bông")
    _, members = make_committee(village)
    head = make_user(Role.MEMBER, village=village, member=members[0], name="Nguyễn Thị Lan")
    db.add(OutreachEvent(commune_id=village.commune_id, kind=OutreachKind.BROADCAST, held_on=local_today(),
                         title="Phát loa tuyên truyền BHYT hộ gia đình"))
    db.commit()
    shots = os.environ.get("FIELDWORK_SHOTS") or str(tmp_path)

    page = phone_page
    page.goto(live_server + "/dang-nhap")
    page.get_by_label("Số điện thoại").fill(head.phone)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(live_server + "/")

    page.goto(live_server + "/hoat-dong")
    page.get_by_role("link", name="Ghi hoạt động mới").click()
    page.get_by_label("Tên hoạt động").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Lưu").click()  # the default title is empty: refused, on the same page
    page.get_by_text("Hãy nhập tên hoạt động").wait_for()
    page.screenshot(path=f"{shots}/events-form-error-360.png", full_page=True)
    page.get_by_label("Tên hoạt động").fill("Hội nghị khách hàng thôn Đồng Bông")
    page.get_by_label("Số người tham dự").fill("48")
    page.get_by_label("Người phát biểu, báo cáo viên").fill("Đ/c Nguyễn Thị Lan - Trưởng ban; Cán bộ BHXH")
    page.get_by_role("button", name="Lưu").click()
    page.get_by_text("Đã ghi hoạt động").wait_for()
    assert "48" in page.locator("dl.facts").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=f"{shots}/events-detail-360.png", full_page=True)

    page.get_by_role("link", name="Hoạt động tuyên truyền").first.click()
    page.locator("#event-rows li").nth(1).wait_for()
    # The list arrived by a boosted swap: wait until htmx has initialised its filter form, or the change is lost.
    page.wait_for_function("() => { const el = document.querySelector('#loai');"
                           " const owner = el && el.closest('[hx-get]'); return !!(owner && owner['htmx-internal-data']); }")
    page.locator("#loai").select_option("broadcast")
    # htmx pushes the URL with history.pushState: no load event comes, so poll the URL rather than wait_for_url.
    expect(page).to_have_url(re.compile(r"/hoat-dong\?.*loai=broadcast"))
    expect(page.locator("#event-rows")).not_to_contain_text("Hội nghị khách hàng")
    rows = page.locator("#event-rows").inner_text()
    assert "Phát loa tuyên truyền" in rows and "Hội nghị khách hàng" not in rows
    for row in page.locator("#event-rows a.row").all():
        assert row.bounding_box()["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=f"{shots}/events-list-360.png", full_page=True)
