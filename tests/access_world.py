"""Two communes for the access matrix (tests/test_security_access_matrix.py): every kind of record, in village A, in
another village of the same commune, and in another commune, with the seven kinds of user the matrix asks as.

Commune X (07264) has Thôn Khe Mạ (village A: the week of ``reports_world.seed_week``, a printed report, an import
batch, targets split down to a member, events, sponsorships, a visit waiting for an official) and Thôn Nậm Cắt
(village B). Commune Y (00004) has Tổ dân phố số 7 (village C). The users:

========  =======================================================================================================
anon      nobody signed in
a1        a member of village A, responsible for the target household (not the committee head)
a2        another member of village A: the committee head, responsible for another household
b         the head of village B's committee (same commune): as much power as a member has, elsewhere
ox        an official of commune X
oy        an official of commune Y
admin     an administrator
========  =======================================================================================================

Every identifying text is filed under the scope it belongs to (``World.secrets``): a user outside that scope must never
read it, in any answer of any route.
"""

from __future__ import annotations

import html
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from sqlmodel import select

from fieldwork import PROJECT_ROOT
from fieldwork.households import search
from fieldwork.imports import services as imports
from fieldwork.models import (
    AttentionReason,
    Commune,
    Donor,
    DonorKind,
    Indicator,
    OutreachEvent,
    OutreachKind,
    PeriodKind,
    Person,
    PolicyParameter,
    ReportKind,
    Role,
    Scheme,
    Sex,
    Sponsorship,
    SponsorshipStatus,
    Target,
    Visit,
    VisitAttention,
    VisitOutcome,
    utcnow,
)
from fieldwork.models import Report as Archived
from fieldwork.reports import archive
from fieldwork.text import local_today
from tests.imports_files import sample_rows, xlsx
from tests.reports_world import MEMBER_NAMES, seed_week

USERS = ("anon", "a1", "a2", "b", "ox", "oy", "admin")

# Who may read what: the scopes whose texts each kind of user must never see.
FORBIDDEN = {
    "anon": ("village A", "village B", "commune X", "commune Y"),
    "a1": ("village B", "commune Y"),
    "a2": ("village B", "commune Y"),
    "b": ("village A", "commune Y"),
    "ox": ("commune Y",),
    "oy": ("village A", "village B", "commune X"),
    "admin": (),
}

B_MEMBERS = ["Quàng Văn Pọm", "Lường Thị Xuyến", "Cầm Bá Thước"]
B_HEADS = ["Tòng Văn Hặc", "Lò Thị Ỏn"]
C_HEADS = ["Khuất Duy Tiến", "Văn Thị Bưởi"]
SPARE_HEAD = "Đinh Công Tráng"
VILLAGE_A = "Thôn Khe Mạ"
DONOR_X = "Hợp tác xã Chè Tam Tiến"
EVENT_A = "Hội nghị khách hàng xóm Bãi Giữa"
IMPORT_FILE = "danh-sach-khe-ma.xlsx"
TWIN = "Ninh Văn Khoái"  # two records of one person, for the duplicate routes


@dataclass
class World:
    week: object
    users: dict  # kind -> User (no "anon")
    ids: dict  # name -> id of a record the routes are asked about
    secrets: dict = field(default_factory=dict)  # scope -> texts that identify its people and records
    report_pdf: bytes = b""  # village A's printed report, byte for byte

    def forbidden_texts(self, user: str) -> list[str]:
        return [text for scope in FORBIDDEN[user] for text in self.secrets[scope]]


