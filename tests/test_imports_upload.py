"""Uploading a household list: hostile files are refused with a clear message before parsing; scope and roles."""

from __future__ import annotations

import io
import os
import unicodedata
import zipfile

import openpyxl
import pytest
from openpyxl.styles import Font
from sqlalchemy import func
from sqlmodel import select

from fieldwork.imports import spreadsheet
from fieldwork.models import ImportBatch, Role

from .imports_files import batch_id, csv_bytes, sample_rows, upload, xlsx


@pytest.fixture
def village(make_village):
    return make_village(name="Thôn Đông Hội")


@pytest.fixture
def official(make_user, login):
    user = make_user(Role.OFFICIAL)
    login(user)
    return user


def batches(db) -> int:
    db.rollback()
    return db.exec(select(func.count(ImportBatch.id))).one()


def refused(client, village, data: bytes, filename: str, status: int, message: str, db) -> None:
    response = upload(client, village.id, data, filename)
    body = response.get_data(as_text=True)
    assert response.status_code == status, body[:3000]
    assert message in body
    assert '<input' in body and 'type="file"' in body  # the form again, to choose another file
    assert batches(db) == 0


def _zip(members: dict[str, bytes], level: int = 9) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_upload_page_offers_template_and_export(client, official, village):
    page = client.get(f"/thon/{village.id}/nhap").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "/nhap/mau.xlsx" in page
    assert f"/thon/{village.id}/xuat.xlsx" in page


def test_no_file_chosen(client, official, village, db):
    response = client.post_form(f"/thon/{village.id}/nhap", {}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Hãy chọn tệp danh sách (.xlsx hoặc .csv) để tải lên." in response.get_data(as_text=True)


def test_other_extension_is_refused(client, official, village, db):
    refused(client, village, b"%PDF-1.7\n", "danh-sach.pdf", 422, "Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv)", db)


def test_file_over_5_mb_is_refused(client, official, village, db):
    data = xlsx(sample_rows()) + b"\0" * (spreadsheet.MAX_BYTES + 1)
    refused(client, village, data[: spreadsheet.MAX_BYTES + 1], "lon.xlsx", 413, "Tệp lớn hơn 5 MB", db)


def test_request_announcing_more_than_the_limit_is_refused_before_reading(client, official, village, db):
    refused(client, village, b"a,b\n" * (6 * 1024 * 1024 // 4), "lon.csv", 413, "Tệp lớn hơn 5 MB", db)


def test_bytes_read_are_limited_whatever_the_request_says():
    with pytest.raises(spreadsheet.FileRefused) as refusal:
        spreadsheet.read_limited(io.BytesIO(b"x" * (spreadsheet.MAX_BYTES + 10)))
    assert refusal.value.status == 413


def test_program_renamed_xlsx_is_refused(client, official, village, db):
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + os.urandom(2000)
    refused(client, village, exe, "danh-sach.xlsx", 415, "không phải tệp Excel (.xlsx) thật", db)


def test_random_bytes_are_refused(client, official, village, db):
    refused(client, village, os.urandom(4096), "danh-sach.xlsx", 415, "không phải tệp Excel (.xlsx) thật", db)


def test_zip_that_is_not_a_workbook_is_refused(client, official, village, db):
    docx = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    refused(client, village, docx, "danh-sach.xlsx", 415, "không phải tệp Excel (.xlsx) thật", db)


def test_old_excel_format_is_refused_with_how_to_save(client, official, village, db):
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000
    refused(client, village, xls, "danh-sach.xlsx", 415, "Excel 97–2003 (.xls)", db)


def test_zip_bomb_is_refused(client, official, village, db):
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                 "xl/worksheets/sheet1.xml": b"\0" * (60 * 1024 * 1024)})
    assert len(bomb) < 200_000
    refused(client, village, bomb, "danh-sach.xlsx", 413, "giải nén lớn bất thường", db)


def test_highly_compressed_member_is_refused_even_when_small_overall(client, official, village, db):
    bomb = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b" " * (3 * 1024 * 1024)})
    refused(client, village, bomb, "danh-sach.xlsx", 413, "giải nén lớn bất thường", db)


def test_xml_entities_are_refused(client, official, village, db):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
              b'<workbook>&lol2;</workbook>')
    data = xlsx(sample_rows())
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {item.filename: source.read(item.filename) for item in source.infolist()}
    members["xl/workbook.xml"] = laughs
    refused(client, village, _zip(members), "danh-sach.xlsx", 413, "giải nén lớn bất thường", db)


def test_damaged_workbook_is_refused(client, official, village, db):
    data = xlsx(sample_rows())
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {item.filename: source.read(item.filename) for item in source.infolist()}
    members["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row"
    refused(client, village, _zip(members), "danh-sach.xlsx", 422, "Không đọc được tệp Excel này", db)


def _sheet_with(cells: dict[str, str], xml: bytes | None = None) -> bytes:
    """A real workbook whose first sheet has ``cells``, or whose sheet XML is replaced by ``xml``."""
    workbook = openpyxl.Workbook()
    for address, value in cells.items():
        workbook.active[address] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    if xml is None:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    members = {item.filename: source.read(item.filename) for item in source.infolist()}
    members["xl/worksheets/sheet1.xml"] = xml
    return _zip(members)


def test_value_in_the_last_cell_of_the_sheet_is_refused_before_reading(client, official, village, db):
    # 5 KB that a dense reader would turn into a 1,048,576 × 16,384 block.
    data = _sheet_with({"A1": "Mã hộ", "XFD1048576": "x"})
    assert len(data) < 10_000
    refused(client, village, data, "danh-sach.xlsx", 413, "chia thành nhiều tệp nhỏ hơn", db)


def test_value_far_to_the_right_is_refused_before_reading(client, official, village, db):
    refused(client, village, _sheet_with({"A1": "Mã hộ", "ZZ5": "x"}), "danh-sach.xlsx", 413,
            "quá xa bên phải (sau cột BH)", db)


def test_cells_without_addresses_are_placed_as_excel_places_them(client, official, village, db):
    cells = b"<c><v>1</v></c>" * 100  # one row, 100 columns, no r="..." anywhere
    xml = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
           b"<row>" + cells + b"</row></sheetData></worksheet>")
    refused(client, village, _sheet_with({}, xml), "danh-sach.xlsx", 413, "quá xa bên phải", db)


