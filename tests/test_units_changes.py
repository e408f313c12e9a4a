"""Administrative changes: a commune merged into another, a village merged into another, renames — with the history
intact (printed reports byte for byte, with their old names), scope moved to the survivor's officials and no further,
counts unchanged, the audit trail written; bad input answers 422 and writes nothing; only admins may do it."""

from __future__ import annotations

import hashlib
import html
import re
import subprocess
from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select
from werkzeug.datastructures import MultiDict

from fieldwork.models import (
    AuditEvent,
    Committee,
    CommitteeMember,
    Commune,
    Enrolment,
    Household,
    Indicator,
    PeriodKind,
    Person,
    Report,
    ReportKind,
    Role,
    Target,
    UnitChange,
    UnitKind,
    User,
    Village,
    Visit,
)
from fieldwork.reports import archive
from fieldwork.text import local_today
from fieldwork.units import services
from tests.reports_world import seed_week

X, Y, Z = "07264", "07282", "07246"  # Xã Tam Tiến, Xã Đồng Kỳ, Xã Xuân Lương (Bắc Ninh)
X_NAME, Y_NAME = "Xã Tam Tiến", "Xã Đồng Kỳ"


@pytest.fixture(autouse=True)
def restore_communes(app, db):
    """The commune catalogue is kept between tests (tests/conftest.py): put back what these tests change."""
    before = {c.id: (c.name, c.merged_into_id, c.merged_on, c.valid_to)
              for c in db.exec(select(Commune).where(Commune.code.in_([X, Y, Z]))).all()}
    yield
    db.rollback()
    for commune_id, (name, merged_into_id, merged_on, valid_to) in before.items():
        commune = db.get(Commune, commune_id)
        db.refresh(commune)
        commune.name, commune.merged_into_id, commune.merged_on, commune.valid_to = (name, merged_into_id,
                                                                                      merged_on, valid_to)
        db.add(commune)
    db.commit()


def _commune(db, code: str) -> Commune:
    return db.exec(select(Commune).where(Commune.code == code)).one()


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "printed.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def ctx(app):
    """The services speak through Flask-Babel and print through Flask's templates: they need a request context."""
    with app.test_request_context():
        yield


def _print(app, db, world, kind: ReportKind, village=None) -> Report:
    commune = db.get(Commune, world.commune_id)
    with app.test_request_context():
        row = archive.freeze(db, archive.unit_of(db, kind, commune, village), world.week, local_today(),
                             proposals="Đề nghị hỗ trợ thêm hộ nghèo", note="", actor=None)
    db.commit()
    return row


def _totals(db) -> dict:
    return {model.__name__: db.exec(select(func.count()).select_from(model)).one()
            for model in (Household, Person, Visit, Enrolment, Report, CommitteeMember, Target)}


def _post(client, url: str, data: dict):
    return client.post_form(url, data)


def _confirm(client, url: str, page: str):
    """Press "Xác nhận sáp nhập" as a browser would: post exactly the hidden fields of the confirmation form."""
    form = page.split('class="rows kept"')[1]
    fields = MultiDict()
    for tag in re.findall(r"<input[^>]*>", form):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        if attrs.get("type") == "hidden":
            fields.add(html.unescape(attrs["name"]), html.unescape(attrs.get("value", "")))
    assert fields.getlist("confirm") == ["1"] and fields.get("csrf_token")
    return client.post(url, data=fields)


# --- a commune merge --------------------------------------------------------------------------------------------


