"""Importing a household list: template, preview counts, all-or-nothing confirm, upserts, duplicates."""

from __future__ import annotations

import html
import io
import os
import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from fieldwork.imports import columns, services
from fieldwork.models import (
    AuditEvent,
    BhxhStatus,
    BhytStatus,
    Household,
    ImportBatch,
    Person,
    Poverty,
    Relation,
    Role,
    SearchEntry,
    Sex,
    utcnow,
)
from fieldwork.text import fold

from .imports_files import (
    HEADINGS,
    XLSX_TYPE,
    batch_id,
    csv_bytes,
    person,
    sample_rows,
    upload,
    with_cached_formula,
    xlsx,
)


@pytest.fixture
def village(make_village):
    return make_village(name="Thôn Đông Hội")


@pytest.fixture
def official(make_user, login):
    user = make_user(Role.OFFICIAL, name="Cán Bộ Xã")
    login(user)
    return user


def counts(db) -> tuple[int, int]:
    db.rollback()
    return (db.exec(select(func.count(Household.id))).one(), db.exec(select(func.count(Person.id))).one())


def preview(client, data: bytes, village, filename: str = "danh-sach.xlsx"):
    response = upload(client, village.id, data, filename)
    batch = batch_id(response)
    page = client.get(f"/nhap/{batch}")
    assert page.status_code == 200
    return batch, page.get_data(as_text=True)


def count_of(page: str, label: str) -> int:
    match = re.search(rf"<strong>([\d.]+)</strong> {label}", page)
    assert match, f"no count {label!r} on the page"
    return int(match.group(1).replace(".", ""))


def imported(client, data: bytes, village, filename: str = "danh-sach.xlsx") -> int:
    batch, page = preview(client, data, village, filename)
    assert "Lỗi cần sửa" not in page, page
    response = client.post_form(f"/nhap/{batch}/xac-nhan")
    assert response.status_code == 302, response.get_data(as_text=True)
    return batch


# --- the template ------------------------------------------------------------------------------------------------


