"""The weekly reports: a village's for its hamlet meeting, the commune's for its review of every village.

Build, then render (style.md, habit 9): :func:`village_report` and :func:`commune_report` return plain dataclasses
with every list materialised; the HTML preview, the PDF and the Excel workbook all render that same object.

What a week counts (Monday–Sunday, local days in Asia/Ho_Chi_Minh; a week not yet over counts up to today):

* visits made in the week (``visited_at``); a household visited twice counts once among "households visited";
* enrolments dated in the week (their receipt date, else the local day they were recorded — as the targets count);
* drop-outs recorded in the week (what the committee learned this week, whenever the cover ended);
* sponsorships proposed, paid or handed over in the week;
* progress against every target whose period overlaps the week, as it stood at the week's end (or today);
* follow-ups due in the seven days after the week, and covers ending within 30 days of the week's end;
* the last eight weeks, for the chart.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional

from sqlalchemy import and_, bindparam, func, or_
from sqlmodel import Session, select

from ..db import read_rows
from ..enrolments.services import renewals_due
from ..events.services import EventSummary, events_in_period
from ..models import (
    Assignment,
    Channel,
    Committee,
    Commune,
    CommitteeMember,
    Donor,
    DonorKind,
    Dropout,
    DropoutReason,
    Enrolment,
    EnrolmentKind,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Household,
    Indicator,
    Organisation,
    Person,
    Province,
    RefusalReason,
    ReportKind,
    Scheme,
    Sponsorship,
    SponsorshipStatus,
    Target,
    Village,
    Visit,
    VisitOutcome,
    VisitPerson,
    utcnow,
)
from ..targets.progress import local_day_bounds, rate_bp
from ..targets.services import (
    VILLAGE_NAMES,
    Counts,
    Tally,
    TargetLine,
    active_members,
    children_of,
    lines_for,
    main_target,
    rank_key,
    sorted_targets,
)
from ..text import mask, to_local
from .week import Week

CHART_WEEKS = 8
RENEWALS_AHEAD = timedelta(days=30)


# --- what a report holds ---------------------------------------------------------------------------------------


@dataclass
class Unit:
    """What a report is about: one village, or a whole commune."""

    kind: ReportKind
    province: Province
    commune: Commune
    village: Optional[Village] = None

    @property
    def key(self) -> str:
        return f"v{self.village.id}" if self.village else f"c{self.commune.id}"

    @property
    def name(self) -> str:
        return self.village.name if self.village else self.commune.name


@dataclass
class KeyFigure:
    """One target on the report: what the week added, where the period stands, and the bar."""

    line: TargetLine
    week: Optional[int]  # None for a rate (coverage is a state, not a flow)


@dataclass
class OutcomeCount:
    outcome: VisitOutcome
    count: int


@dataclass
class VisitLine:
    visited_at: datetime  # local time, naive (as printed and as Excel keeps it)
    village_id: int
    village: str
    household_code: str
    head_name: str
    member: str
    outcome: VisitOutcome
    reason: Optional[RefusalReason]
    scheme: Optional[Scheme]
    channel: Channel
    next_date: Optional[date]
    notes: Optional[str]


@dataclass
class EnrolmentLine:
    day: date  # receipt date, else the day recorded
    village: str
    household_code: str
    person: str
    bhxh_code: str  # masked
    scheme: Scheme
    kind: EnrolmentKind
    months: int
    from_month: date
    valid_until: date
    amount_total: int
    amount_person: int
    amount_support: int  # state and local budget
    amount_other: int  # sponsors
    receipt_no: Optional[str]
    member: str
    sponsored: bool


@dataclass
class EnrolmentSum:
    """Enrolments of one scheme and kind: people, months bought and money."""

    scheme: Scheme
    kind: EnrolmentKind
    people: int = 0
    months: int = 0
    amount_total: int = 0
    amount_person: int = 0
    amount_support: int = 0
    amount_other: int = 0


@dataclass
class DropoutLine:
    village_id: int
    village: str
    household_code: str
    person: str
    scheme: Scheme
    ended_on: date
    reason: DropoutReason
    note: Optional[str]
    member: str


@dataclass
class SponsorshipLine:
    day: date  # the latest of proposed / paid / handed over that falls in the week
    village: str
    donor: str  # the donor's name only when they agreed to be named
    recipient: str
    household_code: str
    scheme: Scheme
    months: int
    amount: int
    status: SponsorshipStatus


@dataclass
class MemberLine:
    name: str
    village: str
    organisation: Organisation
    is_head: bool
    households: int  # assigned now
    visited: int  # households visited in the week
    visits: int
    new: int
    renewals: int
    overdue: int  # open follow-ups due before the week's end (or today)


@dataclass
class FollowUpLine:
    due_on: date
    village: str
    household_code: str
    head_name: str
    kind: FollowUpKind
    member: str
    note: Optional[str]


@dataclass
class RenewalLine:
    ends: date
    village_id: int
    village: str
    household_code: str
    person: str
    scheme: Scheme
    member: str
    lapsed: bool  # ended before the week's end, neither renewed nor recorded as a drop-out


@dataclass
class ChartWeek:
    week: Week
    visits: int
    new: int
    renewals: int


@dataclass
class VillageLine:
    """One village on the commune report, ranked by the commune's main target."""

    rank: int
    village: Village
    head: str
    households: int
    week: Counts
    visited: int
    dropouts: int
    renewals_due: int
    covered: int
    people: int
    main: Optional[TargetLine]

    @property
    def coverage(self) -> Optional[int]:
        return rate_bp(self.covered, self.people)