def test_a_commune_merge_moves_everything_living_and_keeps_the_printed_history(
        app, client, login, db, make_village, make_committee, make_household, make_user, tmp_path):
    world = seed_week(db, make_village, make_committee, make_household, name="Thôn Đồng Bông")
    x, y, z = _commune(db, X), _commune(db, Y), _commune(db, Z)
    village_report = _print(app, db, world, ReportKind.VILLAGE, world.village)
    commune_report = _print(app, db, world, ReportKind.COMMUNE)
    sha = {r.id: hashlib.sha256(r.pdf).hexdigest() for r in (village_report, commune_report)}
    assert X_NAME in _pdf_text(village_report.pdf, tmp_path)
    survivor_village = make_village(commune_code=Y, name="Thôn Cầu Gỗ")
    official_x = make_user(Role.OFFICIAL, commune_code=X, name="Cán bộ xã Tam Tiến")
    official_y = make_user(Role.OFFICIAL, commune_code=Y, name="Cán bộ xã Đồng Kỳ")
    official_z = make_user(Role.OFFICIAL, commune_code=Z, name="Cán bộ xã Xuân Lương")
    member = make_user(Role.MEMBER, village=world.village, member=world.members[1])
    db.add(Target(commune_id=x.id, indicator=Indicator.NEW_BHXH_TN, period_kind=PeriodKind.YEAR,
                  period_start=date(local_today().year, 1, 1), period_end=date(local_today().year, 12, 31),
                  deadline=date(local_today().year, 12, 31), value=40))
    db.add(Target(commune_id=y.id, indicator=Indicator.NEW_BHXH_TN, period_kind=PeriodKind.YEAR,
                  period_start=date(local_today().year, 1, 1), period_end=date(local_today().year, 12, 31),
                  deadline=date(local_today().year, 12, 31), value=25))
    db.commit()
    totals = _totals(db)
    household = world.households[0]

    login(official_y)
    assert client.get(f"/thon/{world.village.id}").status_code == 404  # before: another commune's village
    admin = make_user(Role.ADMIN, name="Quản trị")
    login(admin)
    url = f"/don-vi/xa/{x.id}/sap-nhap"
    form = {"into": Y, "effective_on": local_today().isoformat(), "note": "Nghị quyết số 1656/NQ-UBTVQH15"}
    preview = _post(client, url, form)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Xác nhận sáp nhập" in page
    assert "<span>Hộ</span> <strong>5</strong>" in page and "<span>Lượt vận động</span> <strong>6</strong>" in page
    assert db.exec(select(func.count()).select_from(UnitChange)).one() == 0  # the preview writes nothing
    done = _confirm(client, url, page)
    assert done.status_code == 302 and done.headers["Location"].endswith("/don-vi/lich-su")

    db.expire_all()
    assert _totals(db) == totals  # nothing deleted, nothing doubled; Y's matching target absorbed X's bar
    village = db.get(Village, world.village.id)
    assert village.commune_id == y.id and village.merged_into_id is None
    x = db.get(Commune, x.id)
    assert x.merged_into_id == y.id and x.merged_on == local_today() and x.name == X_NAME
    assert db.get(User, official_x.id).commune_id == y.id and db.get(User, official_x.id).active
    assert db.get(User, member.id).commune_id == y.id and db.get(User, member.id).village_id == village.id
    targets = {t.commune_id: t.value for t in db.exec(select(Target).where(Target.village_id.is_(None))).all()}
    assert targets == {x.id: 40, y.id: 65}  # X's bar kept as history, and added to Y's running one
    change = db.exec(select(UnitChange)).one()
    assert (change.unit_type, change.unit_id, change.into_id, change.old_name, change.into_name) == (
        UnitKind.COMMUNE, x.id, y.id, X_NAME, Y_NAME)
    assert change.moved["households"] == 5 and change.moved["villages"] == 1
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "merge", AuditEvent.entity == "commune")).one()
    assert audit.user_id == admin.id and audit.entity_id == x.id and audit.after["merged_into_id"] == y.id
    moved_logins = db.exec(select(AuditEvent.entity_id).where(AuditEvent.entity == "user_account",
                                                              AuditEvent.action == "update")).all()
    assert {official_x.id, member.id} <= set(moved_logins)

    for report_id, digest in sha.items():  # printed reports: the same bytes, the old name
        row = db.get(Report, report_id)
        assert hashlib.sha256(row.pdf).hexdigest() == digest == row.pdf_sha256
        assert row.commune_id == x.id
        assert X_NAME in _pdf_text(row.pdf, tmp_path) and Y_NAME not in _pdf_text(row.pdf, tmp_path)

    login(official_y)  # the survivor's officials see the moved village, its households and both printed reports
    assert "Thôn Đồng Bông" in client.get(f"/thon/{village.id}").get_data(as_text=True)
    assert household.head_name in client.get(f"/ho/{household.id}").get_data(as_text=True)
    assert survivor_village.name in client.get("/thon").get_data(as_text=True)
    for report_id, digest in sha.items():
        pdf = client.get(f"/bao-cao/ban-in/{report_id}.pdf")
        assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == digest
    draft = client.get(f"/bao-cao/thon/{village.id}/xem-truoc.pdf?tuan={world.week.key}")
    assert Y_NAME in _pdf_text(draft.data, tmp_path)  # a report built now names the commune the village is in
    found = client.get(f"/tim-kiem?q={household.code}").get_data(as_text=True)
    assert household.head_name in found

    login(official_z)  # and nobody else does
    assert client.get(f"/thon/{village.id}").status_code == 404
    assert client.get(f"/ho/{household.id}").status_code == 404
    for report_id in sha:
        assert client.get(f"/bao-cao/ban-in/{report_id}.pdf").status_code == 404

    login(admin)
    listing = client.get("/don-vi").get_data(as_text=True)
    assert "Xã đã sáp nhập" in listing
    history = client.get("/don-vi/lich-su").get_data(as_text=True)
    assert f"Sáp nhập: {X_NAME} vào {Y_NAME}" in history and "Nghị quyết số 1656/NQ-UBTVQH15" in history


