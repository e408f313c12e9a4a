"""The contribution calculator reproduces every figure of the domain reference's tables, to the dong."""

from __future__ import annotations

from datetime import date

import pytest

from fieldwork.policy import (
    DEFAULT_PARAMETERS, BhytSupport, CalculatorError, PolicySnapshot, Seed, bhxh_income_error, bhxh_quote,
    bhyt_quote, retirement_age_months, snapshot,
)
from fieldwork.models import Sex

AFTER_REFORM = date(2025, 8, 1)  # Decree 159/2025 in force, base salary 2,340,000
BEFORE_REFORM = date(2025, 6, 30)  # Decree 134/2015
FROM_JULY_2026 = date(2026, 8, 1)  # base salary 2,530,000 [check]
BEFORE_JULY_2024 = date(2024, 6, 30)  # base salary 1,800,000


@pytest.fixture
def ctx():
    from flask import Flask
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


def at(day: date, extra=()) -> PolicySnapshot:
    return PolicySnapshot.from_rows(list(DEFAULT_PARAMETERS) + list(extra), day, "01")


# domain.md §2: at the minimum income 1,500,000 the monthly contribution is 330,000.
@pytest.mark.parametrize("day, group, state, person", [
    (AFTER_REFORM, "poor", 165_000, 165_000),
    (AFTER_REFORM, "island", 165_000, 165_000),
    (AFTER_REFORM, "near_poor", 132_000, 198_000),
    (AFTER_REFORM, "ethnic_minority", 99_000, 231_000),
    (AFTER_REFORM, "other", 66_000, 264_000),
    (BEFORE_REFORM, "poor", 99_000, 231_000),       # 30 %
    (BEFORE_REFORM, "near_poor", 82_500, 247_500),  # 25 %
    (BEFORE_REFORM, "other", 33_000, 297_000),      # 10 %
    (FROM_JULY_2026, "near_poor", 132_000, 198_000),  # support is on the poverty line, not the base salary
])
def test_bhxh_support_table(ctx, day, group, state, person):
    quote = bhxh_quote(at(day), income=1_500_000, mode="1", groups={group})
    assert (quote.monthly, quote.state, quote.person, quote.total) == (330_000, state, person, 330_000)


def test_highest_group_applies(ctx):
    quote = bhxh_quote(at(AFTER_REFORM), income=1_500_000, mode="1", groups={"ethnic_minority", "near_poor"})
    assert quote.state == 132_000 and quote.state_share_bp == 4000


def test_support_is_fixed_whatever_income_is_chosen(ctx):
    quote = bhxh_quote(at(AFTER_REFORM), income=5_000_000, mode="12", groups={"near_poor"})
    assert quote.monthly == 1_100_000
    assert quote.state == 132_000 * 12
    assert quote.person == (1_100_000 - 132_000) * 12
    assert quote.total == quote.person + quote.state


def test_support_stops_after_120_months(ctx):
    quote = bhxh_quote(at(AFTER_REFORM), income=1_500_000, mode="12", groups={"poor"}, support_months_used=114)
    assert quote.supported_months == 6
    assert quote.state == 165_000 * 6
    assert quote.person == 165_000 * 6 + 330_000 * 6


def test_provincial_top_up_adds_to_state_support(ctx):
    hanoi = [Seed("bhxh_tn_local_support_near_poor", 6000, "bp", date(2025, 1, 1), "Nghị quyết HĐND TP Hà Nội")]
    rows = list(DEFAULT_PARAMETERS) + [type("Row", (), {**s.__dict__, "province_code": "01", "valid_to": None})()
                                       for s in hanoi]
    quote = bhxh_quote(PolicySnapshot.from_rows(rows, AFTER_REFORM, "01"), income=1_500_000, mode="1",
                       groups={"near_poor"})
    assert (quote.state, quote.local, quote.person) == (132_000, 198_000, 0)
    elsewhere = bhxh_quote(PolicySnapshot.from_rows(rows, AFTER_REFORM, "24"), income=1_500_000, mode="1",
                           groups={"near_poor"})
    assert elsewhere.local == 0


def test_sponsor_pays_part_never_more_than_due(ctx):
    quote = bhxh_quote(at(AFTER_REFORM), income=1_500_000, mode="6", groups={"poor"}, other_support=500_000)
    assert (quote.other, quote.person) == (500_000, 165_000 * 6 - 500_000)
    with pytest.raises(CalculatorError) as error:
        bhxh_quote(at(AFTER_REFORM), income=1_500_000, mode="6", groups={"poor"}, other_support=165_000 * 6 + 1)
    assert error.value.field == "other_support"


@pytest.mark.parametrize("day, income, message", [
    (AFTER_REFORM, 1_450_000, "thấp nhất là 1.500.000 đ"),
    (AFTER_REFORM, 46_850_000, "cao nhất là 46.800.000 đ"),
    (FROM_JULY_2026, 50_650_000, "cao nhất là 50.600.000 đ"),
    (AFTER_REFORM, 1_520_000, "bội số của 50.000 đ; ví dụ 1.500.000 đ hoặc 1.550.000 đ"),
])
def test_invalid_income_says_how_to_fix(ctx, day, income, message):
    assert message in bhxh_income_error(at(day), income)
    with pytest.raises(CalculatorError):
        bhxh_quote(at(day), income=income, mode="1")


