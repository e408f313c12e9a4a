"""Real Chromium at 360×740: an admin merges a village into another, seeing what will move before confirming."""

from __future__ import annotations

import pytest
from sqlmodel import select

from fieldwork.models import Household, Role, Village
from fieldwork.text import local_today
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _fits(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    for target in page.locator("main .button, main button, main select, main input:not([type=hidden])").all():
        if target.is_visible():
            assert target.bounding_box()["height"] >= 44


def test_an_admin_merges_a_village_on_a_phone(live_server, phone_page, db, make_village, make_household,
                                             make_user, tmp_path):
    gone = make_village(name="Thôn Đồng Bông")
    keep = make_village(name="Thôn Khe Mạ")
    households = [make_household(gone, head_name=name) for name in ("Hoàng Văn Bình", "Đỗ Thị Lan")]
    admin = make_user(Role.ADMIN)

    page = phone_page
    page.goto(live_server + "/dang-nhap")
    page.get_by_label("Số điện thoại").fill(admin.phone)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/dang-nhap" not in url)  # an admin may land on the first-run set-up

    page.goto(live_server + "/don-vi")
    _fits(page)
    page.screenshot(path=str(tmp_path / "units-360.png"), full_page=True)
    page.locator(f"#thon-{gone.id}").get_by_role("link", name="Sáp nhập").click()
    page.get_by_role("heading", name="Sáp nhập Thôn Đồng Bông").wait_for()
    page.get_by_role("button", name="Xem những gì sẽ chuyển").click()  # nothing chosen: told what to do
    page.get_by_text("Hãy chọn thôn, tổ dân phố nhận sáp nhập trong danh sách.").wait_for()
    _fits(page)
    page.get_by_label("Thôn, tổ dân phố nhận sáp nhập").select_option(str(keep.id))
    page.get_by_label("Có hiệu lực từ ngày").fill(local_today().isoformat())
    page.get_by_role("button", name="Xem những gì sẽ chuyển").click()
    page.get_by_role("heading", name="Xác nhận sáp nhập").wait_for()
    assert page.locator("ul.moves li", has_text="Hộ").first.locator("strong").inner_text() == "2"
    assert page.locator("ul.moves li", has_text="Người").first.locator("strong").inner_text() == "6"
    _fits(page)
    page.screenshot(path=str(tmp_path / "confirm-360.png"), full_page=True)
    page.get_by_role("button", name="Xác nhận sáp nhập").click()
    page.get_by_text("Đã sáp nhập Thôn Đồng Bông vào Thôn Khe Mạ.").wait_for()
    assert "Sáp nhập: Thôn Đồng Bông vào Thôn Khe Mạ" in page.locator("main").inner_text()
    _fits(page)

    db.expire_all()
    assert db.get(Village, gone.id).merged_into_id == keep.id
    assert set(db.exec(select(Household.village_id).where(
        Household.id.in_([h.id for h in households]))).all()) == {keep.id}
