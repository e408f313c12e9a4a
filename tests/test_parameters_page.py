"""The legal parameters page: who may see it, and what it shows (seeded values, sources, the one in force)."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlmodel import select

from fieldwork.models import PolicyParameter, Role
from fieldwork.parameters.services import KEY_NAMES, LOCAL_KEYS
from fieldwork.policy import DEFAULT_PARAMETERS

TODAY = date(2026, 8, 1)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr("fieldwork.parameters.views.local_today", lambda: TODAY)


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, name="Quản Trị Viên")


def _row(db, key: str, valid_from: date, province_code: str | None = None) -> PolicyParameter:
    return db.exec(select(PolicyParameter).where(
        PolicyParameter.key == key, PolicyParameter.valid_from == valid_from,
        PolicyParameter.province_code == province_code if province_code else PolicyParameter.province_code.is_(None),
    )).one()


def _item(body: str, row: PolicyParameter) -> str:
    """The list item of one row on the page (up to its closing tag)."""
    match = re.search(rf'<li id="tham-so-{row.id}"[^>]*>.*?</li>', body, re.S)
    assert match, f"row {row.key} {row.valid_from} is not on the page"
    return html.unescape(match.group(0))


def test_every_key_has_a_vietnamese_name_and_explanation():
    assert {seed.key for seed in DEFAULT_PARAMETERS} | set(LOCAL_KEYS) == set(KEY_NAMES)
    for key, info in KEY_NAMES.items():
        assert str(info.name) and str(info.help), key


def test_list_shows_seeded_values_with_their_sources_and_marks_the_one_in_force(client, login, db, admin):
    login(admin)
    response = client.get("/tham-so")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Mức lương cơ sở" in body and "Chuẩn hộ nghèo khu vực nông thôn" in body

    current = _item(body, _row(db, "base_salary", date(2026, 7, 1)))
    assert "2.530.000 đ" in current and "Đang áp dụng" in current
    assert "Mức lương cơ sở từ 01/7/2026" in current
    assert "needs-check" in current and "Cần kiểm tra" in current  # seeded "[cần kiểm tra]"

    older = _item(body, _row(db, "base_salary", date(2024, 7, 1)))
    assert "2.340.000 đ" in older and "Đang áp dụng" not in older and "Cần kiểm tra" not in older
    assert "Nghị định 73/2024/NĐ-CP" in older and "Từ 01/07/2024 đến 30/06/2026" in older

    rate = _item(body, _row(db, "bhxh_tn_rate", date(2016, 1, 1)))
    assert "22 %" in rate and "Đang áp dụng" in rate
    assert "4,5 %" in _item(body, _row(db, "bhyt_hgd_rate", date(2018, 1, 1)))
    assert "120 tháng" in _item(body, _row(db, "bhxh_tn_support_max_months", date(2018, 1, 1)))
    assert "20 lần" in _item(body, _row(db, "bhxh_tn_ceiling_multiple", date(2016, 1, 1)))
    poor_old = _item(body, _row(db, "bhxh_tn_support_poor", date(2018, 1, 1)))
    assert "30 %" in poor_old and "Đang áp dụng" not in poor_old


def test_a_future_value_is_shown_but_not_in_force(client, login, db, admin):
    db.add(PolicyParameter(key="base_salary", value=2_600_000, unit="vnd", valid_from=date(2027, 7, 1),
                           legal_source="Nghị định thử nghiệm"))
    db.commit()
    login(admin)
    body = client.get("/tham-so").get_data(as_text=True)
    future = _item(body, _row(db, "base_salary", date(2027, 7, 1)))
    assert "2.600.000 đ" in future and "Chưa đến ngày áp dụng" in future and "Đang áp dụng" not in future
    assert "Đang áp dụng" in _item(body, _row(db, "base_salary", date(2026, 7, 1)))


def test_provincial_top_up_is_listed_under_the_province_name(client, login, db, admin):
    db.add(PolicyParameter(key="bhxh_tn_local_support_near_poor", value=6000, unit="bp", province_code="01",
                           valid_from=date(2025, 7, 1), legal_source="Nghị quyết của HĐND Thành phố Hà Nội"))
    db.commit()
    login(admin)
    body = client.get("/tham-so").get_data(as_text=True)
    section = re.search(r'id="k-bhxh_tn_local_support_near_poor".*?</section>', body, re.S).group(0)
    assert "Thành phố Hà Nội" in section
    item = _item(body, _row(db, "bhxh_tn_local_support_near_poor", date(2025, 7, 1), "01"))
    assert "60 %" in item and "Đang áp dụng" in item


@pytest.mark.parametrize("url", ["/tham-so", "/tham-so/moi", "/tham-so/1/sua"])
def test_officials_and_members_are_refused(client, login, db, make_user, make_village, url):
    village = make_village()
    for user in (make_user(Role.OFFICIAL), make_user(Role.MEMBER, village=village)):
        login(user)
        assert client.get(url).status_code == 403, (user.role, url)
    assert client.post_form("/tham-so/moi", {"key": "base_salary", "value": "1", "valid_from": "2030-01-01",
                                             "legal_source": "x"}).status_code == 403
    assert db.exec(select(PolicyParameter).where(PolicyParameter.valid_from == date(2030, 1, 1))).first() is None


@pytest.mark.parametrize("url", ["/tham-so", "/tham-so/moi", "/tham-so/1/sua"])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/dang-nhap" in response.headers["Location"]


def test_editing_a_missing_row_is_not_found(client, login, admin):
    login(admin)
    assert client.get("/tham-so/999999/sua").status_code == 404
