"""Weekly reports (issue 6): the village report and a 20-village commune report, timed as the app prints them, and
compared with WeasyPrint alone rendering the same final HTML.

    .venv/bin/python -m bench.reports                    # SQLite: generate bench/out/reports_20.sqlite3, then measure
    .venv/bin/python -m bench.reports --reuse            # measure the database already generated
    .venv/bin/python -m bench.reports --reuse --database-url postgresql://postgres@127.0.0.1:5432/fieldwork_bench_reports
    .venv/bin/python -m bench.reports --reuse --profile  # also cProfile one run of each and count the queries

Targets: village report <= 1.5 s, commune report <= 6 s, our overhead over WeasyPrint alone <= 15 % (at the median).

The database: the demo generator (:func:`fieldwork.demo.build_demo`) with ``villages=20``: one commune (Xã Tam Tiến)
of 20 villages of 160-260 households, eight weeks of visits, enrolments, sponsorships and the year's targets split to
villages; then every village target split to its committee members by households, with the app's own
:func:`fieldwork.targets.services.split_plan` / ``save_split`` (what a committee head does on the split page).
See bench/README.md ("Weekly reports") for the figures.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, select

import fieldwork
import fieldwork.migrate
from fieldwork.config import normalise_database_url
from fieldwork.db import get_engine
from fieldwork.demo import ADMIN_PHONE, DEMO_COMMUNE_CODE, OFFICIAL_PHONE, build_demo
from fieldwork.models import Commune, Household, Person, Target, User, Village
from fieldwork.reference import load_reference_data
from fieldwork.reports import archive, pdf, services
from fieldwork.reports.week import Week, week_of
from fieldwork.targets.services import save_split, split_plan
from fieldwork.text import to_local

OUT = Path(__file__).resolve().parent / "out"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_TODAY = date(2026, 11, 23)  # a Monday: the report is the week before, 2026-W47 (16-22 November)
USERS_BACKDATED = timedelta(days=120)  # the demo dates its admin's account 120 days before its "today"
TARGET_SECONDS = {"village": 1.5, "commune": 6.0}
TARGET_OVERHEAD = 0.15


def default_url(villages: int) -> str:
    return f"sqlite:///{OUT / f'reports_{villages}.sqlite3'}"


# --- the database --------------------------------------------------------------------------------------------------


def _pg_admin() -> Engine:
    return sa.create_engine(normalise_database_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")


def database_exists(url: sa.URL) -> bool:
    if url.get_backend_name() == "sqlite":
        return Path(url.database).exists()
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            return conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                {"n": url.database}).first() is not None
    finally:
        admin.dispose()


def recreate_database(url: sa.URL) -> None:
    """An empty database at ``url``: a SQLite file is replaced only under bench/out/ (created elsewhere only when
    missing); a PostgreSQL database is created when missing, and dropped first only when it is one of the
    benchmarks' own (``fieldwork_bench_*``)."""
    if url.get_backend_name() == "sqlite":
        path = Path(url.database).resolve()
        if path.exists() and OUT.resolve() not in path.parents:
            raise SystemExit(f"{path} exists: the benchmark only replaces SQLite files under {OUT}; use --reuse")
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    name = url.database
    exists = database_exists(url)
    if exists and not name.startswith("fieldwork_bench_"):
        raise SystemExit(f"database {name} exists: the benchmark only drops databases named fieldwork_bench_*; "
                         "use --reuse or another name")
    admin = _pg_admin()
    with admin.connect() as conn:
        if exists:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def make_app(url: str, instance: str):
    return fieldwork.create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench"})


