"""What a target has achieved is counted from enrolments (never typed in): by indicator, window and unit."""

from __future__ import annotations

from datetime import date, datetime, timezone

from fieldwork.enrolments.services import BhytRequest, enrol_bhyt
from fieldwork.models import BhytStatus, EnrolmentKind, Household, Indicator, Person, Scheme
from fieldwork.targets.progress import Status
from fieldwork.targets.services import Tally
from tests.targets_data import commune, enrol, make_target, people_of  # noqa: F401

START, END = date(2026, 1, 1), date(2026, 12, 31)
TODAY = date(2026, 6, 15)


def _target(db, commune, **kw):
    return make_target(db, commune["a"].commune_id, start=kw.pop("start", START), end=kw.pop("end", END), **kw)


def _achieved(db, commune, target, today=TODAY):
    return Tally(db, commune["a"].commune_id, today).progress(target).achieved


def test_new_participants_are_distinct_people_with_a_new_enrolment(db, commune):
    ha = people_of(db, commune["households_a"][0])
    enrol(db, ha[0], date(2026, 2, 1))
    enrol(db, ha[0], date(2026, 3, 1))  # the same person again: still one participant
    enrol(db, ha[1], date(2026, 3, 1), kind=EnrolmentKind.RENEWAL)  # a renewal is not a new participant
    enrol(db, ha[2], date(2026, 3, 1), scheme=Scheme.BHXH_TN)  # another scheme
    bhyt = _target(db, commune)
    bhxh = _target(db, commune, indicator=Indicator.NEW_BHXH_TN)
    renewals = _target(db, commune, indicator=Indicator.RENEWALS)
    assert [_achieved(db, commune, t) for t in (bhyt, bhxh, renewals)] == [1, 1, 1]


def test_renewals_count_payments_and_sponsored_counts_books_and_cards(db, commune):
    person = people_of(db, commune["households_a"][0])[0]
    enrol(db, person, date(2026, 2, 1), kind=EnrolmentKind.RENEWAL)
    enrol(db, person, date(2026, 5, 1), kind=EnrolmentKind.RENEWAL, sponsored=True)
    enrol(db, people_of(db, commune["households_b"][0])[0], date(2026, 5, 2), sponsored=True)
    assert _achieved(db, commune, _target(db, commune, indicator=Indicator.RENEWALS)) == 2
    assert _achieved(db, commune, _target(db, commune, indicator=Indicator.SPONSORED)) == 2


def test_window_runs_from_the_start_to_today_or_the_end(db, commune):
    people = people_of(db, commune["households_a"][0]) + people_of(db, commune["households_a"][1])
    enrol(db, people[0], date(2025, 12, 31))  # the day before the start
    enrol(db, people[1], START)  # the first day counts
    enrol(db, people[2], TODAY)  # today counts
    enrol(db, people[3], date(2026, 6, 16))  # a receipt dated tomorrow does not count yet
    target = _target(db, commune)
    assert _achieved(db, commune, target) == 2
    assert _achieved(db, commune, target, today=date(2026, 6, 16)) == 3
    early = _target(db, commune, start=START, end=date(2026, 3, 31), value=5)
    assert _achieved(db, commune, early) == 1  # the period ended on 31 March
    assert _achieved(db, commune, _target(db, commune, start=date(2026, 7, 1), end=END, value=5)) == 0  # not started


def test_the_receipt_date_wins_else_the_local_day_it_was_recorded(db, commune):
    people = people_of(db, commune["households_a"][0])
    # Recorded in June but paid (receipt) in December of the previous year: not in this year's count.
    enrol(db, people[0], date(2025, 12, 20), created_at=datetime(2026, 6, 1, 3, tzinfo=timezone.utc))
    # No receipt: 31 March 17:30 UTC is already 1 April 00:30 in Vietnam.
    enrol(db, people[1], date(2026, 3, 31), receipt=False, created_at=datetime(2026, 3, 31, 17, 30, tzinfo=timezone.utc))
    enrol(db, people[2], date(2026, 3, 31), receipt=False, created_at=datetime(2026, 3, 31, 16, 30, tzinfo=timezone.utc))
    q1 = _target(db, commune, start=START, end=date(2026, 3, 31))
    q2 = _target(db, commune, start=date(2026, 4, 1), end=date(2026, 6, 30))
    assert (_achieved(db, commune, q1), _achieved(db, commune, q2)) == (1, 1)


def test_units_commune_village_and_member(db, commune):
    a_people = people_of(db, commune["households_a"][0])
    member = commune["members_a"][1]
    enrol(db, a_people[0], date(2026, 2, 1), member=member)
    enrol(db, a_people[1], date(2026, 2, 1), member=commune["members_a"][2])
    enrol(db, people_of(db, commune["households_b"][0])[0], date(2026, 2, 1), member=commune["members_b"][1])
    enrol(db, people_of(db, commune["households_b"][0])[1], date(2026, 2, 1))  # recorded by an official
    whole = _target(db, commune)
    village_a = _target(db, commune, village_id=commune["a"].id, parent=whole)
    village_b = _target(db, commune, village_id=commune["b"].id, parent=whole)
    share = _target(db, commune, village_id=commune["a"].id, member_id=member.id, parent=village_a)
    assert [_achieved(db, commune, t) for t in (whole, village_a, village_b, share)] == [4, 2, 2, 1]