@dataclass
class Report:
    """Everything one weekly report shows, built before rendering."""

    unit: Unit
    week: Week
    as_of: date  # the week's last day, or today while the week runs
    built_at: datetime
    head: str  # the committee head (village) — empty for the commune
    key_figures: list[KeyFigure]
    totals: Counts  # the week: new participants, renewals, sponsored, visits
    households_visited: int
    people_named: int  # people a visit was about
    outcomes: list[OutcomeCount]
    visits: list[VisitLine]
    enrolments: list[EnrolmentLine]
    enrolment_sums: list[EnrolmentSum]
    dropouts: list[DropoutLine]
    sponsorships: list[SponsorshipLine]
    members: list[MemberLine]
    follow_ups: list[FollowUpLine]
    renewals: list[RenewalLine]
    chart: list[ChartWeek]
    events: list[EventSummary]
    villages: list[VillageLine] = field(default_factory=list)  # commune report only
    lagging: list[TargetLine] = field(default_factory=list)  # commune report: villages and members behind
    proposals: str = ""
    prepared_by: str = ""
    version: Optional[int] = None  # set once frozen
    note: Optional[str] = None

    @property
    def is_commune(self) -> bool:
        return self.unit.kind == ReportKind.COMMUNE

    @property
    def printed_on(self) -> date:
        return to_local(self.built_at).date()

    @property
    def next_week(self) -> Week:
        return self.week.shifted(1)

    @property
    def renewals_until(self) -> date:
        return self.as_of + RENEWALS_AHEAD

    @property
    def partial_week(self) -> bool:
        return self.as_of < self.week.last

    @property
    def dropout_reasons(self) -> list[tuple[DropoutReason, int]]:
        counted = Counter(d.reason for d in self.dropouts)
        return [(reason, counted[reason]) for reason in DropoutReason if counted[reason]]

    @property
    def enrolment_total(self) -> EnrolmentSum:
        total = EnrolmentSum(Scheme.BHXH_TN, EnrolmentKind.NEW)
        for s in self.enrolment_sums:
            for name in ("people", "months", "amount_total", "amount_person", "amount_support", "amount_other"):
                setattr(total, name, getattr(total, name) + getattr(s, name))
        return total

    @property
    def chart_max(self) -> int:
        return max([c.visits for c in self.chart] + [1])

    @property
    def lagging_units(self) -> list[tuple[str, Optional[str], list[TargetLine]]]:
        """Each village or member behind on something, once, with every target they are behind on."""
        grouped: dict[tuple[str, Optional[str], bool], list[TargetLine]] = {}
        for line in self.lagging:
            grouped.setdefault((line.unit, line.village, line.target.member_id is None), []).append(line)
        return [(unit, village, lines) for (unit, village, _v), lines in grouped.items()]

    @property
    def lagging_villages(self) -> list[TargetLine]:
        return [ln for ln in self.lagging if ln.target.member_id is None]

    @property
    def lagging_members(self) -> list[TargetLine]:
        return [ln for ln in self.lagging if ln.target.member_id is not None]


