"""Household lists in and out: upload, preview, all-or-nothing confirm, export, the template.

An upload is checked as bytes, stored under ``<instance>/imports/<batch id>.<ext>`` with an :class:`ImportBatch`, and
planned on every preview: the plan says which households and people would be created or updated and lists every
problem row by row. Confirming plans again from the stored file (the registry may have changed since the preview)
and writes all of it or nothing. Both work in bulk, whatever the size of the file: the village's households and people
and the identifiers the file mentions are loaded in a few queries, new rows and their audit events are written with
bulk INSERTs, and the village's search index is rebuilt once. Services flush; the request commits.

Upsert rules: a household is found by its code in the village; a person by CCCD, else BHXH code, else folded name
and birth year within the household. Empty cells keep what is stored; an import never changes or removes a stored
identifier (that is done on the person's page), and never touches people who are not in the file.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from flask import abort, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..audit import record, snapshot
from ..exports.workbook import GENERAL, TEXT, Column, Table, workbook_bytes
from ..households import rules, search
from ..models import (
    AuditEvent,
    BhxhStatus,
    BhytStatus,
    Commune,
    Household,
    ImportBatch,
    Person,
    Poverty,
    Relation,
    Role,
    Sex,
    User,
    Village,
    utcnow,
)
from ..security import village_scope
from ..text import fold, nfc
from . import columns, spreadsheet
from .columns import COLUMNS, Problem, Row
from .spreadsheet import FileRefused

CHUNK = 5000  # values per IN (...) list
SHEET_TITLE = "Danh sách"  # the file format, like the headings: not translated
SHOWN_PROBLEMS = 1000


class AlreadyConfirmed(Exception):
    """The batch was confirmed before: nothing more is written."""


# --- the plan ----------------------------------------------------------------------------------------------------


@dataclass
class DuplicateWarning:
    """A likely duplicate that does not block: same folded name and birth year in another household."""

    row: int
    message: str


@dataclass
class Plan:
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[DuplicateWarning] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    new_households: list[dict[str, Any]] = field(default_factory=list)
    household_changes: list[tuple[Household, dict[str, Any]]] = field(default_factory=list)
    new_people: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (household code, values)
    person_changes: list[tuple[Person, dict[str, Any]]] = field(default_factory=list)
    rows_unchanged: int = 0
    households: dict[str, Household] = field(default_factory=dict)  # the village's, by code

    @property
    def households_created(self) -> int:
        return len(self.new_households)

    @property
    def households_updated(self) -> int:
        return len(self.household_changes)

    @property
    def people_created(self) -> int:
        return len(self.new_people)

    @property
    def people_updated(self) -> int:
        return len(self.person_changes)

    @property
    def shown_problems(self) -> list[Problem]:
        return self.problems[:SHOWN_PROBLEMS]


@dataclass
class _Household:
    """A household as the file describes it: its first row and the facts its rows agree on."""

    first_row: int
    values: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Row] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Holder:
    person: Person
    household: Household
    village: Village


@dataclass
class _Known:
    households: dict[str, Household]
    by_name: dict[tuple[int, str, int], list[Person]]  # (household id, folded name, birth year): active people
    in_village: dict[tuple[str, int], list[tuple[Person, Household]]]  # (folded name, birth year): active people
    holders: dict[tuple[str, str], _Holder]  # ("cccd" | "bhxh_code", value): whoever holds it, in any commune


def plan(session: Session, village: Village, sheet: spreadsheet.Sheet, today: date) -> Plan:
    """What importing ``sheet`` into ``village`` would do, and every problem that blocks it."""
    result = Plan(rows=len(sheet.rows))
    found = columns.layout(sheet.headings, sheet.header_row)
    result.notices = [str(_l("Cột \"%(column)s\" không có trong mẫu nên được bỏ qua.", column=h))
                      for h in found.unknown]
    result.problems.extend(found.problems)
    if found.problems:
        return result
    if not sheet.rows:
        result.problems.append(Problem(None, None, "", str(_l(
            "Tệp không có dòng dữ liệu nào dưới dòng tiêu đề. Hãy điền mỗi người một dòng rồi tải lên lại."))))
        return result
    choices = {c.enum: columns.choices(c.enum) for c in COLUMNS if c.enum}
    rows = [columns.parse_row(number, cells, found, today, choices) for number, cells in sheet.rows]
    for row in rows:
        result.problems.extend(row.problems)
        _check_not_example(row, result)
        _check_village(row, village, result)
    households = _households(rows, result)
    _check_repeats(rows, result)
    known = _load(session, village, rows)
    result.households = known.households
    _plan_households(households, known, result)
    _plan_people(rows, village, known, result)
    result.problems.sort(key=lambda p: (p.row or 0))
    return result


def _check_not_example(row: Row, result: Plan) -> None:
    person = row.person or {}
    if row.code == EXAMPLE["code"] and person.get("cccd") == EXAMPLE["cccd"]:
        result.problems.append(Problem(row.number, None, row.cell("full_name"), str(_l(
            "Đây là dòng ví dụ của tệp mẫu; hãy xoá dòng này rồi tải lên lại."))))


def _check_village(row: Row, village: Village, result: Plan) -> None:
    if row.village and fold(row.village) not in (fold(village.name), fold(village.code)):
        result.problems.append(Problem(row.number, columns.VILLAGE.heading, row.village, str(_l(
            "Dòng này thuộc \"%(value)s\", không phải %(village)s đang nhập; hãy xoá dòng này hoặc nhập vào đúng "
            "thôn.", value=row.village, village=village.name))))


def _households(rows: list[Row], result: Plan) -> dict[str, _Household]:
    """Group rows by household code; the household's facts must agree across its rows (or be left empty)."""
    groups: dict[str, _Household] = {}
    for row in rows:
        if row.code is None:
            continue
        group = groups.setdefault(row.code, _Household(first_row=row.number))
        for key, value in row.household.items():
            if key == "notes":
                if value not in group.notes:
                    group.notes.append(value)
            elif key not in group.values:
                group.values[key], group.source[key] = value, row
            elif group.values[key] != value:
                first = group.source[key]
                result.problems.append(Problem(row.number, columns.BY_KEY[key].heading, row.cell(key), str(_l(
                    "Dòng %(first)s ghi %(column)s của hộ %(code)s là \"%(expected)s\"; các dòng của cùng một hộ phải "
                    "ghi giống nhau (hoặc để trống). Hãy sửa cho khớp.", first=first.number,
                    column=columns.BY_KEY[key].heading, code=row.code, expected=first.cell(key)))))
    for group in groups.values():
        if "head_name" not in group.values:
            result.problems.append(Problem(group.first_row, columns.BY_KEY["head_name"].heading, "",
                                           rules.name_error(None)))
        if group.notes:
            group.values["notes"] = "; ".join(group.notes)
    return groups


