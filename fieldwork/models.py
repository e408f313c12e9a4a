"""Every table and enum of Fieldwork.

Conventions: money is integer VND; rates are integer basis points (2200 = 22 %); instants are timezone-aware UTC
(:class:`UTCDateTime`) and shown in Asia/Ho_Chi_Minh; calendar facts (birth dates, card expiry, validity) are dates.
Enums are stored as their string values in plain VARCHAR columns (no database enum types), so adding a value never
needs a migration; SQLAlchemy refuses unknown values on write.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An instant, always timezone-aware UTC in Python, whatever the database keeps."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def enum_type(enum_cls: type[enum.Enum]) -> sa.Enum:
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def _instant(nullable: bool = True, **kw: Any) -> Any:
    return Field(default=None, sa_type=UTCDateTime(), nullable=nullable, **kw)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class StrEnum(str, enum.Enum):
    def __str__(self) -> str:  # so templates and f-strings show the value
        return self.value

    @property
    def label(self) -> str:
        """The value's name on screen, in the current language."""
        from .labels import label

        return label(self)


# --- enums -------------------------------------------------------------------------------------------------------


class ProvinceKind(StrEnum):
    TINH = "tinh"
    THANH_PHO = "thanh_pho"


class CommuneKind(StrEnum):
    XA = "xa"
    PHUONG = "phuong"
    DAC_KHU = "dac_khu"


class VillageKind(StrEnum):
    THON = "thon"
    XOM = "xom"
    AP = "ap"
    BAN = "ban"
    TO_DAN_PHO = "to_dan_pho"
    KHU_PHO = "khu_pho"
    KHAC = "khac"


class Organisation(StrEnum):
    FRONT = "front"  # Mặt trận Tổ quốc
    WOMEN = "women"  # Hội Phụ nữ
    FARMERS = "farmers"  # Hội Nông dân
    VETERANS = "veterans"  # Hội Cựu chiến binh
    YOUTH = "youth"  # Đoàn Thanh niên
    VILLAGE_HEAD = "village_head"  # Trưởng thôn
    HEALTH_WORKER = "health_worker"  # Y tế thôn bản
    COLLECTION_AGENT = "collection_agent"  # Nhân viên đại lý thu
    OTHER = "other"


class Role(StrEnum):
    ADMIN = "admin"
    OFFICIAL = "official"
    MEMBER = "member"


class Poverty(StrEnum):
    NONE = "none"
    POOR = "poor"  # hộ nghèo
    NEAR_POOR = "near_poor"  # hộ cận nghèo
    FARMING_AVERAGE = "farming_average"  # hộ nông lâm ngư nghiệp có mức sống trung bình
    HARDSHIP = "hardship"  # hoàn cảnh khó khăn


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Relation(StrEnum):
    HEAD = "head"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"
    CHILD_IN_LAW = "child_in_law"
    OTHER = "other"


class BhytStatus(StrEnum):
    NONE = "none"  # no valid card
    HOUSEHOLD = "household"  # bought as BHYT hộ gia đình
    OTHER_GROUP = "other_group"  # covered through another group (employee, child < 6, pensioner, poor, student...)


class BhxhStatus(StrEnum):
    NONE = "none"
    VOLUNTARY = "voluntary"
    COMPULSORY = "compulsory"
    PENSIONER = "pensioner"


class VisitOutcome(StrEnum):
    AGREED = "agreed"
    CONSIDERING = "considering"
    REFUSED = "refused"
    NOT_HOME = "not_home"
    ALREADY_COVERED = "already_covered"
    MOVED_AWAY = "moved_away"
    DO_NOT_CONTACT = "do_not_contact"


class RefusalReason(StrEnum):
    CANNOT_AFFORD = "cannot_afford"
    NO_TRUST = "no_trust"
    HAS_OTHER_INSURANCE = "has_other_insurance"
    AGE = "age"
    FAMILY_AGAINST = "family_against"
    OTHER = "other"


class Channel(StrEnum):
    HOME = "home"
    PHONE = "phone"
    MEETING = "meeting"


