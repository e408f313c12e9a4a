"""Vietnamese text helpers, table-driven."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timezone

import pytest

from fieldwork.text import fold, format_date, format_datetime, format_vnd, mask, normalise_phone


@pytest.mark.parametrize(
    "raw, folded",
    [
        ("Nguyễn Văn Đức", "nguyen van duc"),
        ("HƯƠNG", "huong"),
        (unicodedata.normalize("NFD", "Trần Thị Hương"), "tran thi huong"),
        ("  Đặng   Quỳnh  ", "dang quynh"),
        ("đĐ", "dd"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold(raw, folded):
    assert fold(raw) == folded


@pytest.mark.parametrize(
    "amount, shown",
    [(0, "0 đ"), (1_234_567, "1.234.567 đ"), (105_300, "105.300 đ"), (-66_000, "-66.000 đ"), (None, "")],
)
def test_format_vnd(amount, shown):
    assert format_vnd(amount) == shown


def test_dates_are_day_month_year_in_vietnam_time():
    assert format_date(date(2026, 7, 1)) == "01/07/2026"
    # 23:30 UTC on 30 June is already 1 July in Hà Nội (UTC+7).
    late = datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)
    assert format_date(late) == "01/07/2026"
    assert format_datetime(late) == "01/07/2026 06:30"


@pytest.mark.parametrize(
    "raw, phone",
    [("0912 345 678", "0912345678"), ("+84 912.345.678", "0912345678"), ("84912345678", "0912345678"), ("", "")],
)
def test_normalise_phone(raw, phone):
    assert normalise_phone(raw) == phone


def test_mask_keeps_the_last_four():
    assert mask("001203004567") == "••••••••4567"
    assert mask("123") == "•••"
    assert mask(None) == ""