def test_template_has_headings_example_and_guide(client, official):
    response = client.get("/nhap/mau.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX_TYPE
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Danh sách", "Hướng dẫn"]
    sheet = workbook["Danh sách"]
    assert [c.value for c in sheet[1]] == HEADINGS
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    example = {h: c.value for h, c in zip(HEADINGS, sheet[2])}
    assert example["Họ và tên"] == "Nguyễn Văn Bình" and example["Giới tính"] == "Nam"
    assert example["Số CCCD"] == "027078001234" and len(example["Mã số BHXH"]) == 10
    for heading in ("Số CCCD", "Mã số BHXH", "Điện thoại hộ"):
        column = sheet.cell(row=2, column=HEADINGS.index(heading) + 1)
        assert column.number_format == "@" and column.data_type == "s"
    assert sheet.column_dimensions["A"].width > 8
    guide = [r for r in workbook["Hướng dẫn"].iter_rows(values_only=True)]
    assert [r[0] for r in guide[1:20]] == HEADINGS
    poverty = next(r for r in guide if r[0] == "Diện hộ")
    assert "Hộ cận nghèo" in poverty[2] and "Không" in poverty[2]


def test_filled_template_imports_cleanly(client, official, village, db):
    template = openpyxl.load_workbook(io.BytesIO(client.get("/nhap/mau.xlsx").data))
    sheet = template["Danh sách"]
    sheet.delete_rows(2)
    for row in sample_rows():
        sheet.append([row.get(c) for c in
                      ("code", "head_name", "address", "hamlet_group", "phone", "poverty", "full_name", "relation",
                       "birth_date", "birth_year", "sex", "cccd", "bhxh_code", "ethnicity", "occupation",
                       "bhyt_status", "bhyt_card_expiry", "bhxh_status", "notes")])
    buffer = io.BytesIO()
    template.save(buffer)

    batch, page = preview(client, buffer.getvalue(), village)
    assert "Lỗi cần sửa" not in page
    assert count_of(page, "hộ thêm mới") == 3 and count_of(page, "người thêm mới") == 8
    assert count_of(page, "hộ cập nhật") == 0 and count_of(page, "người cập nhật") == 0
    assert "Xác nhận nhập" in page
    assert counts(db) == (0, 0)  # a preview writes nothing

    response = client.post_form(f"/nhap/{batch}/xac-nhan")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/thon/{village.id}/ho")
    assert counts(db) == (3, 8)
    an = db.exec(select(Person).where(Person.cccd == "027075001111")).one()
    assert (an.full_name, an.birth_date, an.sex, an.relation) == ("Nguyễn Văn An", date(1975, 3, 12), Sex.MALE,
                                                                  Relation.HEAD)
    assert (an.bhxh_code, an.bhyt_status, an.bhyt_card_expiry, an.bhxh_status) == (
        "2701001111", BhytStatus.HOUSEHOLD, date(2026, 12, 31), BhxhStatus.VOLUNTARY)
    assert an.name_key == "nguyen van an"
    first = db.exec(select(Household).where(Household.code == "T05-001")).one()
    assert (first.head_name, first.phone, first.poverty, first.hamlet_group) == (
        "Nguyễn Văn An", "0912000111", Poverty.NEAR_POOR, "Xóm Đông")
    third = db.exec(select(Household).where(Household.code == "T05-003")).one()
    assert third.poverty == Poverty.POOR and third.notes == "Nhà ở cuối xóm"
    cuong = db.exec(select(Person).where(Person.full_name == "Nguyễn Văn Cường")).one()
    assert cuong.birth_date is None and cuong.birth_year == 2003 and cuong.ethnicity == "Kinh"
    lan = db.exec(select(Person).where(Person.full_name == "Hoàng Thị Lan")).one()
    assert lan.household_id == third.id and lan.ethnicity == "Tày"

    saved = db.get(ImportBatch, batch)
    assert saved.confirmed_at is not None and saved.rows == 8 and saved.uploaded_by_id == official.id
    assert (saved.households_created, saved.people_created, saved.households_updated, saved.people_updated) == (
        3, 8, 0, 0)
    assert len(saved.sha256) == 64
    actions = db.exec(select(AuditEvent.action, AuditEvent.entity)).all()
    assert sorted(actions).count(("create", "person")) == 8 and actions.count(("create", "household")) == 3
    assert ("confirm_import", "import_batch") in actions
    assert db.exec(select(func.count(SearchEntry.id)).where(SearchEntry.village_id == village.id)).one() == 11
    found = client.get("/tim-kiem?q=bich").get_data(as_text=True)
    assert "Trần Thị Bích" in found


def test_upload_stores_the_raw_file_in_the_instance_folder(app, client, official, village, db):
    data = xlsx(sample_rows())
    batch = batch_id(upload(client, village.id, data, "Danh sách thôn.xlsx"))
    stored = db.get(ImportBatch, batch)
    assert stored.filename == "Danh sách thôn.xlsx" and stored.village_id == village.id
    with open(f"{app.instance_path}/imports/{batch}.xlsx", "rb") as stored_file:
        assert stored_file.read() == data


def test_reimporting_the_same_file_changes_nothing(client, official, village, db):
    data = xlsx(sample_rows())
    imported(client, data, village)
    db.rollback()
    stamps = {p.id: p.updated_at for p in db.exec(select(Person)).all()}
    events = db.exec(select(func.count(AuditEvent.id))).one()

    batch, page = preview(client, data, village)
    assert [count_of(page, label) for label in ("hộ thêm mới", "hộ cập nhật", "người thêm mới", "người cập nhật",
                                                "người không đổi")] == [0, 0, 0, 0, 8]
    assert "không có thay đổi nào" in page
    assert client.post_form(f"/nhap/{batch}/xac-nhan").status_code == 302
    assert counts(db) == (3, 8)
    assert {p.id: p.updated_at for p in db.exec(select(Person)).all()} == stamps
    assert db.exec(select(func.count(AuditEvent.id))).one() == events + 1  # the batch's own event only
    saved = db.get(ImportBatch, batch)
    assert (saved.households_created, saved.households_updated, saved.people_created, saved.people_updated) == (
        0, 0, 0, 0)


def test_modified_file_updates_only_what_changed(client, official, village, db):
    rows = sample_rows()
    imported(client, xlsx(rows), village)
    rows[2]["occupation"] = "Công nhân"  # Nguyễn Văn Cường found by name and birth year
    rows[1]["full_name"] = "Trần Thị Bích Ngọc"  # found by CCCD: a corrected name
    for row in rows[3:6]:
        row["phone"] = "0987 654 321"
    rows.append(person("T05-004", "Vũ Văn Khoa", "Vũ Văn Khoa", "Chủ hộ", "Nam", "02/02/1990"))

    batch, page = preview(client, xlsx(rows), village)
    assert [count_of(page, label) for label in ("hộ thêm mới", "hộ cập nhật", "người thêm mới", "người cập nhật",
                                                "người không đổi")] == [1, 1, 1, 2, 6]
    assert client.post_form(f"/nhap/{batch}/xac-nhan").status_code == 302
    assert counts(db) == (4, 9)
    assert db.exec(select(Person).where(Person.full_name == "Nguyễn Văn Cường")).one().occupation == "Công nhân"
    ngoc = db.exec(select(Person).where(Person.cccd == "027178002222")).one()
    assert ngoc.full_name == "Trần Thị Bích Ngọc" and ngoc.name_key == "tran thi bich ngoc"
    assert db.exec(select(Household).where(Household.code == "T05-002")).one().phone == "0987654321"
    update = db.exec(select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.entity_id == ngoc.id,
                                              AuditEvent.entity == "person")).one()
    assert update.before["full_name"] == "Trần Thị Bích" and update.after["full_name"] == "Trần Thị Bích Ngọc"
    assert db.exec(select(func.count(AuditEvent.id)).where(AuditEvent.action == "update")).one() == 3