def _check_repeats(rows: list[Row], result: Plan) -> None:
    """The same identifier, or the same person, twice in the file."""
    seen: dict[tuple, int] = {}
    for row in rows:
        person = row.person or {}
        for key in ("cccd", "bhxh_code"):
            if person.get(key):
                first = seen.setdefault((key, person[key]), row.number)
                if first != row.number:
                    heading = columns.BY_KEY[key].heading
                    result.problems.append(Problem(row.number, heading, person[key], str(_l(
                        "%(column)s %(value)s có ở cả dòng %(first)s và dòng %(row)s; mỗi người có một số riêng. "
                        "Hãy kiểm tra lại hai dòng này.", column=heading, value=person[key], first=first,
                        row=row.number))))
        if row.code and row.name_key and row.birth_year:
            first = seen.setdefault(("person", row.code, row.name_key, row.birth_year), row.number)
            if first != row.number:
                result.problems.append(Problem(row.number, columns.BY_KEY["full_name"].heading,
                                               row.cell("full_name"), str(_l(
                    "Người này (cùng hộ, họ tên và năm sinh) đã có ở dòng %(first)s; hãy xoá một trong hai dòng "
                    "%(first)s và %(row)s.", first=first, row=row.number))))


def _load(session: Session, village: Village, rows: list[Row]) -> _Known:
    """Everything the plan compares with, in a few queries whatever the size of the file."""
    households = session.exec(select(Household).where(Household.village_id == village.id)).all()
    by_id = {h.id: h for h in households}
    people = session.exec(
        select(Person).join(Household, Household.id == Person.household_id)
        .where(Household.village_id == village.id, Person.archived_at.is_(None))
    ).all()
    by_name: dict[tuple[int, str, int], list[Person]] = defaultdict(list)
    in_village: dict[tuple[str, int], list[tuple[Person, Household]]] = defaultdict(list)
    for person in people:
        key = (fold(person.full_name), person.birth_year)
        by_name[(person.household_id, *key)].append(person)
        if by_id[person.household_id].archived_at is None:
            in_village[key].append((person, by_id[person.household_id]))
    holders: dict[tuple[str, str], _Holder] = {}
    for key in ("cccd", "bhxh_code"):
        wanted = sorted({row.person[key] for row in rows if row.person and row.person.get(key)})
        column = getattr(Person, key)
        for start in range(0, len(wanted), CHUNK):
            found = session.exec(
                select(Person, Household, Village).join(Household, Household.id == Person.household_id)
                .join(Village, Village.id == Household.village_id)
                .where(column.in_(wanted[start:start + CHUNK]))
            ).all()
            holders.update({(key, getattr(p, key)): _Holder(p, h, v) for p, h, v in found})
    return _Known(households={h.code: h for h in households}, by_name=by_name, in_village=in_village,
                  holders=holders)


