"""Query plans and query counts of the member's and the official's pages (issue 9): no full scan of a table that
grows, no N+1.

**Plans.** The demo commune with three villages (``build_demo``: 160–260 households each, their people, eight weeks
of visits, follow-ups, enrolments, assignments, sponsorships, targets), three other communes of 600 households each (with
people, visits, follow-ups, assignments, sponsorships, enrolments, visits waiting for an official) and 3,000 audit
rows are seeded, the planner statistics gathered (``ANALYZE``), then the hot pages are asked as a member, a committee
head and an official (``pages``). Every SELECT, UPDATE and DELETE a request sends is captured by a
``before_cursor_execute`` listener on the app's engine, with its parameters, and explained with the same parameters:

* SQLite: ``EXPLAIN QUERY PLAN``; a ``SCAN <table>`` line without ``USING INDEX`` / ``USING COVERING INDEX`` reads
  the whole table (``SEARCH`` is an index lookup). SQLite has no switch to price scans out, so its statistics are
  scaled to a deployment's size first (``analyze``): with a few thousand rows a scan is its cheapest plan.
* PostgreSQL: ``EXPLAIN (FORMAT JSON)`` with ``SET enable_seqscan = off``. With tables of a few thousand rows the
  planner rightly prefers a sequential scan, which says nothing about the million-row deployment; with sequential
  scans priced out, a ``Seq Scan`` node that remains means no index can serve the query at all. (Full *index*
  scans are not flagged: with sequential scans off, PostgreSQL reads a hash join's inner side through an index.)

Every table is checked except the few in ``SMALL_TABLES`` (each with its reason); a scan found fails the test with
the pages, the query and its plan. ``ALLOWED_SCANS`` would list a legitimate scan of a checked table, with its reason:
there is none today.

**Counts.** A page's number of queries must not grow with the households, visits or people it shows: each page is
asked with 10 and with 40 households in the member's village (the first household's own visits growing too), and
the counts must be equal; the listing pages must show some of the households added last.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Iterator, Optional

from sqlalchemy import event, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from fieldwork.db import get_engine
from fieldwork.demo import DEMO_COMMUNE_CODE, DEMO_PASSWORD, HEAD_PHONE, MEMBER_PHONE, OFFICIAL_PHONE, build_demo
from fieldwork.households import search
from fieldwork.models import (
    Assignment,
    AttentionReason,
    AuditEvent,
    BhytStatus,
    Channel,
    Committee,
    CommitteeMember,
    Commune,
    Donor,
    DonorKind,
    Enrolment,
    EnrolmentKind,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Household,
    Organisation,
    Person,
    Poverty,
    Relation,
    Role,
    Scheme,
    Sex,
    Sponsorship,
    SponsorshipStatus,
    Target,
    User,
    Village,
    Visit,
    VisitAttention,
    VisitOutcome,
    VisitPerson,
    utcnow,
)
from fieldwork.reports.week import week_of
from fieldwork.text import local_today
from tests.conftest import PASSWORD

# The administrative catalogue is loaded whole by every deployment: its statistics are already a deployment's.
CATALOGUE = frozenset({"province", "commune"})

# The tables a page may read whole, and why. Every other table is checked, not only the large ones: a table missing
# from both lists (a new one) is checked by default.
SMALL_TABLES: dict[str, str] = {
    "province": "the administrative catalogue: 34 provinces",
    "policy_parameter": "the legal parameters: a few dozen dated values for the whole country",
    "alembic_version": "one row",
}

# (table, a regular expression the query matches) -> why reading that table whole is right there.
ALLOWED_SCANS: dict[tuple[str, str], str] = {}


# --- capturing and explaining ------------------------------------------------------------------------------------


@dataclass
class Captured:
    statement: str
    parameters: object


@dataclass
class Capture:
    """The statements sent while the ``with`` block runs (executemany batches are left out: INSERTs only)."""

    engine: Engine
    statements: list[Captured] = field(default_factory=list)

    def __enter__(self) -> "Capture":
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, parameters, _context, executemany) -> None:
        if not executemany:
            self.statements.append(Captured(statement, parameters))

    @property
    def queries(self) -> list[Captured]:
        """The statements that read rows: SELECT, and UPDATE/DELETE (their WHERE is planned the same way)."""
        return [c for c in self.statements if _verb(c.statement) in {"SELECT", "WITH", "UPDATE", "DELETE"}]


def _verb(statement: str) -> str:
    return statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""


def full_scans(engine: Engine, captured: Captured) -> tuple[list[str], str]:
    """The large tables a statement reads whole, and its plan as text."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + captured.statement, captured.parameters).all()
            plan = "\n".join(row[-1] for row in rows)
            tables = [table for table in map(_sqlite_scanned, plan.splitlines()) if table]
            return [t for t in tables if t not in SMALL_TABLES], plan
        conn.exec_driver_sql("SET enable_seqscan = off")
        try:
            raw = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + captured.statement, captured.parameters).scalar()
        finally:
            conn.rollback()
        document = raw if isinstance(raw, list) else json.loads(raw)
        tables = [node["Relation Name"] for node in _nodes(document[0]["Plan"]) if node["Node Type"] == "Seq Scan"]
        lines = []
        _describe(document[0]["Plan"], 0, lines)
        return [t for t in tables if t not in SMALL_TABLES], "\n".join(lines)