def test_ceiling_itself_is_allowed(ctx):
    assert bhxh_income_error(at(AFTER_REFORM), 46_800_000) is None
    assert bhxh_income_error(at(FROM_JULY_2026), 50_600_000) is None


@pytest.mark.parametrize("mode, kwargs, months", [("1", {}, 1), ("3", {}, 3), ("6", {}, 6), ("12", {}, 12),
                                                  ("VS", {"years": 5}, 60), ("TH", {"missing_months": 60}, 60)])
def test_payment_modes(ctx, mode, kwargs, months):
    quote = bhxh_quote(at(AFTER_REFORM), income=2_000_000, mode=mode, **kwargs)
    assert quote.months == months and quote.total == 440_000 * months  # no lump-sum rate configured


def test_lump_sum_in_advance_is_discounted_when_a_rate_is_set(ctx):
    rate = [Seed("bhxh_tn_lump_sum_monthly_rate_ppm", 4000, "ppm", date(2025, 1, 1), "BHXH VN")]
    plain = bhxh_quote(at(AFTER_REFORM), income=2_000_000, mode="VS", years=2)
    discounted = bhxh_quote(at(AFTER_REFORM, rate), income=2_000_000, mode="VS", years=2)
    assert discounted.person < plain.person
    assert discounted.state == plain.state


@pytest.mark.parametrize("mode, kwargs, field", [("VS", {"years": 6}, "years"), ("TH", {"missing_months": 61},
                                                 "missing_months"), ("2", {}, "mode")])
def test_invalid_modes(ctx, mode, kwargs, field):
    with pytest.raises(CalculatorError) as error:
        bhxh_quote(at(AFTER_REFORM), income=1_500_000, mode=mode, **kwargs)
    assert error.value.field == field


# domain.md §3: household health insurance by rank.
@pytest.mark.parametrize("day, monthly, yearly", [
    (AFTER_REFORM, [105_300, 73_710, 63_180, 52_650, 42_120, 42_120],
     [1_263_600, 884_520, 758_160, 631_800, 505_440, 505_440]),
    (FROM_JULY_2026, [113_850, 79_695, 68_310, 56_925, 45_540, 45_540],
     [1_366_200, 956_340, 819_720, 683_100, 546_480, 546_480]),
    (BEFORE_JULY_2024, [81_000, 56_700, 48_600, 40_500, 32_400, 32_400],
     [972_000, 680_400, 583_200, 486_000, 388_800, 388_800]),
])
def test_bhyt_household_table(ctx, day, monthly, yearly):
    quotes = bhyt_quote(at(day), months=12, supports=[BhytSupport.NONE] * 6)
    assert [q.monthly for q in quotes] == monthly
    assert [q.total for q in quotes] == yearly
    assert [q.rank for q in quotes] == [1, 2, 3, 4, 5, 6]


def test_bhyt_near_poor_support(ctx):
    first, second = bhyt_quote(at(AFTER_REFORM), months=6, supports=["near_poor", "near_poor_poor_commune"])
    assert (first.total, first.state, first.person) == (631_800, 442_260, 189_540)  # 70 %
    assert (second.total, second.state, second.person) == (442_260, 442_260, 0)    # 100 % in a poor commune


def test_bhyt_months_must_be_3_6_or_12(ctx):
    with pytest.raises(CalculatorError):
        bhyt_quote(at(AFTER_REFORM), months=5, supports=["none"])


def test_snapshot_from_the_database_matches_the_seeds(ctx, db):
    assert snapshot(db, FROM_JULY_2026).values == at(FROM_JULY_2026).values


@pytest.mark.parametrize("sex, year, months", [(Sex.MALE, 2021, 723), (Sex.MALE, 2026, 738), (Sex.MALE, 2030, 744),
                                               (Sex.FEMALE, 2021, 664), (Sex.FEMALE, 2026, 684),
                                               (Sex.FEMALE, 2040, 720)])
def test_retirement_age_road_map(sex, year, months):
    assert retirement_age_months(sex, year) == months


def test_reloading_reference_data_never_undoes_an_admins_correction(db):
    from sqlmodel import select

    from fieldwork.models import PolicyParameter
    from fieldwork.reference import load_reference_data

    row = db.exec(select(PolicyParameter).where(PolicyParameter.key == "base_salary",
                                                PolicyParameter.value == 2_530_000)).one()
    row.valid_from = date(2026, 7, 15)  # an admin corrects the start date
    db.add(row)
    db.commit()
    assert load_reference_data(db)["parameters"] == 0
    db.commit()
    starts = db.exec(select(PolicyParameter.valid_from).where(PolicyParameter.key == "base_salary",
                                                              PolicyParameter.value == 2_530_000)).all()
    assert starts == [date(2026, 7, 15)]
