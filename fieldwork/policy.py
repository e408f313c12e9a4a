"""Legal figures as dated parameters, and (from the field-work issue on) the contribution arithmetic over them.

Figures marked [check] in the domain reference are seeded with a note saying so; an admin edits them with their
legal source. Nothing here is a constant in the arithmetic: every figure is looked up for the date in question.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from sqlmodel import Session, or_, select

from .models import PolicyParameter


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
)


def seed_parameters(session: Session) -> int:
    """Insert the default parameters that are not there yet (by key and start date). Returns how many were added."""
    existing = {
        (p.key, p.valid_from)
        for p in session.exec(select(PolicyParameter).where(PolicyParameter.province_code.is_(None))).all()
    }
    added = 0
    for seed in DEFAULT_PARAMETERS:
        if (seed.key, seed.valid_from) in existing:
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
    from .models import Sex

    steps = max(0, year - 2020)
    if sex == Sex.MALE:
        return min(60 * 12 + 3 * steps, 62 * 12)
    return min(55 * 12 + 4 * steps, 60 * 12)
