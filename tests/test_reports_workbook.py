"""The week's Excel workbook: the same figures as the report, with money as numbers in VND and dates as dates."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from fieldwork.models import Role
from tests.reports_world import MEMBER_NAMES, seed_week


def _rows(sheet, first_heading: str):
    rows = list(sheet.iter_rows())
    start = next(i for i, r in enumerate(rows) if r[0].value == first_heading)
    return rows[start], [r for r in rows[start + 1:] if isinstance(r[0].value, int)], rows


def test_week_workbook_holds_visits_enrolments_sponsorships_and_progress(client, login, db, make_village,
                                                                        make_committee, make_household, make_user):
    world = seed_week(db, make_village, make_committee, make_household)
    login(make_user(Role.MEMBER, village=world.village, member=world.members[1], name=MEMBER_NAMES[1]))
    response = client.get(f"/bao-cao/thon/{world.village.id}/tuan.xlsx?tuan={world.week.key}")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Tiến độ", "Lượt vận động", "Tham gia, đóng tiếp", "Tài trợ"]

    heading, visits, _all = _rows(book["Lượt vận động"], "STT")
    assert [c.value for c in heading][:8] == ["STT", "Ngày", "Giờ", "Thôn", "Mã hộ", "Chủ hộ", "Thành viên", "Kết quả"]
    assert len(visits) == 4
    assert all(isinstance(r[1].value, (date, datetime)) and r[1].number_format == "DD/MM/YYYY" for r in visits)
    assert visits[-1][2].value == "23:30" and visits[-1][5].value == "Đỗ Thị Lan"
    assert sorted(r[7].value for r in visits) == sorted(["Đồng ý tham gia", "Đang cân nhắc", "Từ chối",
                                                         "Không có nhà"])

    heading, enrolments, rows = _rows(book["Tham gia, đóng tiếp"], "STT")
    names = [c.value for c in heading]
    money = names.index("Số tiền")
    assert sorted(r[money].value for r in enrolments) == [884_520, 1_263_600, 3_960_000]
    assert all(r[money].number_format.endswith('" đ"') for r in enrolments)
    totals = rows[rows.index(enrolments[-1]) + 1]
    assert totals[money].value == 6_108_120 and totals[money].font.b
    bhxh = next(r for r in enrolments if r[money].value == 3_960_000)
    assert bhxh[names.index("Ngân sách hỗ trợ")].value == 792_000
    assert bhxh[names.index("Mã số BHXH")].value in ("", None)  # no code recorded; codes are masked anyway

    _h, sponsored, _r = _rows(book["Tài trợ"], "STT")
    assert sorted(r[3].value for r in sponsored) == ["Công ty TNHH Minh Phát", "Nhà hảo tâm (không công khai tên)"]

    heading, _x, rows = _rows(book["Tiến độ"], "Đơn vị")
    target = rows[[r[0].value for r in rows].index("Đơn vị") + 1]
    assert [target[4].value, target[5].value, target[6].value] == [1, 1, 10]
    assert target[7].value == 0.1 and "%" in target[7].number_format


def test_week_workbook_is_scoped(client, login, db, make_village, make_committee, make_household, make_user):
    world = seed_week(db, make_village, make_committee, make_household)
    login(make_user(Role.MEMBER, village=make_village(name="Thôn Khác")))
    assert client.get(f"/bao-cao/thon/{world.village.id}/tuan.xlsx?tuan={world.week.key}").status_code == 404
    assert client.get(f"/bao-cao/xa/tuan.xlsx?tuan={world.week.key}").status_code == 403