def _plan_households(groups: dict[str, _Household], known: _Known, result: Plan) -> None:
    for code, group in groups.items():
        household = known.households.get(code)
        if household is None:
            result.new_households.append({"code": code, "poverty": Poverty.NONE, **group.values})
        elif household.archived_at is not None:
            result.problems.append(Problem(group.first_row, columns.BY_KEY["code"].heading, code, str(_l(
                "Hộ mã %(code)s đã được lưu trữ hoặc gộp vào hộ khác; hãy khôi phục hộ trong ứng dụng hoặc dùng mã "
                "khác.", code=code))))
        elif (changes := _changes(household, group.values)):
            result.household_changes.append((household, changes))


def _changes(record: Household | Person, values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if getattr(record, key) != value}


def _plan_people(rows: list[Row], village: Village, known: _Known, result: Plan) -> None:
    blocked = {p.row for p in result.problems}
    matched: dict[int, int] = {}  # person id → row number
    names: dict[tuple[str, int], list[Row]] = defaultdict(list)
    for row in rows:
        if row.person is None:
            continue
        names[(row.name_key, row.birth_year)].append(row)
        if row.number in blocked or row.code is None:
            continue
        household = known.households.get(row.code)
        if household is not None and household.archived_at is not None:
            continue
        person = _match(row, household, village, known, result)
        if person is False:
            continue
        if person is not None:
            if person.id in matched:
                result.problems.append(Problem(row.number, columns.BY_KEY["full_name"].heading,
                                               row.cell("full_name"), str(_l(
                    "Dòng %(first)s và dòng %(row)s cùng chỉ đến %(name)s; hãy kiểm tra lại hai dòng này.",
                    first=matched[person.id], row=row.number, name=person.full_name))))
                continue
            matched[person.id] = row.number
            if (changes := _person_changes(person, row.person)):
                result.person_changes.append((person, changes))
            else:
                result.rows_unchanged += 1
            continue
        result.new_people.append((row.code, _new_person(row.person)))
        _warn_namesakes(row, known, names, result)


def _match(row: Row, household: Optional[Household], village: Village, known: _Known,
           result: Plan) -> Person | None | bool:
    """The stored person this row is about, None for a new person, False when a problem was reported."""
    holders = {key: known.holders.get((key, row.person[key])) for key in ("cccd", "bhxh_code") if row.person.get(key)}
    ok = True
    for key, holder in holders.items():
        if holder is not None and not _holder_fits(row, key, holder, household, village, result):
            ok = False
    found = [h.person for h in holders.values() if h is not None]
    if ok and len({p.id for p in found}) > 1:
        result.problems.append(Problem(row.number, columns.BY_KEY["bhxh_code"].heading, row.cell("bhxh_code"), str(_l(
            "Số CCCD thuộc về %(first)s nhưng Mã số BHXH thuộc về %(second)s; hãy kiểm tra lại hai số này.",
            first=found[0].full_name, second=found[1].full_name))))
        ok = False
    if not ok:
        return False
    person = found[0] if found else None
    if person is None and household is not None:
        candidates = known.by_name.get((household.id, row.name_key, row.birth_year), [])
        person = candidates[0] if candidates else None
    if person is not None:
        for key in ("cccd", "bhxh_code"):
            stored, given = getattr(person, key), row.person.get(key)
            if stored and given and stored != given:
                heading = columns.BY_KEY[key].heading
                result.problems.append(Problem(row.number, heading, given, str(_l(
                    "%(name)s đang có %(column)s là %(stored)s, khác với số trong tệp. Nếu số trong tệp mới đúng, hãy "
                    "sửa trên trang của người này trong ứng dụng trước khi nhập.", name=person.full_name,
                    column=heading, stored=stored))))
                return False
    return person


