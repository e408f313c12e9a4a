"""The demonstration data: deterministic, fast enough, and consistent with the domain's rules and arithmetic.

Self-contained: builds its own SQLite databases (foreign keys enforced) and needs no conftest fixtures.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import Session, SQLModel, func, select
from werkzeug.security import check_password_hash

import fieldwork.models  # noqa: F401  (registers every table)
from fieldwork.db import make_engine
from fieldwork.demo import DEMO_COMMUNE_CODE, DEMO_PASSWORD, build_demo, has_data, split_proportionally
from fieldwork.models import (
    Assignment,
    BhxhStatus,
    BhytStatus,
    Committee,
    CommitteeMember,
    Commune,
    Donor,
    Enrolment,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Household,
    Indicator,
    Organisation,
    PeriodKind,
    Person,
    Poverty,
    RefusalReason,
    Role,
    Scheme,
    Sex,
    Sponsorship,
    SponsorshipStatus,
    Target,
    User,
    Village,
    Visit,
    VisitOutcome,
)
from fieldwork.policy import parameter
from fieldwork.reference import load_reference_data
from fieldwork.text import LOCAL_TZ

DEMO_TODAY = date(2026, 11, 23)


def _new_engine(path):
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        load_reference_data(session)
        session.commit()
    return engine


def _build(path, today=DEMO_TODAY, seed=2025):
    engine = _new_engine(path)
    with Session(engine) as session:
        assert not has_data(session)
        started = time.perf_counter()
        summary = build_demo(session, today, seed=seed)
        elapsed = time.perf_counter() - started
        session.commit()
    return engine, summary, elapsed


def _digest(engine) -> str:
    with Session(engine) as session:
        rows = session.exec(
            select(Household.code, Household.head_name, Person.full_name, Person.cccd)
            .join(Person, Person.household_id == Household.id)
            .order_by(Household.code, Person.id)
        ).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _counts(engine) -> dict[str, int]:
    tables = (Village, Committee, CommitteeMember, Household, Person, Assignment, Visit, FollowUp, Enrolment,
              Sponsorship, Donor, Target, User)
    with Session(engine) as session:
        return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in tables}


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory):
    engine, summary, elapsed = _build(tmp_path_factory.mktemp("demo") / "demo.sqlite")
    print(f"\ndemo build: {elapsed:.2f} s for {summary}")
    yield engine, summary, elapsed
    engine.dispose()


@pytest.fixture
def demo_engine(demo_build):
    return demo_build[0]


@pytest.fixture
def demo_summary(demo_build):
    return demo_build[1]


@pytest.fixture
def demo_session(demo_engine):
    with Session(demo_engine) as session:
        yield session


# --- helpers -------------------------------------------------------------------------------------------------------


def _age(person: Person, on: date) -> int:
    if person.birth_date is None:
        return on.year - person.birth_year
    b = person.birth_date
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def _bp(amount: int, basis_points: int) -> int:
    return (amount * basis_points + 5000) // 10000


def _last_day(from_month: date, months: int) -> date:
    index = from_month.year * 12 + from_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


def _has_diacritic(text: str) -> bool:
    return any(ord(ch) > 127 for ch in text)


# --- the tests -------------------------------------------------------------------------------------------------------


def test_build_time_and_summary(demo_build, demo_engine):
    _, summary, elapsed = demo_build
    print(f"\ndemo build time: {elapsed:.2f} s")  # informative only: machines differ
    counts = _counts(demo_engine)
    assert summary.commune_name == "Xã Tam Tiến"
    assert summary.villages == counts["Village"] == 7
    assert summary.households == counts["Household"]
    assert 7 * 150 <= summary.households <= 7 * 300
    assert summary.people == counts["Person"]
    assert 3.5 <= summary.people / summary.households <= 4.5
    assert summary.visits == counts["Visit"] > 0
    assert summary.enrolments == counts["Enrolment"] > 0
    assert summary.sponsorships == counts["Sponsorship"]
    assert [(login.role, login.phone) for login in summary.logins] == [
        ("admin", "0900000001"),
        ("official", "0900000002"),
        ("member (trưởng ban)", "0900000003"),
        ("member", "0900000004"),
    ]
    assert summary.logins[1].scope == "Xã Tam Tiến"
    assert summary.logins[2].scope == summary.logins[3].scope == "Thôn Đồng Bông"


def test_same_date_and_seed_build_the_same_data(demo_engine, demo_summary, tmp_path):
    engine_a, summary_a, _ = _build(tmp_path / "a.sqlite")
    assert _counts(engine_a) == _counts(demo_engine)
    assert _digest(engine_a) == _digest(demo_engine)
    assert summary_a == demo_summary
    with Session(engine_a) as a, Session(demo_engine) as b:
        key = lambda v: (v.uuid, v.visited_at, v.outcome, v.next_date)  # noqa: E731
        assert [key(v) for v in a.exec(select(Visit).order_by(Visit.id))] == [
            key(v) for v in b.exec(select(Visit).order_by(Visit.id))
        ]
        amounts = lambda e: (e.scheme, e.amount_total, e.amount_person, e.valid_until)  # noqa: E731
        assert [amounts(e) for e in a.exec(select(Enrolment).order_by(Enrolment.id))] == [
            amounts(e) for e in b.exec(select(Enrolment).order_by(Enrolment.id))
        ]
    engine_c, _, _ = _build(tmp_path / "c.sqlite", seed=7)
    assert _digest(engine_c) != _digest(demo_engine)
    for engine in (engine_a, engine_c):
        engine.dispose()


def test_has_data(demo_session, tmp_path):
    assert has_data(demo_session)
    engine = _new_engine(tmp_path / "empty.sqlite")
    with Session(engine) as session:
        assert not has_data(session)
    engine.dispose()


def test_every_village_has_a_committee_headed_by_the_front(demo_session):
    commune = demo_session.exec(select(Commune).where(Commune.code == DEMO_COMMUNE_CODE)).one()
    villages = demo_session.exec(select(Village)).all()
    assert len({v.code for v in villages}) == 7
    phones = []
    for village in villages:
        assert village.commune_id == commune.id
        assert village.name.startswith("Thôn ")
        committees = demo_session.exec(
            select(Committee).where(Committee.village_id == village.id, Committee.dissolved_on.is_(None))
        ).all()
        assert len(committees) == 1
        committee = committees[0]
        assert committee.established_on < DEMO_TODAY and re.fullmatch(r"\d+/QĐ-UBND", committee.decision_ref)
        members = demo_session.exec(
            select(CommitteeMember).where(
                CommitteeMember.committee_id == committee.id, CommitteeMember.left_on.is_(None)
            )
        ).all()
        assert 5 <= len(members) <= 7
        heads = [m for m in members if m.is_head]
        assert len(heads) == 1
        assert heads[0].organisation is Organisation.FRONT
        assert heads[0].title == "Trưởng ban công tác Mặt trận"
        assert all(m.organisation is not Organisation.FRONT for m in members if not m.is_head)
        assert len({m.organisation for m in members}) == len(members)
        phones += [m.phone for m in members]
    assert all(re.fullmatch(r"0[398]\d{8}", p) for p in phones)
    assert len(set(phones)) == len(phones)


def test_each_household_has_one_open_assignment_in_its_own_village(demo_session):
    member_village = dict(
        demo_session.exec(
            select(CommitteeMember.id, Committee.village_id).join(
                Committee, Committee.id == CommitteeMember.committee_id
            )
        ).all()
    )
    open_by_household = defaultdict(list)
    for a in demo_session.exec(select(Assignment).where(Assignment.valid_to.is_(None))):
        open_by_household[a.household_id].append(a)
    official = demo_session.exec(select(User).where(User.phone == "0900000002")).one()
    loads: dict[int, Counter] = defaultdict(Counter)
    households = demo_session.exec(select(Household)).all()
    for hh in households:
        assignments = open_by_household[hh.id]
        assert len(assignments) == 1, hh.code
        a = assignments[0]
        assert member_village[a.member_id] == hh.village_id
        assert a.assigned_by_id == official.id
        assert a.valid_from == DEMO_TODAY - timedelta(days=58)
        loads[hh.village_id][a.member_id] += 1
    for village_id, load in loads.items():
        members_here = [m for m, v in member_village.items() if v == village_id]
        assert set(load) == set(members_here)  # everyone, the head included, has households
        assert max(load.values()) - min(load.values()) <= 1
    # A member's households are mostly in one xóm.
    xom = {hh.id: hh.hamlet_group for hh in households}
    by_member = defaultdict(Counter)
    for hh_id, (a,) in open_by_household.items():
        by_member[a.member_id][xom[hh_id]] += 1
    concentrated = sum(c.most_common(1)[0][1] for c in by_member.values())
    assert concentrated / len(households) > 0.7
    for phone in ("0900000003", "0900000004"):
        user = demo_session.exec(select(User).where(User.phone == phone)).one()
        member = demo_session.exec(select(CommitteeMember).where(CommitteeMember.user_id == user.id)).one()
        assert member.phone == phone
        assert sum(1 for (a,) in open_by_household.values() if a.member_id == member.id) > 0


def test_names_are_nfc_vietnamese(demo_session):
    texts = []
    texts += demo_session.exec(select(Person.full_name)).all()
    texts += demo_session.exec(select(Household.head_name)).all()
    texts += demo_session.exec(select(Household.address)).all()
    texts += demo_session.exec(select(CommitteeMember.full_name)).all()
    texts += demo_session.exec(select(Village.name)).all()
    texts += demo_session.exec(select(Donor.name)).all()
    texts += demo_session.exec(select(User.display_name)).all()
    assert len(texts) > 5_000
    for text in texts:
        assert unicodedata.normalize("NFC", text) == text, text
        assert text == text.strip() and "  " not in text
        assert _has_diacritic(text), text
    notes = demo_session.exec(select(Visit.notes).where(Visit.notes.is_not(None))).all()
    assert notes and all(unicodedata.normalize("NFC", n) == n for n in notes)
    # The household's head is a person of the household.
    heads = demo_session.exec(
        select(Household.head_name, Person.full_name)
        .join(Person, Person.household_id == Household.id)
        .where(Person.relation == "head")
    ).all()
    assert heads and all(a == b for a, b in heads)


def test_people_are_plausible(demo_session):
    people = demo_session.exec(select(Person)).all()
    poverty = dict(demo_session.exec(select(Household.id, Household.poverty)).all())
    per_household = Counter(p.household_id for p in people)
    assert min(per_household.values()) >= 1 and max(per_household.values()) <= 7
    heads = {p.household_id: p for p in people if p.relation == "head"}
    assert len(heads) == len(per_household) == sum(1 for p in people if p.relation == "head")
    cccds = [p.cccd for p in people if p.cccd]
    assert len(cccds) == len(set(cccds))
    codes = [p.bhxh_code for p in people if p.bhxh_code]
    assert len(codes) == len(set(codes)) and all(re.fullmatch(r"\d{10}", c) for c in codes)
    adults = [p for p in people if _age(p, DEMO_TODAY) >= 18]
    assert sum(1 for p in adults if p.cccd) / len(adults) > 0.9
    for p in people:
        age = _age(p, DEMO_TODAY)
        assert 0 <= age <= 100
        if p.birth_date is not None:
            assert p.birth_date.year == p.birth_year and p.birth_date <= DEMO_TODAY
        if p.cccd:
            century_sex = (0 if p.birth_year < 2000 else 2) + (1 if p.sex is Sex.FEMALE else 0)
            assert p.cccd == p.cccd.strip() and len(p.cccd) == 12
            assert p.cccd[:6] == f"024{century_sex}{p.birth_year % 100:02d}", (p.full_name, p.cccd)
        if " Thị " in p.full_name:
            assert p.sex is Sex.FEMALE, p.full_name
        if age < 6 or poverty[p.household_id] is Poverty.POOR:
            assert p.bhyt_status is BhytStatus.OTHER_GROUP
        if p.bhxh_status in (BhxhStatus.PENSIONER, BhxhStatus.COMPULSORY):
            assert p.bhyt_status is BhytStatus.OTHER_GROUP
        if p.bhxh_status is BhxhStatus.PENSIONER:
            assert age >= 62
        if p.bhxh_status is BhxhStatus.VOLUNTARY:
            assert p.bhxh_paid_until is not None
        if p.bhyt_status is BhytStatus.HOUSEHOLD:
            assert p.bhyt_card_expiry is not None and p.bhyt_card_expiry >= DEMO_TODAY
        if p.bhyt_status is BhytStatus.NONE and p.bhyt_card_expiry is not None:
            assert p.bhyt_card_expiry < DEMO_TODAY  # an expired card: a renewal prospect
        if p.bhyt_status is not BhytStatus.NONE or p.bhxh_status is not BhxhStatus.NONE:
            assert p.bhxh_code
        if p.consent_at is not None:
            assert p.consent_at.tzinfo is not None and p.consent_at.date() < DEMO_TODAY
        if p.relation == "spouse":
            assert heads[p.household_id].sex is not p.sex
    covered = sum(1 for p in people if p.bhyt_status is not BhytStatus.NONE) / len(people)
    assert 0.86 <= covered <= 0.95, covered
    minority = sum(1 for p in people if p.ethnicity != "Kinh") / len(people)
    assert 0.04 <= minority <= 0.16, minority
    consent = sum(1 for p in people if p.consent_at is not None) / len(people)
    assert 0.75 <= consent <= 0.95, consent
    statuses = Counter(p.bhxh_status for p in people)
    assert statuses[BhxhStatus.VOLUNTARY] and statuses[BhxhStatus.PENSIONER] and statuses[BhxhStatus.COMPULSORY]
    soon = [p for p in people if p.bhxh_status is BhxhStatus.VOLUNTARY
            and DEMO_TODAY <= p.bhxh_paid_until <= DEMO_TODAY + timedelta(days=30)]
    assert soon
    expiries = {p.bhyt_card_expiry for p in people if p.bhyt_status is BhytStatus.HOUSEHOLD}
    assert len({(d.year, d.month) for d in expiries}) >= 10  # spread over the coming year
    household_poverty = Counter(poverty.values())
    n = len(poverty)
    assert 0.02 <= household_poverty[Poverty.POOR] / n <= 0.07
    assert 0.03 <= household_poverty[Poverty.NEAR_POOR] / n <= 0.09


def test_enrolment_amounts_follow_the_rules(demo_session):
    s = demo_session
    households = {h.id: h for h in s.exec(select(Household))}
    people = {p.id: p for p in s.exec(select(Person))}
    enrolments = s.exec(select(Enrolment).order_by(Enrolment.id)).all()
    assert {e.scheme for e in enrolments} == {Scheme.BHXH_TN, Scheme.BHYT_HGD}
    assert {e.kind for e in enrolments} == {"new", "renewal"}
    latest: dict[tuple[int, Scheme], date] = {}
    bhyt_firsts = set()
    for e in enrolments:
        p = people[e.person_id]
        hh = households[p.household_id]
        on = e.from_month
        for value in (e.amount_total, e.amount_person, e.amount_state, e.amount_local, e.amount_other):
            assert isinstance(value, int) and value >= 0
        assert e.amount_person + e.amount_state + e.amount_local + e.amount_other == e.amount_total
        assert on.day == 1
        assert e.valid_until == _last_day(on, e.months)
        assert e.receipt_date is not None and e.receipt_date < DEMO_TODAY
        assert e.created_at.tzinfo is not None
        latest[(p.id, e.scheme)] = max(latest.get((p.id, e.scheme), e.valid_until), e.valid_until)
        if e.scheme is Scheme.BHXH_TN:
            line = parameter(s, "rural_poverty_line", on)
            assert e.months == int(e.payment_mode.value) and e.payment_mode.value in ("1", "3", "6", "12")
            assert line <= e.chosen_income <= 3_000_000 and e.chosen_income % 50_000 == 0
            assert e.amount_total == e.chosen_income * 22 // 100 * e.months
            if hh.poverty is Poverty.POOR:
                share = 50
            elif hh.poverty is Poverty.NEAR_POOR:
                share = 40
            elif p.ethnicity != "Kinh":
                share = 30
            else:
                share = 20
            assert e.amount_state == share * 22 * line // 10_000 * e.months, (hh.poverty, p.ethnicity)
            assert e.bhyt_rank is None
        else:
            base = parameter(s, "base_salary", on)
            first = base * 45 // 1000
            assert first == (105_300 if on < date(2026, 7, 1) else 113_850)
            assert e.months in (3, 6, 12) and e.chosen_income is None
            rank_share = {1: 100, 2: 70, 3: 60, 4: 50}.get(e.bhyt_rank, 40)
            monthly = first * rank_share // 100
            assert e.amount_total == monthly * e.months
            if e.bhyt_rank == 1:
                bhyt_firsts.add(monthly)
            support = {Poverty.NEAR_POOR: 7000, Poverty.FARMING_AVERAGE: 3000}.get(hh.poverty, 0)
            assert e.amount_state == _bp(monthly, support) * e.months
        if e.sponsorship_id is None:
            assert e.amount_other == 0
    assert bhyt_firsts == {113_850}  # December 2026 onwards: base salary 2,530,000 (dated parameter)
    # The person's record shows what was last paid.
    for (person_id, scheme), until in latest.items():
        p = people[person_id]
        if scheme is Scheme.BHXH_TN:
            assert p.bhxh_status is BhxhStatus.VOLUNTARY and p.bhxh_paid_until == until
        else:
            assert p.bhyt_status is BhytStatus.HOUSEHOLD and p.bhyt_card_expiry == until
    # A household's cards bought together are ranked 1, 2, 3, ... and end on the same day.
    batches = defaultdict(list)
    for e in enrolments:
        if e.scheme is Scheme.BHYT_HGD and e.sponsorship_id is None:
            batches[(people[e.person_id].household_id, e.receipt_date)].append(e)
    for batch in batches.values():
        assert sorted(e.bhyt_rank for e in batch) == list(range(1, len(batch) + 1))
        assert len({e.valid_until for e in batch}) == 1


def test_rank_one_card_is_105300_a_month_at_the_2024_base_salary(tmp_path):
    engine, summary, _ = _build(tmp_path / "2025.sqlite", today=date(2025, 11, 23))
    with Session(engine) as s:
        firsts = s.exec(select(Enrolment).where(Enrolment.bhyt_rank == 1, Enrolment.scheme == Scheme.BHYT_HGD)).all()
        assert firsts
        assert {e.amount_total // e.months for e in firsts} == {105_300}
        second = s.exec(select(Enrolment).where(Enrolment.bhyt_rank == 2)).first()
        assert second.amount_total == 73_710 * second.months
        ordinary = s.exec(
            select(Enrolment, Household)
            .join(Person, Person.id == Enrolment.person_id)
            .join(Household, Household.id == Person.household_id)
            .where(Enrolment.scheme == Scheme.BHXH_TN, Household.poverty == Poverty.NONE,
                   Person.ethnicity == "Kinh")
        ).first()
        assert ordinary[0].amount_state == 66_000 * ordinary[0].months  # 20 % × 22 % × 1,500,000
    engine.dispose()


def test_visits_and_follow_ups_tell_one_story(demo_session):
    s = demo_session
    visits = s.exec(select(Visit).order_by(Visit.visited_at)).all()
    households = s.exec(select(Household)).all()
    responsible = {a.household_id: a.member_id for a in s.exec(select(Assignment))}
    assert len({v.uuid for v in visits}) == len(visits)
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", v.uuid)
               for v in visits)
    visited = {v.household_id for v in visits}
    assert 0.35 <= len(visited) / len(households) <= 0.5
    start = datetime.combine(DEMO_TODAY - timedelta(days=56), datetime.min.time(), LOCAL_TZ)
    end = datetime.combine(DEMO_TODAY, datetime.min.time(), LOCAL_TZ)
    for v in visits:
        assert v.visited_at.tzinfo is not None
        assert start <= v.visited_at < end
        assert 7 <= v.visited_at.astimezone(LOCAL_TZ).hour < 19
        assert v.member_id == responsible[v.household_id]
        local_day = v.visited_at.astimezone(LOCAL_TZ).date()
        if v.outcome is VisitOutcome.CONSIDERING:
            assert v.next_date == local_day + timedelta(days=7)
        elif v.outcome is VisitOutcome.NOT_HOME:
            assert v.next_date == local_day + timedelta(days=1)
        else:
            assert v.next_date is None
        assert (v.reason is not None) == (v.outcome is VisitOutcome.REFUSED)
        assert (v.scheme is not None) == (v.outcome in ("agreed", "considering", "refused"))
    outcomes = Counter(v.outcome for v in visits)
    share = {o: outcomes[o] / len(visits) for o in VisitOutcome}
    assert 0.2 <= share[VisitOutcome.CONSIDERING] <= 0.4
    assert 0.08 <= share[VisitOutcome.AGREED] <= 0.25
    assert 0.08 <= share[VisitOutcome.REFUSED] <= 0.25
    assert 0.08 <= share[VisitOutcome.NOT_HOME] <= 0.22
    assert 0.08 <= share[VisitOutcome.ALREADY_COVERED] <= 0.22
    assert outcomes[VisitOutcome.MOVED_AWAY] and outcomes[VisitOutcome.DO_NOT_CONTACT]
    reasons = Counter(v.reason for v in visits if v.reason)
    assert reasons.most_common(1)[0][0] is RefusalReason.CANNOT_AFFORD

    follow_ups = s.exec(select(FollowUp)).all()
    by_visit = defaultdict(list)
    for f in follow_ups:
        by_visit[f.visit_id].append(f)
        assert f.member_id == responsible[f.household_id]
        assert (f.status is FollowUpStatus.DONE) == (f.closed_at is not None)
    enrolled_visits = {e.visit_id for e in s.exec(select(Enrolment)) if e.visit_id}
    for v in visits:
        kinds = [f.kind for f in by_visit[v.id]]
        if v.outcome in (VisitOutcome.CONSIDERING, VisitOutcome.NOT_HOME):
            assert kinds == [FollowUpKind.REVISIT] and by_visit[v.id][0].due_on == v.next_date
        elif v.outcome is VisitOutcome.REFUSED and v.reason is RefusalReason.CANNOT_AFFORD:
            assert kinds == [FollowUpKind.NEEDS_SPONSOR]
        elif v.outcome is VisitOutcome.AGREED:
            assert kinds == [FollowUpKind.COMPLETE_ENROLMENT]
            assert (by_visit[v.id][0].status is FollowUpStatus.DONE) == (v.id in enrolled_visits)
        else:
            assert kinds == []
    revisits = [f for f in follow_ups if f.kind is FollowUpKind.REVISIT]
    statuses = Counter((f.status, f.due_on < DEMO_TODAY) for f in revisits)
    assert statuses[(FollowUpStatus.DONE, True)]  # done ones in the past
    assert statuses[(FollowUpStatus.OPEN, True)]  # some overdue
    assert statuses[(FollowUpStatus.OPEN, False)]  # some still to come


def test_sponsorships(demo_session):
    s = demo_session
    commune = s.exec(select(Commune).where(Commune.code == DEMO_COMMUNE_CODE)).one()
    donors = s.exec(select(Donor)).all()
    assert 5 <= len(donors) <= 8 and all(d.commune_id == commune.id for d in donors)
    assert sum(d.consent_public for d in donors) >= len(donors) - 2
    sponsorships = s.exec(select(Sponsorship)).all()
    assert 10 <= len(sponsorships) <= 15
    statuses = Counter(sp.status for sp in sponsorships)
    for status in (SponsorshipStatus.PROPOSED, SponsorshipStatus.APPROVED, SponsorshipStatus.PAID,
                   SponsorshipStatus.HANDED_OVER):
        assert statuses[status], status
    for sp in sponsorships:
        person = s.get(Person, sp.person_id)
        assert s.get(Household, person.household_id).poverty in (Poverty.POOR, Poverty.NEAR_POOR)
        assert sp.amount > 0 and sp.from_month.day == 1
        enrolments = s.exec(select(Enrolment).where(Enrolment.sponsorship_id == sp.id)).all()
        if sp.status is SponsorshipStatus.HANDED_OVER:
            assert len(enrolments) == 1
            e = enrolments[0]
            assert e.person_id == sp.person_id and e.scheme == sp.scheme and e.months == sp.months
            assert e.from_month == sp.from_month
            assert e.amount_other == sp.amount and e.amount_person == 0
            assert sp.approved_at and sp.paid_on and sp.handed_over_on and sp.handover_event
            assert sp.paid_on <= sp.handed_over_on < DEMO_TODAY
        else:
            assert enrolments == []
        if sp.status is SponsorshipStatus.PROPOSED:
            assert sp.approved_at is None and sp.approved_by_id is None


def test_sub_targets_add_up(demo_session):
    s = demo_session
    commune = s.exec(select(Commune).where(Commune.code == DEMO_COMMUNE_CODE)).one()
    parents = s.exec(select(Target).where(Target.village_id.is_(None))).all()
    assert {t.indicator for t in parents} == set(Indicator)
    household_counts = dict(
        s.exec(select(Household.village_id, func.count()).group_by(Household.village_id)).all()
    )
    for parent in parents:
        assert parent.commune_id == commune.id and parent.parent_id is None
        assert parent.period_kind is PeriodKind.YEAR
        assert (parent.period_start, parent.period_end, parent.deadline) == (
            date(2026, 1, 1), date(2026, 12, 31), date(2026, 12, 31))
        children = s.exec(select(Target).where(Target.parent_id == parent.id)).all()
        assert len(children) == 7 and {c.village_id for c in children} == set(household_counts)
        if parent.indicator is Indicator.BHYT_COVERAGE:
            assert parent.value == 9400
            assert all(c.value == 9400 for c in children)
        else:
            assert sum(c.value for c in children) == parent.value
            for c in children:  # proportional to the households, within rounding
                exact = parent.value * household_counts[c.village_id] / sum(household_counts.values())
                assert abs(c.value - exact) < 1


def test_split_proportionally():
    assert split_proportionally(10, [1, 1, 1]) == [4, 3, 3]
    assert sum(split_proportionally(600, [233, 238, 178, 225, 164, 253, 193])) == 600
    assert split_proportionally(5, [0, 0]) == [3, 2]
    assert split_proportionally(7, []) == []


def test_demo_logins(demo_session, demo_summary):
    commune = demo_session.exec(select(Commune).where(Commune.code == DEMO_COMMUNE_CODE)).one()
    first_village = demo_session.exec(select(Village).where(Village.code == "T01")).one()
    expected_roles = {"admin": Role.ADMIN, "official": Role.OFFICIAL, "member (trưởng ban)": Role.MEMBER,
                      "member": Role.MEMBER}
    for login in demo_summary.logins:
        assert login.password == DEMO_PASSWORD
        user = demo_session.exec(select(User).where(User.phone == login.phone)).one()
        assert check_password_hash(user.password_hash, DEMO_PASSWORD)
        assert not check_password_hash(user.password_hash, "wrong")
        assert user.role is expected_roles[login.role] and user.active
        assert user.display_name == login.name
        if user.role is Role.ADMIN:
            assert user.commune_id is None and user.village_id is None
        elif user.role is Role.OFFICIAL:
            assert user.commune_id == commune.id and user.village_id is None
        else:
            assert user.commune_id == commune.id and user.village_id == first_village.id
            member = demo_session.exec(select(CommitteeMember).where(CommitteeMember.user_id == user.id)).one()
            assert member.phone == login.phone and member.full_name == login.name
            assert member.is_head == (login.role == "member (trưởng ban)")
            committee = demo_session.get(Committee, member.committee_id)
            assert committee.village_id == first_village.id
    assert demo_session.exec(select(func.count()).select_from(User)).one() == 4
    assert datetime.now(timezone.utc) > demo_session.exec(select(User)).first().created_at