# --- building ----------------------------------------------------------------------------------------------------

# The statements of a report, built once with bound parameters: building and keying them anew for every report was
# a quarter of a village report's time. ``village_ids`` is always the report's villages; ``low`` and ``high`` are
# the instants that bound the local days [first, last].


def _villages_param():
    return bindparam("village_ids", expanding=True)


def _day(name: str):
    return bindparam(name, type_=Visit.next_date.type)


def _instant(name: str):
    return bindparam(name, type_=Visit.visited_at.type)


_MEMBER_NAMES = (select(CommitteeMember.id, CommitteeMember.full_name)
                 .join(Committee, Committee.id == CommitteeMember.committee_id)
                 .where(Committee.village_id.in_(_villages_param())))
_VISITS = (select(Visit.visited_at, Visit.household_id, Visit.member_id, Visit.outcome, Visit.reason, Visit.scheme,
                  Visit.channel, Visit.next_date, Visit.notes, Household.village_id, Household.code,
                  Household.head_name)
           .join(Household, Household.id == Visit.household_id)
           .where(Household.village_id.in_(_villages_param()), Visit.visited_at >= _instant("low"),
                  Visit.visited_at < _instant("high"))
           .order_by(Visit.visited_at, Visit.id))
_PEOPLE_NAMED = (select(func.count(func.distinct(VisitPerson.person_id)))
                 .select_from(VisitPerson).join(Visit, Visit.id == VisitPerson.visit_id)
                 .join(Household, Household.id == Visit.household_id)
                 .where(Household.village_id.in_(_villages_param()), Visit.visited_at >= _instant("low"),
                        Visit.visited_at < _instant("high")))
_ENROLMENTS = (select(Enrolment.receipt_date, Enrolment.created_at, Enrolment.scheme, Enrolment.kind, Enrolment.months,
                      Enrolment.from_month, Enrolment.valid_until, Enrolment.amount_total, Enrolment.amount_person,
                      Enrolment.amount_state, Enrolment.amount_local, Enrolment.amount_other, Enrolment.receipt_no,
                      Enrolment.member_id, Enrolment.sponsorship_id, Person.full_name, Person.bhxh_code,
                      Household.code, Household.village_id, Person.consent_withdrawn_at)
               .join(Person, Person.id == Enrolment.person_id).join(Household, Household.id == Person.household_id)
               .where(Household.village_id.in_(_villages_param()),
                      or_(and_(Enrolment.receipt_date.is_not(None), Enrolment.receipt_date >= _day("first"),
                               Enrolment.receipt_date <= _day("last")),
                          and_(Enrolment.receipt_date.is_(None), Enrolment.created_at >= _instant("low"),
                               Enrolment.created_at < _instant("high"))))
               .order_by(Enrolment.receipt_date, Enrolment.created_at, Enrolment.id))
_DROPOUTS = (select(Dropout.scheme, Dropout.ended_on, Dropout.reason, Dropout.note, Dropout.member_id,
                    Person.full_name, Household.code, Household.village_id, Person.consent_withdrawn_at)
             .join(Person, Person.id == Dropout.person_id).join(Household, Household.id == Person.household_id)
             .where(Household.village_id.in_(_villages_param()), Dropout.created_at >= _instant("low"),
                    Dropout.created_at < _instant("high"))
             .order_by(Dropout.created_at, Dropout.id))
