"""A realistic province at full scale, bulk-loaded into SQLite or PostgreSQL for load tests (issue 9).

    .venv/bin/python -m bench.province --database-url sqlite:///instance/bench/province.sqlite3 --scale 1.0
    .venv/bin/python -m bench.province --database-url postgresql://postgres@127.0.0.1:5432/province --scale 0.01

One province of the 2025 catalogue (Thanh Hóa by default: 166 communes) with, at ``--scale 1``, about 2,000
villages spread over all its communes, 500,000 households, 2,000,000 people, 5,000,000 visits over the two years
before today, the follow-ups those visits leave (open ones due around today), BHYT household cards and voluntary
BHXH payments with the app's contribution arithmetic, donors and sponsorships, and this year's targets per commune
and village. Every village has a committee of 5 to 7 members (one head), each with a login; every commune has an
official; there is one admin. All users share one password, hashed once (scrypt is slow by design).

Fast because nothing goes through the ORM: the generator assigns every id itself, builds plain tuples, and writes
them in chunks with COPY (PostgreSQL, psycopg 3) or ``executemany`` (SQLite: WAL, ``synchronous=OFF``, foreign-key
checks off during the load). The secondary indexes of the big tables and the full-text search index are dropped
before the load and rebuilt after it, as the migrations define them; PostgreSQL sequences are then moved past the
generated ids so the app can insert.

Deterministic: one ``random.Random(seed)``; dates are relative to ``--today`` (default: today in Vietnam, so the
worklists and reports have current data). The same seed and the same today give the same database.

A manifest (JSON, written next to the SQLite file or under ``instance/bench/``) lists the password and sample logins,
search terms that match real rows, and the row counts; bench/load.py reads it. See bench/README.md.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, SQLModel

import fieldwork
import fieldwork.migrate
from fieldwork import PROJECT_ROOT
from fieldwork.auth.services import hash_password
from fieldwork.config import normalise_database_url
from fieldwork.db import make_engine
from fieldwork.demo import (
    GIVEN_FEMALE, GIVEN_FEMALE_YOUNG, GIVEN_MALE, GIVEN_MALE_YOUNG, HEAD_TITLE, HOUSEHOLD_NOTES, MEMBER_SLOTS,
    MIDDLE_FEMALE_OLD, MIDDLE_FEMALE_YOUNG, MIDDLE_MALE_OLD, MIDDLE_MALE_YOUNG, NOTES, OCCUPATIONS_ADULT,
    OCCUPATIONS_ELDER, OUTCOME_WEIGHTS, REASON_WEIGHTS, REFUSAL_NOTES, REVISIT_WEIGHTS, split_proportionally,
)
from fieldwork.households.search import _WORD, scope_doc
from fieldwork.models import Commune, Indicator, Organisation, Province, RefusalReason
from fieldwork.policy import parameter
from fieldwork.reference import load_reference_data
from fieldwork.text import LOCAL_TZ, fold, local_today

DEFAULT_PROVINCE = "38"  # Tỉnh Thanh Hóa: 166 communes in the 2025 catalogue
PASSWORD = "tinh-thu-nghiem-2026"
DAYS = 730  # two years of field work before today

# Full-scale sizes (``--scale 1``).
VILLAGES = 2_000
HOUSEHOLDS = 500_000
VISITS_PER_HOUSEHOLD = 10.0  # 5,000,000 visits

CHUNK_HOUSEHOLDS = 5_000  # households generated between two writes (about 100,000 rows of all tables)
MANIFEST_MEMBERS = 2_000
MANIFEST_HOUSEHOLDS = 50

UTC = timezone.utc

# The order rows are written in (parents first), and the columns the generator fills, per table.
COLUMNS: dict[str, tuple[str, ...]] = {
    "village": ("id", "commune_id", "code", "name", "kind", "valid_from", "created_at"),
    "user_account": ("id", "phone", "display_name", "role", "commune_id", "village_id", "active", "password_hash",
                     "session_version", "must_change_password", "password_changed_at", "created_at"),
    "committee": ("id", "village_id", "established_on", "decision_ref", "notes"),
    "committee_member": ("id", "committee_id", "full_name", "phone", "organisation", "title", "is_head",
                         "joined_on", "user_id"),
    "donor": ("id", "commune_id", "name", "kind", "contact_name", "phone", "address", "consent_public", "notes",
              "created_at"),
    "household": ("id", "village_id", "code", "head_name", "address", "hamlet_group", "phone", "poverty", "notes",
                  "outreach_stopped", "outreach_stopped_at", "created_at", "updated_at"),
    "person": ("id", "household_id", "full_name", "name_key", "birth_date", "birth_year", "sex", "relation", "cccd",
               "bhxh_code", "ethnicity", "occupation", "bhyt_status", "bhyt_card_expiry", "bhxh_status",
               "bhxh_paid_until", "consent_at", "consent_by_id", "consent_note", "created_at", "updated_at"),
    "search_entry": ("id", "entity", "entity_id", "household_id", "village_id", "doc", "scope"),
    "assignment": ("id", "household_id", "member_id", "valid_from", "assigned_by_id", "created_at"),
    "visit": ("id", "uuid", "household_id", "member_id", "visited_at", "outcome", "reason", "scheme", "channel",
              "met_person", "notes", "next_date", "created_by_id", "created_at", "updated_at"),
    "sponsorship": ("id", "donor_id", "person_id", "scheme", "months", "from_month", "amount", "status",
                    "proposed_by_id", "approved_by_id", "approved_at", "paid_on", "handed_over_on", "handover_event",
                    "notes", "created_at"),
    "follow_up": ("id", "household_id", "person_id", "member_id", "visit_id", "kind", "status", "due_on", "note",
                  "created_by_id", "created_at", "closed_at"),
    "enrolment": ("id", "person_id", "scheme", "kind", "chosen_income", "payment_mode", "months", "from_month",
                  "valid_until", "bhyt_rank", "amount_total", "amount_person", "amount_state", "amount_local",
                  "amount_other", "member_id", "visit_id", "sponsorship_id", "receipt_no", "receipt_date",
                  "batch_key", "state_share_bp", "local_share_bp", "recorded_by_id", "created_at"),
    "target": ("id", "commune_id", "village_id", "parent_id", "indicator", "period_kind", "label", "period_start",
               "period_end", "deadline", "value", "created_by_id", "created_at"),
}
# Tables whose secondary indexes are dropped during the load and rebuilt after it.
BIG_TABLES = ("household", "person", "search_entry", "assignment", "visit", "follow_up", "enrolment")

# The full-text index, exactly as migration 0005 creates it.
FTS_INSERT_TRIGGER = """CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN
       INSERT INTO search_fts(rowid, doc, scope) VALUES (new.id, new.doc, new.scope); END"""
PG_SEARCH_INDEX = ("CREATE INDEX ix_search_entry_tsv ON search_entry USING gin "
                   "((setweight(to_tsvector('simple', doc), 'A') || setweight(to_tsvector('simple', scope), 'B')))")

DONORS = (  # (name pattern, kind, public)
    ("Ngân hàng Agribank chi nhánh {commune}", "bank", True),
    ("Hội Chữ thập đỏ {commune}", "mass_organisation", True),
    ("Ủy ban Mặt trận Tổ quốc Việt Nam {commune}", "mass_organisation", True),
    ("Công ty TNHH Sản xuất và Thương mại {given} {commune_short}", "business", True),
    ("Các đồng chí lãnh đạo Đảng ủy, UBND {commune}", "official", True),
    ("Nhà hảo tâm (không công khai tên)", "person", False),
)
XOM = ("Xóm Trên", "Xóm Giữa", "Xóm Dưới", "Xóm Đình", "Xóm Chùa", "Xóm Mới", "Xóm Đồng", "Xóm Bãi", "Xóm Núi",
       "Xóm Cầu", "Xóm Chợ", "Xóm Giếng")
VILLAGE_NAMES = (
    "Đông", "Tây", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "Tân Lập", "Tân Phúc", "Yên Bình", "Phú Thọ", "An Lạc",
    "Hòa Bình", "Đồng Tâm", "Quyết Thắng", "Thành Công", "Xuân Phú", "Đại Đồng", "Vĩnh Ninh", "Hưng Long",
    "Phúc Thịnh", "Minh Khai", "Quang Trung", "Lam Sơn", "Thọ Xuân", "Kim Sơn", "Văn Lộc", "Hồng Phong",
)
SURNAMES = (
    ("Nguyễn", 32), ("Lê", 12), ("Trần", 8), ("Lê", 2), ("Phạm", 6), ("Hoàng", 4), ("Trịnh", 4), ("Vũ", 3),
    ("Đỗ", 3), ("Bùi", 3), ("Mai", 3), ("Đặng", 2), ("Ngô", 2), ("Hà", 2), ("Đào", 2), ("Dương", 2), ("Cao", 2),
    ("Lường", 1), ("Phan", 2), ("Tạ", 1), ("Lương", 1), ("Quách", 1), ("Vi", 1), ("Hồ", 1),
)
ETHNICITIES = (("Kinh", 85), ("Mường", 8), ("Thái", 5), ("Thổ", 1), ("Dao", 1))


class Picker:
    """Weighted choice over (value, weight) pairs with precomputed cumulative weights (random.choices per row is
    several times slower)."""

    def __init__(self, pairs: Iterable[tuple[Any, float]]) -> None:
        pairs = list(pairs)
        self.values = [v for v, _ in pairs]
        self.cum = list(itertools.accumulate(w for _, w in pairs))
        self.total = self.cum[-1]

    def __call__(self, rng) -> Any:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


SURNAME, ETHNICITY = Picker(SURNAMES), Picker(ETHNICITIES)
MID_M_OLD, MID_M_YOUNG = Picker(MIDDLE_MALE_OLD), Picker(MIDDLE_MALE_YOUNG)
MID_F_OLD, MID_F_YOUNG = Picker(MIDDLE_FEMALE_OLD), Picker(MIDDLE_FEMALE_YOUNG)
OCC_ADULT, OCC_ELDER = Picker(OCCUPATIONS_ADULT), Picker(OCCUPATIONS_ELDER)
POVERTY = Picker((("none", 74), ("poor", 6), ("near_poor", 8), ("farming_average", 10), ("hardship", 2)))
OUTCOMES = {k.value if k else None: Picker((o.value, w) for o, w in v) for k, v in OUTCOME_WEIGHTS.items()}
REVISITS = {k.value if k else None: Picker((o.value, w) for o, w in v) for k, v in REVISIT_WEIGHTS.items()}
REASON = Picker((r.value, w) for r, w in REASON_WEIGHTS)
VISIT_NOTES = {o.value: tuple(n for n in notes) for o, notes in NOTES.items()}
REFUSALS = {r.value: notes for r, notes in REFUSAL_NOTES.items()}
BHYT_MONTHS = Picker(((12, 60), (6, 28), (3, 12)))
BHXH_MODE = Picker((("1", 15), ("3", 25), ("6", 25), ("12", 35)))
STOPS = {"moved_away": "moved_away", "do_not_contact": "do_not_contact"}


_FOLDED: dict[str, str] = {}


def _folded_words(text: str) -> str:
    """fold() then the search words of a name, memoised: names repeat a lot. Same result as the app's
    ``_words`` in fieldwork/households/search.py (tests/test_bench_province.py compares every generated doc)."""
    words = _FOLDED.get(text)
    if words is None:
        words = _FOLDED[text] = " ".join(_WORD.findall(fold(text)))
    return words


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _bp(amount: int, basis_points: int) -> int:
    return (amount * basis_points + 5000) // 10000


# --- writing -----------------------------------------------------------------------------------------------------


def _sqlite_instant(value: Optional[datetime]) -> Optional[str]:
    """An aware UTC instant as SQLAlchemy's SQLite DATETIME stores it (what UTCDateTime binds)."""
    return None if value is None else value.isoformat(" ", "microseconds")[:26]  # generated instants are UTC


