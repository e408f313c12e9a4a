"""The columns of a household list and what each cell means: one row per person, the household's columns repeated
(or left empty) on every row of the household.

The template, the import and the export use exactly :data:`COLUMNS`, in this order. Headings are matched folded
("ma ho", "MÃ HỘ"); enum cells take the Vietnamese labels of :mod:`fieldwork.labels`, also folded. A cell is never
silently changed: a CCCD that reached us as a number without its leading zero is a problem to fix in the file, not
something to pad.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import Enum
from typing import Any, Optional, Sequence

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..households import rules
from ..labels import label
from ..models import BhxhStatus, BhytStatus, Poverty, Relation, Sex
from ..text import fold, nfc, normalise_phone

TEXT, DIGITS, DATE, YEAR, CHOICE = "text", "digits", "date", "year", "choice"


@dataclass(frozen=True)
class Column:
    key: str
    heading: str  # the file format, not UI text: the same whatever the user's language
    width: int
    kind: str = TEXT
    required: bool = False  # the column must be in the file
    household: bool = False  # a fact about the household, repeated on each of its rows
    max_length: Optional[int] = None
    digits: Optional[int] = None
    enum: Optional[type[Enum]] = None


COLUMNS: tuple[Column, ...] = (
    Column("code", "Mã hộ", 12, required=True, household=True, max_length=32),
    Column("head_name", "Họ tên chủ hộ", 24, required=True, household=True, max_length=120),
    Column("address", "Địa chỉ", 28, household=True, max_length=255),
    Column("hamlet_group", "Xóm/tổ", 10, household=True, max_length=60),
    Column("phone", "Điện thoại hộ", 14, DIGITS, household=True, digits=10),
    Column("poverty", "Diện hộ", 20, CHOICE, household=True, enum=Poverty),
    Column("full_name", "Họ và tên", 24, required=True, max_length=120),
    Column("relation", "Quan hệ với chủ hộ", 16, CHOICE, enum=Relation),
    Column("birth_date", "Ngày sinh", 12, DATE),
    Column("birth_year", "Năm sinh", 9, YEAR),
    Column("sex", "Giới tính", 9, CHOICE, required=True, enum=Sex),
    Column("cccd", "Số CCCD", 15, DIGITS, digits=12),
    Column("bhxh_code", "Mã số BHXH", 13, DIGITS, digits=10),
    Column("ethnicity", "Dân tộc", 10, max_length=40),
    Column("occupation", "Nghề nghiệp", 16, max_length=120),
    Column("bhyt_status", "Tình trạng BHYT", 18, CHOICE, enum=BhytStatus),
    Column("bhyt_card_expiry", "Hạn thẻ BHYT", 12, DATE),
    Column("bhxh_status", "Tình trạng BHXH", 18, CHOICE, enum=BhxhStatus),
    Column("notes", "Ghi chú", 30, household=True, max_length=2000),
)
# Only in the commune's export: which village a row belongs to. On import it must name the village imported into.
VILLAGE = Column("village", "Thôn", 18)

BY_KEY = {c.key: c for c in COLUMNS + (VILLAGE,)}
HOUSEHOLD_KEYS = tuple(c.key for c in COLUMNS if c.household and c.key != "code")
PERSON_KEYS = tuple(c.key for c in COLUMNS if not c.household)
# Formatted as Text in the template and the export, so Excel keeps leading zeros ("001", "024190012345").
TEXT_COLUMNS = frozenset(i for i, c in enumerate(COLUMNS) if c.kind == DIGITS or c.key == "code")


def normalise_heading(heading: str) -> str:
    """"Số CCCD (*)" → "so cccd": folded, without parentheses or the asterisks that mark required columns."""
    return re.sub(r"\s+", " ", re.sub(r"\([^)]*\)|\*", " ", fold(heading))).strip()


_BY_HEADING = {normalise_heading(c.heading): c.key for c in COLUMNS + (VILLAGE,)}
_BY_HEADING.update({"cccd": "cccd", "so cccd/cmnd": "cccd", "ma bhxh": "bhxh_code", "dien thoai": "phone",
                    "so dien thoai": "phone", "ho ten": "full_name"})


def is_heading_row(cells: Sequence[Any]) -> bool:
    return any(isinstance(c, str) and _BY_HEADING.get(normalise_heading(c)) == "code" for c in cells)


# --- problems ----------------------------------------------------------------------------------------------------


@dataclass
class Problem:
    """Something that blocks the import, shown as a row of the preview: where, what was there, how to fix it."""

    row: Optional[int]  # None for the file as a whole
    column: Optional[str]  # the heading
    value: str
    message: str


def shown(value: Any) -> str:
    """A cell as the official sees it in Excel, short enough for the preview."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.time() == time(0):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text if len(text) <= 60 else text[:59] + "…"


