"""Import of a 10,000-person household list, through the app's real HTTP path, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.registry_import --db both [--people 10000]

For each database: a fresh database (migrated, reference data loaded), one official and one empty village; an .xlsx
of ``--people`` rows (one person a row, ~4 a household, realistic names and identifiers) is uploaded, previewed and
confirmed through the Flask test client, then the same file is imported again (nothing may change). Prints the
seconds of each step and the counts. Target from the registry issue: import of 10,000 people ≤ 15 s.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import secrets
import tempfile
import time
from datetime import date

import psycopg
import sqlalchemy as sa
from openpyxl import Workbook
from sqlmodel import Session, func, select

import fieldwork
import fieldwork.migrate
from fieldwork.auth.services import create_user
from fieldwork.db import get_engine
from fieldwork.models import Commune, Household, Person, Role, Village
from fieldwork.reference import load_reference_data

HEADINGS = ["Mã hộ", "Họ tên chủ hộ", "Địa chỉ", "Xóm/tổ", "Điện thoại hộ", "Diện hộ", "Họ và tên",
            "Quan hệ với chủ hộ", "Ngày sinh", "Năm sinh", "Giới tính", "Số CCCD", "Mã số BHXH"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý", "Giáp", "Thân"]
MALE = ["Đức", "Hùng", "Dũng", "Tuấn", "Đạt", "Nghĩa", "Khánh", "Nam", "Long", "Minh", "Quang", "Thắng", "Hải"]
FEMALE = ["Hương", "Lan", "Thảo", "Hòa", "Quỳnh", "Yến", "Trang", "Phương", "Thu", "Mai", "Hạnh", "Nhung", "Tuyết"]
PASSWORD = "bench-password-1"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def workbook_bytes(people: int, seed: int = 2026) -> bytes:
    rng = random.Random(seed)
    wb = Workbook()
    ws = wb.active
    ws.append(HEADINGS)
    n = household = 0
    while n < people:
        household += 1
        code = f"B01-{household:05d}"
        surname = rng.choice(SURNAMES)
        head = f"{surname} Văn {rng.choice(MALE)}"
        size = min(people - n, rng.choice([1, 2, 3, 4, 4, 5, 5, 6]))
        phone = f"09{rng.randrange(10**8):08d}"
        seen: set[str] = set()
        for k in range(size):
            n += 1
            female = k == 1 or (k > 1 and rng.random() < 0.5)
            name = head
            while name in seen:  # one household never lists the same name twice
                name = (f"{rng.choice(SURNAMES)} Thị {rng.choice(FEMALE)}" if k == 1 else
                        f"{surname} {'Thị' if female else 'Văn'} {rng.choice(FEMALE if female else MALE)}")
            seen.add(name)
            year = 1950 + rng.randrange(25) if k == 0 else (1955 + rng.randrange(25) if k == 1 else 1985 + rng.randrange(35))
            relation = "Chủ hộ" if k == 0 else ("Vợ/chồng" if k == 1 else "Con")
            born = date(year, rng.randint(1, 12), rng.randint(1, 28)).strftime("%d/%m/%Y")
            cccd = f"024{n:09d}" if rng.random() < 0.8 else None
            bhxh = f"24{n:08d}" if rng.random() < 0.3 else None
            ws.append([code, head, f"Xóm {household % 4 + 1}", f"Xóm {household % 4 + 1}", phone, "Không", name,
                       relation, born, None, "Nữ" if (female and k) else "Nam", cccd, bhxh])
    for column in ("L", "M", "E"):
        for cell in ws[column]:
            cell.number_format = "@"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def fresh_url(kind: str, folder: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder}/import-bench.sqlite3"
    name = f"fieldwork_bench_import_{secrets.token_hex(3)}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def drop(url: str) -> None:
    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def csrf(client) -> str:
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


def import_once(client, village_id: int, data: bytes) -> dict:
    timings = {}
    t = time.perf_counter()
    response = client.post(f"/thon/{village_id}/nhap", data={
        "csrf_token": csrf(client), "file": (io.BytesIO(data), "danh-sach.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.status_code
    timings["upload (checks, store)"] = time.perf_counter() - t
    t = time.perf_counter()
    preview = client.get(response.headers["Location"])
    assert preview.status_code == 200
    timings["preview (parse, validate, plan)"] = time.perf_counter() - t
    t = time.perf_counter()
    confirm = client.post(response.headers["Location"] + "/xac-nhan", data={"csrf_token": csrf(client)})
    body = confirm.get_data(as_text=True)
    assert confirm.status_code == 302, body[body.find("<table"):body.find("<table") + 3000]
    timings["confirm (re-validate, write all)"] = time.perf_counter() - t
    return timings


def run(kind: str, people: int) -> None:
    data = workbook_bytes(people)
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_url(kind, folder)
        try:
            app = fieldwork.create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder, "SECRET_KEY": "bench"})
            fieldwork.migrate.upgrade(app)
            with Session(get_engine(app)) as session:
                load_reference_data(session)
                commune = session.exec(select(Commune).where(Commune.code == "07264")).one()
                village = Village(commune_id=commune.id, code="B01", name="Thôn Đo Đạc")
                session.add(village)
                session.flush()
                create_user(session, phone="0911000001", display_name="Cán bộ đo", role=Role.OFFICIAL,
                            password=PASSWORD, commune_id=commune.id)
                session.commit()
                village_id = village.id
            client = app.test_client()
            client.post("/dang-nhap", data={"csrf_token": csrf(client), "phone": "0911000001", "password": PASSWORD})
            first = import_once(client, village_id, data)
            again = import_once(client, village_id, data)
            with Session(get_engine(app)) as session:
                households = session.exec(select(func.count(Household.id))).one()
                persons = session.exec(select(func.count(Person.id))).one()
            get_engine(app).dispose()
        finally:
            drop(url)
    print(f"\n{kind}: {len(data) / 1024:.0f} KiB file, {people} people -> {households} households, {persons} people")
    print(f"| step | first import s | same file again s |\n|---|---:|---:|")
    for step in first:
        print(f"| {step} | {first[step]:.2f} | {again[step]:.2f} |")
    print(f"| **total** | **{sum(first.values()):.2f}** | **{sum(again.values()):.2f}** |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        run(kind, args.people)


if __name__ == "__main__":
    main()