def test_village_codes_taken_in_the_survivor_get_the_old_commune_code(ctx, db, make_village, make_user):
    clash_x = make_village(commune_code=X, code="T01", name="Thôn Một Tam Tiến")
    make_village(commune_code=Y, code="T01", name="Thôn Một Đồng Kỳ")
    admin = make_user(Role.ADMIN)
    services.merge_commune(db, admin, _commune(db, X), _commune(db, Y), local_today(), None, local_today())
    db.commit()
    db.expire_all()
    assert db.get(Village, clash_x.id).code == f"{X}-T01"
    assert db.get(Village, clash_x.id).commune_id == _commune(db, Y).id


# --- a village merge --------------------------------------------------------------------------------------------


def test_a_village_merge_moves_households_committee_and_logins_and_keeps_the_old_village_as_history(
        app, client, login, db, make_village, make_committee, make_household, make_user, tmp_path):
    world = seed_week(db, make_village, make_committee, make_household, name="Thôn Đồng Bông")
    printed = _print(app, db, world, ReportKind.VILLAGE, world.village)
    digest = printed.pdf_sha256
    into = make_village(commune_code=X, name="Thôn Khe Mạ")
    into_committee, into_members = make_committee(into, members=5)
    old_committee = db.exec(select(Committee).where(Committee.village_id == world.village.id)).one()
    head = world.members[0]
    assert head.is_head
    login_a = make_user(Role.MEMBER, village=world.village, member=world.members[1])
    official = make_user(Role.OFFICIAL, commune_code=X)
    totals = _totals(db)
    admin = make_user(Role.ADMIN)
    login(admin)
    url = f"/don-vi/thon/{world.village.id}/sap-nhap"
    form = {"into": str(into.id), "effective_on": local_today().isoformat(), "note": ""}
    preview = _post(client, url, form).get_data(as_text=True)
    assert "<span>Thành viên ban vào ban của thôn nhận</span> <strong>4</strong>" in preview
    assert _confirm(client, url, preview).status_code == 302

    db.expire_all()
    old = db.get(Village, world.village.id)
    assert old.merged_into_id == into.id and old.merged_on == local_today()
    assert old.valid_to == local_today() - timedelta(days=1)
    assert set(db.exec(select(Household.village_id).where(
        Household.id.in_([h.id for h in world.households]))).all()) == {into.id}
    assert _totals(db) == {**totals, "Target": totals["Target"] + 1}  # the survivor got a running target
    assert db.get(Committee, old_committee.id).dissolved_on == local_today()
    moved = db.exec(select(CommitteeMember).where(CommitteeMember.id.in_([m.id for m in world.members]))).all()
    assert {m.committee_id for m in moved} == {into_committee.id}
    assert not db.get(CommitteeMember, head.id).is_head  # the survivor keeps its head
    assert [m.id for m in db.exec(select(CommitteeMember).where(CommitteeMember.committee_id == into_committee.id,
                                                               CommitteeMember.is_head)).all()] == [into_members[0].id]
    assert db.get(User, login_a.id).village_id == into.id
    village_targets = {t.village_id: t.value for t in db.exec(select(Target).where(Target.member_id.is_(None))).all()}
    assert village_targets == {old.id: 10, into.id: 10}
    report = db.get(Report, printed.id)
    assert report.village_id == old.id and report.pdf_sha256 == digest
    assert hashlib.sha256(report.pdf).hexdigest() == digest and "Thôn Đồng Bông" in _pdf_text(report.pdf, tmp_path)
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "merge", AuditEvent.entity == "village",
                                            AuditEvent.entity_id == old.id)).one().user_id == admin.id
    moves = db.exec(select(AuditEvent).where(AuditEvent.action == "move", AuditEvent.entity == "household")).all()
    assert sorted(e.entity_id for e in moves) == sorted(h.id for h in world.households)
    assert {(e.before["village_id"], e.after["village_id"]) for e in moves} == {(old.id, into.id)}

    login(official)  # the old village's history stays reachable in its commune, but it is no longer listed
    assert client.get(f"/thon/{old.id}").status_code == 200
    villages = client.get("/thon").get_data(as_text=True)
    assert "Thôn Khe Mạ" in villages and "Thôn Đồng Bông" not in villages
    assert "Thôn Đồng Bông" not in client.get("/").get_data(as_text=True)
    assert hashlib.sha256(client.get(f"/bao-cao/ban-in/{printed.id}.pdf").data).hexdigest() == digest
    login(login_a)  # the member works in the survivor now
    assert client.get(f"/ho/{world.households[0].id}").status_code == 200
    login(admin)
    listing = client.get("/don-vi").get_data(as_text=True)
    assert "Đã sáp nhập từ" in listing


