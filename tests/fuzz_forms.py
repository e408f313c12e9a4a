"""What the bad-input tests need besides the specs: the forms of a page as a browser sees them, hostile values for
Hypothesis to choose from, and the checks every answer must pass (no 5xx, nothing written by a refused post,
nothing raw from the input in the page, no redirect off the site).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Optional
from urllib.parse import urljoin, urlsplit

from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

# --- the forms of a page ------------------------------------------------------------------------------------------

TEXTUAL = {"text", "hidden", "password", "search", "email", "tel", "url", "number", "date", "month", "week",
           "datetime-local", "time", "range", "color", ""}


@dataclass
class FormField:
    name: str
    kind: str  # "text", "textarea", "select", "checkbox", "radio", "file", "button", or an input type
    values: list[str] = field(default_factory=list)  # what the browser sends untouched (none for an unticked box)
    options: list[str] = field(default_factory=list)  # a select's options, a radio group's or a box's values


@dataclass
class Form:
    action: str  # absolute path with its query, as the browser would post it
    method: str
    enctype: str
    fields: dict[str, FormField] = field(default_factory=dict)

    def submission(self) -> list[tuple[str, str]]:
        """What pressing the form's button sends, field by field (repeated names kept)."""
        pairs = []
        for f in self.fields.values():
            if f.kind == "button":
                pairs += [(f.name, v) for v in f.options[:1]]  # the first named button is the one pressed
            elif f.kind != "file":
                pairs += [(f.name, v) for v in f.values]
        return pairs


class _FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._by_id: dict[str, Form] = {}
        self._late: list[tuple[str, str, dict]] = []  # controls outside their form (form="id"), bound at the end
        self._form: Optional[Form] = None
        self._select: Optional[tuple[Form, FormField, bool]] = None
        self._option: Optional[dict] = None
        self._textarea: Optional[tuple[Form, FormField]] = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            action = a.get("action") or a.get("hx-post") or self.page_url
            form = Form(action=_path(urljoin(self.page_url, action)), method=(a.get("method") or "get").lower(),
                        enctype=a.get("enctype") or "application/x-www-form-urlencoded")
            self.forms.append(form)
            self._form = form
            if a.get("id"):
                self._by_id[a["id"]] = form
            return
        if tag in ("input", "select", "textarea", "button") and a.get("form"):
            self._late.append((tag, a["form"], a))
            if tag == "select":
                self._select = None
            return
        form = self._form
        if form is None:
            return
        if tag == "input":
            self._input(form, a)
        elif tag == "button" and a.get("name"):
            f = form.fields.setdefault(a["name"], FormField(a["name"], "button"))
            f.options.append(a.get("value", ""))
        elif tag == "select" and a.get("name"):
            f = form.fields.setdefault(a["name"], FormField(a["name"], "select"))
            self._select = (form, f, "multiple" in a)
        elif tag == "option" and self._select is not None:
            self._option = a
            self._text = []
        elif tag == "textarea" and a.get("name"):
            self._textarea = (form, form.fields.setdefault(a["name"], FormField(a["name"], "textarea")))
            self._text = []

    def _input(self, form: Form, a: dict) -> None:
        name, kind = a.get("name"), (a.get("type") or "text").lower()
        if not name or kind in ("submit", "image", "reset"):
            return
        f = form.fields.setdefault(name, FormField(name, kind if kind in ("checkbox", "radio", "file") else "text"))
        if kind in ("checkbox", "radio"):
            value = a.get("value", "on")
            f.options.append(value)
            if "checked" in a:
                f.values.append(value)
        elif kind != "file":
            f.values.append(a.get("value", ""))

    def handle_data(self, data):
        if self._option is not None or self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option" and self._select is not None and self._option is not None:
            _form, f, _multiple = self._select
            value = self._option.get("value", "".join(self._text).strip())
            f.options.append(value)
            if "selected" in self._option:
                f.values.append(value)
            self._option = None
        elif tag == "select" and self._select is not None:
            _form, f, multiple = self._select
            if not f.values and f.options and not multiple:
                f.values.append(f.options[0])  # a browser sends the first option of a single select
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            _form, f = self._textarea
            text = "".join(self._text)
            f.values.append(text[2:] if text.startswith("\r\n") else text.removeprefix("\n"))  # as browsers read it
            self._textarea = None

    def close(self):
        super().close()
        for tag, form_id, a in self._late:
            form = self._by_id.get(form_id)
            if form is not None and tag == "input":
                self._input(form, a)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def parse_forms(html: str, page_url: str) -> list[Form]:
    parser = _FormParser(page_url)
    parser.feed(html)
    parser.close()
    return parser.forms


def find_form(html: str, page_url: str, post_path: str) -> Form:
    """The POST form of ``html`` whose action is ``post_path`` (its query string ignored)."""
    forms = [f for f in parse_forms(html, page_url) if f.method == "post"]
    for form in forms:
        if urlsplit(form.action).path == urlsplit(post_path).path:
            return form
    raise AssertionError(f"no POST form for {post_path} on {page_url}; forms: {[f.action for f in forms]}")


