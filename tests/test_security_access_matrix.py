"""The access matrix: every route of the app, asked by seven kinds of user, answers as its classification says, and
nobody ever reads a record outside their scope.

The routes come from ``app.url_map``: a route missing from ``ROUTES`` fails ``test_every_route_is_classified`` with its
name, so a new route is covered as soon as it exists. Each route is asked about records of village A in commune X
(tests/access_world.py) by: nobody signed in, a member of village A responsible for the household (a1), the committee
head of village A (a2), the head of village B in the same commune (b), an official of commune X (ox), an official of
commune Y (oy) and an admin — GET, GET as a plain htmx request where the route renders a partial, and POST with a
CSRF token and an empty (or minimal) form.

Every answer, whatever its status, is read — HTML, JSON, the text of PDFs (pdftotext) and the XML inside workbooks —
and must not contain any name, code or title from a scope the user is outside of. A refused POST must leave every
table exactly as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, Optional
from urllib.parse import urlsplit

import pytest
from sqlalchemy import LargeBinary, func, select, text
from sqlmodel import SQLModel

from fieldwork import create_app
from fieldwork.db import get_engine
from fieldwork.exports.services import D05
from fieldwork.text import local_today
from tests.access_world import DONOR_X, EVENT_A, FORBIDDEN, IMPORT_FILE, USERS, VILLAGE_A, World, build_world, fold
from tests.conftest import PASSWORD
from tests.reports_world import MEMBER_NAMES

# --- who may do what -----------------------------------------------------------------------------------------------
#
# One letter per kind of user, in the order of USERS (anon a1 a2 b ox oy admin):
#   +  allowed: 2xx, a redirect that is not to the sign-in page, or 409/422 (a POST that reached validation)
#   L  sign in first: a redirect to /dang-nhap (401 for the phone's JSON endpoints)
#   F  forbidden: 403
#   H  hidden: 404, as for a record that does not exist
#   R  refused in the answer (POST only): 2xx or 422 saying no, and nothing written

POLICIES = {
    "public": "+++++++",  # the sign-in page, the app shell
    "signed-in": "L++++++",  # anyone signed in, each in their own scope
    "staff": "LFFF+++",  # officials (their own commune) and admins
    "admin": "LFFFFF+",
    "commune-staff": "LFFF+H+",  # officials of the record's commune, admins
    "village": "L++H+H+",  # everyone whose scope holds the record's village
    "assigned": "L+FH+H+",  # the member responsible for the household, the commune's officials, admins
    "assigned-only": "L+FHFHF",  # the member responsible, nobody else (field work is a member's own)
    "head": "LF+H+H+",  # the village committee's head, the commune's officials, admins
    "heads": "LF+++++",  # committee heads (their own village), officials (their own commune), admins
    "authors": "LF++++F",  # who logs outreach events: heads and officials
    "event-author": "LF+H+HF",
    "phone-sync": "L+RRFFF",  # a visit sent for a household that never was the sender's: refused item by item
}


@dataclass(frozen=True)
class Case:
    access: str  # a POLICIES key, for every method unless ``post`` says otherwise
    params: dict = field(default_factory=dict)  # URL argument -> the world's record (tests/access_world.py ids)
    post: Optional[str] = None  # the POST policy (a POLICIES key or a letter string) when it differs
    query: str = ""  # formatted with the world's ids and ``week``: filters naming village A's records are asked too
    htmx: bool = False  # renders a partial for a plain htmx request: asked again with HX-Request
    shows: tuple = ()  # texts an allowed user in the record's scope reads in a 200: proves the body is read
    body: Optional[Callable[[World, str], dict]] = None  # the POST form beyond the CSRF token
    json: Optional[Callable[[World, str], dict]] = None  # a JSON POST (CSRF token in the header)
    last: bool = False  # changes what other routes rely on: asked after all the others
    signs_out: bool = False  # allowed means: sent to the sign-in page, and signed out

    def policy(self, method: str) -> str:
        name = self.post if method == "POST" and self.post else self.access
        return POLICIES.get(name, name)


VILLAGE = {"village_id": "village_a"}
HOUSEHOLD = {"household_id": "household_a1"}
PERSON = {"person_id": "person_a1"}
MEMBER = {"village_id": "village_a", "member_id": "member_a3"}
SPONSORSHIP = {"sponsorship_id": "sponsorship_a"}
DONOR = {"donor_id": "donor_x"}
TARGET = {"target_id": "target_village_a"}
TWINS = {"person_id": "twin_1", "other_id": "twin_2"}
WEEK = "tuan={week}"
COMMUNE = "xa={commune_x}"  # an admin names the commune; an official always gets their own, whatever they ask
COMMUNE_WEEK = "tuan={week}&" + COMMUNE
HEAD_A1 = "Hoàng Văn Bình"  # the head of a1's household
A1_NAME = MEMBER_NAMES[1]  # in the village's committee, its report and its targets


def _event_form(world: World, _user: str) -> dict:
    """An event for village A: heads of other villages and officials of other communes may not choose it."""
    return {"kind": "meeting", "held_on": (local_today() - timedelta(days=1)).isoformat(),
            "village": str(world.ids["village_a"]), "title": "Họp kiểm tra quyền", "attendance": "20"}


def _agent_list_form(world: World, _user: str) -> dict:
    return {"xa": str(world.ids["commune_x"]), "mau": D05, "thon": str(world.ids["village_a"]),
            "tu": world.week.first.isoformat(), "den": world.week.last.isoformat()}


def _queued_visit(world: World, user: str) -> dict:
    """What a phone sends: one visit to village A's household, queued under the sender's own login."""
    account = world.users.get(user)
    return {"user_id": account.id if account else None, "visits": [{
        "uuid": str(uuid.uuid4()), "household_id": world.ids["household_a1"], "outcome": "considering",
        "channel": "home", "visited_at": (local_today() - timedelta(days=1)).isoformat() + "T09:00:00+07:00"}]}


ROUTES: dict[str, Case] = {
    # assignments
    "assignments.balance": Case("head", VILLAGE, last=True),
    "assignments.bulk": Case("head", VILLAGE),
    "assignments.commune": Case("staff"),
    "assignments.handover": Case("head", MEMBER),
    "assignments.household": Case("head", HOUSEHOLD, shows=(HEAD_A1,)),
    "assignments.village": Case("head", VILLAGE, htmx=True, shows=(HEAD_A1,)),
    # auth
    "auth.change_password": Case("signed-in"),
    "auth.login": Case("public"),
    "auth.logout": Case("signed-in", last=True, signs_out=True),
    "auth.set_language": Case("public"),
    # committees
    "committees.committee_create": Case("commune-staff", VILLAGE),
    "committees.login_grant": Case("commune-staff", MEMBER),
    "committees.login_revoke": Case("commune-staff", MEMBER),
    "committees.member_create": Case("commune-staff", VILLAGE),
    "committees.member_edit": Case("commune-staff", MEMBER, shows=(MEMBER_NAMES[3],)),
    "committees.member_leave": Case("commune-staff", MEMBER),
    "committees.password_reset": Case("commune-staff", MEMBER),
    "committees.village": Case("commune-staff", VILLAGE, shows=(A1_NAME,)),
    "committees.village_create": Case("staff"),
    "committees.village_edit": Case("commune-staff", VILLAGE),
    "committees.villages": Case("staff"),
    # enrolments
    "enrolments.bhxh_new": Case("assigned", PERSON, shows=(HEAD_A1,)),
    "enrolments.bhyt_new": Case("assigned", HOUSEHOLD, shows=(HEAD_A1,)),
    "enrolments.calculate": Case("signed-in", htmx=True),
    "enrolments.dropout": Case("assigned", PERSON, shows=(HEAD_A1,)),
    "enrolments.renewals": Case("signed-in"),
    # events
    "events.create": Case("authors", post="LF+R+RF", body=_event_form),
    "events.detail": Case("village", {"event_id": "event_a"}, shows=(EVENT_A,)),
    "events.edit": Case("event-author", {"event_id": "event_a"}),
    "events.index": Case("signed-in", query="thon={village_a}", htmx=True, shows=(EVENT_A,)),
    # the collection agents' lists: a member draws only their own village's
    "exports.agent_lists": Case("heads", post="head", query=COMMUNE, body=_agent_list_form),
    # health check (deploys, bench/load.py): "ok", nothing else
    "health.health": Case("public"),
    # the user guide: open to everyone (who cannot sign in needs it most); pictures only from docs/huong-dan/anh
    "help.image": Case("public", {"filename": "guide_image"}),
    "help.index": Case("public", shows=("Hướng dẫn sử dụng Fieldwork",)),
    "help.mine": Case("public"),
    "help.page": Case("public", {"page": "guide_page"}, shows=("Việc của tôi",)),
    # history and privacy
    "history.household": Case("commune-staff", HOUSEHOLD, shows=(HEAD_A1,)),
    "history.person": Case("commune-staff", PERSON, shows=(HEAD_A1,)),
    "privacy.export": Case("commune-staff", PERSON, shows=(HEAD_A1, "027080001001")),
    "privacy.withdraw": Case("assigned", PERSON, shows=(HEAD_A1,)),
    # households and people
    "households.archive": Case("commune-staff", {"household_id": "household_spare"}),
    "households.create": Case("commune-staff", VILLAGE),
    "households.detail": Case("village", HOUSEHOLD, shows=(HEAD_A1,)),
    "households.duplicate_dismiss": Case("commune-staff", TWINS),
    "households.edit": Case("commune-staff", HOUSEHOLD, shows=(HEAD_A1,)),
    "households.merge": Case("commune-staff", HOUSEHOLD),
    "households.move": Case("commune-staff", HOUSEHOLD),
    "households.person_archive": Case("commune-staff", {"person_id": "person_spare"}),
    "households.person_consent": Case("assigned", PERSON, shows=(HEAD_A1,)),
    "households.person_create": Case("commune-staff", HOUSEHOLD),
    "households.person_detail": Case("village", PERSON, shows=(HEAD_A1, "027080001001")),
    "households.person_edit": Case("commune-staff", PERSON, shows=(HEAD_A1,)),
    "households.person_merge": Case("commune-staff", TWINS),
    "households.restore": Case("commune-staff", {"household_id": "household_spare"}),
    "households.search_page": Case("signed-in", query="q=Bình", htmx=True, shows=(HEAD_A1,)),
    "households.village_list": Case("commune-staff", VILLAGE, htmx=True, shows=(HEAD_A1,)),
    # household lists: import and export
    "imports.confirm": Case("commune-staff", {"batch_id": "batch_a"}),
    "imports.export_commune": Case("staff", query=COMMUNE, shows=(HEAD_A1,)),
    "imports.export_village": Case("commune-staff", VILLAGE, shows=(HEAD_A1, "027080001001")),
    "imports.preview": Case("commune-staff", {"batch_id": "batch_a"}, shows=(IMPORT_FILE,)),
    "imports.template": Case("signed-in"),
    "imports.upload": Case("commune-staff", VILLAGE, shows=(IMPORT_FILE,)),
    # home
    "main.home": Case("signed-in", query="chi-tieu={target_village_a}", htmx=True),
    # the phone: app shell, session, queued visits
    "offline.favicon": Case("public"),
    "offline.manifest": Case("public"),
    "offline.offline_page": Case("public"),
    "offline.service_worker": Case("public"),
    "offline.session_state": Case("signed-in"),
    "offline.sync_visits": Case("phone-sync", json=_queued_visit),
    # legal parameters
    "parameters.create": Case("admin"),
    "parameters.edit": Case("admin", {"parameter_id": "parameter"}),
    "parameters.index": Case("admin"),
    # administrative changes: renames and merges of communes and villages
    "units.commune_merge": Case("admin", {"commune_id": "commune_x"}),
    "units.commune_rename": Case("admin", {"commune_id": "commune_x"}),
    "units.history": Case("admin"),
    "units.index": Case("admin", shows=(VILLAGE_A,)),
    "units.village_merge": Case("admin", VILLAGE, shows=(VILLAGE_A,)),
    "units.village_rename": Case("admin", VILLAGE, shows=(VILLAGE_A,)),
    # weekly reports
    "reports.archived": Case("village", {"report_id": "report_a"}, shows=(A1_NAME,)),
    "reports.commune": Case("staff", query=COMMUNE_WEEK, htmx=True, shows=(VILLAGE_A,)),
    "reports.commune_draft": Case("staff", query=COMMUNE_WEEK, shows=(VILLAGE_A,)),
    "reports.commune_print": Case("staff", query=COMMUNE_WEEK),
    "reports.commune_workbook": Case("staff", query=COMMUNE_WEEK),
    "reports.index": Case("signed-in"),
    "reports.village": Case("village", VILLAGE, query=WEEK, htmx=True, shows=(A1_NAME,)),
    "reports.village_draft": Case("village", VILLAGE, query=WEEK, shows=(A1_NAME,)),
    "reports.village_print": Case("head", VILLAGE, query=WEEK),
    "reports.village_workbook": Case("village", VILLAGE, query=WEEK, shows=(A1_NAME,)),
    # first-run set-up (/cai-dat): an official sets up their own commune, an admin the installation's
    "setup.balance": Case("commune-staff", VILLAGE, last=True),
    "setup.committee": Case("commune-staff", VILLAGE, shows=(A1_NAME,)),
    "setup.committees": Case("staff"),
    "setup.commune": Case("staff"),
    "setup.commune_options": Case("staff", query="province=1", htmx=True),
    "setup.households": Case("staff"),
    "setup.index": Case("staff"),
    "setup.slips": Case("staff"),
    "setup.slips_pdf": Case("commune-staff", VILLAGE, last=True),
    "setup.villages": Case("staff"),
    # sponsorships and donors
    "sponsorships.approve": Case("commune-staff", SPONSORSHIP),
    "sponsorships.beneficiaries": Case("signed-in"),
    "sponsorships.cancel": Case("assigned", {"sponsorship_id": "sponsorship_cancel"}),
    "sponsorships.detail": Case("village", SPONSORSHIP, shows=(HEAD_A1,)),
    "sponsorships.donor_create": Case("staff"),
    "sponsorships.donor_detail": Case("commune-staff", DONOR, shows=(DONOR_X,)),
    "sponsorships.donor_edit": Case("commune-staff", DONOR, shows=(DONOR_X,)),
    "sponsorships.donors": Case("signed-in", shows=(DONOR_X,)),
    "sponsorships.end": Case("assigned", SPONSORSHIP),
    "sponsorships.hand_over": Case("assigned", SPONSORSHIP),
    "sponsorships.letter": Case("commune-staff", DONOR, shows=("Đặng Văn Sơn",)),
    "sponsorships.listing": Case("signed-in", htmx=True),
    "sponsorships.pay": Case("assigned", SPONSORSHIP),
    "sponsorships.propose": Case("assigned", PERSON, htmx=True, shows=(HEAD_A1,)),
    # targets
    "targets.create": Case("staff", query=COMMUNE),
    "targets.detail": Case("head", TARGET, shows=(A1_NAME,)),
    "targets.edit": Case("commune-staff", TARGET),
    "targets.emulation": Case("staff", query=COMMUNE, shows=(VILLAGE_A,)),
    "targets.emulation_pdf": Case("staff", query=COMMUNE, shows=(VILLAGE_A,)),
    "targets.index": Case("signed-in", query=COMMUNE),
    "targets.member_progress": Case("signed-in"),
    "targets.split": Case("head", TARGET, htmx=True),
    # visits
    "visits.attention": Case("staff", shows=(HEAD_A1,)),
    "visits.correct": Case("assigned", {"visit_id": "visit_a1"}, shows=(HEAD_A1,)),
    "visits.log": Case("assigned-only", HOUSEHOLD, htmx=True, shows=(HEAD_A1,)),
    "visits.resolve_attention": Case("commune-staff", {"attention_id": "attention_a"}),
    "visits.resume": Case("commune-staff", HOUSEHOLD),
}

NOT_ROUTES = {"static"}  # files from static/: nothing personal, no login


# --- asking ----------------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    route: str  # "GET households.detail", "GET(hx) households.detail", "POST households.archive"
    user: str
    status: int
    got: str  # the class observed
    expected: str
    problems: list = field(default_factory=list)

    @property
    def cell(self) -> str:
        return f"{self.status}{self.got}" + ("!" if self.problems else "")


def _rules(app) -> list:
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint not in NOT_ROUTES), key=lambda r: r.endpoint)


def _methods(rule) -> list[str]:
    return [m for m in ("GET", "POST") if m in rule.methods]


def _url(app, rule, case: Case, world: World) -> str:
    values = {arg: world.ids[case.params[arg]] for arg in rule.arguments}
    path = app.url_map.bind("localhost").build(rule.endpoint, values, method=_methods(rule)[0])
    query = case.query.format(week=world.week.key, **world.ids)
    return f"{path}?{query}" if query else path


def _to_sign_in(response) -> bool:
    return response.status_code in (301, 302, 303, 307) and \
        urlsplit(response.headers.get("Location", "")).path == "/dang-nhap"


def _class_of(response) -> str:
    status = response.status_code
    if status == 401 or _to_sign_in(response):
        return "L"
    if status in (403, 404):
        return {403: "F", 404: "H"}[status]
    if 200 <= status < 400 or status in (409, 422):
        return "+"
    return "?"


def _is_partial(response) -> bool:
    return response.mimetype == "text/html" and "<html" not in response.get_data(as_text=True)[:2000].lower()


def readable(response) -> str:
    """Everything a person could read in the answer: the page, the JSON, a PDF's text, a workbook's cells."""
    data = response.get_data()
    if response.mimetype == "application/pdf" or data[:5] == b"%PDF-":
        with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
            pdf.write(data)
            pdf.flush()
            text = subprocess.run(["pdftotext", pdf.name, "-"], capture_output=True, check=True).stdout.decode()
    elif data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            text = "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist() if n.endswith(".xml"))
    else:
        text = data.decode("utf-8", "replace")
        if response.is_json:
            text += json.dumps(response.get_json(), ensure_ascii=False)
    headers = " ".join(response.headers.get(h, "") for h in ("Location", "Content-Disposition", "HX-Redirect"))
    return fold(text + " " + headers)


class Asker:
    """One browser per kind of user, signed in once; asks, judges each answer, and draws the matrix."""

    def __init__(self, app, world: World):
        self.app, self.world = app, world
        self.clients, self.tokens = {}, {}
        self.answers: list[Answer] = []
        self.notes: list[str] = []  # problems of a route rather than of one answer
        self.forbidden = {u: [(t, fold(t)) for t in world.forbidden_texts(u)] for u in USERS}
        for user in USERS:
            client = app.test_client()
            if user != "anon":
                account = world.users[user]
                signed = client.post("/dang-nhap", data={"phone": account.phone, "password": PASSWORD,
                                                         "csrf_token": client.csrf_token()})
                assert signed.status_code == 302 and not _to_sign_in(signed), f"{user} could not sign in"
            self.clients[user], self.tokens[user] = client, client.csrf_token()

    def send(self, method: str, rule, case: Case, user: str, *, htmx: bool = False):
        client, url = self.clients[user], _url(self.app, rule, case, self.world)
        headers = {"HX-Request": "true"} if htmx else {}
        if method == "GET":
            return client.get(url, headers=headers)
        if case.json:
            return client.post(url, json=case.json(self.world, user),
                               headers={**headers, "X-CSRFToken": self.tokens[user]})
        body = case.body(self.world, user) if case.body else {}
        return client.post(url, data={"csrf_token": self.tokens[user], **body}, headers=headers)

    def ask(self, method: str, rule, case: Case, user: str, *, htmx: bool = False):
        response = self.send(method, rule, case, user, htmx=htmx)
        answer = Answer(f"{method}{'(hx)' if htmx else ''} {rule.endpoint}", user, response.status_code,
                        _class_of(response), case.policy(method)[USERS.index(user)])
        if case.signs_out and user != "anon" and answer.got == "L":
            answer.got = "+" if _to_sign_in(self.clients[user].get("/")) else "?"
        self._judge(answer, response, case, full_page=not htmx)
        self.answers.append(answer)
        return response

    def _judge(self, answer: Answer, response, case: Case, full_page: bool) -> None:
        if answer.got != ("+" if answer.expected == "R" else answer.expected):
            answer.problems.append(f"expected {answer.expected}, got {answer.status}")
        text = readable(response)
        leaked = [original for original, folded in self.forbidden[answer.user] if folded in text]
        if "village A" in FORBIDDEN[answer.user] and self.world.report_pdf in response.get_data():
            leaked.append("village A's printed report")
        if leaked:
            answer.problems.append(f"leaks {leaked[:3]}")
        in_scope = "village A" not in FORBIDDEN[answer.user]
        if full_page and in_scope and answer.status == 200 and answer.expected == "+":
            missing = [t for t in case.shows if fold(t) not in text]
            if missing:
                answer.problems.append(f"does not show {missing} (is the body read?)")

    def check_partial(self, rule, case: Case, responses: dict) -> None:
        """A route that answers a plain htmx request with a partial must say so (``htmx=True``), so that the partial
        is asked for by every user; one marked so must render one."""
        shown = [u for u, r in responses.items() if r.status_code == 200 and r.mimetype == "text/html"]
        if case.htmx:
            if shown and not any(_is_partial(responses[u]) for u in shown):
                self.notes.append(f"{rule.endpoint}: marked htmx=True but no user got a partial")
        elif shown and _is_partial(self.send("GET", rule, case, shown[0], htmx=True)):
            self.notes.append(f"{rule.endpoint}: renders a partial for htmx requests; mark it htmx=True")

    def report(self) -> str:
        """What failed, then the matrix: one line per route and method, one column per user; ``!`` marks a failure."""
        rows: dict[str, dict[str, str]] = {}
        for a in self.answers:
            rows.setdefault(a.route, {})[a.user] = a.cell
        width = max(len(r) for r in rows) + 1
        lines = ["".ljust(width) + "".join(u.rjust(8) for u in USERS)]
        lines += [route.ljust(width) + "".join(cells.get(u, "-").rjust(8) for u in USERS)
                  for route, cells in rows.items()]
        problems = [f"{a.route} as {a.user}: {'; '.join(a.problems)}" for a in self.answers if a.problems]
        return "\n".join(self.notes + problems + [
            "", "status and class (+ allowed, L sign in, F forbidden, H hidden, ? unexpected; ! failed):"] + lines)

    def failed(self) -> bool:
        return bool(self.notes) or any(a.problems for a in self.answers)


def table_state(app) -> dict[str, str]:
    """A fingerprint of every row of every table (on PostgreSQL in one round trip: this runs twice per POST route)."""
    engine, tables = get_engine(app), SQLModel.metadata.sorted_tables
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            query = " UNION ALL ".join(
                f"SELECT '{t.name}', md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM \"{t.name}\" r"
                for t in tables)
            return dict(conn.execute(text(query)).all())
        state = {}
        for t in tables:  # a stored PDF counts by its length (and its recorded hash): repr() of it is slow
            columns = [func.length(c) if isinstance(c.type, LargeBinary) else c for c in t.columns]
            rows = sorted(map(repr, conn.execute(select(*columns)).all()))
            state[t.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return state


def ask_every_get(app, asker: Asker) -> None:
    for rule in _rules(app):
        if "GET" not in rule.methods:
            continue
        case = ROUTES[rule.endpoint]
        responses = {user: asker.ask("GET", rule, case, user) for user in USERS}
        if case.htmx:
            responses = {user: asker.ask("GET", rule, case, user, htmx=True) for user in USERS}
        asker.check_partial(rule, case, responses)


def ask_every_post(app, asker: Asker) -> None:
    """Per route, the users it refuses first, with every table fingerprinted before and after; then the others."""
    def order(rule):  # signing out comes last of all: every user's session ends there
        return ROUTES[rule.endpoint].last, ROUTES[rule.endpoint].signs_out

    for rule in sorted((r for r in _rules(app) if "POST" in r.methods), key=order):
        case = ROUTES[rule.endpoint]
        refused = [u for u, letter in zip(USERS, case.policy("POST")) if letter != "+"]
        before = table_state(app)
        for user in refused:
            asker.ask("POST", rule, case, user)
        after = table_state(app)
        changed = sorted(name for name in before if before[name] != after[name])
        if changed:
            asker.notes.append(f"POST {rule.endpoint} refused {refused} but wrote to {changed}")
        for user in USERS:
            if user not in refused:
                asker.ask("POST", rule, case, user)


# --- the tests -------------------------------------------------------------------------------------------------------


def test_every_route_is_classified(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/unused.sqlite3",
                      "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "test"})
    rules = _rules(app)
    endpoints = [r.endpoint for r in rules]
    unclassified = sorted(set(endpoints) - set(ROUTES))
    assert not unclassified, f"routes missing from ROUTES in {__file__}: {unclassified}"
    gone = sorted(set(ROUTES) - set(endpoints))
    assert not gone, f"ROUTES lists routes the app no longer has: {gone}"
    assert len(endpoints) == len(set(endpoints)), "one endpoint serves two URL rules: classify each"
    for rule in rules:
        case = ROUTES[rule.endpoint]
        untested = rule.methods - {"GET", "POST", "HEAD", "OPTIONS"}
        assert not untested, f"{rule.endpoint}: the matrix asks only GET and POST; teach it {sorted(untested)}"
        assert set(case.params) == set(rule.arguments), f"{rule.endpoint}: fill exactly {sorted(rule.arguments)}"
        for method in _methods(rule):
            policy = case.policy(method)
            assert len(policy) == len(USERS) and set(policy) <= set("+LFHR"), f"{rule.endpoint}: {policy}"
            assert method == "POST" or "R" not in policy, f"{rule.endpoint}: R is for POSTs"


def test_every_route_answers_each_user_as_classified_and_leaks_nothing(app, db, make_village, make_committee,
                                                                       make_user, make_household):
    """GETs first (they change nothing another route relies on), then POSTs, on one world: building it is most of
    the cost, so it is built once."""
    world = build_world(app, db, make_village, make_committee, make_user, make_household)
    asker = Asker(app, world)
    ask_every_get(app, asker)
    ask_every_post(app, asker)
    if asker.failed():
        pytest.fail(asker.report(), pytrace=False)
