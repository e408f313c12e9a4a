"""Load benchmark (issue 9): the app under gunicorn as in production, driven over loopback by separate processes
with a mix of field use, on SQLite and PostgreSQL. See docs/performance.md for the method and the figures.

    make bench                                                    # small: scale 0.01, ~20 s phases, both DBs
    .venv/bin/python -m bench.load --database both --scale 0.05 --duration 60 --json bench/out/load.json
    .venv/bin/python -m bench.load --database postgresql --soak 600   # memory per worker over a 10-minute run

Phases, per database, against one server (same gunicorn configuration throughout):

1. **ceiling**: the trivial endpoint ``GET /suc-khoe`` alone, closed loop (N clients sending back to back);
2. **each endpoint alone**, closed loop: its saturation throughput, as a ratio to the ceiling;
3. **mix saturation**, closed loop: the weighted mix as fast as the server answers;
4. **sustained**: the mix open loop at ``--rate`` requests per second on a fixed schedule; latency is measured from
   the *scheduled* send time, so a stalled server is charged for the requests it delayed (no coordinated omission).

Every response's ``X-Query-Count`` (the server runs with FIELDWORK_COUNT_QUERIES=1) gives the SQL statements per
request. The RSS of every gunicorn worker is sampled every 2 s from /proc during the whole run.

The data: ``bench.province`` (a province at ``--scale``) when that module exists, else the demo generator
(:func:`fieldwork.demo.build_demo`) with villages in proportion to the scale and a login for every committee
member; both give the same manifest (phones, villages, households per member, search terms). Generated once into
``instance/bench/`` (SQLite file, or PostgreSQL database ``fieldwork_bench_load_*``) keyed by source, scale and
seed; every run works on a copy, so the visits it posts do not pile up across runs.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import multiprocessing
import os
import queue
import random
import re
import resource
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "instance" / "bench"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql://postgres@127.0.0.1:5432/"
GUNICORN = Path(sys.executable).with_name("gunicorn")
PRODUCTION_CONFIG = ROOT / "docs" / "deploy" / "gunicorn.conf.py"  # the deploy's settings, overridden by GUNICORN_*
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TRIVIAL = "trivial /suc-khoe"

# The mix: weights per 100 requests, as field use looks in a campaign week. Members are most of the traffic
# (a commune has ~20 villages × 5-8 members for 1-3 officials); a member opens the worklist, opens households,
# types in the search box (htmx fires every 300 ms pause: several requests per search), opens the visit form from
# an outcome button and saves it. Officials look at the dashboard, the assignment review and a village's report.
MIX: dict[str, int] = {
    "worklist": 20,          # member: GET /                       (the worklist, whole page)
    "worklist filter": 6,    # member: GET /?q=<prefix>            (htmx: the rows only, as typed)
    "household": 22,         # member: GET /ho/<id>                (an assigned household)
    "search": 18,            # member: GET /tim-kiem?q=<1-3 chars> (htmx: the results only, as typed)
    "visit form": 8,         # member: GET /ho/<id>/van-dong?ket-qua=<outcome>
    "visit POST": 8,         # member: POST /ho/<id>/van-dong      (new UUID, CSRF token, 302 to the worklist)
    "dashboard": 8,          # official: GET /                     (the commune dashboard)
    "assignment review": 5,  # official: GET /phan-cong
    "report preview": 5,     # official: GET /bao-cao/thon/<id>
}
# Not in the mix: the floor of a signed-in form POST (bench/floor.py; bench/ab.py measures them), posted the visit
# form's body as the visit POST is, and answering as it does.
FLOOR_PATHS = {"POST floor": "/_san/ghi/{household}", "POST floor + scope": "/_san/ho/{household}"}
MEMBER_OPS = {"worklist", "worklist filter", "household", "search", "visit form", "visit POST", *FLOOR_PATHS}
# Budgets from the issue, for 2 cores and province data. Ratios: an endpoint alone vs the trivial endpoint alone.
BUDGET_RATIO = {"worklist": 0.25, "household": 0.25, "search": 0.25, "visit POST": 0.35}
BUDGET_P95_MS, BUDGET_P99_MS, BUDGET_SATURATION_RPS = 150.0, 300.0, 300.0
BUDGET_RSS_GROWTH = 0.10  # "flat": the last samples' median within 10 % of the first ones'


# --- data ----------------------------------------------------------------------------------------------------------


def province_available() -> bool:
    return importlib.util.find_spec("bench.province") is not None


def cache_key(source: str, scale: float, seed: int) -> str:
    return f"load_{source}_s{scale:g}_seed{seed}".replace(".", "p").replace("-", "_")


def pg_url(name: str) -> str:
    return PG_BASE + name


def pg_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def pg_execute(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(sql)


def pg_drop(name: str) -> None:
    assert name.startswith("fieldwork_bench_"), name  # never anybody else's database
    pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(database: str, scale: float, seed: int, regenerate: bool) -> tuple[str, dict, str]:
    """The cached database and its manifest (generated when missing); returns (URL of the master copy, manifest,
    source)."""
    source = "province" if province_available() else "demo"
    key = cache_key(source, scale, seed)
    CACHE.mkdir(parents=True, exist_ok=True)
    manifest_path = CACHE / f"{key}_{database}.json"
    if database == "sqlite":
        path = CACHE / f"{key}.sqlite3"
        url, exists = f"sqlite:///{path}", path.exists()
    else:
        name = f"fieldwork_bench_{key}"
        url, exists = pg_url(name), pg_exists(name)
    if exists and manifest_path.exists() and not regenerate:
        migrate_to_head(url)  # data generated before a later migration gets its new tables and indexes
        return url, json.loads(manifest_path.read_text()), source
    started = time.perf_counter()
    print(f"[{database}] generating data ({source}, scale {scale:g}, seed {seed}) into {url}", flush=True)
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        pg_drop(name)
        pg_execute(f'CREATE DATABASE "{name}"')
    if source == "province":
        command = [sys.executable, "-m", "bench.province", "--database-url", url, "--scale", str(scale),
                   "--seed", str(seed), "--manifest", str(manifest_path), "--replace"]
        subprocess.run(command, cwd=ROOT, check=True)
        manifest = json.loads(manifest_path.read_text())
    else:
        manifest = demo_manifest(url, scale, seed)
        manifest_path.write_text(json.dumps(manifest))
    print(f"[{database}] generated in {time.perf_counter() - started:.0f} s: {manifest.get('counts')}", flush=True)
    return url, manifest, source


def migrate_to_head(url: str) -> None:
    import fieldwork
    import fieldwork.migrate
    from fieldwork.db import get_engine

    folder = tempfile.mkdtemp(prefix="fieldwork-load-migrate-")
    app = fieldwork.create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder, "SECRET_KEY": "load-bench"})
    try:
        fieldwork.migrate.upgrade(app)
    finally:
        get_engine(app).dispose()
        shutil.rmtree(folder, ignore_errors=True)


def demo_manifest(url: str, scale: float, seed: int) -> dict:
    """The demo commune with ``2000 × scale`` villages (a province is ~2,000 villages; the demo's are ~200
    households each) and a login for every committee member, described as bench.province describes its data."""
    from sqlmodel import Session, func, select

    import fieldwork
    import fieldwork.migrate
    from fieldwork.auth.services import create_user
    from fieldwork.db import get_engine
    from fieldwork.demo import ADMIN_PHONE, DEMO_PASSWORD, OFFICIAL_PHONE, build_demo
    from fieldwork.models import (
        Assignment, Committee, CommitteeMember, Household, Person, Role, User, Village, Visit,
    )
    from fieldwork.reference import load_reference_data

    villages = max(3, min(200, round(2000 * scale)))
    folder = tempfile.mkdtemp(prefix="fieldwork-load-")
    app = fieldwork.create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder, "SECRET_KEY": "load-bench"})
    fieldwork.migrate.upgrade(app)
    with Session(get_engine(app), expire_on_commit=False) as s:
        load_reference_data(s)
        build_demo(s, date.today(), seed=seed, villages=villages)
        s.flush()
        official = s.exec(select(User).where(User.phone == OFFICIAL_PHONE)).one()
        members, heads, n = [], [], 0
        rows = s.exec(select(CommitteeMember, Committee.village_id).join(Committee)
                      .where(CommitteeMember.left_on.is_(None))
                      .order_by(Committee.village_id, CommitteeMember.id)).all()
        for member, village_id in rows:
            held = list(s.exec(select(Assignment.household_id).where(Assignment.member_id == member.id,
                                                                     Assignment.valid_to.is_(None))).all())
            if not held:
                continue
            user = s.get(User, member.user_id) if member.user_id else None
            if user is None:
                n += 1
                user = create_user(s, phone=f"098{n:07d}", display_name=member.full_name, role=Role.MEMBER,
                                   password=DEMO_PASSWORD, commune_id=official.commune_id, village_id=village_id)
                member.user_id = user.id
                s.add(member)
            entry = {"phone": user.phone, "village_id": village_id, "member_id": member.id, "household_ids": held}
            (heads if member.is_head else members).append({"phone": user.phone, "village_id": village_id})
            members.append(entry)
        names = s.exec(select(Household.head_name).limit(2000)).all()
        counts = {"villages": villages, "households": s.exec(select(func.count(Household.id))).one(),
                  "people": s.exec(select(func.count(Person.id))).one(),
                  "visits": s.exec(select(func.count(Visit.id))).one(), "member_logins": len(members)}
        s.commit()
    get_engine(app).dispose()
    shutil.rmtree(folder, ignore_errors=True)
    words = sorted({w for name in names for w in name.split()})
    return {"source": "demo", "password": DEMO_PASSWORD, "admin": {"phone": ADMIN_PHONE},
            "officials": [{"phone": OFFICIAL_PHONE, "commune_id": official.commune_id}], "heads": heads,
            "members": members, "search_terms": words, "counts": counts}


def working_copy(database: str, master_url: str) -> tuple[str, Callable[[], None]]:
    """A copy of the cached database for this run (SQLite: the file; PostgreSQL: CREATE DATABASE ... TEMPLATE)."""
    if database == "sqlite":
        master = Path(master_url.removeprefix("sqlite:///"))
        with sqlite3.connect(master) as conn:  # fold the WAL in, so that the file alone is the database
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        folder = Path(tempfile.mkdtemp(prefix="fieldwork-load-run-"))
        copy = folder / "run.sqlite3"
        shutil.copyfile(master, copy)
        return f"sqlite:///{copy}", lambda: shutil.rmtree(folder, ignore_errors=True)
    master = master_url.rsplit("/", 1)[1]
    name = f"fieldwork_bench_loadrun_{secrets.token_hex(3)}"
    pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{master}"')
    for setting, value in deploy_settings().items():
        pg_execute(f"ALTER DATABASE \"{name}\" SET {setting} = '{value}'")
    return pg_url(name), lambda: pg_drop(name)


# The settings of docs/deploy/postgresql.conf that a database can carry itself (ALTER DATABASE ... SET): the bench
# runs on the machine's shared server, whose postgresql.conf it must not change, so the planner costs and memory per
# sort of the production configuration are given to the run's database. shared_buffers and the WAL settings need
# the server's configuration and a restart; the run reports the server's own values.
PER_DATABASE = ("effective_cache_size", "work_mem", "random_page_cost", "effective_io_concurrency",
                "max_parallel_workers_per_gather")


def postgresql_settings(url: str) -> dict[str, str]:
    """What the run's database works with: the settings given to it and the server's memory."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in ("shared_buffers", *PER_DATABASE)}