# --- hostile values -----------------------------------------------------------------------------------------------

VIETNAMESE = "Nguyễn Thị Hồng Nhung, xóm Đồng Bông — Đặng Văn Đức"
NFD = unicodedata.normalize("NFD", VIETNAMESE)
MIXED = " ".join(unicodedata.normalize("NFD" if i % 2 else "NFC", w) for i, w in enumerate(VIETNAMESE.split()))

# Every HTML payload carries "fwxss", which the app's own markup never contains; ``RAW_MARKERS`` are their openings
# as they would appear if a page printed the input unescaped.
XSS = [
    '<script>fwxss(1)</script>',
    '"><img src=x onerror=fwxss(2)>',
    "'><svg onload=fwxss(3)>",
    '</textarea></title><script>fwxss(4)</script>',
    '<a href="javascript:fwxss(5)">x</a>',
    '<iframe srcdoc="fwxss(6)"></iframe>',
    '{{ fwxss }}{% if 1 %}fwxss{% endif %}',
]
RAW_MARKERS = ["<script>fwxss", "<img src=x onerror=fwxss", "<svg onload=fwxss", '<a href="javascript:fwxss',
               '<iframe srcdoc="fwxss']
SQL = ["' OR '1'='1", "'; DROP TABLE household; --", "1) OR (1=1", "%' --", "\\'", "%", "_", "' UNION SELECT "
       "password_hash FROM user_account --", "1; SELECT pg_sleep(3)"]