def test_an_address_hidden_in_another_attribute_does_not_fool_the_check(client, official, village, db):
    xml = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
           b'<c r="A1" t="inlineStr"><is><t>M\xc3\xa3 h\xe1\xbb\x99</t></is></c>'
           b"<c note=' r=\"B1\"' r=\"XFD1048576\"><v>1</v></c></row></sheetData></worksheet>")
    refused(client, village, _sheet_with({}, xml), "danh-sach.xlsx", 413, "chia thành nhiều tệp nhỏ hơn", db)


def test_formatting_far_away_is_not_a_reason_to_refuse(client, official, village, db):
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx(sample_rows())))
    workbook.active["ZZ60000"].font = Font(bold=True)  # formatted, empty
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert upload(client, village.id, buffer.getvalue()).status_code == 302


TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _cp1258(text: str) -> bytes:
    """Windows-1258 as old Vietnamese Excel writes it: hats precomposed (â, ơ, ư), tone marks combining."""
    out = b""
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
        out += (base + "".join(c for c in parts if c in TONES)).encode("cp1258")
    return out


def test_csv_in_windows_1258_asks_for_csv_utf8(client, official, village, db):
    data = _cp1258(csv_bytes(sample_rows(), encoding="utf-8").decode())
    refused(client, village, data, "danh-sach.csv", 415, "CSV UTF-8", db)


def test_csv_in_latin_1_asks_for_csv_utf8(client, official, village, db):
    data = "ma ho,ho ten chu ho,ho va ten,gioi tinh,nam sinh\r\nH1,José Müller,José Müller,nam,1980\r\n"
    refused(client, village, data.encode("latin-1"), "danh-sach.csv", 415, "CSV UTF-8", db)


def test_binary_named_csv_is_refused(client, official, village, db):
    refused(client, village, xlsx(sample_rows()), "danh-sach.csv", 415, "không phải tệp CSV", db)


def test_too_many_rows_asks_to_split_the_file(client, official, village, db):
    rows = [{"code": f"H{i}", "head_name": "Nguyễn Văn An", "full_name": "Nguyễn Văn An", "sex": "Nam",
             "birth_year": 1980} for i in range(spreadsheet.MAX_ROWS + 1)]
    refused(client, village, csv_bytes(rows), "lon.csv", 413, "chia thành nhiều tệp nhỏ hơn", db)


def test_empty_file_is_refused(client, official, village, db):
    refused(client, village, b" \n", "trong.csv", 422, "Tệp trống", db)


def test_filename_is_kept_without_its_path(client, official, village, db):
    batch = batch_id(upload(client, village.id, xlsx(sample_rows()), "../../etc/Danh sách.xlsx"))
    assert db.get(ImportBatch, batch).filename == "Danh sách.xlsx"


# --- scope and roles ---------------------------------------------------------------------------------------------


@pytest.fixture
def stranger_batch(client, make_user, login, village):
    """A batch uploaded by this commune's official; then someone else signs in."""
    login(make_user(Role.OFFICIAL))
    batch = batch_id(upload(client, village.id, xlsx(sample_rows())))
    client.post_form("/dang-xuat")
    return batch


def test_official_of_another_commune_gets_404(client, login, make_user, village, stranger_batch, db):
    login(make_user(Role.OFFICIAL, commune_code="00004"))
    assert client.get(f"/thon/{village.id}/nhap").status_code == 404
    assert upload(client, village.id, xlsx(sample_rows())).status_code == 404
    assert client.get(f"/nhap/{stranger_batch}").status_code == 404
    assert client.post_form(f"/nhap/{stranger_batch}/xac-nhan").status_code == 404
    assert client.get(f"/thon/{village.id}/xuat.xlsx").status_code == 404
    assert batches(db) == 1 and db.get(ImportBatch, stranger_batch).confirmed_at is None


def test_member_gets_403(client, login, make_user, village, stranger_batch):
    login(make_user(Role.MEMBER, village=village))
    assert client.get(f"/thon/{village.id}/nhap").status_code == 403
    assert upload(client, village.id, xlsx(sample_rows())).status_code == 403
    assert client.get(f"/nhap/{stranger_batch}").status_code == 403
    assert client.post_form(f"/nhap/{stranger_batch}/xac-nhan").status_code == 403
    assert client.get(f"/thon/{village.id}/xuat.xlsx").status_code == 403
    assert client.get("/xa/xuat.xlsx").status_code == 403


def test_anonymous_is_sent_to_sign_in(client, village, stranger_batch):
    for url in (f"/thon/{village.id}/nhap", f"/nhap/{stranger_batch}", f"/thon/{village.id}/xuat.xlsx",
                "/xa/xuat.xlsx", "/nhap/mau.xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"], url
    response = client.post_form(f"/nhap/{stranger_batch}/xac-nhan")
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_admin_may_import_anywhere(client, login, make_user, village):
    login(make_user(Role.ADMIN))
    batch = batch_id(upload(client, village.id, xlsx(sample_rows())))
    assert client.get(f"/nhap/{batch}").status_code == 200