_SPONSORSHIPS = (select(Sponsorship, Donor, Person.full_name, Household.code, Household.village_id,
                        Person.consent_withdrawn_at)
                 .join(Donor, Donor.id == Sponsorship.donor_id).join(Person, Person.id == Sponsorship.person_id)
                 .join(Household, Household.id == Person.household_id)
                 .where(Household.village_id.in_(_villages_param()),
                        Sponsorship.status != SponsorshipStatus.CANCELLED,
                        or_(and_(Sponsorship.created_at >= _instant("low"), Sponsorship.created_at < _instant("high")),
                            Sponsorship.paid_on.between(_day("first"), _day("last")),
                            Sponsorship.handed_over_on.between(_day("first"), _day("last"))))
                 .order_by(Sponsorship.id))
_HELD = (select(Assignment.member_id, func.count(Assignment.id))
         .join(Household, Household.id == Assignment.household_id)
         .where(Assignment.member_id.in_(bindparam("member_ids", expanding=True)), Assignment.valid_to.is_(None),
                Household.archived_at.is_(None))
         .group_by(Assignment.member_id))
_OVERDUE = (select(FollowUp.member_id, func.count(FollowUp.id))
            .join(Household, Household.id == FollowUp.household_id)
            .where(FollowUp.member_id.in_(bindparam("member_ids", expanding=True)),
                   FollowUp.status == FollowUpStatus.OPEN, FollowUp.due_on < _day("as_of"),
                   Household.archived_at.is_(None))
            .group_by(FollowUp.member_id))
_FOLLOW_UPS = (select(FollowUp.due_on, FollowUp.kind, FollowUp.member_id, FollowUp.note, Household.code,
                      Household.head_name, Household.village_id)
               .join(Household, Household.id == FollowUp.household_id)
               .where(Household.village_id.in_(_villages_param()), Household.archived_at.is_(None),
                      Household.outreach_stopped.is_(None), FollowUp.status == FollowUpStatus.OPEN,
                      FollowUp.due_on.between(_day("first"), _day("last")))
               .order_by(FollowUp.due_on, Household.code, FollowUp.id))
_IN_VILLAGES = Household.village_id.in_(_villages_param())  # the households of the report's villages
_RESPONSIBLE = (select(Assignment.household_id, Assignment.member_id)
                .join(Household, Household.id == Assignment.household_id)
                .where(Household.village_id.in_(_villages_param()), Assignment.valid_to.is_(None)))


def _names(session: Session, village_ids: list[int]) -> tuple[dict[int, str], dict[int, str]]:
    """Village names, and the names of every member who ever sat on these villages' committees."""
    params = {"village_ids": list(village_ids)}
    villages = dict(read_rows(session, VILLAGE_NAMES, {"ids": params["village_ids"]}))
    members = dict(read_rows(session, _MEMBER_NAMES, params))
    return villages, members


def _span(village_ids: list[int], first: date, last: date) -> dict:
    low, high = local_day_bounds(first, last)
    return {"village_ids": list(village_ids), "first": first, "last": last, "low": low, "high": high}


def shown_name(full_name: str, withdrawn_at: Optional[datetime]) -> str:
    """A person as reports name them: not at all once they withdrew consent (they are still counted)."""
    from flask_babel import gettext as _

    return _("(người đã rút đồng ý)") if withdrawn_at is not None else full_name


def _visits(session: Session, village_ids: list[int], first: date, last: date, villages: dict, members: dict):
    params = _span(village_ids, first, last)
    rows = read_rows(session, _VISITS, params)
    lines = [VisitLine(to_local(v.visited_at).replace(tzinfo=None), v.village_id, villages[v.village_id], v.code,
                       v.head_name, members.get(v.member_id, ""), v.outcome, v.reason, v.scheme, v.channel,
                       v.next_date, v.notes) for v in rows]
    named = read_rows(session, _PEOPLE_NAMED, params)[0][0]
    visited_by_member: dict[int, set[int]] = defaultdict(set)
    for v in rows:
        visited_by_member[v.member_id].add(v.household_id)
    return lines, len({v.household_id for v in rows}), int(named or 0), visited_by_member


