"""Values as people type and read them: "2.530.000" đồng, "22" or "4,5" per cent, months, counts."""

from __future__ import annotations

import pytest

from fieldwork.parameters.services import ParameterError, format_value, input_text, parse_value


@pytest.mark.parametrize("typed, unit, stored", [
    ("2.530.000", "vnd", 2_530_000),
    ("2530000", "vnd", 2_530_000),
    ("2 530 000 đ", "vnd", 2_530_000),
    ("2,530,000", "vnd", 2_530_000),
    ("50.000đồng", "vnd", 50_000),
    ("0", "vnd", 0),
    ("22", "bp", 2200),
    ("22 %", "bp", 2200),
    ("4,5", "bp", 450),
    ("4.5", "bp", 450),
    ("22,25", "bp", 2225),
    ("100", "bp", 10_000),
    ("0,35", "ppm", 3500),
    ("0,4167", "ppm", 4167),
    ("120", "months", 120),
    ("20", "count", 20),
])
def test_typed_values_are_stored_as_integers(typed, unit, stored):
    assert parse_value(typed, unit) == stored


@pytest.mark.parametrize("typed, unit, message", [
    ("-5", "vnd", "không được âm"),
    ("−22", "bp", "không được âm"),
    ("120", "bp", "không được vượt quá 100 %"),
    ("100,01", "bp", "không được vượt quá 100 %"),
    ("4,555", "bp", "tối đa 2 chữ số sau dấu phẩy"),
    ("0,12345", "ppm", "tối đa 4 chữ số sau dấu phẩy"),
    ("1.500.000,50", "vnd", "số đồng nguyên"),
    ("1.5", "vnd", "số đồng nguyên"),
    ("mười", "vnd", "Hãy nhập số tiền bằng chữ số"),
    ("abc", "bp", "Hãy nhập tỷ lệ phần trăm bằng chữ số"),
    ("12,5", "months", "số nguyên"),
    ("năm", "count", "Hãy nhập một số nguyên"),
    ("", "vnd", "Hãy nhập giá trị"),
    ("3.000.000.000", "vnd", "Số quá lớn"),
])
def test_bad_values_say_how_to_fix_them(typed, unit, message):
    with pytest.raises(ParameterError) as caught:
        parse_value(typed, unit)
    assert message in caught.value.message and caught.value.field == "value"


@pytest.mark.parametrize("stored, unit, key, shown, typed", [
    (2_530_000, "vnd", "base_salary", "2.530.000 đ", "2.530.000"),
    (2200, "bp", "bhxh_tn_rate", "22 %", "22"),
    (450, "bp", "bhyt_hgd_rate", "4,5 %", "4,5"),
    (10_000, "bp", "bhyt_support_near_poor_poor_commune", "100 %", "100"),
    (1, "bp", "bhxh_tn_rate", "0,01 %", "0,01"),
    (3500, "ppm", "bhxh_tn_lump_sum_monthly_rate_ppm", "0,35 %", "0,35"),
    (120, "months", "bhxh_tn_support_max_months", "120 tháng", "120"),
    (20, "count", "bhxh_tn_ceiling_multiple", "20 lần", "20"),
    (5, "count", "bhxh_tn_max_future_years", "5 năm", "5"),
])
def test_stored_values_are_shown_in_their_unit_and_round_trip(stored, unit, key, shown, typed):
    assert format_value(stored, unit, key) == shown
    assert input_text(stored, unit) == typed
    assert parse_value(typed, unit) == stored
