"""Real Chromium at 360×740: a committee head reads the weekly report on a phone, prints it, and shares the PDF
through the phone's share sheet (navigator.share, replaced here by a recorder: the OS sheet is outside the page)."""

from __future__ import annotations

import os

import pytest

from fieldwork.models import Role
from tests.conftest import PASSWORD
from tests.reports_world import MEMBER_NAMES, seed_week

pytestmark = pytest.mark.browser

RECORD_SHARE = """
window.__shared = [];
navigator.canShare = (data) => !!(data && data.files && data.files.length);
navigator.share = async (data) => {
  const file = data.files[0];
  const head = new Uint8Array(await file.slice(0, 5).arrayBuffer());
  window.__shared.push({name: file.name, type: file.type, size: file.size, title: data.title,
                        head: String.fromCharCode(...head)});
};
"""


def test_head_reads_prints_and_shares_the_report_on_a_phone(live_server, phone_page, db, make_village,
                                                            make_committee, make_household, make_user, tmp_path):
    world = seed_week(db, make_village, make_committee, make_household)
    head = make_user(Role.MEMBER, village=world.village, member=world.members[0], name=MEMBER_NAMES[0])
    shots = os.environ.get("FIELDWORK_SHOTS") or str(tmp_path)
    page = phone_page
    page.add_init_script(RECORD_SHARE)
    page.goto(live_server + "/dang-nhap")
    page.get_by_label("Số điện thoại").fill(head.phone)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(live_server + "/")

    page.goto(f"{live_server}/bao-cao/thon/{world.village.id}?tuan={world.week.key}")
    page.get_by_text("Kết quả của từng thành viên").wait_for()
    wide = page.evaluate("""[...document.querySelectorAll('main *')].filter(e => !e.closest('.table-wrap') && e.getBoundingClientRect().right > 361)
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide  # wide tables scroll in their box
    for button in page.locator("main .button, main button").all():
        if button.is_visible():
            assert button.bounding_box()["height"] >= 44, button.inner_text()
    page.screenshot(path=f"{shots}/report-preview-360.png", full_page=True)

    page.get_by_role("button", name="Chia sẻ bản xem trước").click()
    page.wait_for_function("() => window.__shared.length === 1")
    shared = page.evaluate("window.__shared[0]")
    assert shared["type"] == "application/pdf" and shared["head"] == "%PDF-" and shared["size"] > 10_000
    assert shared["name"] == f"bao-cao-{world.week.key}-ban-xem-truoc.pdf"

    page.get_by_label("Khó khăn, kiến nghị").fill("Hộ ông Bình khó khăn, đề nghị tìm nhà hảo tâm.")
    page.get_by_role("button", name="In và lưu báo cáo").click()
    page.get_by_text("bản 1.").wait_for()
    page.get_by_role("button", name="Chia sẻ (Zalo…)").click()
    page.wait_for_function("() => window.__shared.length === 2")
    printed = page.evaluate("window.__shared[1]")
    assert printed["name"] == f"bao-cao-{world.week.key}-ban-1.pdf" and printed["head"] == "%PDF-"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
