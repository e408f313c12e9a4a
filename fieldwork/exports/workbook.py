"""The app's one Excel writer: a :class:`Table` per worksheet, written by :func:`workbook_bytes`.

Everything the offices ask of a spreadsheet is decided here, once: headings in bold, money as whole numbers shown
in VND, percentages as real percentages, dates as real dates, codes as text so that leading zeros stay, and text
always as a string cell, never a formula (a name like ``=HYPERLINK(...)`` cannot run when the file is opened).
Sheets print on A4, landscape by default, fitted to the page width, with the heading rows repeated on every printed
page and frozen on screen. A form filed on paper adds lines above the table (form number, unit, title, period), a
totals row and lines below it (signatures)::

    table = Table(
        title="D05-TS",
        columns=[Column("STT", 5, INTEGER), Column("Họ và tên", 24), Column("Mã số BHXH", 13, TEXT),
                 Column("%", 7, PERCENT, group="NSNN hỗ trợ"), Column("Số tiền", 12, MONEY, group="NSNN hỗ trợ")],
        rows=[[1, "Nguyễn Thị Hoà", "0123456789", 2000, 66_000]],
        above=[Line("DANH SÁCH NGƯỜI THAM GIA BHXH TỰ NGUYỆN", bold=True, size=14)],
        totals=[None, "Tổng cộng: 1 người", None, None, 66_000],
        below=[Line("Người lập biểu", "Đại lý thu", bold=True)],
    )
    data = workbook_bytes([table])

Values go in as Python values: ``int`` VND for :data:`MONEY`, ``int`` basis points for :data:`PERCENT`
(2000 = 20 %), ``date`` for :data:`DATE` and :data:`MONTH`; ``None`` leaves a cell empty. Workbooks are written in
openpyxl's write-only mode, so ``rows`` may be a generator and a sheet of 20,000 rows stays small in memory.
"""

from __future__ import annotations

import io
import math
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Optional, Sequence

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

# Column kinds: how a column's values are written and shown.
GENERAL = "general"  # as given (a date still shows as DD/MM/YYYY)
TEXT = "text"  # formatted as Text ("@"): codes, phone numbers, CCCD keep their leading zeros
INTEGER = "integer"  # a count: 1.234
MONEY = "money"  # integer VND: 1.234.567 đ
PERCENT = "percent"  # basis points in (2000), a percentage out (20%)
DATE = "date"  # DD/MM/YYYY; a value that is not a date (a birth year) is written as it is
MONTH = "month"  # MM/YYYY

DATE_FORMAT = "DD/MM/YYYY"
MONTH_FORMAT = "MM/YYYY"
MONEY_FORMAT = '#,##0" đ"'
INTEGER_FORMAT = "#,##0"
A4 = 9  # the paper size code of the OOXML page setup
LINE_HEIGHT = 15.0  # points per line of 11-point text
_FORMATS = {TEXT: "@", INTEGER: INTEGER_FORMAT, MONEY: MONEY_FORMAT, DATE: DATE_FORMAT, MONTH: MONTH_FORMAT}
_THIN = Side(style="thin")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass(frozen=True)
class Column:
    """One column: its heading, width (in characters), kind, and optionally the group heading it sits under.

    Neighbouring columns with the same ``group`` share one merged cell above their own headings (two heading
    rows); the headings of the other columns then fill both rows. ``wrap`` wraps long text in the body cells.
    """

    heading: str
    width: float = 12
    kind: str = GENERAL
    group: Optional[str] = None
    wrap: bool = False


@dataclass(frozen=True, init=False)
class Line:
    """A line of text above or below the table. Its parts share the table's width equally (one part: the whole
    width), each merged across its share and aligned "left", "center" or "right"; ``Line()`` is an empty line."""

    parts: tuple[str, ...]
    bold: bool
    italic: bool
    size: Optional[float]
    align: str

    def __init__(self, *parts: str, bold: bool = False, italic: bool = False, size: Optional[float] = None,
                 align: str = "center"):
        object.__setattr__(self, "parts", tuple(parts))
        object.__setattr__(self, "bold", bold)
        object.__setattr__(self, "italic", italic)
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "align", align)