def _enrolments(session: Session, village_ids: list[int], first: date, last: date, villages: dict,
                members: dict) -> list[EnrolmentLine]:
    rows = read_rows(session, _ENROLMENTS, _span(village_ids, first, last))
    return [EnrolmentLine(
        e.receipt_date or to_local(e.created_at).date(), villages[e.village_id], e.code,
        shown_name(e.full_name, e.consent_withdrawn_at), mask(e.bhxh_code) if e.consent_withdrawn_at is None else "",
        e.scheme, e.kind, e.months, e.from_month, e.valid_until, e.amount_total, e.amount_person,
        e.amount_state + e.amount_local, e.amount_other, e.receipt_no, members.get(e.member_id, ""),
        e.sponsorship_id is not None)
        for e in rows]


def enrolment_sums(lines: list[EnrolmentLine]) -> list[EnrolmentSum]:
    """Per scheme and kind, in a fixed order; people counted once per scheme and kind."""
    sums = {(s, k): EnrolmentSum(s, k) for s in Scheme for k in EnrolmentKind}
    seen: dict[tuple, set] = defaultdict(set)
    for line in lines:
        total = sums[(line.scheme, line.kind)]
        seen[(line.scheme, line.kind)].add((line.village, line.household_code, line.person))
        total.months += line.months
        total.amount_total += line.amount_total
        total.amount_person += line.amount_person
        total.amount_support += line.amount_support
        total.amount_other += line.amount_other
    for key, total in sums.items():
        total.people = len(seen[key])
    return list(sums.values())


def _dropouts(session: Session, village_ids: list[int], first: date, last: date, villages: dict,
              members: dict) -> list[DropoutLine]:
    rows = read_rows(session, _DROPOUTS, _span(village_ids, first, last))
    return [DropoutLine(d.village_id, villages[d.village_id], d.code, shown_name(d.full_name, d.consent_withdrawn_at),
                        d.scheme, d.ended_on, d.reason, d.note if d.consent_withdrawn_at is None else None,
                        members.get(d.member_id, ""))
            for d in rows]


def _sponsorships(session: Session, village_ids: list[int], first: date, last: date,
                  villages: dict) -> list[SponsorshipLine]:
    rows = session.exec(_SPONSORSHIPS, params=_span(village_ids, first, last)).all()
    lines = []
    for s, donor, name, code, vid, gone in rows:
        days = [d for d in (to_local(s.created_at).date(), s.paid_on, s.handed_over_on) if d and first <= d <= last]
        lines.append(SponsorshipLine(max(days), villages[vid], donor_name(donor), shown_name(name, gone), code,
                                     s.scheme, s.months,
                                     s.amount, s.status))
    return sorted(lines, key=lambda ln: (ln.day, ln.village, ln.recipient))


def donor_name(donor: Donor) -> str:
    """A donor is named on paper only with their consent; otherwise "Nhà hảo tâm" (or the kind of organisation)."""
    from flask_babel import gettext as _

    if donor.consent_public:
        return donor.name
    return _("Nhà hảo tâm (không công khai tên)") if donor.kind == DonorKind.PERSON else donor.kind.label


def _members(session: Session, village_ids: list[int], as_of: date, villages: dict, by_member: dict[int, Counts],
             visited: dict[int, set[int]]) -> list[MemberLine]:
    members = active_members(session, village_ids)
    ids = [m.id for m, _v in members]
    if not ids:
        return []
    held = dict(read_rows(session, _HELD, {"member_ids": ids}))
    overdue = dict(read_rows(session, _OVERDUE, {"member_ids": ids, "as_of": as_of}))
    lines = []
    for member, village_id in members:
        counts = by_member.get(member.id, Counts())
        lines.append(MemberLine(member.full_name, villages[village_id], member.organisation, member.is_head,
                                held.get(member.id, 0), len(visited.get(member.id, ())), counts.visits, counts.new,
                                counts.renewals, overdue.get(member.id, 0)))
    return lines


def _follow_ups(session: Session, village_ids: list[int], week: Week, villages: dict,
                members: dict) -> list[FollowUpLine]:
    rows = read_rows(session, _FOLLOW_UPS, {"village_ids": list(village_ids), "first": week.last + timedelta(days=1),
                                            "last": week.last + timedelta(days=7)})
    return [FollowUpLine(f.due_on, villages[f.village_id], f.code, f.head_name, f.kind, members.get(f.member_id, ""),
                         f.note)
            for f in rows]