def _holder_fits(row: Row, key: str, holder: _Holder, household: Optional[Household], village: Village,
                 result: Plan) -> bool:
    heading, value = columns.BY_KEY[key].heading, row.person[key]
    if holder.village.commune_id != village.commune_id:
        message = _l("%(column)s %(value)s đã có trong hồ sơ của một xã khác; hãy kiểm tra lại số.",
                     column=heading, value=value)
    elif household is None or holder.household.id != household.id:
        message = _l("%(column)s %(value)s đã thuộc về %(name)s ở hộ %(code)s (%(village)s). Hãy sửa lại số nếu nhập "
                     "nhầm; nếu là cùng một người, hãy chuyển hoặc gộp hồ sơ trong ứng dụng trước khi nhập.",
                     column=heading, value=value, name=holder.person.full_name, code=holder.household.code,
                     village=holder.village.name)
    elif holder.person.archived_at is not None:
        message = _l("%(column)s %(value)s thuộc về hồ sơ đã lưu trữ của %(name)s; hãy kiểm tra lại số.",
                     column=heading, value=value, name=holder.person.full_name)
    else:
        return True
    result.problems.append(Problem(row.number, heading, value, str(message)))
    return False


PERSON_DEFAULTS = {"relation": Relation.OTHER, "ethnicity": "Kinh", "bhyt_status": BhytStatus.NONE,
                   "bhxh_status": BhxhStatus.NONE}


def _new_person(values: dict[str, Any]) -> dict[str, Any]:
    person = {**PERSON_DEFAULTS, **values}
    if person.get("birth_date"):
        person["birth_year"] = person["birth_date"].year
    return person


def _person_changes(person: Person, values: dict[str, Any]) -> dict[str, Any]:
    wanted = {k: v for k, v in values.items() if k != "name_key"}
    if wanted.get("birth_date"):
        wanted["birth_year"] = wanted["birth_date"].year
    elif "birth_year" in wanted and (person.birth_date is None or person.birth_date.year != wanted["birth_year"]):
        wanted["birth_date"] = None  # a known date of another year no longer holds
    return _changes(person, wanted)


def _warn_namesakes(row: Row, known: _Known, names: dict[tuple[str, int], list[Row]], result: Plan) -> None:
    key = (row.name_key, row.birth_year)
    for person, household in known.in_village.get(key, []):
        if household.code != row.code:
            result.warnings.append(DuplicateWarning(row.number, str(_l(
                "%(name)s (sinh năm %(year)s) trùng họ tên và năm sinh với một người ở hộ %(code)s (chủ hộ %(head)s). "
                "Nếu là cùng một người, hãy sửa tệp; nếu là hai người khác nhau, có thể bỏ qua cảnh báo này.",
                name=row.person["full_name"], year=row.birth_year, code=household.code, head=household.head_name))))
    for other in names[key]:
        if other.number != row.number and other.code != row.code:
            result.warnings.append(DuplicateWarning(row.number, str(_l(
                "%(name)s (sinh năm %(year)s) trùng họ tên và năm sinh với dòng %(other)s (hộ %(code)s). Nếu là cùng "
                "một người, hãy sửa tệp; nếu là hai người khác nhau, có thể bỏ qua cảnh báo này.",
                name=row.person["full_name"], year=row.birth_year, other=other.number, code=other.code))))


# --- applying the plan -------------------------------------------------------------------------------------------