def generated_for(engine: Engine, villages: int) -> Optional[date]:
    """The "today" the database was generated for, when it holds the benchmark's commune with ``villages`` villages
    and member targets; else None."""
    try:
        with Session(engine) as session:
            commune = session.exec(select(Commune).where(Commune.code == DEMO_COMMUNE_CODE)).first()
            if commune is None:
                return None
            count = session.exec(select(sa.func.count()).select_from(Village)
                                 .where(Village.commune_id == commune.id)).one()
            member_targets = session.exec(select(sa.func.count()).select_from(Target)
                                          .where(Target.member_id.is_not(None))).one()
            admin_created = session.exec(select(User.created_at).where(User.phone == ADMIN_PHONE)).first()
            if count != villages or not member_targets or admin_created is None:
                return None
            return to_local(admin_created).date() + USERS_BACKDATED
    except sa.exc.DBAPIError:
        return None


def generate(url: str, villages: int, today: date, seed: int) -> None:
    """Create, migrate, load the reference data, build the demo commune with ``villages`` villages, split every
    village target to the committee members, analyse."""
    started = time.perf_counter()
    recreate_database(make_url(url))
    with tempfile.TemporaryDirectory() as instance:
        app = make_app(url, instance)
        fieldwork.migrate.upgrade(app)
        engine = get_engine(app)
        t = time.perf_counter()
        print(f"  created + migrated in {t - started:.1f} s")
        with Session(engine) as session:
            load_reference_data(session)
            summary = build_demo(session, today, seed=seed, villages=villages)
            session.commit()
        print(f"  demo commune {summary.commune_name}: {summary.villages} villages, {summary.households} households, "
              f"{summary.people} people, {summary.visits} visits, {summary.enrolments} enrolments, "
              f"{summary.sponsorships} sponsorships ({time.perf_counter() - t:.1f} s)")
        t = time.perf_counter()
        with Session(engine) as session:
            official = session.exec(select(User).where(User.phone == OFFICIAL_PHONE)).one()
            village_targets = session.exec(select(Target).where(Target.village_id.is_not(None),
                                                                Target.member_id.is_(None))
                                           .order_by(Target.id)).all()
            parts = 0
            for target in village_targets:
                plan = split_plan(session, target, "ho", today)  # by households, as suggested on the split page
                parts += len(save_split(session, plan, plan.suggested, actor=official))
            session.commit()
        print(f"  {len(village_targets)} village targets split into {parts} member targets "
              f"({time.perf_counter() - t:.1f} s)")
        t = time.perf_counter()
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("ANALYZE")
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.commit()
            else:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        print(f"  analysed in {time.perf_counter() - t:.1f} s; total {time.perf_counter() - started:.1f} s")
        engine.dispose()