def _sqlite_scanned(line: str) -> Optional[str]:
    """The table a line of SQLite's plan reads whole, if it does. "USING (COVERING) INDEX" walks an index; FTS5's
    MATCH is answered by its own index ("VIRTUAL TABLE INDEX"); "CONSTANT ROW" reads no table."""
    match = re.match(r"\s*SCAN (\w+)(?: AS \w+)?(.*)$", line)
    if match is None or match.group(1) == "CONSTANT":
        return None
    if any(word in match.group(2) for word in ("USING INDEX", "USING COVERING INDEX", "VIRTUAL TABLE")):
        return None
    return match.group(1)


def _nodes(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


def _describe(node: dict, depth: int, lines: list[str]) -> None:
    details = [f"{key}: {node[key]}" for key in ("Relation Name", "Index Name", "Index Cond", "Filter") if key in node]
    lines.append("  " * depth + node["Node Type"] + (" (" + "; ".join(details) + ")" if details else ""))
    for child in node.get("Plans", ()):
        _describe(child, depth + 1, lines)


def allowed_reason(table: str, statement: str) -> Optional[str]:
    for (allowed_table, pattern), reason in ALLOWED_SCANS.items():
        if allowed_table == table and re.search(pattern, statement, re.S):
            return reason
    return None


# --- the seeded world --------------------------------------------------------------------------------------------


@dataclass
class Ids:
    village: int
    household: int  # assigned to the demo member
    person: int
    visit: int
    target: int
    sponsorship: int
    donor: int
    attention: int
    other_village: int  # in the same commune
    member_user: int


def seed_other_communes(db: Session, communes: int = 3, households: int = 600) -> None:
    """Other communes of the deployment, bigger together than the demo commune: a province's database holds many
    communes, so a page of one commune must find its rows among everybody's (and SQLite's planner, which has no
    switch to refuse a scan, sees the proportions a deployment has)."""
    today = local_today()
    now = utcnow()
    rows = db.exec(select(Commune).where(Commune.code != DEMO_COMMUNE_CODE).order_by(Commune.id).limit(communes)).all()
    for c, commune in enumerate(rows):
        village = Village(commune_id=commune.id, code=f"K{c:02d}", name=f"Thôn Khác Số {c}")
        db.add(village)
        db.flush()
        committee = Committee(village_id=village.id, established_on=date(2025, 8, 15))
        db.add(committee)
        db.flush()
        member = CommitteeMember(committee_id=committee.id, full_name=f"Lò Văn Pọm {c}", phone=f"09110000{c:02d}",
                                 organisation=Organisation.FRONT, is_head=True, joined_on=date(2025, 8, 15))
        donor = Donor(commune_id=commune.id, name=f"Nhà hảo tâm {c}", kind=DonorKind.PERSON)
        db.add_all([member, donor])
        db.flush()
        hh_ids = db.execute(insert(Household).returning(Household.id, sort_by_parameter_order=True), [
            {"village_id": village.id, "code": f"K{c}-{n:04d}", "head_name": f"Lò Văn Số {n}",
             "hamlet_group": f"Xóm {n % 4}", "created_at": now, "updated_at": now} for n in range(households)
        ]).scalars().all()
        person_ids = db.execute(insert(Person).returning(Person.id, sort_by_parameter_order=True), [
            {"household_id": h, "full_name": f"Lò Thị Số {h}-{i}", "name_key": f"lo thi so {h} {i}",
             "birth_year": 1960 + 10 * i, "sex": Sex.FEMALE, "relation": Relation.HEAD if i == 0 else Relation.CHILD,
             "bhyt_status": BhytStatus.HOUSEHOLD if i == 1 else BhytStatus.NONE,
             "bhyt_card_expiry": today + timedelta(days=h % 90) if i == 1 else None,
             "created_at": now, "updated_at": now} for h in hh_ids for i in range(3)
        ]).scalars().all()
        db.execute(insert(Assignment), [{"household_id": h, "member_id": member.id, "valid_from": date(2026, 1, 1),
                                         "created_at": now} for h in hh_ids])
        visit_ids = db.execute(insert(Visit).returning(Visit.id, sort_by_parameter_order=True), [
            {"uuid": str(uuid.uuid4()), "household_id": h, "member_id": member.id,
             "visited_at": now - timedelta(days=h % 50, hours=1), "outcome": VisitOutcome.CONSIDERING,
             "channel": Channel.HOME, "created_at": now, "updated_at": now} for h in hh_ids
        ]).scalars().all()
        db.execute(insert(VisitPerson), [{"visit_id": v, "person_id": person_ids[3 * n]}
                                         for n, v in enumerate(visit_ids)])
        db.execute(insert(FollowUp), [
            {"household_id": h, "member_id": member.id, "visit_id": v, "kind": FollowUpKind.REVISIT,
             "status": FollowUpStatus.OPEN, "due_on": today + timedelta(days=n % 30), "created_at": now}
            for n, (h, v) in enumerate(zip(hh_ids, visit_ids))])
        db.execute(insert(VisitAttention), [{"visit_id": v, "reason": AttentionReason.REASSIGNED, "created_at": now,
                                             "resolved_at": now if n % 4 else None}
                                            for n, v in enumerate(visit_ids[::3])])
        sponsored = person_ids[2::9]
        sponsorship_ids = db.execute(insert(Sponsorship).returning(Sponsorship.id, sort_by_parameter_order=True), [
            {"donor_id": donor.id, "person_id": p, "scheme": Scheme.BHYT_HGD, "months": 12,
             "from_month": today.replace(day=1), "amount": 884_520, "status": SponsorshipStatus.PAID,
             "paid_on": today - timedelta(days=p % 60), "created_at": now - timedelta(days=p % 60)} for p in sponsored
        ]).scalars().all()
        db.execute(insert(Enrolment), [
            {"person_id": p, "scheme": Scheme.BHYT_HGD, "kind": EnrolmentKind.NEW, "months": 12,
             "from_month": today.replace(day=1), "valid_until": today + timedelta(days=300 + p % 60), "bhyt_rank": 1,
             "amount_total": 884_520, "amount_person": 0, "sponsorship_id": s, "member_id": member.id,
             "receipt_date": today - timedelta(days=p % 60), "created_at": now - timedelta(days=p % 60)}
            for p, s in zip(sponsored, sponsorship_ids)])
        db.flush()
        search.rebuild(db, [village.id])


def seed_audit_trail(db: Session, rows: int = 3000) -> None:
    """Audit rows of other records, so the history pages look their records up among many."""
    db.add_all([AuditEvent(action="update", entity="household" if n % 2 else "person", entity_id=100_000 + n,
                           after={"n": n}) for n in range(rows)])
    db.flush()


def seed_world(app) -> Ids:
    engine = get_engine(app)
    with Session(engine, expire_on_commit=False) as db:
        with app.test_request_context():
            build_demo(db, local_today(), villages=3)
        db.commit()
        seed_other_communes(db)
        seed_audit_trail(db)
        member_user = db.exec(select(User).where(User.phone == MEMBER_PHONE)).one()
        member = db.exec(select(CommitteeMember).where(CommitteeMember.user_id == member_user.id)).one()
        household = db.exec(select(Household).join(Assignment, Assignment.household_id == Household.id)
                            .where(Assignment.member_id == member.id, Assignment.valid_to.is_(None))
                            .order_by(Household.id)).first()
        person = db.exec(select(Person).where(Person.household_id == household.id).order_by(Person.id)).first()
        visit = db.exec(select(Visit).where(Visit.member_id == member.id).order_by(Visit.id)).first()
        attention = VisitAttention(visit_id=visit.id, reason=AttentionReason.REASSIGNED)
        db.add(attention)
        village_ids = db.exec(select(Village.id).where(Village.commune_id == member_user.commune_id)
                              .order_by(Village.id)).all()
        target = db.exec(select(Target).where(Target.village_id == member_user.village_id)).first()
        sponsorship = db.exec(select(Sponsorship).order_by(Sponsorship.id)).first()
        donor = db.exec(select(Donor).where(Donor.commune_id == member_user.commune_id).order_by(Donor.id)).first()
        db.commit()
        ids = Ids(village=member_user.village_id, household=household.id, person=person.id, visit=visit.id,
                  target=target.id, sponsorship=sponsorship.id, donor=donor.id, attention=attention.id,
                  other_village=[v for v in village_ids if v != member_user.village_id][0],
                  member_user=member_user.id)
    analyze(engine)
    return ids


DEPLOYMENT_SCALE = 100  # SQLite's statistics are scaled as if the database held this many times the seeded rows


def analyze(engine: Engine) -> None:
    """Gather the planner statistics; on SQLite, then scale them to a deployment's size.

    SQLite has no switch to price scans out, and with a few thousand rows a scan of a whole table is its cheapest
    plan, which says nothing about a province's database. ``sqlite_stat1`` (documented as editable, to plan for
    another database's data) keeps per index "rows in the table, rows per distinct key prefix...": the tables' row
    counts are multiplied by ``DEPLOYMENT_SCALE`` and the rows per key kept, i.e. as many more villages, households
    and people of the same shape; ``ANALYZE sqlite_schema`` reloads them.
    """
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        if engine.dialect.name != "sqlite":
            return
        rows = conn.exec_driver_sql("SELECT tbl, idx, stat FROM sqlite_stat1").all()
        for table, index, stat in rows:
            if table in CATALOGUE or table in SMALL_TABLES or not stat:
                continue
            first, _sep, rest = stat.partition(" ")
            scaled = f"{int(first) * DEPLOYMENT_SCALE} {rest}".strip()
            conn.exec_driver_sql("UPDATE sqlite_stat1 SET stat = ? WHERE tbl = ? AND idx IS ?", (scaled, table, index))
        conn.exec_driver_sql("ANALYZE sqlite_schema")


# --- the pages ---------------------------------------------------------------------------------------------------


@dataclass
class Page:
    who: str  # "member" | "head" | "official"
    url: str
    form: Optional[Callable[[Ids], dict]] = None  # a POST with this form (the CSRF token is added)
    lists: bool = False  # (query counts) lists the households: some of the 30 added later must be on it
    json: Optional[Callable[[Ids], dict]] = None  # a JSON POST (the CSRF token in the header), as the phone sends


def _visit_form(ids: Ids) -> dict:
    return {"uuid": str(uuid.uuid4()), "outcome": "considering", "channel": "home",
            "next_date": (local_today() + timedelta(days=7)).isoformat(), "notes": "Hẹn tuần sau"}


def _queued_visits(ids: Ids) -> dict:
    """What the phone sends when it comes back online: two visits queued for the member's household."""
    day = (local_today() - timedelta(days=1)).isoformat()
    return {"user_id": ids.member_user, "visits": [
        {"uuid": str(uuid.uuid4()), "household_id": ids.household, "outcome": "considering", "channel": "home",
         "visited_at": f"{day}T{hour:02d}:00:00+07:00"} for hour in (9, 10)]}


def pages(ids: Ids) -> list[Page]:
    tuan = f"tuan={week_of(local_today()).shifted(-1).key}"
    v, hh, p = ids.village, ids.household, ids.person
    return [
        # the member, on the phone
        Page("member", "/"),
        Page("member", f"/ho/{hh}"),
        Page("member", f"/nguoi/{p}"),
        Page("member", "/tim-kiem?q=nguyen"),
        Page("member", "/tim-kiem?q=nguyen+van+h"),
        Page("member", f"/ho/{hh}/van-dong"),
        Page("member", f"/ho/{hh}/van-dong", form=_visit_form),
        Page("member", "/dong-bo/van-dong", json=_queued_visits),
        Page("member", "/?q=nguyen"),
        Page("member", "/?viec=1"),
        Page("member", "/tien-do"),
        Page("member", "/gia-han"),
        Page("member", "/tai-tro"),
        Page("member", "/tai-tro/can-ho-tro"),
        Page("member", f"/bao-cao/thon/{v}?{tuan}"),
        Page("member", "/hoat-dong"),
        Page("member", "/dong-bo/phien"),
        # the committee head
        Page("head", "/"),
        Page("head", f"/thon/{v}/phan-cong"),
        Page("head", f"/chi-tieu/{ids.target}"),
        # the commune official
        Page("official", "/"),
        Page("official", "/thon"),
        Page("official", f"/thon/{v}"),
        Page("official", f"/thon/{v}/ho"),
        Page("official", f"/thon/{ids.other_village}/ho"),
        Page("official", f"/ho/{hh}"),
        Page("official", f"/nguoi/{p}"),
        Page("official", "/tim-kiem?q=tran+thi"),
        Page("official", "/phan-cong"),
        Page("official", f"/ho/{hh}/phan-cong"),
        Page("official", "/van-dong/can-xem"),
        Page("official", "/bao-cao"),
        Page("official", f"/bao-cao/thon/{v}?{tuan}"),
        Page("official", f"/bao-cao/xa?{tuan}"),
        Page("official", f"/bao-cao/xa/tuan.xlsx?{tuan}"),
        Page("official", "/chi-tieu"),
        Page("official", f"/chi-tieu/{ids.target}"),
        Page("official", "/thi-dua"),
        Page("official", "/tai-tro"),
        Page("official", f"/tai-tro/{ids.sponsorship}"),
        Page("official", "/tai-tro/can-ho-tro"),
        Page("official", "/nha-tai-tro"),
        Page("official", f"/nha-tai-tro/{ids.donor}"),
        Page("official", "/gia-han"),
        Page("official", "/hoat-dong"),
        Page("official", f"/lich-su/ho/{hh}"),
        Page("official", f"/lich-su/nguoi/{p}"),
        Page("official", f"/nguoi/{p}/du-lieu.json"),
        Page("official", "/danh-sach-thu"),
        Page("official", "/xa/xuat.xlsx"),
        Page("official", f"/thon/{v}/xuat.xlsx"),
    ]


PHONES = {"member": MEMBER_PHONE, "head": HEAD_PHONE, "official": OFFICIAL_PHONE}


def _sign_in(client, phone: str, password: Optional[str] = DEMO_PASSWORD) -> None:
    client.delete_cookie("session")
    client.delete_cookie("remember_token")
    answer = client.post_form("/dang-nhap", {"phone": phone, "password": password or PASSWORD})
    assert answer.status_code in (302, 303), f"cannot sign in as {phone}: {answer.status_code}"


def _ask(client, page: Page, ids: Ids):
    if page.json is not None:
        return client.post(page.url, json=page.json(ids), headers={"X-CSRFToken": client.csrf_token()})
    if page.form is None:
        return client.get(page.url)
    return client.post_form(page.url, page.form(ids))


# --- the tests ---------------------------------------------------------------------------------------------------


def test_hot_pages_read_no_table_whole(app, backend):
    ids = seed_world(app)
    engine = get_engine(app)
    client = app.test_client()
    findings: dict[tuple[str, str], list[str]] = defaultdict(list)  # (table, statement) -> pages
    plans: dict[str, str] = {}
    explained: dict[tuple[str, str], tuple[list[str], str]] = {}
    signed_in = None
    for page in pages(ids):
        if page.who != signed_in:
            _sign_in(client, PHONES[page.who])
            signed_in = page.who
        with Capture(engine) as capture:
            answer = _ask(client, page, ids)
        assert answer.status_code in (200, 302, 303), f"{page.who} {page.url}: {answer.status_code}"
        for captured in capture.queries:
            key = (captured.statement, repr(captured.parameters))
            if key not in explained:
                explained[key] = full_scans(engine, captured)
            tables, plan = explained[key]
            for table in tables:
                if allowed_reason(table, captured.statement) is None:
                    post = "POST " if page.form or page.json else ""
                    findings[(table, captured.statement)].append(f"{page.who} {post}{page.url}")
                    plans[captured.statement] = plan
    assert len(explained) > 3 * len(pages(ids)), f"only {len(explained)} queries captured: is the listener on?"
    report = [f"[{backend}] full scan of {table} on {sorted(set(where))}:\n{statement}\n-- plan:\n{plans[statement]}\n"
              for (table, statement), where in findings.items()]
    assert not report, f"{len(report)} full table scans:\n\n" + "\n".join(report)


# --- query counts: no N+1 ----------------------------------------------------------------------------------------


@dataclass
class Small:
    """A village whose member is responsible for every household, grown from 10 to 40 households."""

    village: Village
    members: list
    donor: Donor
    users: dict
    households: list = field(default_factory=list)
    first_person: int = 0


def _grow(db: Session, small: Small, count: int) -> None:
    """Add households until there are ``count``: each with three people, a visit, a revisit, a BHYT card running
    out, a proposed sponsorship, a visit an official must look at, and either a near-poor household or a "needs a
    sponsor" task — one more row of everything a page lists."""
    today = local_today()
    member = small.members[1]
    while len(small.households) < count:
        n = len(small.households)
        household = Household(village_id=small.village.id, code=f"N-{n:04d}", head_name=f"Nguyễn Văn Hộ {n}",
                              hamlet_group=f"Xóm {n % 3}", poverty=Poverty.NEAR_POOR if n % 2 else Poverty.NONE)
        db.add(household)
        db.flush()
        people = [Person(household_id=household.id, full_name=f"Nguyễn Thị Người {n}-{i}", birth_year=1960 + 15 * i,
                         sex=Sex.FEMALE, relation=Relation.HEAD if i == 0 else Relation.CHILD,
                         bhyt_status=BhytStatus.HOUSEHOLD if i == 1 else BhytStatus.NONE,
                         bhyt_card_expiry=today + timedelta(days=10) if i == 1 else None) for i in range(3)]
        db.add_all(people)
        db.add(Assignment(household_id=household.id, member_id=member.id, valid_from=date(2026, 1, 1)))
        visit = Visit(uuid=str(uuid.uuid4()), household_id=household.id, member_id=member.id,
                      visited_at=utcnow() - timedelta(days=2 + n % 5), outcome=VisitOutcome.CONSIDERING,
                      created_by_id=small.users["member"].id)
        db.add(visit)
        db.flush()
        db.add(VisitAttention(visit_id=visit.id, reason=AttentionReason.REASSIGNED))
        db.add(FollowUp(household_id=household.id, member_id=member.id, visit_id=visit.id, kind=FollowUpKind.REVISIT,
                        due_on=today - timedelta(days=n % 3)))
        if n % 2 == 0:
            db.add(FollowUp(household_id=household.id, person_id=people[0].id, member_id=member.id, visit_id=visit.id,
                            kind=FollowUpKind.NEEDS_SPONSOR, due_on=today + timedelta(days=7)))
        db.add(Sponsorship(donor_id=small.donor.id, person_id=people[2].id, scheme=Scheme.BHYT_HGD, months=12,
                           from_month=today.replace(day=1), amount=1_263_600,
                           proposed_by_id=small.users["member"].id))
        small.households.append(household)
        if n == 0:
            small.first_person = people[0].id
    first = small.households[0]
    for k in range(count // 10):  # the first household's own history grows too: 1 → 4 more visits, with their people
        visit = Visit(uuid=str(uuid.uuid4()), household_id=first.id, member_id=member.id,
                      visited_at=utcnow() - timedelta(days=10 + k, hours=len(small.households)),
                      outcome=VisitOutcome.AGREED, scheme=Scheme.BHYT_HGD, created_by_id=small.users["member"].id)
        db.add(visit)
        db.flush()
        db.add(VisitPerson(visit_id=visit.id, person_id=small.first_person))
        db.add(FollowUp(household_id=first.id, member_id=member.id, visit_id=visit.id, kind=FollowUpKind.REVISIT,
                        due_on=today + timedelta(days=k + 1)))
    db.flush()
    search.rebuild(db, [small.village.id])
    db.commit()


def _small_world(db, make_village, make_committee, make_user) -> Small:
    village = make_village(name="Thôn Đếm Truy Vấn")
    _committee, members = make_committee(village, members=5)
    other = make_village(name="Thôn Bên Cạnh")
    make_committee(other, members=5)
    users = {"head": make_user(Role.MEMBER, village=village, member=members[0]),
             "member": make_user(Role.MEMBER, village=village, member=members[1]),
             "official": make_user(Role.OFFICIAL, commune_code=db.get(Commune, village.commune_id).code)}
    donor = Donor(commune_id=village.commune_id, name="Công ty Cổ phần Đếm", kind=DonorKind.BUSINESS,
                  consent_public=True)
    db.add(donor)
    db.commit()
    return Small(village=village, members=members, donor=donor, users=users)


def count_pages(small: Small) -> list[Page]:
    tuan = f"tuan={week_of(local_today()).key}"
    v, hh = small.village.id, small.households[0].id
    return [
        Page("member", "/", lists=True),
        Page("member", "/tim-kiem?q=nguyen", lists=True),
        Page("member", "/gia-han", lists=True),
        Page("member", "/tai-tro", lists=True),
        Page("member", "/tai-tro/can-ho-tro", lists=True),
        Page("member", "/tien-do"),
        Page("member", f"/ho/{hh}"),
        Page("member", f"/ho/{hh}/van-dong"),
        Page("member", f"/nguoi/{small.first_person}"),
        Page("head", f"/thon/{v}/phan-cong"),
        Page("official", "/"),
        Page("official", "/thon"),
        Page("official", f"/thon/{v}"),
        Page("official", f"/thon/{v}/ho", lists=True),
        Page("official", "/phan-cong"),
        Page("official", "/van-dong/can-xem", lists=True),
        Page("official", "/tim-kiem?q=nguyen", lists=True),
        Page("official", f"/bao-cao/thon/{v}?{tuan}"),
        Page("official", f"/bao-cao/xa?{tuan}"),
        Page("official", "/tai-tro", lists=True),
        Page("official", "/tai-tro/can-ho-tro", lists=True),
        Page("official", f"/nha-tai-tro/{small.donor.id}", lists=True),
        Page("official", "/gia-han", lists=True),
        Page("official", "/chi-tieu"),
        Page("official", "/thi-dua"),
        Page("official", "/xa/xuat.xlsx"),
        Page("official", f"/thon/{v}/xuat.xlsx"),
        Page("official", f"/lich-su/ho/{hh}"),
        Page("official", f"/lich-su/nguoi/{small.first_person}"),
        Page("official", f"/nguoi/{small.first_person}/du-lieu.json"),
    ]


LATER = re.compile(r"(?:Hộ|Người) (?:1\d|2\d|3\d)\b")  # a household (or its people) of the 30 added later


def _counts(app, small: Small) -> dict[str, int]:
    """Queries per page; at 40 households, checks that the listing pages do show some of the 30 added later."""
    engine = get_engine(app)
    client = app.test_client()
    counts: dict[str, int] = {}
    signed_in = None
    for page in count_pages(small):
        if page.who != signed_in:
            _sign_in(client, small.users[page.who].phone, password=None)
            signed_in = page.who
        with Capture(engine) as capture:
            answer = _ask(client, page, None)
        assert answer.status_code == 200, f"{page.who} {page.url}: {answer.status_code}"
        if page.lists and len(small.households) > 10:
            assert LATER.search(answer.get_data(as_text=True)), f"{page.who} {page.url} lists none of the households"
        counts[f"{page.who} {page.url}"] = len(capture.statements)
    return counts


def test_page_query_counts_do_not_grow_with_the_households_shown(app, db, make_village, make_committee, make_user):
    small = _small_world(db, make_village, make_committee, make_user)
    _grow(db, small, 10)
    few = _counts(app, small)
    _grow(db, small, 40)
    many = _counts(app, small)
    grown = {page: (few[page], many[page]) for page in few if many[page] > few[page]}
    assert not grown, "queries per page grow with the households shown (10 → 40 households): " + ", ".join(
        f"{page}: {a} → {b}" for page, (a, b) in grown.items())
    assert all(count > 2 for count in few.values()), few  # the pages were read, not refused