def test_empty_cells_keep_what_is_stored(client, official, village, db):
    rows = sample_rows()
    imported(client, xlsx(rows), village)
    for row in rows:
        for key in ("cccd", "bhxh_code", "occupation", "phone", "address", "bhyt_status", "birth_date"):
            row[key] = None
    rows[0]["birth_year"] = 1975
    rows[1]["birth_year"] = 1978
    rows[3]["birth_year"] = 1960
    rows[4]["birth_year"] = 1985
    _, page = preview(client, xlsx(rows), village)
    assert count_of(page, "người cập nhật") == 0 and count_of(page, "hộ cập nhật") == 0


def test_csv_utf8_with_semicolons_imports_like_excel(client, official, village, db):
    rows = sample_rows()
    rows[0]["occupation"] = "=1+1"  # in a CSV, a formula is only text
    imported(client, csv_bytes(rows, delimiter=";"), village, "danh-sach.csv")
    assert counts(db) == (3, 8)
    assert db.exec(select(Person).where(Person.cccd == "027075001111")).one().occupation == "=1+1"
    _, page = preview(client, csv_bytes(rows), village, "lan-hai.csv")
    assert count_of(page, "người không đổi") == 8


def test_headings_and_choices_are_matched_folded(client, official, village, db):
    headings = [h.upper() if i % 2 else fold(h)
                for i, h in enumerate(HEADINGS)] + ["Số hộ khẩu"]
    rows = sample_rows()
    rows[0].update(poverty="ho can ngheo", sex="nam", relation="CHỦ HỘ")
    rows[1].update(relation="vợ", sex="NU", poverty="hộ cận nghèo")
    rows[0]["Số hộ khẩu"] = "HK-123"
    batch, page = preview(client, xlsx(rows, [*headings]), village)
    assert "Lỗi cần sửa" not in page
    assert "Số hộ khẩu" in page and "bỏ qua" in page  # the unknown column is named, not an error
    assert client.post_form(f"/nhap/{batch}/xac-nhan").status_code == 302
    bich = db.exec(select(Person).where(Person.cccd == "027178002222")).one()
    assert bich.relation == Relation.SPOUSE and bich.sex == Sex.FEMALE


def test_formula_cells_are_read_as_cached_values_never_evaluated(client, official, village, db):
    rows = sample_rows()
    data = xlsx(rows)
    year_cell = f"J{2 + 2}"  # Năm sinh of Nguyễn Văn Cường
    data = with_cached_formula(data, year_cell, "2000+3", "2003")
    data = with_cached_formula(data, "O2", 'HYPERLINK("http://example.com","x")', "Làm ruộng")
    imported(client, data, village)
    an = db.exec(select(Person).where(Person.cccd == "027075001111")).one()
    assert an.occupation == "Làm ruộng"
    assert db.exec(select(Person).where(Person.full_name == "Nguyễn Văn Cường")).one().birth_year == 2003


def test_formula_without_cached_value_reads_as_empty(client, official, village, db):
    data = with_cached_formula(xlsx(sample_rows()), "G3", "UPPER(A1)", None)  # Họ và tên of row 3
    _, page = preview(client, data, village)
    assert "Hãy nhập họ và tên đầy đủ" in page
    assert "Xác nhận nhập" not in page


# --- problems block the import -----------------------------------------------------------------------------------


def _bad_date(rows):
    rows[1]["birth_date"] = "31/02/1980"