# --- measuring -----------------------------------------------------------------------------------------------------


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, -(-p * len(values) // 100) - 1))
    return values[int(k)]


@dataclass
class Result:
    label: str  # "village" | "commune"
    unit: str
    households: int
    people: int
    total: list[float] = field(default_factory=list)  # (a): build + report_html + render
    build: list[float] = field(default_factory=list)
    html: list[float] = field(default_factory=list)
    render_a: list[float] = field(default_factory=list)  # the render step inside (a)
    alone: list[float] = field(default_factory=list)  # (b): render(html) only, html made beforehand
    total_cpu: list[float] = field(default_factory=list)  # CPU seconds of this process (time.process_time)
    alone_cpu: list[float] = field(default_factory=list)
    pdf_bytes: int = 0
    pages: int = 0
    html_chars: int = 0
    rows: dict = field(default_factory=dict)
    queries: int = 0
    query_seconds: float = 0.0
    html_queries: int = 0
    db: str = ""

    @property
    def overhead(self) -> float:
        b = statistics.median(self.alone)
        return (statistics.median(self.total) - b) / b

    @property
    def own_share(self) -> float:
        """(build + HTML) / (b) at the medians: the overhead without the render's run-to-run noise."""
        return (statistics.median(self.build) + statistics.median(self.html)) / statistics.median(self.alone)

    @property
    def overhead_cpu(self) -> float:
        b = statistics.median(self.alone_cpu)
        return (statistics.median(self.total_cpu) - b) / b


class QueryCounter:
    """Counts the statements the engine runs, and the time spent in the driver (execute, not fetching)."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.count, self.seconds, self._start = engine, 0, 0.0, []

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._start.append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.seconds += time.perf_counter() - self._start.pop()
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def _printed(report: services.Report, official: User) -> services.Report:
    """As :func:`fieldwork.reports.archive.freeze` prints it: version 1, prepared by the official."""
    report.proposals, report.prepared_by, report.version, report.note = "", official.display_name, 1, ""
    return report


def page_count(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def measure_one(app, label: str, unit_of: Callable[[Session, User], services.Unit], week: Week, today: date,
                runs: int, profile_to: Optional[Path]) -> Result:
    engine = get_engine(app)

    def session() -> Session:
        return Session(engine, expire_on_commit=False)  # as fieldwork.db.get_session

    with session() as s:
        official = s.exec(select(User).where(User.phone == OFFICIAL_PHONE)).one()
        unit = unit_of(s, official)
        village_ids = [unit.village.id] if unit.village else list(
            s.exec(select(Village.id).where(Village.commune_id == unit.commune.id)).all())
        households = s.exec(select(sa.func.count()).select_from(Household)
                            .where(Household.village_id.in_(village_ids))).one()
        people = s.exec(select(sa.func.count()).select_from(Person).join(Household)
                        .where(Household.village_id.in_(village_ids))).one()
        result = Result(label, unit.name, households, people)

    def whole_path() -> tuple[float, float, float, float, bytes, str, services.Report]:
        with session() as s:
            u = unit_of(s, s.get(User, official.id))
            c0, t0 = time.process_time(), time.perf_counter()
            report = _printed(services.build(s, u, week, today), official)
            t1 = time.perf_counter()
            html = pdf.report_html(report)
            t2 = time.perf_counter()
            data = pdf.render(html)
            t3, c3 = time.perf_counter(), time.process_time()
            s.rollback()
        return t1 - t0, t2 - t1, t3 - t2, c3 - c0, data, html, report

    # Warm-up: (a) once, which also gives the final HTML that (b) renders, then (b) once.
    *_, data, html, report = whole_path()
    pdf.render(html)
    result.pdf_bytes, result.pages, result.html_chars = len(data), page_count(data), len(html)
    result.rows = {"visits": len(report.visits), "enrolments": len(report.enrolments),
                   "renewals": len(report.renewals), "follow_ups": len(report.follow_ups),
                   "members": len(report.members), "sponsorships": len(report.sponsorships),
                   "villages": len(report.villages), "lagging": len(report.lagging),
                   "key_figures": len(report.key_figures)}
    # Timed: (a) and (b) alternate, so that a change in the machine's load hits both alike.
    for _ in range(runs):
        b, h, r, cpu, *_ = whole_path()
        result.build.append(b), result.html.append(h), result.render_a.append(r), result.total.append(b + h + r)
        result.total_cpu.append(cpu)
        c0, t0 = time.process_time(), time.perf_counter()
        pdf.render(html)
        result.alone.append(time.perf_counter() - t0)
        result.alone_cpu.append(time.process_time() - c0)

    # One more run, untimed, counting the statements of the build and of the template rendering.
    with session() as s:
        u = unit_of(s, s.get(User, official.id))
        with QueryCounter(engine) as during_build:
            report = _printed(services.build(s, u, week, today), official)
        with QueryCounter(engine) as during_html:
            pdf.report_html(report)
        s.rollback()
    result.queries, result.query_seconds, result.html_queries = (during_build.count, during_build.seconds,
                                                                 during_html.count)
    if profile_to is not None:
        profile(engine, label, unit_of, official, week, today, session, profile_to)
    return result


# WeasyPrint's own phases, as functions of its source (weasyprint 6x-7x): where a PDF's time goes.
WEASYPRINT_PHASES = (
    ("parse HTML (tinyhtml5)", "weasyprint/__init__.py", "__init__"),
    ("CSS cascade + computed styles", "weasyprint/css/__init__.py", "get_all_computed_styles"),
    ("build boxes", "weasyprint/formatting_structure/build.py", "build_formatting_structure"),
    ("layout (pages)", "weasyprint/layout/__init__.py", "layout_document"),
    ("  in it: tables, rows", "weasyprint/layout/table.py", "table_layout"),
    ("  in it: tables, auto column widths", "weasyprint/layout/table.py", "auto_table_layout"),
    ("  in it: line breaking (Pango)", "weasyprint/text/line_break.py", "split_first_line"),
    ("draw + write PDF", "weasyprint/document.py", "write_pdf"),
    ("  in it: drawing text", "weasyprint/draw/text.py", "draw_text"),
    ("  in it: table borders", "weasyprint/draw/__init__.py", "draw_collapsed_borders"),
)


def _cumulative(stats: pstats.Stats, path_part: str, name: str) -> float:
    """Cumulative seconds of a function (the outermost call's: recursion is counted once by cProfile)."""
    return max([ct for (filename, _line, fn), (_cc, _nc, _tt, ct, _c) in stats.stats.items()
                if fn == name and filename.replace("\\", "/").endswith(path_part)] or [0.0])


def profile(engine, label, unit_of, official, week, today, session, out: Path) -> None:
    """cProfile of one whole run, phase by phase (build, HTML, PDF): the functions of the build, WeasyPrint's
    phases, the top functions of each; the profiles are saved for pstats / snakeviz. Times are inflated by the
    profiler (about 1.5-2 x for WeasyPrint); compare them with each other, not with the timings."""
    phases = {name: cProfile.Profile() for name in ("build", "html", "render")}
    with session() as s:
        u = unit_of(s, s.get(User, official.id))
        phases["build"].enable()
        report = _printed(services.build(s, u, week, today), official)
        phases["build"].disable()
        phases["html"].enable()
        html = pdf.report_html(report)
        phases["html"].disable()
        phases["render"].enable()
        pdf.render(html)
        phases["render"].disable()
        s.rollback()
    for phase, prof in phases.items():
        path = out / f"reports_{label}_{phase}.prof"
        prof.dump_stats(path)
        stream = io.StringIO()
        stats = pstats.Stats(prof, stream=stream)
        print(f"\n--- cProfile, {label} report, {phase}: {stats.total_tt * 1000:.0f} ms under the profiler "
              f"(saved to bench/out/{path.name}); top 15 by cumulative time")
        stats.sort_stats("cumulative").print_stats(15)
        print("\n".join(line for line in stream.getvalue().splitlines()[4:] if line.strip()))
        if phase == "build":
            print("\n    build, by function of the app's services (cumulative ms):")
            by_fn: dict[str, float] = defaultdict(float)
            for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
                filename = filename.replace("\\", "/")
                if "/fieldwork/" in filename and "/.venv/" not in filename and name != "build":
                    key = f"{filename.split('/fieldwork/')[-1]}:{name}"
                    by_fn[key] = max(by_fn[key], ct)
            for name, ct in sorted(by_fn.items(), key=lambda kv: -kv[1])[:25]:
                print(f"      {ct * 1000:8.1f}  {name}")
            orm = sum(ct for (f, _l, n), (_cc, _nc, _tt, ct, _c) in stats.stats.items()
                      if n == "execute" and f.endswith("sqlalchemy/engine/base.py"))
            print(f"    sqlalchemy Connection.execute (all calls, cumulative): {orm * 1000:.0f} ms")
        if phase == "render":
            print("\n    WeasyPrint phases (cumulative ms under the profiler, share of the render):")
            for title, path_part, name in WEASYPRINT_PHASES:
                ct = _cumulative(stats, path_part, name)
                print(f"      {title:<36} {ct * 1000:8.0f}  {ct / stats.total_tt * 100:5.1f} %")


# --- what would make it faster: variants measured without changing the app ----------------------------------------


def _with_css(html: str, css: str) -> str:
    return html.replace("</style>", css + "\n</style>", 1)


def variants(app, village_id: int, week: Week, today: date, runs: int) -> None:
    """The commune PDF rendered from variants of its HTML (extra CSS, fewer rows), CPU seconds (time.process_time)
    and pages; and the village report's build with its :class:`Tally` limited to the village (monkeypatched here
    only), checked to give the same report. Suggestions for fieldwork/reports, measured."""
    engine = get_engine(app)
    with Session(engine, expire_on_commit=False) as s:
        official = s.exec(select(User).where(User.phone == OFFICIAL_PHONE)).one()
        report = _printed(services.build(s, archive.commune_unit(s, official), week, today), official)
        lagging, members = list(report.lagging), list(report.members)
        units = len({(ln.target.village_id, ln.target.member_id) for ln in lagging})
        html = {"as built": pdf.report_html(report)}
        html["CSS: table { border-collapse: separate }"] = _with_css(
            html["as built"], "table { border-collapse: separate; border-spacing: 0; }")
        html["CSS: table { table-layout: fixed }"] = _with_css(html["as built"], "table { table-layout: fixed; }")
        report.lagging = [ln for ln in lagging if ln.target.member_id is None]
        html[f"lagging: villages' lines only ({len(report.lagging)})"] = pdf.report_html(report)
        report.lagging = lagging[:units]
        html[f"lagging: {units} lines (one a unit behind)"] = pdf.report_html(report)
        report.lagging = []
        html["lagging: none"] = pdf.report_html(report)
        report.members = []
        html["lagging: none; members' table: none"] = pdf.report_html(report)
        report.lagging, report.members = lagging, members
    print(f"\n  variants of the commune PDF ({len(lagging)} lagging lines, {len(members)} members), "
          f"CPU seconds p50 of {runs} renders each, interleaved:")
    cpu: dict[str, list[float]] = defaultdict(list)
    pages: dict[str, int] = {}
    for i in range(runs):
        for name, text in html.items():
            c0 = time.process_time()
            data = pdf.render(text)
            cpu[name].append(time.process_time() - c0)
            pages[name] = page_count(data)
    base = statistics.median(cpu["as built"])
    print("  | variant | pages | CPU s p50 | vs as built |\n  |---|---:|---:|---:|")
    for name in html:
        m = statistics.median(cpu[name])
        print(f"  | {name} | {pages[name]} | {m:.2f} | {(m - base) / base * 100:+.0f} % |")

    # The village report's build: Tally(session, commune_id, ...) counts every village of the commune, for the
    # week, each chart week and the year; the same Tally limited to the village gives the same report.
    original = services.Tally

    class VillageTally(original):
        def __init__(self, session, commune_id, today_):
            super().__init__(session, commune_id, today_)
            self.village_ids = [village_id]

    def builds(n: int = 2 * runs + 2) -> tuple[float, int, float, dict]:
        seconds, counter = [], None
        for i in range(n):
            with Session(engine, expire_on_commit=False) as s:
                unit = archive.village_unit(s, s.get(User, official.id), village_id)
                with QueryCounter(engine) as counter:
                    t0 = time.perf_counter()
                    built = services.build(s, unit, week, today)
                    seconds.append(time.perf_counter() - t0)
        built.built_at = None
        return statistics.median(seconds[2:]), counter.count, counter.seconds, archive.plain(built)

    as_is = builds()
    services.Tally = VillageTally
    try:
        scoped = builds()
    finally:
        services.Tally = original
    print(f"\n  village report's build: as is p50 {as_is[0] * 1000:.0f} ms ({as_is[1]} queries, {as_is[2] * 1000:.0f} ms "
          f"in the driver); Tally limited to the village p50 {scoped[0] * 1000:.0f} ms ({scoped[1]} queries, "
          f"{scoped[2] * 1000:.0f} ms in the driver); same report: {as_is[3] == scoped[3]}")


def run(url: str, villages: int, runs: int, reuse: bool, today: Optional[date], seed: int, profile_on: bool,
        village_choice: str, variants_on: bool = False) -> list[Result]:
    url = normalise_database_url(url)
    u = make_url(url)
    print(f"\n== {u.render_as_string(hide_password=True)}")
    found = None
    if reuse and database_exists(u):
        with tempfile.TemporaryDirectory() as instance:
            app = make_app(url, instance)
            try:  # the schema may be behind the code: migrate in place, as a deployment would
                fieldwork.migrate.upgrade(app)
            except Exception as error:  # noqa: BLE001 - not a database of ours: generate a new one
                print(f"  could not migrate the existing database ({type(error).__name__}: {error})")
            else:
                found = generated_for(get_engine(app), villages)
            get_engine(app).dispose()
    if found is not None and (today is None or found == today):
        print(f"  reusing the existing database (generated for {found})")
        today = found
    else:
        if reuse:
            print("  no usable database to reuse: generating")
        today = today or DEFAULT_TODAY
        generate(url, villages, today, seed)
    week = week_of(today).shifted(-1)  # the reports page's default: the last complete week
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as instance:
        app = make_app(url, instance)
        engine = get_engine(app)
        with Session(engine) as s:
            commune = s.exec(select(Commune).where(Commune.code == DEMO_COMMUNE_CODE)).one()
            sizes = s.exec(select(Village.id, sa.func.count(Household.id)).join(Household)
                           .where(Village.commune_id == commune.id).group_by(Village.id)
                           .order_by(sa.func.count(Household.id), Village.id)).all()
        village_id = sizes[-1][0] if village_choice == "largest" else sizes[len(sizes) // 2][0]
        print(f"  week {week.key} ({week.first} - {week.last}), today {today}; village report: the {village_choice} "
              f"village ({dict(sizes)[village_id]} households); {runs} timed runs each after 1 warm-up")
        print("  load average before: %.1f %.1f %.1f (the machine's other work slows the wall-clock times)"
              % os.getloadavg())
        with app.app_context(), app.test_request_context():
            for label, unit_of in (
                ("village", lambda s, user: archive.village_unit(s, user, village_id)),
                ("commune", lambda s, user: archive.commune_unit(s, user)),
            ):
                result = measure_one(app, label, unit_of, week, today, runs, OUT if profile_on else None)
                print_result(result)
                results.append(result)
            if variants_on:
                variants(app, village_id, week, today, max(3, runs // 2))
        print("  load average after: %.1f %.1f %.1f" % os.getloadavg())
        engine.dispose()
    name = f"SQLite {sqlite_version()}" if u.get_backend_name() == "sqlite" else f"PostgreSQL {pg_version(url)}"
    for r in results:
        r.db = name
    return results


def sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def pg_version(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(sa.text("SHOW server_version")).scalar().split()[0]
    engine.dispose()
    return version


def print_result(r: Result) -> None:
    ms = lambda xs: f"p50 {statistics.median(xs) * 1000:7.0f}  p95 {_pct(xs, 95) * 1000:7.0f}  max {max(xs) * 1000:7.0f} ms"  # noqa: E731
    print(f"\n  {r.label} report: {r.unit} ({r.households} households, {r.people} people)")
    print(f"    PDF {r.pdf_bytes / 1024:.0f} KiB, {r.pages} pages; HTML {r.html_chars / 1024:.0f} KiB; rows: "
          + ", ".join(f"{k} {v}" for k, v in r.rows.items()))
    print(f"    (a) whole path         {ms(r.total)}")
    print(f"        build              {ms(r.build)}   ({r.queries} queries, {r.query_seconds * 1000:.0f} ms in the driver, one run)")
    print(f"        report_html        {ms(r.html)}   ({r.html_queries} queries)")
    print(f"        render             {ms(r.render_a)}")
    print(f"    (b) WeasyPrint alone   {ms(r.alone)}")
    print(f"    overhead (a-b)/b at the median: {r.overhead * 100:.1f} %; CPU time p50: (a) "
          f"{statistics.median(r.total_cpu):.2f} s, (b) {statistics.median(r.alone_cpu):.2f} s, overhead "
          f"{r.overhead_cpu * 100:.1f} %; our own work (build + HTML) / (b) at the medians: {r.own_share * 100:.1f} %")


def print_table(results: list[Result]) -> None:
    print("\n| database | report | pages | PDF KiB | (a) p50 s | (a) p95 s | (a) max s | (b) p50 s | (b) p95 s | "
          "(b) max s | overhead (a-b)/b | build p50 s | HTML p50 s | (build+HTML)/(b) | queries | "
          "CPU s (a) p50 / p95, (b) p50 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        over = r.overhead
        target = TARGET_SECONDS[r.label]
        flag_time = " **over**" if _pct(r.total, 95) > target else ""
        flag_over = " **over**" if over > TARGET_OVERHEAD else ""
        print(f"| {r.db} | {r.label} ({r.households} households) | {r.pages} | {r.pdf_bytes / 1024:.0f} | "
              f"{statistics.median(r.total):.2f} | {_pct(r.total, 95):.2f}{flag_time} | {max(r.total):.2f} | "
              f"{statistics.median(r.alone):.2f} | {_pct(r.alone, 95):.2f} | {max(r.alone):.2f} | "
              f"{over * 100:.1f} %{flag_over} | {statistics.median(r.build):.3f} | {statistics.median(r.html):.3f} | "
              f"{r.own_share * 100:.1f} % | "
              f"{r.queries} | {statistics.median(r.total_cpu):.2f} / {_pct(r.total_cpu, 95):.2f}, "
              f"{statistics.median(r.alone_cpu):.2f} |")


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", action="append",
                        help="sqlite:///... or postgresql://postgres@127.0.0.1:5432/<name> (repeatable; default: "
                             "bench/out/reports_<villages>.sqlite3)")
    parser.add_argument("--villages", type=int, default=20, help="villages of the commune (default 20)")
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each, after 1 warm-up (default 10)")
    parser.add_argument("--reuse", action="store_true", help="reuse a database generated before, when it fits")
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help=f"the day the data is generated for / reports are built on (default {DEFAULT_TODAY}; "
                             "with --reuse, the database's own)")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--village", choices=("largest", "median"), default="largest",
                        help="which village's report to time (default: the one with the most households)")
    parser.add_argument("--generate-only", action="store_true", help="(re)generate the database(s), measure nothing")
    parser.add_argument("--variants", action="store_true",
                        help="also measure variants (CSS, fewer rows, a village-scoped Tally) that would be faster")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile one run of each report (bench/out/reports_*.prof)")
    args = parser.parse_args(argv)
    urls = args.database_url or [default_url(args.villages)]
    if args.generate_only:
        for url in urls:
            print(f"\n== generating {make_url(normalise_database_url(url)).render_as_string(hide_password=True)}")
            generate(normalise_database_url(url), args.villages, args.today or DEFAULT_TODAY, args.seed)
        return
    results = []
    for url in urls:
        results += run(url, args.villages, args.runs, args.reuse, args.today, args.seed, args.profile, args.village,
                       args.variants)
    print_table(results)
    ok = all(_pct(r.total, 95) <= TARGET_SECONDS[r.label] and r.overhead <= TARGET_OVERHEAD for r in results)
    print(f"\ntargets (village <= {TARGET_SECONDS['village']} s, commune <= {TARGET_SECONDS['commune']} s at p95, "
          f"overhead <= {TARGET_OVERHEAD:.0%} at the median): {'all hold' if ok else 'NOT all hold'}")


if __name__ == "__main__":
    main()
