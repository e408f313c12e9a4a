"""One search box over households and people, folded for Vietnamese, scoped, indexed on both databases.

Each household and person has a row in ``search_entry``: ``doc`` holds its folded words, ``scope`` the tokens
``v<village id>`` and ``c<commune id>``. A query is folded the same way; every word but the last must match whole and
the last one, still being typed, as a prefix; the user's scope token is one more required term, so the full-text
index alone finds and scopes the rows: SQLite through FTS5 (column filters keep typed words off the scope tokens),
PostgreSQL through a GIN index on ``doc`` weighted A and ``scope`` weighted B. No ORDER BY: the index stops after
``limit`` rows instead of ranking every match (measured in bench/README.md: p95 from 0.5–3 s to 10–35 ms at
2,000,000 people).
"""

from __future__ import annotations

import re
from collections import namedtuple
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import and_, bindparam, text
from sqlmodel import Session, delete, select

from ..models import Household, Person, Role, SearchEntry, User, Village
from ..text import fold

MAX_TERMS = 6
_WORD = re.compile(r"[0-9a-z]+")


def _words(*parts: Optional[str]) -> list[str]:
    return [w for part in parts if part for w in _WORD.findall(fold(part))]


def household_doc(household: Household) -> str:
    return " ".join(_words(household.head_name, household.code, household.phone, household.hamlet_group))


def person_doc(person: Person, household: Household) -> str:
    return " ".join(_words(person.full_name, person.cccd, person.bhxh_code, household.code))


def scope_doc(village_id: int, commune_id: int) -> str:
    return f"v{village_id} c{commune_id}"


def _upsert(session: Session, entity: str, entity_id: int, household: Household, doc: str, commune_id: int) -> None:
    entry = session.exec(
        select(SearchEntry).where(SearchEntry.entity == entity, SearchEntry.entity_id == entity_id)
    ).first()
    if entry is None:
        entry = SearchEntry(entity=entity, entity_id=entity_id, household_id=household.id,
                            village_id=household.village_id, doc=doc)
    else:
        entry.household_id, entry.village_id, entry.doc = household.id, household.village_id, doc
    entry.scope = scope_doc(household.village_id, commune_id)
    session.add(entry)


def _commune_of(session: Session, village_id: int) -> int:
    return session.exec(select(Village.commune_id).where(Village.id == village_id)).one()


def index_household(session: Session, household: Household, *, with_people: bool = False) -> None:
    """(Re)write the search rows of a household, and of its people when their scope changed (a move)."""
    session.flush()
    commune_id = _commune_of(session, household.village_id)
    if household.archived_at is not None:
        unindex_household(session, household)
        return
    _upsert(session, "household", household.id, household, household_doc(household), commune_id)
    if with_people:
        people = session.exec(select(Person).where(Person.household_id == household.id)).all()
        for person in people:
            if person.archived_at is None:
                _upsert(session, "person", person.id, household, person_doc(person, household), commune_id)
    session.flush()


def index_person(session: Session, person: Person, household: Household) -> None:
    session.flush()
    if person.archived_at is not None:
        session.exec(delete(SearchEntry).where(SearchEntry.entity == "person", SearchEntry.entity_id == person.id))
        return
    commune_id = _commune_of(session, household.village_id)
    _upsert(session, "person", person.id, household, person_doc(person, household), commune_id)
    session.flush()


def unindex_household(session: Session, household: Household) -> None:
    session.exec(delete(SearchEntry).where(SearchEntry.household_id == household.id))
    session.flush()


# --- querying ----------------------------------------------------------------------------------------------------


# What a result shows of a household and of a person.
HIT_HOUSEHOLD = (Household.id, Household.village_id, Household.code, Household.head_name, Household.hamlet_group,
                 Household.phone)
HIT_PERSON = (Person.id, Person.household_id, Person.full_name, Person.birth_year, Person.cccd)


HouseholdHit = namedtuple("HouseholdHit", [c.key for c in HIT_HOUSEHOLD])
PersonHit = namedtuple("PersonHit", [c.key for c in HIT_PERSON])

# The entries found, their household and, for a person's entry, the person: built once (see security.py).
_HITS = (select(SearchEntry.id.label("entry_id"), SearchEntry.entity, SearchEntry.entity_id, SearchEntry.household_id,
                *[c.label(f"h_{c.key}") for c in HIT_HOUSEHOLD], *[c.label(f"p_{c.key}") for c in HIT_PERSON])
         .join(Household, Household.id == SearchEntry.household_id)
         .outerjoin(Person, and_(SearchEntry.entity == "person", Person.id == SearchEntry.entity_id))
         .where(SearchEntry.id.in_(bindparam("ids", expanding=True))))


@dataclass
class SearchHit:
    entity: str  # "household" | "person"
    household: HouseholdHit  # the columns of HIT_HOUSEHOLD
    person: Optional[PersonHit]  # the columns of HIT_PERSON


