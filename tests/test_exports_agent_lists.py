"""The collection agents' lists (D05-TS, D03-TS): the right enrolments, in the right order, with the right cells, for
the right people only; every download audited."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timezone

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from sqlmodel import func, select

from fieldwork.models import (
    AuditEvent,
    CommitteeMember,
    Commune,
    Donor,
    DonorKind,
    Enrolment,
    EnrolmentKind,
    Household,
    Organisation,
    PaymentMode,
    Person,
    Province,
    Role,
    Scheme,
    Sex,
    Sponsorship,
    SponsorshipStatus,
    User,
    Village,
)
from fieldwork.text import local_today

URL = "/danh-sach-thu"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = '#,##0" đ"'
NOVEMBER = {"mau": "D05-TS", "tu": "2026-11-01", "den": "2026-11-30", "thon": ""}


def day(y: int, m: int, d: int) -> datetime:
    """A date as openpyxl reads a date cell back."""
    return datetime(y, m, d)


def utc(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=timezone.utc)


# --- the commune -------------------------------------------------------------------------------------------------


@dataclass
class World:
    commune: Commune
    province: Province
    east: Village  # Thôn Đông (T01)
    west: Village  # Thôn Tây (T02)
    far: Village  # a village of another commune
    head: User  # head of Thôn Đông's committee
    agent: User  # Thôn Đông's collection-agent staff
    member: User  # a plain member of Thôn Đông
    west_head: User
    official: User
    far_official: User
    admin: User
    people: dict[str, Person]
    households: dict[str, Household]


def _household(db, village: Village, code: str, address: str | None) -> Household:
    household = Household(village_id=village.id, code=code, head_name="Chủ Hộ", address=address)
    db.add(household)
    db.flush()
    return household


def _person(db, household: Household, name: str, *, sex: Sex = Sex.FEMALE, born: date | None = None,
            year: int | None = None, cccd: str | None = None, bhxh: str | None = None) -> Person:
    person = Person(household_id=household.id, full_name=name, sex=sex, birth_date=born,
                    birth_year=born.year if born else year, cccd=cccd, bhxh_code=bhxh)
    db.add(person)
    db.flush()
    return person


def _bhxh(db, person: Person, *, income: int, mode: str, months: int, from_month: date, until: date, total: int,
          person_pays: int, state: int, state_bp: int | None, local: int = 0, local_bp: int | None = 0,
          other: int = 0, receipt_no: str | None = None, receipt_date: date | None = None,
          created_at: datetime | None = None, kind: EnrolmentKind = EnrolmentKind.NEW,
          sponsorship: Sponsorship | None = None, collector: str | None = "NV-007") -> Enrolment:
    assert total == person_pays + state + local + other
    enrolment = Enrolment(
        person_id=person.id, scheme=Scheme.BHXH_TN, kind=kind, chosen_income=income, payment_mode=PaymentMode(mode),
        months=months, from_month=from_month, valid_until=until, amount_total=total, amount_person=person_pays,
        amount_state=state, amount_local=local, amount_other=other, state_share_bp=state_bp, local_share_bp=local_bp,
        receipt_no=receipt_no, receipt_date=receipt_date, collector_code=collector,
        sponsorship_id=sponsorship.id if sponsorship else None, **({"created_at": created_at} if created_at else {}))
    db.add(enrolment)
    db.flush()
    return enrolment


def _bhyt(db, person: Person, *, rank: int, total: int, batch: str, receipt_date: date, state: int = 0,
          state_bp: int = 0, kind: EnrolmentKind = EnrolmentKind.NEW) -> Enrolment:
    enrolment = Enrolment(
        person_id=person.id, scheme=Scheme.BHYT_HGD, kind=kind, months=12, from_month=date(2026, 12, 1),
        valid_until=date(2027, 11, 30), bhyt_rank=rank, amount_total=total, amount_person=total - state,
        amount_state=state, state_share_bp=state_bp, local_share_bp=0, batch_key=batch, receipt_date=receipt_date,
        collector_code="NV-007")
    db.add(enrolment)
    db.flush()
    return enrolment


@pytest.fixture
def world(db, make_village, make_committee, make_user) -> World:
    east = make_village(code="T01", name="Thôn Đông")
    west = make_village(code="T02", name="Thôn Tây")
    far = make_village(commune_code="00004", code="T01", name="Tổ dân phố Xa")
    _, east_members = make_committee(east)
    _, west_members = make_committee(west)
    east_members[2].organisation = Organisation.COLLECTION_AGENT
    db.add(east_members[2])
    db.commit()
    commune = db.get(Commune, east.commune_id)
    world = World(
        commune=commune, province=db.get(Province, commune.province_id), east=east, west=west, far=far,
        head=make_user(Role.MEMBER, village=east, member=east_members[0], name="Trưởng Ban Đông"),
        agent=make_user(Role.MEMBER, village=east, member=east_members[2], name="Nhân Viên Thu Đông"),
        member=make_user(Role.MEMBER, village=east, member=east_members[1], name="Thành Viên Đông"),
        west_head=make_user(Role.MEMBER, village=west, member=west_members[0], name="Trưởng Ban Tây"),
        official=make_user(Role.OFFICIAL, name="Cán Bộ Xã"),
        far_official=make_user(Role.OFFICIAL, commune_code="00004", name="Cán Bộ Phường Khác"),
        admin=make_user(Role.ADMIN, name="Quản Trị"),
        people={}, households={},
    )
    _seed(db, world)
    return world


def _seed(db, w: World) -> None:
    h = w.households
    h["east1"] = _household(db, w.east, "Đ-001", "Số 3, xóm Giữa")
    h["east2"] = _household(db, w.east, "Đ-002", None)
    h["east3"] = _household(db, w.east, "Đ-003", "Số 8, đường Làng")
    h["east4"] = _household(db, w.east, "Đ-004", "Xóm Trại")
    h["west"] = _household(db, w.west, "T-001", "Xóm Bến")
    h["far"] = _household(db, w.far, "X-001", "Ngõ 5")
    p = w.people
    p["hoa"] = _person(db, h["east1"], "Nguyễn Thị Hoà", born=date(1990, 4, 2), cccd="001190001234",
                       bhxh="0123456789")
    p["duc"] = _person(db, h["east1"], "Trần Văn Đức", sex=Sex.MALE, year=1985, cccd="027085000456",
                       bhxh="0101234567")
    p["binh"] = _person(db, h["east2"], "Lê Văn Bình", sex=Sex.MALE, year=1966, cccd="040066000789")
    p["thu"] = _person(db, h["east2"], "Vũ Thị Thu", year=1995)
    p["loc"] = _person(db, h["east2"], "Phan Văn Lộc", sex=Sex.MALE, year=1980)
    p["nga"] = _person(db, h["east2"], "Đỗ Thị Nga", year=1982)
    p["tung"] = _person(db, h["east2"], "Mai Văn Tùng", sex=Sex.MALE, year=1979)
    p["lan"] = _person(db, h["west"], "Hà Thị Lan", year=1988, bhxh="0200000011")
    p["xa"] = _person(db, h["far"], "Cao Văn Xa", sex=Sex.MALE, year=1970)
    p["son"] = _person(db, h["east3"], "Phạm Văn Sơn", sex=Sex.MALE, born=date(1970, 5, 6), cccd="001070000111",
                       bhxh="0199000001")
    p["mai"] = _person(db, h["east3"], "Hoàng Thị Mai", year=1972, bhxh="0199000002")
    p["anh"] = _person(db, h["east3"], "Phạm Thị Ánh", year=2001, bhxh="0199000003")
    p["nam"] = _person(db, h["east4"], "Đinh Văn Nam", sex=Sex.MALE, year=1960, bhxh="0199000004")

    donor = Donor(commune_id=w.commune.id, name="Công ty TNHH Phú Lộc", kind=DonorKind.BUSINESS)
    db.add(donor)
    db.flush()
    sponsorship = Sponsorship(donor_id=donor.id, person_id=p["binh"].id, scheme=Scheme.BHXH_TN, months=24,
                              from_month=date(2026, 11, 1), amount=2_640_000, status=SponsorshipStatus.PAID)
    db.add(sponsorship)
    db.flush()

    nov = date(2026, 11, 1)
    _bhxh(db, p["hoa"], income=1_500_000, mode="12", months=12, from_month=nov, until=date(2027, 10, 31),
          total=3_960_000, person_pays=3_168_000, state=792_000, state_bp=2000, receipt_no="BL-10",
          receipt_date=date(2026, 11, 5))
    _bhxh(db, p["duc"], income=2_000_000, mode="VS", months=60, from_month=date(2026, 12, 1),
          until=date(2031, 11, 30), total=26_400_000, person_pays=18_480_000, state=5_940_000, state_bp=3000,
          local=1_980_000, local_bp=1000, receipt_no="BL-9", receipt_date=date(2026, 11, 5),
          kind=EnrolmentKind.RENEWAL)
    # An old row without its shares, paid partly by a sponsor, recorded at 20:00 on 30/11 (local), no receipt yet.
    _bhxh(db, p["binh"], income=1_500_000, mode="TH", months=24, from_month=nov, until=date(2028, 10, 31),
          total=7_920_000, person_pays=3_696_000, state=1_584_000, state_bp=None, local_bp=None, other=2_640_000,
          created_at=utc(2026, 11, 30, 13), sponsorship=sponsorship, collector=None)
    # Recorded at 00:30 on 1/11 local time, which is still 31/10 in UTC.
    _bhxh(db, p["thu"], income=1_500_000, mode="1", months=1, from_month=nov, until=date(2026, 11, 30),
          total=330_000, person_pays=264_000, state=66_000, state_bp=2000, created_at=utc(2026, 10, 31, 17, 30))
    # Outside November: a receipt of 31/10; recorded at 00:30 on 1/12 local; a receipt of 1/12 recorded in November.
    _bhxh(db, p["loc"], income=1_500_000, mode="1", months=1, from_month=nov, until=date(2026, 11, 30),
          total=330_000, person_pays=264_000, state=66_000, state_bp=2000, receipt_no="BL-2",
          receipt_date=date(2026, 10, 31))
    _bhxh(db, p["nga"], income=1_500_000, mode="1", months=1, from_month=date(2026, 12, 1),
          until=date(2026, 12, 31), total=330_000, person_pays=264_000, state=66_000, state_bp=2000,
          created_at=utc(2026, 11, 30, 17, 30))
    _bhxh(db, p["tung"], income=1_500_000, mode="1", months=1, from_month=date(2026, 12, 1),
          until=date(2026, 12, 31), total=330_000, person_pays=264_000, state=66_000, state_bp=2000,
          receipt_no="BL-30", receipt_date=date(2026, 12, 1), created_at=utc(2026, 11, 20, 3))
    # Thôn Tây paid earlier in the month, yet comes after every line of Thôn Đông.
    _bhxh(db, p["lan"], income=3_000_000, mode="3", months=3, from_month=nov, until=date(2027, 1, 31),
          total=1_980_000, person_pays=1_782_000, state=198_000, state_bp=2000, receipt_no="BL-1",
          receipt_date=date(2026, 11, 2))
    _bhxh(db, p["xa"], income=1_500_000, mode="12", months=12, from_month=nov, until=date(2027, 10, 31),
          total=3_960_000, person_pays=3_168_000, state=792_000, state_bp=2000, receipt_no="X-1",
          receipt_date=date(2026, 11, 10))

    # Household health insurance: one purchase of three cards (ranked), and a single card bought the same day.
    paid = date(2026, 11, 10)
    _bhyt(db, p["son"], rank=1, total=1_366_200, batch="lo-dong-003", receipt_date=paid, kind=EnrolmentKind.RENEWAL)
    _bhyt(db, p["mai"], rank=2, total=956_340, batch="lo-dong-003", receipt_date=paid)
    _bhyt(db, p["anh"], rank=3, total=819_720, batch="lo-dong-003", receipt_date=paid)
    _bhyt(db, p["nam"], rank=1, total=1_366_200, batch="lo-dong-004", receipt_date=paid, state=956_340,
          state_bp=7000)
    db.commit()


# --- reading the file back ---------------------------------------------------------------------------------------


@dataclass
class Sheet:
    sheet: object
    heading_row: int
    rows: list[dict]  # heading → cell
    totals: dict  # heading → value
    lines: list[str]  # every text above and below the table


def read_list(data: bytes) -> Sheet:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    h = next(r for r in range(1, 40) if sheet.cell(r, 1).value == "STT")
    keys, group = [], None
    for c in range(1, sheet.max_column + 1):
        top, bottom = sheet.cell(h, c).value, sheet.cell(h + 1, c).value
        if bottom is None:
            keys.append(top)
        else:
            group = top or group
            keys.append(f"{group} {bottom}")
    rows, r = [], h + 2
    while isinstance(sheet.cell(r, 1).value, int):
        rows.append({k: sheet.cell(r, i + 1) for i, k in enumerate(keys)})
        r += 1
    totals = {k: sheet.cell(r, i + 1).value for i, k in enumerate(keys)}
    lines = [str(sheet.cell(row, col).value) for row in [*range(1, h), *range(r + 1, sheet.max_row + 1)]
             for col in range(1, sheet.max_column + 1) if sheet.cell(row, col).value is not None]
    return Sheet(sheet, h, rows, totals, lines)


def values(row: dict) -> dict:
    return {k: c.value for k, c in row.items()}


def download(client, data: dict, filename: str | None = None) -> Sheet:
    response = client.post_form(URL, data)
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    assert response.mimetype == XLSX
    assert response.headers["Cache-Control"] == "no-store"
    if filename:
        assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    return read_list(response.data)


def names(sheet: Sheet) -> list[str]:
    return [r["Họ và tên"].value for r in sheet.rows]


def exports(db) -> list[AuditEvent]:
    return db.exec(select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)).all()


# --- D05-TS ------------------------------------------------------------------------------------------------------


def test_d05_lists_the_period_voluntary_enrolments_cell_by_cell(client, login, db, world):
    login(world.official)
    sheet = download(client, NOVEMBER, f"D05-TS_{world.commune.code}_2026-11-01_2026-11-30.xlsx")
    commune = world.commune.name
    common = {"Mã số nhân viên thu": "NV-007", "NSĐP hỗ trợ thêm %": 0, "NSĐP hỗ trợ thêm Số tiền": 0,
              "Hỗ trợ khác %": 0, "Hỗ trợ khác Số tiền": 0}
    expected = [
        {**common, "STT": 1, "Họ và tên": "Vũ Thị Thu", "Mã số BHXH": None, "Số CCCD": None,
         "Địa chỉ": f"Thôn Đông, {commune}", "Ngày biên lai": None, "Số biên lai": None,
         "Mức thu nhập tháng đóng": 1_500_000, "Phương thức đóng (số tháng)": "1", "Từ tháng/năm": day(2026, 11, 1),
         "Số tiền phải đóng": 330_000, "Người tham gia đóng": 264_000, "NSNN hỗ trợ %": 0.2,
         "NSNN hỗ trợ Số tiền": 66_000, "Ghi chú": "Tham gia mới"},
        {**common, "STT": 2, "Họ và tên": "Trần Văn Đức", "Mã số BHXH": "0101234567", "Số CCCD": "027085000456",
         "Địa chỉ": f"Số 3, xóm Giữa, Thôn Đông, {commune}", "Ngày biên lai": day(2026, 11, 5), "Số biên lai": "BL-9",
         "Mức thu nhập tháng đóng": 2_000_000, "Phương thức đóng (số tháng)": "VS (60 tháng)",
         "Từ tháng/năm": day(2026, 12, 1), "Số tiền phải đóng": 26_400_000, "Người tham gia đóng": 18_480_000,
         "NSNN hỗ trợ %": 0.3, "NSNN hỗ trợ Số tiền": 5_940_000, "NSĐP hỗ trợ thêm %": 0.1,
         "NSĐP hỗ trợ thêm Số tiền": 1_980_000, "Ghi chú": "Đóng tiếp"},
        {**common, "STT": 3, "Họ và tên": "Nguyễn Thị Hoà", "Mã số BHXH": "0123456789", "Số CCCD": "001190001234",
         "Địa chỉ": f"Số 3, xóm Giữa, Thôn Đông, {commune}", "Ngày biên lai": day(2026, 11, 5),
         "Số biên lai": "BL-10", "Mức thu nhập tháng đóng": 1_500_000, "Phương thức đóng (số tháng)": "12",
         "Từ tháng/năm": day(2026, 11, 1), "Số tiền phải đóng": 3_960_000, "Người tham gia đóng": 3_168_000,
         "NSNN hỗ trợ %": 0.2, "NSNN hỗ trợ Số tiền": 792_000, "Ghi chú": "Tham gia mới"},
        {**common, "STT": 4, "Họ và tên": "Lê Văn Bình", "Mã số BHXH": None, "Số CCCD": "040066000789",
         "Địa chỉ": f"Thôn Đông, {commune}", "Ngày biên lai": None, "Số biên lai": None,
         "Mức thu nhập tháng đóng": 1_500_000, "Phương thức đóng (số tháng)": "TH (24 tháng)",
         "Từ tháng/năm": day(2026, 11, 1), "Số tiền phải đóng": 7_920_000, "Người tham gia đóng": 3_696_000,
         "NSNN hỗ trợ %": None, "NSNN hỗ trợ Số tiền": 1_584_000, "NSĐP hỗ trợ thêm %": None,
         "Hỗ trợ khác %": 0.3333, "Hỗ trợ khác Số tiền": 2_640_000, "Mã số nhân viên thu": None,
         "Ghi chú": "Tham gia mới; Được tài trợ"},
        {**common, "STT": 5, "Họ và tên": "Hà Thị Lan", "Mã số BHXH": "0200000011", "Số CCCD": None,
         "Địa chỉ": f"Xóm Bến, Thôn Tây, {commune}", "Ngày biên lai": day(2026, 11, 2), "Số biên lai": "BL-1",
         "Mức thu nhập tháng đóng": 3_000_000, "Phương thức đóng (số tháng)": "3", "Từ tháng/năm": day(2026, 11, 1),
         "Số tiền phải đóng": 1_980_000, "Người tham gia đóng": 1_782_000, "NSNN hỗ trợ %": 0.2,
         "NSNN hỗ trợ Số tiền": 198_000, "Ghi chú": "Tham gia mới"},
    ]
    assert [values(r) for r in sheet.rows] == expected
    money = ["Mức thu nhập tháng đóng", "Số tiền phải đóng", "Người tham gia đóng", "NSNN hỗ trợ Số tiền",
             "NSĐP hỗ trợ thêm Số tiền", "Hỗ trợ khác Số tiền"]
    for row in sheet.rows:
        for heading in money:
            assert isinstance(row[heading].value, int) and row[heading].number_format == MONEY_FORMAT, heading
        assert row["Từ tháng/năm"].is_date and row["Từ tháng/năm"].number_format == "MM/YYYY"
        for heading in ("Mã số BHXH", "Số CCCD", "Số biên lai", "Mã số nhân viên thu"):
            assert row[heading].number_format == "@", heading
            assert row[heading].value is None or row[heading].data_type == "s"
    receipt = sheet.rows[1]["Ngày biên lai"]
    assert receipt.is_date and receipt.number_format == "DD/MM/YYYY"
    assert sheet.rows[3]["Hỗ trợ khác %"].number_format == "0.00%"
    assert sheet.rows[0]["NSNN hỗ trợ %"].number_format == "0%"

    assert sheet.totals["Họ và tên"] == "Tổng cộng: 5 người"
    for heading in ("Số tiền phải đóng", "Người tham gia đóng", "NSNN hỗ trợ Số tiền", "NSĐP hỗ trợ thêm Số tiền",
                    "Hỗ trợ khác Số tiền"):
        assert sheet.totals[heading] == sum(e[heading] for e in expected), heading
    assert sheet.totals["Mức thu nhập tháng đóng"] is None and sheet.totals["NSNN hỗ trợ %"] is None


def test_d05_heading_lines_signatures_and_print_setup(client, login, db, world):
    login(world.official)
    sheet = download(client, NOVEMBER)
    today = local_today()
    assert "Mẫu D05-TS (Ban hành kèm theo Quyết định số 595/QĐ-BHXH, sửa đổi theo 490/QĐ-BHXH)" in sheet.lines
    assert any(world.commune.name in line and world.province.name in line for line in sheet.lines)
    assert any(line.startswith("Đại lý thu: …") and "Mã đại lý: …" in line for line in sheet.lines)
    assert "DANH SÁCH NGƯỜI THAM GIA BHXH TỰ NGUYỆN" in sheet.lines
    assert "Từ ngày 01/11/2026 đến ngày 30/11/2026" in sheet.lines
    assert "Các thôn: Thôn Đông, Thôn Tây" in sheet.lines
    place = world.commune.name.removeprefix("Xã ")
    assert f"{place}, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}" in sheet.lines
    assert {"Người lập biểu", "Đại lý thu / Nhân viên thu"} <= set(sheet.lines)

    ws, h = sheet.sheet, sheet.heading_row
    assert ws.print_title_rows == f"${h}:${h + 1}" and ws.freeze_panes == f"A{h + 2}"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    merged = {str(r) for r in ws.merged_cells.ranges}
    groups = {ws.cell(h, c).value: c for c in range(1, ws.max_column + 1) if ws.cell(h + 1, c).value == "%"}
    assert set(groups) == {"NSNN hỗ trợ", "NSĐP hỗ trợ thêm", "Hỗ trợ khác"}
    for column in groups.values():
        left, right = get_column_letter(column), get_column_letter(column + 1)
        assert f"{left}{h}:{right}{h}" in merged
    assert f"A{h}:A{h + 1}" in merged  # "STT" fills both heading rows
    assert ws.title == "D05-TS"


def test_period_counts_the_receipt_date_else_the_local_day_recorded(client, login, db, world):
    login(world.official)
    december_first = download(client, {**NOVEMBER, "tu": "2026-12-01", "den": "2026-12-01"})
    # Mai Văn Tùng's receipt is dated 1/12 though recorded in November; Đỗ Thị Nga was recorded at 00:30 on 1/12 in
    # Vietnam (30/11 in UTC). The line without a receipt number comes after the one with a number.
    assert names(december_first) == ["Mai Văn Tùng", "Đỗ Thị Nga"]
    october_last = download(client, {**NOVEMBER, "tu": "2026-10-31", "den": "2026-10-31"})
    # Vũ Thị Thu was recorded on 31/10 in UTC, which is 1/11 in Vietnam: not on 31/10's list.
    assert names(october_last) == ["Phan Văn Lộc"]
    november = download(client, NOVEMBER)
    assert "Vũ Thị Thu" in names(november) and "Lê Văn Bình" in names(november)
    assert not {"Phan Văn Lộc", "Đỗ Thị Nga", "Mai Văn Tùng"} & set(names(november))


# --- D03-TS ------------------------------------------------------------------------------------------------------


def test_d03_keeps_a_household_purchase_together_in_rank_order(client, login, db, world):
    login(world.official)
    sheet = download(client, {**NOVEMBER, "mau": "D03-TS"}, f"D03-TS_{world.commune.code}_2026-11-01_2026-11-30.xlsx")
    # By name alone Ánh, Mai and Sơn would straddle Đinh Văn Nam; the purchase sits where its first card would.
    assert names(sheet) == ["Đinh Văn Nam", "Phạm Văn Sơn", "Hoàng Thị Mai", "Phạm Thị Ánh"]
    commune = world.commune.name
    address = f"Số 8, đường Làng, Thôn Đông, {commune}"
    common = {"Số tháng": 12, "Từ ngày": day(2026, 12, 1), "Đến ngày": day(2027, 11, 30),
              "Ngày biên lai": day(2026, 11, 10), "Số biên lai": None, "NSĐP hỗ trợ %": 0, "NSĐP hỗ trợ Số tiền": 0,
              "Hỗ trợ khác %": 0, "Hỗ trợ khác Số tiền": 0, "Mã số nhân viên thu": "NV-007"}
    expected = [
        {**common, "STT": 1, "Họ và tên": "Đinh Văn Nam", "Mã số BHXH": "0199000004", "Ngày sinh": 1960,
         "Giới tính": "Nam", "Số CCCD": None, "Địa chỉ": f"Xóm Trại, Thôn Đông, {commune}", "Mã hộ": "Đ-004",
         "Người thứ": 1, "Số tiền phải đóng": 1_366_200, "Người tham gia đóng": 409_860, "NSNN hỗ trợ %": 0.7,
         "NSNN hỗ trợ Số tiền": 956_340, "Ghi chú": "Tham gia mới"},
        {**common, "STT": 2, "Họ và tên": "Phạm Văn Sơn", "Mã số BHXH": "0199000001", "Ngày sinh": day(1970, 5, 6),
         "Giới tính": "Nam", "Số CCCD": "001070000111", "Địa chỉ": address, "Mã hộ": "Đ-003", "Người thứ": 1,
         "Số tiền phải đóng": 1_366_200, "Người tham gia đóng": 1_366_200, "NSNN hỗ trợ %": 0,
         "NSNN hỗ trợ Số tiền": 0, "Ghi chú": "Đóng tiếp"},
        {**common, "STT": 3, "Họ và tên": "Hoàng Thị Mai", "Mã số BHXH": "0199000002", "Ngày sinh": 1972,
         "Giới tính": "Nữ", "Số CCCD": None, "Địa chỉ": address, "Mã hộ": "Đ-003", "Người thứ": 2,
         "Số tiền phải đóng": 956_340, "Người tham gia đóng": 956_340, "NSNN hỗ trợ %": 0,
         "NSNN hỗ trợ Số tiền": 0, "Ghi chú": "Tham gia mới"},
        {**common, "STT": 4, "Họ và tên": "Phạm Thị Ánh", "Mã số BHXH": "0199000003", "Ngày sinh": 2001,
         "Giới tính": "Nữ", "Số CCCD": None, "Địa chỉ": address, "Mã hộ": "Đ-003", "Người thứ": 3,
         "Số tiền phải đóng": 819_720, "Người tham gia đóng": 819_720, "NSNN hỗ trợ %": 0,
         "NSNN hỗ trợ Số tiền": 0, "Ghi chú": "Tham gia mới"},
    ]
    assert [values(r) for r in sheet.rows] == expected
    son, mai = sheet.rows[1], sheet.rows[2]
    assert son["Ngày sinh"].is_date and son["Ngày sinh"].number_format == "DD/MM/YYYY"
    assert not mai["Ngày sinh"].is_date  # only the year is known
    assert son["Từ ngày"].is_date and son["Đến ngày"].number_format == "DD/MM/YYYY"
    assert son["Mã hộ"].data_type == "s" and son["Số tiền phải đóng"].number_format == MONEY_FORMAT
    assert sheet.totals["Họ và tên"] == "Tổng cộng: 4 người"
    assert sheet.totals["Số tiền phải đóng"] == 1_366_200 * 2 + 956_340 + 819_720
    assert sheet.totals["NSNN hỗ trợ Số tiền"] == 956_340
    assert "DANH SÁCH NGƯỜI THAM GIA BHYT HỘ GIA ĐÌNH" in sheet.lines
    assert "Mẫu D03-TS (Ban hành kèm theo Quyết định số 595/QĐ-BHXH, sửa đổi theo 490/QĐ-BHXH)" in sheet.lines
    assert sheet.sheet.print_title_rows == f"${sheet.heading_row}:${sheet.heading_row + 1}"


def test_each_list_holds_its_own_scheme_only(client, login, db, world):
    login(world.official)
    d05 = set(names(download(client, NOVEMBER)))
    d03 = set(names(download(client, {**NOVEMBER, "mau": "D03-TS"})))
    assert d05 == {"Vũ Thị Thu", "Trần Văn Đức", "Nguyễn Thị Hoà", "Lê Văn Bình", "Hà Thị Lan"}
    assert d03 == {"Đinh Văn Nam", "Phạm Văn Sơn", "Hoàng Thị Mai", "Phạm Thị Ánh"}


# --- who may download --------------------------------------------------------------------------------------------


def test_head_and_agent_staff_download_their_village_only(client, login, db, world):
    for user in (world.head, world.agent):
        login(user)
        page = client.get(URL).get_data(as_text=True)
        assert "Thôn Đông" in page and "Thôn Tây" not in page and "Tất cả các thôn" not in page
        sheet = download(client, {**NOVEMBER, "thon": str(world.east.id)})
        assert names(sheet) == ["Vũ Thị Thu", "Trần Văn Đức", "Nguyễn Thị Hoà", "Lê Văn Bình"]
        assert "Thôn: Thôn Đông" in sheet.lines
        assert client.post_form(URL, {**NOVEMBER, "thon": str(world.west.id)}).status_code == 404
    events = exports(db)
    assert [(e.user_id, e.entity, e.entity_id) for e in events] == [
        (world.head.id, "village", world.east.id), (world.agent.id, "village", world.east.id)]


def test_member_of_another_village_gets_404(client, login, db, world):
    login(world.west_head)
    assert client.post_form(URL, {**NOVEMBER, "thon": str(world.east.id)}).status_code == 404
    assert client.post_form(URL, {**NOVEMBER, "thon": str(world.far.id)}).status_code == 404
    assert client.post_form(URL, {**NOVEMBER, "thon": "999999"}).status_code == 404
    assert names(download(client, {**NOVEMBER, "thon": str(world.west.id)})) == ["Hà Thị Lan"]


def test_plain_member_and_former_head_get_403(client, login, db, world):
    login(world.member)
    assert client.get(URL).status_code == 403
    assert client.post_form(URL, {**NOVEMBER, "thon": str(world.east.id)}).status_code == 403
    member = db.exec(select(CommitteeMember).where(CommitteeMember.user_id == world.head.id)).one()
    member.left_on = date(2026, 10, 1)
    db.add(member)
    db.commit()
    login(world.head)
    assert client.get(URL).status_code == 403
    assert exports(db) == []


def test_official_of_another_commune_never_sees_this_commune(client, login, db, world):
    login(world.far_official)
    page = client.get(URL).get_data(as_text=True)
    assert "Tổ dân phố Xa" in page and "Thôn Đông" not in page
    assert client.post_form(URL, {**NOVEMBER, "thon": str(world.east.id)}).status_code == 404
    far_commune = db.get(Commune, world.far.commune_id)
    sheet = download(client, NOVEMBER, f"D05-TS_{far_commune.code}_2026-11-01_2026-11-30.xlsx")
    assert names(sheet) == ["Cao Văn Xa"]
    # An official's commune is their own: asking for another one changes nothing.
    sheet = download(client, {**NOVEMBER, "xa": str(world.commune.id)})
    assert names(sheet) == ["Cao Văn Xa"]


def test_admin_chooses_the_commune(client, login, db, world):
    login(world.admin)
    page = client.get(f"{URL}?xa={world.commune.id}").get_data(as_text=True)
    assert "Thôn Đông" in page and "Thôn Tây" in page and "Chọn xã" in page
    sheet = download(client, {**NOVEMBER, "xa": str(world.commune.id)})
    assert len(sheet.rows) == 5
    far = download(client, {**NOVEMBER, "xa": str(world.far.commune_id)})
    assert names(far) == ["Cao Văn Xa"]
    refused = client.post_form(URL, {**NOVEMBER, "xa": str(world.far.commune_id), "thon": str(world.east.id)})
    assert refused.status_code == 422 and "không thuộc" in refused.get_data(as_text=True)
    assert client.get(f"{URL}?xa=987654").status_code == 404


def test_every_download_is_audited(client, login, db, world):
    login(world.official)
    download(client, NOVEMBER)
    download(client, {**NOVEMBER, "mau": "D03-TS", "thon": str(world.east.id), "tu": "2026-11-02"})
    # Thôn Tây bought no household cards: nothing to download, nothing disclosed, nothing audited.
    assert client.post_form(URL, {**NOVEMBER, "mau": "D03-TS", "thon": str(world.west.id)}).status_code == 200
    first, second = exports(db)
    assert (first.user_id, first.entity, first.entity_id) == (world.official.id, "commune", world.commune.id)
    assert first.after == {"list": "D05-TS", "scheme": "bhxh_tn", "from": "2026-11-01", "to": "2026-11-30",
                           "commune_id": world.commune.id, "villages": [world.east.id, world.west.id], "rows": 5}
    assert (second.user_id, second.entity, second.entity_id) == (world.official.id, "village", world.east.id)
    assert second.after == {"list": "D03-TS", "scheme": "bhyt_hgd", "from": "2026-11-02", "to": "2026-11-30",
                            "commune_id": world.commune.id, "villages": [world.east.id], "rows": 4}


# --- the form ----------------------------------------------------------------------------------------------------


def test_form_defaults_to_the_month_so_far(client, login, world):
    login(world.official)
    response = client.get(URL)
    page = response.get_data(as_text=True)
    today = local_today()
    assert response.status_code == 200
    assert f'value="{today.replace(day=1).isoformat()}"' in page and f'value="{today.isoformat()}"' in page
    assert 'hx-boost="false"' in page and "Tất cả các thôn" in page
    prefilled = client.get(f"{URL}?mau=D03-TS&tu=2026-11-01&thon={world.west.id}").get_data(as_text=True)
    assert '<option selected value="D03-TS">' in prefilled and 'value="2026-11-01"' in prefilled
    assert f'<option selected value="{world.west.id}">' in prefilled


@pytest.mark.parametrize("change, message", [
    ({"tu": "2026-11-30", "den": "2026-11-01"}, "sớm hơn ngày đầu"),
    ({"tu": "2027-12-31", "den": "2028-12-31"}, "tối đa 366 ngày"),
    ({"tu": ""}, "Hãy nhập ngày đầu"),
    ({"den": ""}, "Hãy nhập ngày cuối"),
    ({"den": "31/02/2026"}, "Ngày không hợp lệ"),
    ({"thon": "abc"}, "Hãy chọn một thôn trong danh sách"),
    ({"mau": "D99-TS"}, "Hãy chọn một mục trong danh sách"),
])
def test_bad_input_answers_422_with_the_fix_and_the_values_kept(client, login, db, world, change, message):
    login(world.official)
    data = {**NOVEMBER, "mau": "D03-TS", "thon": str(world.west.id), **change}
    response = client.post_form(URL, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert message in page
    for field in ("tu", "den"):
        if data[field]:
            assert f'value="{data[field]}"' in page, field
    if "mau" not in change:
        assert '<option selected value="D03-TS">' in page
    if "thon" not in change:
        assert f'<option selected value="{world.west.id}">' in page
    assert exports(db) == []


def test_a_year_of_366_days_is_accepted(client, login, db, world):
    login(world.official)
    response = client.post_form(URL, {**NOVEMBER, "tu": "2028-01-01", "den": "2028-12-31"})
    assert response.status_code == 200


def test_an_empty_period_says_so_on_the_page(client, login, db, world):
    login(world.official)
    response = client.post_form(URL, {**NOVEMBER, "tu": "2025-11-01", "den": "2025-11-30"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Không có lượt đóng nào cho danh sách D05-TS từ ngày 01/11/2025 đến ngày 30/11/2025" in page
    assert 'value="2025-11-01"' in page
    assert exports(db) == []
    assert db.exec(select(func.count(Enrolment.id))).one() == 13  # the data is there, just not in that month


def test_who_is_offered_the_lists(db, world):
    from fieldwork.exports.services import may_draw_lists

    offered = {u.display_name: may_draw_lists(db, u) for u in (world.head, world.agent, world.member,
                                                                world.west_head, world.official, world.admin)}
    assert offered == {"Trưởng Ban Đông": True, "Nhân Viên Thu Đông": True, "Thành Viên Đông": False,
                       "Trưởng Ban Tây": True, "Cán Bộ Xã": True, "Quản Trị": True}
