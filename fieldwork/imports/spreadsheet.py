"""Household lists as bytes: refuse hostile files before parsing, then read their cells.

Nothing here knows about households; :mod:`.columns` gives the cells their meaning. Workbooks are read with
python-calamine: a formula is read as the value Excel cached for it and never evaluated (one without a cached value
reads as empty). Calamine holds a sheet as one dense block from A1 to the farthest cell with a value, so before it
runs, the sheet XML is scanned for that cell: a 5 KB file with one value in XFD1048576 would otherwise ask for
hundreds of gigabytes. Workbooks are written by :mod:`fieldwork.exports.workbook`, the app's one Excel writer.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from flask_babel import lazy_gettext as _l
from openpyxl.utils import column_index_from_string, get_column_letter
from python_calamine import CalamineWorkbook

MAX_BYTES = 5 * 1024 * 1024
MAX_REQUEST_BYTES = MAX_BYTES + 64 * 1024  # the file plus the multipart envelope and the form's other fields
MAX_UNCOMPRESSED = 50 * 1024 * 1024  # all members of an .xlsx together
MAX_RATIO = 100  # uncompressed / compressed size of one member
RATIO_FLOOR = 1024 * 1024  # members smaller than this cannot hurt, whatever their ratio
MAX_ROWS = 20_000  # data rows
MAX_ROW_NUMBER = 2 * MAX_ROWS  # rows scanned, blank ones included
MAX_COLUMNS = 60
HEADER_SEARCH_ROWS = 10

EXTENSIONS = ("xlsx", "csv")
EXTENSION_MESSAGE = _l("Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv). Hãy lưu danh sách bằng Excel theo một trong hai "
                       "dạng này rồi tải lên lại.")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls) and other Office binaries
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


class FileRefused(ValueError):
    """A file refused before (or while) reading it, with a Vietnamese message that says what to do."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.status = status


def too_large() -> FileRefused:
    return FileRefused(str(_l("Tệp lớn hơn 5 MB. Hãy chia danh sách thành nhiều tệp nhỏ hơn (ví dụ mỗi xóm một tệp) "
                              "rồi tải lên lần lượt.")), 413)