class FollowUpKind(StrEnum):
    REVISIT = "revisit"
    NEEDS_SPONSOR = "needs_sponsor"
    COMPLETE_ENROLMENT = "complete_enrolment"
    RENEWAL = "renewal"


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Scheme(StrEnum):
    BHXH_TN = "bhxh_tn"  # BHXH tự nguyện
    BHYT_HGD = "bhyt_hgd"  # BHYT hộ gia đình


class EnrolmentKind(StrEnum):
    NEW = "new"
    RENEWAL = "renewal"


class PaymentMode(StrEnum):
    """Mode codes as on the agents' D05-TS form."""

    MONTHLY = "1"
    QUARTERLY = "3"
    HALF_YEARLY = "6"
    YEARLY = "12"
    FUTURE_YEARS = "VS"
    MISSING_PERIOD = "TH"


class DonorKind(StrEnum):
    PERSON = "person"
    OFFICIAL = "official"
    BUSINESS = "business"
    BANK = "bank"
    MASS_ORGANISATION = "mass_organisation"
    OTHER_ORGANISATION = "other_organisation"


class SponsorshipStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    PAID = "paid"
    HANDED_OVER = "handed_over"
    ENDED = "ended"
    CANCELLED = "cancelled"


class Indicator(StrEnum):
    NEW_BHXH_TN = "new_bhxh_tn"
    NEW_BHYT_HGD = "new_bhyt_hgd"
    RENEWALS = "renewals"
    BHYT_COVERAGE = "bhyt_coverage"  # value in basis points of the population
    SPONSORED = "sponsored"


