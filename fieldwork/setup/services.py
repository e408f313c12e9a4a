"""First-run set-up: which commune the installation serves, its villages, committees and members' logins, and the
members' login slips.

Nothing about the set-up is stored apart from the records it creates: where the official stands in the five steps
is read from the data each time (a commune chosen, villages, committees with members, households, members who have
signed in), so the wizard can be left and resumed, and a step done elsewhere (the villages page, the import page)
counts here too.

The commune the installation serves is the commune of its first account that has one: the commune official that
step 1 creates (or one made with ``flask user create --role official``). The first admin, created from the
command line, is the installation's technical account (whole deployment, legal parameters, backups); step 1 creates
the commune official's own account, scoped to the commune, with a one-time password shown once.

Services flush, never commit; the request commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, select

from ..auth import passwords
from ..auth.services import create_user
from ..committees import services as committees
from ..households import rules
from ..households.services import RegistryError
from ..models import (
    Assignment,
    Committee,
    CommitteeMember,
    Commune,
    Household,
    Province,
    Role,
    User,
    Village,
    VillageKind,
)
from ..text import fold, nfc, normalise_phone

STEP_COUNT = 5
VILLAGE_NAME_MAX = 120
MAX_PASTED_LINES = 500  # a commune has at most a few dozen villages; more is a pasted spreadsheet gone wrong

# How a village's name says its kind: "Thôn Đồng Bông", "Tổ dân phố 3", "Ấp Tân Hòa". Longest first.
KIND_PREFIXES: tuple[tuple[str, VillageKind], ...] = (
    ("to dan pho", VillageKind.TO_DAN_PHO),
    ("khu pho", VillageKind.KHU_PHO),
    ("thon", VillageKind.THON),
    ("xom", VillageKind.XOM),
    ("ap", VillageKind.AP),
    ("ban", VillageKind.BAN),
)


# --- the installation's commune ----------------------------------------------------------------------------------


def setup_commune(session: Session, user: User) -> Optional[Commune]:
    """The commune the wizard works on: an official's own; for an admin, the commune of the installation's first
    account that has one (the commune official created at step 1), or None on an installation not set up yet."""
    if user.role != Role.ADMIN:
        return session.get(Commune, user.commune_id) if user.commune_id else None
    commune_id = session.exec(
        select(User.commune_id).where(User.commune_id.is_not(None)).order_by(User.id)).first()
    return session.get(Commune, commune_id) if commune_id else None


def needs_setup(session: Session) -> bool:
    """No account has a commune yet: the installation serves nobody, the admin should be guided."""
    return session.exec(select(User.id).where(User.commune_id.is_not(None))).first() is None


def provinces(session: Session) -> list[Province]:
    return list(session.exec(select(Province).where(Province.valid_to.is_(None)).order_by(Province.name)).all())


def communes_of(session: Session, province_id: Optional[int]) -> list[Commune]:
    if not province_id:
        return []
    return list(session.exec(select(Commune).where(Commune.province_id == province_id, Commune.valid_to.is_(None))
                             .order_by(Commune.name)).all())


def create_official(session: Session, commune: Commune, *, name: str, phone: str,
                    actor: Optional[User]) -> tuple[User, str]:
    """The commune official's account, with a generated one-time password the caller shows once.

    Refuses when the installation already serves a commune (the wizard sets up one), or the phone is taken.
    """
    if not needs_setup(session):
        raise RegistryError(str(_l("Hệ thống đã được thiết lập cho một xã; không chọn lại xã được nữa.")))
    phone = normalise_phone(phone)
    if session.exec(select(User.id).where(User.phone == phone)).first() is not None:
        raise RegistryError(str(_l("Số %(phone)s đã là tên đăng nhập của một tài khoản khác (có thể là tài khoản "
                                   "quản trị của bạn). Hãy dùng số điện thoại khác cho cán bộ xã.", phone=phone)),
                            "phone")
    password = passwords.generate_password()
    user = create_user(session, phone=phone, display_name=nfc(name) or "", role=Role.OFFICIAL, password=password,
                       commune_id=commune.id, actor=actor)
    user.must_change_password = True  # the admin saw it: the official chooses their own at first sign-in
    session.add(user)
    session.flush()
    return user, password


# --- villages pasted as a list -----------------------------------------------------------------------------------


def village_kind(name: str) -> VillageKind:
    """The kind a village's name announces ("Xóm Bãi" → xóm); thôn when it says none."""
    folded = fold(name)
    for prefix, kind in KIND_PREFIXES:
        if folded.startswith(prefix + " "):
            return kind
    return VillageKind.THON


