"""Printed reports are frozen: their figures and PDF are stored, and download unchanged whatever is corrected later.

Printing a week that already has a printed version issues a new version, which needs a note saying why. Who may
print: the village's committee head for the village report; the commune's officials (and admins) for both.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from datetime import date, datetime
from typing import Any, Optional

from flask import abort
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, func, select

from ..audit import record
from ..models import Commune, Province, Report as Archived, ReportKind, Role, User, Village
from ..security import get_village_for_user
from ..targets.services import commune_for_user, is_village_head
from ..units.services import absorbed_commune_ids
from . import pdf
from .services import Unit, build
from .week import Week

# Everything of an archived report but its PDF: what lists and pages need.
SUMMARY_COLUMNS = (Archived.id, Archived.kind, Archived.commune_id, Archived.village_id, Archived.week_start,
                   Archived.week_end, Archived.version, Archived.note, Archived.prepared_by, Archived.pdf_size,
                   Archived.pdf_sha256, Archived.created_at)


class ReportError(ValueError):
    def __init__(self, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.field = field


def unit_of(session: Session, kind: ReportKind, commune: Commune, village: Optional[Village] = None) -> Unit:
    return Unit(kind, session.get(Province, commune.province_id), commune, village)


def village_unit(session: Session, user: User, village_id: int) -> Unit:
    village = get_village_for_user(session, user, village_id)
    return unit_of(session, ReportKind.VILLAGE, session.get(Commune, village.commune_id), village)


def commune_unit(session: Session, user: User, requested: Optional[int] = None) -> Unit:
    if user.role == Role.MEMBER:
        abort(404)
    return unit_of(session, ReportKind.COMMUNE, commune_for_user(session, user, requested))


def may_print(session: Session, user: User, unit: Unit) -> bool:
    if user.role in (Role.OFFICIAL, Role.ADMIN):
        return True
    return unit.village is not None and is_village_head(session, user, unit.village.id)


def versions(session: Session, unit: Unit, week: Optional[Week] = None) -> list:
    """Printed versions of the unit's reports, newest first (one week, or every week)."""
    query = select(*SUMMARY_COLUMNS).where(_of_unit(unit))
    if week is not None:
        query = query.where(Archived.week_start == week.first)
    return list(session.exec(query.order_by(Archived.week_start.desc(), Archived.version.desc())).all())


def _of_unit(unit: Unit):
    if unit.village is not None:
        return Archived.village_id == unit.village.id
    return (Archived.commune_id == unit.commune.id) & (Archived.kind == ReportKind.COMMUNE)


def get_archived_for_user(session: Session, user: User, report_id: int) -> Archived:
    """A printed report the user may read: a village's through the village scope, a commune's for its officials."""
    row = session.get(Archived, report_id)
    if row is None:
        abort(404)
    if row.village_id is not None:
        get_village_for_user(session, user, row.village_id)
    elif user.role == Role.MEMBER or (user.role == Role.OFFICIAL and (
            user.commune_id is None or row.commune_id not in absorbed_commune_ids(session, user.commune_id))):
        abort(404)  # a merged commune's printed reports stay readable by the officials of the commune it joined
    return row


def plain(value: Any) -> Any:
    """The report as JSON-ready values: records as dicts, enums as their values, dates as ISO text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, SQLModel):
        return {k: plain(v) for k, v in value.model_dump().items()}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    return value


def _next_version(session: Session, unit: Unit, week: Week) -> int:
    latest = session.exec(select(func.max(Archived.version)).where(
        Archived.unit_key == unit.key, Archived.week_start == week.first)).one()
    return (latest or 0) + 1


def freeze(session: Session, unit: Unit, week: Week, today: date, *, proposals: str, note: str,
           actor: Optional[User]) -> Archived:
    """Build the week's report as the data stands, print it, and store figures and PDF as a new version.

    ``actor`` None: the weekly job (``flask reports freeze-week``) printed it.
    """
    version = _next_version(session, unit, week)
    if version > 1 and not note:
        raise ReportError(_("Tuần này đã có bản in %(n)s. Hãy ghi lý do phát hành bản mới (ví dụ: sửa số liệu "
                            "lượt vận động) rồi in lại.", n=version - 1), "note")
    report = build(session, unit, week, today)
    prepared_by = actor.display_name if actor else _("Fieldwork (in tự động hằng tuần)")
    report.proposals, report.prepared_by, report.version, report.note = proposals, prepared_by, version, note
    data = pdf.report_pdf(report)
    row = Archived(kind=unit.kind, commune_id=unit.commune.id, village_id=unit.village.id if unit.village else None,
                   unit_key=unit.key, week_start=week.first, week_end=week.last, version=version, note=note or None,
                   proposals=proposals or None, prepared_by=prepared_by, figures=plain(report), pdf=data,
                   pdf_sha256=hashlib.sha256(data).hexdigest(), pdf_size=len(data),
                   created_by_id=actor.id if actor else None)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as error:  # someone printed the same version a moment ago
        raise ReportError(_("Vừa có người khác in báo cáo tuần này. Hãy tải lại trang để xem bản đã in.")) from error
    record(session, actor, "print", row, after={"unit": unit.key, "week": week.key, "version": version,
                                                "sha256": row.pdf_sha256, "note": note or None})
    return row


def latest_proposals(session: Session, unit: Unit, week: Week) -> str:
    """What the last printed version said under "difficulties and proposals": the start of the next one."""
    text = session.exec(select(Archived.proposals).where(Archived.unit_key == unit.key,
                                                         Archived.week_start == week.first)
                        .order_by(Archived.version.desc())).first()
    return text or ""
