"""Real Chromium at 360×740: a member signs in on a phone and sees their home page in Vietnamese."""

from __future__ import annotations

import pytest

from fieldwork.models import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_member_signs_in_on_a_phone(live_server, phone_page, make_village, make_committee, make_user,
                                    make_household, tmp_path):
    village = make_village(name="Thôn Đồng Bông")
    _, members = make_committee(village)
    make_household(village, assigned_to=members[1], head_name="Nguyễn Văn Đức")
    user = make_user(Role.MEMBER, village=village, member=members[1], name="Đặng Thị Quỳnh")

    page = phone_page
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "Đăng nhập"
    page.get_by_label("Số điện thoại").fill(user.phone)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    page.wait_for_url(live_server + "/")
    assert page.locator("h1").inner_text() == "Việc của tôi"
    assert page.locator("html").get_attribute("lang") == "vi"
    assert "Nguyễn Văn Đức" in page.locator("main").inner_text()
    assert "Thôn Đồng Bông" in page.locator("main").inner_text()

    # Phone first: nothing wider than the screen, and the tap targets are thumb-sized.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator("ul.rows a.row").first.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300
    shot = tmp_path / "member-home-360.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 5000


def test_wrong_password_in_the_browser_keeps_the_phone(live_server, phone_page, make_user):
    user = make_user(Role.OFFICIAL)
    page = phone_page
    page.goto(live_server + "/dang-nhap")
    page.get_by_label("Số điện thoại").fill(user.phone)
    page.get_by_label("Mật khẩu").fill("sai")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Số điện thoại hoặc mật khẩu không đúng").wait_for()
    assert page.get_by_label("Số điện thoại").input_value() == user.phone