def _cccd_short(rows):
    rows[1]["cccd"] = "02717800222"


def _cccd_number(rows):
    rows[1]["cccd"] = 27178002222


def _bhxh_short(rows):
    rows[4]["bhxh_code"] = "270100555"


def _poverty(rows):
    rows[6]["poverty"] = "Hộ khá giả"


def _no_name(rows):
    rows[5]["full_name"] = None


def _no_sex(rows):
    rows[5]["sex"] = None


def _same_cccd(rows):
    rows[4]["cccd"] = rows[1]["cccd"]


def _same_person(rows):
    rows.append(dict(rows[2]))


def _head_disagrees(rows):
    rows[1]["head_name"] = "Nguyễn Văn Ân"


def _bad_year(rows):
    rows[2]["birth_year"] = "khoảng 2003"


def _no_birth(rows):
    rows[2]["birth_year"] = None


def _sex_unknown(rows):
    rows[2]["sex"] = "Trai"


BAD_CASES = {
    "bad date": (_bad_date, 3, "Ngày sinh",
                 "Ngày sinh '31/02/1980' không hợp lệ; hãy nhập theo dạng dd/mm/yyyy, ví dụ 05/09/1980."),
    "cccd not 12 digits": (_cccd_short, 3, "Số CCCD", "Số CCCD phải gồm đúng 12 chữ số"),
    "cccd lost its leading zero": (_cccd_number, 3, "Số CCCD", "đã mất số 0 ở đầu"),
    "bhxh not 10 digits": (_bhxh_short, 6, "Mã số BHXH", "Mã số BHXH phải gồm đúng 10 chữ số"),
    "unknown poverty category": (_poverty, 8, "Diện hộ",
                                 "hãy ghi một trong các giá trị: Không, Hộ nghèo, Hộ cận nghèo"),
    "missing name": (_no_name, 7, "Họ và tên", "Hãy nhập họ và tên đầy đủ, có dấu"),
    "missing sex": (_no_sex, 7, "Giới tính", "Hãy ghi giới tính: Nam hoặc Nữ."),
    "unknown sex": (_sex_unknown, 4, "Giới tính", "hãy ghi một trong các giá trị: Nam, Nữ"),
    "duplicate cccd in the file": (_same_cccd, 6, "Số CCCD", "có ở cả dòng 3 và dòng 6"),
    "same person twice in the file": (_same_person, 10, "Họ và tên", "đã có ở dòng 4"),
    "household facts disagree": (_head_disagrees, 3, "Họ tên chủ hộ", "Dòng 2 ghi Họ tên chủ hộ của hộ T05-001"),
    "bad birth year": (_bad_year, 4, "Năm sinh", "Năm sinh phải là năm có 4 chữ số"),
    "no birth date nor year": (_no_birth, 4, "Ngày sinh", "Hãy nhập ngày sinh (dd/mm/yyyy) hoặc ít nhất năm sinh."),
}


