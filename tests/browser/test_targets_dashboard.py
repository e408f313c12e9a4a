"""Real Chromium: an official sets a commune target, splits it across two villages by households and watches a
village's bar on the dashboard grow after a member, on a phone, records a household health-insurance purchase."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from fieldwork.models import Role, Target
from tests.conftest import PASSWORD
from tests.targets_data import commune  # noqa: F401

pytestmark = pytest.mark.browser


def _sign_in(page, base, user):
    page.goto(base + "/dang-nhap")
    page.get_by_label("Số điện thoại").fill(user.phone)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(base + "/")


def _bar_width(page, village) -> float:
    bar = page.locator(f'#ranking [data-village="{village.id}"] .bar > span')
    return float(bar.evaluate("e => parseFloat(e.style.width)"))


def test_official_sees_the_bars_change_after_a_member_records_an_enrolment(live_server, browser, phone_page, db,
                                                                           commune, make_user, tmp_path):
    a, b = commune["a"], commune["b"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    official = context.new_page()
    _sign_in(official, live_server, commune["official"])

    # A commune target: 20 new household health-insurance participants this year.
    official.goto(live_server + "/chi-tieu/moi")
    official.get_by_label("Chỉ tiêu về").select_option("new_bhyt_hgd")
    official.get_by_label("Loại kỳ").select_option("year")
    official.get_by_label("Chỉ tiêu", exact=True).fill("20")
    official.get_by_role("button", name="Lưu").click()
    official.wait_for_url(re.compile(r"/chi-tieu/\d+$"))
    assert "Đã đặt chỉ tiêu" in official.locator("main").inner_text()

    # Split across the two villages by households: Đồng Bông has 3, Tân Sơn 1.
    official.get_by_role("link", name="Chia cho các thôn").click()
    official.wait_for_url("**/chia")
    official.get_by_role("link", name="Theo số hộ").click()
    official.wait_for_url("**/chia?theo=ho")
    assert official.get_by_label("Thôn Đồng Bông").input_value() == "15"
    assert official.get_by_label("Thôn Tân Sơn").input_value() == "5"
    # The boosted page is in place (URL pushed) a moment before htmx listens to its inputs: wait for that.
    official.wait_for_function("() => !!document.querySelector('.table-wrap[hx-get]')['htmx-internal-data']")
    official.get_by_label("Thôn Tân Sơn").fill("4")  # the live sum notices at once
    official.locator("#split-sum").get_by_text("còn thiếu 1").wait_for()
    official.get_by_label("Thôn Tân Sơn").fill("5")
    official.locator("#split-sum").get_by_text("Tổng các phần bằng chỉ tiêu (20).").wait_for()
    official.get_by_role("button", name="Lưu các phần").click()
    official.wait_for_url(re.compile(r"/chi-tieu/\d+$"))
    whole = db.exec(select(Target).where(Target.parent_id.is_(None))).one()
    assert sorted(db.exec(select(Target.value).where(Target.parent_id == whole.id)).all()) == [5, 15]

    official.goto(live_server + "/")
    assert _bar_width(official, a) == 0 and _bar_width(official, b) == 0
    official.screenshot(path=str(tmp_path / "dashboard-before.png"), full_page=True)

    # The member responsible for Tân Sơn's household buys cards for its three people, on the phone.
    member = make_user(Role.MEMBER, village=b, member=commune["members_b"][1], name="Phạm Văn Hùng")
    phone = phone_page
    _sign_in(phone, live_server, member)
    household = commune["households_b"][0]
    phone.goto(f"{live_server}/ho/{household.id}/bhyt/moi")
    phone.get_by_role("button", name="Ghi nhận").click()
    phone.wait_for_url(f"{live_server}/ho/{household.id}")
    assert "Đã ghi nhận thẻ BHYT hộ gia đình cho 3 người." in phone.locator("main").inner_text()

    official.reload()
    assert _bar_width(official, b) == 60.0  # 3 of 5
    assert _bar_width(official, a) == 0
    ranking = official.locator("#ranking li.rank-row")
    assert ranking.first.get_attribute("data-village") == str(b.id)
    assert "3 / 5" in ranking.first.inner_text()
    card = official.locator(f'.target-card[data-target="{whole.id}"]')
    assert "3 / 20" in card.inner_text()
    official.screenshot(path=str(tmp_path / "dashboard-after.png"), full_page=True)
    context.close()