def build_world(app, db, make_village, make_committee, make_user, make_household) -> World:
    today = local_today()
    # --- village A: a seeded week; members[1] is a1, members[2] (made head) is a2, members[3] has no login --------
    seeded = seed_week(db, make_village, make_committee, make_household, name=VILLAGE_A)
    village_a, members, hh = seeded.village, seeded.members, seeded.households
    members[0].is_head, members[2].is_head = False, True
    db.add_all([members[0], members[2]])
    hh_a1 = hh[0]  # Hoàng Văn Bình, a1's
    people_a1 = seeded.people[hh_a1.id]
    head_a1 = db.get(Person, people_a1[0])
    head_a1.cccd, head_a1.bhxh_code = "027080001001", "2708001001"
    db.add(head_a1)
    handed = db.get(Person, seeded.people[hh[4].id][0])  # Đặng Văn Sơn: named in the donor's thank-you letter
    handed.consent_at = utcnow()
    db.add(handed)
    spare = make_household(village_a, head_name=SPARE_HEAD, people=1)  # nobody's: archived, restored, merged
    twins = [Person(household_id=spare.id, full_name=TWIN, birth_year=1991, sex=Sex.MALE) for _ in range(2)]
    db.add_all(twins)
    db.commit()

    x = seeded.commune_id
    official_x = make_user(Role.OFFICIAL, commune_code="07264", name="Cán bộ xã Tam Tiến")
    users = {
        "a1": make_user(Role.MEMBER, village=village_a, member=members[1], name=MEMBER_NAMES[1]),
        "a2": make_user(Role.MEMBER, village=village_a, member=members[2], name=MEMBER_NAMES[2]),
        "ox": official_x,
        "oy": make_user(Role.OFFICIAL, commune_code="00004", name="Cán bộ phường Ba Đình"),
        "admin": make_user(Role.ADMIN, name="Quản trị hệ thống"),
    }

    # --- village B, same commune: its head is user b -------------------------------------------------------------
    village_b = make_village(name="Thôn Nậm Cắt")
    _, members_b = make_committee(village_b, members=len(B_MEMBERS))
    for member, name in zip(members_b, B_MEMBERS):
        member.full_name = name
        db.add(member)
    db.commit()
    users["b"] = make_user(Role.MEMBER, village=village_b, member=members_b[0], name=B_MEMBERS[0])
    hh_b = [make_household(village_b, assigned_to=members_b[0], head_name=n, people=1) for n in B_HEADS]
    people_b = db.exec(select(Person).where(Person.household_id == hh_b[0].id)).first()
    people_b.cccd = "027090002002"
    db.add(people_b)

    # --- village C, commune Y ------------------------------------------------------------------------------------
    village_c = make_village(commune_code="00004", name="Tổ dân phố số 7")
    hh_c = [make_household(village_c, head_name=n, people=1) for n in C_HEADS]
    y = village_c.commune_id
    donor_y = Donor(commune_id=y, name="Nhà thuốc Hồng Hà", kind=DonorKind.BUSINESS, consent_public=True)
    db.add(donor_y)

    # --- events, targets, sponsorships, a visit for an official to look at ----------------------------------------
    when = today - timedelta(days=3)
    event_a = OutreachEvent(commune_id=x, village_id=village_a.id, kind=OutreachKind.MEETING, held_on=when,
                            title=EVENT_A, attendance=40, created_by_id=official_x.id)
    event_x = OutreachEvent(commune_id=x, village_id=None, kind=OutreachKind.BROADCAST, held_on=when,
                            title="Phát thanh về BHXH tự nguyện toàn xã", created_by_id=official_x.id)
    event_b = OutreachEvent(commune_id=x, village_id=village_b.id, kind=OutreachKind.MEETING, held_on=when,
                            title="Họp dân xóm Nà Lừa", attendance=25, created_by_id=official_x.id)
    event_c = OutreachEvent(commune_id=y, village_id=village_c.id, kind=OutreachKind.CEREMONY, held_on=when,
                            title="Lễ trao thẻ tổ dân phố số 7", attendance=30)
    db.add_all([event_a, event_x, event_b, event_c])

    village_target = db.exec(select(Target).where(Target.village_id == village_a.id)).one()
    commune_target = Target(commune_id=x, indicator=village_target.indicator, period_kind=village_target.period_kind,
                            period_start=village_target.period_start, period_end=village_target.period_end,
                            deadline=village_target.deadline, value=25, created_by_id=official_x.id)
    db.add(commune_target)
    db.flush()
    village_target.parent_id = commune_target.id
    member_target = Target(commune_id=x, village_id=village_a.id, member_id=members[1].id,
                           parent_id=village_target.id, indicator=Indicator.NEW_BHXH_TN, period_kind=PeriodKind.YEAR,
                           period_start=village_target.period_start, period_end=village_target.period_end,
                           deadline=village_target.deadline, value=4)
    db.add_all([village_target, member_target])

    donor_x = db.exec(select(Donor).where(Donor.commune_id == x, Donor.consent_public.is_(True))).one()
    donor_x.name = DONOR_X  # the seeded name is also an example in the donor form's hint
    db.add(donor_x)
    month = today.replace(day=1)
    proposed = [Sponsorship(donor_id=donor_x.id, person_id=pid, scheme=Scheme.BHYT_HGD, months=12, from_month=month,
                            amount=1_263_600, status=SponsorshipStatus.PROPOSED, proposed_by_id=users["a1"].id)
                for pid in people_a1]

    visit = db.exec(select(Visit).where(Visit.household_id == hh_a1.id).order_by(Visit.visited_at)).first()
    late = Visit(uuid=str(uuid.uuid4()), household_id=hh_a1.id, member_id=members[1].id,
                 visited_at=utcnow() - timedelta(days=1), outcome=VisitOutcome.CONSIDERING)
    db.add_all(proposed + [late])
    db.flush()
    attention = VisitAttention(visit_id=late.id, reason=AttentionReason.REASSIGNED)
    db.add(attention)
    db.commit()

    # --- a printed report and an uploaded list (both need the app: templates, the instance folder) ----------------
    with app.test_request_context():
        unit = archive.unit_of(db, ReportKind.VILLAGE, db.get(Commune, x), village_a)
        report = archive.freeze(db, unit, seeded.week, today, proposals="Đề nghị hỗ trợ thêm cho hộ cận nghèo",
                                note="", actor=users["a2"])
        batch = imports.create_batch(db, village_a, actor=official_x, filename=IMPORT_FILE,
                                     data=xlsx(sample_rows()))
    search.rebuild(db)
    db.commit()

    parameter = db.exec(select(PolicyParameter).order_by(PolicyParameter.id)).first()
    ids = {
        "village_a": village_a.id, "household_a1": hh_a1.id, "person_a1": head_a1.id, "member_a3": members[3].id,
        "household_spare": spare.id, "person_spare": spare_person(db, spare.id), "twin_1": twins[0].id,
        "twin_2": twins[1].id, "visit_a1": visit.id, "attention_a": attention.id, "event_a": event_a.id,
        "donor_x": donor_x.id, "sponsorship_a": proposed[0].id, "sponsorship_cancel": proposed[1].id,
        "target_village_a": village_target.id, "report_a": report.id, "batch_a": batch.id,
        "parameter": parameter.id, "commune_x": x, "village_b": village_b.id, "village_c": village_c.id,
        "guide_page": "thanh-vien", "guide_image": "thanh-vien-1-dang-nhap.png",  # the user guide's, not records
    }
    secrets = {
        "village A": [h.code for h in hh + [spare]] + [h.head_name for h in hh] + [SPARE_HEAD, TWIN] + MEMBER_NAMES
        + ["027080001001", "2708001001", "Hẹn gặp con trai", event_a.title, IMPORT_FILE]
        + [row["full_name"] for row in sample_rows()[1:]]  # the first one is an example in the donor form's hint
        + ["T05-001", "027075001111"],
        "village B": [h.code for h in hh_b] + B_HEADS + B_MEMBERS + ["027090002002", event_b.title],
        "commune X": list(db.exec(select(Donor.name).where(Donor.commune_id == x)).all())
        + [event_x.title, village_a.name, village_b.name],
        "commune Y": [h.code for h in hh_c] + C_HEADS + [donor_y.name, event_c.title, village_c.name],
    }
    clashes = [t for texts in secrets.values() for t in texts if fold(t) in app_texts()]
    assert not clashes, f"these test texts are also the app's own words, so they prove nothing: {clashes}"
    return World(week=seeded.week, users=users, ids=ids, secrets=secrets,
                 report_pdf=db.get(Archived, report.id).pdf)


@lru_cache(maxsize=1)
def app_texts() -> str:
    """Every word the app itself prints (templates, catalogue, scripts): a secret must not be one of them."""
    files = [*(PROJECT_ROOT / "templates").rglob("*"), *(PROJECT_ROOT / "fieldwork").rglob("*.p[oy]"),
             *(PROJECT_ROOT / "static").rglob("*.js")]
    return fold(" ".join(f.read_text("utf-8", "replace") for f in files if f.is_file()))


def fold(text: str) -> str:
    """How answers are compared: NFC, entities decoded, runs of white space as one space, case folded."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", html.unescape(text))).casefold()


def spare_person(db, household_id: int) -> int:
    return db.exec(select(Person.id).where(Person.household_id == household_id, Person.full_name == SPARE_HEAD)).one()

