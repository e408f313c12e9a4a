"""Household lists for the import tests: real .xlsx workbooks built with openpyxl and real CSV bytes."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from typing import Any, Iterable, Optional

import openpyxl

from fieldwork.imports.columns import COLUMNS, normalise_heading

HEADINGS = [c.heading for c in COLUMNS]
KEYS = [c.key for c in COLUMNS]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def person(code: str, head: str, name: str, relation: str, sex: str, born: Any = None, year: Any = None,
           **extra: Any) -> dict[str, Any]:
    return {"code": code, "head_name": head, "full_name": name, "relation": relation, "sex": sex,
            "birth_date": born, "birth_year": year, **extra}


def sample_rows() -> list[dict[str, Any]]:
    """Three households, eight people, as an official would type them."""
    h1 = {"address": "Số 5, ngõ 2, xóm Đông", "hamlet_group": "Xóm Đông", "phone": "0912000111",
          "poverty": "Hộ cận nghèo"}
    h2 = {"hamlet_group": "Xóm Tây", "poverty": "Không"}
    h3 = {"poverty": "Hộ nghèo", "notes": "Nhà ở cuối xóm"}
    return [
        person("T05-001", "Nguyễn Văn An", "Nguyễn Văn An", "Chủ hộ", "Nam", date(1975, 3, 12), 1975,
               cccd="027075001111", bhxh_code="2701001111", occupation="Làm ruộng",
               bhyt_status="BHYT hộ gia đình", bhyt_card_expiry="31/12/2026", bhxh_status="BHXH tự nguyện", **h1),
        person("T05-001", "Nguyễn Văn An", "Trần Thị Bích", "Vợ/chồng", "Nữ", "20/07/1978", None,
               cccd="027178002222", **h1),
        person("T05-001", "Nguyễn Văn An", "Nguyễn Văn Cường", "Con", "Nam", None, 2003, **h1),
        person("T05-002", "Lê Thị Dung", "Lê Thị Dung", "Chủ hộ", "Nữ", "01/01/1960", None, cccd="027160003333",
               bhxh_status="Hưởng lương hưu", **h2),
        person("T05-002", "Lê Thị Dung", "Phạm Văn Em", "Con", "Nam", "15/09/1985", None, bhxh_code="2701005555",
               **h2),
        person("T05-002", "Lê Thị Dung", "Phạm Thị Gấm", "Cháu", "Nữ", None, 2015, **h2),
        person("T05-003", "Hoàng Văn Hải", "Hoàng Văn Hải", "Chủ hộ", "Nam", None, 1950, ethnicity="Tày", **h3),
        person("T05-003", "", "Hoàng Thị Lan", "Vợ/chồng", "Nữ", None, 1955, ethnicity="Tày"),
    ]


def as_list(row: dict[str, Any], headings: list[str] = HEADINGS) -> list[Any]:
    """The row's cells under ``headings``, which may be spelt differently ("MÃ HỘ", "ma ho")."""
    keys = {normalise_heading(c.heading): c.key for c in COLUMNS}
    return [row.get(keys.get(normalise_heading(h), h)) for h in headings]


def xlsx(rows: Iterable[dict[str, Any]], headings: Optional[list[str]] = None) -> bytes:
    headings = headings or HEADINGS
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách"
    sheet.append(headings)
    for row in rows:
        sheet.append(as_list(row, headings))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Iterable[dict[str, Any]], headings: Optional[list[str]] = None, *, encoding: str = "utf-8-sig",
              delimiter: str = ",") -> bytes:
    headings = headings or HEADINGS
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headings)
    for row in rows:
        writer.writerow(["" if v is None else v.strftime("%d/%m/%Y") if isinstance(v, date) else v
                         for v in as_list(row, headings)])
    return buffer.getvalue().encode(encoding)


def read_xlsx(data: bytes, sheet: int = 0) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return [tuple(r) for r in workbook.worksheets[sheet].iter_rows(values_only=True)]


def with_cached_formula(data: bytes, cell: str, formula: str, cached: Optional[str]) -> bytes:
    """Rewrite one cell of sheet1 as a formula, with the value Excel would have cached (or none)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = content.decode()
                value = f"<v>{cached}</v>" if cached is not None else ""
                kind = "" if cached is None or re.fullmatch(r"[\d.]+", cached) else ' t="str"'
                xml, n = re.subn(rf'<c r="{cell}"([^>]*?)(?:/>|>.*?</c>)',
                                 f'<c r="{cell}"{kind}><f>{formula}</f>{value}</c>', xml, count=1)
                assert n == 1, f"no cell {cell} in the sheet"
                content = xml.encode()
            target.writestr(item, content)
    return out.getvalue()


def upload(client, village_id: int, data: bytes, filename: str = "danh-sach.xlsx", **kwargs):
    return client.post_form(f"/thon/{village_id}/nhap", {"file": (io.BytesIO(data), filename)},
                            content_type="multipart/form-data", **kwargs)


def batch_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.search(r"/nhap/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))
