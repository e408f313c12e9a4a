"""Every form that accepts a POST, as the bad-input tests send it: who posts it, what stands behind it (a fresh
household, a proposed sponsorship...), which page shows it, what makes it valid, and where an accepted post's text
ends up. The tests check that this table covers every POST rule of the URL map.
"""

from __future__ import annotations

import io
import itertools
import re
import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Callable, Optional

from flask import Flask
from sqlmodel import Session, func, select
from werkzeug.security import generate_password_hash

from fieldwork.models import (
    AttentionReason,
    Assignment,
    BhytStatus,
    Committee,
    CommitteeMember,
    Commune,
    Donor,
    DonorKind,
    Dropout,
    Enrolment,
    Household,
    Indicator,
    Organisation,
    OutreachEvent,
    OutreachKind,
    PeriodKind,
    Person,
    PolicyParameter,
    Relation,
    Report,
    Role,
    Sex,
    Sponsorship,
    Target as TargetRow,
    User,
    Village,
    Visit,
    VisitAttention,
    VisitOutcome,
    utcnow,
)
from fieldwork.text import fold, local_today

from .conftest import PASSWORD
from .fuzz_forms import CSRF_RE
from .imports_files import csv_bytes, sample_rows

COMMUNE_CODE = "07264"
_phones = itertools.count(1)