def _sqlite_day(value: Optional[date]) -> Optional[str]:
    return None if value is None else value.isoformat()


def _same(value: Any) -> Any:
    return value


class Writer:
    """Buffers tuples per table and writes them in foreign-key order: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, conn: Connection, timings: "Timings") -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.buffers: dict[str, list[tuple]] = {name: [] for name in COLUMNS}
        self.counts: dict[str, int] = {name: 0 for name in COLUMNS}
        self.timings = timings
        # Values are generated in the form the driver takes: SQLite gets SQLAlchemy's text forms of dates.
        self.instant: Callable[[Optional[datetime]], Any] = _same if self.pg else _sqlite_instant
        self.day: Callable[[Optional[date]], Any] = _same if self.pg else _sqlite_day

    def add(self, table: str, row: tuple) -> None:
        self.buffers[table].append(row)

    def flush(self) -> None:
        for table, rows in self.buffers.items():
            if not rows:
                continue
            started = time.perf_counter()
            columns = COLUMNS[table]
            if self.pg:
                cursor = self.conn.connection.dbapi_connection.cursor()
                with cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.close()
            else:
                marks = ", ".join("?" * len(columns))
                self.conn.exec_driver_sql(f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})', rows)
            self.counts[table] += len(rows)
            self.buffers[table] = []
            self.timings.add(f"write {table}", started)
        started = time.perf_counter()
        self.conn.commit()
        self.timings.add("commit", started)


class Timings:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, name: str, started: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


# --- the world being generated -----------------------------------------------------------------------------------


@dataclass
class Member:
    id: int
    user_id: int
    phone: str
    village_id: int
    is_head: bool
    household_ids: list[int] = field(default_factory=list)


@dataclass
class PersonPlan:
    """A person's row fields that the field work changes before the row is written."""

    id: int
    name: str
    sex: str
    birth_year: int
    birth_date: Optional[date]
    relation: str
    ethnicity: str
    occupation: Optional[str]
    cccd: Optional[str]
    bhxh_code: Optional[str] = None
    bhyt_status: str = "none"
    bhyt_card_expiry: Optional[date] = None
    bhxh_status: str = "none"
    bhxh_paid_until: Optional[date] = None


