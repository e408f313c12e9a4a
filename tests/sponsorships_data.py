"""A commune with donors and people who need a sponsor, and the requests the sponsorship tests send."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from fieldwork.models import Donor, DonorKind, FollowUp, FollowUpKind, Person, Poverty, Role, Sponsorship
from fieldwork.text import local_today

FIRST_MONTH = "2026-12"
# near-poor, BHXH at the poverty line: 22 % × 1,500,000 = 330,000 a month, the state pays 40 % of it (132,000)
NEAR_POOR_MONTHLY = 198_000


@pytest.fixture
def commune(db, make_village, make_committee, make_user, make_household):
    """Xã Tam Tiến: a near-poor household assigned to the signed-in member, another member's household, an
    official, and two donors of the commune."""
    village = make_village(name="Thôn Đồng Bông")
    _, members = make_committee(village)
    household = make_household(village, assigned_to=members[1], people=3, head_name="Hoàng Văn Nam")
    household.poverty = Poverty.NEAR_POOR
    db.add(household)
    people = db.exec(select(Person).where(Person.household_id == household.id).order_by(Person.id)).all()
    for person, name in zip(people, ("Hoàng Văn Nam", "Lò Thị Sương", "Hoàng Văn Bình")):
        person.full_name = name
        db.add(person)
    elsewhere = make_household(village, assigned_to=members[2], people=2, head_name="Trần Thị Mai")
    bank = Donor(commune_id=village.commune_id, name="Ngân hàng Chính sách xã hội", kind=DonorKind.BANK)
    company = Donor(commune_id=village.commune_id, name="Công ty TNHH Minh Phát", kind=DonorKind.BUSINESS,
                    consent_public=True)
    db.add_all([bank, company])
    db.commit()
    return {
        "village": village, "members": members, "household": household, "people": people, "elsewhere": elsewhere,
        "member": make_user(Role.MEMBER, village=village, member=members[1], name="Thành Viên Phụ Trách"),
        "other_member": make_user(Role.MEMBER, village=village, member=members[2]),
        "official": make_user(Role.OFFICIAL, name="Cán Bộ Xã"),
        "bank": bank, "company": company,
    }


def needs_sponsor(db, person: Person, member=None, household_id: int | None = None) -> FollowUp:
    """The task a visit "refused: cannot afford" leaves (for one person, or the household when person is None)."""
    task = FollowUp(household_id=household_id or person.household_id, person_id=person.id if person else None,
                    member_id=member.id if member else None, kind=FollowUpKind.NEEDS_SPONSOR,
                    due_on=local_today())
    db.add(task)
    db.commit()
    return task


def propose(client, person: Person, donor: Donor, **over):
    data = {"donor_id": str(donor.id), "scheme": "bhxh_tn", "months": "12", "from_month": FIRST_MONTH,
            "income": "1500000", "amount": "", "notes": "", **over}
    return client.post_form(f"/nguoi/{person.id}/tai-tro/moi", data)


def step(client, sponsorship_id: int, path: str, **data):
    return client.post_form(f"/tai-tro/{sponsorship_id}/{path}", data)


def today_iso() -> str:
    return local_today().isoformat()


def only_sponsorship(db) -> Sponsorship:
    db.expire_all()
    return db.exec(select(Sponsorship)).one()


def paid_through(client, sponsorship_id: int, *, income: str = "1500000", on: str | None = None):
    """Approve and record the payment (the official is signed in)."""
    assert step(client, sponsorship_id, "duyet").status_code == 302
    return step(client, sponsorship_id, "da-nop", paid_on=on or today_iso(), income=income, receipt_no="BL-77")


def month(text: str) -> date:
    year, mon = text.split("-")
    return date(int(year), int(mon), 1)