def test_a_village_merge_into_another_commune_moves_the_old_village_there_too(
        ctx, db, make_village, make_committee, make_household, make_user):
    village = make_village(commune_code=X, code="T03", name="Thôn Ven Sông")
    make_village(commune_code=Y, code="T03", name="Thôn Ba Đồng Kỳ")
    into = make_village(commune_code=Y, name="Thôn Bến Đò")  # without a committee: the old one moves as a whole
    committee, members = make_committee(village, members=5)
    household = make_household(village, head_name="Lý Văn Tâm", assigned_to=members[2])
    services.merge_village(db, make_user(Role.ADMIN), village, into, local_today(), None, local_today())
    db.commit()
    db.expire_all()
    assert db.get(Household, household.id).village_id == into.id
    old = db.get(Village, village.id)
    assert (old.commune_id, old.code) == (_commune(db, Y).id, f"{X}-T03")  # T03 is taken in Y
    moved = db.get(Committee, committee.id)
    assert (moved.village_id, moved.dissolved_on) == (into.id, None)
    assert db.get(CommitteeMember, members[0].id).is_head  # the whole committee, its head included


# --- renames -----------------------------------------------------------------------------------------------------


def test_a_rename_shows_from_then_on_and_keeps_the_old_name_in_history_and_in_printed_reports(
        app, client, login, db, make_village, make_committee, make_household, make_user, tmp_path):
    world = seed_week(db, make_village, make_committee, make_household, name="Thôn Đồng Bông")
    printed = _print(app, db, world, ReportKind.VILLAGE, world.village)
    admin = make_user(Role.ADMIN)
    official = make_user(Role.OFFICIAL, commune_code=X)
    login(admin)
    day = local_today() - timedelta(days=3)
    response = _post(client, f"/don-vi/xa/{world.commune_id}/doi-ten",
                     {"new_name": "  Phường   Tam Tiến ", "effective_on": day.isoformat(), "note": ""})
    assert response.status_code == 302
    response = _post(client, f"/don-vi/thon/{world.village.id}/doi-ten",
                     {"new_name": "Thôn Đồng Bông Mới", "effective_on": day.isoformat(), "note": ""})
    assert response.status_code == 302
    db.expire_all()
    commune = db.get(Commune, world.commune_id)
    assert commune.name == "Phường Tam Tiến"
    assert services.name_on(db, UnitKind.COMMUNE, commune, day - timedelta(days=1)) == X_NAME
    assert services.name_on(db, UnitKind.COMMUNE, commune, day) == "Phường Tam Tiến"
    changes = db.exec(select(UnitChange).order_by(UnitChange.id)).all()
    assert [(c.old_name, c.new_name) for c in changes] == [(X_NAME, "Phường Tam Tiến"),
                                                          ("Thôn Đồng Bông", "Thôn Đồng Bông Mới")]
    assert db.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "rename")).one() == 2
    login(official)
    draft = client.get(f"/bao-cao/thon/{world.village.id}/xem-truoc.pdf?tuan={world.week.key}")
    text = _pdf_text(draft.data, tmp_path)
    assert "Phường Tam Tiến" in text and "Thôn Đồng Bông Mới" in text
    pdf = client.get(f"/bao-cao/ban-in/{printed.id}.pdf").data
    assert hashlib.sha256(pdf).hexdigest() == printed.pdf_sha256
    old_text = _pdf_text(pdf, tmp_path)
    assert X_NAME in old_text and "Phường Tam Tiến" not in old_text and "Thôn Đồng Bông Mới" not in old_text


