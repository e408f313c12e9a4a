"""Real Chromium at 360×740: a member proposes a sponsored book on a phone; the amount follows the period chosen."""

from __future__ import annotations

import pytest
from sqlmodel import select

from fieldwork.models import Sponsorship
from tests.conftest import PASSWORD
from tests.sponsorships_data import commune  # noqa: F401

pytestmark = pytest.mark.browser


def test_member_proposes_a_book_on_a_phone(live_server, phone_page, db, commune, tmp_path):
    page = phone_page
    page.goto(live_server + "/dang-nhap")
    page.get_by_label("Số điện thoại").fill(commune["member"].phone)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(live_server + "/")

    page.goto(live_server + "/tai-tro/can-ho-tro")
    assert "Hộ cận nghèo" in page.locator("main").inner_text()
    page.locator(f'a[href="/nguoi/{commune["people"][0].id}/tai-tro/moi?scheme=bhxh_tn"]').click()
    page.locator("#sponsorship-quote strong", has_text="2.376.000 đ").wait_for()  # 12 months by default
    # The quote is on the page before htmx listens to the period: wait for it, or the change goes unheard.
    page.wait_for_function("() => !!document.querySelector('fieldset.terms')['htmx-internal-data']")
    page.get_by_label("Thời gian").select_option("6")
    page.locator("#sponsorship-quote strong", has_text="1.188.000 đ").wait_for()  # the preview follows the period
    page.get_by_label("Nhà tài trợ", exact=True).select_option(str(commune["company"].id))
    page.screenshot(path=str(tmp_path / "propose-360.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Gửi đề xuất").click()
    page.get_by_text("chờ xã duyệt").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "sponsorship-360.png"), full_page=True)
    db.expire_all()
    sponsorship = db.exec(select(Sponsorship)).one()
    assert (sponsorship.months, sponsorship.amount, sponsorship.donor_id) == (6, 1_188_000, commune["company"].id)
