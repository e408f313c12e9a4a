"""Adding and correcting dated legal parameters: the calculator follows the table, bad input changes nothing,
every change is audited."""

from __future__ import annotations

import html
from datetime import date

import pytest
from sqlmodel import func, select

from fieldwork.models import AuditEvent, PolicyParameter, Role
from fieldwork.policy import SupportGroup, bhxh_quote, snapshot


@pytest.fixture
def admin(make_user, login):
    user = make_user(Role.ADMIN, name="Quản Trị Viên")
    login(user)
    return user


def _count(db, model, *where) -> int:
    return db.exec(select(func.count(model.id)).where(*where)).one()


def _row(db, key: str, valid_from: date, province_code: str | None = None) -> PolicyParameter | None:
    return db.exec(select(PolicyParameter).where(
        PolicyParameter.key == key, PolicyParameter.valid_from == valid_from,
        PolicyParameter.province_code == province_code if province_code else PolicyParameter.province_code.is_(None),
    )).first()


NEW_SALARY = {"key": "base_salary", "province_code": "", "value": "2.600.000", "valid_from": "2027-07-01",
              "legal_source": "Nghị định 999/2027/NĐ-CP", "note": "Theo thông báo của Chính phủ"}


def test_admin_adds_a_base_salary_and_the_calculator_follows(client, db, admin):
    response = client.post_form("/tham-so/moi", NEW_SALARY)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/tham-so#k-base_salary")
    row = _row(db, "base_salary", date(2027, 7, 1))
    assert row.value == 2_600_000 and row.unit == "vnd" and row.province_code is None
    assert row.legal_source == "Nghị định 999/2027/NĐ-CP" and row.updated_by_id == admin.id
    assert snapshot(db, date(2027, 8, 1)).get("base_salary") == 2_600_000
    assert snapshot(db, date(2026, 8, 1)).get("base_salary") == 2_530_000
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "policy_parameter",
                                             AuditEvent.entity_id == row.id)).one()
    assert event.action == "create" and event.user_id == admin.id
    assert event.before is None and event.after["value"] == 2_600_000 and event.after["valid_from"] == "2027-07-01"
    assert "2.600.000 đ" in client.get("/tham-so").get_data(as_text=True)


def test_provincial_top_up_is_stored_in_basis_points_and_read_for_that_province(client, db, admin):
    response = client.post_form("/tham-so/moi", {
        "key": "bhxh_tn_local_support_near_poor", "province_code": "01", "value": "60", "valid_from": "2025-07-01",
        "legal_source": "Nghị quyết HĐND Thành phố Hà Nội", "note": ""})
    assert response.status_code == 302
    row = _row(db, "bhxh_tn_local_support_near_poor", date(2025, 7, 1), "01")
    assert row.value == 6000 and row.unit == "bp" and row.note is None
    day = date(2026, 8, 1)
    assert snapshot(db, day, "01").local("bhxh_tn_local_support_near_poor") == 6000
    assert snapshot(db, day, "79").local("bhxh_tn_local_support_near_poor") == 0
    assert snapshot(db, day).local("bhxh_tn_local_support_near_poor") == 0
    quote = bhxh_quote(snapshot(db, day, "01"), income=1_500_000, mode="1", groups={SupportGroup.NEAR_POOR})
    assert quote.local_share_bp == 6000 and quote.local_monthly == 198_000  # 60 % of 22 % × 1,500,000


def test_decimal_percentage_and_lump_sum_rate(client, db, admin):
    assert client.post_form("/tham-so/moi", {"key": "bhyt_hgd_rate", "value": "4,75", "valid_from": "2030-01-01",
                                             "legal_source": "Nghị định thử nghiệm"}).status_code == 302
    assert _row(db, "bhyt_hgd_rate", date(2030, 1, 1)).value == 475
    assert client.post_form("/tham-so/moi", {"key": "bhxh_tn_lump_sum_monthly_rate_ppm", "value": "0,35",
                                             "valid_from": "2026-01-01",
                                             "legal_source": "Công văn của BHXH Việt Nam"}).status_code == 302
    assert _row(db, "bhxh_tn_lump_sum_monthly_rate_ppm", date(2026, 1, 1)).value == 3500