@dataclass
class PastedVillages:
    names: list[str] = field(default_factory=list)  # new names, in the order typed
    repeated: list[str] = field(default_factory=list)  # lines that repeat an earlier line: dropped
    existing: list[str] = field(default_factory=list)  # names the commune has already: dropped
    errors: list[str] = field(default_factory=list)  # one sentence per refused line, with its number


def parse_village_names(session: Session, commune: Commune, text: str) -> PastedVillages:
    """Names pasted one per line (from a list, a spreadsheet column, a document): trimmed, blank lines ignored,
    repeats dropped (compared without case and marks: "Thôn Đông" and "thôn đông" are one village). A line that
    cannot be a village name is refused with its line number; nothing is created while any line is refused."""
    result = PastedVillages()
    known = {fold(name): name for name in session.exec(select(Village.name).where(Village.commune_id == commune.id))}
    seen: set[str] = set()
    lines = (text or "").splitlines()
    if len(lines) > MAX_PASTED_LINES:
        result.errors.append(gettext("Danh sách có %(n)s dòng; mỗi lần dán tối đa %(max)s thôn.",
                                     n=len(lines), max=MAX_PASTED_LINES))
        return result
    for number, line in enumerate(lines, start=1):
        name = nfc(line.replace("\t", " ")) or ""
        if not name:
            continue
        problem = _village_name_problem(name)
        if problem:
            result.errors.append(gettext("Dòng %(n)s: %(problem)s", n=number, problem=problem))
            continue
        key = fold(name)
        if key in seen:
            result.repeated.append(name)
        elif key in known:
            result.existing.append(known[key])
        else:
            result.names.append(name)
        seen.add(key)
    if not result.errors and not result.names and not result.existing and not result.repeated:
        result.errors.append(gettext("Hãy nhập tên các thôn, mỗi dòng một thôn, ví dụ “Thôn Đồng Bông”."))
    return result


def _village_name_problem(name: str) -> Optional[str]:
    if len(name) > VILLAGE_NAME_MAX:
        return gettext("tên dài %(n)s ký tự, tối đa %(max)s. Hãy rút ngắn, hoặc tách thành nhiều dòng nếu đó là "
                       "nhiều thôn.", n=len(name), max=VILLAGE_NAME_MAX)
    if any(ord(c) < 32 for c in name):
        return gettext("có ký tự điều khiển không hợp lệ; hãy gõ lại tên thôn.")
    if fold(name) in {prefix for prefix, _kind in KIND_PREFIXES}:
        return gettext("“%(name)s” thiếu tên riêng của thôn, ví dụ “%(name)s Đồng Bông”.", name=name)
    return None


def _next_codes(session: Session, commune: Commune, count: int) -> list[str]:
    """Village codes T01, T02, ... that the commune does not use yet."""
    taken = set(session.exec(select(Village.code).where(Village.commune_id == commune.id)).all())
    codes, n = [], 1
    while len(codes) < count:
        code = f"T{n:02d}"
        if code not in taken:
            codes.append(code)
        n += 1
    return codes


