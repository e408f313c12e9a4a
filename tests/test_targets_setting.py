"""Setting a commune target, editing it (audited), splitting it across villages and a village's across members."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import func, select

from fieldwork.models import AuditEvent, BhytStatus, Indicator, Person, PeriodKind, Target
from fieldwork.text import local_today
from tests.targets_data import commune, make_target, people_of  # noqa: F401

YEAR = local_today().year
NEW = {"indicator": "new_bhyt_hgd", "period_kind": "year", "label": "Chỉ tiêu năm", "period_start": f"{YEAR}-01-01",
       "period_end": f"{YEAR}-12-31", "deadline": "", "value": "20"}


def _count(db, *where):
    return db.exec(select(func.count(Target.id)).where(*where)).one()


def test_official_sets_a_commune_target(client, login, db, commune):
    login(commune["official"])
    page = client.get("/chi-tieu/moi").get_data(as_text=True)
    assert f'value="{YEAR}-01-01"' in page and "Người tham gia BHYT hộ gia đình mới" in page
    response = client.post_form("/chi-tieu/moi", NEW)
    assert response.status_code == 302
    target = db.exec(select(Target)).one()
    assert response.headers["Location"] == f"/chi-tieu/{target.id}"
    assert (target.indicator, target.value, target.village_id, target.parent_id) == (Indicator.NEW_BHYT_HGD, 20, None, None)
    assert target.deadline == date(YEAR, 12, 31)  # no deadline typed: the end of the period
    assert target.commune_id == commune["official"].commune_id
    assert db.exec(select(func.count(AuditEvent.id)).where(AuditEvent.entity == "target",
                                                           AuditEvent.action == "create")).one() == 1


def test_coverage_target_is_typed_as_a_percentage_and_stored_in_basis_points(client, login, db, commune):
    login(commune["official"])
    response = client.post_form("/chi-tieu/moi", {**NEW, "indicator": "bhyt_coverage", "value": "94,5"})
    assert response.status_code == 302
    assert db.exec(select(Target.value)).one() == 9450
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "94,5 %" in page


def test_bad_target_is_refused_with_the_fix_values_kept_nothing_written(client, login, db, commune):
    login(commune["official"])
    cases = [
        ({"value": "hai mươi"}, "Hãy nhập chỉ tiêu là một số nguyên dương, ví dụ 120."),
        ({"value": "0"}, "Hãy nhập chỉ tiêu là một số nguyên dương"),
        ({"indicator": "bhyt_coverage", "value": "120"}, "không quá 100, ví dụ 94 hoặc 94,5"),
        ({"period_end": f"{YEAR - 1}-12-31"}, "Ngày kết thúc phải từ ngày bắt đầu trở đi"),
        ({"deadline": f"{YEAR - 1}-06-30"}, "Hạn hoàn thành phải từ ngày bắt đầu trở đi"),
        ({"period_start": ""}, "Hãy chọn ngày bắt đầu tính chỉ tiêu."),
    ]
    for change, message in cases:
        response = client.post_form("/chi-tieu/moi", {**NEW, "label": "Đợt giữ lại", **change})
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and message in body, change
        assert 'value="Đợt giữ lại"' in body
    assert _count(db) == 0


def test_the_same_target_twice_is_refused(client, login, db, commune):
    login(commune["official"])
    assert client.post_form("/chi-tieu/moi", NEW).status_code == 302
    again = client.post_form("/chi-tieu/moi", NEW)
    assert again.status_code == 422 and "Xã đã có chỉ tiêu này cho đúng khoảng thời gian đó" in again.get_data(as_text=True)
    assert _count(db) == 1


def test_edit_is_audited_and_the_period_goes_down_to_the_parts(client, login, db, commune):
    whole = make_target(db, commune["a"].commune_id, start=date(YEAR, 1, 1), end=date(YEAR, 12, 31))
    part = make_target(db, whole.commune_id, start=whole.period_start, end=whole.period_end, village_id=commune["a"].id,
                       parent=whole, value=15)
    login(commune["official"])
    page = client.get(f"/chi-tieu/{whole.id}/sua").get_data(as_text=True)
    assert 'value="20"' in page
    response = client.post_form(f"/chi-tieu/{whole.id}/sua", {
        "period_kind": "campaign", "label": "Cao điểm tháng 11", "period_start": f"{YEAR}-11-01",
        "period_end": f"{YEAR}-11-30", "deadline": "", "value": "30"})
    assert response.status_code == 302
    db.expire_all()
    whole, part = db.get(Target, whole.id), db.get(Target, part.id)
    assert (whole.value, whole.period_kind, whole.deadline) == (30, PeriodKind.CAMPAIGN, date(YEAR, 11, 30))
    assert (part.value, part.period_start, part.deadline, part.label) == (15, date(YEAR, 11, 1), date(YEAR, 11, 30),
                                                                          "Cao điểm tháng 11")
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "target", AuditEvent.entity_id == whole.id)).one()
    assert event.before["value"] == 20 and event.after["value"] == 30
    # A part changes only its value.
    page = client.get(f"/chi-tieu/{part.id}/sua").get_data(as_text=True)
    assert "period_start" not in page
    assert client.post_form(f"/chi-tieu/{part.id}/sua", {"value": "12"}).status_code == 302
    db.expire_all()
    assert db.get(Target, part.id).value == 12
    bad = client.post_form(f"/chi-tieu/{part.id}/sua", {"value": "-1"})
    assert bad.status_code == 422
    db.expire_all()
    assert db.get(Target, part.id).value == 12


# --- splitting -----------------------------------------------------------------------------------------------------


def _whole(db, commune, value=20, indicator=Indicator.NEW_BHYT_HGD):
    return make_target(db, commune["a"].commune_id, value=value, indicator=indicator, start=date(YEAR, 1, 1),
                       end=date(YEAR, 12, 31))


def _inputs(page: str, unit_ids) -> list[str]:
    return [re.search(rf'name="p{i}"[^>]*value="([^"]*)"', page).group(1) for i in unit_ids]


def test_split_page_suggests_parts_by_households_prospects_or_evenly(client, login, db, commune):
    a, b = commune["a"], commune["b"]
    # Thôn Đồng Bông: 3 households, but 8 of its 9 people already hold a card; Tân Sơn: 1 household, nobody covered.
    for household in commune["households_a"]:
        for person in people_of(db, household):
            person.bhyt_status, person.bhyt_card_expiry = BhytStatus.HOUSEHOLD, date(YEAR + 1, 12, 31)
            db.add(person)
    db.get(Person, people_of(db, commune["households_a"][0])[1].id).bhyt_status = BhytStatus.NONE
    db.commit()
    whole = _whole(db, commune)
    login(commune["official"])
    assert _inputs(client.get(f"/chi-tieu/{whole.id}/chia").get_data(as_text=True), [a.id, b.id]) == ["15", "5"]
    assert _inputs(client.get(f"/chi-tieu/{whole.id}/chia?theo=tiem-nang").get_data(as_text=True),
                   [a.id, b.id]) == ["5", "15"]  # prospects: 1 in Đồng Bông, 3 in Tân Sơn
    assert _inputs(client.get(f"/chi-tieu/{whole.id}/chia?theo=deu").get_data(as_text=True), [a.id, b.id]) == ["10", "10"]
    assert _count(db, Target.parent_id == whole.id) == 0  # suggestions write nothing


def test_saving_a_split_creates_then_updates_the_parts(client, login, db, commune):
    a, b = commune["a"], commune["b"]
    whole = _whole(db, commune)
    login(commune["official"])
    response = client.post_form(f"/chi-tieu/{whole.id}/chia", {f"p{a.id}": "15", f"p{b.id}": "5"})
    assert response.status_code == 302 and response.headers["Location"] == f"/chi-tieu/{whole.id}"
    parts = db.exec(select(Target).where(Target.parent_id == whole.id).order_by(Target.village_id)).all()
    assert [(p.village_id, p.value, p.member_id) for p in parts] == [(a.id, 15, None), (b.id, 5, None)]
    assert all(p.period_start == whole.period_start and p.deadline == whole.deadline for p in parts)
    assert db.exec(select(func.count(AuditEvent.id)).where(AuditEvent.entity == "target", AuditEvent.action == "create",
                                                           AuditEvent.entity_id.in_([p.id for p in parts]))).one() == 2
    page = client.get(f"/chi-tieu/{whole.id}").get_data(as_text=True)
    assert "Thôn Đồng Bông" in page and "chưa bằng chỉ tiêu" not in page
    # Opened again, the page shows what was saved; saving again updates in place.
    assert _inputs(client.get(f"/chi-tieu/{whole.id}/chia").get_data(as_text=True), [a.id, b.id]) == ["15", "5"]
    assert client.post_form(f"/chi-tieu/{whole.id}/chia", {f"p{a.id}": "12", f"p{b.id}": "8"}).status_code == 302
    db.expire_all()
    assert [p.value for p in db.exec(select(Target).where(Target.parent_id == whole.id)
                                     .order_by(Target.village_id)).all()] == [12, 8]
    assert _count(db, Target.parent_id == whole.id) == 2
    assert db.exec(select(func.count(AuditEvent.id)).where(AuditEvent.entity == "target",
                                                           AuditEvent.action == "update")).one() == 2


def test_parts_that_do_not_add_up_are_saved_and_flagged(client, login, db, commune):
    a, b = commune["a"], commune["b"]
    whole = _whole(db, commune)
    login(commune["official"])
    live = client.get(f"/chi-tieu/{whole.id}/chia?p{a.id}=15&p{b.id}=4", headers={"HX-Request": "true"})
    body = live.get_data(as_text=True)
    assert live.status_code == 200 and body.lstrip().startswith('<div id="split-sum"')
    assert "Tổng các phần (19) chưa bằng chỉ tiêu (20); còn thiếu 1." in body
    response = client.post_form(f"/chi-tieu/{whole.id}/chia", {f"p{a.id}": "15", f"p{b.id}": "7"}, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "Tổng các phần (22) chưa bằng chỉ tiêu (20); thừa 2." in body
    assert 'id="split-warning"' in body  # on the target page itself, not only in the flash
    assert "Tổng các phần (22) chưa bằng chỉ tiêu (20); thừa 2." in client.get("/chi-tieu").get_data(as_text=True)
    assert "Tổng các phần (22)" in client.get("/").get_data(as_text=True)


def test_bad_parts_are_refused_with_values_kept_and_nothing_written(client, login, db, commune):
    a, b = commune["a"], commune["b"]
    whole = _whole(db, commune)
    login(commune["official"])
    response = client.post_form(f"/chi-tieu/{whole.id}/chia", {f"p{a.id}": "15", f"p{b.id}": "năm"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Hãy nhập một số nguyên từ 0 trở lên (0 nếu không giao phần nào)." in body and 'value="năm"' in body
    assert _count(db, Target.parent_id == whole.id) == 0


def test_coverage_is_not_split_every_village_gets_the_rate(client, login, db, commune):
    a, b = commune["a"], commune["b"]
    whole = _whole(db, commune, value=9400, indicator=Indicator.BHYT_COVERAGE)
    login(commune["official"])
    page = client.get(f"/chi-tieu/{whole.id}/chia").get_data(as_text=True)
    assert _inputs(page, [a.id, b.id]) == ["94", "94"] and "chưa bằng" not in page
    assert client.post_form(f"/chi-tieu/{whole.id}/chia", {f"p{a.id}": "94", f"p{b.id}": "95,5"}).status_code == 302
    assert sorted(db.exec(select(Target.value).where(Target.parent_id == whole.id)).all()) == [9400, 9550]


def test_committee_head_splits_the_village_target_across_members(client, login, db, commune):
    whole = _whole(db, commune)
    part = make_target(db, whole.commune_id, start=whole.period_start, end=whole.period_end, value=6,
                       village_id=commune["a"].id, parent=whole)
    members = commune["members_a"]
    login(commune["head_a"])
    page = client.get(f"/chi-tieu/{part.id}/chia").get_data(as_text=True)
    assert "Chia chỉ tiêu cho thành viên" in page
    # By households held: member 2 holds two households, member 3 one, the others none.
    assert _inputs(page, [m.id for m in members]) == ["0", "4", "2", "0", "0"]
    assert _inputs(client.get(f"/chi-tieu/{part.id}/chia?theo=deu").get_data(as_text=True),
                   [m.id for m in members]) == ["2", "1", "1", "1", "1"]
    form = {f"p{m.id}": v for m, v in zip(members, ["0", "4", "2", "0", "0"])}
    assert client.post_form(f"/chi-tieu/{part.id}/chia", form).status_code == 302
    shares = db.exec(select(Target).where(Target.parent_id == part.id).order_by(Target.member_id)).all()
    assert [(s.member_id, s.value, s.village_id) for s in shares] == [(m.id, v, commune["a"].id) for m, v in
                                                                       zip(members, [0, 4, 2, 0, 0])]
    # An official can split it too; a member's share cannot be split further.
    login(commune["official"])
    assert client.get(f"/chi-tieu/{part.id}/chia").status_code == 200
    assert client.get(f"/chi-tieu/{shares[1].id}/chia").status_code == 404
