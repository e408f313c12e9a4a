"""What each role's home page shows, built completely before rendering."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import bindparam, func
from sqlmodel import Session, select

from ..db import read_rows
from ..models import (
    Committee,
    CommitteeMember,
    Commune,
    Household,
    Person,
    Province,
    User,
    Village,
)
from ..security import member_record, village_scope
from ..text import local_today
from ..worklist.services import Worklist, worklist


@dataclass
class VillageRow:
    village: Village
    households: int
    people: int
    members: int
    head_name: Optional[str]


@dataclass
class OfficialHome:
    commune: Commune
    province: Province
    villages: list[VillageRow] = field(default_factory=list)

    @property
    def households(self) -> int:
        return sum(v.households for v in self.villages)

    @property
    def people(self) -> int:
        return sum(v.people for v in self.villages)


@dataclass
class MemberHome:
    member: Optional[CommitteeMember]
    village: Optional[Village]
    work: Optional[Worklist]
    filters: dict = field(default_factory=dict)


# The official home's statements, built once with bound parameters (the dashboard builds it on every rebuild).
_HOUSEHOLDS_BY_VILLAGE = (select(Household.village_id, func.count(Household.id))
                          .where(Household.village_id.in_(bindparam("ids", expanding=True)),
                                 Household.archived_at.is_(None))
                          .group_by(Household.village_id))
_PEOPLE_BY_VILLAGE = (select(Household.village_id, func.count(Person.id))
                      .join(Person, Person.household_id == Household.id)
                      .where(Household.village_id.in_(bindparam("ids", expanding=True)),
                             Household.archived_at.is_(None), Person.archived_at.is_(None))
                      .group_by(Household.village_id))
_COMMITTEES = (select(Committee.village_id, CommitteeMember)
               .join(CommitteeMember, CommitteeMember.committee_id == Committee.id)
               .where(Committee.village_id.in_(bindparam("ids", expanding=True)), Committee.dissolved_on.is_(None),
                      CommitteeMember.left_on.is_(None)))


def official_home(session: Session, user: User, people: Optional[dict[int, int]] = None) -> OfficialHome:
    """``people``: the people per village when the caller has counted them already (the dashboard's coverage)."""
    commune = session.get(Commune, user.commune_id)
    province = session.get(Province, commune.province_id)
    villages = session.exec(select(Village).where(village_scope(user), Village.merged_into_id.is_(None))
                            .order_by(Village.code)).all()
    ids = [v.id for v in villages]
    households = dict(read_rows(session, _HOUSEHOLDS_BY_VILLAGE, {"ids": ids})) if ids else {}
    if people is None:
        people = dict(read_rows(session, _PEOPLE_BY_VILLAGE, {"ids": ids})) if ids else {}
    members: dict[int, list[CommitteeMember]] = {}
    rows = session.exec(_COMMITTEES, params={"ids": ids}).all() if ids else []
    for village_id, member in rows:
        members.setdefault(village_id, []).append(member)
    return OfficialHome(
        commune=commune,
        province=province,
        villages=[
            VillageRow(
                village=v,
                households=households.get(v.id, 0),
                people=people.get(v.id, 0),
                members=len(members.get(v.id, [])),
                head_name=next((m.full_name for m in members.get(v.id, []) if m.is_head), None),
            )
            for v in villages
        ],
    )


def member_home(session: Session, user: User, *, group: Optional[str] = None, query: Optional[str] = None,
                tier: Optional[int] = None, rows_only: bool = False) -> MemberHome:
    member = member_record(session, user)
    village = session.get(Village, user.village_id) if user.village_id else None
    work = (worklist(session, member, local_today(), group=group, query=query, tier=tier, rows_only=rows_only)
            if member else None)
    return MemberHome(member=member, village=village, work=work, filters={"xom": group, "q": query, "viec": tier})


@dataclass
class AdminHome:
    communes: list[tuple[Commune, int]]  # communes that have villages, with the count
    users: int
    catalogue_communes: int


def admin_home(session: Session) -> AdminHome:
    rows = session.exec(
        select(Commune, func.count(Village.id))
        .join(Village, Village.commune_id == Commune.id)
        .group_by(Commune.id)
        .order_by(Commune.name)
    ).all()
    return AdminHome(
        communes=list(rows),
        users=session.exec(select(func.count(User.id))).one(),
        catalogue_communes=session.exec(select(func.count(Commune.id))).one(),
    )