def fresh_phone() -> str:
    return f"097{next(_phones):07d}"


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One hash of the test password for every account the tests make: scrypt as the app hashes, with a small cost
    (the cost is read from the hash when checking), so signing in takes a millisecond, not a third of a second."""
    return generate_password_hash(PASSWORD, method="scrypt:1024:8:1")


def next_month(today: date) -> str:
    first = today.replace(day=1) + timedelta(days=32)
    return first.strftime("%Y-%m")


# --- the world ------------------------------------------------------------------------------------------------------


@dataclass
class World:
    commune_id: int
    village: Village  # Thôn Đông: committee, the member's households, households to assign
    other_village: Village  # Thôn Tây, same commune: where households move to
    north: Village  # Thôn Bắc: the examples' fresh households (Thôn Đông's pages stay small)
    south: Village  # Thôn Nam: imported lists
    members: list[CommitteeMember]  # Thôn Đông's committee; [0] heads it, [1] is the member who signs in
    users: dict[str, User]  # "admin", "official", "head", "member", "leaver", "changer"
    household: Household  # assigned to members[1]
    donor: Donor
    event: OutreachEvent
    target: TargetRow


def make_user(db: Session, role: Role, name: str, *, commune_id=None, village_id=None, member=None) -> User:
    user = User(phone=fresh_phone(), display_name=name, role=role, password_hash=password_hash(),
                commune_id=commune_id, village_id=village_id)
    db.add(user)
    db.flush()
    if member is not None:
        member.user_id = user.id
        db.add(member)
    return user


def build_world(db: Session) -> World:
    commune_id = db.exec(select(Commune.id).where(Commune.code == COMMUNE_CODE)).one()
    east = Village(commune_id=commune_id, code="FZ-D", name="Thôn Đông")
    west = Village(commune_id=commune_id, code="FZ-T", name="Thôn Tây")
    north = Village(commune_id=commune_id, code="FZ-B", name="Thôn Bắc")
    south = Village(commune_id=commune_id, code="FZ-N", name="Thôn Nam")
    db.add_all([east, west, north, south])
    db.flush()
    members = []
    for village in (east, west):
        committee = Committee(village_id=village.id, established_on=date(2025, 8, 15))
        db.add(committee)
        db.flush()
        orgs = list(Organisation)[:7]
        rows = [CommitteeMember(committee_id=committee.id, full_name=f"Thành Viên {village.name} {i + 1}",
                                phone=fresh_phone(), organisation=orgs[i], is_head=i == 0, joined_on=date(2025, 8, 15))
                for i in range(6)]
        db.add_all(rows)
        db.flush()
        if village is east:
            members = rows
    users = {
        "admin": make_user(db, Role.ADMIN, "Quản Trị Hệ Thống"),
        "official": make_user(db, Role.OFFICIAL, "Cán Bộ Xã", commune_id=commune_id),
        "head": make_user(db, Role.MEMBER, "Trưởng Ban Đông", commune_id=commune_id, village_id=east.id,
                          member=members[0]),
        "member": make_user(db, Role.MEMBER, "Thành Viên Đông", commune_id=commune_id, village_id=east.id,
                            member=members[1]),
        "leaver": make_user(db, Role.OFFICIAL, "Cán Bộ Đăng Xuất", commune_id=commune_id),
        "changer": make_user(db, Role.OFFICIAL, "Cán Bộ Đổi Mật Khẩu", commune_id=commune_id),
    }
    household = add_household(db, east, assigned_to=members[1], code="FZ-0001")
    donor = Donor(commune_id=commune_id, name="Công ty TNHH Minh Phát", kind=DonorKind.BUSINESS, consent_public=True)
    event = OutreachEvent(commune_id=commune_id, village_id=east.id, kind=OutreachKind.MEETING,
                          held_on=local_today() - timedelta(days=3), title="Họp thôn Đông", attendance=40,
                          created_by_id=users["official"].id)
    target = add_target(db, commune_id, users["official"])
    db.add_all([donor, event])
    db.commit()
    return World(commune_id, east, west, north, south, members, users, household, donor, event, target)


_codes = itertools.count(1)


def add_household(db: Session, village: Village, *, assigned_to: Optional[CommitteeMember] = None,
                  code: Optional[str] = None, people: int = 3, head: str = "Nguyễn Văn Đức", **values) -> Household:
    household = Household(village_id=village.id, code=code or f"FZH-{next(_codes):05d}", head_name=head, **values)
    db.add(household)
    db.flush()
    for i in range(people):
        add_person(db, household, head if i == 0 else f"Người Thứ {i + 1} {household.code}", 1970 + 10 * i,
                   Relation.HEAD if i == 0 else Relation.CHILD)
    if assigned_to is not None:
        db.add(Assignment(household_id=household.id, member_id=assigned_to.id, valid_from=date(2026, 1, 1)))
    db.flush()
    return household


def add_person(db: Session, household: Household, name: str, birth_year: int = 1985,
               relation: Relation = Relation.CHILD) -> Person:
    person = Person(household_id=household.id, full_name=name, name_key=fold(name), birth_year=birth_year,
                    sex=Sex.FEMALE if birth_year % 20 else Sex.MALE, relation=relation)
    db.add(person)
    db.flush()
    return person


def add_target(db: Session, commune_id: int, official: User, first: Optional[date] = None) -> TargetRow:
    """This year's target of new BHYT cards, or one for the 365 days from ``first`` (a commune has one target per
    indicator and period)."""
    first = first or date(local_today().year, 1, 1)
    last = first + timedelta(days=364)
    target = TargetRow(commune_id=commune_id, indicator=Indicator.NEW_BHYT_HGD, period_kind=PeriodKind.CAMPAIGN,
                       period_start=first, period_end=last, deadline=last, value=120, created_by_id=official.id)
    db.add(target)
    db.flush()
    return target


# --- one run: the app, its clients, what each example stands on ---------------------------------------------------


@dataclass
class Target:
    """What one example posts to: ``post`` (path, perhaps a query), the ``page`` that shows its form, and the
    objects behind it."""

    post: str
    page: str
    objects: dict = field(default_factory=dict)


class Ctx:
    def __init__(self, app: Flask, db: Session, world: World) -> None:
        self.app, self.db, self.world = app, db, world
        self.n = 0  # the example's number: unique codes, names and dates
        self._clients: dict[str, Any] = {}
        self._tokens: dict[str, str] = {}

    # -- clients

    def client(self, who: str):
        if who not in self._clients:
            client = self.app.test_client()
            self._clients[who] = client
            if who != "anon":
                self.sign_in(who)
        return self._clients[who]

    def sign_in(self, who: str) -> None:
        client = self._clients[who]
        client.delete_cookie("session")
        token = self._token_from(client.get("/dang-nhap"))
        response = client.post("/dang-nhap", data={"phone": self.world.users[who].phone, "password": PASSWORD,
                                                   "csrf_token": token})
        assert response.status_code == 302, f"{who} cannot sign in: {response.status_code}"
        self._tokens.pop(who, None)

    def token(self, who: str) -> str:
        if who not in self._tokens:
            page = self.client(who).get("/dang-nhap" if who == "anon" else "/", follow_redirects=True)
            self._tokens[who] = self._token_from(page)
        return self._tokens[who]

    @staticmethod
    def _token_from(response) -> str:
        match = CSRF_RE.search(response.get_data(as_text=True))
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post(self, who: str, path: str, data: dict | None = None, **kwargs):
        """A valid post used to arrange an example (not the one under test)."""
        data = {"csrf_token": self.token(who), **(data or {})}
        response = self.client(who).post(path, data=data, **kwargs)
        assert response.status_code < 400, f"arranging with {path} failed: {response.status_code}"
        return response

    # -- fresh objects

    def commit(self) -> None:
        self.db.commit()

    def household(self, *, assigned: bool = True, village: Optional[Village] = None, **values) -> Household:
        w = self.world
        household = add_household(self.db, village or (w.village if assigned else w.north),
                                  assigned_to=w.members[1] if assigned else None, **values)
        self.db.commit()
        return household

    def person(self, household: Optional[Household] = None, name: Optional[str] = None,
               birth_year: int = 1985) -> Person:
        person = add_person(self.db, household or self.world.household, name or f"Người Thử {self.n}", birth_year)
        self.db.commit()
        return person

    def member(self, *, login: bool = False, holding: int = 0) -> CommitteeMember:
        w = self.world
        committee_id = w.members[0].committee_id
        member = CommitteeMember(committee_id=committee_id, full_name=f"Thành Viên Tạm {self.n}", phone=fresh_phone(),
                                 organisation=Organisation.YOUTH, joined_on=date(2025, 9, 1))
        self.db.add(member)
        self.db.flush()
        if login:
            make_user(self.db, Role.MEMBER, member.full_name, commune_id=w.commune_id, village_id=w.village.id,
                      member=member)
        for _ in range(holding):
            add_household(self.db, w.village, assigned_to=member)
        self.db.commit()
        return member

    def latest(self, model):
        self.db.expire_all()
        return self.db.exec(select(model).order_by(model.id.desc())).first()

    def get(self, model, id_):
        self.db.expire_all()
        return self.db.get(model, id_)

    def sponsorship(self, up_to: str) -> int:
        """A sponsorship for a fresh person, taken through its steps up to ``up_to`` with valid posts."""
        person = self.person(self.household(assigned=False), birth_year=1980)
        today = local_today()
        response = self.post("official", f"/nguoi/{person.id}/tai-tro/moi", {
            "donor_id": str(self.world.donor.id), "scheme": "bhxh_tn", "months": "12",
            "from_month": next_month(today), "income": "1500000", "amount": "", "notes": ""})
        sponsorship_id = int(re.search(r"/tai-tro/(\d+)", response.headers["Location"]).group(1))
        steps = [("approved", "duyet", {}), ("paid", "da-nop", {"paid_on": today.isoformat(), "income": "1500000",
                                                                 "receipt_no": "BL-1"}),
                 ("handed_over", "da-trao", {"handed_over_on": today.isoformat(), "event_id": ""})]
        for name, path, data in steps:
            if up_to == "proposed":
                break
            self.post("official", f"/tai-tro/{sponsorship_id}/{path}", data)
            if up_to == name:
                break
        return sponsorship_id


# --- the specs ------------------------------------------------------------------------------------------------------


@dataclass
class Spec:
    who: str  # the client that posts: "anon", "admin", "official", "head", "member", "leaver", "changer"
    arrange: Callable[[Ctx], Target]
    valid: Callable[[Ctx, Target], dict] = lambda _c, _t: {}  # fields over the page's own values (list: repeated)
    stored: Optional[Callable[[Ctx, Target], Any]] = None  # the row an accepted post wrote its text to
    text: dict[str, str] = field(default_factory=dict)  # form field → column of ``stored`` holding it as typed
    examples: int = 8
    writes: bool = True  # a valid post stores something
    fresh_login: bool = False  # sign in again before each example (the post ends or changes the login)
    upload: Optional[str] = None  # the file field of a multipart form
    reset: Optional[Callable[[Ctx, Target], None]] = None  # after an accepted post: undo it for the next example
    varies: set[str] = field(default_factory=set)  # tables whose row count an accepted post may change by more or less


def _same(path: str) -> Callable[[Ctx], Target]:
    return lambda c: Target(path, path)


def _fresh_household_target(suffix: str, page: str = "detail", east: bool = False) -> Callable[[Ctx], Target]:
    def arrange(c: Ctx) -> Target:
        h = c.household(assigned=False, village=c.world.village if east else None)
        post = f"/ho/{h.id}/{suffix}"
        return Target(post, f"/ho/{h.id}" if page == "detail" else post, {"household": h})

    return arrange


def _archived_household(c: Ctx) -> Target:
    h = c.household(assigned=False, archived_at=utcnow())
    return Target(f"/ho/{h.id}/khoi-phuc", f"/ho/{h.id}", {"household": h})


def _stopped_household(c: Ctx) -> Target:
    h = c.household(assigned=False, outreach_stopped="do_not_contact", outreach_stopped_at=utcnow())
    return Target(f"/ho/{h.id}/tiep-tuc-van-dong", f"/ho/{h.id}", {"household": h})


def _two_households(c: Ctx) -> Target:
    keep, drop = c.household(assigned=False), c.household(assigned=False)
    return Target(f"/ho/{keep.id}/gop", f"/ho/{keep.id}/gop", {"household": keep, "other": drop})


def _duplicates(action: str) -> Callable[[Ctx], Target]:
    def arrange(c: Ctx) -> Target:
        name = f"Trùng Tên Số {c.n}"
        a = c.person(c.household(assigned=False), name, 1990)
        b = c.person(c.household(assigned=False), name, 1990)
        return Target(f"/nguoi/{a.id}/{action}/{b.id}" + ("/bo-qua" if action == "trung" else ""), f"/nguoi/{a.id}",
                      {"person": a, "other": b})

    return arrange


def _person_page(suffix: str, page: Optional[str] = None, household: bool = False) -> Callable[[Ctx], Target]:
    def arrange(c: Ctx) -> Target:
        p = c.person(c.world.household if household else c.household(assigned=False), birth_year=1980)
        post = f"/nguoi/{p.id}/{suffix}"
        return Target(post, f"/nguoi/{p.id}" if page == "detail" else post, {"person": p})

    return arrange


def _covered_person(c: Ctx) -> Target:
    """Someone whose household card ran out last week: a dropout to record."""
    p = c.person(c.household(assigned=False), birth_year=1980)
    p.bhyt_status, p.bhyt_card_expiry = BhytStatus.HOUSEHOLD, local_today() - timedelta(days=7)
    c.db.add(p)
    c.commit()
    return Target(f"/nguoi/{p.id}/ngung-dong", f"/nguoi/{p.id}/ngung-dong", {"person": p})


def _member_target(action: str, *, login: bool = False) -> Callable[[Ctx], Target]:
    def arrange(c: Ctx) -> Target:
        m = c.member(login=login)
        base = f"/thon/{c.world.village.id}/ban/thanh-vien/{m.id}"
        return Target(f"{base}/{action}", f"{base}/sua", {"member": m})

    return arrange


def _visit_to_correct(c: Ctx) -> Target:
    w = c.world
    visit = Visit(uuid=str(uuid_module.uuid4()), household_id=w.household.id, member_id=w.members[1].id,
                  visited_at=utcnow(), outcome=VisitOutcome.CONSIDERING, next_date=local_today() + timedelta(days=7),
                  created_by_id=w.users["member"].id)
    c.db.add(visit)
    c.commit()
    return Target(f"/van-dong/{visit.id}/sua", f"/van-dong/{visit.id}/sua", {"visit": visit})


def _attention(c: Ctx) -> Target:
    target = _visit_to_correct(c)
    row = VisitAttention(visit_id=target.objects["visit"].id, reason=AttentionReason.REASSIGNED)
    c.db.add(row)
    c.commit()
    return Target(f"/van-dong/can-xem/{row.id}/da-xem", "/van-dong/can-xem", {"attention": row})


def import_rows(n: int) -> bytes:
    """The import tests' sample list, with codes and identifiers of its own."""
    rows = sample_rows()
    for row in rows:
        row["code"] = row["code"].replace("T05", f"FZ{n}")
        for key in ("cccd", "bhxh_code"):
            if row.get(key):
                row[key] = row[key][:2] + f"{n:06d}" + row[key][8:]  # the sample's last digits tell its people apart
    return csv_bytes(rows)