def _json_ready(values: dict[str, Any]) -> dict[str, Any]:
    """A row as audit.snapshot writes a record: enums by value, dates in ISO form."""
    return {k: v.value if isinstance(v, Enum) else v.isoformat() if isinstance(v, (date, datetime)) else v
            for k, v in values.items()}


def _insert(session: Session, model: type[Household] | type[Person], rows: list[dict[str, Any]],
            key: tuple[str, ...]) -> None:
    """ORM bulk INSERT in few statements; each row gets its new id.

    RETURNING order is not guaranteed, and asking SQLAlchemy to keep it degrades to one statement per row on SQLite
    (no sentinel column), so the ids come back with ``key``, which the plan keeps unique among new rows.
    """
    if not rows:
        return
    every = set().union(*rows)
    for row in rows:  # rows share a statement only when they have the same keys; the ones left out are nullable
        for missing in every - row.keys():
            row[missing] = None
    by_key = {tuple(row[k] for k in key): row for row in rows}
    if len(by_key) != len(rows):
        raise ValueError(f"new {model.__tablename__} rows are not unique by {key}")
    # render_nulls: without it the ORM leaves None out, and rows with None in different places no longer batch.
    statement = insert(model).returning(model.id, *(getattr(model, k) for k in key))
    returned = session.execute(statement, rows, execution_options={"render_nulls": True}).all()
    for new_id, *values in returned:
        by_key[tuple(values)]["id"] = new_id


def apply(session: Session, result: Plan, village: Village, *, actor: Optional[User]) -> None:
    """Write a plan without problems in bulk: new rows with bulk INSERTs (building 10,000 SQLModel objects costs
    seconds), changed records through the ORM, one audit event per created or updated record, one index rebuild."""
    if not (result.new_households or result.household_changes or result.new_people or result.person_changes):
        return
    now = utcnow()
    events: list[dict[str, Any]] = []

    def event(action: str, entity: str, entity_id: int, before: Optional[dict], after: dict) -> None:
        events.append({"at": now, "user_id": actor.id if actor else None, "action": action, "entity": entity,
                       "entity_id": entity_id, "before": before, "after": after})

    new_households = [{"village_id": village.id, "created_at": now, "updated_at": now, **values}
                      for values in result.new_households]
    _insert(session, Household, new_households, ("code",))
    ids = {code: household.id for code, household in result.households.items()}
    ids.update({row["code"]: row["id"] for row in new_households})
    for household, changes in result.household_changes:
        before = snapshot(household)
        for key, value in changes.items():
            setattr(household, key, value)
        household.updated_at = now
        event("update", "household", household.id, before, snapshot(household))
    new_people = [{"household_id": ids[code], "created_at": now, "updated_at": now, **values}
                  for code, values in result.new_people]
    _insert(session, Person, new_people, ("household_id", "name_key", "birth_year"))
    for person, changes in result.person_changes:
        before = snapshot(person)
        for key, value in changes.items():
            setattr(person, key, value)
        person.name_key = fold(person.full_name)
        person.updated_at = now
        event("update", "person", person.id, before, snapshot(person))
    for entity, rows in (("household", new_households), ("person", new_people)):
        for row in rows:
            event("create", entity, row["id"], None, _json_ready(row))
    session.flush()
    for start in range(0, len(events), CHUNK):
        session.execute(insert(AuditEvent), events[start:start + CHUNK])
    search.rebuild(session, [village.id])


# --- batches -----------------------------------------------------------------------------------------------------


def upload_path(batch: ImportBatch) -> Path:
    return Path(current_app.instance_path) / "imports" / f"{batch.id}.{spreadsheet.extension_of(batch.filename)}"


def clean_filename(filename: str) -> str:
    name = nfc(re.sub(r"[\x00-\x1f\x7f]", "", os.path.basename(filename.replace("\\", "/")))) or "danh-sach"
    return name if len(name) <= 255 else name[-255:]


def create_batch(session: Session, village: Village, *, actor: User, filename: str, data: bytes) -> ImportBatch:
    """Check the upload as bytes, count its rows, store it and record the batch (to preview, then confirm)."""
    filename = clean_filename(filename)
    kind = spreadsheet.check_file(filename, data)
    sheet = spreadsheet.read(kind, data, columns.is_heading_row)
    batch = ImportBatch(village_id=village.id, filename=filename, sha256=hashlib.sha256(data).hexdigest(),
                        rows=len(sheet.rows), uploaded_by_id=actor.id)
    session.add(batch)
    session.flush()
    path = upload_path(batch)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return batch