@dataclass
class Table:
    """One worksheet: lines above, the heading row(s), the rows, an optional totals row (bold), lines below.

    ``title`` names the sheet (Excel keeps 31 characters). Rows are sequences in column order; a short row leaves
    the last cells empty.
    """

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    above: Sequence[Line] = ()
    totals: Optional[Sequence[Any]] = None
    below: Sequence[Line] = ()
    landscape: bool = True


def workbook_bytes(tables: Sequence[Table]) -> bytes:
    """The .xlsx file holding ``tables``, one worksheet each, in order."""
    workbook = openpyxl.Workbook(write_only=True)
    for table in tables:
        _write_table(workbook.create_sheet(title=table.title[:31]), table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- one sheet -----------------------------------------------------------------------------------------------------


def _write_table(sheet, table: Table) -> None:
    columns = list(table.columns)
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
        if column.kind == TEXT:
            sheet.column_dimensions[get_column_letter(i)].number_format = "@"
    # The sheet's view and properties are written with its first row: set them up before any row.
    first_heading = len(table.above) + 1
    _print_setup(sheet, table, first_heading, first_heading + (1 if any(c.group for c in columns) else 0))
    row = 1
    for line in table.above:
        row = _write_line(sheet, row, line, len(columns))
    row = _write_headings(sheet, row, columns)
    styles = _Styles(sheet)
    for values in table.rows:
        sheet.append(_row(sheet, values, columns, styles))
        row += 1
    if table.totals is not None:
        sheet.append(_row(sheet, table.totals, columns, styles, bold=True))
        row += 1
    for line in table.below:
        row = _write_line(sheet, row, line, len(columns))


def _print_setup(sheet, table: Table, first_heading: int, last_heading: int) -> None:
    sheet.freeze_panes = f"A{last_heading + 1}"
    sheet.print_title_rows = f"{first_heading}:{last_heading}"
    sheet.page_setup.paperSize = A4
    sheet.page_setup.orientation = "landscape" if table.landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "Trang &P/&N"


def _row(sheet, values: Sequence[Any], columns: list[Column], styles: _Styles,
         bold: bool = False) -> list[WriteOnlyCell]:
    padded = [*values, *[None] * (len(columns) - len(values))]
    return [_cell(sheet, v, c, styles, bold) for v, c in zip(padded, columns)]


def _write_line(sheet, row: int, line: Line, width: int) -> int:
    if not any(line.parts):
        sheet.append([])
        return row + 1
    cells: list[Any] = [None] * width
    font = Font(bold=line.bold, italic=line.italic, size=line.size)
    alignment = Alignment(horizontal=line.align, vertical="center")
    shares = len(line.parts)
    for k, text in enumerate(line.parts):
        start, end = k * width // shares, (k + 1) * width // shares - 1
        if end < start:
            continue  # more parts than columns: the extra parts have no room
        cell = _string(sheet, text)
        cell.font, cell.alignment = font, alignment
        cells[start] = cell
        if end > start:
            sheet.merged_cells.add(f"{get_column_letter(start + 1)}{row}:{get_column_letter(end + 1)}{row}")
    if line.size:
        sheet.row_dimensions[row].height = max(LINE_HEIGHT, line.size * 1.5)
    sheet.append(cells)
    return row + 1


def _write_headings(sheet, row: int, columns: list[Column]) -> int:
    """One heading row, or two when some columns are grouped; returns the row after them."""
    bold = Font(bold=True)
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def heading(text: Optional[str]) -> WriteOnlyCell:
        cell = _string(sheet, text) if text is not None else WriteOnlyCell(sheet)
        cell.font, cell.alignment, cell.border = bold, centred, _GRID
        return cell

    if not any(c.group for c in columns):
        sheet.row_dimensions[row].height = _height([(c.heading, c.width) for c in columns])
        sheet.append([heading(c.heading) for c in columns])
        return row + 1
    top: list[WriteOnlyCell] = []
    bottom: list[WriteOnlyCell] = []
    groups: list[tuple[str, float]] = []
    for i, column in enumerate(columns):
        letter = get_column_letter(i + 1)
        if column.group is None:
            top.append(heading(column.heading))
            bottom.append(heading(None))
            sheet.merged_cells.add(f"{letter}{row}:{letter}{row + 1}")
            continue
        starts = i == 0 or columns[i - 1].group != column.group
        top.append(heading(column.group if starts else None))
        bottom.append(heading(column.heading))
        if starts:
            span = _group_span(columns, i)
            groups.append((column.group, sum(c.width for c in columns[i:i + span])))
            if span > 1:
                sheet.merged_cells.add(f"{letter}{row}:{get_column_letter(i + span)}{row}")
    first = _height(groups)
    second = _height([(c.heading, c.width) for c in columns if c.group])
    whole = _height([(c.heading, c.width) for c in columns if not c.group])
    sheet.row_dimensions[row].height = first
    sheet.row_dimensions[row + 1].height = max(second, whole - first)
    sheet.append(top)
    sheet.append(bottom)
    return row + 2


def _group_span(columns: list[Column], start: int) -> int:
    span = 1
    while start + span < len(columns) and columns[start + span].group == columns[start].group:
        span += 1
    return span


def _height(texts: list[tuple[str, float]]) -> float:
    """Enough height for the longest heading to wrap within its width (Excel does not grow rows of merged or
    written-ahead cells by itself)."""
    lines = max((math.ceil(len(text) * 1.15 / max(width - 1, 1)) for text, width in texts), default=1)
    return LINE_HEIGHT * max(lines, 1)


# --- cells ---------------------------------------------------------------------------------------------------------


class _Styles:
    """The body cells' styles of one sheet, each made once and copied: openpyxl looks a style up again on every
    assignment, which made a 20,000-row sheet take twice as long to write."""

    def __init__(self, sheet):
        self.sheet = sheet
        self.made: dict[tuple[Optional[str], bool, bool], StyleArray] = {}

    def get(self, number_format: Optional[str], wrap: bool, bold: bool) -> StyleArray:
        key = (number_format, wrap, bold)
        if key not in self.made:
            model = WriteOnlyCell(self.sheet)
            model.border = _GRID
            model.alignment = Alignment(wrap_text=wrap or None, vertical="top")
            if number_format:
                model.number_format = number_format
            if bold:
                model.font = Font(bold=True)
            self.made[key] = model._style
        return copy(self.made[key])


def _string(sheet, text: str) -> WriteOnlyCell:
    # Control characters (other than tab and line breaks) cannot be written in a workbook's XML: openpyxl refuses
    # them, so text stored with one (typed by a forged request, or from an old import) is written without it.
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
    cell.data_type = "s"  # openpyxl would write "=..." as a formula: a string cell is never evaluated
    return cell


def _number_format(value: Any, kind: str) -> Optional[str]:
    if kind == TEXT:
        return "@"
    if isinstance(value, (date, datetime)):
        return MONTH_FORMAT if kind == MONTH else DATE_FORMAT
    if kind in (DATE, MONTH) and value is not None:
        return None  # a birth year under "Ngày sinh" is a number, not a day of 1905
    if kind == PERCENT:
        return "0.00%" if _is_number(value) and value % 100 else "0%"
    return _FORMATS.get(kind)  # empty cells too: what is typed in later is shown the column's way


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell(sheet, value: Any, column: Column, styles: _Styles, bold: bool = False) -> WriteOnlyCell:
    if isinstance(value, str):
        cell = _string(sheet, value)
    elif column.kind == PERCENT and _is_number(value):
        cell = WriteOnlyCell(sheet, value=value / 10_000)
    else:
        cell = WriteOnlyCell(sheet, value=value)
    cell._style = styles.get(_number_format(value, column.kind), column.wrap, bold)
    return cell
