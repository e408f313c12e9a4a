"""Legal figures as dated parameters, and (from the field-work issue on) the contribution arithmetic over them.

Figures marked [check] in the domain reference are seeded with a note saying so; an admin edits them with their
legal source. Nothing here is a constant in the arithmetic: every figure is looked up for the date in question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Optional

from flask_babel import gettext as _
from sqlmodel import Session, or_, select

from .models import PolicyParameter, Sex
from .text import format_vnd


@dataclass(frozen=True)
class Seed:
    key: str
    value: int
    unit: str
    valid_from: date
    legal_source: str
    note: Optional[str] = None


CHECK = "[cần kiểm tra] chỉ có một nguồn hoặc dự thảo; quản trị viên cập nhật khi có văn bản chính thức"

DEFAULT_PARAMETERS: tuple[Seed, ...] = (
    # Base salary (lương cơ sở): BHYT contributions and the BHXH ceiling are computed from it.
    Seed("base_salary", 1_800_000, "vnd", date(2023, 7, 1), "Nghị định 24/2023/NĐ-CP"),
    Seed("base_salary", 2_340_000, "vnd", date(2024, 7, 1), "Nghị định 73/2024/NĐ-CP"),
    Seed("base_salary", 2_530_000, "vnd", date(2026, 7, 1), "Mức lương cơ sở từ 01/7/2026", CHECK),
    # Rural poverty line: the floor of the chosen income and the basis of state support.
    Seed("rural_poverty_line", 1_500_000, "vnd", date(2022, 1, 1), "Nghị định 07/2021/NĐ-CP"),
    # Voluntary social insurance.
    Seed("bhxh_tn_rate", 2200, "bp", date(2016, 1, 1), "Luật BHXH 58/2014/QH13; Luật BHXH 41/2024/QH15"),
    Seed("bhxh_tn_ceiling_multiple", 20, "count", date(2016, 1, 1), "Luật BHXH 41/2024/QH15"),
    Seed("bhxh_tn_income_step", 50_000, "vnd", date(2016, 1, 1), "Thực tế các máy tính mức đóng", CHECK),
    Seed("bhxh_tn_support_max_months", 120, "months", date(2018, 1, 1), "Nghị định 134/2015/NĐ-CP; Nghị định 159/2025/NĐ-CP"),
    Seed("bhxh_tn_support_poor", 3000, "bp", date(2018, 1, 1), "Nghị định 134/2015/NĐ-CP"),
    Seed("bhxh_tn_support_poor", 5000, "bp", date(2025, 7, 1), "Nghị định 159/2025/NĐ-CP"),
    Seed("bhxh_tn_support_near_poor", 2500, "bp", date(2018, 1, 1), "Nghị định 134/2015/NĐ-CP"),
    Seed("bhxh_tn_support_near_poor", 4000, "bp", date(2025, 7, 1), "Nghị định 159/2025/NĐ-CP"),
    Seed("bhxh_tn_support_island", 1000, "bp", date(2018, 1, 1), "Nghị định 134/2015/NĐ-CP (đối tượng khác)"),
    Seed("bhxh_tn_support_island", 5000, "bp", date(2025, 7, 1), "Nghị định 159/2025/NĐ-CP"),
    Seed("bhxh_tn_support_ethnic_minority", 1000, "bp", date(2018, 1, 1), "Nghị định 134/2015/NĐ-CP (đối tượng khác)"),
    Seed("bhxh_tn_support_ethnic_minority", 3000, "bp", date(2025, 7, 1), "Nghị định 159/2025/NĐ-CP"),
    Seed("bhxh_tn_support_other", 1000, "bp", date(2018, 1, 1), "Nghị định 134/2015/NĐ-CP"),
    Seed("bhxh_tn_support_other", 2000, "bp", date(2025, 7, 1), "Nghị định 159/2025/NĐ-CP"),
    # Household health insurance.
    Seed("bhyt_hgd_rate", 450, "bp", date(2018, 1, 1), "Nghị định 146/2018/NĐ-CP; Nghị định 188/2025/NĐ-CP"),
    Seed("bhyt_hgd_rank_2", 7000, "bp", date(2018, 1, 1), "Nghị định 146/2018/NĐ-CP; Nghị định 188/2025/NĐ-CP"),
    Seed("bhyt_hgd_rank_3", 6000, "bp", date(2018, 1, 1), "Nghị định 146/2018/NĐ-CP; Nghị định 188/2025/NĐ-CP"),
    Seed("bhyt_hgd_rank_4", 5000, "bp", date(2018, 1, 1), "Nghị định 146/2018/NĐ-CP; Nghị định 188/2025/NĐ-CP"),
    Seed("bhyt_hgd_rank_5", 4000, "bp", date(2018, 1, 1), "Nghị định 146/2018/NĐ-CP; Nghị định 188/2025/NĐ-CP"),
    Seed("bhyt_support_near_poor", 7000, "bp", date(2018, 1, 1), "Nghị định 146/2018/NĐ-CP; Nghị định 188/2025/NĐ-CP"),
    Seed("bhyt_support_student", 5000, "bp", date(2018, 1, 1), "Nghị định 188/2025/NĐ-CP (tối thiểu)"),
    Seed("bhyt_support_farming_average", 3000, "bp", date(2018, 1, 1), "Nghị định 188/2025/NĐ-CP (tối thiểu)", CHECK),
    Seed("bhyt_support_near_poor_poor_commune", 10000, "bp", date(2018, 1, 1), "Nghị định 188/2025/NĐ-CP"),
    # Lump sums (VS: future years, TH: missing period) are discounted / compounded at the fund's monthly rate,
    # announced each year by Vietnam Social Security; 0 until an admin enters it.
    Seed("bhxh_tn_lump_sum_monthly_rate_ppm", 0, "ppm", date(2016, 1, 1),
         "Thông tư 01/2016/TT-BLĐTBXH; lãi suất do BHXH Việt Nam công bố hằng năm", CHECK),
    Seed("bhxh_tn_max_future_years", 5, "count", date(2016, 1, 1), "Nghị định 159/2025/NĐ-CP"),
    Seed("bhxh_tn_max_missing_months", 60, "months", date(2016, 1, 1), "Nghị định 159/2025/NĐ-CP"),
)


def seed_parameters(session: Session) -> int:
    """Seed the keys that have no national rows yet (all of a key's history at once). Returns rows added.

    A key an admin has already touched is left alone: re-seeding must never undo a corrected start date or value.
    """
    present = set(session.exec(
        select(PolicyParameter.key).where(PolicyParameter.province_code.is_(None)).distinct()
    ).all())
    added = 0
    for seed in DEFAULT_PARAMETERS:
        if seed.key in present:
            continue
        session.add(
            PolicyParameter(
                key=seed.key,
                value=seed.value,
                unit=seed.unit,
                valid_from=seed.valid_from,
                legal_source=seed.legal_source,
                note=seed.note,
            )
        )
        added += 1
    session.flush()
    return added


class MissingParameter(LookupError):
    pass


def parameter(session: Session, key: str, on: date, province_code: Optional[str] = None) -> int:
    """The value of ``key`` in force on ``on``: the newest start date not after it (provincial rows when asked)."""
    row = session.exec(
        select(PolicyParameter)
        .where(
            PolicyParameter.key == key,
            PolicyParameter.province_code == province_code
            if province_code
            else PolicyParameter.province_code.is_(None),
            PolicyParameter.valid_from <= on,
            or_(PolicyParameter.valid_to.is_(None), PolicyParameter.valid_to >= on),
        )
        .order_by(PolicyParameter.valid_from.desc())
    ).first()
    if row is None:
        raise MissingParameter(f"{key} on {on.isoformat()}")
    return row.value


def retirement_age_months(sex, year: int) -> int:
    """Normal retirement age in months for someone reaching it in ``year`` (Labour Code 2019, Decree 135/2020):
    men 60y3m in 2021 rising 3 months a year to 62 (2028); women 55y4m in 2021 rising 4 months a year to 60 (2035)."""
    steps = max(0, year - 2020)
    if sex == Sex.MALE:
        return min(60 * 12 + 3 * steps, 62 * 12)
    return min(55 * 12 + 4 * steps, 60 * 12)


# --- the contribution calculator: pure functions over a snapshot of the parameters -------------------------------

SUPPORT_GROUP_ORDER = ("poor", "island", "near_poor", "ethnic_minority", "other")


class SupportGroup(str, Enum):
    """Who gets which state support for voluntary social insurance; the highest share applies."""

    POOR = "poor"
    ISLAND = "island"  # living in an island commune / special zone
    NEAR_POOR = "near_poor"
    ETHNIC_MINORITY = "ethnic_minority"
    OTHER = "other"


class BhytSupport(str, Enum):
    NONE = "none"
    NEAR_POOR = "near_poor"
    NEAR_POOR_POOR_COMMUNE = "near_poor_poor_commune"
    STUDENT = "student"
    FARMING_AVERAGE = "farming_average"


PAYMENT_MONTHS = {"1": 1, "3": 3, "6": 6, "12": 12}


@dataclass(frozen=True)
class PolicySnapshot:
    """The parameters in force on one date (national, plus a province's own top-ups)."""

    on: date
    values: dict
    province_values: dict = field(default_factory=dict)

    def get(self, key: str) -> int:
        if key not in self.values:
            raise MissingParameter(f"{key} on {self.on.isoformat()}")
        return self.values[key]

    def local(self, key: str) -> int:
        return self.province_values.get(key, 0)

    @classmethod
    def from_rows(cls, rows, on: date, province_code: Optional[str] = None) -> "PolicySnapshot":
        """``rows``: objects with key, value, valid_from, valid_to and province_code (seeds or table rows)."""
        national: dict = {}
        local: dict = {}
        for row in sorted(rows, key=lambda r: r.valid_from):
            if row.valid_from > on or (getattr(row, "valid_to", None) and row.valid_to < on):
                continue
            code = getattr(row, "province_code", None)
            if code is None:
                national[row.key] = row.value
            elif code == province_code:
                local[row.key] = row.value
        return cls(on=on, values=national, province_values=local)


def snapshot(session: Session, on: date, province_code: Optional[str] = None) -> PolicySnapshot:
    rows = session.exec(
        select(PolicyParameter).where(
            PolicyParameter.valid_from <= on,
            or_(PolicyParameter.province_code.is_(None), PolicyParameter.province_code == province_code),
        )
    ).all()
    return PolicySnapshot.from_rows(rows, on, province_code)


def _share(amount: int, basis_points: int) -> int:
    """``amount × bp / 10000`` rounded half up to the dong, in integers (no float drift)."""
    return (amount * basis_points + 5000) // 10000


class CalculatorError(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class BhxhQuote:
    chosen_income: int
    months: int
    monthly: int  # 22 % of the chosen income
    state_monthly: int
    local_monthly: int
    supported_months: int  # months within the 120-month support limit
    total: int
    state: int
    local: int
    other: int
    person: int
    state_share_bp: int
    local_share_bp: int


def bhxh_income_error(p: PolicySnapshot, income: int) -> Optional[str]:
    floor = p.get("rural_poverty_line")
    ceiling = p.get("bhxh_tn_ceiling_multiple") * p.get("base_salary")
    step = p.get("bhxh_tn_income_step")
    if income < floor:
        return _("Mức thu nhập lựa chọn thấp nhất là %(v)s (chuẩn hộ nghèo khu vực nông thôn); hãy chọn từ mức này trở lên.",
                 v=format_vnd(floor))
    if income > ceiling:
        return _("Mức thu nhập lựa chọn cao nhất là %(v)s (20 lần mức tham chiếu); hãy chọn mức thấp hơn.",
                 v=format_vnd(ceiling))
    if income % step:
        lower = income - income % step
        return _("Mức thu nhập phải là bội số của %(s)s; ví dụ %(a)s hoặc %(b)s.", s=format_vnd(step),
                 a=format_vnd(max(lower, floor)), b=format_vnd(lower + step))
    return None


def bhxh_months(p: PolicySnapshot, mode: str, years: int = 0, missing_months: int = 0) -> int:
    if mode in PAYMENT_MONTHS:
        return PAYMENT_MONTHS[mode]
    if mode == "VS":
        if not 1 <= years <= p.get("bhxh_tn_max_future_years"):
            raise CalculatorError(_("Đóng một lần cho nhiều năm về sau: chọn từ 1 đến %(n)s năm.",
                                    n=p.get("bhxh_tn_max_future_years")), "years")
        return years * 12
    if mode == "TH":
        if not 1 <= missing_months <= p.get("bhxh_tn_max_missing_months"):
            raise CalculatorError(_("Đóng một lần cho thời gian còn thiếu: từ 1 đến %(n)s tháng.",
                                    n=p.get("bhxh_tn_max_missing_months")), "missing_months")
        return missing_months
    raise CalculatorError(_("Phương thức đóng không hợp lệ; hãy chọn 1, 3, 6, 12 tháng, nhiều năm (VS) hoặc còn thiếu (TH)."),
                          "mode")


def bhxh_quote(p: PolicySnapshot, *, income: int, mode: str, groups: set = frozenset(), years: int = 0,
               missing_months: int = 0, support_months_used: int = 0, other_support: int = 0) -> BhxhQuote:
    """What a voluntary social-insurance participant pays, and each support part, for one payment.

    State support is a share of 22 % × the rural poverty line (highest group applies), for at most 120 months in
    a lifetime; a province may add its own share (``bhxh_tn_local_support_<group>`` rows for its code); a sponsor's
    ``other_support`` reduces what the person pays, never below zero.
    """
    message = bhxh_income_error(p, income)
    if message:
        raise CalculatorError(message, "income")
    months = bhxh_months(p, mode, years, missing_months)
    rate = p.get("bhxh_tn_rate")
    basis = _share(p.get("rural_poverty_line"), rate)
    names = [g.value if isinstance(g, Enum) else str(g) for g in groups] or ["other"]
    ordered = sorted(set(names) | {"other"}, key=SUPPORT_GROUP_ORDER.index)
    state_bp = max(p.get(f"bhxh_tn_support_{g}") for g in ordered)
    local_bp = max(p.local(f"bhxh_tn_local_support_{g}") for g in ordered)
    monthly = _share(income, rate)
    state_monthly = _share(basis, state_bp)
    local_monthly = min(_share(basis, local_bp), monthly - state_monthly)
    supported = max(0, min(months, p.get("bhxh_tn_support_max_months") - support_months_used))
    due_monthly = [monthly - (state_monthly + local_monthly if i < supported else 0) for i in range(months)]
    ppm = p.get("bhxh_tn_lump_sum_monthly_rate_ppm")
    if mode == "VS" and ppm:  # paid in advance: each later month discounted at the fund's rate
        person_total = sum(round(d / (1 + ppm / 1_000_000) ** i) for i, d in enumerate(due_monthly))
    elif mode == "TH" and ppm:  # paid late: each month compounded
        person_total = sum(round(d * (1 + ppm / 1_000_000) ** (months - i)) for i, d in enumerate(due_monthly))
    else:
        person_total = sum(due_monthly)
    state = state_monthly * supported
    local = local_monthly * supported
    if other_support < 0 or other_support > person_total:
        raise CalculatorError(_("Số tiền hỗ trợ khác không được âm hoặc vượt quá phần người tham gia phải đóng."),
                              "other_support")
    return BhxhQuote(
        chosen_income=income, months=months, monthly=monthly, state_monthly=state_monthly,
        local_monthly=local_monthly, supported_months=supported, total=person_total + state + local,
        state=state, local=local, other=other_support, person=person_total - other_support,
        state_share_bp=state_bp, local_share_bp=local_bp,
    )


@dataclass(frozen=True)
class BhytMemberQuote:
    rank: int
    monthly: int
    months: int
    total: int
    state: int
    local: int
    person: int
    support: str
    state_share_bp: int = 0
    local_share_bp: int = 0


def bhyt_monthly(p: PolicySnapshot, rank: int) -> int:
    """Monthly household health-insurance contribution of the ``rank``-th member (1 = first)."""
    first = _share(p.get("base_salary"), p.get("bhyt_hgd_rate"))
    if rank <= 1:
        return first
    return _share(first, p.get(f"bhyt_hgd_rank_{min(rank, 5)}"))


BHYT_SUPPORT_KEYS = {
    BhytSupport.NEAR_POOR: "bhyt_support_near_poor",
    BhytSupport.NEAR_POOR_POOR_COMMUNE: "bhyt_support_near_poor_poor_commune",
    BhytSupport.STUDENT: "bhyt_support_student",
    BhytSupport.FARMING_AVERAGE: "bhyt_support_farming_average",
}


def bhyt_quote(p: PolicySnapshot, *, months: int, supports: list) -> list[BhytMemberQuote]:
    """Each member's household health insurance for ``months`` (3, 6 or 12), ranked in the order given."""
    if months not in (3, 6, 12):
        raise CalculatorError(_("Thẻ BHYT hộ gia đình mua theo 3, 6 hoặc 12 tháng."), "months")
    quotes = []
    for rank, support in enumerate(supports, start=1):
        support = BhytSupport(support or BhytSupport.NONE)
        monthly = bhyt_monthly(p, rank)
        total = monthly * months
        state_bp = p.get(BHYT_SUPPORT_KEYS[support]) if support in BHYT_SUPPORT_KEYS else 0
        state = _share(monthly, state_bp) * months
        local_bp = p.local(f"bhyt_local_support_{support.value}")
        local = min(_share(monthly, local_bp) * months, total - state)
        quotes.append(BhytMemberQuote(rank=rank, monthly=monthly, months=months, total=total, state=state,
                                      local=local, person=total - state - local, support=support.value,
                                      state_share_bp=state_bp, local_share_bp=local_bp))
    return quotes