def _renewals(session: Session, village_ids: list[int], as_of: date, villages: dict,
              members: dict) -> list[RenewalLine]:
    responsible = dict(read_rows(session, _RESPONSIBLE, {"village_ids": list(village_ids)}))
    rows = renewals_due(session, _IN_VILLAGES, as_of, {"village_ids": list(village_ids)}, limit=5000)
    return [RenewalLine(r.ends, r.household.village_id, villages[r.household.village_id], r.household.code, r.person.full_name, r.scheme,
                        members.get(responsible.get(r.household.id), ""), r.overdue)
            for r in rows if r.ends <= as_of + RENEWALS_AHEAD]


def _chart_weeks(week: Week) -> list[Week]:
    return [week.shifted(-i) for i in reversed(range(CHART_WEEKS))]


def _chart(tally: Tally, village_ids: set[int], week: Week, as_of: date) -> list[ChartWeek]:
    weeks = _chart_weeks(week)
    chart = []
    for w in weeks:
        by_village, _by_member = tally.window(w.first, min(w.last, as_of))
        total = sum((c for v, c in by_village.items() if v in village_ids), Counts())
        chart.append(ChartWeek(w, total.visits, total.new, total.renewals))
    return chart


_TARGETS_IN_WEEK = select(Target).where(Target.commune_id == bindparam("commune_id"), Target.member_id.is_(None),
                                         Target.period_start <= _day("last"), Target.period_end >= _day("first"))
_TARGETS_OF = {True: _TARGETS_IN_WEEK.where(Target.village_id == bindparam("village_id")),  # built once
               False: _TARGETS_IN_WEEK.where(Target.village_id.is_(None))}


def _targets_in_week(session: Session, unit: Unit, week: Week) -> list[Target]:
    params = {"commune_id": unit.commune.id, "first": week.first, "last": week.last}
    if unit.village:
        params["village_id"] = unit.village.id
    return sorted_targets(session.exec(_TARGETS_OF[unit.village is not None], params=params).all())


def _key_figures(session: Session, tally: Tally, unit: Unit, targets: list[Target], totals: Counts) -> list[KeyFigure]:
    lines = lines_for(session, tally, targets, unit.commune.name)
    return [KeyFigure(ln, None if ln.target.indicator == Indicator.BHYT_COVERAGE else totals.get(ln.target.indicator))
            for ln in lines]


def _head_of(session: Session, village_id: int) -> str:
    for member, _v in active_members(session, [village_id]):
        if member.is_head:
            return member.full_name
    return ""


def _common(session: Session, unit: Unit, village_ids: list[int], week: Week, today: date) -> dict:
    """The parts both reports share, for these villages."""
    as_of = min(today, week.last)
    villages, members = _names(session, village_ids)
    tally = Tally(session, unit.commune.id, as_of, village_ids if unit.village is not None else None)
    targets = _targets_in_week(session, unit, week)
    tally.prefetch([(week.first, as_of)] + [(w.first, min(w.last, as_of)) for w in _chart_weeks(week)] +
                   [w for t in targets if (w := tally.target_window(t))])
    by_village, by_member = tally.window(week.first, as_of)
    totals = sum((by_village.get(v, Counts()) for v in village_ids), Counts())
    visits, visited, named, visited_by_member = _visits(session, village_ids, week.first, as_of, villages,
                                                               members)
    enrolments = _enrolments(session, village_ids, week.first, as_of, villages, members)
    outcomes = Counter(v.outcome for v in visits)
    return dict(
        unit=unit, week=week, as_of=as_of, built_at=utcnow(), totals=totals, households_visited=visited,
        people_named=named, outcomes=[OutcomeCount(o, outcomes[o]) for o in VisitOutcome], visits=visits,
        enrolments=enrolments, enrolment_sums=enrolment_sums(enrolments),
        dropouts=_dropouts(session, village_ids, week.first, as_of, villages, members),
        sponsorships=_sponsorships(session, village_ids, week.first, as_of, villages),
        members=_members(session, village_ids, as_of, villages, by_member, visited_by_member),
        follow_ups=_follow_ups(session, village_ids, week, villages, members),
        renewals=_renewals(session, village_ids, as_of, villages, members),
        chart=_chart(tally, set(village_ids), week, as_of),
        key_figures=_key_figures(session, tally, unit, targets, totals),
        _tally=tally, _by_village=by_village,
    )


