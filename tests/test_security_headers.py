"""Every page carries the security headers, and nothing in the templates or scripts needs inline script or eval.

The pages are found from the app's URL map, so a new page is checked the day it is added: each GET route is asked
for as a visitor, a member, an official and an admin, its URL filled in from the demo commune.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlmodel import select

from fieldwork import PROJECT_ROOT, create_app
from fieldwork.db import get_engine
from fieldwork.demo import ADMIN_PHONE, DEMO_PASSWORD, MEMBER_PHONE, OFFICIAL_PHONE, build_demo
from fieldwork.headers import CONTENT_SECURITY_POLICY
from fieldwork.models import (
    Assignment,
    CommitteeMember,
    Donor,
    Household,
    ImportBatch,
    OutreachEvent,
    OutreachKind,
    Person,
    PolicyParameter,
    Report,
    ReportKind,
    Sponsorship,
    Target,
    User,
    Visit,
)
from fieldwork.text import local_today

# Rendered only by WeasyPrint into PDFs, never served to a browser: their <style> blocks meet no CSP.
PDF_TEMPLATES = {"reports/report_pdf.html", "targets/emulation_pdf.html", "sponsorships/letter.html",
                 "setup/slips_pdf.html"}


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


# --- the policy itself ---------------------------------------------------------------------------------------------


def test_policy_allows_no_inline_script_and_no_eval():
    d = _directives(CONTENT_SECURITY_POLICY)
    assert d["script-src"] == ["'self'"]
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    assert d["default-src"] == ["'self'"] and d["object-src"] == ["'none'"] and d["base-uri"] == ["'none'"]
    assert d["frame-ancestors"] == ["'none'"] and d["form-action"] == ["'self'"]
    assert d["worker-src"] == ["'self'"] and d["manifest-src"] == ["'self'"] and d["connect-src"] == ["'self'"]
    # Inline style attributes only (progress bars); <style> blocks are refused where browsers know style-src-elem.
    assert d["style-src"] == ["'self'", "'unsafe-inline'"] and d["style-src-elem"] == ["'self'"]


# --- every page ----------------------------------------------------------------------------------------------------


@pytest.fixture
def demo(app, db):
    """The demo commune (one village), plus the few kinds of record the demo does not make."""
    today = local_today()
    build_demo(db, today, villages=1)
    db.commit()
    member_user = db.exec(select(User).where(User.phone == MEMBER_PHONE)).one()
    member = db.exec(select(CommitteeMember).where(CommitteeMember.user_id == member_user.id)).one()
    household = db.get(Household, db.exec(select(Assignment.household_id).where(
        Assignment.member_id == member.id, Assignment.valid_to.is_(None))).first())
    village_id, commune_id = member_user.village_id, member_user.commune_id
    event = OutreachEvent(commune_id=commune_id, village_id=village_id, kind=OutreachKind.MEETING, held_on=today,
                          title="Họp thôn")
    batch = ImportBatch(village_id=village_id, filename="ho.xlsx", sha256="0" * 64)
    pdf = b"%PDF-1.4\n%%EOF\n"
    report = Report(kind=ReportKind.VILLAGE, commune_id=commune_id, village_id=village_id, unit_key=f"v{village_id}",
                    week_start=today - timedelta(days=today.weekday()), week_end=today, prepared_by="Thử",
                    figures={}, pdf=pdf, pdf_sha256=hashlib.sha256(pdf).hexdigest(), pdf_size=len(pdf))
    db.add_all([event, batch, report])
    db.commit()
    first = lambda model, *where: db.exec(select(model.id).where(*where).limit(1)).first()  # noqa: E731
    return {
        "village_id": village_id, "commune_id": commune_id, "member_id": member.id, "household_id": household.id,
        "person_id": first(Person, Person.household_id == household.id),
        "visit_id": first(Visit, Visit.member_id == member.id), "target_id": first(Target),
        "batch_id": batch.id, "parameter_id": first(PolicyParameter), "sponsorship_id": first(Sponsorship),
        "donor_id": first(Donor), "event_id": event.id, "report_id": report.id, "filename": "css/app.css",
        "page": "thanh-vien",  # the user guide's member page
    }


def _get_urls(app, values: dict) -> list[str]:
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if "GET" in rule.methods:
                missing = rule.arguments - values.keys()
                assert not missing, f"no demo value for {missing} in {rule.rule}: add one to the demo fixture"
                urls.append(url_for(rule.endpoint, **{k: values[k] for k in rule.arguments}))
    return sorted(urls)


class _InlineScript(HTMLParser):
    """Inline script in a page: <script> with code, on*= handlers, javascript: URLs, htmx features needing eval."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on") or name.startswith("hx-on") or name in ("hx-vars",):
                self.found.append(f"<{tag} {name}=...>")
            if value and (value.strip().lower().startswith("javascript:") or (name == "hx-vals" and "js:" in value)):
                self.found.append(f"<{tag} {name}={value}>")
            if name == "hx-trigger" and value and any(re.match(r"\s*[\w:.-]+\[", s) for s in value.split(",")):
                self.found.append(f"<{tag} hx-trigger={value}> (event filters are evaluated as code)")
        self._in_code = tag == "script" and "src" not in attrs and attrs.get("type") != "application/json"

    def handle_endtag(self, tag):
        self._in_code = False

    def handle_data(self, data):
        if self._in_code and data.strip():
            self.found.append(f"<script>{data.strip()[:60]}</script>")