def add_villages(session: Session, commune: Commune, names: list[str], *, actor: Optional[User]) -> list[Village]:
    """Create the villages, coded T01, T02, ... in the order given, their kind read from their names."""
    return [committees.create_village(session, commune, actor=actor, code=code, name=name, kind=village_kind(name))
            for code, name in zip(_next_codes(session, commune, len(names)), names)]


# --- members with their logins -----------------------------------------------------------------------------------


def add_member_with_login(session: Session, village: Village, *, actor: Optional[User], today: date,
                          full_name: str, phone: str, organisation: str, is_head: bool) -> CommitteeMember:
    """A member joins the village's committee today (the committee is founded today if the village has none) and
    gets a login; the one-time password is not shown here but printed on the login slips (step 5)."""
    if (message := rules.phone_error(phone)) or not normalise_phone(phone):
        raise RegistryError(message or str(_l("Hãy nhập số điện thoại của thành viên (10 chữ số, bắt đầu bằng 0): "
                                             "họ đăng nhập bằng số này.")), "phone")
    committee = committees.current_committee(session, village)
    if committee is None:
        committee = committees.create_committee(session, village, actor=actor, today=today, established_on=today)
    member, _replaced = committees.add_member(session, committee, actor=actor, today=today, full_name=full_name,
                                              phone=phone, organisation=organisation, title=None,
                                              is_head=is_head, joined_on=max(today, committee.established_on))
    committees.grant_login(session, member, village, actor=actor)
    return member


# --- where the set-up stands -------------------------------------------------------------------------------------


@dataclass
class VillageStatus:
    village: Village
    members: list[CommitteeMember]
    logins: dict[int, User]  # member id -> their active login
    households: int
    unassigned: int

    @property
    def has_head(self) -> bool:
        return any(m.is_head for m in self.members)

    @property
    def waiting(self) -> list[CommitteeMember]:
        """Members who have not signed in yet: their slip is (re)printed with a new one-time password."""
        return [m for m in self.members if m.id not in self.logins or self.logins[m.id].must_change_password]

    @property
    def signed_in(self) -> list[CommitteeMember]:
        return [m for m in self.members if m.id in self.logins and not self.logins[m.id].must_change_password]


@dataclass(frozen=True)
class Step:
    number: int
    endpoint: str
    title: str
    done: bool


@dataclass
class Progress:
    commune: Optional[Commune]
    province: Optional[Province]
    official: Optional[User]
    villages: list[VillageStatus]
    steps: list[Step]

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps)

    def first_open(self) -> Step:
        return next((step for step in self.steps if not step.done), self.steps[-1])

    def step(self, number: int) -> Step:
        return self.steps[number - 1]


def progress(session: Session, user: User) -> Progress:
    """Where the set-up of the user's commune stands, read from the data: step 2 is done when the commune has a
    village, 3 when every village has a committee member, 4 when every village has households, 5 when every member
    has signed in and chosen their own password (their slip has done its work)."""
    commune = setup_commune(session, user)
    province = session.get(Province, commune.province_id) if commune else None
    official = session.exec(select(User).where(User.commune_id == commune.id, User.role == Role.OFFICIAL)
                            .order_by(User.id)).first() if commune else None
    villages = village_statuses(session, commune) if commune else []
    steps = [
        Step(1, "setup.commune", str(_l("Chọn tỉnh và xã")), commune is not None),
        Step(2, "setup.villages", str(_l("Các thôn")), bool(villages)),
        Step(3, "setup.committees", str(_l("Ban vận động và thành viên")),
             bool(villages) and all(v.members for v in villages)),
        Step(4, "setup.households", str(_l("Nhập danh sách hộ")),
             bool(villages) and all(v.households for v in villages)),
        Step(5, "setup.slips", str(_l("In phiếu đăng nhập")),
             any(v.members for v in villages) and not any(v.waiting for v in villages)),
    ]
    return Progress(commune=commune, province=province, official=official, villages=villages, steps=steps)


