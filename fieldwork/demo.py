"""Demonstration data: one commune (Xã Tam Tiến, Bắc Ninh) with seven villages, their committees, about 1,500
households and 6,000 people, eight weeks of field work, enrolments, sponsors and this year's targets.

Everything is drawn from ``random.Random(seed)`` and dated relative to ``today``, so a given (today, seed) always
builds the same data. Contribution amounts use the dated legal parameters (:mod:`fieldwork.policy`) in force on the
first month paid, like the app's own arithmetic. The builder only adds and flushes: the caller commits.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Optional

from sqlmodel import Session, select

from .auth.services import create_user
from .models import (
    Assignment,
    BhxhStatus,
    BhytStatus,
    Channel,
    Committee,
    CommitteeMember,
    Commune,
    Donor,
    DonorKind,
    Enrolment,
    EnrolmentKind,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Household,
    Indicator,
    Organisation,
    PaymentMode,
    PeriodKind,
    Person,
    Poverty,
    RefusalReason,
    Relation,
    Role,
    Scheme,
    Sex,
    Sponsorship,
    SponsorshipStatus,
    Target,
    User,
    Village,
    VillageKind,
    VisitOutcome,
    Visit,
)
from .policy import parameter
from .text import LOCAL_TZ

DEMO_COMMUNE_CODE = "07264"  # Xã Tam Tiến, Tỉnh Bắc Ninh
DEMO_PASSWORD = "demo-fieldwork-2025"

ADMIN_PHONE = "0900000001"
OFFICIAL_PHONE = "0900000002"
HEAD_PHONE = "0900000003"
MEMBER_PHONE = "0900000004"

HISTORY_DAYS = 56  # eight weeks of field work before today


@dataclass
class DemoLogin:
    role: str  # "admin" | "official" | "member (trưởng ban)" | "member"
    phone: str
    password: str
    name: str
    scope: str  # e.g. "Xã Tam Tiến" or "Thôn Đồng Bông"


@dataclass
class DemoSummary:
    commune_name: str
    villages: int
    households: int
    people: int
    visits: int
    enrolments: int
    sponsorships: int
    logins: list[DemoLogin]


def has_data(session: Session) -> bool:
    """True when the database already holds user data (any village)."""
    return session.exec(select(Village.id).limit(1)).first() is not None


# --- vocabulary ----------------------------------------------------------------------------------------------------

VILLAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Thôn Đồng Bông", ("Xóm Trên", "Xóm Giữa", "Xóm Dưới")),
    ("Thôn Tân Sơn", ("Xóm Đình", "Xóm Chùa")),
    ("Thôn Khuôn Thần", ("Xóm Trên", "Xóm Dưới", "Xóm Núi", "Xóm Đồng")),
    ("Thôn Hố Sâu", ("Xóm Giếng", "Xóm Mới", "Xóm Bãi")),
    ("Thôn Trại Mới", ("Xóm Trại", "Xóm Cầu")),
    ("Thôn Đồng Vương", ("Xóm Trên", "Xóm Giữa", "Xóm Dưới", "Xóm Đồi")),
    ("Thôn Liên Sơn", ("Xóm Đông", "Xóm Tây", "Xóm Gốc Vải")),
)
# Further villages, used only when a bigger commune is asked for (``build_demo(villages=20)``, bench/reports.py).
MORE_VILLAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Thôn Cầu Gạo", ("Xóm Cầu", "Xóm Chợ", "Xóm Bến")),
    ("Thôn Đồng Lạc", ("Xóm Trên", "Xóm Dưới")),
    ("Thôn Đình Cả", ("Xóm Đình", "Xóm Giữa", "Xóm Ngoài")),
    ("Thôn Hòa Bình", ("Xóm Đông", "Xóm Tây")),
    ("Thôn Nội Thôn", ("Xóm Trong", "Xóm Ngoài", "Xóm Bãi")),
    ("Thôn Tân Lập", ("Xóm Mới", "Xóm Đồi", "Xóm Suối")),
    ("Thôn Chùa Vẽ", ("Xóm Chùa", "Xóm Giếng")),
    ("Thôn Đông Lễ", ("Xóm Trên", "Xóm Giữa", "Xóm Dưới")),
    ("Thôn Bãi Dọc", ("Xóm Bãi", "Xóm Đồng", "Xóm Núi", "Xóm Ao")),
    ("Thôn Làng Chẽ", ("Xóm Trên", "Xóm Dưới")),
    ("Thôn Ngọc Châu", ("Xóm Đông", "Xóm Tây", "Xóm Nam")),
    ("Thôn Phúc Lâm", ("Xóm Đình", "Xóm Chợ")),
    ("Thôn Song Khê", ("Xóm Bến", "Xóm Đồng", "Xóm Trại")),
)

# (surname, weight); every surname carries a diacritic. Thân and Giáp are typical of the old Bắc Giang.
SURNAMES_KINH = (
    ("Nguyễn", 30), ("Trần", 9), ("Lê", 7), ("Phạm", 5), ("Hoàng", 4), ("Vũ", 4), ("Đặng", 3), ("Bùi", 3),
    ("Đỗ", 3), ("Ngô", 4), ("Dương", 3), ("Đào", 2), ("Đinh", 2), ("Thân", 4), ("Giáp", 3), ("Hà", 2),
    ("Lương", 1), ("Tạ", 1), ("Trương", 1), ("Lý", 1), ("Phùng", 1), ("Nông", 1),
)
SURNAMES_MINORITY = {
    "Tày": ("Hoàng", "Nông", "Lương", "Hà", "Triệu", "Lục"),
    "Nùng": ("Hoàng", "Nông", "Lý", "Lục", "Triệu", "Lăng"),
    "Sán Dìu": ("Trương", "Lý", "Diệp", "Tạ", "Lưu", "Phùng"),
    "Hoa": ("Lý", "Trương", "Lưu", "Quách", "Diệp"),
}
ETHNICITIES = (("Kinh", 90), ("Tày", 4), ("Nùng", 3), ("Sán Dìu", 2), ("Hoa", 1))

MIDDLE_MALE_OLD = (("Văn", 60), ("Đức", 8), ("Hữu", 6), ("Đình", 6), ("Xuân", 5), ("Quang", 5), ("Công", 5),
                   ("Ngọc", 3), ("Minh", 2))
MIDDLE_MALE_YOUNG = (("Văn", 25), ("Đức", 12), ("Minh", 14), ("Quang", 8), ("Hữu", 6), ("Đình", 6), ("Xuân", 5),
                     ("Thành", 6), ("Tiến", 4), ("Gia", 7), ("Bảo", 7))
MIDDLE_FEMALE_OLD = (("Thị", 92), ("Ngọc", 3), ("Thu", 3), ("Hồng", 2))
MIDDLE_FEMALE_YOUNG = (("Thị", 35), ("Thu", 10), ("Ngọc", 10), ("Thanh", 8), ("Minh", 6), ("Hồng", 6),
                       ("Phương", 6), ("Khánh", 7), ("Bảo", 6), ("Thùy", 6))
GIVEN_MALE = ("Đức", "Hùng", "Dũng", "Tuấn", "Hòa", "Đạt", "Nghĩa", "Khánh", "Đông", "Thắng", "Quân", "Long",
              "Hải", "Sơn", "Tùng", "Bình", "Cường", "Mạnh", "Hiếu", "Trung", "Toàn", "Phúc", "Vinh", "Quyết",
              "Thành", "Chiến", "Lâm", "Hưng", "Tiến", "Nam", "Thịnh", "Kiên", "Hậu", "Tâm", "Lực", "Thuận")
GIVEN_MALE_YOUNG = ("Huy", "Minh", "Khang", "Phúc", "Nam", "Khôi", "Đăng", "Lâm", "An", "Duy", "Hiếu", "Khoa",
                    "Quân", "Đức", "Tú", "Vũ", "Bách", "Hưng", "Long", "Thịnh")
GIVEN_FEMALE = ("Hương", "Lan", "Thảo", "Quỳnh", "Yến", "Trang", "Phương", "Hoa", "Mai", "Hằng", "Nga",
                "Huyền", "Linh", "Thủy", "Hạnh", "Loan", "Nhung", "Oanh", "Dung", "Hà", "Vân", "Liên", "Thúy",
                "Hiền", "Thơm", "Xuân", "Hồng", "Nhàn", "Lý", "Tuyết", "Huế", "Nguyệt", "Sen", "Chinh")
GIVEN_FEMALE_YOUNG = ("Anh", "Linh", "Ngọc", "Vy", "Trang", "Hân", "Chi", "Thư", "Nhi", "An", "My", "Hà",
                      "Diệp", "Uyên", "Hương", "Trâm", "Giang", "Thảo")

OCCUPATIONS_ADULT = (("Làm ruộng", 30), ("Công nhân", 22), ("Làm thuê", 11), ("Buôn bán", 8), ("Chăn nuôi", 5),
                     ("Thợ xây", 6), ("Lao động tự do", 6), ("Nội trợ", 5), ("Trồng vải thiều", 4),
                     ("Giáo viên", 1), ("Nhân viên văn phòng", 2))
EMPLOYEES = {"Công nhân", "Giáo viên", "Nhân viên văn phòng"}
OCCUPATIONS_ELDER = (("Làm ruộng", 45), ("Ở nhà", 25), ("Nội trợ", 15), ("Chăn nuôi", 10), ("Buôn bán", 5))

MEMBER_SLOTS = (
    (Organisation.WOMEN, "Chi hội trưởng Chi hội Phụ nữ"),
    (Organisation.FARMERS, "Chi hội trưởng Chi hội Nông dân"),
    (Organisation.VILLAGE_HEAD, "Trưởng thôn"),
    (Organisation.HEALTH_WORKER, "Nhân viên y tế thôn"),
    (Organisation.VETERANS, "Chi hội trưởng Chi hội Cựu chiến binh"),
    (Organisation.YOUTH, "Bí thư Chi đoàn thanh niên"),
    (Organisation.COLLECTION_AGENT, "Nhân viên thu, Đại lý thu Bưu điện xã"),
)
HEAD_TITLE = "Trưởng ban công tác Mặt trận"

# First visits, by the scheme the member came to talk about: a household card sells more easily than a pension.
OUTCOME_WEIGHTS = {
    Scheme.BHYT_HGD: (
        (VisitOutcome.CONSIDERING, 28), (VisitOutcome.NOT_HOME, 15), (VisitOutcome.AGREED, 30),
        (VisitOutcome.REFUSED, 10), (VisitOutcome.ALREADY_COVERED, 12), (VisitOutcome.MOVED_AWAY, 3),
        (VisitOutcome.DO_NOT_CONTACT, 2),
    ),
    Scheme.BHXH_TN: (
        (VisitOutcome.CONSIDERING, 32), (VisitOutcome.NOT_HOME, 15), (VisitOutcome.AGREED, 11),
        (VisitOutcome.REFUSED, 17), (VisitOutcome.ALREADY_COVERED, 17), (VisitOutcome.MOVED_AWAY, 3),
        (VisitOutcome.DO_NOT_CONTACT, 2),
    ),
    None: ((VisitOutcome.ALREADY_COVERED, 80), (VisitOutcome.NOT_HOME, 12), (VisitOutcome.MOVED_AWAY, 5),
           (VisitOutcome.DO_NOT_CONTACT, 3)),
}
REVISIT_WEIGHTS = {
    Scheme.BHYT_HGD: ((VisitOutcome.AGREED, 50), (VisitOutcome.CONSIDERING, 18), (VisitOutcome.REFUSED, 17),
                      (VisitOutcome.NOT_HOME, 12), (VisitOutcome.DO_NOT_CONTACT, 3)),
    Scheme.BHXH_TN: ((VisitOutcome.AGREED, 30), (VisitOutcome.CONSIDERING, 25), (VisitOutcome.REFUSED, 28),
                     (VisitOutcome.NOT_HOME, 14), (VisitOutcome.DO_NOT_CONTACT, 3)),
    None: ((VisitOutcome.ALREADY_COVERED, 85), (VisitOutcome.NOT_HOME, 15)),
}
SCHEME_OUTCOMES = (VisitOutcome.AGREED, VisitOutcome.CONSIDERING, VisitOutcome.REFUSED)
REASON_WEIGHTS = (
    (RefusalReason.CANNOT_AFFORD, 45), (RefusalReason.NO_TRUST, 15), (RefusalReason.AGE, 14),
    (RefusalReason.HAS_OTHER_INSURANCE, 10), (RefusalReason.FAMILY_AGAINST, 9), (RefusalReason.OTHER, 7),
)
NOTES = {
    VisitOutcome.CONSIDERING: (
        "Gia đình cần bàn thêm, hẹn tuần sau quay lại.",
        "Quan tâm đến lương hưu khi đủ 15 năm đóng, đã để lại tờ rơi mức đóng.",
        "Đang chờ bán lứa lợn để có tiền đóng, hẹn quay lại.",
        "Muốn biết thêm về mức hỗ trợ của Nhà nước, sẽ gọi lại cho cán bộ thu.",
        "Chờ con đi làm gửi tiền về rồi mới quyết định.",
        None,
    ),
    VisitOutcome.NOT_HOME: (
        "Cả nhà đi làm đồng, hẹn hôm sau.",
        "Nhà khóa cửa, hàng xóm cho biết đi làm ca ngày ở khu công nghiệp.",
        "Đi thu hoạch vải, hẹn tối mai quay lại.",
        None,
    ),
    VisitOutcome.AGREED: (
        "Đồng ý tham gia, đã hướng dẫn nộp tiền tại điểm thu của xã.",
        "Hộ đồng ý mua thẻ BHYT cho cả nhà, nhân viên đại lý thu sẽ đến tận nhà thu tiền.",
        "Đồng ý đóng BHXH tự nguyện theo mức chuẩn nghèo nông thôn.",
        "Đã giải thích mức Nhà nước hỗ trợ, gia đình đồng ý tham gia.",
        None,
    ),
    VisitOutcome.ALREADY_COVERED: (
        "Cả hộ đã có thẻ BHYT còn hạn.",
        "Các con đi làm công ty đã có BHXH bắt buộc.",
        "Hộ đã mua thẻ BHYT tại bưu điện tháng trước.",
        None,
    ),
    VisitOutcome.MOVED_AWAY: (
        "Cả hộ đã vào Bình Dương làm ăn, nhà đóng cửa.",
        "Gia đình chuyển sang ở cùng con ở thành phố Bắc Ninh.",
    ),
    VisitOutcome.DO_NOT_CONTACT: (
        "Chủ hộ đề nghị không đến vận động thêm.",
        "Gia đình không muốn cán bộ đến nhà, đề nghị liên hệ qua trưởng thôn nếu cần.",
    ),
}
REFUSAL_NOTES = {
    RefusalReason.CANNOT_AFFORD: (
        "Hộ khó khăn, thu nhập bấp bênh, chưa có tiền đóng; đề xuất tìm nhà hảo tâm hỗ trợ.",
        "Chồng ốm nằm viện, chưa lo được tiền đóng.",
        "Mất mùa vải, chưa có tiền; xin để sang năm.",
    ),
    RefusalReason.NO_TRUST: ("Chưa tin vào chính sách, lo đóng rồi không được hưởng.",),
    RefusalReason.AGE: ("Tuổi đã cao, cho rằng không đủ thời gian đóng để hưởng lương hưu.",),
    RefusalReason.HAS_OTHER_INSURANCE: ("Đã mua bảo hiểm nhân thọ, không muốn tham gia thêm.",),
    RefusalReason.FAMILY_AGAINST: ("Người trong gia đình chưa đồng ý.",),
    RefusalReason.OTHER: ("Sắp đi xuất khẩu lao động, để sau.", "Chưa muốn tham gia, không nói lý do."),
}
HOUSEHOLD_NOTES = (
    "Chủ hộ đi làm xa, liên hệ qua điện thoại.",
    "Trong hộ có người khuyết tật.",
    "Hộ trồng vải thiều, thường bận vào tháng 6, tháng 7.",
    "Gia đình có con đi xuất khẩu lao động ở Nhật Bản.",
    "Người cao tuổi sống một mình, cần quan tâm.",
)

DONORS = (
    ("Ngân hàng Agribank chi nhánh Yên Thế", DonorKind.BANK, "Nguyễn Văn Quyết", True),
    ("Công ty TNHH May Tân Yên", DonorKind.BUSINESS, "Trần Thị Thu Hằng", True),
    ("Hội Chữ thập đỏ xã Tam Tiến", DonorKind.MASS_ORGANISATION, "Giáp Văn Tuấn", True),
    ("Ủy ban Mặt trận Tổ quốc Việt Nam xã Tam Tiến", DonorKind.MASS_ORGANISATION, "Thân Văn Hòa", True),
    ("Các đồng chí lãnh đạo Đảng ủy, UBND xã Tam Tiến", DonorKind.OFFICIAL, "Lê Minh Đức", True),
    ("Bà Ngô Thị Thơm (nhà hảo tâm)", DonorKind.PERSON, "Ngô Thị Thơm", True),
    ("Ông Dương Văn Thịnh (nhà hảo tâm, không công khai tên)", DonorKind.PERSON, "Dương Văn Thịnh", False),
)

OFFICIAL_NAME = "Nguyễn Thị Hồng Nhung"
ADMIN_NAME = "Quản trị hệ thống"


# --- small helpers -------------------------------------------------------------------------------------------------


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _bp(amount: int, basis_points: int) -> int:
    """amount × basis_points / 10,000, rounded half up to the dong (amounts are never negative here)."""
    return (amount * basis_points + 5000) // 10000


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _last_day(from_month: date, months: int) -> date:
    return _add_months(from_month, months) - timedelta(days=1)


def _age(person: Person, today: date) -> int:
    if person.birth_date is None:
        return today.year - person.birth_year
    b = person.birth_date
    return today.year - b.year - ((today.month, today.day) < (b.month, b.day))


def _lower_first(text: str) -> str:
    """"Thôn Đồng Bông" → "thôn Đồng Bông", for use inside a sentence."""
    return text[:1].lower() + text[1:]


def _weighted(rng: random.Random, pairs: tuple) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


# --- plans: the ORM rows of one household, with what the simulation needs alongside ------------------------------


@dataclass
class _MemberPlan:
    row: CommitteeMember
    households: list["_HouseholdPlan"] = field(default_factory=list)


@dataclass
class _HouseholdPlan:
    row: Household
    people: list[Person]
    ethnicity: str
    village: "_VillagePlan"
    member: Optional[_MemberPlan] = None
    created: Optional[datetime] = None
    visits: list[Visit] = field(default_factory=list)
    refused_cannot_afford: list[Visit] = field(default_factory=list)
    sponsor_tasks: list[FollowUp] = field(default_factory=list)


@dataclass
class _VillagePlan:
    row: Village
    xom: tuple[str, ...]
    committee: Optional[Committee] = None
    members: list[_MemberPlan] = field(default_factory=list)
    households: list[_HouseholdPlan] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    enrolments: list[Enrolment] = field(default_factory=list)
    sponsorships: list[Sponsorship] = field(default_factory=list)


class _Builder:
    def __init__(self, session: Session, today: date, seed: int) -> None:
        self.session = session
        self.today = today
        self.rng = random.Random(seed)
        self.phones: set[str] = {ADMIN_PHONE, OFFICIAL_PHONE, HEAD_PHONE, MEMBER_PHONE}
        self.cccds: set[str] = set()
        self.bhxh_codes: set[str] = set()
        self.receipt_no = 0
        self._params: dict[tuple[str, date], int] = {}
        # Foreign keys to fill once the referenced row has its id: id(row) → [(attribute, referenced row)].
        self._links: dict[int, list[tuple[str, Any]]] = {}
        self.person_household: dict[int, _HouseholdPlan] = {}

    # -- infrastructure -------------------------------------------------------------------------------------------

    def param(self, key: str, on: date) -> int:
        cache_key = (key, on)
        if cache_key not in self._params:
            self._params[cache_key] = parameter(self.session, key, on)
        return self._params[cache_key]

    def link(self, row: Any, **refs: Any) -> None:
        self._links.setdefault(id(row), []).extend(refs.items())

    def write(self, rows: list[Any]) -> None:
        for row in rows:
            for attr, ref in self._links.pop(id(row), ()):
                setattr(row, attr, ref.id)
        self.session.add_all(rows)
        self.session.flush()

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def phone(self) -> str:
        while True:
            prefix = self.rng.choice(("09", "09", "03", "03", "08"))
            number = prefix + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def cccd(self, sex: Sex, year: int) -> str:
        century = 0 if year < 2000 else 2
        prefix = f"024{century + (1 if sex is Sex.FEMALE else 0)}{year % 100:02d}"
        while True:
            number = prefix + f"{self.rng.randrange(10**6):06d}"
            if number not in self.cccds:
                self.cccds.add(number)
                return number

    def bhxh_code(self) -> str:
        while True:
            number = "24" + f"{self.rng.randrange(10**8):08d}"
            if number not in self.bhxh_codes:
                self.bhxh_codes.add(number)
                return number

    def instant(self, day: date, first_hour: int = 7, last_hour: int = 19) -> datetime:
        """A daytime moment of ``day`` in Vietnam, as UTC."""
        local = datetime.combine(day, time(self.rng.randint(first_hour, last_hour - 1), self.rng.randrange(60)))
        return local.replace(tzinfo=LOCAL_TZ).astimezone(timezone.utc)

    def history_day(self, earliest: int = HISTORY_DAYS, latest: int = 1) -> date:
        return self.today - timedelta(days=self.rng.randint(latest, earliest))

    # -- names ----------------------------------------------------------------------------------------------------

    def surname(self, ethnicity: str = "Kinh") -> str:
        if ethnicity != "Kinh" and self.rng.random() < 0.8:
            return self.rng.choice(SURNAMES_MINORITY[ethnicity])
        return _weighted(self.rng, SURNAMES_KINH)

    def full_name(self, surname: str, sex: Sex, birth_year: int) -> str:
        young = birth_year >= 1990
        if sex is Sex.MALE:
            middle = _weighted(self.rng, MIDDLE_MALE_YOUNG if young else MIDDLE_MALE_OLD)
            pool = GIVEN_MALE_YOUNG if birth_year >= 2005 else GIVEN_MALE
        else:
            middle = _weighted(self.rng, MIDDLE_FEMALE_YOUNG if young else MIDDLE_FEMALE_OLD)
            pool = GIVEN_FEMALE_YOUNG if birth_year >= 2005 else GIVEN_FEMALE
            if middle == "Thị" and not young and self.rng.random() < 0.12:
                middle = "Thị " + self.rng.choice(("Hồng", "Thu", "Kim", "Minh", "Thanh"))
        given = self.rng.choice(pool)
        while given == middle.split()[-1]:
            given = self.rng.choice(pool)
        return _nfc(f"{surname} {middle} {given}")

    # -- setup ----------------------------------------------------------------------------------------------------

    def users(self, commune: Commune) -> tuple[User, User]:
        admin = create_user(
            self.session, phone=ADMIN_PHONE, display_name=ADMIN_NAME, role=Role.ADMIN, password=DEMO_PASSWORD
        )
        official = create_user(
            self.session,
            phone=OFFICIAL_PHONE,
            display_name=OFFICIAL_NAME,
            role=Role.OFFICIAL,
            password=DEMO_PASSWORD,
            commune_id=commune.id,
            actor=admin,
        )
        start = self.instant(self.today - timedelta(days=120), 8, 11)
        admin.created_at = start
        official.created_at = start + timedelta(minutes=5)
        return admin, official

    def donors(self, commune: Commune) -> list[Donor]:
        donors = []
        for name, kind, contact, public in DONORS:
            donors.append(
                Donor(
                    commune_id=commune.id,
                    name=_nfc(name),
                    kind=kind,
                    contact_name=_nfc(contact),
                    phone=self.phone(),
                    address=_nfc("Xã Tam Tiến, Tỉnh Bắc Ninh"),
                    consent_public=public,
                    notes=None if public else _nfc("Không nêu tên trong báo cáo và buổi trao tặng."),
                    created_at=self.instant(self.history_day(90, 60)),
                )
            )
        self.write(donors)
        return donors

    # -- committees -----------------------------------------------------------------------------------------------

    def committee(self, plan: _VillagePlan, index: int) -> None:
        rng = self.rng
        established = date(2025, 8, 11) + timedelta(days=rng.randint(0, 9))
        established = min(established, self.today - timedelta(days=HISTORY_DAYS + 14 + rng.randint(0, 9)))
        plan.committee = Committee(
            established_on=established,
            decision_ref=f"{186 + index * 3 + rng.randint(0, 2)}/QĐ-UBND",
            notes=_nfc(f"Thành lập theo Kế hoạch số 52/KH-UBND của UBND xã Tam Tiến về vận động người dân "
                       f"tham gia BHXH, BHYT; ban gồm các đoàn thể của {_lower_first(plan.row.name)}."),
        )
        self.link(plan.committee, village_id=plan.row)
        size = rng.randint(5, 7)
        slots = [MEMBER_SLOTS[0], MEMBER_SLOTS[1], MEMBER_SLOTS[2]]
        slots += rng.sample(MEMBER_SLOTS[3:], size - 1 - len(slots))
        people = [(Organisation.FRONT, HEAD_TITLE, True)] + [(org, title, False) for org, title in slots]
        for org, title, is_head in people:
            if org is Organisation.WOMEN:
                sex = Sex.FEMALE
            elif org in (Organisation.VETERANS, Organisation.FRONT):
                sex = Sex.MALE if rng.random() < 0.8 else Sex.FEMALE
            else:
                sex = rng.choice((Sex.MALE, Sex.FEMALE))
            year = self.today.year - (rng.randint(24, 32) if org is Organisation.YOUTH else rng.randint(40, 66))
            row = CommitteeMember(
                full_name=self.full_name(self.surname(), sex, year),
                phone=self.phone(),
                organisation=org,
                title=_nfc(title),
                is_head=is_head,
                joined_on=established,
            )
            self.link(row, committee_id=plan.committee)
            plan.members.append(_MemberPlan(row))

    # -- households and people ------------------------------------------------------------------------------------

    def new_person(self, hh: _HouseholdPlan, surname: str, sex: Sex, age: int, relation: Relation) -> Person:
        rng = self.rng
        age = max(0, age)
        year = self.today.year - age
        birth_date = None
        if rng.random() < 0.8:
            birth_date = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            if birth_date > self.today:
                birth_date = self.today - timedelta(days=rng.randint(1, 200))
            year = birth_date.year
        person = Person(
            full_name=self.full_name(surname, sex, year),
            birth_date=birth_date,
            birth_year=year,
            sex=sex,
            relation=relation,
            ethnicity=hh.ethnicity,
        )
        hh.people.append(person)
        self.person_household[id(person)] = hh
        return person

    def household(self, plan: _VillagePlan, number: int, xom: str) -> _HouseholdPlan:
        rng = self.rng
        ethnicity = _weighted(rng, ETHNICITIES)
        row = Household(
            code=f"{plan.row.code}-{number:04d}",
            head_name="",
            address=_nfc(f"{xom}, {plan.row.name}, Xã Tam Tiến"),
            hamlet_group=xom,
            phone=self.phone() if rng.random() < 0.86 else None,
            poverty=_weighted(rng, ((Poverty.NONE, 78), (Poverty.POOR, 4), (Poverty.NEAR_POOR, 6),
                                    (Poverty.FARMING_AVERAGE, 10), (Poverty.HARDSHIP, 2))),
            notes=rng.choice(HOUSEHOLD_NOTES) if rng.random() < 0.05 else None,
            village_id=plan.row.id,
        )
        hh = _HouseholdPlan(row=row, people=[], ethnicity=ethnicity, village=plan)
        self.compose(hh)
        row.head_name = hh.people[0].full_name
        hh.created = self.instant(self.today - timedelta(days=HISTORY_DAYS + rng.randint(3, 30)))
        row.created_at = row.updated_at = hh.created
        self.coverage(hh)
        consent = rng.random() < 0.85
        for person in hh.people:
            person.created_at = person.updated_at = hh.created
            if consent:
                person.consent_at = hh.created + timedelta(minutes=rng.randint(1, 40))
                person.consent_note = _nfc("Chủ hộ đồng ý cho ban vận động ghi thông tin của hộ (phiếu giấy).")
        return hh

    def compose(self, hh: _HouseholdPlan) -> None:
        """Head, spouse, children, and sometimes an adult child's family, parents or a sibling; 1 to 7 people."""
        rng = self.rng
        eth = hh.ethnicity
        head_age = rng.randint(*_weighted(rng, (((28, 39), 25), ((40, 54), 35), ((55, 64), 22), ((65, 78), 18))))
        head_sex = Sex.MALE if rng.random() < 0.82 else Sex.FEMALE
        own_surname = self.surname(eth)
        head = self.new_person(hh, own_surname, head_sex, head_age, Relation.HEAD)
        if head_sex is Sex.MALE:
            has_spouse = rng.random() < (0.93 if head_age < 65 else 0.72)
            spouse_age = head_age - rng.randint(0, 6)
            father_surname = own_surname
        else:
            has_spouse = rng.random() < 0.15
            spouse_age = head_age + rng.randint(0, 5)
            father_surname = self.surname(eth)
        mother_age = head_age if head_sex is Sex.FEMALE else spouse_age
        if has_spouse:
            spouse_sex = Sex.FEMALE if head_sex is Sex.MALE else Sex.MALE
            surname = father_surname if spouse_sex is Sex.MALE else self.surname(eth)
            self.new_person(hh, surname, spouse_sex, spouse_age, Relation.SPOUSE)
        # Children still living in the household.
        if head_age <= 45:
            n = _weighted(rng, ((0, 4), (1, 19), (2, 52), (3, 25)))
            lo, hi = 0, max(0, min(mother_age - 20, 22))
        elif head_age <= 60:
            n = _weighted(rng, ((0, 8), (1, 32), (2, 44), (3, 16)))
            lo, hi = max(0, mother_age - 40), max(0, mother_age - 20)
        else:
            n = _weighted(rng, ((0, 38), (1, 47), (2, 15)))
            lo, hi = max(18, mother_age - 42), max(18, mother_age - 22)
        ages = sorted((rng.randint(lo, max(lo, hi)) for _ in range(n)), reverse=True)
        children = []
        for i, age in enumerate(ages):
            married_son = i == 0 and age >= 24 and rng.random() < 0.6
            sex = Sex.MALE if married_son and rng.random() < 0.85 else rng.choice((Sex.MALE, Sex.FEMALE))
            children.append((self.new_person(hh, father_surname, sex, age, Relation.CHILD), age, married_son))
        for child, age, married in children:
            if not married:
                continue
            in_law_sex = Sex.FEMALE if child.sex is Sex.MALE else Sex.MALE
            in_law_age = age - rng.randint(-1, 4) if in_law_sex is Sex.FEMALE else age + rng.randint(0, 4)
            in_law_surname = self.surname(eth)
            self.new_person(hh, in_law_surname, in_law_sex, in_law_age, Relation.CHILD_IN_LAW)
            kid_surname = child.full_name.split()[0] if child.sex is Sex.MALE else in_law_surname
            kid_mother_age = in_law_age if in_law_sex is Sex.FEMALE else age
            for _ in range(_weighted(rng, ((0, 20), (1, 40), (2, 35), (3, 5)))):
                kid_age = rng.randint(0, max(0, min(kid_mother_age - 19, 14)))
                self.new_person(hh, kid_surname, rng.choice((Sex.MALE, Sex.FEMALE)), kid_age, Relation.GRANDCHILD)
        if head_age <= 52 and rng.random() < 0.32:
            both = rng.random() < 0.35
            for parent_sex in ((Sex.MALE, Sex.FEMALE) if both else (rng.choice((Sex.FEMALE, Sex.FEMALE, Sex.MALE)),)):
                age = min(95, head_age + rng.randint(22, 32))
                surname = father_surname if (parent_sex is Sex.MALE and head_sex is Sex.MALE) else (
                    own_surname if parent_sex is Sex.MALE else self.surname(eth))
                self.new_person(hh, surname, parent_sex, age, Relation.PARENT)
        elif head_age <= 40 and not has_spouse and rng.random() < 0.2:
            self.new_person(hh, own_surname, rng.choice((Sex.MALE, Sex.FEMALE)), head_age + rng.randint(-6, 6),
                            Relation.SIBLING)
        if len(hh.people) > 7:
            for person in hh.people[7:]:
                del self.person_household[id(person)]
            del hh.people[7:]
        # Ethnicity: an in-marrying spouse is sometimes Kinh in a minority household, and the reverse is rare.
        for person in hh.people:
            if person.relation in (Relation.SPOUSE, Relation.CHILD_IN_LAW) and eth != "Kinh" and rng.random() < 0.3:
                person.ethnicity = "Kinh"

    def coverage(self, hh: _HouseholdPlan) -> None:
        """Occupation, BHYT and BHXH status as they stand before the eight weeks of field work."""
        rng = self.rng
        today = self.today
        prospects: list[Person] = []
        for person in hh.people:
            age = _age(person, today)
            other_group = False
            if age < 6:
                other_group = True
            elif age < 18:
                person.occupation = "Học sinh"
                other_group = True
            elif age <= 22 and rng.random() < 0.4:
                person.occupation = "Sinh viên"
                other_group = True
            elif age >= 62 and rng.random() < (0.28 if age < 75 else 0.4):
                person.occupation = "Hưu trí"
                person.bhxh_status = BhxhStatus.PENSIONER
                other_group = True
            elif age >= 60:
                person.occupation = _weighted(rng, OCCUPATIONS_ELDER)
                other_group = age >= 80
            else:
                occupation = _weighted(rng, OCCUPATIONS_ADULT)
                if occupation == "Nội trợ" and person.sex is Sex.MALE:
                    occupation = "Làm ruộng"
                person.occupation = occupation
                if occupation in EMPLOYEES:
                    person.bhxh_status = BhxhStatus.COMPULSORY
                    other_group = True
                elif 25 <= age <= 58 and rng.random() < 0.05:
                    person.bhxh_status = BhxhStatus.VOLUNTARY
            if hh.row.poverty is Poverty.POOR:
                other_group = True
            if other_group:
                person.bhyt_status = BhytStatus.OTHER_GROUP
            else:
                prospects.append(person)
            if age >= 14 and rng.random() < 0.96 or 6 <= age < 14 and rng.random() < 0.1:
                person.cccd = self.cccd(person.sex, person.birth_year)
        # Household cards are bought for the whole household at once: one expiry for all who hold one.
        if prospects:
            state = _weighted(rng, (("valid", 79), ("expired", 9), ("never", 12)))
            if state == "valid":
                if rng.random() < 0.15:
                    self.renew_bhyt(hh, prospects)
                else:
                    expiry = _last_day(_month_start(today), 1 + _weighted(
                        rng, tuple((k, 10 if k < 2 else 8) for k in range(12))))
                    for person in prospects:
                        person.bhyt_status = BhytStatus.HOUSEHOLD
                        person.bhyt_card_expiry = expiry
            elif state == "expired":
                expiry = _month_start(today) - timedelta(days=1 + 31 * rng.randint(0, 3))
                expiry = _last_day(_month_start(expiry), 1)
                for person in prospects:
                    person.bhyt_card_expiry = expiry
        for person in hh.people:
            if person.bhxh_status is BhxhStatus.VOLUNTARY:
                if rng.random() < 0.4:
                    self.renew_bhxh(hh, person)
                else:
                    k = _weighted(rng, ((-1, 10), (0, 20), (1, 15), (2, 10), (3, 10), (5, 10), (8, 10), (10, 5)))
                    person.bhxh_paid_until = _last_day(_add_months(_month_start(today), k), 1)
            if person.bhxh_code is None and (
                person.bhyt_status is not BhytStatus.NONE
                or person.bhxh_status is not BhxhStatus.NONE
                or person.bhyt_card_expiry is not None
            ):
                person.bhxh_code = self.bhxh_code()

    # -- contribution arithmetic (the dated parameters in force on the first month paid) ------------------------

    def bhxh_amounts(self, hh: _HouseholdPlan, person: Person, income: int, months: int,
                     on: date) -> tuple[int, int, int]:
        """(total, state support, state share in basis points) of a voluntary social-insurance payment."""
        rate = self.param("bhxh_tn_rate", on)
        if hh.row.poverty is Poverty.POOR:
            share = self.param("bhxh_tn_support_poor", on)
        elif hh.row.poverty is Poverty.NEAR_POOR:
            share = self.param("bhxh_tn_support_near_poor", on)
        elif person.ethnicity != "Kinh":
            share = self.param("bhxh_tn_support_ethnic_minority", on)
        else:
            share = self.param("bhxh_tn_support_other", on)
        line = self.param("rural_poverty_line", on)
        total = _bp(income, rate) * months
        state = _bp(_bp(line, rate), share) * months
        return total, state, share

    def bhyt_monthly(self, rank: int, on: date) -> int:
        first = _bp(self.param("base_salary", on), self.param("bhyt_hgd_rate", on))
        if rank <= 1:
            return first
        return _bp(first, self.param(f"bhyt_hgd_rank_{min(rank, 5)}", on))

    def bhyt_state_share(self, hh: _HouseholdPlan, on: date) -> int:
        if hh.row.poverty is Poverty.NEAR_POOR:
            return self.param("bhyt_support_near_poor", on)
        if hh.row.poverty is Poverty.FARMING_AVERAGE:
            return self.param("bhyt_support_farming_average", on)
        return 0

    # -- enrolments -----------------------------------------------------------------------------------------------

    def next_receipt(self) -> str:
        self.receipt_no += 1
        return f"{self.receipt_no:07d}"

    def bhyt_enrolment(
        self,
        hh: _HouseholdPlan,
        people: list[Person],
        receipt: date,
        months: int,
        kind: EnrolmentKind,
        visit: Optional[Visit] = None,
        member: Optional[_MemberPlan] = None,
        sponsorship: Optional[Sponsorship] = None,
        first_rank: int = 1,
    ) -> list[Enrolment]:
        """Cards for ``people`` (ranked in the order given) from the month after the receipt."""
        from_month = _add_months(_month_start(receipt), 1)
        valid_until = _last_day(from_month, months)
        share = self.bhyt_state_share(hh, from_month)
        created = self.instant(receipt, 8, 17)
        rows = []
        for rank, person in enumerate(people, start=first_rank):
            monthly = self.bhyt_monthly(rank, from_month)
            total = monthly * months
            state = _bp(monthly, share) * months
            other = total - state if sponsorship is not None else 0
            row = Enrolment(
                scheme=Scheme.BHYT_HGD,
                kind=kind,
                months=months,
                from_month=from_month,
                valid_until=valid_until,
                bhyt_rank=rank,
                amount_total=total,
                amount_state=state,
                amount_local=0,
                amount_other=other,
                amount_person=total - state - other,
                state_share_bp=share,
                local_share_bp=0,
                receipt_no=self.next_receipt(),
                receipt_date=receipt,
                created_at=created,
            )
            person.bhyt_status = BhytStatus.HOUSEHOLD
            person.bhyt_card_expiry = valid_until
            if person.bhxh_code is None:
                person.bhxh_code = self.bhxh_code()
            self.attach(row, person, visit, member, sponsorship)
            rows.append(row)
        return rows

    def bhxh_enrolment(
        self,
        hh: _HouseholdPlan,
        person: Person,
        receipt: date,
        kind: EnrolmentKind,
        visit: Optional[Visit] = None,
        member: Optional[_MemberPlan] = None,
        sponsorship: Optional[Sponsorship] = None,
        income: Optional[int] = None,
        mode: Optional[PaymentMode] = None,
        from_month: Optional[date] = None,
    ) -> Enrolment:
        rng = self.rng
        from_month = from_month or _month_start(receipt)
        if income is None:
            step = self.param("bhxh_tn_income_step", from_month)
            line = self.param("rural_poverty_line", from_month)
            income = line if rng.random() < 0.55 else rng.randrange(line + step, 3_000_000 + step, step)
        if mode is None:
            mode = _weighted(rng, ((PaymentMode.MONTHLY, 15), (PaymentMode.QUARTERLY, 25),
                                   (PaymentMode.HALF_YEARLY, 25), (PaymentMode.YEARLY, 35)))
        months = int(mode.value)
        total, state, share = self.bhxh_amounts(hh, person, income, months, from_month)
        other = min(sponsorship.amount, total - state) if sponsorship is not None else 0
        valid_until = _last_day(from_month, months)
        row = Enrolment(
            scheme=Scheme.BHXH_TN,
            kind=kind,
            chosen_income=income,
            payment_mode=mode,
            months=months,
            from_month=from_month,
            valid_until=valid_until,
            amount_total=total,
            amount_state=state,
            amount_local=0,
            amount_other=other,
            amount_person=total - state - other,
            state_share_bp=share,
            local_share_bp=0,
            receipt_no=self.next_receipt(),
            receipt_date=receipt,
            created_at=self.instant(receipt, 8, 17),
        )
        person.bhxh_status = BhxhStatus.VOLUNTARY
        person.bhxh_paid_until = valid_until
        if person.bhxh_code is None:
            person.bhxh_code = self.bhxh_code()
        self.attach(row, person, visit, member, sponsorship)
        return row

    def attach(self, row: Enrolment, person: Person, visit, member, sponsorship) -> None:
        hh = self.person_household[id(person)]
        member = member or hh.member
        refs: dict[str, Any] = {"person_id": person}
        if visit is not None:
            refs["visit_id"] = visit
        if member is not None:
            refs["member_id"] = member.row
            row.recorded_by_id = member.row.user_id
        if sponsorship is not None:
            refs["sponsorship_id"] = sponsorship
        self.link(row, **refs)
        hh.village.enrolments.append(row)

    def renew_bhyt(self, hh: _HouseholdPlan, people: list[Person]) -> None:
        """A renewal recorded during the eight weeks (before the member was assigned, or by the agent)."""
        receipt = self.history_day()
        months = _weighted(self.rng, ((12, 55), (6, 30), (3, 15)))
        self.bhyt_enrolment(hh, self.ranked(people), receipt, months, EnrolmentKind.RENEWAL)

    def renew_bhxh(self, hh: _HouseholdPlan, person: Person) -> None:
        receipt = self.history_day()
        self.bhxh_enrolment(hh, person, receipt, EnrolmentKind.RENEWAL)

    @staticmethod
    def ranked(people: list[Person]) -> list[Person]:
        order = {Relation.HEAD: 0, Relation.SPOUSE: 1}
        return sorted(people, key=lambda p: (order.get(p.relation, 2), p.birth_year))

    # -- prospects ------------------------------------------------------------------------------------------------

    def bhyt_prospects(self, hh: _HouseholdPlan) -> list[Person]:
        return [p for p in hh.people if p.bhyt_status is BhytStatus.NONE]

    def bhxh_prospects(self, hh: _HouseholdPlan) -> list[Person]:
        out = []
        for p in hh.people:
            age = _age(p, self.today)
            if not 18 <= age <= 58 or p.occupation in ("Sinh viên", "Học sinh"):
                continue
            if p.bhxh_status is BhxhStatus.NONE or (
                p.bhxh_status is BhxhStatus.VOLUNTARY and p.bhxh_paid_until and p.bhxh_paid_until < self.today
            ):
                out.append(p)
        return out

    # -- field work -----------------------------------------------------------------------------------------------

    def assign(self, plan: _VillagePlan, official: User) -> None:
        """Contiguous runs of the households (ordered by xóm, then code), one run per member: even loads, and each
        member's households mostly in one xóm."""
        households = sorted(plan.households, key=lambda h: (plan.xom.index(h.row.hamlet_group), h.row.code))
        members = plan.members
        n = len(households)
        valid_from = self.today - timedelta(days=HISTORY_DAYS + 2)
        created = self.instant(valid_from, 8, 11)
        for i, member in enumerate(members):
            for hh in households[i * n // len(members):(i + 1) * n // len(members)]:
                hh.member = member
                member.households.append(hh)
                for person in hh.people:
                    if person.consent_at is not None:
                        person.consent_by_id = member.row.user_id
                row = Assignment(valid_from=valid_from, assigned_by_id=official.id, created_at=created)
                self.link(row, household_id=hh.row, member_id=member.row)
                plan.assignments.append(row)

    def pick_scheme(self, hh: _HouseholdPlan) -> Optional[Scheme]:
        bhyt = bool(self.bhyt_prospects(hh))
        bhxh = bool(self.bhxh_prospects(hh))
        if bhyt and (not bhxh or self.rng.random() < 0.75):
            return Scheme.BHYT_HGD
        return Scheme.BHXH_TN if bhxh else None

    def visit_row(self, hh: _HouseholdPlan, day: date, outcome: VisitOutcome, scheme: Optional[Scheme]) -> Visit:
        rng = self.rng
        member = hh.member
        assert member is not None
        at = self.instant(day)
        adults = [p for p in hh.people if _age(p, self.today) >= 18] or hh.people
        channel = Channel.HOME
        if hh.row.phone and rng.random() < 0.1:
            channel = Channel.PHONE
        elif rng.random() < 0.05:
            channel = Channel.MEETING
        reason = None
        if outcome is VisitOutcome.REFUSED:
            reason = _weighted(rng, REASON_WEIGHTS)
            notes = rng.choice(REFUSAL_NOTES[reason])
        else:
            notes = rng.choice(NOTES[outcome])
        next_date = None
        if outcome is VisitOutcome.CONSIDERING:
            next_date = day + timedelta(days=7)
        elif outcome is VisitOutcome.NOT_HOME:
            next_date = day + timedelta(days=1)
            channel = Channel.HOME
        if outcome not in SCHEME_OUTCOMES:
            scheme = None
        row = Visit(
            uuid=self.uuid(),
            visited_at=at,
            outcome=outcome,
            reason=reason,
            scheme=scheme,
            channel=channel,
            met_person=None if outcome is VisitOutcome.NOT_HOME else rng.choice(adults[:2]).full_name,
            notes=_nfc(notes) if notes else None,
            next_date=next_date,
            created_by_id=member.row.user_id,
            created_at=at + timedelta(minutes=rng.randint(1, 30)),
        )
        row.updated_at = row.created_at
        self.link(row, household_id=hh.row, member_id=member.row)
        hh.visits.append(row)
        hh.village.visits.append(row)
        return row

    def follow_up(self, hh: _HouseholdPlan, visit: Optional[Visit], kind: FollowUpKind, due: date,
                  note: Optional[str] = None, person: Optional[Person] = None) -> FollowUp:
        row = FollowUp(kind=kind, due_on=due, note=_nfc(note) if note else None,
                       created_at=visit.created_at if visit is not None else self.instant(due))
        refs: dict[str, Any] = {"household_id": hh.row}
        if visit is not None:
            refs["visit_id"] = visit
        if person is not None:
            refs["person_id"] = person
        if hh.member is not None:
            refs["member_id"] = hh.member.row
        self.link(row, **refs)
        hh.village.follow_ups.append(row)
        return row

    @staticmethod
    def close(row: FollowUp, at: datetime) -> None:
        row.status = FollowUpStatus.DONE
        row.closed_at = at

    def field_work(self, plan: _VillagePlan) -> None:
        rng = self.rng
        yesterday = self.today - timedelta(days=1)
        for hh in plan.households:
            # Members go first to the households that still have someone to persuade.
            chance = 0.65 if self.bhyt_prospects(hh) else 0.38 if self.bhxh_prospects(hh) else 0.15
            if rng.random() >= chance:
                continue
            day = self.history_day()
            scheme = self.pick_scheme(hh)
            outcome = _weighted(rng, OUTCOME_WEIGHTS[scheme])
            pending: Optional[FollowUp] = None
            for _ in range(4):
                visit = self.visit_row(hh, day, outcome, scheme)
                if pending is not None:
                    self.close(pending, visit.created_at)
                    pending = None
                next_day: Optional[date] = None
                if outcome is VisitOutcome.CONSIDERING:
                    pending = self.follow_up(hh, visit, FollowUpKind.REVISIT, visit.next_date,
                                             "Quay lại trao đổi tiếp với gia đình")
                    if visit.next_date <= yesterday and rng.random() < 0.55:
                        next_day = visit.next_date + timedelta(days=_weighted(rng, ((0, 50), (1, 25), (2, 15), (4, 10))))
                elif outcome is VisitOutcome.NOT_HOME:
                    pending = self.follow_up(hh, visit, FollowUpKind.REVISIT, visit.next_date, "Gặp lại chủ hộ")
                    if visit.next_date <= yesterday and rng.random() < 0.6:
                        next_day = visit.next_date + timedelta(days=rng.randint(0, 3))
                elif outcome is VisitOutcome.REFUSED and visit.reason is RefusalReason.CANNOT_AFFORD:
                    hh.sponsor_tasks.append(self.follow_up(
                        hh, visit, FollowUpKind.NEEDS_SPONSOR, day + timedelta(days=14),
                        "Đề xuất tìm nhà hảo tâm tặng sổ BHXH/thẻ BHYT"))
                    hh.refused_cannot_afford.append(visit)
                elif outcome is VisitOutcome.AGREED:
                    self.agreed(hh, visit, day)
                elif outcome is VisitOutcome.MOVED_AWAY:
                    hh.row.notes = _nfc(f"Hộ đi làm ăn xa (ghi nhận khi thăm hộ ngày {day:%d/%m/%Y}).")
                if next_day is None or next_day > yesterday:
                    break
                day = next_day
                if scheme is None or outcome in SCHEME_OUTCOMES:
                    scheme = self.pick_scheme(hh)  # what is left to talk about after an enrolment
                outcome = _weighted(rng, REVISIT_WEIGHTS[scheme])

    def agreed(self, hh: _HouseholdPlan, visit: Visit, day: date) -> None:
        rng = self.rng
        receipt = day + timedelta(days=_weighted(rng, ((0, 30), (1, 20), (2, 15), (3, 10), (5, 10), (8, 15))))
        recorded = receipt < self.today and rng.random() < 0.85
        if visit.scheme is Scheme.BHYT_HGD:
            people = self.ranked(self.bhyt_prospects(hh))
            task = self.follow_up(hh, visit, FollowUpKind.COMPLETE_ENROLMENT, day + timedelta(days=7),
                                  "Hoàn tất hồ sơ, nộp tiền mua thẻ BHYT hộ gia đình", people[0])
            if recorded:
                kind = EnrolmentKind.RENEWAL if people[0].bhyt_card_expiry else EnrolmentKind.NEW
                months = _weighted(rng, ((12, 50), (6, 30), (3, 20)))
                rows = self.bhyt_enrolment(hh, people, receipt, months, kind, visit)
                self.close(task, rows[0].created_at)
        else:
            prospects = self.bhxh_prospects(hh)
            met = [p for p in prospects if p.full_name == visit.met_person]
            person = met[0] if met else rng.choice(prospects)
            task = self.follow_up(hh, visit, FollowUpKind.COMPLETE_ENROLMENT, day + timedelta(days=7),
                                  "Hoàn tất tờ khai TK1-TS, nộp tiền BHXH tự nguyện", person)
            if recorded:
                kind = EnrolmentKind.RENEWAL if person.bhxh_status is BhxhStatus.VOLUNTARY else EnrolmentKind.NEW
                row = self.bhxh_enrolment(hh, person, receipt, kind, visit)
                self.close(task, row.created_at)

    # -- sponsors -------------------------------------------------------------------------------------------------

    def sponsorships(self, plans: list[_VillagePlan], donors: list[Donor], official: User) -> int:
        rng = self.rng
        candidates: list[tuple[_HouseholdPlan, Person, Scheme]] = []
        poor = [hh for plan in plans for hh in plan.households
                if hh.row.poverty in (Poverty.POOR, Poverty.NEAR_POOR)]
        # Households that said they cannot afford it come first: that is what the NEEDS_SPONSOR task is for.
        poor.sort(key=lambda hh: (not hh.refused_cannot_afford, rng.random()))
        for hh in poor:
            bhyt = self.bhyt_prospects(hh) if hh.row.poverty is Poverty.NEAR_POOR else []
            if bhyt and rng.random() < 0.5:
                candidates.append((hh, self.ranked(bhyt)[0], Scheme.BHYT_HGD))
                continue
            bhxh = [p for p in self.bhxh_prospects(hh) if p.bhxh_status is BhxhStatus.NONE]
            if bhxh:
                candidates.append((hh, rng.choice(bhxh), Scheme.BHXH_TN))
        # 10 to 15 for the seven demo villages; in proportion for a bigger commune.
        count = min(len(candidates), rng.randint(10, 15) * len(plans) // len(VILLAGES))
        # Every stage is represented (two of each at least), the rest drawn; then in random order.
        stages = (SponsorshipStatus.HANDED_OVER, SponsorshipStatus.PAID, SponsorshipStatus.APPROVED,
                  SponsorshipStatus.PROPOSED)
        statuses = list(stages) * 2
        statuses += rng.choices(stages, weights=(35, 20, 25, 20), k=max(0, count - len(statuses)))
        statuses = statuses[:count]
        rng.shuffle(statuses)
        public_donors = [d for d in donors if d.consent_public]
        yesterday = self.today - timedelta(days=1)
        for (hh, person, scheme), status in zip(candidates[:count], statuses):
            donor = rng.choice(donors if rng.random() < 0.15 else public_donors)
            proposed_day = self.history_day(HISTORY_DAYS, 20)
            if hh.refused_cannot_afford:
                refused_on = hh.refused_cannot_afford[0].visited_at.astimezone(LOCAL_TZ).date()
                proposed_day = refused_on + timedelta(days=rng.randint(1, 4))
            proposed_day = min(proposed_day, yesterday)
            approved_day = min(proposed_day + timedelta(days=rng.randint(2, 5)), yesterday)
            paid_day = min(approved_day + timedelta(days=rng.randint(3, 6)), yesterday)
            handed = min(paid_day + timedelta(days=rng.randint(2, 9)), yesterday)
            months = 12
            if status is SponsorshipStatus.HANDED_OVER:
                start = _month_start(handed)
            else:
                start = _add_months(_month_start(self.today), 1)
            if scheme is Scheme.BHXH_TN:
                from_month = start
                income = self.param("rural_poverty_line", from_month)
                total, state, share = self.bhxh_amounts(hh, person, income, months, from_month)
                amount = total - state
            else:
                from_month = start if status is not SponsorshipStatus.HANDED_OVER else _add_months(start, 1)
                rank = 1 + sum(p.bhyt_status is BhytStatus.HOUSEHOLD for p in hh.people)
                monthly = self.bhyt_monthly(rank, from_month)
                share = self.bhyt_state_share(hh, from_month)
                amount = monthly * months - _bp(monthly, share) * months
            row = Sponsorship(
                scheme=scheme,
                months=months,
                from_month=from_month,
                amount=amount,
                status=status,
                proposed_by_id=hh.member.row.user_id if hh.member else None,
                notes=_nfc("Đề nghị tặng sổ BHXH tự nguyện 12 tháng (phần người dân phải đóng)"
                           if scheme is Scheme.BHXH_TN
                           else "Hộ cận nghèo, đề nghị tặng thẻ BHYT 12 tháng (phần người dân phải đóng)"),
                created_at=self.instant(proposed_day),
            )
            if status is not SponsorshipStatus.PROPOSED:
                row.approved_by_id = official.id
                row.approved_at = self.instant(approved_day, 8, 17)
                for task in hh.sponsor_tasks:
                    if task.status is FollowUpStatus.OPEN:
                        self.close(task, row.approved_at)
            if status in (SponsorshipStatus.PAID, SponsorshipStatus.HANDED_OVER):
                row.paid_on = paid_day
            if status is SponsorshipStatus.HANDED_OVER:
                row.handed_over_on = handed
                row.handover_event = _nfc(
                    f"Hội nghị khách hàng tại nhà văn hóa {_lower_first(hh.village.row.name)}, ngày {handed:%d/%m/%Y}"
                )
            self.link(row, donor_id=donor, person_id=person)
            hh.village.sponsorships.append(row)
            if status is SponsorshipStatus.HANDED_OVER:
                if scheme is Scheme.BHXH_TN:
                    self.bhxh_enrolment(hh, person, handed, EnrolmentKind.NEW, sponsorship=row,
                                        income=self.param("rural_poverty_line", from_month),
                                        mode=PaymentMode.YEARLY, from_month=from_month)
                else:
                    kind = EnrolmentKind.RENEWAL if person.bhyt_card_expiry else EnrolmentKind.NEW
                    self.bhyt_enrolment(hh, [person], handed, months, kind, sponsorship=row, first_rank=rank)
        return count

    # -- targets --------------------------------------------------------------------------------------------------

    def targets(self, commune: Commune, plans: list[_VillagePlan], official: User) -> list[Target]:
        year = self.today.year
        start, end = date(year, 1, 1), date(year, 12, 31)
        created = datetime(year, 1, 12, 2, 30, tzinfo=timezone.utc)
        if created.date() > self.today:
            created = self.instant(self.today - timedelta(days=1))
        wholes = (
            (Indicator.NEW_BHXH_TN, 120),
            (Indicator.NEW_BHYT_HGD, 600),
            (Indicator.RENEWALS, 2400),  # people: every card and book is renewed once or more a year
            (Indicator.BHYT_COVERAGE, 9400),
            (Indicator.SPONSORED, 30),
        )
        common = dict(commune_id=commune.id, period_kind=PeriodKind.YEAR, period_start=start, period_end=end,
                      deadline=end, created_by_id=official.id, created_at=created)
        label = f"Chỉ tiêu năm {year}"
        # The counts are the seven demo villages' (a bigger commune's in proportion); the coverage rate is not.
        parents = [Target(indicator=ind, label=label, **common,
                          value=value if ind is Indicator.BHYT_COVERAGE else value * len(plans) // len(VILLAGES))
                   for ind, value in wholes]
        self.write(parents)
        sizes = [len(plan.households) for plan in plans]
        children = []
        for parent in parents:
            if parent.indicator is Indicator.BHYT_COVERAGE:
                parts = [parent.value] * len(plans)
            else:
                parts = split_proportionally(parent.value, sizes)
            for plan, value in zip(plans, parts):
                children.append(Target(indicator=parent.indicator, value=value, village_id=plan.row.id,
                                       parent_id=parent.id, label=label, **common))
        self.write(children)
        return parents + children


def split_proportionally(total: int, weights: list[int]) -> list[int]:
    """Largest-remainder split of ``total`` in proportion to ``weights``: the parts always add up to ``total``."""
    whole = sum(weights)
    if not weights:
        return []
    if whole == 0:
        return split_proportionally(total, [1] * len(weights))
    exact = [total * w for w in weights]
    parts = [e // whole for e in exact]
    remainder = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] % whole), i))
    for i in order[:remainder]:
        parts[i] += 1
    return parts


