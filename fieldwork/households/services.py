"""Household records: what a household page shows. Services flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlmodel import Session, select

from ..models import Assignment, CommitteeMember, Enrolment, Household, Person, Village, Visit


@dataclass
class HouseholdPage:
    household: Household
    village: Village
    people: list[Person]
    responsible: Optional[CommitteeMember]
    visits: list[tuple[Visit, CommitteeMember]]
    enrolments: list[tuple[Enrolment, Person]]


def household_page(session: Session, household: Household) -> HouseholdPage:
    """Everything the household page shows; ``household`` has already been loaded through the user's scope."""
    people = session.exec(
        select(Person)
        .where(Person.household_id == household.id, Person.archived_at.is_(None))
        .order_by(Person.birth_year)
    ).all()
    responsible = session.exec(
        select(CommitteeMember)
        .join(Assignment, Assignment.member_id == CommitteeMember.id)
        .where(Assignment.household_id == household.id, Assignment.valid_to.is_(None))
    ).first()
    visits = session.exec(
        select(Visit, CommitteeMember)
        .join(CommitteeMember, CommitteeMember.id == Visit.member_id)
        .where(Visit.household_id == household.id)
        .order_by(Visit.visited_at.desc())
        .limit(20)
    ).all()
    enrolments = session.exec(
        select(Enrolment, Person)
        .join(Person, Person.id == Enrolment.person_id)
        .where(Person.household_id == household.id)
        .order_by(Enrolment.from_month.desc())
    ).all()
    # Heads first, then by age: how a household is read out in the village.
    people = sorted(people, key=lambda p: (p.relation.value != "head", p.birth_year))
    return HouseholdPage(
        household=household,
        village=session.get(Village, household.village_id),
        people=list(people),
        responsible=responsible,
        visits=list(visits),
        enrolments=list(enrolments),
    )