class PeriodKind(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    CAMPAIGN = "campaign"


# --- administrative units ----------------------------------------------------------------------------------------


class Province(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(max_length=2, unique=True)
    name: str = Field(max_length=120)
    kind: ProvinceKind = Field(sa_type=enum_type(ProvinceKind))
    valid_from: date = Field(default=date(2025, 7, 1))
    valid_to: Optional[date] = None


class Commune(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    province_id: int = Field(foreign_key="province.id", index=True)
    code: str = Field(max_length=5, unique=True)
    name: str = Field(max_length=120)
    kind: CommuneKind = Field(sa_type=enum_type(CommuneKind))
    valid_from: date = Field(default=date(2025, 7, 1))
    valid_to: Optional[date] = None
    # Set when the commune was merged into another (see fieldwork/units): its villages moved there; it stays as history.
    merged_into_id: Optional[int] = Field(default=None, foreign_key="commune.id")
    merged_on: Optional[date] = None


class Village(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("commune_id", "code"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    code: str = Field(max_length=20)
    name: str = Field(max_length=120)
    kind: VillageKind = Field(default=VillageKind.THON, sa_type=enum_type(VillageKind))
    valid_from: date = Field(default=date(2025, 7, 1))
    valid_to: Optional[date] = None
    # Set when the village was merged into another: its households moved there; it stays as history.
    merged_into_id: Optional[int] = Field(default=None, foreign_key="village.id")
    merged_on: Optional[date] = None
    created_at: datetime = _created()


class UnitKind(StrEnum):
    COMMUNE = "commune"
    VILLAGE = "village"


class UnitChangeKind(StrEnum):
    RENAME = "rename"
    MERGE = "merge"


class UnitChange(SQLModel, table=True):
    """One administrative change, as recorded: a commune or village renamed, or merged into another, from a date.

    The record of what happened, kept for ever: the names before and after, so the name in force on any past date
    can be told, and what the merge moved (``moved``: counts and re-coded villages), shown on the history page.
    """

    __tablename__ = "unit_change"

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: UnitChangeKind = Field(sa_type=enum_type(UnitChangeKind))
    unit_type: UnitKind = Field(sa_type=enum_type(UnitKind))
    # The commune or village renamed or merged away (an id of ``commune`` or ``village`` as ``unit_type`` says).
    unit_id: int = Field(index=True)
    into_id: Optional[int] = None  # merges: the surviving unit, of the same type
    effective_on: date
    old_name: str = Field(max_length=120)
    new_name: Optional[str] = Field(default=None, max_length=120)  # renames
    into_name: Optional[str] = Field(default=None, max_length=120)  # merges: the survivor's name on that day
    note: Optional[str] = Field(default=None, max_length=500)  # the decision (số nghị quyết), as the admin typed it
    moved: Optional[dict] = Field(default=None, sa_type=sa.JSON)
    actor_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    recorded_at: datetime = _created()


# --- people who use the app --------------------------------------------------------------------------------------


class User(UserMixin, SQLModel, table=True):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL

    id: Optional[int] = Field(default=None, primary_key=True)
    phone: str = Field(max_length=15, unique=True)
    display_name: str = Field(max_length=120)
    role: Role = Field(sa_type=enum_type(Role))
    # Scope: an official's commune; a member's village (and commune). An admin has neither.
    commune_id: Optional[int] = Field(default=None, foreign_key="commune.id", index=True)
    village_id: Optional[int] = Field(default=None, foreign_key="village.id", index=True)
    active: bool = True
    password_hash: str = Field(max_length=255)
    # Part of the login cookie: bumping it (at logout, password change) invalidates every copy of the cookie.
    session_version: int = 1
    # Set with a one-time password from an official: the user must choose their own before doing anything else.
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    password_changed_at: Optional[datetime] = _instant()
    locale: Optional[str] = Field(default=None, max_length=5)
    created_at: datetime = _created()
    last_login_at: Optional[datetime] = _instant()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    def get_id(self) -> str:  # Flask-Login
        return f"{self.id}:{self.session_version}"


# --- committees --------------------------------------------------------------------------------------------------


class Committee(SQLModel, table=True):
    __table_args__ = (
        # One committee per village at a time.
        sa.Index(
            "uq_committee_village_current",
            "village_id",
            unique=True,
            sqlite_where=sa.text("dissolved_on IS NULL"),
            postgresql_where=sa.text("dissolved_on IS NULL"),
        ),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    established_on: date
    dissolved_on: Optional[date] = None
    decision_ref: Optional[str] = Field(default=None, max_length=80)  # số quyết định thành lập
    notes: Optional[str] = None


class CommitteeMember(SQLModel, table=True):
    __tablename__ = "committee_member"

    id: Optional[int] = Field(default=None, primary_key=True)
    committee_id: int = Field(foreign_key="committee.id", index=True)
    full_name: str = Field(max_length=120)
    phone: Optional[str] = Field(default=None, max_length=15)
    organisation: Organisation = Field(sa_type=enum_type(Organisation))
    title: Optional[str] = Field(default=None, max_length=120)  # chức danh, e.g. "Trưởng ban công tác Mặt trận"
    is_head: bool = False
    joined_on: date
    left_on: Optional[date] = None
    user_id: Optional[int] = Field(default=None, foreign_key="user_account.id", unique=True)


# --- households and people ---------------------------------------------------------------------------------------


class Household(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("village_id", "code"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    code: str = Field(max_length=32)
    head_name: str = Field(max_length=120)
    address: Optional[str] = Field(default=None, max_length=255)
    hamlet_group: Optional[str] = Field(default=None, max_length=60)  # tổ / xóm / cụm within the village
    phone: Optional[str] = Field(default=None, max_length=15)
    poverty: Poverty = Field(default=Poverty.NONE, sa_type=enum_type(Poverty))
    notes: Optional[str] = None
    archived_at: Optional[datetime] = _instant()
    merged_into_id: Optional[int] = Field(default=None, foreign_key="household.id")
    # Set by a visit "asked not to be contacted" or "moved away": the household leaves every worklist.
    outreach_stopped: Optional[str] = Field(default=None, max_length=20)
    outreach_stopped_at: Optional[datetime] = _instant()
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Person(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_person_name_key_birth_year", "name_key", "birth_year"),
        sa.Index("ix_person_bhyt_card_expiry", "bhyt_card_expiry"),
        sa.Index("ix_person_bhxh_paid_until", "bhxh_paid_until"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    full_name: str = Field(max_length=120)
    name_key: str = Field(default="", max_length=120)  # fold(full_name): for duplicate checks
    birth_date: Optional[date] = None
    birth_year: int  # always set; equals birth_date.year when the date is known
    sex: Sex = Field(sa_type=enum_type(Sex))
    relation: Relation = Field(default=Relation.OTHER, sa_type=enum_type(Relation))
    cccd: Optional[str] = Field(default=None, max_length=12, unique=True)
    bhxh_code: Optional[str] = Field(default=None, max_length=10, unique=True)
    ethnicity: str = Field(default="Kinh", max_length=40)
    occupation: Optional[str] = Field(default=None, max_length=120)
    bhyt_status: BhytStatus = Field(default=BhytStatus.NONE, sa_type=enum_type(BhytStatus))
    bhyt_card_expiry: Optional[date] = None
    bhxh_status: BhxhStatus = Field(default=BhxhStatus.NONE, sa_type=enum_type(BhxhStatus))
    bhxh_paid_until: Optional[date] = None
    consent_at: Optional[datetime] = _instant()
    consent_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    consent_note: Optional[str] = Field(default=None, max_length=255)
    # The person withdrew consent: no more outreach, and reports count them without naming them.
    consent_withdrawn_at: Optional[datetime] = _instant()
    consent_withdrawn_note: Optional[str] = Field(default=None, max_length=255)
    archived_at: Optional[datetime] = _instant()
    merged_into_id: Optional[int] = Field(default=None, foreign_key="person.id")
    created_at: datetime = _created()
    updated_at: datetime = _created()


class SearchEntry(SQLModel, table=True):
    """One searchable record (a household or a person) with its folded text and its scope.

    ``doc`` holds the folded words (names, codes, phone, CCCD, BHXH code); ``scope`` the tokens ``v<village id>``
    and ``c<commune id>``, kept apart so that nothing a user types can match them, yet one full-text lookup both
    matches and scopes. SQLite indexes both with an FTS5 table (``search_fts``, external content, column filters),
    PostgreSQL with a GIN index on ``doc`` weighted A and ``scope`` weighted B; both are created by the migrations,
    not by the metadata.
    """

    __tablename__ = "search_entry"
    __table_args__ = (sa.UniqueConstraint("entity", "entity_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    entity: str = Field(max_length=10)  # "household" | "person"
    entity_id: int
    household_id: int = Field(foreign_key="household.id", index=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    doc: str
    scope: str = Field(default="")


class DuplicateDismissal(SQLModel, table=True):
    """An official's word that two person records that look alike are different people."""

    __tablename__ = "duplicate_dismissal"
    __table_args__ = (sa.UniqueConstraint("person_id", "other_person_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    other_person_id: int = Field(foreign_key="person.id", index=True)
    dismissed_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    dismissed_at: datetime = _created()


class ImportBatch(SQLModel, table=True):
    """An uploaded household list: previewed, then confirmed (all rows) or abandoned (none)."""

    __tablename__ = "import_batch"

    id: Optional[int] = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    rows: int = 0
    households_created: int = 0
    households_updated: int = 0
    people_created: int = 0
    people_updated: int = 0
    uploaded_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = _created()
    confirmed_at: Optional[datetime] = _instant()


# --- field work --------------------------------------------------------------------------------------------------


class Assignment(SQLModel, table=True):
    __table_args__ = (
        # Exactly one responsible member per household at a time.
        sa.Index(
            "uq_assignment_household_current",
            "household_id",
            unique=True,
            sqlite_where=sa.text("valid_to IS NULL"),
            postgresql_where=sa.text("valid_to IS NULL"),
        ),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    member_id: int = Field(foreign_key="committee_member.id", index=True)
    valid_from: date
    valid_to: Optional[date] = None
    assigned_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = _created()


class Visit(SQLModel, table=True):
    # (member_id, visited_at): a member's last visit is one index probe (the dashboard asks for every member of a
    # commune); it also serves every lookup by member alone.
    __table_args__ = (sa.Index("ix_visit_household_visited_at", "household_id", "visited_at"),
                      sa.Index("ix_visit_member_visited_at", "member_id", "visited_at"))

    id: Optional[int] = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36, unique=True)  # generated by the phone: a replayed visit is recognised
    household_id: int = Field(foreign_key="household.id", index=True)
    member_id: int = Field(foreign_key="committee_member.id")
    visited_at: datetime = Field(sa_type=UTCDateTime(), nullable=False, index=True)
    outcome: VisitOutcome = Field(sa_type=enum_type(VisitOutcome))
    reason: Optional[RefusalReason] = Field(default=None, sa_type=enum_type(RefusalReason))
    scheme: Optional[Scheme] = Field(default=None, sa_type=enum_type(Scheme))
    channel: Channel = Field(default=Channel.HOME, sa_type=enum_type(Channel))
    met_person: Optional[str] = Field(default=None, max_length=120)
    notes: Optional[str] = None
    next_date: Optional[date] = None
    created_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = _created()
    updated_at: datetime = _created()


class VisitPerson(SQLModel, table=True):
    """Who in the household a visit was about (e.g. the people who agreed to join)."""

    __tablename__ = "visit_person"

    visit_id: int = Field(foreign_key="visit.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class FollowUp(SQLModel, table=True):
    __tablename__ = "follow_up"
    __table_args__ = (sa.Index("ix_follow_up_member_status_due", "member_id", "status", "due_on"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    person_id: Optional[int] = Field(default=None, foreign_key="person.id", index=True)
    member_id: Optional[int] = Field(default=None, foreign_key="committee_member.id", index=True)
    visit_id: Optional[int] = Field(default=None, foreign_key="visit.id", index=True)
    kind: FollowUpKind = Field(sa_type=enum_type(FollowUpKind))
    status: FollowUpStatus = Field(default=FollowUpStatus.OPEN, sa_type=enum_type(FollowUpStatus))
    due_on: date = Field(index=True)
    note: Optional[str] = Field(default=None, max_length=255)
    created_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = _created()
    closed_at: Optional[datetime] = _instant()


class AttentionReason(StrEnum):
    REASSIGNED = "reassigned"  # the household had another responsible member by the time the visit arrived
    ARCHIVED = "archived"  # archived or merged away by the time the visit arrived
    CONFLICT = "conflict"  # the same visit (UUID) sent again with different content; the stored one is kept


class VisitAttention(SQLModel, table=True):
    """A visit sent from a phone that an official must look at: kept as it arrived, never dropped.

    A visit logged offline for a household that was reassigned or archived meanwhile is stored without its usual
    effects (follow-ups, taking the household off the worklists); for a conflict, ``payload`` holds what the phone
    sent, since the stored visit is never overwritten.
    """

    __tablename__ = "visit_attention"
    __table_args__ = (
        # What is still waiting: every official page counts it (the status bar), starting from these rows.
        sa.Index("ix_visit_attention_open", "visit_id", sqlite_where=sa.text("resolved_at IS NULL"),
                 postgresql_where=sa.text("resolved_at IS NULL")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    reason: AttentionReason = Field(sa_type=enum_type(AttentionReason))
    payload: Optional[dict] = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = _created()
    resolved_at: Optional[datetime] = _instant()
    resolved_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")


class Donor(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    name: str = Field(max_length=200)
    kind: DonorKind = Field(sa_type=enum_type(DonorKind))
    contact_name: Optional[str] = Field(default=None, max_length=120)
    phone: Optional[str] = Field(default=None, max_length=15)
    address: Optional[str] = Field(default=None, max_length=255)
    email: Optional[str] = Field(default=None, max_length=200)
    consent_public: bool = False  # may be named publicly (reports, ceremonies)
    notes: Optional[str] = None
    created_at: datetime = _created()


class Sponsorship(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    donor_id: int = Field(foreign_key="donor.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    scheme: Scheme = Field(sa_type=enum_type(Scheme))
    months: int
    from_month: date  # first day of the first month covered
    amount: int  # VND the donor pays
    status: SponsorshipStatus = Field(default=SponsorshipStatus.PROPOSED, sa_type=enum_type(SponsorshipStatus))
    proposed_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    approved_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    approved_at: Optional[datetime] = _instant()
    paid_on: Optional[date] = None
    handed_over_on: Optional[date] = None
    handover_event: Optional[str] = Field(default=None, max_length=255)
    event_id: Optional[int] = Field(default=None, foreign_key="outreach_event.id", index=True)
    ended_on: Optional[date] = None
    notes: Optional[str] = None
    created_at: datetime = _created()


class OutreachKind(StrEnum):
    MEETING = "meeting"  # hội nghị khách hàng / họp thôn
    BROADCAST = "broadcast"  # loa truyền thanh
    CEREMONY = "ceremony"  # lễ trao sổ, thẻ
    OTHER = "other"


class OutreachEvent(SQLModel, table=True):
    """A village meeting, loudspeaker broadcast or hand-over ceremony, with who came and who spoke."""

    __tablename__ = "outreach_event"

    id: Optional[int] = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    village_id: Optional[int] = Field(default=None, foreign_key="village.id", index=True)  # None: commune-wide
    kind: OutreachKind = Field(sa_type=enum_type(OutreachKind))
    held_on: date = Field(index=True)
    title: str = Field(max_length=200)
    attendance: Optional[int] = None
    speakers: Optional[str] = Field(default=None, max_length=255)
    notes: Optional[str] = None
    created_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = _created()


class Enrolment(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    scheme: Scheme = Field(sa_type=enum_type(Scheme))
    kind: EnrolmentKind = Field(default=EnrolmentKind.NEW, sa_type=enum_type(EnrolmentKind))
    chosen_income: Optional[int] = None  # BHXH tự nguyện: monthly income the contribution is based on
    payment_mode: Optional[PaymentMode] = Field(default=None, sa_type=enum_type(PaymentMode))
    months: int
    from_month: date  # first day of the first month paid
    valid_until: date = Field(index=True)  # paid-until (BHXH) or card valid until (BHYT)
    bhyt_rank: Optional[int] = None  # 1 = first member of the household, ...
    amount_total: int
    amount_person: int
    amount_state: int = 0
    amount_local: int = 0
    amount_other: int = 0
    member_id: Optional[int] = Field(default=None, foreign_key="committee_member.id", index=True)
    visit_id: Optional[int] = Field(default=None, foreign_key="visit.id")
    sponsorship_id: Optional[int] = Field(default=None, foreign_key="sponsorship.id", index=True)
    event_id: Optional[int] = Field(default=None, foreign_key="outreach_event.id", index=True)
    receipt_no: Optional[str] = Field(default=None, max_length=40)
    receipt_date: Optional[date] = None
    # Cards of one household bought together share a batch: their ranks are counted within it.
    batch_key: Optional[str] = Field(default=None, max_length=36, index=True)
    collector_code: Optional[str] = Field(default=None, max_length=20)  # mã số nhân viên thu (D05-TS)
    # The support shares the amounts were computed with (basis points), as the agents' lists print them.
    state_share_bp: Optional[int] = None
    local_share_bp: Optional[int] = None
    recorded_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = _created()


class DropoutReason(StrEnum):
    CANNOT_AFFORD = "cannot_afford"
    FORGOT = "forgot"
    NO_TRUST = "no_trust"
    COVERED_ELSEWHERE = "covered_elsewhere"  # now compulsory / another group
    MOVED_AWAY = "moved_away"
    DIED = "died"
    OTHER = "other"


class Dropout(SQLModel, table=True):
    """Someone who did not renew: when their cover ended and why."""

    id: Optional[int] = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    scheme: Scheme = Field(sa_type=enum_type(Scheme))
    ended_on: date = Field(index=True)
    reason: DropoutReason = Field(sa_type=enum_type(DropoutReason))
    note: Optional[str] = Field(default=None, max_length=255)
    member_id: Optional[int] = Field(default=None, foreign_key="committee_member.id", index=True)
    recorded_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = _created()


class Target(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    village_id: Optional[int] = Field(default=None, foreign_key="village.id", index=True)
    member_id: Optional[int] = Field(default=None, foreign_key="committee_member.id", index=True)
    parent_id: Optional[int] = Field(default=None, foreign_key="target.id", index=True)
    indicator: Indicator = Field(sa_type=enum_type(Indicator))
    period_kind: PeriodKind = Field(sa_type=enum_type(PeriodKind))
    label: Optional[str] = Field(default=None, max_length=120)  # e.g. "Cao điểm tháng 11/2026"
    period_start: date
    period_end: date
    deadline: date
    value: int  # a count, or basis points for a rate
    created_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = _created()


class ReportKind(StrEnum):
    VILLAGE = "village"
    COMMUNE = "commune"


class Report(SQLModel, table=True):
    """A weekly report as printed: its figures and its PDF, frozen. A correction is a new version with a note."""

    __tablename__ = "report"
    __table_args__ = (sa.UniqueConstraint("unit_key", "week_start", "version"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: ReportKind = Field(sa_type=enum_type(ReportKind))
    commune_id: int = Field(foreign_key="commune.id", index=True)
    village_id: Optional[int] = Field(default=None, foreign_key="village.id", index=True)
    unit_key: str = Field(max_length=20)  # "v<village id>" or "c<commune id>": one numbering of versions per unit
    week_start: date = Field(index=True)  # the Monday of the ISO week
    week_end: date
    version: int = 1
    note: Optional[str] = None  # why a new version was issued
    proposals: Optional[str] = None  # khó khăn, kiến nghị, as the committee head wrote them
    prepared_by: str = Field(max_length=120)  # người lập biểu, as printed
    figures: dict = Field(sa_type=sa.JSON)
    pdf: bytes = Field(sa_type=sa.LargeBinary)
    pdf_sha256: str = Field(max_length=64)
    pdf_size: int
    created_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = _created()


# --- policy and audit --------------------------------------------------------------------------------------------


class PolicyParameter(SQLModel, table=True):
    """A legal figure in force from a date: base salary, poverty line, rates, support shares, provincial top-ups."""

    __tablename__ = "policy_parameter"
    __table_args__ = (sa.UniqueConstraint("key", "province_code", "valid_from"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=60, index=True)
    value: int  # VND, basis points or a count, as `unit` says
    unit: str = Field(max_length=10)  # "vnd", "bp", "months", "count"
    province_code: Optional[str] = Field(default=None, max_length=2)  # provincial top-ups only
    valid_from: date
    valid_to: Optional[date] = None
    legal_source: str = Field(max_length=255)
    note: Optional[str] = None
    updated_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = _created()


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_entity", "entity", "entity_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = _created()
    user_id: Optional[int] = Field(default=None, foreign_key="user_account.id", index=True)
    action: str = Field(max_length=40)  # "create", "update", "archive", "login", ...
    entity: str = Field(max_length=40)
    entity_id: Optional[int] = None
    before: Optional[dict] = Field(default=None, sa_type=sa.JSON)
    after: Optional[dict] = Field(default=None, sa_type=sa.JSON)
    ip: Optional[str] = Field(default=None, max_length=45)


class DataRevision(SQLModel, table=True):
    """Counters raised by every transaction that writes, by where the writer works: a member's writes raise their
    village's row (``commune_id``, ``village_id``), an official's their commune's row (``village_id`` 0), anyone
    else's — an admin, a command, a failed sign-in — the row (0, 0), which concerns every commune.

    Rendered pages kept in memory (:mod:`fieldwork.pagecache`) are keyed by them: a write commits its raise in the
    same transaction, so no page built before a write is served after it, by any worker."""

    __tablename__ = "data_revision"

    commune_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    village_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    revision: int = Field(default=0, sa_type=sa.BigInteger)
