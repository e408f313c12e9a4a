"""Fixtures: the suite runs on a real SQLite file and, when FIELDWORK_TEST_DATABASE_URL is set, again on PostgreSQL.

Each backend gets a fresh database for the run (a new SQLite file; a new PostgreSQL database created from the given
server and dropped at the end), migrated with Alembic and loaded with the reference data once. Between tests every
table except the administrative catalogue is emptied. Factories are fixtures that return callables.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import shutil
import threading
from datetime import date
from typing import Iterator

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, select
from werkzeug.serving import make_server

from fieldwork import create_app
from fieldwork.auth.services import create_user
from fieldwork.config import normalise_database_url
from fieldwork.db import get_engine
from fieldwork.migrate import upgrade
from fieldwork.models import (
    Assignment,
    Committee,
    CommitteeMember,
    Commune,
    Household,
    Organisation,
    Person,
    Relation,
    Role,
    Sex,
    Village,
)
from fieldwork.reference import load_reference_data

PASSWORD = "mat-khau-thu-nghiem"
KEEP_TABLES = {"province", "commune", "alembic_version"}
PG_ENV = "FIELDWORK_TEST_DATABASE_URL"


def pytest_sessionstart(session) -> None:
    """Compile the catalogues when the .po is newer than the .mo, so a bare `pytest` sees the English texts."""
    from babel.messages.frontend import CompileCatalog
    from fieldwork import PROJECT_ROOT

    po = PROJECT_ROOT / "fieldwork/translations/en/LC_MESSAGES/messages.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        cmd = CompileCatalog()
        cmd.initialize_options()
        cmd.directory = str(PROJECT_ROOT / "fieldwork/translations")
        cmd.finalize_options()
        cmd.run()


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


# --- databases ---------------------------------------------------------------------------------------------------


def _pg_admin_conninfo() -> str:
    return make_url(normalise_database_url(os.environ[PG_ENV])).set(drivername="postgresql").render_as_string(
        hide_password=False
    )


def create_pg_database() -> str:
    """A new, empty PostgreSQL database on the test server; returns its SQLAlchemy URL."""
    name = f"fieldwork_test_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(_pg_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(normalise_database_url(os.environ[PG_ENV])).set(database=name).render_as_string(
        hide_password=False
    )


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(_pg_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=backends())
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def database_url(backend, tmp_path_factory) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "fieldwork-test.sqlite3"
        url = f"sqlite:///{path}"
    else:
        url = create_pg_database()
    app = _make_app(url, tmp_path_factory.mktemp("instance"))
    upgrade(app)
    with Session(get_engine(app)) as session:
        load_reference_data(session)
        session.commit()
    get_engine(app).dispose()
    yield url
    if backend == "postgresql":
        drop_pg_database(url)


def _make_app(url: str, instance_path) -> Flask:
    return create_app({"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(instance_path),
                       "SECRET_KEY": "test-" + secrets.token_hex(8)})


def _empty_tables(app: Flask) -> None:
    engine = get_engine(app)
    tables = [t for t in reversed(SQLModel.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
    with Session(engine) as session:
        load_reference_data(session)  # the legal parameters (the catalogue is kept)
        session.commit()


# --- the app -----------------------------------------------------------------------------------------------------


class Client(FlaskClient):
    """A test client that can fetch its CSRF token the way the browser does, from the page."""

    _token_re = re.compile(r'"X-CSRFToken": "([^"]+)"')

    def csrf_token(self) -> str:
        page = self.get("/dang-nhap", follow_redirects=True).get_data(as_text=True)
        match = self._token_re.search(page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)


@pytest.fixture
def app(database_url, tmp_path) -> Iterator[Flask]:
    app = _make_app(database_url, tmp_path / "instance")
    app.test_client_class = Client
    _empty_tables(app)
    yield app
    get_engine(app).dispose()


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app) -> Iterator[Session]:
    """A session for arranging and checking data; tests commit what they arrange."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        yield session


# --- factories ---------------------------------------------------------------------------------------------------

_counter = itertools.count(1)


def _phone() -> str:
    return f"09{next(_counter):08d}"