class Generator:
    def __init__(self, writer: Writer, session: Session, *, seed: int, today: date, scale: float,
                 province_code: str, password_hash: str) -> None:
        import random

        self.w = writer
        self.session = session
        self.rng = random.Random(seed)
        self.today = today
        self.scale = scale
        self.province_code = province_code
        self.password_hash = password_hash
        self.start = today - timedelta(days=DAYS)
        self.ids: dict[str, int] = {name: 0 for name in COLUMNS}
        self.phone_counter = 0
        self.uuid_base = self.rng.getrandbits(46)
        self.cccd_next: dict[str, int] = {}
        self.bhxh_counter = 0
        self.receipt_counter = 0
        self.params: dict[tuple[str, date], int] = {}
        self.members: list[Member] = []
        self.officials: list[dict] = []
        self.heads: list[dict] = []
        self.admin_phone = ""
        self.name_counts: dict[str, int] = {}
        self.created = datetime.combine(self.start - timedelta(days=30), dtime(1, 30), UTC)
        self.province_name = ""

    # -- helpers --------------------------------------------------------------------------------------------------

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def param(self, key: str, on: date) -> int:
        cache = (key, on)
        if cache not in self.params:
            self.params[cache] = parameter(self.session, key, on)
            self.session.commit()  # no read transaction left open (it would keep SQLite's WAL from checkpointing)
        return self.params[cache]

    def phone(self) -> str:
        """A unique mobile number: an affine permutation of a counter over the 8 digits after the prefix."""
        self.phone_counter += 1
        k = self.phone_counter
        prefix = ("09", "03", "08", "09", "03", "07", "09", "03")[k % 8]
        return f"{prefix}{(k * 48_271_009 + 13_579_246) % 100_000_000:08d}"

    def cccd(self, sex: str, year: int) -> str:
        century = (0 if year < 2000 else 2) + (1 if sex == "female" else 0)
        prefix = f"0{self.province_code}{century}{year % 100:02d}"
        serial = self.cccd_next.get(prefix, 0) + self.rng.randint(1, 40)
        self.cccd_next[prefix] = serial
        return f"{prefix}{serial:06d}"

    def bhxh_code(self) -> str:
        self.bhxh_counter += 1
        return f"{self.province_code}{(self.bhxh_counter * 7_919_017 + 1_234_567) % 100_000_000:08d}"

    def instant(self, day: date, first_hour: int = 7, last_hour: int = 19) -> datetime:
        local = datetime(day.year, day.month, day.day, self.rng.randint(first_hour, last_hour - 1),
                         self.rng.randrange(60), tzinfo=LOCAL_TZ)
        return local.astimezone(UTC)

    def uuid(self, visit_id: int) -> str:
        """A version-4 UUID whose leading 48 bits grow with the visit id (up to 8 million visits): the unique index
        is appended to rather than written all over."""
        h = f"{((self.uuid_base + visit_id * 33_554_467) << 80) | self.rng.getrandbits(80):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"

    def name(self, surname: str, sex: str, year: int) -> str:
        rng = self.rng
        young = year >= 1990
        if sex == "male":
            middle = (MID_M_YOUNG if young else MID_M_OLD)(rng)
            pool = GIVEN_MALE_YOUNG if year >= 2005 else GIVEN_MALE
        else:
            middle = (MID_F_YOUNG if young else MID_F_OLD)(rng)
            pool = GIVEN_FEMALE_YOUNG if year >= 2005 else GIVEN_FEMALE
        given = pool[int(rng.random() ** 1.6 * len(pool))]  # the first names of each pool are the common ones
        if given == middle:
            given = pool[0] if given != pool[0] else pool[1]
        return f"{surname} {middle} {given}"

    # -- users, committees, donors --------------------------------------------------------------------------------

    def user(self, phone: str, name: str, role: str, commune_id: Optional[int], village_id: Optional[int],
             created: datetime) -> int:
        user_id = self.next_id("user_account")
        self.w.add("user_account", (user_id, phone, name, role, commune_id, village_id, True, self.password_hash, 1,
                                    False, self.w.instant(created), self.w.instant(created)))
        return user_id

    def admin(self) -> int:
        self.admin_phone = self.phone()
        return self.user(self.admin_phone, "Quản trị hệ thống tỉnh", "admin", None, None, self.created)

    def official(self, commune: Any) -> int:
        phone = self.phone()
        sex = "female" if self.rng.random() < 0.55 else "male"
        user_id = self.user(phone, self.name(SURNAME(self.rng), sex, self.rng.randint(1970, 1992)), "official",
                            commune.id, None, self.created + timedelta(days=self.rng.randint(0, 10)))
        self.officials.append({"phone": phone, "commune_id": commune.id, "user_id": user_id})
        return user_id

    def committee(self, village_id: int, commune: Any, index: int) -> list[Member]:
        rng = self.rng
        established = self.start - timedelta(days=rng.randint(10, 40))
        committee_id = self.next_id("committee")
        self.w.add("committee", (committee_id, village_id, self.w.day(established),
                                 f"{100 + index % 800}/QĐ-UBND",
                                 f"Thành lập theo kế hoạch của UBND {commune.name} về vận động người dân tham gia "
                                 f"BHXH, BHYT."))
        size = rng.randint(5, 7)
        slots = list(MEMBER_SLOTS[:3]) + rng.sample(MEMBER_SLOTS[3:], size - 4)
        people = [(Organisation.FRONT, HEAD_TITLE, True)] + [(o, t, False) for o, t in slots]
        members = []
        for org, title, is_head in people:
            if org is Organisation.WOMEN:
                sex = "female"
            elif org in (Organisation.VETERANS, Organisation.FRONT):
                sex = "male" if rng.random() < 0.8 else "female"
            else:
                sex = "male" if rng.random() < 0.5 else "female"
            year = self.today.year - (rng.randint(24, 32) if org is Organisation.YOUTH else rng.randint(40, 66))
            name = self.name(SURNAME(rng), sex, year)
            phone = self.phone()
            user_id = self.user(phone, name, "member", commune.id, village_id,
                                datetime.combine(established + timedelta(days=3), dtime(2, 0), UTC))
            member_id = self.next_id("committee_member")
            self.w.add("committee_member", (member_id, committee_id, name, phone, org.value, title, is_head,
                                            self.w.day(established), user_id))
            member = Member(member_id, user_id, phone, village_id, is_head)
            members.append(member)
            self.members.append(member)
            if is_head:
                self.heads.append({"phone": phone, "village_id": village_id, "member_id": member_id})
        return members

    def donors(self, commune: Any) -> list[int]:
        rng = self.rng
        ids = []
        short = commune.name.split(" ", 1)[1] if " " in commune.name else commune.name
        for pattern, kind, public in DONORS[:rng.randint(3, len(DONORS))]:
            donor_id = self.next_id("donor")
            name = pattern.format(commune=commune.name, commune_short=short, given=rng.choice(GIVEN_MALE))
            contact = self.name(SURNAME(rng), "male" if rng.random() < 0.5 else "female", rng.randint(1960, 1990))
            self.w.add("donor", (donor_id, commune.id, name[:200], kind, contact, self.phone(),
                                 f"{commune.name}, {self.province_name}", public,
                                 None if public else "Không nêu tên trong báo cáo và buổi trao tặng.",
                                 self.w.instant(self.instant(self.start + timedelta(days=rng.randint(0, 60))))))
            ids.append(donor_id)
        return ids

    # -- households -----------------------------------------------------------------------------------------------

    def household(self, village_id: int, commune: Any, village_name: str, code: str, xom: str, member: Member,
                  official_id: int, donors: list[int]) -> None:
        rng, w = self.rng, self.w
        household_id = self.next_id("household")
        ethnicity = ETHNICITY(rng)
        poverty = POVERTY(rng)
        people = self.compose(ethnicity)
        for p in people:
            self.coverage(p, poverty)
        head = people[0]
        phone = self.phone() if rng.random() < 0.82 else None
        created = self.instant(self.start - timedelta(days=rng.randint(1, 25)))
        member.household_ids.append(household_id)
        assigned_from = self.start - timedelta(days=rng.randint(0, 5))

        # Field work over the two years; it changes people's cover and may stop outreach.
        stopped, stopped_at, notes = None, None, None
        if rng.random() < 0.04:
            notes = rng.choice(HOUSEHOLD_NOTES)
        stop = self.field_work(household_id, people, poverty, member, donors, official_id, phone is not None)
        if stop is not None:
            stopped, stopped_at = stop
        w.add("household", (household_id, village_id, code, head.name, f"{xom}, {village_name}, {commune.name}", xom,
                            phone, poverty, notes, stopped, w.instant(stopped_at), w.instant(created),
                            w.instant(stopped_at or created)))
        scope = scope_doc(village_id, commune.id)
        # The docs household_doc() and person_doc() write: folded names, then codes and numbers (digits only).
        doc = f"{_folded_words(head.name)} {code} {phone} {_folded_words(xom)}" if phone else \
            f"{_folded_words(head.name)} {code} {_folded_words(xom)}"
        w.add("search_entry", (self.next_id("search_entry"), "household", household_id, household_id, village_id,
                               doc, scope))
        consent = rng.random() < 0.88
        consent_at = created + timedelta(minutes=rng.randint(1, 40)) if consent else None
        for p in people:
            folded = _folded_words(p.name)
            w.add("person", (p.id, household_id, p.name, folded, w.day(p.birth_date), p.birth_year, p.sex,
                             p.relation, p.cccd, p.bhxh_code, p.ethnicity, p.occupation, p.bhyt_status,
                             w.day(p.bhyt_card_expiry), p.bhxh_status, w.day(p.bhxh_paid_until),
                             w.instant(consent_at), member.user_id if consent else None,
                             "Chủ hộ đồng ý cho ban vận động ghi thông tin của hộ (phiếu giấy)." if consent else None,
                             w.instant(created), w.instant(created)))
            doc = " ".join(part for part in (folded, p.cccd, p.bhxh_code, code) if part)
            w.add("search_entry", (self.next_id("search_entry"), "person", p.id, household_id, village_id, doc,
                                   scope))
        w.add("assignment", (self.next_id("assignment"), household_id, member.id, w.day(assigned_from), official_id,
                             w.instant(datetime.combine(assigned_from, dtime(2, 0), UTC))))
        words = head.name.split()
        for key in (" ".join(words[:2]), " ".join(words[-2:])):
            self.name_counts[key] = self.name_counts.get(key, 0) + 1

    def person(self, surname: str, sex: str, age: int, relation: str, ethnicity: str) -> PersonPlan:
        rng = self.rng
        age = max(0, age)
        year = self.today.year - age
        birth_date = None
        if rng.random() < 0.85:
            birth_date = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        if age >= 60:
            occupation = OCC_ELDER(rng)
        elif age >= 18:
            occupation = OCC_ADULT(rng)
        elif age >= 15:
            occupation = "Học sinh"
        else:
            occupation = None
        cccd = self.cccd(sex, year) if age >= 14 and rng.random() < 0.9 else None
        return PersonPlan(self.next_id("person"), self.name(surname, sex, year), sex, year, birth_date, relation,
                          ethnicity, occupation, cccd)

    def compose(self, ethnicity: str) -> list[PersonPlan]:
        """Head, spouse, children, sometimes a married son's family or a parent: 1 to 7 people, about 4 on average."""
        rng = self.rng
        head_age = rng.randint(26, 80) if rng.random() < 0.3 else rng.randint(32, 62)
        head_sex = "male" if rng.random() < 0.8 else "female"
        surname = SURNAME(rng)
        people = [self.person(surname, head_sex, head_age, "head", ethnicity)]
        if rng.random() < (0.88 if head_age < 65 else 0.65):
            other = "female" if head_sex == "male" else "male"
            people.append(self.person(surname if other == "male" else SURNAME(rng), other,
                                      head_age + rng.randint(-6, 4), "spouse", ethnicity))
        father = surname if head_sex == "male" else SURNAME(rng)
        children = rng.choice((0, 1, 2, 2, 2, 2, 3, 3)) if head_age < 62 else rng.choice((0, 1, 1, 2, 2))
        for i in range(children):
            lo = max(0, head_age - 42)
            age = rng.randint(lo, max(lo, head_age - 20))
            people.append(self.person(father, "male" if rng.random() < 0.51 else "female", age, "child", ethnicity))
            if i == 0 and age >= 25 and rng.random() < 0.35:
                people.append(self.person(SURNAME(rng), "female", age - rng.randint(0, 4), "child_in_law", ethnicity))
                for _ in range(rng.choice((0, 1, 1, 2))):
                    people.append(self.person(father, "male" if rng.random() < 0.5 else "female",
                                              rng.randint(0, max(0, age - 22)), "grandchild", ethnicity))
        if head_age < 55 and rng.random() < 0.3:
            people.append(self.person(surname, "female" if rng.random() < 0.65 else "male",
                                      head_age + rng.randint(22, 30), "parent", ethnicity))
        return people[:7]

    def coverage(self, p: PersonPlan, poverty: str) -> None:
        """Cover as it stood two years ago."""
        rng = self.rng
        age = self.today.year - p.birth_year
        if age < 6 or age >= 80 or poverty == "poor" or p.ethnicity != "Kinh" and rng.random() < 0.5:
            p.bhyt_status = "other_group"
        elif p.occupation in ("Công nhân", "Giáo viên", "Nhân viên văn phòng") or p.occupation == "Học sinh" \
                or rng.random() < 0.12:
            p.bhyt_status = "other_group"
        elif rng.random() < 0.35:
            p.bhyt_status = "household"
            p.bhyt_card_expiry = _add_months(self.start.replace(day=1), rng.randint(1, 12)) - timedelta(days=1)
        if 18 <= age <= 60:
            if p.occupation in ("Công nhân", "Giáo viên", "Nhân viên văn phòng"):
                p.bhxh_status = "compulsory"
            elif rng.random() < 0.03:
                p.bhxh_status = "voluntary"
                p.bhxh_paid_until = _add_months(self.start.replace(day=1), rng.randint(1, 12)) - timedelta(days=1)
        elif age > 60 and rng.random() < 0.12:
            p.bhxh_status = "pensioner"
        if p.bhyt_status != "none" or p.bhxh_status != "none" or rng.random() < 0.3:
            p.bhxh_code = self.bhxh_code()

    # -- field work -----------------------------------------------------------------------------------------------

    def bhyt_prospects(self, people: list[PersonPlan], on: date) -> list[PersonPlan]:
        return [p for p in people if p.bhyt_status == "none"
                or p.bhyt_status == "household" and p.bhyt_card_expiry is not None and p.bhyt_card_expiry < on]

    def bhxh_prospects(self, people: list[PersonPlan], on: date) -> list[PersonPlan]:
        return [p for p in people if 18 <= on.year - p.birth_year <= 58 and p.occupation != "Học sinh"
                and (p.bhxh_status == "none" or p.bhxh_status == "voluntary" and p.bhxh_paid_until is not None
                     and p.bhxh_paid_until < on)]

    def field_work(self, household_id: int, people: list[PersonPlan], poverty: str, member: Member,
                   donors: list[int], official_id: int, has_phone: bool) -> Optional[tuple[str, datetime]]:
        """The household's visits (with their follow-ups and enrolments), oldest first. Returns (why, when) when
        a visit stopped outreach."""
        rng, w = self.rng, self.w
        mean = VISITS_PER_HOUSEHOLD
        count = min(40, int(rng.expovariate(1 / mean) + 0.5))
        if count == 0:
            return None
        # Days before today, more of them recent; the newest visits within the last weeks.
        days = sorted((int(DAYS * rng.random() ** 1.15) + 1 for _ in range(count)), reverse=True)
        pending: Optional[int] = None  # index in the follow_up buffer of the open revisit
        last = len(days) - 1
        for i, ago in enumerate(days):
            day = self.today - timedelta(days=ago)
            bhyt = self.bhyt_prospects(people, day)
            bhxh = self.bhxh_prospects(people, day)
            if bhyt and (not bhxh or rng.random() < 0.75):
                scheme: Optional[str] = "bhyt_hgd"
            else:
                scheme = "bhxh_tn" if bhxh else None
            outcome = (OUTCOMES if i == 0 else REVISITS)[scheme](rng)
            if outcome in STOPS and i < last * 0.8:
                outcome = "not_home"  # moving away or closing the door ends the story: keep it for the end
            at = self.instant(day)
            created = at + timedelta(minutes=rng.randint(1, 30))
            visit_id = self.next_id("visit")
            reason = None
            if outcome == "refused":
                reason = REASON(rng)
                note = rng.choice(REFUSALS[reason])
            else:
                note = rng.choice(VISIT_NOTES[outcome]) if rng.random() < 0.5 else None
            next_date = None
            channel = "phone" if has_phone and rng.random() < 0.1 else "meeting" if rng.random() < 0.04 else "home"
            if outcome == "considering":
                next_date = day + timedelta(days=7)
            elif outcome == "not_home":
                next_date, channel = day + timedelta(days=1), "home"
            adults = [p for p in people if day.year - p.birth_year >= 18] or people
            met = None if outcome == "not_home" else adults[0 if rng.random() < 0.7 else -1].name
            w.add("visit", (visit_id, self.uuid(visit_id), household_id, member.id, w.instant(at), outcome, reason,
                            scheme if outcome in ("agreed", "considering", "refused") else None, channel, met, note,
                            w.day(next_date), member.user_id, w.instant(created), w.instant(created)))
            if pending is not None:  # this visit closes the revisit the previous one left
                row = w.buffers["follow_up"][pending]
                w.buffers["follow_up"][pending] = row[:6] + ("done",) + row[7:11] + (w.instant(created),)
                pending = None
            if outcome in ("considering", "not_home"):
                pending = len(w.buffers["follow_up"])
                w.add("follow_up", (self.next_id("follow_up"), household_id, None, member.id, visit_id, "revisit",
                                    "open", w.day(next_date),
                                    "Quay lại trao đổi tiếp với gia đình" if outcome == "considering"
                                    else "Gặp lại chủ hộ", member.user_id, w.instant(created), None))
            elif outcome == "refused" and reason == RefusalReason.CANNOT_AFFORD.value:
                sponsored = poverty in ("poor", "near_poor", "hardship") and rng.random() < 0.35 and donors
                due = day + timedelta(days=14)
                status = "open" if due >= self.today - timedelta(days=30) and not sponsored else "cancelled"
                closed = None if status == "open" else w.instant(created + timedelta(days=14))
                if sponsored:
                    status, closed = "done", w.instant(created + timedelta(days=4))
                w.add("follow_up", (self.next_id("follow_up"), household_id, None, member.id, visit_id,
                                    "needs_sponsor", status, w.day(due),
                                    "Đề xuất tìm nhà hảo tâm tặng sổ BHXH/thẻ BHYT", member.user_id,
                                    w.instant(created), closed))
                if sponsored and scheme is not None:
                    self.sponsorship(people, poverty, scheme, day, member, rng.choice(donors), official_id)
            elif outcome == "agreed" and scheme is not None:
                self.agreed(household_id, people, poverty, scheme, day, created, visit_id, member)
            elif outcome in STOPS:
                return STOPS[outcome], created
        return None

    def agreed(self, household_id: int, people: list[PersonPlan], poverty: str, scheme: str, day: date,
               created: datetime, visit_id: int, member: Member) -> None:
        rng, w = self.rng, self.w
        receipt = day + timedelta(days=rng.choice((0, 0, 1, 2, 3, 5, 8)))
        recorded = receipt < self.today and rng.random() < 0.9
        if scheme == "bhyt_hgd":
            people_in = sorted(self.bhyt_prospects(people, day),
                               key=lambda p: (p.relation not in ("head", "spouse"), p.relation != "head",
                                              p.birth_year))
            if not people_in:
                return
            person_id = people_in[0].id
            note = "Hoàn tất hồ sơ, nộp tiền mua thẻ BHYT hộ gia đình"
        else:
            prospects = self.bhxh_prospects(people, day)
            if not prospects:
                return
            people_in = [rng.choice(prospects)]
            person_id = people_in[0].id
            note = "Hoàn tất tờ khai TK1-TS, nộp tiền BHXH tự nguyện"
        at = None
        if recorded:
            at = self.instant(receipt, 8, 17)
            if scheme == "bhyt_hgd":
                self.bhyt(people_in, poverty, receipt, BHYT_MONTHS(rng), visit_id, member, None, at)
            else:
                self.bhxh(people_in[0], poverty, receipt, None, visit_id, member, None, at)
        w.add("follow_up", (self.next_id("follow_up"), household_id, person_id, member.id, visit_id,
                            "complete_enrolment", "done" if recorded else "open", w.day(day + timedelta(days=7)),
                            note, member.user_id, w.instant(created), w.instant(at)))

    def receipt(self) -> str:
        self.receipt_counter += 1
        return f"{self.receipt_counter:08d}"

    def bhyt_share(self, poverty: str, on: date) -> int:
        if poverty == "near_poor":
            return self.param("bhyt_support_near_poor", on)
        if poverty == "farming_average":
            return self.param("bhyt_support_farming_average", on)
        return 0

    def bhyt_monthly(self, rank: int, on: date) -> int:
        first = _bp(self.param("base_salary", on), self.param("bhyt_hgd_rate", on))
        return first if rank <= 1 else _bp(first, self.param(f"bhyt_hgd_rank_{min(rank, 5)}", on))

    def bhxh_amounts(self, poverty: str, person: PersonPlan, income: int, months: int,
                     on: date) -> tuple[int, int, int]:
        rate = self.param("bhxh_tn_rate", on)
        if poverty == "poor":
            share = self.param("bhxh_tn_support_poor", on)
        elif poverty == "near_poor":
            share = self.param("bhxh_tn_support_near_poor", on)
        elif person.ethnicity != "Kinh":
            share = self.param("bhxh_tn_support_ethnic_minority", on)
        else:
            share = self.param("bhxh_tn_support_other", on)
        line = self.param("rural_poverty_line", on)
        return _bp(income, rate) * months, _bp(_bp(line, rate), share) * months, share

    def bhyt(self, people: list[PersonPlan], poverty: str, receipt: date, months: int, visit_id: Optional[int],
             member: Member, sponsorship: Optional[int], at: datetime, first_rank: int = 1) -> None:
        """Household cards for ``people`` (ranked in that order) from the month after the receipt."""
        w = self.w
        from_month = _add_months(receipt.replace(day=1), 1)
        valid_until = _add_months(from_month, months) - timedelta(days=1)
        share = self.bhyt_share(poverty, from_month)
        batch = f"b{self.ids['enrolment'] + 1:09d}"
        for rank, p in enumerate(people, start=first_rank):
            monthly = self.bhyt_monthly(rank, from_month)
            total = monthly * months
            state = _bp(monthly, share) * months
            other = total - state if sponsorship is not None else 0
            kind = "renewal" if p.bhyt_card_expiry is not None else "new"
            w.add("enrolment", (self.next_id("enrolment"), p.id, "bhyt_hgd", kind, None, None, months,
                                w.day(from_month), w.day(valid_until), rank, total, total - state - other, state, 0,
                                other, member.id, visit_id, sponsorship, self.receipt(), w.day(receipt), batch,
                                share, 0, member.user_id, w.instant(at)))
            p.bhyt_status, p.bhyt_card_expiry = "household", valid_until
            if p.bhxh_code is None:
                p.bhxh_code = self.bhxh_code()

    def bhxh(self, p: PersonPlan, poverty: str, receipt: date, mode: Optional[str], visit_id: Optional[int],
             member: Member, sponsorship: Optional[tuple[int, int]], at: datetime) -> None:
        rng, w = self.rng, self.w
        from_month = receipt.replace(day=1)
        line = self.param("rural_poverty_line", from_month)
        step = self.param("bhxh_tn_income_step", from_month)
        income = line if sponsorship or rng.random() < 0.6 else rng.randrange(line + step, 3_000_000 + step, step)
        mode = mode or BHXH_MODE(rng)
        months = int(mode)
        total, state, share = self.bhxh_amounts(poverty, p, income, months, from_month)
        other = min(sponsorship[1], total - state) if sponsorship else 0
        valid_until = _add_months(from_month, months) - timedelta(days=1)
        kind = "renewal" if p.bhxh_status == "voluntary" else "new"
        w.add("enrolment", (self.next_id("enrolment"), p.id, "bhxh_tn", kind, income, mode, months,
                            w.day(from_month), w.day(valid_until), None, total, total - state - other, state, 0,
                            other, member.id, visit_id, sponsorship[0] if sponsorship else None, self.receipt(),
                            w.day(receipt), None, share, 0, member.user_id, w.instant(at)))
        p.bhxh_status, p.bhxh_paid_until = "voluntary", valid_until
        if p.bhxh_code is None:
            p.bhxh_code = self.bhxh_code()

    def sponsorship(self, people: list[PersonPlan], poverty: str, scheme: str, day: date, member: Member,
                    donor_id: int, official_id: int) -> None:
        """A donor pays the person's share for 12 months; handed over (and enrolled) unless it is recent."""
        rng, w = self.rng, self.w
        prospects = (self.bhyt_prospects if scheme == "bhyt_hgd" else self.bhxh_prospects)(people, day)
        if not prospects:
            return
        person = prospects[0] if scheme == "bhyt_hgd" else rng.choice(prospects)
        yesterday = self.today - timedelta(days=1)
        proposed = min(day + timedelta(days=rng.randint(1, 4)), yesterday)
        approved = min(proposed + timedelta(days=rng.randint(2, 5)), yesterday)
        paid = min(approved + timedelta(days=rng.randint(3, 6)), yesterday)
        handed = min(paid + timedelta(days=rng.randint(2, 9)), yesterday)
        age = (self.today - day).days
        status = ("handed_over" if age > 40 else "paid" if age > 25 else "approved" if age > 12 else "proposed")
        months = 12
        start = handed.replace(day=1) if status == "handed_over" else _add_months(self.today.replace(day=1), 1)
        if scheme == "bhxh_tn":
            from_month = start
            income = self.param("rural_poverty_line", from_month)
            total, state, _share = self.bhxh_amounts(poverty, person, income, months, from_month)
            amount = total - state
            rank = 1
        else:
            from_month = _add_months(start, 1) if status == "handed_over" else start
            rank = 1 + sum(p.bhyt_status == "household" and p is not person for p in people)
            monthly = self.bhyt_monthly(rank, from_month)
            amount = monthly * months - _bp(monthly, self.bhyt_share(poverty, from_month)) * months
        sponsorship_id = self.next_id("sponsorship")
        approved_at = self.instant(approved, 8, 17) if status != "proposed" else None
        w.add("sponsorship", (
            sponsorship_id, donor_id, person.id, scheme, months, w.day(from_month), amount, status, member.user_id,
            official_id if approved_at else None, w.instant(approved_at),
            w.day(paid) if status in ("paid", "handed_over") else None,
            w.day(handed) if status == "handed_over" else None,
            f"Hội nghị khách hàng tại nhà văn hóa thôn, ngày {handed:%d/%m/%Y}" if status == "handed_over" else None,
            "Đề nghị tặng sổ BHXH tự nguyện 12 tháng (phần người dân phải đóng)" if scheme == "bhxh_tn"
            else "Hộ khó khăn, đề nghị tặng thẻ BHYT 12 tháng (phần người dân phải đóng)",
            w.instant(self.instant(proposed))))
        if status == "handed_over":
            at = self.instant(handed, 8, 17)
            if scheme == "bhxh_tn":
                self.bhxh(person, poverty, handed, "12", None, member, (sponsorship_id, amount), at)
            else:
                self.bhyt([person], poverty, handed, months, None, member, sponsorship_id, at, first_rank=rank)

    # -- targets --------------------------------------------------------------------------------------------------

    def targets(self, commune_id: int, villages: list[tuple[int, int]], official_id: int) -> None:
        """This year's five indicators for the commune, split over its villages in proportion to their size."""
        w = self.w
        year = self.today.year
        start, end = date(year, 1, 1), date(year, 12, 31)
        created = min(datetime(year, 1, 12, 2, 30, tzinfo=UTC),
                      datetime.combine(self.today - timedelta(days=1), dtime(2, 30), UTC))
        households = sum(size for _, size in villages)
        label = f"Chỉ tiêu năm {year}"
        wholes = ((Indicator.NEW_BHXH_TN, households * 8 // 100), (Indicator.NEW_BHYT_HGD, households * 40 // 100),
                  (Indicator.RENEWALS, households * 150 // 100), (Indicator.BHYT_COVERAGE, 9400),
                  (Indicator.SPONSORED, max(1, households // 60)))
        for indicator, value in wholes:
            parent_id = self.next_id("target")
            w.add("target", (parent_id, commune_id, None, None, indicator.value, "year", label, w.day(start),
                             w.day(end), w.day(end), value, official_id, w.instant(created)))
            parts = ([value] * len(villages) if indicator is Indicator.BHYT_COVERAGE
                     else split_proportionally(value, [size for _, size in villages]))
            for (village_id, _size), part in zip(villages, parts):
                w.add("target", (self.next_id("target"), commune_id, village_id, parent_id, indicator.value, "year",
                                 label, w.day(start), w.day(end), w.day(end), part, official_id, w.instant(created)))

    # -- the province ---------------------------------------------------------------------------------------------

    def run(self, communes: list[Any], province_name: str, progress: bool) -> None:
        rng, w = self.rng, self.w
        self.province_name = province_name  # in donors' addresses
        villages_total = max(len(communes), round(VILLAGES * self.scale))
        households_total = max(villages_total * 5, round(HOUSEHOLDS * self.scale))
        # Villages per commune: every commune gets some, bigger rural communes more.
        weights = [rng.uniform(0.5, 1.5) * (1.0 if c.kind == "xa" else 0.7) for c in communes]
        per_commune = [1 + n for n in split_proportionally(villages_total - len(communes), [round(x * 1000)
                                                                                            for x in weights])]
        sizes = split_proportionally(households_total, [rng.randint(50, 150) for _ in range(villages_total)])
        self.admin()
        started = time.perf_counter()
        generated = 0
        village_no = 0
        for c_index, (commune, n_villages) in enumerate(zip(communes, per_commune), start=1):
            official_id = self.official(commune)
            donors = self.donors(commune)
            made: list[tuple[int, int]] = []
            for v in range(1, n_villages + 1):
                size = sizes[village_no]
                village_no += 1
                village_id = self.next_id("village")
                kind = "thon" if commune.kind == "xa" else "to_dan_pho"
                base = VILLAGE_NAMES[(v - 1) % len(VILLAGE_NAMES)]
                suffix = f" {(v - 1) // len(VILLAGE_NAMES) + 1}" if v > len(VILLAGE_NAMES) else ""
                name = (f"Thôn {base}{suffix}" if kind == "thon" else f"Tổ dân phố {v}")
                w.add("village", (village_id, commune.id, f"T{v:02d}", name, kind, w.day(date(2025, 7, 1)),
                                  w.instant(self.created)))
                members = self.committee(village_id, commune, village_no)
                xoms = XOM[:max(2, min(len(XOM), size // 60))]
                for number in range(1, size + 1):
                    xom = xoms[(number - 1) * len(xoms) // size]
                    member = members[(number - 1) * len(members) // size]  # contiguous runs, even loads
                    code = f"{self.province_code}{c_index:03d}{v:02d}{number:04d}"
                    self.household(village_id, commune, name, code, xom, member, official_id, donors)
                    generated += 1
                    if generated % CHUNK_HOUSEHOLDS == 0:
                        w.flush()
                        if progress and generated % (CHUNK_HOUSEHOLDS * 10) == 0:
                            print(f"    {generated:,}/{households_total:,} households, "
                                  f"{self.ids['visit']:,} visits, {time.perf_counter() - started:.0f} s", flush=True)
                made.append((village_id, size))
            self.targets(commune.id, made, official_id)
        w.flush()


# --- the database ------------------------------------------------------------------------------------------------


def _engine(url: str) -> Engine:
    return make_engine(normalise_database_url(url))


def _has_data(conn: Connection) -> bool:
    return conn.execute(sa.text("SELECT 1 FROM village LIMIT 1")).first() is not None \
        or conn.execute(sa.text("SELECT 1 FROM user_account LIMIT 1")).first() is not None


def _empty(conn: Connection) -> None:
    """Every table but the administrative catalogue and the migration mark (the legal parameters are re-seeded)."""
    keep = {"province", "commune", "alembic_version"}
    tables = [t for t in reversed(SQLModel.metadata.sorted_tables) if t.name not in keep]
    if conn.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        conn.commit()
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # else every deleted visit scans enrolment.visit_id
        for table in tables:
            conn.execute(table.delete())
        conn.commit()
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    conn.commit()


def _secondary_indexes(conn: Connection) -> list[sa.Index]:
    """The model's non-unique indexes of the big tables that exist in the database (named as the migrations)."""
    present: set[str] = set()
    inspector = sa.inspect(conn)
    for name in BIG_TABLES:
        present |= {ix["name"] for ix in inspector.get_indexes(name)}
    return [ix for name in BIG_TABLES for ix in SQLModel.metadata.tables[name].indexes
            if ix.name in present and not ix.unique]


def _size(engine: Engine) -> int:
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database)
        return sum(Path(str(path) + s).stat().st_size for s in ("", "-wal") if Path(str(path) + s).exists())
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()


def default_manifest(url: str) -> Path:
    """``<file>.manifest.json`` next to a SQLite file; ``instance/bench/<db>.postgresql.manifest.json`` otherwise."""
    u = make_url(normalise_database_url(url))
    if u.get_backend_name() == "sqlite" and u.database:
        path = Path(u.database)
        return path.with_name(path.stem + ".manifest.json")
    return PROJECT_ROOT / "instance" / "bench" / f"{u.database}.postgresql.manifest.json"


@dataclass
class Result:
    manifest: dict
    manifest_path: Path
    seconds: dict[str, float]
    size_bytes: int


def generate(url: str, *, scale: float = 1.0, seed: int = 1, province_code: str = DEFAULT_PROVINCE,
             today: Optional[date] = None, replace: bool = False, manifest_path: Optional[Path] = None,
             progress: bool = False) -> Result:
    """Migrate the database at ``url``, load the reference data, then bulk-load a province into it.

    Refuses a database that already holds villages or users unless ``replace`` (which empties it first). Returns
    the manifest (also written as JSON to ``manifest_path``), the seconds per phase and the database size.
    """
    timings = Timings()
    today = today or local_today()
    url = normalise_database_url(url)
    started = time.perf_counter()
    if url.startswith("sqlite"):
        Path(make_url(url).database).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as instance:
        app = fieldwork.create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench"})
        fieldwork.migrate.upgrade(app)
        app.extensions["fieldwork.engine"].dispose()
    engine = _engine(url)
    with engine.connect() as conn:
        if _has_data(conn):
            if not replace:
                engine.dispose()
                raise SystemExit("The database already holds data: use --replace to empty it first.")
            _empty(conn)
    with Session(engine) as session:
        load_reference_data(session)
        session.commit()
    timings.add("migrate + reference data", started)

    started = time.perf_counter()
    password_hash = hash_password(PASSWORD)
    timings.add("hash the password (once)", started)

    pg = engine.dialect.name == "postgresql"
    with engine.connect() as conn, Session(engine) as session:
        province = conn.execute(sa.select(Province.id, Province.name).where(Province.code == province_code)).first()
        if province is None:
            raise SystemExit(f"No province {province_code} in the catalogue.")
        communes = conn.execute(sa.select(Commune.id, Commune.code, Commune.name, Commune.kind)
                                .where(Commune.province_id == province.id).order_by(Commune.code)).all()
        conn.commit()
        started = time.perf_counter()
        indexes = _secondary_indexes(conn)
        if pg:
            conn.exec_driver_sql("SET synchronous_commit = off")
            if conn.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
                # Foreign-key triggers off during the load (the rows are consistent by construction, and the
                # test checks SQLite's foreign keys on the same generator): COPY is then about twice as fast.
                conn.exec_driver_sql("SET session_replication_role = replica")
            conn.exec_driver_sql("DROP INDEX IF EXISTS ix_search_entry_tsv")
        else:
            for pragma in ("synchronous=OFF", "foreign_keys=OFF", "cache_size=-1000000", "temp_store=MEMORY"):
                conn.exec_driver_sql(f"PRAGMA {pragma}")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS search_entry_ai")
        for ix in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{ix.name}"')
        conn.commit()
        timings.add("drop indexes", started)

        writer = Writer(conn, timings)
        gen = Generator(writer, session, seed=seed, today=today, scale=scale, province_code=province_code,
                        password_hash=password_hash)
        started = time.perf_counter()
        gen.run(communes, province.name, progress)
        total = time.perf_counter() - started
        writes = sum(s for k, s in timings.seconds.items() if k.startswith("write ") or k == "commit")
        timings.seconds["generate rows (python)"] = total - writes

        started = time.perf_counter()
        if pg:
            conn.exec_driver_sql("SET session_replication_role = DEFAULT")
            conn.exec_driver_sql("SET maintenance_work_mem = '1GB'")
        for ix in indexes:
            ix.create(conn)
        conn.commit()
        timings.add("rebuild indexes", started)
        started = time.perf_counter()
        if pg:
            conn.exec_driver_sql(PG_SEARCH_INDEX)
        else:
            conn.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES('rebuild')")
            conn.exec_driver_sql(FTS_INSERT_TRIGGER)
        conn.commit()
        timings.add("rebuild search index", started)
        started = time.perf_counter()
        if pg:
            for table in COLUMNS:
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                     f"(SELECT coalesce(max(id), 0) + 1 FROM \"{table}\"), false)")
            conn.commit()
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        timings.add("reset sequences", started)
        started = time.perf_counter()
        if pg:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        timings.add("analyze", started)
        counts = dict(writer.counts)

    manifest = _manifest(gen, counts, seed=seed, scale=scale, today=today, province_code=province_code,
                         province_name=province.name)
    manifest_path = Path(manifest_path or default_manifest(url))
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    size = _size(engine)
    engine.dispose()
    return Result(manifest, manifest_path, timings.seconds, size)


def _manifest(gen: Generator, counts: dict[str, int], **about: Any) -> dict:
    rng = __import__("random").Random(about["seed"] + 1)
    members = gen.members if len(gen.members) <= MANIFEST_MEMBERS else rng.sample(gen.members, MANIFEST_MEMBERS)
    members.sort(key=lambda m: m.id)
    common = sorted(gen.name_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    # "Surname Middle" of household heads, most common first, then shorter prefixes as people type them.
    terms = [name for name, _ in common[:12]]
    terms += sorted({name.split()[0] for name in terms})[:4]
    terms += sorted({name[:4] for name in terms if len(name) >= 4})[:4]
    terms = list(dict.fromkeys(terms))  # no duplicates, order kept
    return {
        "about": {**about, "today": about["today"].isoformat()},
        "password": PASSWORD,
        "admin": {"phone": gen.admin_phone},
        "officials": [{"phone": o["phone"], "commune_id": o["commune_id"]} for o in gen.officials],
        "heads": [{"phone": h["phone"], "village_id": h["village_id"]} for h in gen.heads][:MANIFEST_MEMBERS],
        "members": [{"phone": m.phone, "village_id": m.village_id, "member_id": m.id,
                     "household_ids": m.household_ids[:MANIFEST_HOUSEHOLDS]} for m in members],
        "search_terms": terms,
        "counts": counts,
    }


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.province", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True,
                        help="e.g. sqlite:///instance/bench/province.sqlite3 or postgresql://postgres@host/db")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 500,000 households (default); 0.01 small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--province", default=DEFAULT_PROVINCE, help="2-digit province code (default 38)")
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="the day the two years of field work end (default: today in Vietnam)")
    parser.add_argument("--replace", action="store_true", help="empty a database that already holds data")
    parser.add_argument("--manifest", type=Path, default=None, help="where to write the manifest JSON")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    started = time.perf_counter()
    result = generate(args.database_url, scale=args.scale, seed=args.seed, province_code=args.province,
                      today=args.today, replace=args.replace, manifest_path=args.manifest, progress=True)
    wall = time.perf_counter() - started
    print(f"\nProvince {args.province} ({result.manifest['about']['province_name']}), scale {args.scale}, "
          f"seed {args.seed}, today {result.manifest['about']['today']}")
    print(f"  {'table':<20} {'rows':>12}")
    for table, rows in result.manifest["counts"].items():
        print(f"  {table:<20} {rows:>12,}")
    print(f"\n  {'phase':<34} {'seconds':>8}")
    for phase, seconds in sorted(result.seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {phase:<34} {seconds:8.1f}")
    print(f"  {'wall time':<34} {wall:8.1f}")
    print(f"\n  database size {result.size_bytes / 2**20:,.0f} MiB")
    print(f"  manifest written to {result.manifest_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