def deploy_settings() -> dict[str, str]:
    found = {}
    for line in (ROOT / "docs" / "deploy" / "postgresql.conf").read_text().splitlines():
        match = re.match(r"\s*(\w+)\s*=\s*(\S+)", line)
        if match and match.group(1) in PER_DATABASE:
            found[match.group(1)] = match.group(2)
    return found


def village_ids_by_commune(url: str) -> dict[int, list[int]]:
    import sqlalchemy as sa

    from fieldwork.config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(url))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT commune_id, id FROM village ORDER BY id")).all()
    engine.dispose()
    out: dict[int, list[int]] = {}
    for commune_id, village_id in rows:
        out.setdefault(commune_id, []).append(village_id)
    return out


# --- the server ----------------------------------------------------------------------------------------------------


class Server:
    """gunicorn with the production settings (docs/deploy/gunicorn.conf.py: gthread, preload, keep-alive, access
    log), workers and threads from the options, the app configured through FIELDWORK_* as in production; the
    sign-in rate limit off (the benchmark signs every virtual user in from one address at the start)."""

    def __init__(self, url: str, workers: int, threads: int, log: Path, extra_env: Optional[dict] = None,
                 app: str = "fieldwork:create_app()") -> None:
        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.instance = Path(tempfile.mkdtemp(prefix="fieldwork-load-instance-"))
        env = {**os.environ, "FIELDWORK_DATABASE_URL": url, "FIELDWORK_INSTANCE_PATH": str(self.instance),
               "FIELDWORK_SECRET_KEY": secrets.token_hex(24), "FIELDWORK_RATELIMIT_ENABLED": "false",
               "FIELDWORK_COUNT_QUERIES": "1",
               "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": str(workers),
               "GUNICORN_THREADS": str(threads), "GUNICORN_ACCESSLOG": str(self.instance / "access.log"),
               "GUNICORN_ERRORLOG": "-",
               # No recycling of workers: the memory figures are the app's own, without the safety net.
               "GUNICORN_MAX_REQUESTS": "0", "GUNICORN_MAX_REQUESTS_JITTER": "0", **(extra_env or {})}
        if PRODUCTION_CONFIG.exists():
            command = [str(GUNICORN), "-c", str(PRODUCTION_CONFIG), app]
        else:  # the same settings on the command line
            command = [str(GUNICORN), "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                       "--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "5",
                       "--timeout", "60", "--error-logfile", "-", "--access-logfile",
                       str(self.instance / "access.log"), "--preload", app]
        self.log_file = log.open("wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log_file, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{log.read_text()}")
            if len(self.workers()) == workers:
                try:
                    if request_once(self.port, "GET", "/suc-khoe")[0] == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not start:\n{log.read_text()}")

    def workers(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log_file.close()
        shutil.rmtree(self.instance, ignore_errors=True)


def kept_pages(url: str) -> str:
    """The Redis URL the server's workers share their kept pages through, or "" for a store in each worker (also
    when Redis does not answer: said in the output)."""
    if not url or url == "worker":
        return ""
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as error:  # noqa: BLE001 - any failure means no shared store
        print(f"kept pages: {url} does not answer ({error}); each worker keeps its own")
        return ""
    return url


def redis_memory(url: str) -> Optional[dict]:
    """What the shared store holds (every key of its database, this run's and earlier runs' not yet expired)."""
    if not url:
        return None
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    return {"used_memory_mb": round(client.info("memory")["used_memory"] / 2**20, 1), "keys": client.dbsize()}


def rss_mb(pid: int) -> Optional[float]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


class RssSampler(threading.Thread):
    def __init__(self, server: Server, every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.server, self.every = server, every
        self.samples: dict[int, list[tuple[float, float]]] = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            for pid in self.server.workers():
                value = rss_mb(pid)
                if value is not None:
                    self.samples.setdefault(pid, []).append((time.monotonic(), value))
            self.stopped.wait(self.every)

    def mark(self) -> None:
        self.since = time.monotonic()

    since = soak_since = 0.0


# --- HTTP ------------------------------------------------------------------------------------------------------------


def request_once(port: int, method: str, path: str, headers: Optional[dict] = None,
                 body: Optional[bytes] = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def set_cookies(headers: http.client.HTTPMessage | list, jar: dict) -> None:
    for name, value in headers:
        if name.lower() == "set-cookie":
            cookie = SimpleCookie()
            cookie.load(value)
            for key, morsel in cookie.items():
                jar[key] = morsel.value


def sign_in(port: int, phone: str, password: str) -> dict:
    """Through the login form, once per virtual user: the cookies and the page's CSRF token, reused afterwards."""
    jar: dict[str, str] = {}

    def call(method: str, path: str, form: Optional[dict] = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        set_cookies(response.getheaders(), jar)
        text = response.read().decode("utf-8", "replace")
        conn.close()
        return response.status, text

    _status, page = call("GET", "/dang-nhap")
    token = CSRF_INPUT.search(page).group(1)
    status, _ = call("POST", "/dang-nhap", {"csrf_token": token, "phone": phone, "password": password})
    if status != 302:
        raise RuntimeError(f"sign-in of {phone} answered {status}")
    status, page = call("GET", "/")
    match = CSRF_HEADER.search(page)
    if status != 200 or not match:
        raise RuntimeError(f"home page of {phone} answered {status} without a CSRF token")
    return {"cookie": "; ".join(f"{k}={v}" for k, v in jar.items()), "token": match.group(1)}


@dataclass
class World:
    """The signed-in virtual users, as the driver processes see them."""

    port: int
    members: list[dict]
    officials: list[dict]
    terms: list[str]


def build_request(name: str, world: World, rng: random.Random) -> tuple[str, str, dict, Optional[bytes]]:
    """(method, path, headers, body) of one request of kind ``name``, for a random virtual user."""
    base = {"Accept": "text/html", "Accept-Encoding": "gzip", "Accept-Language": "vi-VN,vi;q=0.9"}
    if name == TRIVIAL:
        return "GET", "/suc-khoe", {"Accept-Encoding": "gzip"}, None
    if name in MEMBER_OPS:
        user = rng.choice(world.members)
        headers = {**base, "Cookie": user["cookie"]}
        household = rng.choice(user["household_ids"])
        if name == "worklist":
            return "GET", "/", headers, None
        if name in ("worklist filter", "search"):
            term = rng.choice(world.terms)
            prefix = term[: rng.randint(1, min(3, len(term)))]
            headers.update({"HX-Request": "true", "HX-Current-URL": f"http://127.0.0.1:{world.port}/"})
            path = "/" if name == "worklist filter" else "/tim-kiem"
            return "GET", f"{path}?{urllib.parse.urlencode({'q': prefix})}", headers, None
        if name == "household":
            return "GET", f"/ho/{household}", headers, None
        if name == "visit form":
            outcome = rng.choice(["considering", "not_home", "agreed", "refused"])
            return "GET", f"/ho/{household}/van-dong?ket-qua={outcome}", headers, None
        if name == "visit POST" or name in FLOOR_PATHS:
            outcome = rng.choice(["considering", "not_home"])
            form = {"csrf_token": user["token"], "uuid": str(uuid.uuid4()), "outcome": outcome,
                    "next_date": (date.today() + timedelta(days=7)).isoformat(), "channel": "home",
                    "met_person": "", "notes": rng.choice(["", "Hẹn chiều mai", "Gặp vợ chủ hộ"])}
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            path = FLOOR_PATHS.get(name, "/ho/{household}/van-dong").format(household=household)
            return "POST", path, headers, urllib.parse.urlencode(form).encode()
    user = rng.choice(world.officials)
    headers = {**base, "Cookie": user["cookie"]}
    if name == "dashboard":
        return "GET", "/", headers, None
    if name == "assignment review":
        return "GET", "/phan-cong", headers, None
    if name == "report preview":
        return "GET", f"/bao-cao/thon/{rng.choice(user['village_ids'])}", headers, None
    raise ValueError(name)


# Open loop: a request still waiting for a free sender this long after its scheduled time is not sent and counts as
# an error (the person gave up); keeps an overloaded run from queueing for minutes.
GIVE_UP_SECONDS = 10.0
# Saved: redirected to the worklist (so do the floor POSTs); every other request answers 200.
OK_STATUS = {"visit POST": {302}, **{name: {302} for name in FLOOR_PATHS}}


class Connection:
    """One keep-alive connection; reconnects when the server closed it while idle (as a browser does)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: Optional[http.client.HTTPConnection] = None

    def send(self, method: str, path: str, headers: dict, body: Optional[bytes]) -> tuple[int, int]:
        for attempt in (1, 2):
            fresh = self.conn is None
            if fresh:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                response.read()
                count = int(response.getheader("X-Query-Count") or -1)
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, count
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if fresh or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --- the driver processes ----------------------------------------------------------------------------------------


@dataclass
class Phase:
    kind: str  # "closed" or "open"
    weights: dict[str, int]
    duration: float
    clients: int = 8  # closed loop: concurrent clients per driver process
    rate: float = 0.0  # open loop: requests per second per driver process
    threads: int = 48  # open loop: senders per driver process (enough for the slowest answers in flight)


def drive(world: World, phase: Phase, seed: int, start_at: float, out: multiprocessing.Queue) -> None:
    """One driver process: runs ``phase`` from ``start_at`` (time.time()), sends back its records and CPU time."""
    rng_master = random.Random(seed)
    names, weights = list(phase.weights), list(phase.weights.values())
    records: list[tuple[str, int, float, int, float]] = []  # (name, ok, latency ms, queries, done at s)
    lock = threading.Lock()
    end_at = start_at + phase.duration

    def one(conn: Connection, rng: random.Random, name: str, scheduled: float) -> None:
        method, path, headers, body = build_request(name, world, rng)
        try:
            status, count = conn.send(method, path, headers, body)
            ok = status in OK_STATUS.get(name, {200})
        except (OSError, http.client.HTTPException):
            ok, count = False, -1
        done = time.perf_counter()
        with lock:
            records.append((name, int(ok), (done - scheduled) * 1000, count, time.time() - start_at))

    def closed_client(index: int) -> None:
        rng, conn = random.Random(rng_master.random() + index), Connection(world.port)
        while time.time() < end_at:
            one(conn, rng, rng.choices(names, weights)[0], time.perf_counter())
        conn.close()

    def open_sender(jobs: queue.Queue) -> None:
        conn = Connection(world.port)
        while True:
            job = jobs.get()
            if job is None:
                break
            _rng, name, scheduled = job
            if time.perf_counter() - scheduled > GIVE_UP_SECONDS:  # the person gave up before it was even sent
                with lock:
                    records.append((name, 0, GIVE_UP_SECONDS * 1000, -1, time.time() - start_at))
                continue
            one(conn, *job)
        conn.close()

    while time.time() < start_at:
        time.sleep(min(0.05, start_at - time.time()))
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    if phase.kind == "closed":
        threads = [threading.Thread(target=closed_client, args=(i,)) for i in range(phase.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        jobs: queue.Queue = queue.Queue()
        threads = [threading.Thread(target=open_sender, args=(jobs,), daemon=True) for _ in range(phase.threads)]
        for t in threads:
            t.start()
        rng = random.Random(rng_master.random())
        interval, t0 = 1.0 / phase.rate, time.perf_counter()
        n = 0
        while True:
            scheduled = t0 + n * interval
            if scheduled - t0 >= phase.duration:
                break
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            jobs.put((rng, rng.choices(names, weights)[0], scheduled))
            n += 1
        for _ in threads:
            jobs.put(None)
        for t in threads:
            t.join(timeout=90)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    out.put((records, cpu))


@dataclass
class Result:
    phase: str
    duration: float
    records: list[tuple[str, int, float, int, float]]
    driver_cpu: float
    server_cpu: float

    def by_name(self) -> dict[str, list[tuple[str, int, float, int]]]:
        out: dict[str, list] = {}
        for r in self.records:
            out.setdefault(r[0], []).append(r)
        return out


def run_phase(label: str, world: World, phase: Phase, server: Server, processes: int, seed: int) -> Result:
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    start_at = time.time() + 0.5
    cpu_before = cpu_seconds(server.workers())
    procs = [ctx.Process(target=drive, args=(world, phase, seed * 1000 + i, start_at, out)) for i in range(processes)]
    for p in procs:
        p.start()
    parts = [out.get(timeout=phase.duration + 180) for _ in procs]
    for p in procs:
        p.join()
    server_cpu = cpu_seconds(server.workers()) - cpu_before
    records = [r for recs, _cpu in parts for r in recs]
    return Result(label, phase.duration, records, sum(cpu for _r, cpu in parts), server_cpu)


# --- figures -------------------------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary(records: list, duration: float) -> dict:
    latencies = [r[2] for r in records]
    queries = [r[3] for r in records if r[3] >= 0]
    # Successful answers per second of the phase; an open-loop phase the server could not keep up with ends late
    # (its backlog drains after the schedule ended), and that time counts.
    span = max([duration] + [r[4] for r in records])
    errors = sum(1 for r in records if not r[1])
    return {"requests": len(records), "errors": errors, "rps": (len(records) - errors) / span,
            "p50": pct(latencies, 50), "p95": pct(latencies, 95),
            "p99": pct(latencies, 99), "max": max(latencies, default=float("nan")),
            "queries": statistics.mean(queries) if queries else float("nan"),
            "queries_max": max(queries, default=-1)}


def fmt_row(cells: list, widths: list[int]) -> str:
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def print_table(title: str, rows: list[list], header: list[str]) -> None:
    rows = [list(row) + [""] * (len(header) - len(row)) for row in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    print(f"\n{title}")
    print(fmt_row(header, widths))
    print(fmt_row(["-" * w for w in widths], widths))
    for row in rows:
        print(fmt_row(row, widths))


def bench_database(database: str, args) -> dict:
    master_url, manifest, source = prepare(database, args.scale, args.seed, args.regenerate)
    url, cleanup = working_copy(database, master_url)
    log = Path(tempfile.mkstemp(prefix=f"fieldwork-load-{database}-", suffix=".log")[1])
    pages = kept_pages(args.pages)
    server = Server(url, args.workers, args.threads, log,
                    {"FIELDWORK_PAGE_CACHE_URL": pages} if pages else None)
    sampler = RssSampler(server)
    report: dict[str, Any] = {"database": database, "source": source, "scale": args.scale, "seed": args.seed,
                              "cpus": os.cpu_count(),
                              "counts": manifest.get("counts"), "workers": args.workers, "threads": args.threads,
                              "postgresql": postgresql_settings(url) if database == "postgresql" else None,
                              "driver_processes": args.processes, "clients": args.clients * args.processes,
                              "kept_pages": pages or "per worker", "redis_before": redis_memory(pages)}
    try:
        villages = village_ids_by_commune(url)
        password = manifest["password"]
        started = time.perf_counter()
        # Signing in hashes the password (scrypt, slow by design): in parallel, over every worker.
        # A seeded sample of the province's users, not the head of the list: the manifest lists members village by
        # village, so the first 60 were all in one commune, which then took every write of the run (24 a second at
        # saturation, where a real commune sees one every ~20 s at the province's peak) — not how 100 requests a
        # second from a province arrive, and it defeats the kept pages' per-village invalidation.
        pick = random.Random(args.seed)
        members = [m for m in manifest["members"] if m.get("household_ids")]
        chosen = pick.sample(members, min(args.members, len(members)))
        officials = [o for o in manifest["officials"] if villages.get(o["commune_id"])]
        staff = pick.sample(officials, min(args.officials, len(officials)))
        with ThreadPoolExecutor(max_workers=2 * args.workers) as pool:
            member_logins = list(pool.map(lambda m: sign_in(server.port, m["phone"], password), chosen))
            staff_logins = list(pool.map(lambda o: sign_in(server.port, o["phone"], password), staff))
        members = [{**login, "household_ids": m["household_ids"]} for login, m in zip(member_logins, chosen)]
        officials = [{**login, "village_ids": villages[o["commune_id"]]} for login, o in zip(staff_logins, staff)]
        print(f"[{database}] {len(members)} members and {len(officials)} officials signed in "
              f"({time.perf_counter() - started:.1f} s)", flush=True)
        world = World(server.port, members, officials, [t for t in manifest["search_terms"] if t.strip()])
        sampler.start()
        d = args.duration
        clients = args.clients
        run_phase("warm-up", world, Phase("closed", MIX, min(5.0, d), clients), server, args.processes, 1)
        sampler.mark()  # memory is compared from here: the first requests fill caches (templates, catalogue)
        results: dict[str, Result] = {}
        for i, name in enumerate([TRIVIAL] + list(MIX)):
            phase = Phase("closed", {name: 1}, d * (1.0 if name == TRIVIAL else args.endpoint_share), clients)
            results[name] = run_phase(name, world, phase, server, args.processes, 10 + i)
            s = summary(results[name].records, results[name].duration)
            print(f"[{database}] alone  {name:<18} {s['rps']:7.1f} rps  p50 {s['p50']:6.1f} ms  "
                  f"errors {s['errors']}", flush=True)
        saturation = run_phase("mix saturation", world, Phase("closed", MIX, d, clients), server, args.processes, 50)
        sat = summary(saturation.records, d)
        print(f"[{database}] mix saturation {sat['rps']:.1f} rps", flush=True)
        sustained = run_phase("sustained", world, Phase("open", MIX, args.sustained or d,
                                                        rate=args.rate / args.processes),
                              server, args.processes, 60)
        soak = None
        if args.soak:
            sampler.soak_since = time.monotonic()  # the 10-minute run of the memory budget starts here
            soak = run_phase("soak", world, Phase("open", MIX, args.soak, rate=args.rate / args.processes),
                             server, args.processes, 70)
    finally:
        sampler.stopped.set()
        server.stop()
        cleanup()
    errors_log = [line for line in log.read_text(errors="replace").splitlines()
                  if "Traceback" in line or "ERROR" in line]
    ceiling = summary(results[TRIVIAL].records, results[TRIVIAL].duration)["rps"]
    report["ceiling_rps"] = ceiling
    report["server_log_errors"] = len(errors_log)
    alone = {name: summary(r.records, r.duration) for name, r in results.items()}
    for name, s in alone.items():
        s["ratio"] = s["rps"] / ceiling if ceiling else float("nan")
        s["server_cpu_ms"] = results[name].server_cpu * 1000 / max(1, s["requests"])
        s["driver_cpu_share"] = results[name].driver_cpu / max(1e-9, results[name].driver_cpu
                                                              + results[name].server_cpu)
    report["alone"] = alone
    report["mix_saturation"] = {**sat, "ratio": sat["rps"] / ceiling, "driver_cpu_s": saturation.driver_cpu,
                                "server_cpu_ms": saturation.server_cpu * 1000 / max(1, sat["requests"]),
                                "server_cpu_s": saturation.server_cpu,
                                "by_endpoint": {n: summary(r, d) for n, r in saturation.by_name().items()}}
    sus_d = args.sustained or d
    report["sustained"] = {**summary(sustained.records, sus_d), "rate": args.rate,
                           "server_cpu_ms": sustained.server_cpu * 1000 / max(1, len(sustained.records)),
                           "by_endpoint": {n: summary(r, sus_d) for n, r in sustained.by_name().items()}}
    if soak is not None:
        report["soak"] = {**summary(soak.records, args.soak), "seconds": args.soak}
    report["rss_mb"] = rss_report(sampler.samples, sampler.since)
    if soak is not None:
        report["rss_mb_soak"] = rss_report(sampler.samples, sampler.soak_since)
    report["redis_after"] = redis_memory(pages)
    report["server_log"] = str(log)
    print_report(report)
    return report


def rss_report(samples: dict[int, list[tuple[float, float]]], since: float) -> dict:
    out = {}
    for pid, points in samples.items():
        kept = [(t, v) for t, v in points if t >= since]
        values = [v for _t, v in kept]
        if not values:
            continue
        k = max(1, len(values) // 5)
        first, last = statistics.median(values[:k]), statistics.median(values[-k:])
        step = max(1, len(kept) // 60)  # the series, at most ~60 points: a plateau (caches full) or a steady climb
        out[str(pid)] = {"samples": len(values), "start": round(first, 1), "end": round(last, 1),
                         "max": round(max(values), 1), "growth": round((last - first) / first, 3),
                         "series": [[round(t - since), round(v, 1)] for t, v in kept[::step]]}
    return out


def f1(x: float) -> str:
    return "—" if x != x else f"{x:.1f}"


def print_report(r: dict) -> None:
    db = r["database"]
    print(f"\n=== {db}: {r['source']} data, scale {r['scale']:g} {r['counts']}; gunicorn gthread "
          f"{r['workers']} workers × {r['threads']} threads; driver {r['driver_processes']} processes, "
          f"{r['clients']} closed-loop clients; kept pages: {r.get('kept_pages', 'per worker')}")
    if r.get("redis_after"):
        print(f"Redis holding the kept pages: before the run {r['redis_before']}, after {r['redis_after']}")
    if r.get("postgresql"):
        print(f"PostgreSQL settings of the run's database: {r['postgresql']}")
    columns = ["requests", "errors", "rps", "p50 ms", "p95 ms", "p99 ms", "SQL/req"]

    def cells(name: str, s: dict) -> list:
        return [name, s["requests"], s["errors"], f1(s["rps"]), f1(s["p50"]), f1(s["p95"]), f1(s["p99"]),
                f1(s["queries"])]

    cores = r.get("cpus") or os.cpu_count() or 1
    rows = [cells(name, s) + [f"{s['ratio']:.2f}", f1(s["server_cpu_ms"]), f"{cores * 1000 / s['server_cpu_ms']:.0f}",
                              f"{s['driver_cpu_share']:.0%}"]
            for name, s in r["alone"].items()]
    print_table(f"[{db}] each endpoint alone, closed loop; ceiling (trivial endpoint) = {r['ceiling_rps']:.0f} rps",
                rows, ["endpoint"] + columns + ["× ceiling", "server CPU ms/req", f"CPU-bound rps ({cores} cores)",
                                                "driver CPU share"])
    m = r["mix_saturation"]
    rows = [cells(name, s) for name, s in sorted(m["by_endpoint"].items(), key=lambda kv: list(MIX).index(kv[0]))]
    rows.append(cells("MIX", m) + [f"{m['ratio']:.2f}", f1(m["server_cpu_ms"]),
                                   f"{cores * 1000 / m['server_cpu_ms']:.0f}"])
    print_table(f"[{db}] mix saturation, closed loop", rows, ["endpoint"] + columns + [
        "× ceiling", "server CPU ms/req", f"CPU-bound rps ({cores} cores)"])
    s = r["sustained"]
    rows = [cells(name, e) for name, e in sorted(s["by_endpoint"].items(), key=lambda kv: list(MIX).index(kv[0]))]
    rows.append(cells("MIX", s) + [f1(s["server_cpu_ms"])])
    print_table(f"[{db}] sustained mix, open loop at {s['rate']:g} rps (latency from the scheduled send time)",
                rows, ["endpoint"] + columns + ["server CPU ms/req"])
    rows = [[pid, v["samples"], f1(v["start"]), f1(v["end"]), f1(v["max"]), f"{v['growth']:+.1%}"]
            for pid, v in r["rss_mb"].items()]
    print_table(f"[{db}] RSS per gunicorn worker after the warm-up (MB, median of the first/last fifth of samples)",
                rows, ["worker pid", "samples", "start", "end", "max", "growth"])
    if r.get("rss_mb_soak"):
        rows = [[pid, v["samples"], f1(v["start"]), f1(v["end"]), f1(v["max"]), f"{v['growth']:+.1%}"]
                for pid, v in r["rss_mb_soak"].items()]
        print_table(f"[{db}] RSS per gunicorn worker during the soak (the 10-minute run of the memory budget)",
                    rows, ["worker pid", "samples", "start", "end", "max", "growth"])
    if r.get("soak"):
        k = r["soak"]
        print(f"[{db}] soak {k['seconds']:.0f} s at {s['rate']:g} rps: p95 {f1(k['p95'])} ms, p99 {f1(k['p99'])} "
              f"ms, errors {k['errors']}")
    print(f"[{db}] server log: {r['server_log_errors']} error lines ({r['server_log']})")
    print(f"\n[{db}] budget checks (issue 9; the budgets are for province data on 2 quiet cores):")
    for line in budget_checks(r):
        print("  " + line)


def budget_checks(r: dict) -> list[str]:
    s, m = r["sustained"], r["mix_saturation"]
    checks = [
        (s["p95"] <= BUDGET_P95_MS, f"sustained {s['rate']:g} rps: p95 {f1(s['p95'])} ms ≤ {BUDGET_P95_MS:g} ms"),
        (s["p99"] <= BUDGET_P99_MS, f"sustained {s['rate']:g} rps: p99 {f1(s['p99'])} ms ≤ {BUDGET_P99_MS:g} ms"),
        (s["errors"] == 0 and s["rps"] >= 0.95 * s["rate"],
         f"sustained: {s['errors']} errors, {s['rps']:.1f} rps achieved of {s['rate']:g}"),
        (m["rps"] >= BUDGET_SATURATION_RPS, f"mix saturation {m['rps']:.0f} rps ≥ {BUDGET_SATURATION_RPS:g}"),
    ]
    for name, floor in BUDGET_RATIO.items():
        a = r["alone"][name]
        checks.append((a["ratio"] >= floor, f"{name} alone {a['rps']:.0f} rps = {a['ratio']:.2f} × ceiling "
                                            f"≥ {floor:.2f}"))
    # Over the soak when there is one: the closed-loop phases before it meet every page and fill the caches
    # (kept pages, SQLite's page cache, compiled statements); "flat" is about what a server does once warm.
    growth = max((v["growth"] for v in (r.get("rss_mb_soak") or r["rss_mb"]).values()), default=0.0)
    run = "over the soak" if r.get("rss_mb_soak") else "short run, from the warm-up: the soak decides"
    checks.append((growth <= BUDGET_RSS_GROWTH, f"RSS per worker flat: largest growth {growth:+.1%} ≤ "
                                                f"{BUDGET_RSS_GROWTH:.0%} ({run})"))
    checks.append((sum(e["errors"] for e in r["alone"].values()) + m["errors"] == 0,
                   "no errors in the closed-loop phases"))
    r["budgets"] = [{"pass": ok, "check": text} for ok, text in checks]
    return [("PASS " if ok else "FAIL ") + text for ok, text in checks]


def signed_in(app, phone: str, password: str) -> dict:
    """Sign in through the login form with the Flask test client: the cookie and CSRF token to send, like the HTTP
    driver's, with every request (the answers' cookies dropped: a visit POST's flash message would otherwise pile up
    in the session and slow every later request)."""
    c = app.test_client()
    page = c.get("/dang-nhap").get_data(as_text=True)
    answer = c.post("/dang-nhap", data={"csrf_token": CSRF_INPUT.search(page).group(1), "phone": phone,
                                        "password": password})
    assert answer.status_code == 302, answer.status_code
    token = CSRF_HEADER.search(c.get("/").get_data(as_text=True)).group(1)
    cookie = "; ".join(f"{name}={c.get_cookie(name).value}" for name in ("session", "remember_token")
                       if c.get_cookie(name) is not None)
    return {"cookie": cookie, "token": token}


def profile(database: str, args) -> None:
    """Where the time of one request goes, in-process (Flask test client, no server, no concurrency): for each
    endpoint of the mix, ``args.profile`` requests: wall ms, SQL statements and the ms spent in them (cursor
    execute to its end, including fetching), the rest being Python (ORM, forms, templates). With
    ``--profile-detail NAME`` also cProfile's top functions for that endpoint."""
    import cProfile
    import pstats

    from sqlalchemy import event

    import fieldwork
    from fieldwork.db import get_engine

    master_url, manifest, _source = prepare(database, args.scale, args.seed, args.regenerate)
    url, cleanup = working_copy(database, master_url)
    folder = tempfile.mkdtemp(prefix="fieldwork-load-profile-")
    shared = kept_pages(args.pages)
    app = fieldwork.create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder, "SECRET_KEY": "profile",
                                "RATELIMIT_ENABLED": False, "PAGE_CACHE_URL": shared})
    sql = {"n": 0, "s": 0.0, "t0": 0.0}

    statements: dict[str, int] = {}

    @event.listens_for(get_engine(app), "before_cursor_execute")
    def _before(_conn, _cursor, statement, *_a) -> None:
        sql["t0"] = time.perf_counter()
        statements[statement] = statements.get(statement, 0) + 1

    @event.listens_for(get_engine(app), "after_cursor_execute")
    def _after(*_a) -> None:
        sql["n"] += 1
        sql["s"] += time.perf_counter() - sql["t0"]

    try:
        villages = village_ids_by_commune(url)
        clients = {}
        for role, person in (("member", next(m for m in manifest["members"] if m.get("household_ids"))),
                             ("official", next(o for o in manifest["officials"] if villages.get(o["commune_id"])))):
            clients[role] = (app.test_client(use_cookies=False),
                             {**signed_in(app, person["phone"], manifest["password"]),
                              "household_ids": person.get("household_ids", []),
                              "village_ids": villages.get(person.get("commune_id"), [])})
        rng = random.Random(args.seed)
        world = World(0, [clients["member"][1]], [clients["official"][1]], manifest["search_terms"])
        rows = []
        for name in [TRIVIAL] + list(MIX):
            client = clients["member" if name in MEMBER_OPS or name == TRIVIAL else "official"][0]

            def once() -> None:
                method, path, headers, body = build_request(name, world, rng)
                headers = {k: v for k, v in headers.items() if k != "Content-Type"}
                kwargs = {"data": body, "content_type": "application/x-www-form-urlencoded"} if body else {}
                answer = client.open(path, method=method, headers=headers, **kwargs)
                assert answer.status_code in OK_STATUS.get(name, {200}), (name, path, answer.status_code)

            for _ in range(3):
                once()
            profiler = cProfile.Profile() if name == args.profile_detail else None
            wall, cpu_rounds = [], []
            for _round in range(args.rounds):
                sql.update(n=0, s=0.0)
                statements.clear()
                cpu = time.process_time()
                for _ in range(args.profile):
                    t = time.perf_counter()
                    if profiler:
                        profiler.enable()
                    once()
                    if profiler:
                        profiler.disable()
                    wall.append((time.perf_counter() - t) * 1000)
                cpu_rounds.append((time.process_time() - cpu) * 1000 / args.profile)
            n = args.profile
            rows.append([name, f1(statistics.median(wall)), f"{min(cpu_rounds):.2f}", f1(sql["n"] / n),
                         f1(sql["s"] * 1000 / n), f"{sql['s'] * 1000 / n / statistics.mean(wall):.0%}"])
            if profiler:
                stats = pstats.Stats(profiler)
                stats.sort_stats("cumulative").print_stats(r"fieldwork|jinja2|sqlalchemy", 30)
                stats.sort_stats("tottime").print_stats(25)
                print(f"SQL statements of {name}, per request (repeated ones are N+1 suspects):")
                for statement, count in sorted(statements.items(), key=lambda kv: -kv[1]):
                    print(f"  {count / args.profile:5.1f}  {' '.join(statement.split())[:150]}")
        print_table(f"[{database}] in-process, one request at a time ({args.profile} each)", rows,
                    ["endpoint", "p50 ms", "CPU ms (best round)", "SQL/req", "SQL ms/req", "SQL share"])
    finally:
        get_engine(app).dispose()
        shutil.rmtree(folder, ignore_errors=True)
        cleanup()


def profile_mix(database: str, args) -> None:
    """Where the mix's time goes, in-process: the run's virtual users (``--members``, ``--officials``) sign in, then
    ``args.profile_mix`` requests of the weighted mix are sent one at a time through the Flask test client, kept
    pages on, visit POSTs writing to a copy of the data as in the HTTP run (so kept pages are invalidated as they are
    there). Per endpoint: process CPU per request, SQL statements, and its share of the mix's CPU. One process
    stands for the whole server. As in the HTTP run, the workers share one store of kept pages in Redis (``--pages``),
    or with ``--pages worker`` each of ``--workers`` workers keeps its own: every request then goes to one of that many
    stores at random (the HTTP run's keep-alive connections each stay with one worker, and every virtual user's
    requests go out on any connection). The first 10 % of the requests warm up and are not counted."""
    import fieldwork
    from fieldwork import pagecache
    from fieldwork.db import get_engine
    from sqlalchemy import event

    master_url, manifest, _source = prepare(database, args.scale, args.seed, args.regenerate)
    url, cleanup = working_copy(database, master_url)
    folder = tempfile.mkdtemp(prefix="fieldwork-load-mix-")
    shared = kept_pages(args.pages)
    app = fieldwork.create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder, "SECRET_KEY": "profile",
                                "RATELIMIT_ENABLED": False, "PAGE_CACHE_URL": shared})
    statements = [0]
    event.listen(get_engine(app), "after_cursor_execute", lambda *_a: statements.__setitem__(0, statements[0] + 1))
    try:
        villages = village_ids_by_commune(url)
        pick = random.Random(args.seed)  # the HTTP run's sample of users
        members = [m for m in manifest["members"] if m.get("household_ids")]
        chosen = pick.sample(members, min(args.members, len(members)))
        officials = [o for o in manifest["officials"] if villages.get(o["commune_id"])]
        staff = pick.sample(officials, min(args.officials, len(officials)))
        password = manifest["password"]
        world = World(0, [{**signed_in(app, m["phone"], password), "household_ids": m["household_ids"]}
                          for m in chosen],
                      [{**signed_in(app, o["phone"], password), "village_ids": villages[o["commune_id"]]}
                       for o in staff],
                      [t for t in manifest["search_terms"] if t.strip()])
        client = app.test_client(use_cookies=False)
        rng = random.Random(args.seed + 50)
        names, weights = list(MIX), list(MIX.values())
        cpu: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        sql: dict[str, int] = defaultdict(int)
        kept: dict[str, int] = defaultdict(int)  # answered from the kept pages (fieldwork/pagecache.py)
        first = pagecache.store(app)
        if first is None or shared:  # none, or one store every worker shares
            stores = [first]
        else:
            stores = [first] + [pagecache.Store(first.limit) for _ in range(args.workers - 1)]
        worker = random.Random(args.seed + 60)
        warm = args.profile_mix // 10
        for i in range(warm + args.profile_mix):
            pages = app.extensions["fieldwork.pagecache"] = worker.choice(stores)
            name = rng.choices(names, weights)[0]
            method, path, headers, body = build_request(name, world, rng)
            headers = {k: v for k, v in headers.items() if k != "Content-Type"}
            kwargs = {"data": body, "content_type": "application/x-www-form-urlencoded"} if body else {}
            before, hits, started = statements[0], pages.hits if pages else 0, time.process_time()
            answer = client.open(path, method=method, headers=headers, **kwargs)
            spent = time.process_time() - started
            assert answer.status_code in OK_STATUS.get(name, {200}), (name, path, answer.status_code)
            if i >= warm:
                cpu[name] += spent
                count[name] += 1
                sql[name] += statements[0] - before
                kept[name] += (pages.hits if pages else 0) - hits
        total, n = sum(cpu.values()), sum(count.values())
        rows = [[name, str(count[name]), f"{1000 * cpu[name] / count[name]:.2f}", f1(sql[name] / count[name]),
                 f"{kept[name] / count[name]:.0%}", f"{1000 * cpu[name] / n:.2f}", f"{cpu[name] / total:.0%}"]
                for name in names if count[name]]
        rows.append(["MIX", str(n), f"{1000 * total / n:.2f}", f1(sum(sql.values()) / n),
                     f"{sum(kept.values()) / n:.0%}", f"{1000 * total / n:.2f}", "100%"])
        print_table(f"[{database}] the mix in-process, one request at a time ({n} counted; kept pages in "
                    f"{len(stores)} stores, one per worker)", rows,
                    ["endpoint", "requests", "CPU ms/req", "SQL/req", "kept", "CPU ms per mix request", "share"])
    finally:
        get_engine(app).dispose()
        shutil.rmtree(folder, ignore_errors=True)
        cleanup()


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--scale", type=float, default=0.01, help="province fraction (1 = a whole province)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=float, default=30, help="seconds of the ceiling and mix phases")
    parser.add_argument("--endpoint-share", type=float, default=0.5,
                        help="each endpoint alone runs duration × this (default 0.5)")
    parser.add_argument("--sustained", type=float, default=0, help="seconds of the open-loop phase (default: duration)")
    parser.add_argument("--rate", type=float, default=100, help="open-loop requests per second")
    parser.add_argument("--soak", type=float, default=0, help="then run the open-loop mix this long (memory)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--processes", type=int, default=2, help="driver processes")
    parser.add_argument("--clients", type=int, default=8, help="closed-loop clients per driver process")
    parser.add_argument("--members", type=int, default=60, help="member logins used (virtual users)")
    parser.add_argument("--officials", type=int, default=10)
    parser.add_argument("--regenerate", action="store_true", help="generate the cached database again")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="instead of the load: N requests of each endpoint in-process, where the time goes")
    parser.add_argument("--profile-detail", metavar="ENDPOINT", help="with --profile: cProfile this endpoint")
    parser.add_argument("--rounds", type=int, default=1,
                        help="with --profile: repeat the N requests this many times; the CPU column is the best "
                             "round's mean (process CPU time: steadier than wall time on a shared machine)")
    parser.add_argument("--pages", default="redis://127.0.0.1:6379/2",
                        help="kept pages: a Redis URL shared by every worker (docs/deploy.md), or 'worker' for a "
                             "store in each worker")
    parser.add_argument("--profile-mix", type=int, default=0, metavar="N",
                        help="instead of the load: N requests of the weighted mix in-process, CPU per endpoint")
    args = parser.parse_args(argv)
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    if args.profile_mix:
        for db in databases:
            profile_mix(db, args)
        return 0
    if args.profile:
        for db in databases:
            profile(db, args)
        return 0
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    reports = [bench_database(db, args) for db in databases]
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        meta = {"started": started, "cpus": os.cpu_count(), "load_average": os.getloadavg(),
                "argv": sys.argv[1:]}
        args.json.write_text(json.dumps({"meta": meta, "databases": reports}, indent=1, default=str))
        print(f"\nfigures written to {args.json}")
    print(f"\nload average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs "
          "(a shared machine inflates every figure)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