def rebuild_search(session: Session, village_ids: list[int]) -> None:
    from .households.search import rebuild

    rebuild(session, village_ids)


def _village_names(count: int) -> list[tuple[str, tuple[str, ...]]]:
    """The first ``count`` villages: the seven of the demo, then :data:`MORE_VILLAGES`, then numbered ones."""
    if count < 1:
        raise ValueError("the demo commune needs at least one village")
    names = list(VILLAGES + MORE_VILLAGES)[:count]
    names += [(f"Thôn Số {n}", ("Xóm Trên", "Xóm Giữa", "Xóm Dưới")) for n in range(len(names) + 1, count + 1)]
    return names


def build_demo(session: Session, today: date, seed: int = 2025, villages: int = len(VILLAGES)) -> DemoSummary:
    """Add the demonstration commune's villages, people and history to ``session`` (flushes, never commits).

    Needs the reference data (catalogue and policy parameters) loaded first. ``villages``: how many villages the
    commune has (the demo's seven by default; more for benchmarks — the commune's targets and the number of
    sponsorships grow in proportion, each village keeps the demo's size).
    """
    commune = session.exec(select(Commune).where(Commune.code == DEMO_COMMUNE_CODE)).first()
    if commune is None:
        raise LookupError(f"commune {DEMO_COMMUNE_CODE} is not in the catalogue: load the reference data first")
    b = _Builder(session, today, seed)
    rng = b.rng
    _admin, official = b.users(commune)
    donors = b.donors(commune)

    plans: list[_VillagePlan] = []
    for index, (name, xom) in enumerate(_village_names(villages)):
        row = Village(
            commune_id=commune.id,
            code=f"T{index + 1:02d}",
            name=_nfc(name),
            kind=VillageKind.THON,
            created_at=b.instant(today - timedelta(days=HISTORY_DAYS + 40), 8, 11),
        )
        plans.append(_VillagePlan(row=row, xom=tuple(_nfc(x) for x in xom)))
    b.write([plan.row for plan in plans])

    logins = [
        DemoLogin("admin", ADMIN_PHONE, DEMO_PASSWORD, ADMIN_NAME, "Toàn hệ thống"),
        DemoLogin("official", OFFICIAL_PHONE, DEMO_PASSWORD, OFFICIAL_NAME, commune.name),
    ]
    for index, plan in enumerate(plans):
        b.committee(plan, index)
        if index == 0:
            head = plan.members[0]
            member = next(m for m in plan.members if m.row.organisation is Organisation.WOMEN)
            for m, phone, role in ((head, HEAD_PHONE, "member (trưởng ban)"), (member, MEMBER_PHONE, "member")):
                m.row.phone = phone
                user = create_user(session, phone=phone, display_name=m.row.full_name, role=Role.MEMBER,
                                   password=DEMO_PASSWORD, commune_id=commune.id, village_id=plan.row.id,
                                   actor=official)
                user.created_at = b.instant(plan.committee.established_on + timedelta(days=3), 8, 11)
                m.row.user_id = user.id
                logins.append(DemoLogin(role, phone, DEMO_PASSWORD, m.row.full_name, plan.row.name))
        count = rng.randint(160, 260)
        # Households are numbered xóm by xóm, as a village's household list usually is.
        sizes = split_proportionally(count, [rng.randint(70, 130) for _ in plan.xom])
        number = 0
        for xom, size in zip(plan.xom, sizes):
            for _ in range(size):
                number += 1
                plan.households.append(b.household(plan, number, xom))
        b.assign(plan, official)
        b.field_work(plan)

    sponsorships = b.sponsorships(plans, donors, official)

    people = 0
    for plan in plans:
        b.write([plan.committee])
        b.write([m.row for m in plan.members])
        b.write([hh.row for hh in plan.households])
        persons = [p for hh in plan.households for p in hh.people]
        for hh in plan.households:
            for p in hh.people:
                b.link(p, household_id=hh.row)
        people += len(persons)
        b.write(persons + plan.assignments)
        b.write(plan.visits + plan.sponsorships)
        b.write(plan.follow_ups + plan.enrolments)

    b.targets(commune, plans, official)
    rebuild_search(session, [plan.row.id for plan in plans])
    return DemoSummary(
        commune_name=commune.name,
        villages=len(plans),
        households=sum(len(plan.households) for plan in plans),
        people=people,
        visits=sum(len(plan.visits) for plan in plans),
        enrolments=sum(len(plan.enrolments) for plan in plans),
        sponsorships=sponsorships,
        logins=logins,
    )
