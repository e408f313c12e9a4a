"""The weekly job: every report of a week printed and archived, for hamlet meetings that want it on Monday."""

from __future__ import annotations

from datetime import date
from typing import Optional

from flask import current_app
from sqlalchemy import or_
from sqlmodel import Session, select

from ..models import Commune, Report as Archived, ReportKind, Village
from . import archive
from .week import Week


def freeze_week(session: Session, week: Week, today: date, commune_code: Optional[str] = None) -> tuple[int, int]:
    """(printed, already printed); the caller commits, so a failure leaves the week as it was."""
    query = select(Commune).where(Commune.id.in_(select(Village.commune_id)))
    if commune_code:
        query = query.where(Commune.code == commune_code)
    done = {(k, w) for k, w in session.exec(select(Archived.unit_key, Archived.week_start)
                                            .where(Archived.week_start == week.first)).all()}
    printed = skipped = 0
    with current_app.test_request_context():  # templates render as for a request (Babel, context processors)
        for commune in session.exec(query.order_by(Commune.code)).all():
            p, s = _freeze_commune(session, commune, week, today, done)
            printed, skipped = printed + p, skipped + s
    return printed, skipped


def _freeze_commune(session: Session, commune: Commune, week: Week, today: date, done: set) -> tuple[int, int]:
    villages = session.exec(select(Village).where(
        Village.commune_id == commune.id, or_(Village.valid_to.is_(None), Village.valid_to >= week.first))
        .order_by(Village.code)).all()
    units = [archive.unit_of(session, ReportKind.VILLAGE, commune, v) for v in villages]
    units.append(archive.unit_of(session, ReportKind.COMMUNE, commune))
    todo = [u for u in units if (u.key, week.first) not in done]
    for unit in todo:
        archive.freeze(session, unit, week, today, proposals="", note="", actor=None)
    return len(todo), len(units) - len(todo)