def test_enrolments_recorded_through_the_service_count(app, db, commune):
    household = commune["households_b"][0]
    people = people_of(db, household)
    target = _target(db, commune, village_id=commune["b"].id, value=6, start=date(2026, 11, 1), end=date(2026, 11, 30))
    with app.test_request_context():
        enrol_bhyt(db, household, BhytRequest(person_ids=[p.id for p in people], months=12, from_month=date(2026, 12, 1),
                                              receipt_date=date(2026, 11, 23)),
                   member=commune["members_b"][1], actor=commune["official"], today=date(2026, 11, 23))
    db.commit()
    progress = Tally(db, commune["b"].commune_id, date(2026, 11, 25)).progress(target)
    # Three people of six by 25 November, when 24 of the 29 days are gone: 5 were due, so behind.
    assert (progress.achieved, progress.percent, progress.expected, progress.status) == (3, 5000, 5, Status.BEHIND)


def test_coverage_is_the_share_of_people_with_a_valid_card_today(db, commune):
    a_people = [p for h in commune["households_a"] for p in people_of(db, h)]  # 9 people
    states = [(BhytStatus.HOUSEHOLD, date(2026, 12, 31)), (BhytStatus.HOUSEHOLD, TODAY),  # valid (to today included)
              (BhytStatus.HOUSEHOLD, date(2026, 6, 14)),  # expired yesterday
              (BhytStatus.OTHER_GROUP, None), (BhytStatus.OTHER_GROUP, date(2027, 1, 1)),  # covered elsewhere
              (BhytStatus.OTHER_GROUP, date(2026, 1, 1))]  # that cover ended
    for person, (status, expiry) in zip(a_people, states):
        person.bhyt_status, person.bhyt_card_expiry = status, expiry
        db.add(person)
    archived = db.get(Person, a_people[8].id)
    archived.archived_at = datetime(2026, 1, 1, tzinfo=timezone.utc)  # left out of both counts
    db.add(archived)
    db.commit()
    target = _target(db, commune, indicator=Indicator.BHYT_COVERAGE, value=9400, village_id=commune["a"].id)
    progress = Tally(db, commune["a"].commune_id, TODAY).progress(target)
    assert (progress.covered, progress.population, progress.achieved) == (4, 8, 5000)
    assert progress.status == Status.BEHIND and progress.remaining == 4  # 94 % of 8 people = 7.52 → 8
    whole = _target(db, commune, indicator=Indicator.BHYT_COVERAGE, value=9400)
    assert Tally(db, commune["a"].commune_id, TODAY).progress(whole).population == 11  # 8 + Tân Sơn's 3
    # A member's share of a coverage target: the people of the households they hold (members_a[2]: one household).
    share = _target(db, commune, indicator=Indicator.BHYT_COVERAGE, value=9400, village_id=commune["a"].id,
                    member_id=commune["members_a"][2].id, parent=target)
    mine = Tally(db, commune["a"].commune_id, TODAY).progress(share)
    assert (mine.covered, mine.population) == (0, 2)
    gone = db.get(Household, commune["households_a"][2].id)
    gone.archived_at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    db.add(gone)
    db.commit()
    assert Tally(db, commune["a"].commune_id, TODAY).progress(target).population == 6


def test_coverage_counts_a_household_nobody_holds_for_its_village_only(db, commune):
    from sqlmodel import select

    from fieldwork.models import Assignment

    a_people = [p for h in commune["households_a"] for p in people_of(db, h)]
    for person in a_people:
        person.bhyt_status, person.bhyt_card_expiry = BhytStatus.HOUSEHOLD, date(2026, 12, 31)
        db.add(person)
    held = db.exec(select(Assignment).where(Assignment.household_id == commune["households_a"][2].id,
                                            Assignment.valid_to.is_(None))).one()
    held.valid_to = date(2026, 6, 1)  # members_a[2] no longer holds their only household
    db.add(held)
    db.commit()
    by_village, by_member = Tally(db, commune["a"].commune_id, TODAY).coverage()
    n_third = len(people_of(db, commune["households_a"][2]))
    assert by_village[commune["a"].id] == (len(a_people), len(a_people))
    assert by_member[commune["members_a"][1].id] == (len(a_people) - n_third, len(a_people) - n_third)
    assert commune["members_a"][2].id not in by_member
    assert None not in by_member and by_village[commune["b"].id][1] == len(people_of(db, commune["households_b"][0]))