def _batch(c: Ctx) -> Target:
    village = c.world.south
    response = c.post("official", f"/thon/{village.id}/nhap",
                      {"file": (io.BytesIO(import_rows(500 + c.n)), "danh-sach.csv")},
                      content_type="multipart/form-data")
    batch_id = int(re.search(r"/nhap/(\d+)$", response.headers["Location"]).group(1))
    return Target(f"/nhap/{batch_id}/xac-nhan", f"/nhap/{batch_id}")


def _sponsorship(action: str, state: str) -> Callable[[Ctx], Target]:
    def arrange(c: Ctx) -> Target:
        sid = c.sponsorship(state)
        return Target(f"/tai-tro/{sid}/{action}", f"/tai-tro/{sid}", {"sponsorship": sid})

    return arrange


def _parameter(c: Ctx) -> Target:
    row = PolicyParameter(key="base_salary", value=2_530_000 + c.n, unit="vnd",
                          valid_from=date(2090, 1, 1) + timedelta(days=c.n), legal_source="Nghị định thử nghiệm")
    c.db.add(row)
    c.commit()
    return Target(f"/tham-so/{row.id}/sua", f"/tham-so/{row.id}/sua", {"row": row})


def _target(path: str) -> Callable[[Ctx], Target]:
    def arrange(c: Ctx) -> Target:
        row = add_target(c.db, c.world.commune_id, c.world.users["official"], date(2027, 1, 1) + timedelta(days=c.n))
        c.commit()
        url = f"/chi-tieu/{row.id}/{path}"
        return Target(url, url, {"row": row})

    return arrange


