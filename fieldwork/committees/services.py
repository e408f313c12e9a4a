"""Villages and their mobilization committees: the committee rules, members joining and leaving, logins.

Services flush, never commit; the request commits once. Every change is audited. Nothing is deleted: a member who
leaves keeps their row with ``left_on`` set, so the committee's history stays readable.

Heads: setting a member as head un-heads the committee's previous head (one head at a time), and the previous head
is reported back so the official sees what changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Optional, Sequence

from flask import abort
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, select

from ..audit import record, snapshot
from ..auth import passwords
from ..auth.services import create_user, hash_password, set_password
from ..households import rules
from ..households.services import RegistryError
from ..labels import label
from ..models import (
    Assignment,
    Committee,
    CommitteeMember,
    Commune,
    Household,
    Organisation,
    Role,
    User,
    Village,
    VillageKind,
    utcnow,
)
from ..security import village_scope
from ..text import format_date, nfc, normalise_phone

MIN_MEMBERS = 5
MAX_MEMBERS = 7
# Lower case without look-alikes (no i, l, o, 0, 1): easy to read aloud and to type on a phone keyboard.
PASSWORD_ALPHABET = passwords.ALPHABET
PASSWORD_LENGTH = passwords.GENERATED_LENGTH

VILLAGE_FIELDS = ("code", "name", "kind")
MEMBER_FIELDS = ("full_name", "phone", "organisation", "title", "is_head", "joined_on")


# --- the committee rules (pure) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    code: str  # "too_few", "too_many", "no_head", "many_heads", "head_not_front"
    message: str  # the full sentence for the village page
    short: str  # a few words for the list of villages


def committee_problems(members: Sequence[CommitteeMember]) -> list[Problem]:
    """What is wrong with a committee, given its *active* members: 5 to 7 of them, exactly one head, and the head
    should come from the Fatherland Front (the village's Front work committee head). Empty when all is well."""
    problems: list[Problem] = []
    count = len(members)
    if count < MIN_MEMBERS:
        problems.append(Problem("too_few", gettext(
            "Ban mới có %(n)s thành viên đang hoạt động; cần từ 5 đến 7.", n=count), gettext("Thiếu thành viên")))
    elif count > MAX_MEMBERS:
        problems.append(Problem("too_many", gettext(
            "Ban có %(n)s thành viên đang hoạt động; quy định chỉ từ 5 đến 7.", n=count), gettext("Thừa thành viên")))
    heads = [m for m in members if m.is_head]
    if not heads:
        problems.append(Problem("no_head", gettext("Ban chưa có trưởng ban."), gettext("Chưa có trưởng ban")))
    elif len(heads) > 1:
        problems.append(Problem("many_heads", gettext(
            "Ban có %(n)s trưởng ban (%(names)s); chỉ được có một.", n=len(heads),
            names=", ".join(m.full_name for m in heads)), gettext("Nhiều trưởng ban")))
    elif heads[0].organisation != Organisation.FRONT:
        problems.append(Problem("head_not_front", gettext(
            "Trưởng ban nên là Trưởng ban công tác Mặt trận thôn (tổ chức Mặt trận Tổ quốc); hiện là %(org)s.",
            org=label(heads[0].organisation)), gettext("Trưởng ban không thuộc Mặt trận")))
    return problems


def generate_password() -> str:
    """A one-time password for a member, meeting the same rules as any password."""
    return passwords.generate_password()


# --- villages ----------------------------------------------------------------------------------------------------


@dataclass
class VillageRow:
    village: Village
    commune: Commune
    households: int
    members: int
    has_committee: bool
    problems: list[Problem] = field(default_factory=list)


def _active_members_by_village(session: Session, village_ids: list[int]) -> dict[int, list[CommitteeMember]]:
    rows = session.exec(
        select(Committee.village_id, CommitteeMember)
        .join(CommitteeMember, CommitteeMember.committee_id == Committee.id)
        .where(Committee.village_id.in_(village_ids), Committee.dissolved_on.is_(None),
               CommitteeMember.left_on.is_(None))
    ).all() if village_ids else []
    members: dict[int, list[CommitteeMember]] = {}
    for village_id, member in rows:
        members.setdefault(village_id, []).append(member)
    return members


def list_villages(session: Session, user: User) -> list[VillageRow]:
    """The villages the user may see, with households, active members and what is wrong with each committee."""
    rows = session.exec(
        select(Village, Commune).join(Commune, Commune.id == Village.commune_id)
        .where(village_scope(user), Village.merged_into_id.is_(None))  # merged villages: history, see fieldwork/units
        .order_by(Commune.name, Village.code)
    ).all()
    ids = [v.id for v, _c in rows]
    households = dict(session.exec(
        select(Household.village_id, func.count(Household.id))
        .where(Household.village_id.in_(ids), Household.archived_at.is_(None)).group_by(Household.village_id)
    ).all()) if ids else {}
    with_committee = set(session.exec(
        select(Committee.village_id).where(Committee.village_id.in_(ids), Committee.dissolved_on.is_(None))
    ).all()) if ids else set()
    members = _active_members_by_village(session, ids)
    return [
        VillageRow(village=v, commune=c, households=households.get(v.id, 0), members=len(members.get(v.id, [])),
                   has_committee=v.id in with_committee,
                   problems=committee_problems(members.get(v.id, [])) if v.id in with_committee else [])
        for v, c in rows
    ]


def commune_for_new_village(session: Session, user: User, commune_code: Optional[str]) -> Commune:
    """An official adds villages to their own commune; an admin names the commune by its code."""
    if user.role != Role.ADMIN:
        commune = session.get(Commune, user.commune_id) if user.commune_id else None
        if commune is None:
            abort(403)
        return commune
    code = (commune_code or "").strip()
    commune = session.exec(select(Commune).where(Commune.code == code)).first()
    if commune is None:
        raise RegistryError(str(_l("Không có xã nào mang mã %(code)s; mã xã gồm 5 chữ số, ví dụ 07264.",
                                   code=code)), "commune_code")
    return commune


def _clean_village(session: Session, commune_id: int, values: dict[str, Any],
                   village_id: Optional[int] = None) -> dict[str, Any]:
    clean = {k: v for k, v in values.items() if k in VILLAGE_FIELDS}
    clean["code"], clean["name"] = nfc(clean.get("code")) or "", nfc(clean.get("name")) or ""
    if not clean["code"]:
        raise RegistryError(str(_l("Hãy nhập mã thôn (ví dụ T01); mã không được trùng trong xã.")), "code")
    if not clean["name"]:
        raise RegistryError(str(_l("Hãy nhập tên thôn, có dấu (ví dụ Thôn Đồng Bông).")), "name")
    clean["kind"] = VillageKind(clean["kind"])
    clash = session.exec(select(Village.id).where(Village.commune_id == commune_id, Village.code == clean["code"],
                                                  Village.id != (village_id or 0))).first()
    if clash is not None:
        raise RegistryError(str(_l("Mã thôn %(code)s đã có trong xã này; hãy dùng mã khác.", code=clean["code"])),
                            "code")
    return clean


def create_village(session: Session, commune: Commune, *, actor: Optional[User], **values: Any) -> Village:
    village = Village(commune_id=commune.id, **_clean_village(session, commune.id, values))
    session.add(village)
    session.flush()
    record(session, actor, "create", village, after=snapshot(village))
    return village


def update_village(session: Session, village: Village, *, actor: Optional[User], **values: Any) -> Village:
    clean = _clean_village(session, village.commune_id, values, village.id)
    before = snapshot(village)
    for key, value in clean.items():
        setattr(village, key, value)
    session.add(village)
    session.flush()
    record(session, actor, "update", village, before=before, after=snapshot(village))
    return village


# --- one village's page ------------------------------------------------------------------------------------------


@dataclass
class MemberLine:
    member: CommitteeMember
    login: Optional[User]  # the linked account, active or not
    left_on: Optional[date] = None  # for past members: left_on, or the day their committee was dissolved
    households: int = 0  # households currently assigned

    @property
    def has_login(self) -> bool:
        return self.login is not None and bool(self.login.active)


@dataclass
class VillagePage:
    village: Village
    commune: Commune
    committee: Optional[Committee]
    households: int
    active: list[MemberLine]
    past: list[MemberLine]
    problems: list[Problem]

    @property
    def departed_holding(self) -> list[MemberLine]:
        """Members who left but are still responsible for households: those need handing over."""
        return [line for line in self.past if line.households]


def current_committee(session: Session, village: Village) -> Optional[Committee]:
    return session.exec(
        select(Committee).where(Committee.village_id == village.id, Committee.dissolved_on.is_(None))
    ).first()


def village_page(session: Session, village: Village) -> VillagePage:
    committee = current_committee(session, village)
    rows = session.exec(
        select(CommitteeMember, Committee).join(Committee, Committee.id == CommitteeMember.committee_id)
        .where(Committee.village_id == village.id)
        .order_by(CommitteeMember.is_head.desc(), CommitteeMember.joined_on, CommitteeMember.full_name)
    ).all()
    member_ids = [m.id for m, _c in rows]
    users = {u.id: u for u in session.exec(
        select(User).where(User.id.in_([m.user_id for m, _c in rows if m.user_id]))).all()}
    held = dict(session.exec(
        select(Assignment.member_id, func.count(Assignment.id))
        .where(Assignment.member_id.in_(member_ids), Assignment.valid_to.is_(None)).group_by(Assignment.member_id)
    ).all()) if member_ids else {}
    active, past = [], []
    for member, c in rows:
        line = MemberLine(member, users.get(member.user_id), member.left_on or c.dissolved_on, held.get(member.id, 0))
        (past if line.left_on else active).append(line)
    past.sort(key=lambda line: line.left_on, reverse=True)
    households = session.exec(select(func.count(Household.id)).where(
        Household.village_id == village.id, Household.archived_at.is_(None))).one()
    return VillagePage(
        village=village, commune=session.get(Commune, village.commune_id), committee=committee,
        households=households, active=active, past=past,
        problems=committee_problems([line.member for line in active]) if committee else [],
    )


# --- committees and members --------------------------------------------------------------------------------------


def create_committee(session: Session, village: Village, *, actor: Optional[User], today: date,
                     established_on: date, decision_ref: Optional[str] = None) -> Committee:
    if current_committee(session, village) is not None:
        raise RegistryError(str(_l("Thôn này đã có ban vận động; hãy thêm thành viên vào ban hiện có.")))
    if established_on > today:
        raise RegistryError(str(_l("Ngày thành lập không được sau hôm nay.")), "established_on")
    committee = Committee(village_id=village.id, established_on=established_on,
                          decision_ref=nfc(decision_ref) or None)
    session.add(committee)
    session.flush()
    record(session, actor, "create", committee, after=snapshot(committee))
    return committee


def get_member_for_village(session: Session, village: Village, member_id: int) -> CommitteeMember:
    """The member, if they belong to one of this village's committees (current or past); 404 otherwise."""
    member = session.exec(
        select(CommitteeMember).join(Committee, Committee.id == CommitteeMember.committee_id)
        .where(CommitteeMember.id == member_id, Committee.village_id == village.id)
    ).first()
    if member is None:
        abort(404)
    return member


def member_login(session: Session, member: CommitteeMember) -> Optional[User]:
    """The member's account, active or taken away, if they were ever given one."""
    return session.get(User, member.user_id) if member.user_id else None


def _require_active(member: CommitteeMember) -> None:
    if member.left_on is not None:
        raise RegistryError(str(_l("%(name)s đã rời ban ngày %(d)s; không thể thay đổi nữa.",
                                   name=member.full_name, d=format_date(member.left_on))))


def _clean_member(session: Session, committee: Committee, values: dict[str, Any], today: date,
                  member: Optional[CommitteeMember] = None) -> dict[str, Any]:
    clean = {k: v for k, v in values.items() if k in MEMBER_FIELDS}
    clean["full_name"] = nfc(clean.get("full_name"))
    if (message := rules.name_error(clean["full_name"])):
        raise RegistryError(message, "full_name")
    if (message := rules.phone_error(clean.get("phone"))):
        raise RegistryError(message, "phone")
    clean["phone"] = normalise_phone(clean.get("phone")) or None
    if clean["phone"] is None and member is not None and member.user_id is not None:
        raise RegistryError(str(_l("Thành viên này đăng nhập bằng số điện thoại; không thể để trống. "
                                   "Muốn bỏ số, hãy thu hồi tài khoản trước.")), "phone")
    clean["title"] = nfc(clean.get("title")) or None
    clean["organisation"] = Organisation(clean["organisation"])
    clean["is_head"] = bool(clean.get("is_head"))
    joined_on = clean["joined_on"]
    if joined_on > today:
        raise RegistryError(str(_l("Ngày vào ban không được sau hôm nay.")), "joined_on")
    if joined_on < committee.established_on:
        raise RegistryError(str(_l("Ngày vào ban không được trước ngày thành lập ban (%(d)s).",
                                   d=format_date(committee.established_on))), "joined_on")
    if clean["phone"]:
        _check_phone_free(session, committee, clean["phone"], member)
    return clean


def _check_phone_free(session: Session, committee: Committee, phone: str,
                      member: Optional[CommitteeMember]) -> None:
    """One person, one active committee: the phone number is how we recognise the same person."""
    row = session.exec(
        select(CommitteeMember, Village).join(Committee, Committee.id == CommitteeMember.committee_id)
        .join(Village, Village.id == Committee.village_id)
        .where(CommitteeMember.phone == phone, CommitteeMember.left_on.is_(None), Committee.dissolved_on.is_(None),
               CommitteeMember.id != (member.id if member else 0))
    ).first()
    if row is not None:
        other, village = row
        mine = session.get(Village, committee.village_id)
        if village.commune_id == mine.commune_id:  # never name people outside the official's commune
            message = _l("Số %(phone)s đã là của %(name)s, thành viên đang hoạt động của ban %(village)s. Mỗi người "
                         "chỉ ở một ban; nếu là cùng một người, hãy ghi nhận họ rời ban kia trước.",
                         phone=phone, name=other.full_name, village=village.name)
        else:
            message = _l("Số %(phone)s đã là của một thành viên đang hoạt động ở xã khác. Mỗi người chỉ ở một ban; "
                         "hãy kiểm tra lại số điện thoại.", phone=phone)
        raise RegistryError(str(message), "phone")
    if member is not None and member.user_id is not None:
        _check_login_phone_free(session, phone, member.user_id)


def _login_phone_taken(phone: str) -> RegistryError:
    return RegistryError(str(_l("Số %(phone)s đã được dùng để đăng nhập cho một tài khoản khác. Hãy sửa số điện "
                                "thoại của thành viên (mỗi tài khoản một số).", phone=phone)), "phone")


def _check_login_phone_free(session: Session, phone: str, user_id: Optional[int]) -> None:
    clash = session.exec(select(User.id).where(User.phone == phone, User.id != (user_id or 0))).first()
    if clash is not None:
        raise _login_phone_taken(phone)


def _take_head(session: Session, member: CommitteeMember, *, actor: Optional[User]) -> list[CommitteeMember]:
    """Make ``member`` the only head: every other active head of the committee is un-headed (and audited)."""
    previous = session.exec(
        select(CommitteeMember).where(CommitteeMember.committee_id == member.committee_id,
                                      CommitteeMember.is_head.is_(True), CommitteeMember.left_on.is_(None),
                                      CommitteeMember.id != (member.id or 0))
    ).all()
    for other in previous:
        before = snapshot(other)
        other.is_head = False
        session.add(other)
        session.flush()
        record(session, actor, "unhead", other, before=before, after=snapshot(other))
    return list(previous)


def add_member(session: Session, committee: Committee, *, actor: Optional[User], today: date,
               **values: Any) -> tuple[CommitteeMember, list[CommitteeMember]]:
    """Add a member; returns the member and the previous heads it replaced (when it is the new head)."""
    clean = _clean_member(session, committee, values, today)
    member = CommitteeMember(committee_id=committee.id, **clean)
    replaced = _take_head(session, member, actor=actor) if member.is_head else []
    session.add(member)
    session.flush()
    record(session, actor, "create", member, after=snapshot(member))
    return member, replaced


def update_member(session: Session, member: CommitteeMember, *, actor: Optional[User], today: date,
                  **values: Any) -> list[CommitteeMember]:
    """Correct a member's details; returns the previous heads replaced. A linked login follows the phone and name."""
    _require_active(member)
    committee = session.get(Committee, member.committee_id)
    clean = _clean_member(session, committee, values, today, member)
    replaced = _take_head(session, member, actor=actor) if clean["is_head"] else []
    before = snapshot(member)
    for key, value in clean.items():
        setattr(member, key, value)
    session.add(member)
    user = member_login(session, member)
    if user is not None and (user.phone, user.display_name) != (member.phone, member.full_name):
        user_before = snapshot(user, ["phone", "display_name"])
        user.phone, user.display_name = member.phone, member.full_name
        session.add(user)
        record(session, actor, "update", user, before=user_before, after=snapshot(user, ["phone", "display_name"]))
    session.flush()
    record(session, actor, "update", member, before=before, after=snapshot(member))
    return replaced


def _deactivate(session: Session, user: User, *, actor: Optional[User], action: str) -> None:
    """The login stops working at once: inactive, and every copy of its cookie is invalidated."""
    before = snapshot(user, ["active", "session_version"])
    user.active = False
    user.session_version += 1
    session.add(user)
    session.flush()
    record(session, actor, action, user, before=before, after=snapshot(user, ["active", "session_version"]))


def member_leaves(session: Session, member: CommitteeMember, *, actor: Optional[User], today: date,
                  left_on: date) -> None:
    """Record that the member left. Their login is deactivated; their households stay assigned until handed over."""
    _require_active(member)
    if left_on < member.joined_on:
        raise RegistryError(str(_l("Ngày rời ban không được trước ngày vào ban (%(d)s).",
                                   d=format_date(member.joined_on))), "left_on")
    if left_on > today:
        raise RegistryError(str(_l("Ngày rời ban không được sau hôm nay.")), "left_on")
    before = snapshot(member)
    member.left_on = left_on
    session.add(member)
    session.flush()
    record(session, actor, "leave", member, before=before, after=snapshot(member))
    user = member_login(session, member)
    if user is not None and user.active:
        _deactivate(session, user, actor=actor, action="deactivate")


def grant_login(session: Session, member: CommitteeMember, village: Village, *,
                actor: Optional[User]) -> tuple[User, str]:
    """Give the member a login (their phone number) with a generated one-time password, shown once to the official.

    A login that was taken away comes back, with a new password: the member's own, or, when the same person (same
    phone) had one in an earlier membership (they left and joined again), that one, which moves to this membership.
    """
    _require_active(member)
    user = member_login(session, member)
    if user is not None and user.active:
        raise RegistryError(str(_l("%(name)s đã có tài khoản đăng nhập. Nếu họ quên mật khẩu, hãy bấm “Cấp mật "
                                   "khẩu mới”.", name=member.full_name)))
    phone = normalise_phone(member.phone)
    if not phone or rules.phone_error(phone):
        raise RegistryError(str(_l("Cần số điện thoại đúng của thành viên (10 chữ số, bắt đầu bằng 0) để làm tên "
                                   "đăng nhập; hãy sửa thông tin thành viên trước.")))
    holder = session.exec(select(User).where(User.phone == phone)).first()
    if holder is not None and holder.id != (user.id if user else None):
        if user is not None or holder.active or holder.role != Role.MEMBER:
            raise _login_phone_taken(phone)
        user = holder
    password = generate_password()
    if user is None:
        user = create_user(session, phone=phone, display_name=member.full_name, role=Role.MEMBER, password=password,
                           commune_id=village.commune_id, village_id=village.id, actor=actor)
        user.must_change_password = True  # the official saw it: the member chooses their own at first sign-in
        session.add(user)
    else:
        before = snapshot(user)
        user.phone, user.display_name, user.active = phone, member.full_name, True
        user.commune_id, user.village_id = village.commune_id, village.id
        user.password_hash, user.password_changed_at = hash_password(password), utcnow()
        user.must_change_password = True  # as for a first login: the official saw this password
        user.session_version += 1
        session.add(user)
        session.flush()
        record(session, actor, "reactivate", user, before=before, after=snapshot(user))
    if member.user_id != user.id:
        _link_login(session, member, user, actor=actor)
    return user, password


def _link_login(session: Session, member: CommitteeMember, user: User, *, actor: Optional[User]) -> None:
    """A login belongs to one membership row: an earlier row of the same person lets go of it first."""
    for earlier in session.exec(select(CommitteeMember).where(CommitteeMember.user_id == user.id)).all():
        before = snapshot(earlier)
        earlier.user_id = None
        session.add(earlier)
        session.flush()
        record(session, actor, "unlink_login", earlier, before=before, after=snapshot(earlier))
    before = snapshot(member)
    member.user_id = user.id
    session.add(member)
    session.flush()
    record(session, actor, "grant_login", member, before=before, after=snapshot(member))


def reset_password(session: Session, member: CommitteeMember, *, actor: Optional[User]) -> tuple[User, str]:
    """A new one-time password for a member who forgot theirs, shown once to the official.

    The member's sessions end at once (on every phone); at their next sign-in they must choose their own password,
    and the one given here stops working if not used within ONE_TIME_PASSWORD_DAYS.
    """
    _require_active(member)
    user = member_login(session, member)
    if user is None or not user.active:
        raise RegistryError(str(_l("%(name)s chưa có tài khoản đang hoạt động; hãy bấm “Cấp tài khoản” thay vì "
                                   "cấp mật khẩu mới.", name=member.full_name)))
    password = generate_password()
    set_password(session, user, password, actor=actor, action="reset_password", one_time=True)
    return user, password


def revoke_login(session: Session, member: CommitteeMember, *, actor: Optional[User]) -> User:
    user = member_login(session, member)
    if user is None or not user.active:
        raise RegistryError(str(_l("%(name)s không có tài khoản đang hoạt động.", name=member.full_name)))
    _deactivate(session, user, actor=actor, action="revoke_login")
    return user
