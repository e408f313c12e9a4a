"""The user guide's pictures (docs/huong-dan/anh) are taken here, on the demo commune, by real Chromium.

Each picture is taken only after the screen is checked: its heading or key text is there and, for the phone
pictures (360×740), nothing is wider than the phone. When a screen changes, this test either fails (the guide's
words no longer match) or takes the new picture, so the guide never shows a screen the app no longer has.
The pictures are written into the repository on purpose: commit them with the change that altered the screen.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from fieldwork.demo import ADMIN_PHONE, DEMO_PASSWORD, HEAD_PHONE, MEMBER_PHONE, OFFICIAL_PHONE, build_demo
from fieldwork.models import User
from fieldwork.text import local_today

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "huong-dan" / "anh"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
WAIT = 20_000


@pytest.fixture
def demo(db) -> dict:
    """The demo commune as `make run` shows it: seven villages, the four demo logins."""
    build_demo(db, local_today())
    db.commit()
    member = db.exec(select(User).where(User.phone == MEMBER_PHONE)).one()
    return {"village_id": member.village_id}


def _context(browser: Browser, viewport: dict):
    phone = viewport == PHONE
    # device_scale_factor 1 keeps each picture small enough for a weak connection.
    return browser.new_context(viewport=viewport, locale="vi-VN", has_touch=phone, is_mobile=phone,
                               device_scale_factor=1, timezone_id="Asia/Ho_Chi_Minh")


def _sign_in(page: Page, base: str, phone: str, shot: str | None = None) -> None:
    page.goto(base + "/dang-nhap")
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    if shot:
        _shot(page, shot)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(base + "/")


def _fits_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a 360 px phone"


def _shot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Save docs/huong-dan/anh/<name>.png: the phone pictures only after checking the page fits the phone."""
    if page.viewport_size == PHONE:
        _fits_phone(page)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # no focus ring in the picture
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page, animations="disabled", caret="hide")


def _heading(page: Page, text: str | re.Pattern) -> None:
    expect(page.locator("main h1").first).to_have_text(text, timeout=WAIT)


def test_guide_screenshots_of_every_role(live_server, browser, db, demo):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server
    _member_screens(browser, base)
    _head_screens(browser, base, demo["village_id"])
    _official_screens(browser, base, demo["village_id"])
    _admin_screens(browser, base)


def _member_screens(browser: Browser, base: str) -> None:
    context = _context(browser, PHONE)
    page = context.new_page()
    _sign_in(page, base, MEMBER_PHONE, shot="thanh-vien-1-dang-nhap")

    _heading(page, "Việc của tôi")
    rows = page.locator("ul.work > li")
    assert rows.count() > 5
    assert page.get_by_text("Thôn").first.is_visible()
    _shot(page, "thanh-vien-2-viec-cua-toi")

    # The household that comes first: what to do there, and the visit in three taps.
    name = rows.first.locator("strong").inner_text()
    rows.first.locator("a.row").click()                                       # tap 1
    page.wait_for_url(re.compile(r".*/ho/\d+$"))
    _heading(page, f"Hộ {name}")
    household_url = page.url
    _shot(page, "thanh-vien-3-ho")
    page.get_by_role("link", name="Đang cân nhắc").click()                    # tap 2
    save = page.locator("#visit-panel").get_by_role("button", name="Lưu")
    save.wait_for()
    save.scroll_into_view_if_needed()
    assert page.locator("#visit-panel input[name=next_date]").input_value()  # a revisit date is proposed
    _shot(page, "thanh-vien-4-ghi-van-dong")
    save.click()                                                              # tap 3
    page.wait_for_url(base + "/")
    expect(page.locator("main")).to_contain_text("Đã ghi nhận: Đang cân nhắc", timeout=WAIT)
    _shot(page, "thanh-vien-5-da-ghi")

    # The revisits that are due: one choice in the "Loại việc" list.
    page.wait_for_function("() => !!document.querySelector('form.worklist-filters')['htmx-internal-data']")
    page.select_option("select[name=viec]", "1")
    page.wait_for_url(re.compile(r".*viec=1"))
    expect(page.locator("ul.work > li").first.locator(".reasons")).to_contain_text("Thăm lại", timeout=WAIT)
    tiers = page.locator("ul.work > li").evaluate_all("rows => rows.map(r => r.className)")
    assert tiers and set(tiers) == {"tier-1"}, tiers  # only revisits that are due: the red mark
    _shot(page, "thanh-vien-6-hen-tham-lai")

    # The health-insurance form: the amount each person pays is worked out before anything is saved.
    page.goto(household_url + "/bhyt/moi")
    _heading(page, f"BHYT hộ gia đình: hộ {name}")
    quote = page.locator("main table").first
    expect(quote).to_contain_text("Phải đóng")
    assert re.search(r"\d[\d.]* ?đ", quote.inner_text())
    quote.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 160)")
    # On a phone the table is swiped sideways: show the column that matters, what the household pays.
    page.locator("main .table-wrap").first.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    expect(page.get_by_role("columnheader", name="Phải đóng")).to_be_in_viewport()
    _shot(page, "thanh-vien-7-muc-dong")

    # Offline: the phone keeps the worklist and the household pages, and says it is offline.
    page.goto(base + "/")
    page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=WAIT)
    kept = page.locator("ul.work > li").count() + 1
    expect(page.locator("#offline-status")).to_have_attribute("data-saved", str(kept), timeout=60_000)
    context.set_offline(True)
    page.goto(base + "/")
    expect(page.locator(".offline-banner")).to_contain_text("Đang ngoại tuyến", timeout=WAIT)
    page.locator("ul.work > li").nth(1).locator("a.row").click()
    page.wait_for_url(re.compile(r".*/ho/\d+$"))
    page.get_by_role("link", name="Không có nhà").click()
    page.locator("#visit-panel").get_by_role("button", name="Lưu").click()
    page.wait_for_url(base + "/")
    expect(page.locator("#offline-status .offline-queue summary")).to_contain_text("1 chờ gửi", timeout=WAIT)
    _shot(page, "thanh-vien-8-ngoai-tuyen")
    context.set_offline(False)
    expect(page.locator("#offline-status .offline-queue summary")).to_contain_text("1 đã gửi", timeout=WAIT)
    context.close()