def _reset_password(c: Ctx, _t: Target) -> None:
    """The test password again (the next example types it as the current one)."""
    c.db.expire_all()
    user = c.db.get(User, c.world.users["changer"].id)
    user.password_hash = password_hash()
    c.db.add(user)
    c.commit()


def _village_edit(c: Ctx) -> Target:
    v = c.world.village
    return Target(f"/thon/{v.id}/sua", f"/thon/{v.id}/sua", {"village": v})


def _new_village(c: Ctx) -> Target:
    v = Village(commune_id=c.world.commune_id, code=f"FZV-{c.n}", name=f"Thôn Chưa Có Ban {c.n}")
    c.db.add(v)
    c.commit()
    return Target(f"/thon/{v.id}/ban", f"/thon/{v.id}", {"village": v})


def _handover(c: Ctx) -> Target:
    m = c.member(holding=2)
    url = f"/thon/{c.world.village.id}/phan-cong/ban-giao/{m.id}"
    return Target(url, url, {"member": m})


def _bulk(c: Ctx) -> Target:
    hs = [c.household(assigned=False, village=c.world.village) for _ in range(2)]
    v = c.world.village.id
    return Target(f"/thon/{v}/phan-cong/giao", f"/thon/{v}/phan-cong", {"households": hs})


def _balance(c: Ctx) -> Target:
    """Exactly one household of the village without a responsible member, whatever the examples before did."""
    open_ = select(Assignment.household_id).where(Assignment.valid_to.is_(None))
    waiting = c.db.exec(select(func.count(Household.id)).where(
        Household.village_id == c.world.village.id, Household.archived_at.is_(None), Household.id.not_in(open_))).one()
    if not waiting:
        c.household(assigned=False, village=c.world.village)
    v = c.world.village.id
    return Target(f"/thon/{v}/phan-cong/can-bang", f"/thon/{v}/phan-cong")