@pytest.mark.parametrize("changes, field, message", [
    ({"value": "-2.600.000"}, "value", "Giá trị không được âm"),
    ({"key": "bhxh_tn_rate", "value": "120"}, "value", "Tỷ lệ không được vượt quá 100 %"),
    ({"value": "hai triệu"}, "value", "Hãy nhập số tiền bằng chữ số"),
    ({"value": "2.600.000,5"}, "value", "Số tiền phải là số đồng nguyên"),
    ({"key": "bhxh_tn_rate", "value": "22,125"}, "value", "tối đa 2 chữ số sau dấu phẩy"),
    ({"value": ""}, "value", "Hãy nhập giá trị"),
    ({"valid_from": "2026-07-01"}, "valid_from", "hãy sửa dòng đó thay vì thêm dòng mới"),
    ({"valid_from": ""}, "valid_from", "Hãy nhập ngày bắt đầu áp dụng"),
    ({"valid_from": "31/02/2027"}, "valid_from", "Ngày không hợp lệ"),
    ({"legal_source": "   "}, "legal_source", "Hãy ghi căn cứ pháp lý"),
    ({"key": "bhxh_tn_local_support_poor", "value": "50"}, "province_code", "cần chọn tỉnh, thành phố"),
    ({"province_code": "01"}, "province_code", "Tham số này áp dụng toàn quốc"),
    ({"key": "bhyt_local_support_student", "value": "20", "province_code": "99"}, "province_code",
     "Hãy chọn tỉnh, thành phố trong danh sách"),
    ({"key": "luong_toi_thieu"}, "key", "Hãy chọn một tham số trong danh sách"),
])
def test_bad_input_is_refused_kept_and_writes_nothing(client, db, admin, changes, field, message):
    data = {**NEW_SALARY, **changes}
    rows, events = _count(db, PolicyParameter), _count(db, AuditEvent, AuditEvent.entity == "policy_parameter")
    response = client.post_form("/tham-so/moi", data)
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert message in body
    assert 'id="value-error"' in body if field == "value" else f'id="{field}-error"' in body
    for name in ("value", "legal_source"):
        if data[name].strip():
            assert f'value="{data[name]}"' in body, name  # what was typed is still there
    assert "Theo thông báo của Chính phủ" in body
    assert _count(db, PolicyParameter) == rows
    assert _count(db, AuditEvent, AuditEvent.entity == "policy_parameter") == events


def test_duplicate_date_links_to_the_row_to_edit(client, db, admin):
    existing = _row(db, "base_salary", date(2026, 7, 1))
    body = client.post_form("/tham-so/moi", {**NEW_SALARY, "valid_from": "2026-07-01"}).get_data(as_text=True)
    assert f'href="/tham-so/{existing.id}/sua"' in body


def test_duplicate_date_is_per_province(client, db, admin):
    top_up = {"key": "bhyt_local_support_near_poor", "value": "30", "valid_from": "2026-01-01",
              "legal_source": "Nghị quyết HĐND tỉnh"}
    assert client.post_form("/tham-so/moi", {**top_up, "province_code": "01"}).status_code == 302
    assert client.post_form("/tham-so/moi", {**top_up, "province_code": "79"}).status_code == 302
    again = client.post_form("/tham-so/moi", {**top_up, "province_code": "79"})
    assert again.status_code == 422 and "hãy sửa dòng đó" in again.get_data(as_text=True)
    assert _count(db, PolicyParameter, PolicyParameter.key == "bhyt_local_support_near_poor") == 2