def _head_screens(browser: Browser, base: str, village_id: int) -> None:
    context = _context(browser, PHONE)
    page = context.new_page()
    _sign_in(page, base, HEAD_PHONE)
    _heading(page, "Việc của tôi")
    expect(page.locator("main")).to_contain_text("Trưởng ban")

    page.goto(f"{base}/bao-cao/thon/{village_id}")
    _heading(page, re.compile(r"^Báo cáo tuần · "))
    preview = page.locator("article.report-preview")
    expect(preview).to_contain_text("Kết quả của từng thành viên")
    preview.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 8)")
    _shot(page, "truong-ban-1-bao-cao")
    page.evaluate("() => window.scrollTo(0, 0)")
    share = page.get_by_role("button", name="Chia sẻ bản xem trước")
    expect(share).to_be_visible()
    assert share.bounding_box()["height"] >= 44  # a thumb-sized button
    _shot(page, "truong-ban-2-chia-se")

    page.goto(f"{base}/thon/{village_id}/phan-cong")
    _heading(page, re.compile(r"^Phân công hộ · "))
    _shot(page, "truong-ban-3-phan-cong")

    page.goto(base + "/tien-do")
    expect(page.locator("main h1").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("Chỉ tiêu")
    _shot(page, "truong-ban-4-tien-do")
    context.close()


def _official_screens(browser: Browser, base: str, village_id: int) -> None:
    context = _context(browser, DESKTOP)
    page = context.new_page()
    _sign_in(page, base, OFFICIAL_PHONE)
    _heading(page, "Xã Tam Tiến")
    _shot(page, "can-bo-xa-1-tong-quan")

    page.goto(base + "/thon")
    _heading(page, "Thôn và ban vận động")
    assert page.locator("main a", has_text="Thôn").count() >= 7
    _shot(page, "can-bo-xa-2-thon")

    page.goto(f"{base}/thon/{village_id}")
    expect(page.locator("main")).to_contain_text("Trưởng ban")
    _shot(page, "can-bo-xa-3-ban")

    page.goto(f"{base}/thon/{village_id}/nhap")
    _heading(page, "Nhập danh sách hộ từ Excel")
    expect(page.get_by_role("link", name="Tải tệp mẫu (.xlsx)")).to_be_visible()
    _shot(page, "can-bo-xa-4-nhap-ho")

    page.goto(base + "/phan-cong")
    _heading(page, "Phân công hộ")
    _shot(page, "can-bo-xa-5-phan-cong")

    page.goto(base + "/chi-tieu")
    _heading(page, "Chỉ tiêu của xã")
    _shot(page, "can-bo-xa-6-chi-tieu")

    page.goto(base + "/bao-cao/xa")
    _heading(page, re.compile(r"^Báo cáo tuần · "))
    expect(page.get_by_role("heading", name="Báo cáo từng thôn")).to_be_visible()
    _shot(page, "can-bo-xa-7-bao-cao")

    page.goto(base + "/tai-tro")
    expect(page.locator("main h1").first).to_contain_text("tặng")
    _shot(page, "can-bo-xa-8-tai-tro")
    context.close()


def _admin_screens(browser: Browser, base: str) -> None:
    context = _context(browser, DESKTOP)
    page = context.new_page()
    _sign_in(page, base, ADMIN_PHONE)
    _heading(page, "Quản trị hệ thống")
    expect(page.locator("main")).to_contain_text("Xã Tam Tiến")
    _shot(page, "quan-tri-1-trang-chu")

    page.goto(base + "/tham-so")
    _heading(page, "Tham số theo quy định")
    expect(page.locator("main")).to_contain_text("base_salary")
    _shot(page, "quan-tri-2-tham-so")

    page.goto(base + "/don-vi")
    _heading(page, "Đơn vị hành chính")
    expect(page.get_by_role("heading", name=re.compile("Xã Tam Tiến"))).to_be_visible()
    expect(page.get_by_role("link", name="Sáp nhập").first).to_be_visible()
    _shot(page, "quan-tri-3-don-vi")
    context.close()