def _report(c: Ctx) -> Target:
    return Target(f"/bao-cao/thon/{c.world.village.id}/in", f"/bao-cao/thon/{c.world.village.id}")


def _by(model, key: str) -> Callable[[Ctx, Target], Any]:
    return lambda c, t: c.get(model, t.objects[key].id)


def _latest(model) -> Callable[[Ctx, Target], Any]:
    return lambda c, t: c.latest(model)



# --- set-up and administrative units (issue 10) ---------------------------------------------------------------------


def _fresh_village(c: Ctx, *, members: int = 0, households: int = 0, tag: str = "FZS") -> Village:
    """A village of the world's commune of its own, with a committee of ``members`` (no logins) and unassigned
    households."""
    village = Village(commune_id=c.world.commune_id, code=f"{tag}-{c.n}", name=f"Thôn Thiết Lập {c.n}")
    c.db.add(village)
    c.db.flush()
    if members:
        committee = Committee(village_id=village.id, established_on=date(2025, 8, 15))
        c.db.add(committee)
        c.db.flush()
        c.db.add_all([CommitteeMember(committee_id=committee.id, full_name=f"Thành Viên Thôn {c.n}-{i}",
                                      phone=fresh_phone(), organisation=Organisation.WOMEN, is_head=i == 0,
                                      joined_on=date(2025, 9, 1)) for i in range(members)])
    c.db.commit()
    for _ in range(households):
        c.household(assigned=False, village=village)
    return village


_commune_codes = itertools.count(90000)  # no commune of the catalogue has a code this high
CREATED_COMMUNES: list[int] = []  # deleted when the file is done: the catalogue is shared by every test file


def _other_communes(c: Ctx, count: int) -> list[Commune]:
    """Fresh communes in the world's province for a rename or a merge: the catalogue's own rows are never changed
    (a renamed or merged catalogue commune would leak into the test files that run after this one)."""
    world = c.get(Commune, c.world.commune_id)
    communes = [Commune(province_id=world.province_id, code=str(next(_commune_codes)), name=f"Xã Thử Nghiệm {c.n}-{i}",
                        kind=world.kind) for i in range(count)]
    c.db.add_all(communes)
    c.db.commit()
    CREATED_COMMUNES.extend(commune.id for commune in communes)
    return communes


def _commune_merge(c: Ctx) -> Target:
    merged, into = _other_communes(c, 2)
    path = f"/don-vi/xa/{merged.id}/sap-nhap"
    return Target(path, path, {"commune": merged, "into": into})


def _village_merge(c: Ctx) -> Target:
    merged, into = _fresh_village(c, tag="FZM"), _fresh_village(c, tag="FZK")
    path = f"/don-vi/thon/{merged.id}/sap-nhap"
    return Target(path, path, {"village": merged, "into": into})


def _commune_rename(c: Ctx) -> Target:
    (commune,) = _other_communes(c, 1)
    path = f"/don-vi/xa/{commune.id}/doi-ten"
    return Target(path, path, {"commune": commune})


def _village_rename(c: Ctx) -> Target:
    village = _fresh_village(c, tag="FZR")
    path = f"/don-vi/thon/{village.id}/doi-ten"
    return Target(path, path, {"village": village})