@pytest.fixture
def make_village(db):
    def make(commune_code: str = "07264", code: str | None = None, name: str | None = None) -> Village:
        commune = db.exec(select(Commune).where(Commune.code == commune_code)).one()
        n = next(_counter)
        village = Village(commune_id=commune.id, code=code or f"T{n:02d}", name=name or f"Thôn Thử Nghiệm {n}")
        db.add(village)
        db.commit()
        return village

    return make


@pytest.fixture
def make_committee(db):
    organisations = [Organisation.FRONT, Organisation.WOMEN, Organisation.FARMERS, Organisation.VETERANS,
                     Organisation.YOUTH, Organisation.VILLAGE_HEAD, Organisation.HEALTH_WORKER]

    def make(village: Village, members: int = 5) -> tuple[Committee, list[CommitteeMember]]:
        committee = Committee(village_id=village.id, established_on=date(2025, 8, 15))
        db.add(committee)
        db.flush()
        people = [
            CommitteeMember(
                committee_id=committee.id,
                full_name=f"Thành Viên Số {i + 1}",
                phone=_phone(),
                organisation=organisations[i % len(organisations)],
                is_head=(i == 0),
                joined_on=date(2025, 8, 15),
            )
            for i in range(members)
        ]
        db.add_all(people)
        db.commit()
        return committee, people

    return make


@pytest.fixture
def make_user(db):
    def make(role: Role = Role.MEMBER, *, village: Village | None = None, commune_code: str = "07264",
             phone: str | None = None, password: str = PASSWORD, member: CommitteeMember | None = None,
             name: str = "Người Dùng Thử", active: bool = True):
        commune_id = village.commune_id if village else None
        if commune_id is None and role != Role.ADMIN:
            commune_id = db.exec(select(Commune.id).where(Commune.code == commune_code)).one()
        user = create_user(db, phone=phone or _phone(), display_name=name, role=role, password=password,
                           commune_id=commune_id if role != Role.ADMIN else None,
                           village_id=village.id if village and role == Role.MEMBER else None)
        user.active = active
        if member is not None:
            member.user_id = user.id
            db.add(member)
        db.commit()
        return user

    return make


@pytest.fixture
def make_household(db):
    def make(village: Village, *, people: int = 3, assigned_to: CommitteeMember | None = None,
             head_name: str = "Nguyễn Văn Đức", code: str | None = None) -> Household:
        household = Household(village_id=village.id, code=code or f"HGD-{next(_counter):05d}", head_name=head_name)
        db.add(household)
        db.flush()
        for i in range(people):
            db.add(Person(household_id=household.id, full_name=head_name if i == 0 else f"Người Thứ {i + 1}",
                          birth_year=1970 + 10 * i, sex=Sex.MALE if i % 2 == 0 else Sex.FEMALE,
                          relation=Relation.HEAD if i == 0 else Relation.CHILD))
        if assigned_to is not None:
            db.add(Assignment(household_id=household.id, member_id=assigned_to.id, valid_from=date(2026, 1, 1)))
        db.commit()
        return household

    return make


@pytest.fixture
def held_household(make_village, make_committee, make_user, make_household):
    """A household held by a member, with a colleague of the same village and a member of another village: who may
    log a visit to it, who is refused (403), and who must not see it (404)."""
    village, elsewhere = make_village(), make_village()
    _, members = make_committee(village)
    _, others = make_committee(elsewhere)
    return {
        "member": make_user(Role.MEMBER, village=village, member=members[1]),
        "colleague": make_user(Role.MEMBER, village=village, member=members[2]),
        "stranger": make_user(Role.MEMBER, village=elsewhere, member=others[1]),
        "household": make_household(village, assigned_to=members[1], people=2),
        "members": members,
    }


@pytest.fixture
def login(client):
    def do(user_or_phone, password: str = PASSWORD, **extra):
        """Sign in as this user, starting from a fresh browser session (so tests can switch users)."""
        client.delete_cookie("session")
        client.delete_cookie("remember_token")
        phone = getattr(user_or_phone, "phone", user_or_phone)
        return client.post_form("/dang-nhap", {"phone": phone, "password": password, **extra})

    return do


# --- a real server and a real browser ----------------------------------------------------------------------------


@pytest.fixture
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "Debian's chromium is not installed: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser):
    """A page in a phone-sized window (360×740), Vietnamese, touch."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN", has_touch=True,
                                  is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    yield page
    context.close()