def get_batch_for_user(session: Session, user: User, batch_id: int) -> tuple[ImportBatch, Village]:
    """The batch and its village, when the village is in the user's scope; otherwise 404."""
    row = session.exec(
        select(ImportBatch, Village).join(Village, Village.id == ImportBatch.village_id)
        .where(ImportBatch.id == batch_id, village_scope(user))
    ).first()
    if row is None:
        abort(404)
    return row[0], row[1]


def recent_batches(session: Session, village: Village, limit: int = 10) -> list[ImportBatch]:
    return list(session.exec(
        select(ImportBatch).where(ImportBatch.village_id == village.id)
        .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(limit)
    ).all())


def _stored_sheet(batch: ImportBatch) -> spreadsheet.Sheet:
    path = upload_path(batch)
    if not path.is_file():
        raise FileRefused(str(_l("Không còn tìm thấy tệp đã tải lên trên máy chủ; hãy tải tệp lên lại.")))
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != batch.sha256:
        raise FileRefused(str(_l("Tệp lưu trên máy chủ đã bị thay đổi sau khi tải lên; hãy tải tệp lên lại.")))
    return spreadsheet.read(spreadsheet.check_file(batch.filename, data), data, columns.is_heading_row)


def preview(session: Session, batch: ImportBatch, village: Village, today: date) -> Plan:
    try:
        sheet = _stored_sheet(batch)
    except FileRefused as refused:
        return Plan(rows=batch.rows, problems=[Problem(None, None, "", refused.message)])
    return plan(session, village, sheet, today)


def confirm(session: Session, batch: ImportBatch, village: Village, *, actor: User, today: date) -> Plan:
    """Plan again from the stored file and write everything, or nothing when the plan now has problems.

    Raises AlreadyConfirmed for a batch confirmed before, also by a concurrent request: the batch row is claimed
    with a conditional UPDATE, so only one confirmation writes. Should someone save a clashing code or identifier
    while the rows are being written, the transaction is rolled back and the plan comes back with that problem.
    """
    if batch.confirmed_at is not None:
        raise AlreadyConfirmed()
    result = preview(session, batch, village, today)
    if result.problems:
        return result
    now = utcnow()
    claimed = session.exec(
        update(ImportBatch).where(ImportBatch.id == batch.id, ImportBatch.confirmed_at.is_(None))
        .values(confirmed_at=now)
    )
    if claimed.rowcount != 1:
        raise AlreadyConfirmed()
    try:
        apply(session, result, village, actor=actor)
    except IntegrityError:
        session.rollback()  # the request ends with 422 and writes nothing; rolled back now so the page can render
        result.problems.append(Problem(None, None, "", str(_l(
            "Trong lúc ghi, có người vừa lưu một mã hộ hoặc số CCCD, mã số BHXH trùng với tệp này nên không có gì "
            "được ghi. Hãy mở lại trang xem trước rồi xác nhận lại."))))
        return result
    batch.confirmed_at = now
    batch.households_created, batch.households_updated = result.households_created, result.households_updated
    batch.people_created, batch.people_updated = result.people_created, result.people_updated
    session.add(batch)
    session.flush()
    record(session, actor, "confirm_import", batch, after=snapshot(batch))
    return result


# --- export and template -----------------------------------------------------------------------------------------


