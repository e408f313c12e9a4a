"""The app's one Excel writer: values keep their kind (money, percent, dates, codes), headings and lines are
merged where they should be, and the sheet prints on A4 with its headings on every page."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl

from fieldwork.exports.workbook import (
    DATE,
    INTEGER,
    MONEY,
    MONTH,
    PERCENT,
    TEXT,
    Column,
    Line,
    Table,
    workbook_bytes,
)

MONEY_FORMAT = '#,##0" đ"'

COLUMNS = [
    Column("STT", 5, INTEGER),
    Column("Họ và tên", 22, wrap=True),
    Column("Mã số BHXH", 12, TEXT),
    Column("Ngày sinh", 11, DATE),
    Column("Từ tháng/năm", 9, MONTH),
    Column("%", 7, PERCENT, group="NSNN hỗ trợ"),
    Column("Số tiền", 12, MONEY, group="NSNN hỗ trợ"),
    Column("Ghi chú", 16),
]

ROWS = [
    [1, "Nguyễn Thị Hoà", "0123456789", date(1980, 3, 9), date(2026, 11, 1), 2000, 66_000, "Tham gia mới"],
    [2, "=HYPERLINK(\"http://x\")", "0012000345", 1975, date(2026, 12, 1), 3333, 1_320_000, None],
    [3, "Đặng Văn Ân", None, None, None, None, 0],  # short row: the rest stays empty
]


def _sheet(table: Table):
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes([table]))).active


def _table(**over) -> Table:
    values = dict(title="Danh sách", columns=COLUMNS, rows=ROWS)
    values.update(over)
    return Table(**values)


def test_values_keep_their_kind_and_format():
    sheet = _sheet(_table())
    # One line of headings per group: rows 1 and 2 are headings, data from row 3.
    first = sheet[3]
    assert first[0].value == 1 and first[0].number_format == "#,##0"
    assert first[1].value == "Nguyễn Thị Hoà" and first[1].data_type == "s"
    assert first[2].value == "0123456789" and first[2].data_type == "s" and first[2].number_format == "@"
    assert first[3].is_date and first[3].value == datetime(1980, 3, 9) and first[3].number_format == "DD/MM/YYYY"
    assert first[4].is_date and first[4].value == datetime(2026, 11, 1) and first[4].number_format == "MM/YYYY"
    assert first[5].value == 0.2 and first[5].number_format == "0%"
    assert first[6].value == 66_000 and isinstance(first[6].value, int) and first[6].number_format == MONEY_FORMAT
    second = sheet[4]
    assert second[2].value == "0012000345"  # the leading zeros stay
    assert second[3].value == 1975 and not second[3].is_date  # a birth year is a year, not a day of 1905
    assert second[5].value == 0.3333 and second[5].number_format == "0.00%"
    assert second[6].value == 1_320_000


def test_text_that_looks_like_a_formula_stays_text():
    sheet = _sheet(_table())
    cell = sheet["B4"]
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://x\")"
    xml = _sheet_xml(workbook_bytes([_table()]))
    assert "<f>" not in xml and '<is><t>=HYPERLINK("http://x")</t></is>' in xml  # an inline string, no formula


def _sheet_xml(data: bytes) -> str:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


def test_short_rows_and_empty_cells_are_left_empty_with_the_column_format():
    sheet = _sheet(_table())
    third = sheet[5]
    assert [c.value for c in third] == [3, "Đặng Văn Ân", None, None, None, None, 0, None]
    assert third[6].number_format == MONEY_FORMAT and third[2].number_format == "@"
    assert all(c.border.left.style == "thin" for c in third)  # the grid prints on every cell of the table


def test_grouped_headings_take_two_rows_with_merged_cells():
    sheet = _sheet(_table())
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert "F1:G1" in merged  # "NSNN hỗ trợ" over its two columns
    assert {"A1:A2", "B1:B2", "E1:E2", "H1:H2"} <= merged  # the other headings fill both rows
    assert [sheet.cell(1, i).value for i in (1, 2, 6, 8)] == ["STT", "Họ và tên", "NSNN hỗ trợ", "Ghi chú"]
    assert [sheet.cell(2, i).value for i in (6, 7)] == ["%", "Số tiền"]
    assert all(sheet.cell(r, c).font.bold for r, c in ((1, 1), (1, 6), (2, 6), (2, 7)))
    assert sheet.print_title_rows == "$1:$2" and sheet.freeze_panes == "A3"


def test_one_heading_row_without_groups():
    columns = [Column("Mã hộ", 12, TEXT), Column("Họ tên chủ hộ", 24)]
    sheet = _sheet(Table(title="Danh sách", columns=columns, rows=[["001", "Lê Văn Tám"]]))
    assert [c.value for c in sheet[1]] == ["Mã hộ", "Họ tên chủ hộ"]
    assert sheet.freeze_panes == "A2" and sheet.print_title_rows == "$1:$1"
    assert sheet["A2"].value == "001" and not sheet.merged_cells.ranges
    assert sheet.column_dimensions["B"].width == 24


def test_lines_above_and_below_and_the_totals_row():
    above = [Line("Mẫu D05-TS", italic=True, align="right"), Line(),
             Line("DANH SÁCH NGƯỜI THAM GIA BHXH TỰ NGUYỆN", bold=True, size=14)]
    below = [Line(), Line("Người lập biểu", "Đại lý thu / Nhân viên thu", bold=True)]
    totals = [None, "Tổng cộng: 3 người", None, None, None, None, 1_386_000, None]
    sheet = _sheet(_table(above=above, below=below, totals=totals))
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:H1", "A3:H3"} <= merged and not any(r.startswith("A2:") for r in merged)
    assert sheet["A1"].value == "Mẫu D05-TS" and sheet["A1"].alignment.horizontal == "right"
    assert sheet["A3"].font.bold and sheet["A3"].font.size == 14
    # Headings on rows 4-5, three rows of data on 6-8, the totals on 9.
    assert sheet.print_title_rows == "$4:$5" and sheet.freeze_panes == "A6"
    assert sheet["A6"].value == 1 and sheet["B9"].value == "Tổng cộng: 3 người" and sheet["B9"].font.bold
    assert sheet["G9"].value == 1_386_000 and sheet["G9"].number_format == MONEY_FORMAT and sheet["G9"].font.bold
    # Below: an empty line, then two signatures side by side, each over half the width.
    assert sheet["A10"].value is None
    assert {"A11:D11", "E11:H11"} <= merged
    assert sheet["A11"].value == "Người lập biểu" and sheet["E11"].value == "Đại lý thu / Nhân viên thu"


def test_prints_on_a4_fitted_to_the_width():
    sheet = _sheet(_table())
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    portrait = _sheet(_table(landscape=False))
    assert portrait.page_setup.orientation == "portrait"


def test_several_sheets_and_rows_from_a_generator():
    def rows():
        for n in range(1, 1001):
            yield [n, f"Người thứ {n}", f"{n:010d}"]

    data = workbook_bytes([_table(title="Tên trang tính rất dài vượt quá ba mươi mốt ký tự", rows=rows()),
                           Table(title="Hướng dẫn", columns=[Column("Cột", 20)], rows=[["Mã số BHXH"]])])
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Tên trang tính rất dài vượt quá", "Hướng dẫn"]
    first = workbook.worksheets[0]
    assert first.max_row == 2 + 1000 and first["C1002"].value == "0000001000"