# --- bad input and who may ------------------------------------------------------------------------------------------


def _merged_away(app, db, make_village):
    gone, keep = make_village(commune_code=X, name="Thôn Đã Nhập"), make_village(commune_code=X, name="Thôn Giữ")
    with app.test_request_context():
        services.merge_village(db, None, gone, keep, local_today(), None, local_today())
    db.commit()
    return gone


BAD = [
    ("commune into itself", "commune", lambda w: {"into": X}, "vào chính nó"),
    ("no commune code", "commune", lambda w: {"into": " "}, "Hãy nhập mã xã, phường nhận sáp nhập"),
    ("unknown commune", "commune", lambda w: {"into": "99999"}, "Không tìm thấy xã, phường có mã 99999"),
    ("date far ahead", "commune", lambda w: {"into": Y, "effective_on": (local_today() + timedelta(days=400))
                                             .isoformat()}, "Ngày có hiệu lực quá xa"),
    ("date before the unit", "commune", lambda w: {"into": Y, "effective_on": "2025-06-30"}, "chỉ có từ ngày"),
    ("no date", "commune", lambda w: {"into": Y, "effective_on": ""}, "Hãy chọn ngày bắt đầu có hiệu lực"),
    # The list offers neither the village itself nor merged villages: a forged choice is refused as not in the list.
    ("village into itself", "village", lambda w: {"into": str(w["village"].id)}, "Hãy chọn một mục trong danh sách"),
    ("into a merged village", "village", lambda w: {"into": str(w["gone"].id)}, "Hãy chọn một mục trong danh sách"),
    ("household codes clash", "village", lambda w: {"into": str(w["clash"].id)}, "trùng mã với hộ"),
    ("no village chosen", "village", lambda w: {"into": ""}, "Hãy chọn thôn, tổ dân phố nhận sáp nhập"),
    ("empty name", "rename", lambda w: {"new_name": "   "}, "Hãy nhập tên mới"),
    ("same name", "rename", lambda w: {"new_name": X_NAME}, "giống tên hiện tại"),
    ("long note", "rename", lambda w: {"new_name": "Xã Mới", "note": "x" * 501}, "Ghi chú dài tối đa 500"),
]