def _cells(record: Household | Person, keys: Iterable[str], labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    cells = {key: getattr(record, key) for key in keys}
    for key, value in cells.items():
        if isinstance(value, Enum):
            cells[key] = labels[key][value.value]
    return cells


def export_rows(session: Session, villages: list[Village], *, with_village: bool) -> Iterator[list[Any]]:
    """The villages' active households and people in :data:`COLUMNS` order, one row per person (a household
    without people gets one row); the household's notes on its first row only."""
    labels = columns.file_labels()
    names = {v.id: v.name for v in villages}
    order = {v.id: i for i, v in enumerate(villages)}
    households = sorted(session.exec(
        select(Household).where(Household.village_id.in_(list(names)), Household.archived_at.is_(None))
    ).all(), key=lambda h: (order[h.village_id], h.code))
    people: dict[int, list[Person]] = defaultdict(list)
    for person in session.exec(
        select(Person).join(Household, Household.id == Person.household_id)
        .where(Household.village_id.in_(list(names)), Household.archived_at.is_(None), Person.archived_at.is_(None))
    ).all():
        people[person.household_id].append(person)
    for household in households:
        members = sorted(people[household.id], key=lambda p: (p.relation != Relation.HEAD, p.birth_year, p.id))
        base = _cells(household, ("code", *columns.HOUSEHOLD_KEYS), labels)
        for i, person in enumerate(members or [None]):
            cells = {**base, **(_cells(person, columns.PERSON_KEYS, labels) if person else {}),
                     "notes": household.notes if i == 0 else None}
            row = [cells.get(c.key) for c in COLUMNS]
            yield [names[household.village_id], *row] if with_village else row


def export_workbook(session: Session, villages: list[Village], *, actor: User,
                    subject: Village | Commune) -> bytes:
    """The list of one village, or of a commune with a "Thôn" column first, as a working file for re-import:
    identifiers in full (only officials and admins may export). The export is audited: it is personal data."""
    with_village = isinstance(subject, Commune)
    sheet_columns = _sheet_columns()
    if with_village:
        sheet_columns = [Column(columns.VILLAGE.heading, columns.VILLAGE.width), *sheet_columns]
    rows = list(export_rows(session, villages, with_village=with_village))
    record(session, actor, "export", subject, after={"rows": len(rows)})
    return workbook_bytes([Table(title=SHEET_TITLE, columns=sheet_columns, rows=rows)])


def _sheet_columns() -> list[Column]:
    """The file's columns as the writer takes them: identifiers and phone numbers as text (leading zeros)."""
    return [Column(c.heading, c.width, TEXT if i in columns.TEXT_COLUMNS else GENERAL)
            for i, c in enumerate(COLUMNS)]


def commune_villages(session: Session, user: User, commune_id: Optional[int]) -> tuple[Commune, list[Village]]:
    """The commune to export (an official's own; for an admin the one asked for) and its villages; 404 otherwise."""
    if user.role != Role.ADMIN:
        commune_id = user.commune_id
    commune = session.get(Commune, commune_id) if commune_id else None
    if commune is None:
        abort(404)
    villages = session.exec(
        select(Village).where(Village.commune_id == commune.id, village_scope(user)).order_by(Village.code)
    ).all()
    return commune, list(villages)


EXAMPLE: dict[str, Any] = {
    "code": "T01-0001", "head_name": "Nguyễn Văn Bình", "address": "Số 12, ngõ 3, đường Lý Thái Tổ",
    "hamlet_group": "Xóm Đông", "phone": "0912345678", "poverty": Poverty.NEAR_POOR,
    "full_name": "Nguyễn Văn Bình", "relation": Relation.HEAD, "birth_date": date(1978, 5, 9), "birth_year": 1978,
    "sex": Sex.MALE, "cccd": "027078001234", "bhxh_code": "2708123456", "ethnicity": "Kinh",
    "occupation": "Làm ruộng", "bhyt_status": BhytStatus.HOUSEHOLD, "bhyt_card_expiry": date(2026, 12, 31),
    "bhxh_status": BhxhStatus.NONE, "notes": None,
}


def _example_row() -> list[Any]:
    labels = columns.file_labels()
    return [labels[c.key][EXAMPLE[c.key].value] if c.enum else EXAMPLE[c.key] for c in COLUMNS]


def _guide() -> dict[str, str]:
    def one_of(enum_cls: type[Enum]) -> str:
        return str(_l("Một trong: %(values)s.", values=columns.choice_labels(enum_cls)))

    return {
        "code": str(_l("Mã riêng của hộ trong thôn, ví dụ T01-0001. Những người cùng hộ ghi cùng mã hộ. Mã hộ đã có "
                       "trong thôn thì hộ đó được cập nhật, không tạo hộ mới.")),
        "head_name": str(_l("Họ tên đầy đủ, có dấu, của chủ hộ. Các dòng cùng hộ ghi giống nhau hoặc để trống.")),
        "address": str(_l("Số nhà, ngõ, đường (không bắt buộc).")),
        "hamlet_group": str(_l("Xóm, tổ hoặc cụm trong thôn (không bắt buộc).")),
        "phone": str(_l("10 chữ số, bắt đầu bằng 0. Cột đã định dạng Văn bản (Text) để giữ số 0 ở đầu.")),
        "poverty": one_of(Poverty) + " " + str(_l("Để trống là Không.")),
        "full_name": str(_l("Họ tên đầy đủ, có dấu, của người trong hộ; mỗi người một dòng.")),
        "relation": one_of(Relation),
        "birth_date": str(_l("Dạng dd/mm/yyyy, ví dụ 05/09/1980. Nếu không rõ ngày, để trống và ghi Năm sinh.")),
        "birth_year": str(_l("Năm có 4 chữ số. Bắt buộc khi không có Ngày sinh; phải khớp với Ngày sinh nếu ghi cả "
                             "hai.")),
        "sex": one_of(Sex),
        "cccd": str(_l("Đúng 12 chữ số. Cột đã định dạng Văn bản (Text) để giữ số 0 ở đầu.")),
        "bhxh_code": str(_l("Đúng 10 chữ số, in trên sổ BHXH hoặc thẻ BHYT. Cột đã định dạng Văn bản (Text).")),
        "ethnicity": str(_l("Để trống là Kinh.")),
        "occupation": str(_l("Không bắt buộc.")),
        "bhyt_status": one_of(BhytStatus),
        "bhyt_card_expiry": str(_l("Ngày hết hạn in trên thẻ BHYT, dạng dd/mm/yyyy.")),
        "bhxh_status": one_of(BhxhStatus),
        "notes": str(_l("Ghi chú về hộ (không bắt buộc). Ghi chú của các dòng cùng hộ được nối lại.")),
    }


def _guide_rows() -> Iterable[list[Any]]:
    guide = _guide()
    required, optional = str(_l("Bắt buộc")), str(_l("Không bắt buộc"))
    either = str(_l("Ngày sinh hoặc Năm sinh"))
    example = _example_row()
    for i, column in enumerate(COLUMNS):
        needed = either if column.key in ("birth_date", "birth_year") else required if column.required else optional
        yield [column.heading, needed, guide[column.key], columns.shown(example[i])]
    yield []
    for note in (
        _l("Mỗi người một dòng. Giữ nguyên dòng tiêu đề; có thể bỏ các cột không bắt buộc."),
        _l("Xoá dòng ví dụ (Nguyễn Văn Bình) trước khi nhập."),
        _l("Ô để trống không xoá thông tin đã có trong ứng dụng; nhập lại cùng một tệp không thay đổi gì."),
        _l("Người đã có được nhận ra theo Số CCCD, rồi Mã số BHXH, rồi họ tên và năm sinh trong cùng hộ."),
        _l("Nhận tệp .xlsx hoặc CSV UTF-8, tối đa 5 MB và 20.000 người. Công thức chỉ được đọc giá trị đã tính."),
        _l("Trước khi ghi, ứng dụng cho xem số hộ, số người sẽ thêm hoặc cập nhật và mọi lỗi theo từng dòng. Chỉ khi "
           "hết lỗi mới xác nhận được, và khi đó mọi dòng được ghi cùng lúc."),
    ):
        yield ["", "", str(note), ""]


def template_workbook() -> bytes:
    """The blank list: headings, one example row, and a "Hướng dẫn" sheet explaining every column."""
    guide = [(str(_l("Cột")), 20), (str(_l("Bắt buộc")), 24), (str(_l("Cách ghi")), 80), (str(_l("Ví dụ")), 30)]
    return workbook_bytes([
        Table(title=SHEET_TITLE, columns=_sheet_columns(), rows=[_example_row()]),
        Table(title="Hướng dẫn", columns=[Column(heading, width, wrap=True) for heading, width in guide],
              rows=list(_guide_rows())),
    ])


def download_name(*parts: str) -> str:
    slug = re.sub(r"[^0-9a-z]+", "-", fold(" ".join(parts))).strip("-")
    return f"danh-sach-ho-{slug or 'xuat'}.xlsx"