CONTROL = ["\x00", "a\x00b", "\x1b[2J", "\x7f", "\x08\x0c", "\r\n\r\n", "\t", "\u0085", "\u2028\u2029", "\ufeff",
           "\u200b\u200d", "\u202etxet", "\ud7ff", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001d573"]
NUMBERS = ["-1", "0", "-0", "00", "1e309", "NaN", "inf", "-inf", "1.5", "1,5", "1.000.000", " 42 ", "٣٤", "0x1F",
           "9223372036854775808", "-9223372036854775809", "2147483648", "99999999999999999999999999999", "+7",
           "1_000", "²"]
DATES = ["2026-02-30", "2025-02-29", "0000-00-00", "0001-01-01", "9999-12-31", "10000-01-01", "31/12/9999",
         "2026-13-01", "2026-00-10", "32/01/2026", "1899-12-31", "1900-01-01", "2026-W47", "2026-1-1", "2026-00",
         "2026-13", "0001-01", "9999-12", "-2026-01-01", "2026/11/23", "23.11.2026", "today"]
PATHS = ["//evil.example/", "https://evil.example/x", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
         "/%2F%2Fevil.example", "http:/evil.example", "../../../../etc/passwd", " //evil.example"]
CONSTANTS = ["", " ", VIETNAMESE, NFD, MIXED, *XSS, *SQL, *CONTROL, *NUMBERS, *DATES, *PATHS]

_LONG_CHARS = ["A", "9", "Đ", "ệ", unicodedata.normalize("NFD", "ệ"), "😀", "<", " ", "\x00"]
_LENGTHS = [11, 13, 16, 21, 33, 41, 61, 121, 201, 256, 257, 2001, 3001, 20000]

long_text = st.builds(lambda ch, n: (ch * n)[:n] if len(ch) == 1 else ch * n,
                      st.sampled_from(_LONG_CHARS), st.sampled_from(_LENGTHS))
random_text = st.text(st.characters(codec="utf-8"), max_size=60)
numbers = st.integers(min_value=-(10 ** 25), max_value=10 ** 25).map(str)
dates = st.dates().flatmap(lambda d: st.sampled_from([d.isoformat(), d.strftime("%d/%m/%Y"), d.isoformat()[:7]]))
constants = st.sampled_from(CONSTANTS)
wrapped = st.tuples(random_text, st.sampled_from(XSS + SQL + CONTROL), random_text).map("".join)

hostile = st.one_of(constants, long_text, random_text, numbers, dates, wrapped)

# Fields a form does not have, in case a view reads them anyway (mass assignment, ids, roles).
EXTRA_NAMES = ["id", "role", "user_id", "village_id", "commune_id", "household_id", "member_id", "status",
               "created_by_id", "archived_at", "next", "_method", "csrf_token", "uuid", "password_hash"]


_INTEGER = re.compile(r"^-?\d+$")
_DATE = re.compile(r"^(\d{4}-\d{2}(-\d{2})?|\d{2}/\d{2}/\d{4})$")


def hostile_for(field: Optional[FormField], sent: Optional[str]):
    """Hostile values for one field, weighted by what it holds: numbers for a number, dates for a date, values
    outside the list for a choice; anything at all in every case."""
    if field is not None and field.kind in ("select", "radio", "checkbox", "button"):
        return st.one_of(st.sampled_from(["", "-1", "0", "2147483648", "None", "on", "true", *field.options[:1]])
                         .map(lambda v: v + "x" if v in field.options else v), hostile)
    if sent is not None and _INTEGER.match(sent):
        return st.one_of(numbers, st.sampled_from(NUMBERS), hostile)
    if sent is not None and _DATE.match(sent) or field is not None and field.kind in ("date", "month"):
        return st.one_of(dates, st.sampled_from(DATES), hostile)
    return hostile


_MONTH = re.compile(r"^\d{4}-\d{2}$")
_LOCAL_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")


def edges(submission: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The extremes of every number and date the valid submission holds: past a 32-bit integer, the first and last
    days a date can have. Sent one at a time, every form sees them whatever Hypothesis happens to draw."""
    out = []
    for name, sent in submission:
        if name == "csrf_token":
            continue
        if _INTEGER.match(sent):
            out += [(name, "2147483648"), (name, "-99999999999999999999999")]
        elif _MONTH.match(sent):
            out += [(name, "9999-12"), (name, "0001-01")]
        elif _LOCAL_DATE.match(sent):
            out += [(name, "31/12/9999"), (name, "01/01/0001")]
        elif _DATE.match(sent):
            out += [(name, "9999-12-31"), (name, "0001-01-01")]
    return out


def field_strategies(form: Form, submission: list[tuple[str, str]]) -> dict[str, st.SearchStrategy]:
    """Each field's hostile values, fixed once per form from the valid submission (Hypothesis wants strategies that
    do not change with what earlier examples stored)."""
    names = [n for n in dict.fromkeys([k for k, _v in submission] + list(form.fields)) if n != "csrf_token"]
    return {n: hostile_for(form.fields.get(n), next((v for k, v in submission if k == n), None)) for n in names}


def mutate(data, strategies: dict[str, st.SearchStrategy], submission: list[tuple[str, str]],
           csrf: Optional[str]) -> list[tuple[str, str]]:
    """Draw a hostile version of ``submission``: a few fields replaced, dropped or repeated, perhaps a stranger
    field or a forged CSRF token; the rest as the browser sends it."""
    pairs = list(submission)
    fields = list(strategies)
    names = data.draw(st.lists(st.sampled_from(fields), max_size=min(3, len(fields)), unique=True), label="fields") \
        if fields else []
    for name in names:
        how = data.draw(st.sampled_from(["replace", "replace", "replace", "drop", "repeat"]), label=f"how {name}")
        rest = [(k, v) for k, v in pairs if k != name]
        if how == "drop":
            pairs = rest
        elif how == "repeat":
            pairs = rest + [(name, data.draw(strategies[name], label=name)) for _ in range(2)]
        else:
            pairs = rest + [(name, data.draw(strategies[name], label=name))]
    for name in data.draw(st.lists(st.sampled_from(EXTRA_NAMES), max_size=1), label="extra"):
        pairs.append((name, data.draw(hostile, label=f"extra {name}")))
    if csrf is not None and data.draw(st.integers(0, 11), label="csrf") == 0:
        forged = data.draw(st.sampled_from(["", "forged", "x" * 300, "\u202e", "ImZ3eHNzIg.forged.token"]),
                           label="forged csrf")
        pairs = [(k, v) for k, v in pairs if k != "csrf_token"] + [("csrf_token", forged)]
    return pairs


# --- checks -------------------------------------------------------------------------------------------------------


def raw_markers(body: str) -> list[str]:
    """Openings of the HTML payloads that a page shows unescaped (none, when the page escapes its input)."""
    lowered = body.lower()
    return [m for m in RAW_MARKERS if m.lower() in lowered]


def off_site(location: str) -> bool:
    """Whether a redirect leaves the site (another host, or a scheme other than http(s))."""
    parts = urlsplit(location.strip())
    if parts.scheme and parts.scheme not in ("http", "https"):
        return True
    return bool(parts.netloc) and parts.netloc.split(":")[0] not in ("localhost", "127.0.0.1")


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the app, in one query."""
    tables = sorted(SQLModel.metadata.tables)
    sql = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM \"{t}\"" for t in tables)
    with engine.connect() as conn:
        return {name: count for name, count in conn.execute(text(sql))}


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {t: after[t] - before[t] for t in after if after[t] != before.get(t)}


def over_long_values(engine: Engine) -> list[str]:
    """String columns holding a value longer than the model allows (SQLite does not enforce VARCHAR(n))."""
    problems = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                length = getattr(column.type, "length", None)
                if not length or not hasattr(column.type, "collation"):
                    continue
                longest = conn.execute(text(f'SELECT MAX(LENGTH("{column.name}")) FROM "{table.name}"')).scalar()
                if longest and longest > length:
                    problems.append(f"{table.name}.{column.name}: {longest} > {length}")
    return problems


def canon(value) -> str:
    """Text as the app may legitimately clean it: composed, trimmed, runs of spaces collapsed."""
    if value is None:
        return ""
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


def same_text(posted: str, stored) -> bool:
    return canon(posted) == canon(stored)


CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
