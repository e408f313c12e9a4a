"""The village and commune weekly reports: every figure against what was seeded for one known week."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from fieldwork.models import (
    Commune,
    DropoutReason,
    EnrolmentKind,
    ReportKind,
    Role,
    Scheme,
    Visit,
    VisitOutcome,
)
from fieldwork.reports import archive, services
from fieldwork.reports.week import parse_week, week_of
from fieldwork.text import local_today
from tests.reports_world import MEMBER_NAMES, at, seed_week


def _report(app, db, world, *, commune: bool = False):
    with app.test_request_context():
        village = None if commune else world.village
        kind = ReportKind.COMMUNE if commune else ReportKind.VILLAGE
        unit = archive.unit_of(db, kind, db.get(Commune, world.commune_id), village)
        return services.build(db, unit, world.week, local_today())


def test_weeks_are_iso_weeks_and_bad_keys_are_refused():
    week = parse_week("2026-W47")
    assert (week.first.isoformat(), week.last.isoformat()) == ("2026-11-16", "2026-11-22")
    assert parse_week("2025-W53") is None  # 2025 has 52 ISO weeks
    assert parse_week("2026-W53").last.isoformat() == "2027-01-03"  # 2026 has 53, the last ending in 2027
    assert parse_week("47/2026") is None and parse_week("") is None
    assert week_of(week.last).key == "2026-W47" and week_of(week.last + timedelta(days=1)).key == "2026-W48"


def test_village_report_counts_the_week_and_nothing_outside_it(app, db, make_village, make_committee, make_household):
    world = seed_week(db, make_village, make_committee, make_household)
    r = _report(app, db, world)
    assert r.totals.visits == 4 and r.households_visited == 3
    assert {o.outcome: o.count for o in r.outcomes} == {
        VisitOutcome.AGREED: 1, VisitOutcome.CONSIDERING: 1, VisitOutcome.REFUSED: 1, VisitOutcome.NOT_HOME: 1,
        VisitOutcome.ALREADY_COVERED: 0, VisitOutcome.MOVED_AWAY: 0, VisitOutcome.DO_NOT_CONTACT: 0}
    # the visit at 23:30 on Sunday (local) is in; 00:10 the Monday after and 23:50 the Sunday before are out
    assert [v.head_name for v in r.visits][-1] == "Đỗ Thị Lan"
    assert r.totals.new_bhxh_tn == 1 and r.totals.new_bhyt_hgd == 0 and r.totals.renewals == 2
    sums = {(s.scheme, s.kind): s for s in r.enrolment_sums}
    bhxh, bhyt = sums[(Scheme.BHXH_TN, EnrolmentKind.NEW)], sums[(Scheme.BHYT_HGD, EnrolmentKind.RENEWAL)]
    assert (bhxh.people, bhxh.months, bhxh.amount_total, bhxh.amount_support) == (1, 12, 3_960_000, 792_000)
    assert (bhyt.people, bhyt.months, bhyt.amount_total) == (2, 24, 1_263_600 + 884_520)
    assert sums[(Scheme.BHYT_HGD, EnrolmentKind.NEW)].people == 0  # receipt dated the Monday after
    assert r.enrolment_total.amount_total == 3_960_000 + 1_263_600 + 884_520
    assert r.dropout_reasons == [(DropoutReason.CANNOT_AFFORD, 1)]


def test_village_report_members_follow_ups_renewals_sponsorships_and_targets(app, db, make_village, make_committee,
                                                                           make_household):
    world = seed_week(db, make_village, make_committee, make_household)
    r = _report(app, db, world)
    members = {m.name: m for m in r.members}
    assert list(members) == MEMBER_NAMES and members[MEMBER_NAMES[0]].is_head
    m1, m2 = members[MEMBER_NAMES[1]], members[MEMBER_NAMES[2]]
    assert (m1.households, m1.visited, m1.visits, m1.new, m1.renewals, m1.overdue) == (4, 2, 3, 1, 2, 0)
    assert (m2.households, m2.visited, m2.visits, m2.overdue) == (1, 1, 1, 1)
    assert r.head == MEMBER_NAMES[0]
    assert [(f.head_name, f.note) for f in r.follow_ups] == [("Vũ Văn Khánh", "Hẹn gặp con trai")]
    assert [(x.household_code, x.ends) for x in r.renewals] == [(world.households[4].code,
                                                                 world.week.last + timedelta(days=10))]
    donors = sorted(s.donor for s in r.sponsorships)
    assert donors == ["Công ty TNHH Minh Phát", "Nhà hảo tâm (không công khai tên)"]  # the person did not consent
    [figure] = r.key_figures
    assert (figure.week, figure.line.progress.achieved, figure.line.progress.value) == (1, 1, 10)
    assert [c.week for c in r.chart][-1] == world.week and len(r.chart) == 8
    assert r.chart[-1].visits == 4 and r.chart[-2].visits == 1  # the Sunday-before visit lands in the week before


def test_a_visit_added_later_changes_the_live_report(app, db, make_village, make_committee, make_household):
    world = seed_week(db, make_village, make_committee, make_household)
    before = _report(app, db, world).totals.visits
    db.add(Visit(uuid="9a3c1f1e-0000-4000-8000-000000000001", household_id=world.households[3].id,
                 member_id=world.members[1].id, visited_at=at(world.week.first + timedelta(days=1), 10),
                 outcome=VisitOutcome.AGREED))
    db.commit()
    assert _report(app, db, world).totals.visits == before + 1


def test_commune_report_ranks_villages_and_adds_them_up(app, db, make_village, make_committee, make_household):
    world = seed_week(db, make_village, make_committee, make_household)
    quiet = make_village(name="Thôn Khuôn Thần")
    r = _report(app, db, world, commune=True)
    assert r.is_commune
    names = [v.village.name for v in r.villages]
    assert set(names) >= {"Thôn Đồng Bông", "Thôn Khuôn Thần"}
    busy = next(v for v in r.villages if v.village.id == world.village.id)
    still = next(v for v in r.villages if v.village.id == quiet.id)
    assert (busy.week.visits, busy.visited, busy.dropouts, busy.households) == (4, 3, 1, 5)
    assert still.week.visits == 0 and still.households == 0
    assert r.totals.visits == sum(v.week.visits for v in r.villages)
    assert [v.rank for v in r.villages] == list(range(1, len(r.villages) + 1))


def test_members_of_another_village_and_other_communes_see_nothing(app, db, client, login, make_village,
                                                                  make_committee, make_household, make_user):
    world = seed_week(db, make_village, make_committee, make_household)
    other = make_village(name="Thôn Hố Sâu")
    outsider = make_user(Role.MEMBER, village=other)
    login(outsider)
    assert client.get(f"/bao-cao/thon/{world.village.id}").status_code == 404
    assert client.get(f"/bao-cao/thon/{world.village.id}/xem-truoc.pdf").status_code == 404
    assert client.get("/bao-cao/xa").status_code == 403
    far = make_user(Role.OFFICIAL, commune_code="00004")
    login(far)
    assert client.get(f"/bao-cao/thon/{world.village.id}").status_code == 404
    page = client.get("/bao-cao/xa")
    assert page.status_code == 200 and "Thôn Đồng Bông" not in page.get_data(as_text=True)


def test_bad_week_is_refused_with_a_message(app, db, client, login, make_village, make_committee, make_household,
                                            make_user):
    world = seed_week(db, make_village, make_committee, make_household)
    login(make_user(Role.OFFICIAL))
    for bad in ("2026-47", "2026-W60", (local_today() + timedelta(days=8)).strftime("%G-W%V")):
        response = client.get(f"/bao-cao/thon/{world.village.id}?tuan={bad}")
        assert response.status_code == 400
        assert "Hãy chọn một tuần trong danh sách" in response.get_data(as_text=True)
    assert db.exec(select(Visit)).all()  # nothing touched