def village_statuses(session: Session, commune: Commune) -> list[VillageStatus]:
    villages = list(session.exec(select(Village).where(Village.commune_id == commune.id, Village.valid_to.is_(None))
                                 .order_by(Village.code)).all())
    ids = [v.id for v in villages]
    if not ids:
        return []
    members: dict[int, list[CommitteeMember]] = {}
    for village_id, member in session.exec(
        select(Committee.village_id, CommitteeMember)
        .join(CommitteeMember, CommitteeMember.committee_id == Committee.id)
        .where(Committee.village_id.in_(ids), Committee.dissolved_on.is_(None), CommitteeMember.left_on.is_(None))
        .order_by(CommitteeMember.is_head.desc(), CommitteeMember.id)
    ).all():
        members.setdefault(village_id, []).append(member)
    user_ids = [m.user_id for ms in members.values() for m in ms if m.user_id]
    users = {u.id: u for u in session.exec(select(User).where(User.id.in_(user_ids), User.active.is_(True)))} \
        if user_ids else {}
    live = (Household.village_id.in_(ids), Household.archived_at.is_(None))
    households = dict(session.exec(select(Household.village_id, func.count(Household.id)).where(*live)
                                   .group_by(Household.village_id)).all())
    open_ids = select(Assignment.household_id).where(Assignment.valid_to.is_(None))
    unassigned = dict(session.exec(
        select(Household.village_id, func.count(Household.id))
        .where(*live, Household.outreach_stopped.is_(None), Household.id.not_in(open_ids))
        .group_by(Household.village_id)).all())
    return [
        VillageStatus(village=v, members=members.get(v.id, []),
                      logins={m.id: users[m.user_id] for m in members.get(v.id, []) if m.user_id in users},
                      households=households.get(v.id, 0), unassigned=unassigned.get(v.id, 0))
        for v in villages
    ]


def village_status(session: Session, village: Village) -> VillageStatus:
    commune = session.get(Commune, village.commune_id)
    return next(s for s in village_statuses(session, commune) if s.village.id == village.id)


# --- login slips -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slip:
    name: str
    phone: str
    password: str
    village: str
    commune: str
    is_head: bool
    expires_on: date


@dataclass
class SlipSheet:
    village: Village
    commune: Commune
    slips: list[Slip]
    skipped: list[CommitteeMember]  # active members already signed in, or without a usable phone


def issue_slips(session: Session, village: Village, *, actor: Optional[User], today: date,
                days: int) -> SlipSheet:
    """A fresh one-time password for every active member of the village who has not signed in yet.

    Passwords are stored hashed only, so a slip can never be printed again from what is stored: printing makes new
    ones, and the previous slips of those members stop working. A member with a phone but no login gets one; a
    member who already chose their own password gets no slip (they keep it; "Cấp mật khẩu mới" is for forgetting).
    """
    status = village_status(session, village)
    commune = session.get(Commune, village.commune_id)
    slips, skipped = [], []
    for member in status.members:
        user = status.logins.get(member.id)
        try:
            if user is None:
                user, password = committees.grant_login(session, member, village, actor=actor)
            elif user.must_change_password:
                user, password = committees.reset_password(session, member, actor=actor)
            else:
                skipped.append(member)
                continue
        except RegistryError:  # no phone, or a phone another account logs in with: fixed on the member's page
            skipped.append(member)
            continue
        slips.append(Slip(name=member.full_name, phone=user.phone, password=password, village=village.name,
                          commune=commune.name, is_head=member.is_head, expires_on=today + timedelta(days=days)))
    if not slips:
        raise RegistryError(str(_l("Không có thành viên nào của %(village)s cần phiếu: mọi thành viên đã đăng nhập "
                                   "và tự đặt mật khẩu, hoặc ban chưa có thành viên có số điện thoại.",
                                   village=village.name)))
    return SlipSheet(village=village, commune=commune, slips=slips, skipped=skipped)
