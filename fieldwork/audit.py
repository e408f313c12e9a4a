"""The audit trail: who changed what, when, with the values before and after."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any, Optional

from sqlmodel import Session, SQLModel

from .models import AuditEvent, User


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def snapshot(obj: SQLModel, fields: Optional[list[str]] = None) -> dict[str, Any]:
    """A JSON-ready copy of a record's columns, to store as "before" or "after"."""
    data = obj.model_dump(include=set(fields) if fields else None)
    return {k: _plain(v) for k, v in data.items() if k != "password_hash"}


def record(
    session: Session,
    actor: Optional[User],
    action: str,
    obj: SQLModel,
    *,
    before: Optional[dict] = None,
    after: Optional[dict] = None,
    ip: Optional[str] = None,
) -> AuditEvent:
    event = audit_event(actor, action, obj, before=before, after=after, ip=ip)
    session.add(event)
    return event


def audit_event(actor: Optional[User], action: str, obj: SQLModel, *, before: Optional[dict] = None,
                after: Optional[dict] = None, ip: Optional[str] = None) -> AuditEvent:
    """The audit line :func:`record` adds, not added to any session (for callers that insert it themselves)."""
    return AuditEvent(
        user_id=actor.id if actor is not None else None,
        action=action,
        entity=obj.__tablename__,  # type: ignore[attr-defined]
        entity_id=getattr(obj, "id", None),
        before=before,
        after=after,
        ip=ip,
    )
