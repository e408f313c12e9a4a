"""Real Chromium at 360×740: an official completes a committee and gives a member a login, on a phone."""

from __future__ import annotations

import pytest

from fieldwork.models import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_official_completes_a_committee_on_a_phone(live_server, phone_page, make_village, make_committee,
                                                   make_user, tmp_path):
    village = make_village(name="Thôn Đồng Bông")
    make_committee(village, members=4)
    official = make_user(Role.OFFICIAL)

    page = phone_page
    page.goto(live_server + "/dang-nhap")
    page.get_by_label("Số điện thoại").fill(official.phone)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(live_server + "/")

    page.goto(live_server + "/thon")
    assert "Thiếu thành viên" in page.locator("main").inner_text()
    page.get_by_role("link", name="Thôn Đồng Bông").click()
    page.get_by_text("Ban mới có 4 thành viên đang hoạt động; cần từ 5 đến 7.").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for button in page.locator("ul.members .button").all():
        box = button.bounding_box()
        assert box["height"] >= 44
    page.screenshot(path=str(tmp_path / "village-360.png"), full_page=True)

    page.get_by_role("link", name="Thêm thành viên").click()
    page.get_by_label("Họ và tên").fill("Lê Thị Mai")
    page.get_by_label("Điện thoại").fill("0987654321")
    page.get_by_label("Tổ chức").select_option("youth")
    page.get_by_role("button", name="Lưu").click()
    page.get_by_text("Đã thêm Lê Thị Mai vào ban.").wait_for()
    assert "Ban đúng quy định" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.locator("li.member", has_text="Lê Thị Mai").get_by_role("link", name="Sửa, rời ban, tài khoản").click()
    page.get_by_role("button", name="Cấp tài khoản").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "member-360.png"), full_page=True)
    page.get_by_role("button", name="Cấp tài khoản").click()
    password = page.locator("#one-time-password").inner_text()
    assert len(password) == 10
    box = page.locator("#one-time-password").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360  # readable whole, without scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "login-given-360.png"), full_page=True)