@pytest.mark.parametrize("case,kind,values,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_answers_422_with_a_message_and_writes_nothing(
        app, client, login, db, make_village, make_household, make_user, case, kind, values, message):
    village = make_village(commune_code=X, name="Thôn Thượng")
    make_household(village, code="HGD-TRUNG")
    clash = make_village(commune_code=X, name="Thôn Hạ")
    make_household(clash, code="HGD-TRUNG")
    gone = _merged_away(app, db, make_village)
    login(make_user(Role.ADMIN))  # signing in is audited too: before counting
    x = _commune(db, X)
    before = (_totals(db), db.exec(select(func.count()).select_from(UnitChange)).one(),
              db.exec(select(func.count()).select_from(AuditEvent)).one(), x.name,
              [(v.id, v.commune_id, v.merged_into_id) for v in db.exec(select(Village).order_by(Village.id)).all()])
    url = {"commune": f"/don-vi/xa/{x.id}/sap-nhap", "village": f"/don-vi/thon/{village.id}/sap-nhap",
           "rename": f"/don-vi/xa/{x.id}/doi-ten"}[kind]
    form = {"effective_on": local_today().isoformat(), "note": "", "confirm": "1",
            **values({"village": village, "gone": gone, "clash": clash})}
    response = _post(client, url, form)
    assert response.status_code == 422, case
    assert message in response.get_data(as_text=True)
    db.expire_all()
    after = (_totals(db), db.exec(select(func.count()).select_from(UnitChange)).one(),
             db.exec(select(func.count()).select_from(AuditEvent)).one(), db.get(Commune, x.id).name,
             [(v.id, v.commune_id, v.merged_into_id) for v in db.exec(select(Village).order_by(Village.id)).all()])
    assert after == before


def test_the_services_refuse_merging_a_merged_unit_into_itself_or_into_a_merged_one(app, ctx, db, make_village):
    gone = _merged_away(app, db, make_village)
    other = make_village(commune_code=X, name="Thôn Khác")
    with pytest.raises(services.UnitError, match="không thể sáp nhập lần nữa"):
        services.merge_village(db, None, gone, other, local_today(), None, local_today())
    with pytest.raises(services.UnitError, match="đã được sáp nhập vào đơn vị khác"):
        services.merge_village(db, None, other, gone, local_today(), None, local_today())
    with pytest.raises(services.UnitError, match="vào chính nó"):
        services.merge_village(db, None, other, other, local_today(), None, local_today())
    db.rollback()
    assert db.exec(select(func.count()).select_from(UnitChange)).one() == 1  # only the first, deliberate merge


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.MEMBER])
def test_only_an_admin_may_change_units(client, login, db, make_village, make_user, role):
    village = make_village(commune_code=X)
    user = make_user(role, village=village if role == Role.MEMBER else None, commune_code=X)
    x = _commune(db, X)
    login(user)
    for url in ("/don-vi", "/don-vi/lich-su", f"/don-vi/xa/{x.id}/doi-ten", f"/don-vi/xa/{x.id}/sap-nhap",
                f"/don-vi/thon/{village.id}/doi-ten", f"/don-vi/thon/{village.id}/sap-nhap"):
        assert client.get(url).status_code == 403, url
    response = _post(client, f"/don-vi/xa/{x.id}/sap-nhap",
                     {"into": Y, "effective_on": local_today().isoformat(), "confirm": "1"})
    assert response.status_code == 403
    db.expire_all()
    assert db.get(Commune, x.id).merged_into_id is None
    assert db.exec(select(func.count()).select_from(UnitChange)).one() == 0


# --- the command line ------------------------------------------------------------------------------------------------


def test_the_command_line_merges_and_renames_and_refuses_bad_input(runner, db, make_village, make_household):
    village = make_village(commune_code=X, code="T07", name="Thôn Bảy")
    household = make_household(village)
    make_village(commune_code=Y, code="T01", name="Thôn Một")
    result = runner.invoke(args=["units", "merge-commune", "--from", X, "--into", X, "--on",
                                 local_today().isoformat()])
    assert result.exit_code == 1 and "vào chính nó" in result.output
    assert db.exec(select(func.count()).select_from(UnitChange)).one() == 0
    result = runner.invoke(args=["units", "rename-village", "--village", f"{X}/T07", "--name", "Thôn Bảy Mới",
                                 "--on", local_today().isoformat()])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["units", "merge-village", "--from", f"{X}/T07", "--into", f"{Y}/T01",
                                 "--on", local_today().isoformat()])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["units", "merge-commune", "--from", X, "--into", Y, "--on",
                                 local_today().isoformat(), "--note", "NQ 1656"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    kinds = [(c.kind.value, c.unit_type.value) for c in db.exec(select(UnitChange).order_by(UnitChange.id)).all()]
    assert kinds == [("rename", "village"), ("merge", "village"), ("merge", "commune")]
    assert db.get(Household, household.id).village_id != village.id
    assert _commune(db, X).merged_into_id == _commune(db, Y).id
