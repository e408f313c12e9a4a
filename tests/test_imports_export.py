"""Exporting household lists: the same columns as the import, scoped, safe to open, re-importable unchanged."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import openpyxl
import pytest
from sqlmodel import select

from fieldwork.models import (
    AuditEvent,
    BhxhStatus,
    BhytStatus,
    Commune,
    Household,
    Person,
    Poverty,
    Relation,
    Role,
    Sex,
    utcnow,
)

from .imports_files import HEADINGS, XLSX_TYPE, batch_id, read_xlsx, sample_rows, upload, xlsx


@pytest.fixture
def village(make_village):
    return make_village(name="Thôn Đông Hội")


@pytest.fixture
def official(make_user, login):
    user = make_user(Role.OFFICIAL)
    login(user)
    return user


def export(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == XLSX_TYPE
    assert response.headers["Content-Disposition"].startswith("attachment; filename=\"danh-sach-ho-")
    assert response.headers["Cache-Control"] == "no-store"
    return response.data


def reimport_preview(client, village, data: bytes) -> str:
    batch = batch_id(upload(client, village.id, data, "xuat.xlsx"))
    return client.get(f"/nhap/{batch}").get_data(as_text=True), batch


def _count(page: str, label: str) -> int:
    match = re.search(rf"<strong>([\d.]+)</strong> {label}", page)
    assert match, label
    return int(match.group(1).replace(".", ""))


def _household(db, village, code: str, head: str, **values) -> Household:
    household = Household(village_id=village.id, code=code, head_name=head, **values)
    db.add(household)
    db.flush()
    return household


def _person(db, household: Household, name: str, year: int, sex: Sex = Sex.MALE, **values) -> Person:
    person = Person(household_id=household.id, full_name=name, birth_year=year, sex=sex, **values)
    db.add(person)
    db.flush()
    return person


def test_village_export_has_the_import_columns_and_the_data(client, official, village, db, make_village,
                                                            make_household):
    batch = batch_id(upload(client, village.id, xlsx(sample_rows())))
    assert client.post_form(f"/nhap/{batch}/xac-nhan").status_code == 302
    make_household(make_village(name="Thôn Bên Cạnh"), head_name="Người Thôn Khác")
    gone = make_household(village, head_name="Hộ Đã Lưu Trữ", code="T05-900")
    gone.archived_at = utcnow()
    db.add(gone)
    db.commit()

    rows = read_xlsx(export(client, f"/thon/{village.id}/xuat.xlsx"))
    assert list(rows[0]) == HEADINGS
    data = [dict(zip(HEADINGS, r)) for r in rows[1:]]
    assert len(data) == 8
    assert "Người Thôn Khác" not in str(rows) and "Hộ Đã Lưu Trữ" not in str(rows)
    an = next(r for r in data if r["Họ và tên"] == "Nguyễn Văn An")
    assert an == {
        "Mã hộ": "T05-001", "Họ tên chủ hộ": "Nguyễn Văn An", "Địa chỉ": "Số 5, ngõ 2, xóm Đông",
        "Xóm/tổ": "Xóm Đông", "Điện thoại hộ": "0912000111", "Diện hộ": "Hộ cận nghèo", "Họ và tên": "Nguyễn Văn An",
        "Quan hệ với chủ hộ": "Chủ hộ", "Ngày sinh": an["Ngày sinh"], "Năm sinh": 1975, "Giới tính": "Nam",
        "Số CCCD": "027075001111", "Mã số BHXH": "2701001111", "Dân tộc": "Kinh", "Nghề nghiệp": "Làm ruộng",
        "Tình trạng BHYT": "BHYT hộ gia đình", "Hạn thẻ BHYT": an["Hạn thẻ BHYT"], "Tình trạng BHXH": "BHXH tự nguyện",
        "Ghi chú": None,
    }
    assert an["Ngày sinh"].date() == date(1975, 3, 12) and an["Hạn thẻ BHYT"].date() == date(2026, 12, 31)
    dung = next(r for r in data if r["Họ và tên"] == "Lê Thị Dung")
    assert dung["Diện hộ"] == "Không" and dung["Tình trạng BHYT"] == "Chưa có thẻ BHYT"
    assert [r["Ghi chú"] for r in data if r["Mã hộ"] == "T05-003"] == ["Nhà ở cuối xóm", None]
    # Heads first, then by age, household by household.
    assert [r["Họ và tên"] for r in data][:3] == ["Nguyễn Văn An", "Trần Thị Bích", "Nguyễn Văn Cường"]

    sheet = openpyxl.load_workbook(io.BytesIO(export(client, f"/thon/{village.id}/xuat.xlsx"))).active
    cccd = sheet.cell(row=2, column=HEADINGS.index("Số CCCD") + 1)
    assert cccd.data_type == "s" and cccd.number_format == "@"
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold


def test_export_reimports_with_no_changes(client, official, village, db):
    first = _household(db, village, "001", "Đinh Văn Quý", address="Thôn Đông Hội", phone="0977000111",
                       poverty=Poverty.HARDSHIP, hamlet_group="Tổ 3", notes="Hai người đi làm xa")
    _person(db, first, "Đinh Văn Quý", 1968, relation=Relation.HEAD, cccd="027068000123",
            birth_date=date(1968, 8, 30), bhxh_status=BhxhStatus.COMPULSORY)
    _person(db, first, "Đinh Thị Mai", 1999, Sex.FEMALE, relation=Relation.CHILD_IN_LAW, bhxh_code="2799000123",
            bhyt_status=BhytStatus.OTHER_GROUP, bhyt_card_expiry=date(2027, 6, 30), occupation="Giáo viên",
            ethnicity="Nùng")
    _person(db, first, "Đinh Văn Tí", 2021, relation=Relation.OTHER)
    _household(db, village, "002", "Hộ Chưa Có Người")
    db.commit()

    page, batch = reimport_preview(client, village, export(client, f"/thon/{village.id}/xuat.xlsx"))
    assert "Lỗi cần sửa" not in page, page
    assert [_count(page, label) for label in ("hộ thêm mới", "hộ cập nhật", "người thêm mới", "người cập nhật",
                                              "người không đổi")] == [0, 0, 0, 0, 3]
    assert client.post_form(f"/nhap/{batch}/xac-nhan").status_code == 302
    db.rollback()
    assert db.exec(select(AuditEvent).where(AuditEvent.entity.in_(["household", "person"]))).all() == []


def test_export_never_writes_formulas(client, official, village, db):
    household = _household(db, village, "=1+1", '=HYPERLINK("http://evil.example","Bấm vào đây")',
                           address="+SUM(1,2)", notes="@cmd")
    _person(db, household, '=HYPERLINK("http://evil.example","Bấm vào đây")', 1980, occupation="-2+3")
    db.commit()

    data = export(client, f"/thon/{village.id}/xuat.xlsx")
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    row = {h: c for h, c in zip(HEADINGS, sheet[2])}
    for heading in ("Mã hộ", "Họ tên chủ hộ", "Địa chỉ", "Họ và tên", "Nghề nghiệp", "Ghi chú"):
        assert row[heading].data_type == "s", heading
    assert row["Họ và tên"].value == '=HYPERLINK("http://evil.example","Bấm vào đây")'

    page, _ = reimport_preview(client, village, data)
    assert "Lỗi cần sửa" not in page and _count(page, "người không đổi") == 1


def test_commune_export_has_a_village_column_and_only_the_commune(client, official, village, db, make_village,
                                                                  make_household):
    second = make_village(name="Thôn Tây Hội")
    make_household(village, head_name="Người Đông Hội", people=2)
    make_household(second, head_name="Người Tây Hội", people=1)
    make_household(make_village(commune_code="00004", name="Tổ dân phố số 1"), head_name="Người Xã Khác")

    rows = read_xlsx(export(client, "/xa/xuat.xlsx"))
    assert list(rows[0]) == ["Thôn", *HEADINGS]
    assert sorted({r[0] for r in rows[1:]}) == ["Thôn Tây Hội", "Thôn Đông Hội"]
    assert len(rows) == 1 + 3
    assert "Người Xã Khác" not in str(rows)
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert [(e.entity, e.after) for e in events] == [("commune", {"rows": 3})]


def test_commune_export_of_one_village_reimports_into_it(client, official, village, db, make_household):
    make_household(village, head_name="Người Đông Hội", people=2)
    data = export(client, "/xa/xuat.xlsx")
    page, _ = reimport_preview(client, village, data)
    assert "Lỗi cần sửa" not in page and _count(page, "người không đổi") == 2


def test_admin_exports_the_commune_asked_for(client, login, make_user, village, db, make_household):
    make_household(village, head_name="Người Đông Hội", people=1)
    login(make_user(Role.ADMIN))
    commune = db.get(Commune, village.commune_id)
    assert "Người Đông Hội" in str(read_xlsx(export(client, f"/xa/xuat.xlsx?xa={commune.id}")))
    assert client.get("/xa/xuat.xlsx").status_code == 404


def test_village_export_is_audited(client, official, village, db, make_household):
    make_household(village, people=2)
    export(client, f"/thon/{village.id}/xuat.xlsx")
    db.rollback()
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert (event.entity, event.entity_id, event.user_id, event.after) == ("village", village.id, official.id,
                                                                          {"rows": 2})