def query_terms(query: str) -> list[str]:
    return _WORD.findall(fold(query))[:MAX_TERMS]


def scope_term(user: User) -> Optional[str]:
    """The token every result must carry; None for an admin; "" for a user with no scope (finds nothing)."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.MEMBER:
        return f"v{user.village_id}" if user.village_id else ""
    return f"c{user.commune_id}" if user.commune_id else ""


PG_VECTOR = "(setweight(to_tsvector('simple', doc), 'A') || setweight(to_tsvector('simple', scope), 'B'))"


def _matching_ids(session: Session, terms: list[str], scope: Optional[str], limit: int) -> list[int]:
    """Every word but the last is whole; the last, being typed, is a prefix; the scope token is required."""
    *whole, last = terms
    if session.get_bind().dialect.name == "sqlite":
        words = " AND ".join([f'"{t}"' for t in whole] + [f'"{last}"*'])
        match = f"doc : ({words})" + (f' AND scope : "{scope}"' if scope else "")
        sql = text("SELECT rowid FROM search_fts WHERE search_fts MATCH :q LIMIT :n")
        return list(session.connection().execute(sql, {"q": match, "n": limit}).scalars())
    if scope and not any(ch.isdigit() for ch in last):
        # A prefix of a common name (nguyen:*) makes GIN collect ~1M rows; the scope's rows are few, so find the
        # whole words and the scope through the index and check the last word on those rows.
        sql = text(f"SELECT id FROM search_entry WHERE {PG_VECTOR} @@ to_tsquery('simple', :q) "
                   "AND ' ' || doc LIKE :last LIMIT :n")
        params = {"q": " & ".join([f"{t}:A" for t in whole] + [f"{scope}:B"]), "last": f"% {last}%", "n": limit}
    else:
        sql = text(f"SELECT id FROM search_entry WHERE {PG_VECTOR} @@ to_tsquery('simple', :q) LIMIT :n")
        params = {"q": " & ".join([f"{t}:A" for t in whole] + [f"{last}:*A"] + ([f"{scope}:B"] if scope else [])),
                  "n": limit}
    return list(session.connection().execute(sql, params).scalars())


def search(session: Session, user: User, query: str, limit: int = 20) -> list[SearchHit]:
    """Households and people matching every word of ``query`` (as prefixes), within ``user``'s scope."""
    terms = query_terms(query)
    scope = scope_term(user)
    if not terms or scope == "":
        return []
    ids = _matching_ids(session, terms, scope, limit)
    if not ids:
        return []
    # One statement for what the results show: rows, not ORM objects (search runs as the member types).
    rows = session.exec(_HITS, params={"ids": ids}).all()
    order = {entry_id: i for i, entry_id in enumerate(ids)}
    rows = sorted(rows, key=lambda r: (r.entity != "household", order[r.entry_id]))
    width = len(HIT_HOUSEHOLD)
    return [
        SearchHit(entity=r.entity, household=HouseholdHit(*r[4:4 + width]),
                  person=PersonHit(*r[4 + width:]) if r.entity == "person" and r.p_id is not None else None)
        for r in rows
    ]


def rebuild(session: Session, village_ids: Optional[list[int]] = None, chunk: int = 5000) -> int:
    """Rewrite the search rows (and people's folded-name keys) of the given villages, or of all, in bulk.

    For data written without the services: the demo, bulk loads, benchmarks. Returns the number of rows indexed.
    """
    from sqlalchemy import insert, update

    session.flush()
    where_village = Household.village_id.in_(village_ids) if village_ids is not None else True
    communes = dict(session.exec(select(Village.id, Village.commune_id)).all())
    if village_ids is not None:
        session.exec(delete(SearchEntry).where(SearchEntry.village_id.in_(village_ids)))
    else:
        session.exec(delete(SearchEntry))
    households = session.exec(select(Household).where(where_village, Household.archived_at.is_(None))).all()
    by_id = {h.id: h for h in households}
    rows = [
        {"entity": "household", "entity_id": h.id, "household_id": h.id, "village_id": h.village_id,
         "doc": household_doc(h), "scope": scope_doc(h.village_id, communes[h.village_id])}
        for h in households
    ]
    people = session.exec(
        select(Person).join(Household, Household.id == Person.household_id)
        .where(where_village, Household.archived_at.is_(None), Person.archived_at.is_(None))
    ).all()
    keys = []
    for p in people:
        h = by_id[p.household_id]
        rows.append({"entity": "person", "entity_id": p.id, "household_id": h.id, "village_id": h.village_id,
                     "doc": person_doc(p, h), "scope": scope_doc(h.village_id, communes[h.village_id])})
        if p.name_key != fold(p.full_name):
            keys.append({"id": p.id, "name_key": fold(p.full_name)})
    for start in range(0, len(keys), chunk):
        session.execute(update(Person), keys[start:start + chunk])
    for start in range(0, len(rows), chunk):
        session.execute(insert(SearchEntry), rows[start:start + chunk])
    session.flush()
    return len(rows)
