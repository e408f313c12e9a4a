"""The agents' lists on paper: the D05-TS and D03-TS forms as Excel sheets.

Decision 595/QĐ-BHXH (2017), amended by 490/QĐ-BHXH (2023), defines both forms. The D05-TS columns are those agents
use in practice (shared/domain.md §4). The domain notes give no column list for D03-TS; its columns here are what
agents' D03-TS lists hold in practice for household health insurance: who the card is for (name, BHXH code, date of
birth, sex, CCCD, address), the household and the member's rank in it (the rank sets the contribution), the months
bought and the card's validity, the receipt, and how the amount was split between the person, the state, the
province and other supporters, with the collector's code and a note.

The form is filed in Vietnamese whatever the language of the page, so nothing here is translated.
"""

from __future__ import annotations

from ..text import format_date
from .services import D03, D05, AgentList, Participant
from .workbook import DATE, INTEGER, MONEY, MONTH, PERCENT, TEXT, Column, Line, Table, workbook_bytes

DECISION = "(Ban hành kèm theo Quyết định số 595/QĐ-BHXH, sửa đổi theo 490/QĐ-BHXH)"
TITLES = {D05: "DANH SÁCH NGƯỜI THAM GIA BHXH TỰ NGUYỆN", D03: "DANH SÁCH NGƯỜI THAM GIA BHYT HỘ GIA ĐÌNH"}
STATE = "NSNN hỗ trợ"
LOCAL_D05 = "NSĐP hỗ trợ thêm"
LOCAL_D03 = "NSĐP hỗ trợ"
OTHER = "Hỗ trợ khác"


def _support(local: str) -> list[Column]:
    return [Column("%", 7, PERCENT, group=STATE), Column("Số tiền", 12, MONEY, group=STATE),
            Column("%", 7, PERCENT, group=local), Column("Số tiền", 12, MONEY, group=local),
            Column("%", 7, PERCENT, group=OTHER), Column("Số tiền", 12, MONEY, group=OTHER)]


D05_COLUMNS = [
    Column("STT", 5, INTEGER), Column("Họ và tên", 22, wrap=True), Column("Mã số BHXH", 12, TEXT),
    Column("Số CCCD", 14, TEXT), Column("Địa chỉ", 28, wrap=True), Column("Ngày biên lai", 11, DATE),
    Column("Số biên lai", 11, TEXT), Column("Mức thu nhập tháng đóng", 13, MONEY),
    Column("Phương thức đóng (số tháng)", 11, TEXT), Column("Từ tháng/năm", 9, MONTH),
    Column("Số tiền phải đóng", 13, MONEY), Column("Người tham gia đóng", 13, MONEY), *_support(LOCAL_D05),
    Column("Mã số nhân viên thu", 11, TEXT), Column("Ghi chú", 16, wrap=True),
]

D03_COLUMNS = [
    Column("STT", 5, INTEGER), Column("Họ và tên", 22, wrap=True), Column("Mã số BHXH", 12, TEXT),
    Column("Ngày sinh", 11, DATE), Column("Giới tính", 7), Column("Số CCCD", 14, TEXT),
    Column("Địa chỉ", 26, wrap=True), Column("Mã hộ", 10, TEXT), Column("Người thứ", 7, INTEGER),
    Column("Số tháng", 7, INTEGER), Column("Từ ngày", 11, DATE), Column("Đến ngày", 11, DATE),
    Column("Ngày biên lai", 11, DATE), Column("Số biên lai", 11, TEXT), Column("Số tiền phải đóng", 13, MONEY),
    Column("Người tham gia đóng", 13, MONEY), *_support(LOCAL_D03), Column("Mã số nhân viên thu", 11, TEXT),
    Column("Ghi chú", 16, wrap=True),
]


def _support_cells(r: Participant) -> list:
    return [r.state_share_bp, r.amount_state, r.local_share_bp, r.amount_local, r.other_share_bp, r.amount_other]


def _d05_row(n: int, r: Participant) -> list:
    return [n, r.full_name, r.bhxh_code, r.cccd, r.address, r.receipt_date, r.receipt_no, r.chosen_income, r.mode,
            r.from_month, r.amount_total, r.amount_person, *_support_cells(r), r.collector_code, r.note]


def _d03_row(n: int, r: Participant) -> list:
    return [n, r.full_name, r.bhxh_code, r.birth, r.sex, r.cccd, r.address, r.household_code, r.bhyt_rank, r.months,
            r.from_month, r.valid_until, r.receipt_date, r.receipt_no, r.amount_total, r.amount_person,
            *_support_cells(r), r.collector_code, r.note]


def _totals_row(listing: AgentList, columns: list[Column]) -> list:
    """"Tổng cộng: n người" under the names, the sums under the amounts (not under the monthly income)."""
    t = listing.totals
    sums = [t.amount_total, t.amount_person, None, t.amount_state, None, t.amount_local, None, t.amount_other]
    first = next(i for i, c in enumerate(columns) if c.heading == "Số tiền phải đóng")
    row: list = [None] * len(columns)
    row[1] = f"Tổng cộng: {t.people} người"
    row[first:first + len(sums)] = sums
    return row


def _place(name: str) -> str:
    """"Xã Tam Tiến" → "Tam Tiến", as a place is written before the date of a signature."""
    for kind in ("Xã ", "Phường ", "Đặc khu "):
        if name.startswith(kind):
            return name[len(kind):]
    return name


def _above(listing: AgentList) -> list[Line]:
    villages = (f"Thôn: {listing.villages[0].name}" if len(listing.villages) == 1
                else f"Các thôn: {', '.join(v.name for v in listing.villages)}")
    return [
        Line(f"Mẫu {listing.form} {DECISION}", italic=True, align="right"),
        Line(f"{listing.province.name} – {listing.commune.name} (mã {listing.commune.code})", bold=True,
             align="left"),
        Line("Đại lý thu: ……………………………………………………   Mã đại lý: ……………………", align="left"),
        Line(),
        Line(TITLES[listing.form], bold=True, size=14),
        Line(f"Từ ngày {format_date(listing.first)} đến ngày {format_date(listing.last)}", italic=True),
        Line(villages),
        Line(),
    ]


def _below(listing: AgentList) -> list[Line]:
    day = listing.made_on
    return [
        Line(),
        Line("", f"{_place(listing.commune.name)}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}",
             italic=True),
        Line("Người lập biểu", "Đại lý thu / Nhân viên thu", bold=True),
        Line("(Ký, ghi rõ họ tên)", "(Ký, ghi rõ họ tên, đóng dấu nếu có)", italic=True),
    ]


def list_workbook(listing: AgentList) -> bytes:
    """The list as an .xlsx file, ready to print on A4 landscape or to hand to the agent."""
    columns, row = (D05_COLUMNS, _d05_row) if listing.form == D05 else (D03_COLUMNS, _d03_row)
    return workbook_bytes([Table(
        title=listing.form, columns=columns, rows=[row(n, r) for n, r in enumerate(listing.rows, start=1)],
        above=_above(listing), totals=_totals_row(listing, columns), below=_below(listing))])