def _problem_rows(page: str) -> list[list[str]]:
    table = page.split('<table class="problems">', 1)[1].split("</table>", 1)[0]
    rows = [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
            for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    return [row for row in rows if row]


@pytest.mark.parametrize("case", list(BAD_CASES), ids=list(BAD_CASES))
def test_problem_is_shown_by_row_and_column_and_blocks_everything(client, official, village, db, case):
    change, row, column, message = BAD_CASES[case]
    rows = sample_rows()
    change(rows)
    batch, page = preview(client, xlsx(rows), village)
    problems = _problem_rows(page)
    assert any(p[0] == str(row) and p[1] == column and message in p[3] for p in problems), problems
    assert "Xác nhận nhập" not in page
    response = client.post_form(f"/nhap/{batch}/xac-nhan")
    assert response.status_code == 422
    assert message.split("'")[0] in response.get_data(as_text=True)
    assert counts(db) == (0, 0)
    assert db.get(ImportBatch, batch).confirmed_at is None


def test_missing_required_column_is_a_file_problem(client, official, village, db):
    headings = [h for h in HEADINGS if h not in ("Giới tính", "Ngày sinh", "Năm sinh")]
    batch, page = preview(client, xlsx(sample_rows(), headings), village)
    problems = _problem_rows(page)
    assert problems[0][0] == "1"
    assert "Thiếu cột bắt buộc: Giới tính, Ngày sinh hoặc Năm sinh." in problems[0][3]
    assert client.post_form(f"/nhap/{batch}/xac-nhan").status_code == 422
    assert counts(db) == (0, 0)


def test_file_without_heading_row_names_the_missing_columns(client, official, village, db):
    _, page = preview(client, csv_bytes([], ["Tên", "Tuổi"]) + "An,30\n".encode(), village, "a.csv")
    assert "Thiếu cột bắt buộc: Mã hộ, Họ tên chủ hộ, Họ và tên, Giới tính" in page


def test_example_row_left_in_the_template_is_refused(client, official, village, db):
    template = client.get("/nhap/mau.xlsx").data
    _, page = preview(client, template, village)
    assert "Đây là dòng ví dụ của tệp mẫu" in page
    assert "Xác nhận nhập" not in page


def test_identifier_of_a_person_in_another_household_blocks(client, official, village, db, make_household):
    other = make_household(village, code="T05-099", head_name="Đỗ Văn Tùng")
    holder = db.exec(select(Person).where(Person.household_id == other.id)).first()
    holder.cccd = "027178002222"
    db.add(holder)
    db.commit()
    batch, page = preview(client, xlsx(sample_rows()), village)
    problems = _problem_rows(page)
    assert any(p[0] == "3" and p[1] == "Số CCCD" and "đã thuộc về Đỗ Văn Tùng ở hộ T05-099" in p[3]
               and "gộp" in p[3] for p in problems), problems
    assert client.post_form(f"/nhap/{batch}/xac-nhan").status_code == 422
    assert counts(db) == (1, 3)


def test_identifier_held_in_another_commune_blocks_without_naming_the_person(client, official, village, db,
                                                                              make_village, make_household):
    elsewhere = make_household(make_village(commune_code="00004"), head_name="Người Xã Khác")
    holder = db.exec(select(Person).where(Person.household_id == elsewhere.id)).first()
    holder.bhxh_code = "2701005555"
    db.add(holder)
    db.commit()
    _, page = preview(client, xlsx(sample_rows()), village)
    assert "Mã số BHXH 2701005555 đã có trong hồ sơ của một xã khác" in page
    assert "Người Xã Khác" not in page


def test_conflicting_stored_identifier_blocks(client, official, village, db):
    rows = sample_rows()
    imported(client, xlsx(rows), village)
    rows[2]["cccd"] = "027003009999"  # Cường was imported without one: filling it in is fine
    rows[0]["bhxh_code"] = "2701009999"  # An has 2701001111: changing it is done on his page, not by import
    _, page = preview(client, xlsx(rows), village)
    problems = _problem_rows(page)
    assert [p[0] for p in problems] == ["2"]
    assert "Nguyễn Văn An đang có Mã số BHXH là 2701001111" in problems[0][3]


def test_archived_household_code_blocks(client, official, village, db, make_household):
    archived = make_household(village, code="T05-002")
    archived.archived_at = utcnow()
    db.add(archived)
    db.commit()
    _, page = preview(client, xlsx(sample_rows()), village)
    assert "Hộ mã T05-002 đã được lưu trữ" in page


def test_rows_of_another_village_in_a_commune_file_block(client, official, village, db):
    rows = sample_rows()
    for row in rows:
        row["Thôn"] = "Thôn Đông Hội"
    rows[7]["Thôn"] = "Thôn Khác"
    _, page = preview(client, xlsx(rows, ["Thôn", *HEADINGS]), village)
    problems = _problem_rows(page)
    assert [(p[0], p[1]) for p in problems] == [("9", "Thôn")]


# --- duplicates that only warn -----------------------------------------------------------------------------------


def test_same_name_and_birth_year_in_another_household_warns_but_does_not_block(client, official, village, db,
                                                                                make_household):
    other = make_household(village, code="T05-050", head_name="Phạm Văn Em", people=1)
    namesake = db.exec(select(Person).where(Person.household_id == other.id)).one()
    namesake.birth_year = 1985
    db.add(namesake)
    db.commit()
    rows = sample_rows()
    rows.append(person("T05-003", "Hoàng Văn Hải", "Hoàng Thị Lan", "Con", "Nữ", None, 1955))
    rows[-1]["code"] = "T05-005"
    rows[-1]["head_name"] = "Hoàng Thị Lan"
    batch, page = preview(client, xlsx(rows), village)
    assert "Lỗi cần sửa" not in page
    assert "Có thể trùng người" in page
    assert "trùng họ tên và năm sinh với một người ở hộ T05-050" in page
    assert "trùng họ tên và năm sinh với dòng 9" in page
    assert client.post_form(f"/nhap/{batch}/xac-nhan").status_code == 302
    assert counts(db) == (5, 10)


# --- all or nothing, once ----------------------------------------------------------------------------------------


def test_problem_appearing_after_the_preview_writes_nothing(client, official, village, db, make_household):
    batch, page = preview(client, xlsx(sample_rows()), village)
    assert "Xác nhận nhập" in page
    # Meanwhile someone records Phạm Văn Em's social-insurance code on a person of another household.
    other = make_household(village, code="T05-077", head_name="Bùi Văn Lộc", people=1)
    holder = db.exec(select(Person).where(Person.household_id == other.id)).one()
    holder.bhxh_code = "2701005555"
    db.add(holder)
    db.commit()
    response = client.post_form(f"/nhap/{batch}/xac-nhan")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Không có gì được ghi" in body and "Bùi Văn Lộc" in body
    assert counts(db) == (1, 1)
    assert db.get(ImportBatch, batch).confirmed_at is None
    assert db.exec(select(func.count(AuditEvent.id)).where(AuditEvent.entity.in_(["household", "person"]))).one() == 0


def test_a_batch_is_confirmed_only_once(client, official, village, db):
    batch = imported(client, xlsx(sample_rows()), village)
    again = client.post_form(f"/nhap/{batch}/xac-nhan", follow_redirects=True)
    assert again.status_code == 200
    assert "đã được nhập trước đó; không ghi thêm gì" in again.get_data(as_text=True)
    assert counts(db) == (3, 8)
    assert db.exec(select(func.count(AuditEvent.id)).where(AuditEvent.action == "confirm_import")).one() == 1
    page = client.get(f"/nhap/{batch}").get_data(as_text=True)
    assert "đã được nhập lúc" in page and "Xác nhận nhập" not in page


def test_missing_stored_file_is_a_problem_not_an_error(app, client, official, village, db):
    batch = batch_id(upload(client, village.id, xlsx(sample_rows())))
    os.remove(f"{app.instance_path}/imports/{batch}.xlsx")
    page = client.get(f"/nhap/{batch}")
    assert page.status_code == 200 and "Không còn tìm thấy tệp" in page.get_data(as_text=True)
    assert client.post_form(f"/nhap/{batch}/xac-nhan").status_code == 422


def test_clash_saved_while_writing_rolls_everything_back(client, official, village, db, monkeypatch):
    real_apply = services.apply

    def clashing_apply(session, result, village, *, actor):
        real_apply(session, result, village, actor=actor)
        raise IntegrityError("INSERT INTO person ...", {}, Exception("duplicate key value"))

    batch, _ = preview(client, xlsx(sample_rows()), village)
    monkeypatch.setattr(services, "apply", clashing_apply)
    response = client.post_form(f"/nhap/{batch}/xac-nhan")
    assert response.status_code == 422
    assert "Trong lúc ghi, có người vừa lưu" in response.get_data(as_text=True)
    assert counts(db) == (0, 0)
    assert db.get(ImportBatch, batch).confirmed_at is None


def test_every_choice_is_written_and_read_as_its_vietnamese_label(app):
    expected = {
        "poverty": {"none": "Không", "poor": "Hộ nghèo", "near_poor": "Hộ cận nghèo",
                    "farming_average": "Hộ nông, lâm, ngư nghiệp mức sống trung bình",
                    "hardship": "Hoàn cảnh khó khăn"},
        "relation": {"head": "Chủ hộ", "spouse": "Vợ/chồng", "child": "Con", "parent": "Bố/mẹ", "grandchild": "Cháu",
                     "sibling": "Anh/chị/em", "child_in_law": "Con dâu/con rể", "other": "Khác"},
        "sex": {"male": "Nam", "female": "Nữ"},
        "bhyt_status": {"none": "Chưa có thẻ BHYT", "household": "BHYT hộ gia đình", "other_group": "BHYT nhóm khác"},
        "bhxh_status": {"none": "Chưa tham gia BHXH", "voluntary": "BHXH tự nguyện", "compulsory": "BHXH bắt buộc",
                        "pensioner": "Hưởng lương hưu"},
    }
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert columns.file_labels() == expected
        for column in columns.COLUMNS:
            if column.enum:
                table = columns.choices(column.enum)
                assert {label: table[fold(label)].value
                        for label in expected[column.key].values()} == {v: k for k, v in expected[column.key].items()}