def read_limited(stream) -> bytes:
    """The uploaded bytes, refusing more than MAX_BYTES whatever the request claimed its length was."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise too_large()
    return data


def extension_of(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


# --- checks before parsing -----------------------------------------------------------------------------------------


def check_file(filename: str, data: bytes) -> str:
    """The kind of the upload ("xlsx" or "csv") once its size, name and content agree; otherwise FileRefused."""
    if len(data) > MAX_BYTES:
        raise too_large()
    if not data.strip():
        raise FileRefused(str(_l("Tệp trống. Hãy chọn đúng tệp danh sách hộ.")))
    kind = extension_of(filename)
    if kind not in EXTENSIONS:
        raise FileRefused(str(EXTENSION_MESSAGE), 415)
    if kind == "xlsx":
        _check_xlsx(data)
    else:
        _decode_csv(data)
    return kind


def _not_xlsx() -> FileRefused:
    return FileRefused(str(_l("Tệp này không phải tệp Excel (.xlsx) thật, dù tên có đuôi .xlsx. Hãy mở danh sách "
                              "bằng Excel và chọn Lưu thành › Sổ làm việc Excel (.xlsx).")), 415)


def _check_xlsx(data: bytes) -> None:
    if data.startswith(_OLE_MAGIC):
        raise FileRefused(str(_l("Đây là tệp Excel 97–2003 (.xls). Hãy mở bằng Excel và lưu lại dạng Sổ làm việc "
                                 "Excel (.xlsx) rồi tải lên.")), 415)
    if not data.startswith(_ZIP_MAGIC):
        raise _not_xlsx()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _not_xlsx() from None
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise _not_xlsx()
    bomb = FileRefused(str(_l("Tệp Excel này khi giải nén lớn bất thường nên không được mở (có thể là tệp độc hại). "
                              "Hãy tạo lại danh sách từ tệp mẫu rồi tải lên.")), 413)
    if sum(m.file_size for m in members) > MAX_UNCOMPRESSED:
        raise bomb
    for member in members:
        if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise bomb
    # Sizes are now bounded, so reading every XML part is cheap; a DTD has no place in a workbook (entity bombs).
    try:
        for member in members:
            if member.filename.endswith((".xml", ".rels")):
                _check_part(archive.read(member), bomb)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, zlib.error):
        raise _not_xlsx() from None


def _check_part(xml: bytes, bomb: FileRefused) -> None:
    if any(marker in xml.upper() for marker in _DTD_MARKERS):
        raise bomb
    rows, columns = _addressed_extent(xml)
    if rows > MAX_ROW_NUMBER or columns > MAX_COLUMNS:
        rows, columns = _extent(xml)  # exact, and slower: formatting-only cells far away are no reason to refuse
    if rows > MAX_ROW_NUMBER:
        raise _too_many_rows()
    if columns > MAX_COLUMNS:
        raise FileRefused(str(_l("Tệp có dữ liệu ở quá xa bên phải (sau cột %(column)s). Hãy xoá các cột thừa bên phải "
                                 "danh sách rồi tải lên lại.", column=get_column_letter(MAX_COLUMNS))), 413)


# A worksheet's <row> and <c> start tags, with or without a namespace prefix; attribute values may hold ">".
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)((?:\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>")
_ATTRIBUTE = re.compile(rb"""\s+([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ADDRESS = re.compile(rb"([A-Z]*)([0-9]*)")
_NO_CONTENT = re.compile(rb"\s*</")
_ANY_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")  # "<" cannot occur raw in text or attribute values
_CELL_ADDRESS = re.compile(  # a <c> tag up to its r attribute, skipping whole attributes only
    rb"<(?:[A-Za-z_][\w.-]*:)?c(?:\s+(?!r\s*=)[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*"
    rb"\s+r\s*=\s*[\"']([A-Z]{1,3})([0-9]{1,7})[\"']")


def _addressed_extent(xml: bytes) -> tuple[int, int]:
    """A quick upper bound of :func:`_extent` when every cell has its address (as Excel and openpyxl write them);
    infinite when some cell has none."""
    addresses = _CELL_ADDRESS.findall(xml)
    if len(addresses) != len(_ANY_CELL.findall(xml)):
        return MAX_ROW_NUMBER + 1, MAX_COLUMNS + 1
    if not addresses:
        return 0, 0
    try:
        columns = max(column_index_from_string(letters.decode()) for letters in {a for a, _ in addresses})
    except ValueError:
        columns = MAX_COLUMNS + 1
    return max(int(number) for _, number in addresses), columns


def _extent(xml: bytes) -> tuple[int, int]:
    """The farthest row and column holding a value, placing cells without an address as Excel does (next row,
    next column); cells with no content (formatting only) are left out, as calamine leaves them out."""
    row = column = far_row = far_column = 0
    for tag in _TAG.finditer(xml):
        name, attributes, closed = tag.groups()
        address = next((a[1] or a[2] for a in _ATTRIBUTE.findall(attributes) if a[0] == b"r"), None)
        ref = _ADDRESS.fullmatch(address) if address is not None else None
        if name == b"row":
            row = int(ref.group(2)) if ref and ref.group(2) else row + 1
            column = 0
            continue
        if ref and ref.group(1):
            try:
                column = column_index_from_string(ref.group(1).decode())
            except ValueError:
                column = MAX_COLUMNS + 1
        else:
            column += 1
        cell_row = int(ref.group(2)) if ref and ref.group(2) else row
        if closed or _NO_CONTENT.match(xml, tag.end()):
            continue
        far_row, far_column = max(far_row, cell_row), max(far_column, column)
    return far_row, far_column


def _decode_csv(data: bytes) -> str:
    if data.startswith(_ZIP_MAGIC) or b"\x00" in data:
        raise FileRefused(str(_l("Tệp này không phải tệp CSV dạng văn bản. Nếu là tệp Excel, hãy đặt tên có đuôi "
                                 ".xlsx; hoặc trong Excel chọn Lưu thành › CSV UTF-8.")), 415)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(str(_l("Tệp CSV không dùng bảng mã UTF-8 nên chữ tiếng Việt sẽ bị lỗi. Trong Excel, hãy "
                                 "chọn Lưu thành › CSV UTF-8 (phân cách bằng dấu phẩy) rồi tải lên lại.")), 415) \
            from None


# --- reading -----------------------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """The first worksheet: its heading row (None when none was found) and the non-blank rows under it."""

    headings: list[Optional[str]]
    header_row: Optional[int]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (row number as Excel shows it, cells)


def read(kind: str, data: bytes, is_heading_row) -> Sheet:
    """Read the cells of an upload that passed :func:`check_file`.

    ``is_heading_row(cells)`` tells the heading row, looked for among the first rows that have any content.
    """
    rows = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)
    sheet = Sheet(headings=[], header_row=None)
    first: Optional[tuple[int, list[Any]]] = None
    seen = 0
    for number, cells in rows:
        if number > MAX_ROW_NUMBER:
            raise _too_many_rows()
        if all(_blank(c) for c in cells):
            continue
        if sheet.header_row is None:
            seen += 1
            first = first or (number, cells)
            if is_heading_row(cells):
                sheet.headings, sheet.header_row = [_heading(c) for c in cells], number
            elif seen >= HEADER_SEARCH_ROWS:
                break
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise _too_many_rows()
        sheet.rows.append((number, cells))
    if sheet.header_row is None and first is not None:
        sheet.headings = [_heading(c) for c in first[1]]
    return sheet


def _too_many_rows() -> FileRefused:
    return FileRefused(str(_l("Tệp có quá nhiều dòng (tối đa 20.000 người, dữ liệu không quá dòng số 40.000). Hãy "
                              "xoá các dòng thừa hoặc chia thành nhiều tệp nhỏ hơn rồi tải lên lần lượt.")), 413)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _heading(value: Any) -> Optional[str]:
    return None if _blank(value) else str(value).strip()


def _xlsx_rows(data: bytes) -> Iterable[tuple[int, list[Any]]]:
    """The first sheet's rows, numbered as Excel shows them, with the cached values of formulas (never evaluated).

    python-calamine (Rust) reads 10,000 rows in about 0.3 s where openpyxl took 5 s (bench/registry_import.py).
    """
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception:  # a damaged file raises many kinds; all mean the same to the official
        raise _unreadable() from None
    for number, cells in enumerate(rows, start=1):
        yield number, [None if cell == "" else cell for cell in cells[:MAX_COLUMNS]]


def _unreadable() -> FileRefused:
    return FileRefused(str(_l("Không đọc được tệp Excel này (tệp có thể bị hỏng). Hãy mở bằng Excel, lưu lại dạng "
                              ".xlsx rồi tải lên lại.")))


def _csv_rows(data: bytes) -> Iterable[tuple[int, list[Any]]]:
    text = _decode_csv(data)
    first_line = text.split("\n", 1)[0]
    # Excel set to Vietnamese separates with ";" (the decimal mark is ","); elsewhere with ",".
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, [c if c.strip() else None for c in cells[:MAX_COLUMNS]]
    except csv.Error:
        raise FileRefused(str(_l("Không đọc được tệp CSV này (dấu ngoặc kép không khớp hoặc ô quá dài). Hãy mở bằng "
                                 "Excel và lưu lại dạng CSV UTF-8.")), 422) from None