def _check(response, url: str, who: str) -> None:
    where = f"{who} GET {url} ({response.status_code})"
    assert response.status_code < 500, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where
    assert "Strict-Transport-Security" not in response.headers, where  # plain http here
    assert not any(h.startswith("Access-Control-") for h in response.headers.keys()), where  # no CORS at all
    if response.mimetype == "application/pdf":
        return
    assert response.headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    if response.mimetype == "text/html":
        if who != "visitor":
            assert "no-store" in response.headers.get("Cache-Control", ""), where
        parser = _InlineScript()
        parser.feed(response.get_data(as_text=True))
        assert parser.found == [], f"{where}: {parser.found}"


@pytest.mark.parametrize("who", ["visitor", "member", "official", "admin"])
def test_every_page_carries_the_security_headers(app, client, login, demo, who):
    if who != "visitor":
        phone = {"member": MEMBER_PHONE, "official": OFFICIAL_PHONE, "admin": ADMIN_PHONE}[who]
        assert login(phone, DEMO_PASSWORD).status_code == 302
    urls = _get_urls(app, demo)
    assert len(urls) > 60
    pages = 0
    for url in urls:
        response = client.get(url)
        _check(response, url, who)
        pages += response.mimetype == "text/html" and response.status_code == 200
    # The demo fills the URLs well enough that most pages really render (not just their 403 or 404).
    assert pages >= {"visitor": 2, "member": 15, "official": 50, "admin": 50}[who]


def test_error_pages_and_htmx_partials_carry_them_too(client, login, demo):
    login(MEMBER_PHONE, DEMO_PASSWORD)
    _check(client.get("/khong-co-trang-nay"), "/khong-co-trang-nay", "member")
    _check(client.get("/thon"), "/thon", "member")  # 403
    _check(client.get("/", headers={"HX-Request": "true"}), "/ (htmx)", "member")


def test_https_adds_hsts_and_secure_host_only_cookies(database_url, tmp_path, make_user):
    user = make_user()
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "i"),
                      "SECRET_KEY": "https-test", "HTTPS": True})
    try:
        _sign_in_over_https(app.test_client(), user)
    finally:
        get_engine(app).dispose()


def _sign_in_over_https(client, user) -> None:
    page = client.get("/dang-nhap", base_url="https://localhost")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post("/dang-nhap", base_url="https://localhost", data={
        "csrf_token": token, "phone": user.phone, "password": "mat-khau-thu-nghiem"},
        headers={"Referer": "https://localhost/dang-nhap"})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


# --- the sources -----------------------------------------------------------------------------------------------------


def _templates() -> list[Path]:
    return sorted((PROJECT_ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(PROJECT_ROOT / "templates")))
def test_no_template_has_inline_script(path):
    source = path.read_text(encoding="utf-8")
    # Jinja expressions and comments are not markup; what they render is checked on the pages above.
    markup = re.sub(r"{#.*?#}|{{.*?}}|{%.*?%}", "", source, flags=re.S)
    parser = _InlineScript()
    parser.feed(markup)
    assert parser.found == []
    name = str(path.relative_to(PROJECT_ROOT / "templates"))
    if name not in PDF_TEMPLATES:
        assert "<style" not in source, "a <style> block is refused by style-src-elem: put it in static/css/app.css"


def test_no_script_uses_eval():
    for path in sorted((PROJECT_ROOT / "static" / "js").glob("*.js")):
        if path.name.startswith("htmx-"):
            continue  # the vendored library: its eval is only reached through hx-on, js: and filters (see above)
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\beval\s*\(|new\s+Function\s*\(|set(Timeout|Interval)\s*\(\s*['\"]", source), path.name