def test_edit_is_audited_with_before_and_after(client, db, admin):
    row = _row(db, "base_salary", date(2026, 7, 1))
    form = client.get(f"/tham-so/{row.id}/sua").get_data(as_text=True)
    assert 'value="2.530.000"' in form and "[cần kiểm tra]" in form
    response = client.post_form(f"/tham-so/{row.id}/sua", {
        "value": "2.550.000", "valid_from": "2026-07-01", "legal_source": "Nghị định 888/2026/NĐ-CP",
        "note": "", "key": "rural_poverty_line", "province_code": "01"})  # key and province cannot change
    assert response.status_code == 302
    db.expire_all()
    row = db.get(PolicyParameter, row.id)
    assert (row.key, row.province_code, row.value, row.note) == ("base_salary", None, 2_550_000, None)
    assert row.legal_source == "Nghị định 888/2026/NĐ-CP" and row.updated_by_id == admin.id
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "policy_parameter",
                                             AuditEvent.entity_id == row.id)).one()
    assert event.action == "update" and event.user_id == admin.id
    assert event.before["value"] == 2_530_000 and event.after["value"] == 2_550_000
    assert event.before["note"].startswith("[cần kiểm tra]") and event.after["note"] is None
    assert snapshot(db, date(2026, 8, 1)).get("base_salary") == 2_550_000
    item = client.get("/tham-so").get_data(as_text=True).split(f'id="tham-so-{row.id}"')[1].split("</li>")[0]
    assert "Cần kiểm tra" not in item and "2.550.000 đ" in item


def test_edit_a_percentage_starts_from_the_typed_form(client, db, admin):
    row = _row(db, "bhyt_hgd_rate", date(2018, 1, 1))
    assert 'value="4,5"' in client.get(f"/tham-so/{row.id}/sua").get_data(as_text=True)


def test_edit_without_changes_writes_no_audit(client, db, admin):
    row = _row(db, "rural_poverty_line", date(2022, 1, 1))
    response = client.post_form(f"/tham-so/{row.id}/sua", {
        "value": "1.500.000", "valid_from": "2022-01-01", "legal_source": row.legal_source, "note": ""})
    assert response.status_code == 302
    assert _count(db, AuditEvent, AuditEvent.entity == "policy_parameter") == 0


@pytest.mark.parametrize("changes, message", [
    ({"value": "-1"}, "Giá trị không được âm"),
    ({"value": "abc"}, "Hãy nhập số tiền bằng chữ số"),
    ({"valid_from": "2024-07-01"}, "Đã có một dòng khác của tham số này áp dụng từ ngày 01/07/2024"),
    ({"legal_source": ""}, "Hãy ghi căn cứ pháp lý"),
])
def test_bad_edit_is_refused_and_changes_nothing(client, db, admin, changes, message):
    row = _row(db, "base_salary", date(2026, 7, 1))
    data = {"value": "2.550.000", "valid_from": "2026-07-01", "legal_source": "Nghị định 888/2026/NĐ-CP",
            "note": "đã đối chiếu", **changes}
    response = client.post_form(f"/tham-so/{row.id}/sua", data)
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and message in body
    assert f'value="{data["value"]}"' in body and "đã đối chiếu" in body
    db.expire_all()
    assert db.get(PolicyParameter, row.id).value == 2_530_000
    assert _count(db, AuditEvent, AuditEvent.entity == "policy_parameter") == 0


def test_a_percentage_over_100_is_refused_on_edit(client, db, admin):
    row = _row(db, "bhxh_tn_support_poor", date(2025, 7, 1))
    response = client.post_form(f"/tham-so/{row.id}/sua", {"value": "150", "valid_from": "2025-07-01",
                                                           "legal_source": row.legal_source})
    assert response.status_code == 422 and "Tỷ lệ không được vượt quá 100 %" in response.get_data(as_text=True)


def test_rows_cannot_be_deleted(client, db, admin):
    row = _row(db, "base_salary", date(2026, 7, 1))
    assert client.delete(f"/tham-so/{row.id}/sua").status_code == 405
    assert client.post_form(f"/tham-so/{row.id}/xoa").status_code == 404
    assert db.get(PolicyParameter, row.id) is not None