# --- the heading row ---------------------------------------------------------------------------------------------


@dataclass
class Layout:
    index: dict[str, int]  # column key → position in the row
    unknown: list[str]
    problems: list[Problem]


def layout(headings: Sequence[Optional[str]], header_row: Optional[int]) -> Layout:
    index: dict[str, int] = {}
    unknown: list[str] = []
    problems: list[Problem] = []
    for position, heading in enumerate(headings):
        if not heading:
            continue
        key = _BY_HEADING.get(normalise_heading(heading))
        if key is None:
            unknown.append(heading)
        elif key in index:
            problems.append(Problem(header_row, heading, heading, str(_l(
                "Cột %(column)s có hai lần trong dòng tiêu đề; hãy xoá một cột rồi tải lên lại.",
                column=BY_KEY[key].heading))))
        else:
            index[key] = position
    missing = [c.heading for c in COLUMNS if c.required and c.key not in index]
    if "birth_date" not in index and "birth_year" not in index:
        missing.append(str(_l("Ngày sinh hoặc Năm sinh")))
    if missing:
        problems.insert(0, Problem(header_row, None, "", str(_l(
            "Thiếu cột bắt buộc: %(columns)s. Hãy thêm cột với đúng tên tiêu đề như trong tệp mẫu (dòng tiêu đề là "
            "dòng có ô \"Mã hộ\").", columns=", ".join(missing)))))
    return Layout(index=index, unknown=unknown, problems=problems)


# --- choices -----------------------------------------------------------------------------------------------------


def vietnamese_label(value: Enum) -> str:
    """The label written into files: always Vietnamese, whatever the language of the page."""
    with force_locale("vi"):
        return label(value)


def file_labels() -> dict[str, dict[str, str]]:
    """Column key → enum value → the label written into files."""
    return {c.key: {m.value: vietnamese_label(m) for m in c.enum} for c in COLUMNS if c.enum}


def _choice_keys(member: Enum) -> set[str]:
    text = fold(vietnamese_label(member))
    keys = {text, fold(member.value)}
    if "/" in text:  # "Vợ/chồng": "vợ" and "chồng" alone are as clear
        keys.update(part.strip() for part in text.split("/"))
    if text.startswith("ho "):  # "Hộ nghèo": "nghèo" alone is as clear
        keys.add(text[3:])
    return keys


def choices(enum_cls: type[Enum]) -> dict[str, Enum]:
    return {key: member for member in enum_cls for key in _choice_keys(member)}


def choice_labels(enum_cls: type[Enum]) -> str:
    return ", ".join(vietnamese_label(m) for m in enum_cls)


# --- one row -----------------------------------------------------------------------------------------------------


@dataclass
class Row:
    """A row read and checked on its own; what it says about its household and its person."""

    number: int
    code: Optional[str]
    household: dict[str, Any]  # household facts present in the row (empty cells left out)
    person: Optional[dict[str, Any]]  # None for a row with household columns only
    village: Optional[str]
    raw: dict[str, Any]  # key → the cell as read, for messages
    problems: list[Problem] = field(default_factory=list)

    def cell(self, key: str) -> str:
        """The cell as the official sees it; "" for a column the file does not have."""
        return shown(self.raw.get(key))

    @property
    def name_key(self) -> str:
        return (self.person or {}).get("name_key", "")

    @property
    def birth_year(self) -> Optional[int]:
        person = self.person or {}
        return person["birth_date"].year if person.get("birth_date") else person.get("birth_year")


