"""Household/person search at province scale: a bulk generator and a latency measurement, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.registry_search --db both --households 500000          # generate + measure
    .venv/bin/python -m bench.registry_search --db both --households 500000 --reuse  # measure an existing database
    .venv/bin/python -m bench.registry_search --small                                # quick check (< 1 min)

See bench/README.md for the figures. Databases: ``bench/out/registry_<households>.sqlite3`` and the PostgreSQL
database ``fieldwork_bench_<households>`` (both dropped and recreated by a generation).
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import math
import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, select

import fieldwork
import fieldwork.migrate
from fieldwork.config import normalise_database_url
from fieldwork.db import make_engine
from fieldwork.households import search as search_module
from fieldwork.households.search import household_doc, person_doc, scope_doc
from fieldwork.models import Commune, Household, Person, Province, Role, SearchEntry, User, Village
from fieldwork.reference import load_reference_data
from fieldwork.text import fold

OUT = Path(__file__).resolve().parent / "out"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PROVINCE_CODE = "24"  # Tỉnh Bắc Ninh (2025 catalogue): 99 communes
HOUSEHOLDS_PER_VILLAGE = 250  # 500,000 households -> 2,000 villages
CHUNK = 10_000
TARGET_P95_MS = 50.0

# --- Vietnamese names --------------------------------------------------------------------------------------------

SURNAMES = [  # (surname, share %) roughly as in national statistics
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Hoàng", 5), ("Phan", 4.5), ("Vũ", 4),
    ("Đặng", 2.1), ("Bùi", 2), ("Đỗ", 1.4), ("Ngô", 1.3), ("Dương", 1), ("Đinh", 1), ("Đào", 1), ("Trịnh", 0.9),
    ("Lý", 0.5), ("Lương", 0.6), ("Tạ", 0.5), ("Chu", 0.4), ("Hà", 0.6), ("Mai", 0.4), ("Cao", 0.4),
]
MIDDLE_MALE = [("Văn", 45), ("Đức", 9), ("Hữu", 7), ("Quang", 7), ("Minh", 8), ("Ngọc", 4), ("Công", 5),
               ("Đình", 6), ("Xuân", 4), ("Thanh", 5), ("Trọng", 3), ("Tiến", 2)]
MIDDLE_FEMALE = [("Thị", 55), ("Thu", 7), ("Ngọc", 6), ("Minh", 4), ("Thanh", 6), ("Hồng", 5), ("Kim", 4),
                 ("Phương", 3), ("Mai", 3), ("Thúy", 3), ("Bích", 2), ("Diệu", 2)]
GIVEN_MALE = (
    "Đức Hùng Dũng Minh Tuấn Nam Hải Sơn Long Thắng Cường Quang Hưng Huy Thành Trung Tiến Anh Bình Phong Việt Hoàng "
    "Mạnh Khánh Toàn Tùng Quân Hiếu Đạt Kiên Chiến Công Duy Giang Hào Hiệp Hòa Khải Khang Khoa Lâm Lộc Luân Nghĩa "
    "Nhân Phú Phúc Quốc Quý Tài Tâm Tân Thái Thịnh Thông Trường Vinh Vũ Bắc Chính Đông Hậu Hiển Hợp Kiệt Lợi Lực "
    "Ninh Sang Tú Thuận Hoan Bảo Định Lương"
).split()
GIVEN_FEMALE = (
    "Hương Lan Hoa Hà Hằng Linh Trang Thảo Nga Mai Hạnh Huyền Thủy Thu Dung Hiền Ngọc Phương Yến Vân Loan Liên "
    "Nhung Hồng Huệ Hường Anh An Ánh Bích Châm Chi Cúc Diệp Duyên Giang Ly My Ngân Nguyệt Nhàn Oanh Phượng Quyên "
    "Quỳnh Tâm Thanh Thắm Thơm Thúy Thư Trinh Tuyết Uyên Vy Xuân Hoài Lệ Mến Nhi Sen Tươi Thoa Thêu Tình Điệp Đào "
    "Khuyên Liễu Ngát Thùy Gấm Lụa"
).split()

HOUSEHOLD_SIZES = [(1, 5), (2, 12), (3, 20), (4, 28), (5, 18), (6, 10), (7, 7)]  # mean 4.0
UTC = timezone.utc
CREATED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Picker:
    """Weighted choice with precomputed cumulative weights (random.choices is slow when called row by row)."""

    def __init__(self, pairs):
        self.values = [v for v, _ in pairs]
        self.cum = list(itertools.accumulate(w for _, w in pairs))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


def zipf(names: list[str], s: float = 0.9) -> list[tuple[str, float]]:
    return [(n, 1 / (rank + 1) ** s) for rank, n in enumerate(names)]


SURNAME = Picker(SURNAMES)
MID_M, MID_F = Picker(MIDDLE_MALE), Picker(MIDDLE_FEMALE)
GIV_M, GIV_F = Picker(zipf(GIVEN_MALE)), Picker(zipf(GIVEN_FEMALE))
SIZE = Picker(HOUSEHOLD_SIZES)


def full_name(rng: random.Random, sex: str, surname: Optional[str] = None) -> str:
    surname = surname or SURNAME(rng)
    if sex == "male":
        return f"{surname} {MID_M(rng)} {GIV_M(rng)}"
    return f"{surname} {MID_F(rng)} {GIV_F(rng)}"


# --- databases ---------------------------------------------------------------------------------------------------


def database_url(kind: str, households: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{OUT / f'registry_{households}.sqlite3'}"
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/fieldwork_bench_{households}"


def _recreate_database(url: sa.URL) -> None:
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    name = url.database
    assert name.startswith("fieldwork_bench_"), "the benchmark only drops databases named fieldwork_bench_*"
    admin = sa.create_engine(normalise_database_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def database_exists(url: str, households: int) -> bool:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if not Path(u.database).exists():
            return False
    else:
        admin = sa.create_engine(normalise_database_url(PG_ADMIN_URL))
        with admin.connect() as conn:
            found = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}).first()
        admin.dispose()
        if not found:
            return False
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            count = conn.execute(sa.text("SELECT count(*) FROM household")).scalar()
            entries = conn.execute(sa.text("SELECT count(*) FROM search_entry")).scalar()
        return count == households and entries > households
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()


def database_size(engine: Engine) -> str:
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database)
        size = sum(Path(str(path) + s).stat().st_size for s in ("", "-wal") if Path(str(path) + s).exists())
    else:
        with engine.connect() as conn:
            size = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
    return f"{size / 2**30:.2f} GiB" if size > 2**30 else f"{size / 2**20:.0f} MiB"


# --- generation --------------------------------------------------------------------------------------------------

FTS_INSERT_TRIGGER = """CREATE TRIGGER search_entry_ai AFTER INSERT ON search_entry BEGIN
       INSERT INTO search_fts(rowid, doc, scope) VALUES (new.id, new.doc, new.scope); END"""  # as in migration 0005
GIN_INDEX = ("CREATE INDEX ix_search_entry_tsv ON search_entry USING gin "
             "((setweight(to_tsvector('simple', doc), 'A') || setweight(to_tsvector('simple', scope), 'B')))")


class Steps:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, name: str, started: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def report(self) -> None:
        for name, s in self.seconds.items():
            print(f"  {name:<34} {s:8.1f} s")
        print(f"  {'total':<34} {sum(self.seconds.values()):8.1f} s")


def generate(engine: Engine, households: int = 500_000, people_per_household: float = 4.0, seed: int = 2026,
             villages: Optional[int] = None, province_code: str = PROVINCE_CODE) -> dict[str, float]:
    """(Re)create the database at ``engine.url``, migrate it, load the reference data and bulk-insert a province.

    ``people_per_household`` scales the household size distribution (mean 4.0). Returns the seconds per step.
    """
    rng = random.Random(seed)
    steps = Steps()
    villages = villages or max(20, households // HOUSEHOLDS_PER_VILLAGE)
    sqlite = engine.dialect.name == "sqlite"
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()

    t = time.perf_counter()
    _recreate_database(engine.url)
    with tempfile.TemporaryDirectory() as instance:
        app = fieldwork.create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench"})
        fieldwork.migrate.upgrade(app)
        app.extensions["fieldwork.engine"].dispose()
    with Session(engine) as session:
        load_reference_data(session)
        session.commit()
    steps.add("create + migrate + reference", t)

    scale = people_per_household / 4.0
    with engine.connect() as conn:
        if sqlite:
            for pragma in ("synchronous=OFF", "cache_size=-2000000", "temp_store=MEMORY"):
                conn.exec_driver_sql(f"PRAGMA {pragma}")
            conn.exec_driver_sql("DROP TRIGGER search_entry_ai")
        else:
            conn.exec_driver_sql("DROP INDEX ix_search_entry_tsv")
            conn.exec_driver_sql("SET synchronous_commit = off")
        conn.commit()

        # Villages: spread over every commune of the province, 1.5 x more in the biggest ones.
        t = time.perf_counter()
        province_id = conn.execute(sa.select(Province.id).where(Province.code == province_code)).scalar_one()
        communes = conn.execute(
            sa.select(Commune.id, Commune.code).where(Commune.province_id == province_id).order_by(Commune.code)
        ).all()
        order = list(range(villages))
        village_rows, commune_of = [], {}
        per_commune: dict[int, int] = {}
        for i in order:
            commune_id = communes[i % len(communes)].id
            per_commune[commune_id] = per_commune.get(commune_id, 0) + 1
            village_id = i + 1
            commune_of[village_id] = commune_id
            n = per_commune[commune_id]
            village_rows.append({"id": village_id, "commune_id": commune_id, "code": f"T{n:02d}",
                                 "name": f"Thôn {n}", "kind": "thon", "created_at": CREATED})
        conn.execute(sa.insert(Village.__table__), village_rows)
        conn.commit()
        steps.add("villages", t)

        # Households per village: proportional to a random weight (villages of 0.4 to 1.6 x the mean size).
        weights = [rng.uniform(0.4, 1.6) for _ in range(villages)]
        total_w = sum(weights)
        sizes = [int(households * w / total_w) for w in weights]
        for i in range(households - sum(sizes)):
            sizes[i % villages] += 1

        cccd_next: dict[str, int] = {}
        bhxh_next = [0]
        household_id = person_id = entry_id = 0
        buffers: dict[str, list[dict]] = {"household": [], "person": [], "search_entry": []}
        tables = {"household": Household.__table__, "person": Person.__table__,
                  "search_entry": SearchEntry.__table__}

        def flush() -> None:
            for name in ("household", "person", "search_entry"):  # in foreign-key order
                if buffers[name]:
                    t0 = time.perf_counter()
                    conn.execute(sa.insert(tables[name]), buffers[name])
                    steps.add(f"insert {name}", t0)
                    buffers[name] = []
            conn.commit()

        def cccd(birth_year: int, sex: str) -> Optional[str]:
            if rng.random() >= 0.70:
                return None
            place = "024" if rng.random() < 0.85 else rng.choice(("001", "019", "022", "026", "030", "036"))
            century = (0 if sex == "male" else 1) + (2 if birth_year >= 2000 else 0)
            prefix = f"{place}{century}{birth_year % 100:02d}"
            serial = cccd_next.get(prefix, 0) + rng.randint(1, 40)
            cccd_next[prefix] = serial
            return f"{prefix}{serial:06d}"

        def bhxh() -> Optional[str]:
            if rng.random() >= 0.30:
                return None
            bhxh_next[0] += rng.randint(1, 20)
            return f"24{bhxh_next[0]:08d}"

        gen_started = time.perf_counter()
        for v_index, count in enumerate(sizes):
            village_id = v_index + 1
            commune_id = commune_of[village_id]
            groups = max(1, count // 60)
            for _ in range(count):
                t0 = time.perf_counter()
                household_id += 1
                size = max(1, round(SIZE(rng) * scale)) if scale != 1 else SIZE(rng)
                head_sex = "male" if rng.random() < 0.78 else "female"
                head_year = rng.randint(1940, 1998)
                head_name = full_name(rng, head_sex)
                family = head_name.split(" ", 1)[0]
                phone = None
                if rng.random() < 0.75:
                    phone = rng.choice(("09", "03", "08", "07")) + f"{rng.randrange(10**8):08d}"
                household = {
                    "id": household_id, "village_id": village_id, "code": f"HGD{household_id:07d}",
                    "head_name": head_name, "hamlet_group": f"Tổ {rng.randint(1, groups)}", "phone": phone,
                    "poverty": "none", "created_at": CREATED, "updated_at": CREATED,
                }
                buffers["household"].append(household)
                h_obj = SimpleNamespace(**household)
                entry_id += 1
                buffers["search_entry"].append(
                    {"id": entry_id, "entity": "household", "entity_id": household_id, "household_id": household_id,
                     "village_id": village_id, "doc": household_doc(h_obj),
                     "scope": scope_doc(village_id, commune_id)})
                other_sex = "female" if head_sex == "male" else "male"
                for k in range(size):
                    if k == 0:
                        name, sex, year, relation = head_name, head_sex, head_year, "head"
                    elif k == 1 and rng.random() < 0.85:
                        sex, relation = other_sex, "spouse"
                        year = min(2008, head_year + rng.randint(-6, 6))
                        name = full_name(rng, sex)
                    else:
                        roll = rng.random()
                        sex = "male" if rng.random() < 0.51 else "female"
                        if roll < 0.75:
                            relation, year = "child", min(2026, head_year + rng.randint(18, 40))
                            name = full_name(rng, sex, family if head_sex == "male" else None)
                        elif roll < 0.85:
                            relation, year = "grandchild", min(2026, head_year + rng.randint(40, 60))
                            name = full_name(rng, sex, family)
                        elif roll < 0.95:
                            relation, year = "parent", max(1925, head_year - rng.randint(20, 35))
                            name = full_name(rng, sex, family if sex == "male" else None)
                        else:
                            relation, year = "child_in_law", min(2008, head_year + rng.randint(18, 40))
                            name = full_name(rng, sex)
                    person_id += 1
                    person = {
                        "id": person_id, "household_id": household_id, "full_name": name, "name_key": fold(name),
                        "birth_year": year, "sex": sex, "relation": relation, "cccd": cccd(year, sex),
                        "bhxh_code": bhxh(), "ethnicity": "Kinh", "bhyt_status": "none", "bhxh_status": "none",
                        "created_at": CREATED, "updated_at": CREATED,
                    }
                    buffers["person"].append(person)
                    entry_id += 1
                    buffers["search_entry"].append(
                        {"id": entry_id, "entity": "person", "entity_id": person_id, "household_id": household_id,
                         "village_id": village_id,
                         "doc": person_doc(SimpleNamespace(**person), h_obj),
                         "scope": scope_doc(village_id, commune_id)})
                steps.add("generate rows + docs (python)", t0)
                if len(buffers["household"]) >= CHUNK // 4 or len(buffers["person"]) >= CHUNK:
                    flush()
            if village_id % 200 == 0:
                print(f"    {village_id}/{villages} villages, {household_id} households, {person_id} people, "
                      f"{time.perf_counter() - gen_started:.0f} s", flush=True)
        flush()

        t = time.perf_counter()
        if sqlite:
            conn.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES('rebuild')")
            conn.exec_driver_sql(FTS_INSERT_TRIGGER)
            conn.commit()
            steps.add("FTS5 rebuild", t)
            t = time.perf_counter()
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.commit()
            steps.add("ANALYZE + checkpoint", t)
        else:
            for table in ("village", "household", "person", "search_entry"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            conn.exec_driver_sql("SET maintenance_work_mem = '1GB'")
            conn.exec_driver_sql(GIN_INDEX)
            conn.commit()
            steps.add("GIN index", t)
            t = time.perf_counter()
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("VACUUM ANALYZE")
            steps.add("VACUUM ANALYZE", t)
    print(f"  generated {households} households, {person_id} people, {entry_id} search entries "
          f"in {villages} villages of {len(communes)} communes (province {province_code})")
    steps.report()
    print(f"  database size: {database_size(engine)}")
    return steps.seconds


# --- measurement -------------------------------------------------------------------------------------------------

@dataclass
class Case:
    kind: str
    query: str
    expect: Optional[str] = None  # "person:<id>" / "household:<id>": that entity must be among the hits


@dataclass
class Timing:
    user: str
    case: Case
    ms: float
    hits: int


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, math.ceil(p / 100 * len(values)) - 1))
    return values[k]


def build_cases(session: Session, rng: random.Random, village_ids: Optional[list[int]], other_village: int) -> list[Case]:
    """The query mix of one user: names as typed (with and without accents), prefixes, codes, phones, CCCD."""
    hh = Household.__table__
    pe = Person.__table__
    where = hh.c.village_id.in_(village_ids) if village_ids is not None else sa.true()
    max_id = session.execute(sa.select(sa.func.max(hh.c.id)).where(where)).scalar()
    min_id = session.execute(sa.select(sa.func.min(hh.c.id)).where(where)).scalar()

    def sample_households(n: int):
        rows = []
        while len(rows) < n:
            ids = [rng.randint(min_id, max_id) for _ in range(n * 3)]
            rows += session.execute(sa.select(hh.c.id, hh.c.code, hh.c.phone).where(where, hh.c.id.in_(ids))
                                    .order_by(hh.c.id)).all()
        return rows[:n]

    households = sample_households(12)
    people = session.execute(
        sa.select(pe.c.id, pe.c.cccd, pe.c.bhxh_code, pe.c.full_name)
        .where(pe.c.household_id.in_([h.id for h in households]), pe.c.cccd.is_not(None)).order_by(pe.c.id)
    ).all()
    outside = session.execute(
        sa.select(pe.c.cccd).join(hh, hh.c.id == pe.c.household_id)
        .where(hh.c.village_id == other_village, pe.c.cccd.is_not(None)).limit(1)
    ).scalar()
    cases = [
        Case("full name", "nguyen van duc"), Case("full name", "nguyen thi huong"),
        Case("full name", "tran van hung"), Case("full name", "le thi lan"), Case("full name", "pham minh tuan"),
        Case("accented/upper", "NGUYỄN VĂN ĐỨC"), Case("accented/upper", "Nguyễn Thị Hương"),
        Case("accented/upper", "Trần Thị Hoa"),
        Case("surname only", "nguyen"), Case("surname only", "tran"), Case("surname only", "Lê"),
        Case("given name only", "duc"), Case("given name only", "huong"), Case("given name only", "lan"),
        Case("prefix as typed", "ng"), Case("prefix as typed", "ngu"), Case("prefix as typed", "nguy"),
        Case("prefix as typed", "nguyen v"), Case("prefix as typed", "nguyen van d"),
        Case("prefix as typed", "nguyen thi h"), Case("prefix as typed", "tran t"), Case("prefix as typed", "le thi h"),
        Case("nothing", "zzyzx"), Case("nothing", "nguyen van xyzq"), Case("nothing", "smith john"),
    ]
    for h in households[:6]:
        cases.append(Case("household code", h.code, f"household:{h.id}"))
        cases.append(Case("household code", h.code[:-2].lower()))
    for h in [h for h in households if h.phone][:6]:
        cases.append(Case("phone prefix", h.phone[:6]))
        cases.append(Case("phone prefix", h.phone, f"household:{h.id}"))
    for p in people[:8]:
        cases.append(Case("CCCD", p.cccd, f"person:{p.id}"))
    if outside and village_ids is not None:
        cases.append(Case("CCCD out of scope", outside, "none"))
    for p in [p for p in people if p.bhxh_code][:3]:
        cases.append(Case("BHXH code", p.bhxh_code, f"person:{p.id}"))
    return cases


Variant = Callable[..., list[int]]


def measure(url: str, queries: int = 400, seed: int = 7, variant: str = "current", warmup: int = 60,
            limit: int = 20) -> list[Timing]:
    """Time ``fieldwork.households.search.search`` for a member, an official and an admin; check the scopes.

    ``variant`` names a replacement for ``search._matching_ids`` from :data:`VARIANTS` ("current": the app's own).
    """
    engine = make_engine(normalise_database_url(url))
    rng = random.Random(seed)
    original = search_module._matching_ids
    if variant != "current":
        search_module._matching_ids = VARIANTS[variant]
    try:
        with Session(engine) as session:
            communes = dict(session.execute(sa.select(Village.id, Village.commune_id)).all())
            # A typical village: the one of median household count among villages of the first commune
            # whose id is picked by the seed.
            counts = dict(session.execute(
                sa.select(Household.village_id, sa.func.count()).group_by(Household.village_id)).all())
            village_ids = sorted(counts, key=lambda v: (counts[v], v))
            member_village = village_ids[len(village_ids) // 2]
            commune_id = communes[member_village]
            commune_villages = [v for v, c in communes.items() if c == commune_id]
            other_village = next(v for v in village_ids if communes[v] != commune_id)
            users = {
                "member": (User(phone="x", display_name="x", role=Role.MEMBER, village_id=member_village,
                                commune_id=commune_id, password_hash="x"), [member_village]),
                "official": (User(phone="x", display_name="x", role=Role.OFFICIAL, commune_id=commune_id,
                                  password_hash="x"), commune_villages),
                "admin": (User(phone="x", display_name="x", role=Role.ADMIN, password_hash="x"), None),
            }
            mixes = {kind: build_cases(session, rng, scope, other_village) for kind, (_, scope) in users.items()}
        print(f"  member: village {member_village} ({counts[member_village]} households); official: commune "
              f"{commune_id} ({len(commune_villages)} villages, "
              f"{sum(counts.get(v, 0) for v in commune_villages)} households); admin: all")

        timings: list[Timing] = []
        problems: list[str] = []
        for kind, (user, scope) in users.items():
            cases = mixes[kind]
            plan = [rng.choice(cases) for _ in range(warmup)] + cases + [rng.choice(cases) for _ in range(queries)]
            timed_from = warmup + len(cases)  # warm-up: random picks, then every case once
            for i, case in enumerate(plan):
                with Session(engine) as session:
                    t0 = time.perf_counter()
                    hits = search_module.search(session, user, case.query, limit=limit)
                    ms = (time.perf_counter() - t0) * 1000
                if i >= warmup:
                    problems += check(kind, user, scope, communes, case, hits, limit)
                if i >= timed_from:
                    timings.append(Timing(kind, case, ms, len(hits)))
        for p in sorted(set(problems)):
            print("  SANITY PROBLEM:", p)
        if not problems:
            print("  sanity: every hit within the user's scope, expected records found, counts <= limit")
        return timings
    finally:
        search_module._matching_ids = original
        engine.dispose()


def check(kind, user, scope, communes, case: Case, hits, limit) -> list[str]:
    out = []
    if len(hits) > limit:
        out.append(f"{kind}: {case.query!r} returned {len(hits)} > {limit}")
    if scope is not None:
        bad = [h for h in hits if h.household.village_id not in scope]
        if bad:
            out.append(f"{kind}: {case.query!r} returned {len(bad)} hits outside the scope")
    words = search_module.query_terms(case.query)
    if hits and case.kind in ("full name", "accented/upper", "surname only", "given name only"):
        for h in hits:
            name = h.person.full_name if h.person else h.household.head_name
            if not all(any(w.startswith(t) for w in fold(name).split()) for t in words):
                out.append(f"{kind}: {case.query!r} hit {name!r} (matched by another field)")
                break
    if case.expect == "none" and hits:
        out.append(f"{kind}: {case.query!r} (out of scope) found {len(hits)}")
    elif case.expect and case.expect != "none":
        entity, entity_id = case.expect.split(":")
        found = any((h.entity == entity and (h.household.id if entity == "household" else h.person.id) == int(entity_id))
                    for h in hits)
        if not found:
            out.append(f"{kind}: {case.query!r} did not find {case.expect}")
    return out


def summarise(label: str, timings: list[Timing]) -> list[dict]:
    rows = []
    for user in ("member", "official", "admin"):
        ms = [t.ms for t in timings if t.user == user]
        hits = [t.hits for t in timings if t.user == user]
        rows.append({"db": label, "user": user, "n": len(ms), "p50": _pct(ms, 50), "p95": _pct(ms, 95),
                     "p99": _pct(ms, 99), "max": max(ms), "hits": statistics.mean(hits)})
    return rows


def print_table(rows: list[dict]) -> None:
    print("\n| database | user | queries | p50 ms | p95 ms | p99 ms | max ms | mean hits |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        flag = " **>50**" if r["p95"] > TARGET_P95_MS else ""
        print(f"| {r['db']} | {r['user']} | {r['n']} | {r['p50']:.1f} | {r['p95']:.1f}{flag} | {r['p99']:.1f} | "
              f"{r['max']:.1f} | {r['hits']:.1f} |")


def print_kinds(label: str, timings: list[Timing]) -> None:
    kinds = list(dict.fromkeys(t.case.kind for t in timings))
    print(f"\n{label}: p50 / max ms per query kind")
    print("| query kind | member | official | admin |")
    print("|---|---:|---:|---:|")
    for kind in kinds:
        cells = []
        for user in ("member", "official", "admin"):
            ms = [t.ms for t in timings if t.user == user and t.case.kind == kind]
            cells.append(f"{statistics.median(ms):.1f} / {max(ms):.1f}" if ms else "–")
        print(f"| {kind} | " + " | ".join(cells) + " |")
    slow = {}
    for t in timings:
        if t.ms > TARGET_P95_MS:
            slow.setdefault((t.user, t.case.query), []).append(t.ms)
    if slow:
        print(f"\n{label}: queries over {TARGET_P95_MS:.0f} ms (user, query: median ms x times)")
        for (user, q), ms in sorted(slow.items(), key=lambda kv: -statistics.median(kv[1])):
            print(f"  {user:<8} {q!r:<22} {statistics.median(ms):7.1f} x{len(ms)}")




# The variants compared while tuning (no ORDER BY, whole words, prefix indexes, LIKE on the last word) are now the
# app's own query (migration 0005); their figures are in README.md. Only the app's code path is measured.
VARIANTS: dict[str, Variant] = {}


def run(kind: str, households: int, reuse: bool, queries: int, seed: int, compare: list[str]) -> list[dict]:
    url = database_url(kind, households)
    label = {"sqlite": "SQLite 3.40", "postgresql": "PostgreSQL 15"}[kind]
    print(f"\n== {label}: {url}")
    if reuse and database_exists(url, households):
        print("  reusing the existing database")
    else:
        engine = make_engine(url)
        generate(engine, households=households, seed=seed)
        engine.dispose()
    rows = []
    for variant in ["current"] + compare:
        timings = measure(url, queries=queries, variant=variant)
        name = label if variant == "current" else f"{label} [{variant}]"
        print_kinds(name, timings)
        rows += summarise(name, timings)
    engine = make_engine(url)
    print(f"  database size: {database_size(engine)}")
    engine.dispose()
    return rows


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--households", type=int, default=500_000)
    parser.add_argument("--small", action="store_true", help="20,000 households: a check in under a minute")
    parser.add_argument("--reuse", action="store_true", help="reuse a generated database of the same size")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--queries", type=int, default=400, help="timed queries per user kind")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--compare", nargs="*", default=[], choices=[v for v in VARIANTS if v != "current"],
                        help="also measure these replacements of search._matching_ids")
    args = parser.parse_args(argv)
    households = 20_000 if args.small else args.households
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    if args.generate_only:
        for kind in kinds:
            engine = make_engine(database_url(kind, households))
            print(f"\n== generating {engine.url}")
            generate(engine, households=households, seed=args.seed)
            engine.dispose()
        return
    rows = []
    for kind in kinds:
        rows += run(kind, households, args.reuse, args.queries, args.seed, args.compare)
    print_table(rows)


if __name__ == "__main__":
    main()
