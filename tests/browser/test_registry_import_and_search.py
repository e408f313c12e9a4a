"""Real Chromium at 360 px: an official fills the downloaded template and imports it; a member then finds the new
household by typing an unaccented name."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from fieldwork.models import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

ROWS = [  # one row per person, as the template asks
    {"Mã hộ": "T01-0901", "Họ tên chủ hộ": "Đặng Văn Đông", "Họ và tên": "Đặng Văn Đông", "Quan hệ với chủ hộ": "Chủ hộ",
     "Ngày sinh": "12/03/1975", "Giới tính": "Nam", "Số CCCD": "024075009901"},
    {"Mã hộ": "T01-0901", "Họ tên chủ hộ": "Đặng Văn Đông", "Họ và tên": "Lưu Thị Thuỳ", "Quan hệ với chủ hộ": "Vợ/chồng",
     "Ngày sinh": "05/09/1978", "Giới tính": "Nữ"},
    {"Mã hộ": "T01-0902", "Họ tên chủ hộ": "Giáp Văn Khải", "Họ và tên": "Giáp Văn Khải", "Quan hệ với chủ hộ": "Chủ hộ",
     "Năm sinh": 1960, "Giới tính": "Nam"},
]


def _sign_in(page, base, phone):
    page.goto(base + "/dang-nhap")
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(base + "/")


def test_official_imports_the_template_and_a_member_finds_the_household(live_server, browser, phone_page, tmp_path,
                                                                       make_village, make_committee, make_user):
    village = make_village(name="Thôn Đồng Bông")
    _, members = make_committee(village)
    official = make_user(Role.OFFICIAL)
    member = make_user(Role.MEMBER, village=village, member=members[1])

    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    _sign_in(page, live_server, official.phone)
    page.goto(f"{live_server}/thon/{village.id}/nhap")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải tệp mẫu (.xlsx)").click()
    template = tmp_path / "mau.xlsx"
    download.value.save_as(template)

    workbook = load_workbook(template)
    sheet = workbook.worksheets[0]
    header_row = next(r for r in range(1, 10) if any(c.value == "Mã hộ" for c in sheet[r]))
    columns = {c.value: c.column for c in sheet[header_row] if c.value}
    sheet.delete_rows(header_row + 1, sheet.max_row - header_row)  # the example row goes
    for offset, row in enumerate(ROWS, start=1):
        for heading, value in row.items():
            sheet.cell(row=header_row + offset, column=columns[heading], value=value)
    filled = tmp_path / "danh-sach.xlsx"
    workbook.save(filled)

    page.wait_for_function("() => !!document.body['htmx-internal-data']")  # htmx ready before the boosted upload
    page.set_input_files("input[type=file]", str(filled))
    page.get_by_role("button", name="Tải lên và xem trước").click()
    page.get_by_role("heading", name="Xem trước danh sách").wait_for()
    preview = page.locator("main").inner_text()
    assert "Lỗi cần sửa" not in preview
    page.get_by_role("button", name="Xác nhận nhập").click()
    # The boosted POST swaps the page in later: wait for the result itself (networkidle may already hold).
    page.get_by_text("Đã nhập danh sách: 2 hộ mới, 0 hộ cập nhật, 3 người mới").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()

    phone = phone_page
    _sign_in(phone, live_server, member.phone)
    phone.goto(live_server + "/tim-kiem")
    phone.wait_for_function("() => !!document.querySelector('#q')['htmx-internal-data']")  # typing is listened to
    phone.get_by_placeholder("Tên, mã hộ, số điện thoại, CCCD, mã BHXH").type("dang van dong", delay=40)
    result = phone.locator("#search-results a.row").first
    result.wait_for()
    assert "Đặng Văn Đông" in result.inner_text()
    result.click()
    phone.wait_for_url(f"{live_server}/ho/*")
    body = phone.locator("main").inner_text()
    assert "Lưu Thị Thuỳ" in body and "T01-0901" in body