class _Bad(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_row(number: int, cells: Sequence[Any], found: Layout, today: date,
              enum_choices: dict[type[Enum], dict[str, Enum]]) -> Row:
    raw = {key: cells[i] if i < len(cells) else None for key, i in found.index.items()}
    row = Row(number=number, code=None, household={}, person=None, village=None, raw=raw)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        column = BY_KEY[key]
        try:
            values[key] = _parse_cell(column, value, enum_choices)
        except _Bad as bad:
            row.problems.append(Problem(number, column.heading, row.cell(key), bad.message))
    row.code = values.pop("code", None)
    row.village = values.pop("village", None)
    row.household = {k: values[k] for k in HOUSEHOLD_KEYS if k in values}
    person = {k: values[k] for k in PERSON_KEYS if k in values}
    failed = {p.column for p in row.problems}
    if row.code is None and "code" in raw:
        row.problems.append(_problem(row, "code", str(_l(
            "Hãy nhập mã hộ (ví dụ T01-0001); mã hộ không được trùng trong thôn."))))
    if "head_name" in row.household:
        _rule(row, "head_name", rules.name_error(row.household["head_name"]))
    if person or any(BY_KEY[k].heading in failed for k in PERSON_KEYS):
        row.person = person
        _check_person(row, failed, today)
    return row


def _check_person(row: Row, failed: set[str], today: date) -> None:
    person = row.person
    _rule(row, "full_name", rules.name_error(person.get("full_name")))
    if "sex" not in person and BY_KEY["sex"].heading not in failed:
        row.problems.append(_problem(row, "sex", str(_l("Hãy ghi giới tính: Nam hoặc Nữ."))))
    if not failed & {BY_KEY["birth_date"].heading, BY_KEY["birth_year"].heading}:
        only_year = "birth_year" in person and "birth_date" not in person
        key = "birth_year" if only_year or "birth_date" not in row.raw else "birth_date"
        _rule(row, key, rules.birth_error(person.get("birth_date"), person.get("birth_year"), today))
    if "full_name" in person:
        person["name_key"] = fold(person["full_name"])


def _rule(row: Row, key: str, message: Optional[str]) -> None:
    if message:
        row.problems.append(_problem(row, key, message))


def _problem(row: Row, key: str, message: str) -> Problem:
    return Problem(row.number, BY_KEY[key].heading, row.cell(key), message)


def _parse_cell(column: Column, value: Any, enum_choices: dict[type[Enum], dict[str, Enum]]) -> Any:
    if column.kind == DIGITS:
        return _digits(column, value)
    if column.kind == DATE:
        return _date(column, value)
    if column.kind == YEAR:
        return _year(value)
    if column.kind == CHOICE:
        known = enum_choices[column.enum]
        member = known.get(value) if isinstance(value, str) else None
        if member is None and (member := known.get(fold(shown(value)))) is not None and isinstance(value, str):
            known[value] = member  # the same few spellings fill a whole column: fold each once
        if member is None:
            raise _Bad(str(_l("%(column)s \"%(value)s\" không có trong danh sách; hãy ghi một trong các giá trị: "
                              "%(choices)s.", column=column.heading, value=shown(value),
                              choices=choice_labels(column.enum))))
        return member
    text = nfc(shown(value) if not isinstance(value, str) else value)
    if column.max_length and len(text) > column.max_length:
        raise _Bad(str(_l("%(column)s dài tối đa %(n)s ký tự; hãy rút gọn.", column=column.heading,
                          n=column.max_length)))
    return text


def _digits(column: Column, value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise _Bad(str(_l("%(column)s chỉ gồm chữ số; hãy định dạng cột là Văn bản (Text) rồi nhập lại số.",
                              column=column.heading)))
        text = str(int(value))
        if len(text) < column.digits:
            # Excel keeps numbers, not digits: 024190012345 typed into a General cell becomes 24190012345.
            raise _Bad(str(_l("%(column)s được Excel lưu dạng số nên đã mất số 0 ở đầu (còn %(value)s). Hãy định "
                              "dạng cột này là Văn bản (Text) rồi nhập lại đủ %(n)s chữ số, ví dụ %(example)s.",
                              column=column.heading, value=text, n=column.digits, example=text.zfill(column.digits))))
        value = text
    text = str(value).strip()
    if column.key == "phone":
        if (message := rules.phone_error(text)):
            raise _Bad(message)
        return normalise_phone(text)
    digits = rules.normalise_digits(text)
    check = rules.cccd_error if column.key == "cccd" else rules.bhxh_code_error
    if (message := check(digits)):
        raise _Bad(message)
    return digits


_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")


def _date(column: Column, value: Any) -> date:
    found: Optional[date] = None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            if (m := _DMY.fullmatch(text)):
                found = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            elif (m := _YMD.fullmatch(text)):
                found = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            found = None
    if found is None or not rules.MIN_BIRTH_YEAR <= found.year <= 2200:
        raise _Bad(str(_l("%(column)s '%(value)s' không hợp lệ; hãy nhập theo dạng dd/mm/yyyy, ví dụ 05/09/1980.",
                          column=column.heading, value=shown(value))))
    return found


def _year(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}\s*", value):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 1000 <= value <= 9999:
        raise _Bad(str(_l("Năm sinh phải là năm có 4 chữ số, từ 1900 đến nay.")))
    return value