def village_report(session: Session, unit: Unit, week: Week, today: date) -> Report:
    parts = _common(session, unit, [unit.village.id], week, today)
    parts.pop("_tally"), parts.pop("_by_village")
    events = events_in_period(session, unit.commune.id, unit.village.id, week.first, parts["as_of"])
    return Report(head=_head_of(session, unit.village.id), events=events, **parts)


def _village_lines(session: Session, unit: Unit, villages: list[Village], report_parts: dict,
                   main: Optional[TargetLine], parts: dict[int, TargetLine]) -> list[VillageLine]:
    tally = report_parts["_tally"]
    by_village = report_parts["_by_village"]
    coverage, _by_member = tally.coverage()
    households = dict(session.exec(
        select(Household.village_id, func.count(Household.id))
        .where(Household.village_id.in_([v.id for v in villages]), Household.archived_at.is_(None))
        .group_by(Household.village_id)).all())
    visited = defaultdict(set)
    for line in report_parts["visits"]:
        visited[line.village_id].add(line.household_code)
    dropouts = Counter(d.village_id for d in report_parts["dropouts"])
    due = Counter(r.village_id for r in report_parts["renewals"] if not r.lapsed)
    heads = {v: m.full_name for m, v in active_members(session, [v.id for v in villages]) if m.is_head}
    ordered = sorted(villages, key=lambda v: rank_key(parts.get(v.id), v.name))
    return [VillageLine(i + 1, v, heads.get(v.id, ""), households.get(v.id, 0), by_village.get(v.id, Counts()),
                        len(visited[v.id]), dropouts[v.id], due[v.id], *coverage.get(v.id, (0, 0)),
                        parts.get(v.id)) for i, v in enumerate(ordered)]


def commune_report(session: Session, unit: Unit, week: Week, today: date) -> Report:
    villages = list(session.exec(select(Village).where(
        Village.commune_id == unit.commune.id,
        or_(Village.valid_to.is_(None), Village.valid_to >= week.first)).order_by(Village.code)).all())
    report_parts = _common(session, unit, [v.id for v in villages], week, today)
    tally = report_parts["_tally"]
    commune_lines = [kf.line for kf in report_parts["key_figures"]]
    children = children_of(session, [ln.target for ln in commune_lines])
    village_parts = lines_for(session, tally, [c for ln in commune_lines for c in children.get(ln.target.id, [])])
    grandchildren = children_of(session, [ln.target for ln in village_parts])
    member_parts = lines_for(session, tally, [g for ln in village_parts for g in grandchildren.get(ln.target.id, [])])
    main = main_target(commune_lines, report_parts["as_of"], None)
    parts = {ln.target.village_id: ln for ln in village_parts if main and ln.target.parent_id == main.target.id}
    lines = _village_lines(session, unit, villages, report_parts, main, parts)
    report_parts.pop("_tally"), report_parts.pop("_by_village")
    lagging = sorted([ln for ln in village_parts if ln.lagging], key=lambda ln: (ln.unit, ln.target.id)) + \
        sorted([ln for ln in member_parts if ln.lagging], key=lambda ln: (ln.village or "", ln.unit, ln.target.id))
    events = events_in_period(session, unit.commune.id, None, week.first, report_parts["as_of"])
    return Report(head="", events=events, villages=lines, lagging=lagging, **report_parts)


def build(session: Session, unit: Unit, week: Week, today: date) -> Report:
    if unit.kind == ReportKind.VILLAGE:
        return village_report(session, unit, week, today)
    return commune_report(session, unit, week, today)