SPECS: dict[str, Spec] = {
    # --- signing in and out
    "auth.login": Spec(
        "anon", _same("/dang-nhap"), examples=20, fresh_login=True,
        valid=lambda c, t: {"phone": c.world.users["member"].phone, "password": PASSWORD, "next": "/"}),
    "auth.logout": Spec("leaver", lambda c: Target("/dang-xuat", "/tim-kiem"), fresh_login=True, examples=8),
    "auth.set_language": Spec("official", lambda c: Target("/ngon-ngu", "/tim-kiem"), writes=False, examples=12),
    "auth.change_password": Spec(
        "changer", _same("/doi-mat-khau"), fresh_login=True, reset=_reset_password, examples=8,
        valid=lambda c, t: {"current_password": PASSWORD, "new_password": f"mot cau mat khau moi so {c.n}",
                            "confirm": f"mot cau mat khau moi so {c.n}"}),
    # --- villages and committees
    "committees.village_create": Spec(
        "official", _same("/thon/moi"), valid=lambda c, t: {"code": f"FZN-{c.n}", "name": f"Thôn Mới {c.n}"},
        stored=_latest(Village), text={"code": "code", "name": "name"}),
    "committees.village_edit": Spec("official", _village_edit, stored=_by(Village, "village"),
                                    text={"code": "code", "name": "name"}),
    "committees.committee_create": Spec(
        "official", _new_village, valid=lambda c, t: {"established_on": "2025-08-15", "decision_ref": f"QĐ-{c.n}"},
        stored=lambda c, t: c.db.exec(select(Committee).where(
            Committee.village_id == t.objects["village"].id)).first(), text={"decision_ref": "decision_ref"}),
    # Ticking "is head" (any value but "false" or none) hands the head's role over: one more audit event.
    "committees.member_create": Spec(
        "official", lambda c: Target(*[f"/thon/{c.world.village.id}/ban/thanh-vien/moi"] * 2),
        valid=lambda c, t: {"full_name": f"Thành Viên Mới {c.n}", "phone": fresh_phone(), "organisation": "women",
                            "joined_on": "2025-09-01"},
        stored=_latest(CommitteeMember), text={"full_name": "full_name", "title": "title"}, varies={"audit_event"}),
    "committees.member_edit": Spec("official", _member_target("sua"), stored=_by(CommitteeMember, "member"),
                                   text={"full_name": "full_name", "title": "title"}, varies={"audit_event"}),
    "committees.member_leave": Spec("official", _member_target("roi-ban"),
                                    valid=lambda c, t: {"left_on": local_today().isoformat()}),
    # Each accepted post hashes a new password at full cost: fewer examples.
    "committees.login_grant": Spec("official", _member_target("tai-khoan"), examples=5),
    "committees.password_reset": Spec("official", _member_target("tai-khoan/mat-khau-moi", login=True), examples=5),
    "committees.login_revoke": Spec("official", _member_target("tai-khoan/thu-hoi", login=True), examples=8),
    # --- households and people
    "households.create": Spec(
        "official", lambda c: Target(*[f"/thon/{c.world.village.id}/ho/moi"] * 2),
        valid=lambda c, t: {"code": f"FZC-{c.n}", "head_name": f"Chủ Hộ Số {c.n}"}, stored=_latest(Household),
        text={k: k for k in ("code", "head_name", "address", "hamlet_group", "notes")}),
    "households.edit": Spec(
        "official", _fresh_household_target("sua", page="self"), stored=_by(Household, "household"),
        text={k: k for k in ("code", "head_name", "address", "hamlet_group", "notes")}),
    "households.archive": Spec("official", _fresh_household_target("luu-tru")),
    "households.restore": Spec("official", _archived_household),
    "households.move": Spec("official", _fresh_household_target("chuyen-thon", page="self"),
                            valid=lambda c, t: {"village_id": str(c.world.other_village.id)}),
    "households.merge": Spec("official", _two_households, valid=lambda c, t: {"other_code": t.objects["other"].code}),
    "households.person_create": Spec(
        "official", lambda c: Target(*[f"/ho/{c.world.household.id}/nguoi/moi"] * 2),
        valid=lambda c, t: {"full_name": f"Người Mới Số {c.n}", "sex": "female", "birth_year": "1990",
                            "relation": "child", "birth_date": ""},
        stored=_latest(Person), text={k: k for k in ("full_name", "ethnicity", "occupation")}),
    "households.person_edit": Spec("official", _person_page("sua"), stored=_by(Person, "person"),
                                   text={k: k for k in ("full_name", "ethnicity", "occupation")}),
    "households.person_archive": Spec("official", _person_page("luu-tru", page="detail")),
    "households.person_consent": Spec("member", _person_page("dong-y", household=True),
                                      valid=lambda c, t: {"agreed": "y"}, stored=_by(Person, "person"),
                                      text={"note": "consent_note"}),
    "households.duplicate_dismiss": Spec("official", _duplicates("trung")),
    "households.person_merge": Spec("official", _duplicates("gop")),
    "privacy.withdraw": Spec("official", _person_page("rut-dong-y"), valid=lambda c, t: {"confirmed": "y"},
                             stored=_by(Person, "person"), text={"note": "consent_withdrawn_note"}),
    # --- imports
    "imports.upload": Spec("official", lambda c: Target(*[f"/thon/{c.world.south.id}/nhap"] * 2),
                           upload="file", examples=15),
    "imports.confirm": Spec("official", _batch, examples=8),
    # --- assignments
    "assignments.household": Spec("official", _fresh_household_target("phan-cong", page="self", east=True),
                                  valid=lambda c, t: {"member_id": str(c.world.members[2].id), "next": ""}),
    "assignments.bulk": Spec(
        "official", _bulk, valid=lambda c, t: {"member_id": str(c.world.members[2].id),
                                               "household_ids": [str(h.id) for h in t.objects["households"]]}),
    # "0" (share all households again) is valid too and moves as many households as it takes.
    "assignments.balance": Spec("official", _balance, valid=lambda c, t: {"only_unassigned": "1"},
                                varies={"assignment", "audit_event", "follow_up"}),
    "assignments.handover": Spec("official", _handover, valid=lambda c, t: {"member_id": str(c.world.members[2].id)}),
    # --- visits
    "visits.log": Spec(
        "member", lambda c: Target(f"/ho/{c.world.household.id}/van-dong",
                                   f"/ho/{c.world.household.id}/van-dong?ket-qua=considering"),
        stored=lambda c, t: c.latest(Visit), text={"met_person": "met_person", "notes": "notes"}, examples=20),
    "visits.correct": Spec("member", _visit_to_correct, stored=_by(Visit, "visit"),
                           text={"met_person": "met_person", "notes": "notes"}),
    "visits.resume": Spec("official", _stopped_household),
    "visits.resolve_attention": Spec("official", _attention),
    # --- enrolments
    "enrolments.bhxh_new": Spec(
        "official", _person_page("bhxh/moi"),
        valid=lambda c, t: {"income": "1500000", "mode": "12", "from_month": next_month(local_today())},
        stored=_latest(Enrolment), text={"receipt_no": "receipt_no", "collector_code": "collector_code"}),
    "enrolments.bhyt_new": Spec(
        "official", lambda c: (lambda h: Target(f"/ho/{h.id}/bhyt/moi", f"/ho/{h.id}/bhyt/moi"))(
            c.household(assigned=False)),
        valid=lambda c, t: {"from_month": next_month(local_today()), "months": "12"},
        stored=_latest(Enrolment), text={"receipt_no": "receipt_no", "collector_code": "collector_code"}),
    "enrolments.dropout": Spec("official", _covered_person, stored=_latest(Dropout),
                               valid=lambda c, t: {"scheme": "bhyt_hgd", "reason": "forgot"}, text={"note": "note"}),
    # --- events
    "events.create": Spec(
        "official", _same("/hoat-dong/moi"),
        valid=lambda c, t: {"title": f"Hội nghị khách hàng số {c.n}", "village": str(c.world.village.id)},
        stored=_latest(OutreachEvent), text={k: k for k in ("title", "speakers", "notes")}),
    "events.edit": Spec("official", lambda c: Target(*[f"/hoat-dong/{c.world.event.id}/sua"] * 2),
                        valid=lambda c, t: {"title": f"Họp thôn Đông lần {c.n}"},
                        stored=lambda c, t: c.get(OutreachEvent, c.world.event.id),
                        text={k: k for k in ("title", "speakers", "notes")}),
    # --- exports, parameters, reports
    "exports.agent_lists": Spec("official", _same("/danh-sach-thu"), writes=False),
    "parameters.create": Spec(
        "admin", _same("/tham-so/moi"),
        valid=lambda c, t: {"key": "base_salary", "province_code": "", "value": "2.530.000",
                            "valid_from": (date(2080, 1, 1) + timedelta(days=c.n)).isoformat(),
                            "legal_source": "Nghị định 73/2024/NĐ-CP"},
        stored=_latest(PolicyParameter), text={"legal_source": "legal_source", "note": "note"}),
    "parameters.edit": Spec("admin", _parameter, stored=_by(PolicyParameter, "row"),
                            valid=lambda c, t: {"legal_source": f"Nghị định thử nghiệm, sửa lần {c.n}"},
                            text={"legal_source": "legal_source", "note": "note"}),
    # Printing renders a PDF (a second or more each): few examples.
    "reports.village_print": Spec("official", _report, stored=_latest(Report),
                                  text={"proposals": "proposals", "note": "note"}, examples=2),
    "reports.commune_print": Spec("official", lambda c: Target("/bao-cao/xa/in", "/bao-cao/xa"),
                                  stored=_latest(Report), text={"proposals": "proposals", "note": "note"}, examples=1),
    # --- sponsorships
    "sponsorships.donor_create": Spec(
        "official", _same("/nha-tai-tro/moi"), valid=lambda c, t: {"name": f"Nhà Tài Trợ Số {c.n}"},
        stored=_latest(Donor), text={k: k for k in ("name", "contact_name", "address", "email", "notes")}),
    "sponsorships.donor_edit": Spec(
        "official", lambda c: Target(*[f"/nha-tai-tro/{c.world.donor.id}/sua"] * 2),
        stored=lambda c, t: c.get(Donor, c.world.donor.id),
        text={k: k for k in ("name", "contact_name", "address", "email", "notes")}),
    "sponsorships.propose": Spec(
        "official", _person_page("tai-tro/moi"),
        valid=lambda c, t: {"donor_id": str(c.world.donor.id), "scheme": "bhxh_tn", "months": "12",
                            "from_month": next_month(local_today()), "income": "1500000"},
        stored=_latest(Sponsorship), text={"notes": "notes"}),
    "sponsorships.approve": Spec("official", _sponsorship("duyet", "proposed"), examples=8),
    "sponsorships.pay": Spec("official", _sponsorship("da-nop", "approved"), examples=8,
                             valid=lambda c, t: {"paid_on": local_today().isoformat(), "income": "1500000"}),
    "sponsorships.hand_over": Spec("official", _sponsorship("da-trao", "paid"), examples=8,
                                   valid=lambda c, t: {"handed_over_on": local_today().isoformat()},
                                   stored=lambda c, t: c.get(Sponsorship, t.objects["sponsorship"]),
                                   text={"handover_event": "handover_event"}),
    "sponsorships.end": Spec("official", _sponsorship("ket-thuc", "handed_over"), examples=6,
                             valid=lambda c, t: {"ended_on": local_today().isoformat()}),
    "sponsorships.cancel": Spec("official", _sponsorship("huy", "proposed"), examples=8,
                                valid=lambda c, t: {"reason": "Nhà tài trợ rút lại"}),
    # --- targets
    "targets.create": Spec(
        "official", _same("/chi-tieu/moi"), valid=lambda c, t: {"value": "120", "label": f"Chỉ tiêu số {c.n}"},
        stored=_latest(TargetRow), text={"label": "label"}),
    "targets.edit": Spec("official", _target("sua"), stored=_by(TargetRow, "row"), text={"label": "label"},
                         valid=lambda c, t: {"value": str(100 + c.n % 1000)}),
    "targets.split": Spec("official", _target("chia")),
    # --- first-run set-up (an official of the world's commune walks it; the admin names the commune's official)
    # Pasted lines: a hostile paste may hold several names, so several villages.
    "setup.villages": Spec("official", _same("/cai-dat/thon"), valid=lambda c, t: {"names": f"Thôn Dán Số {c.n}"},
                           varies={"village", "audit_event"}),
    "setup.committee": Spec(
        "official", lambda c: (lambda v: Target(f"/cai-dat/ban/{v.id}", f"/cai-dat/ban/{v.id}"))(_fresh_village(c)),
        valid=lambda c, t: {"full_name": f"Thành Viên Thiết Lập {c.n}", "phone": fresh_phone(),
                            "organisation": "women"},
        stored=_latest(CommitteeMember), text={"full_name": "full_name"}, varies={"audit_event"}, examples=5),
    "setup.balance": Spec(
        "official", lambda c: (lambda v: Target(f"/cai-dat/nhap-ho/{v.id}/chia-deu", "/cai-dat/nhap-ho"))(
            _fresh_village(c, members=2, households=2)),
        varies={"assignment", "audit_event", "follow_up"}, examples=5),
    # Printing renders a PDF and hashes a password per member at full cost: few examples.
    "setup.slips_pdf": Spec(
        "official", lambda c: (lambda v: Target(f"/cai-dat/phieu/{v.id}.pdf", "/cai-dat/phieu"))(
            _fresh_village(c, members=1)), varies={"audit_event"}, examples=2),
    # --- administrative changes (admin only)
    "units.commune_rename": Spec("admin", _commune_rename, valid=lambda c, t: {"new_name": f"Xã Tên Mới {c.n}"},
                                 stored=_by(Commune, "commune"), text={"new_name": "name"}, examples=6),
    "units.village_rename": Spec("admin", _village_rename, valid=lambda c, t: {"new_name": f"Thôn Tên Mới {c.n}"},
                                 stored=_by(Village, "village"), text={"new_name": "name"}, examples=6),
    "units.commune_merge": Spec("admin", _commune_merge,
                                valid=lambda c, t: {"into": t.objects["into"].code, "confirm": "1"}, examples=6),
    "units.village_merge": Spec("admin", _village_merge,
                                valid=lambda c, t: {"into": str(t.objects["into"].id), "confirm": "1"}, examples=6),
}

# Rules that take no HTML form: covered by their own tests below (JSON).
JSON_RULES = {"offline.sync_visits"}
# Rules whose form this world cannot show: the set-up's first step appears only on an installation that serves no
# commune yet, and the world serves one. Its bad input is tested on an empty installation in
# tests/test_setup_wizard.py.
NOT_IN_THIS_WORLD = {"setup.commune"}
