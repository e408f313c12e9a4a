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


def test_every_enum_value_has_its_own_label():
    """Str-valued enums that share a value (Poverty.NONE, BhxhStatus.NONE) must not borrow each other's label."""
    from flask import Flask
    from flask_babel import Babel

    from fieldwork import models
    from fieldwork.labels import label

    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        assert label(models.Poverty.NONE) == "Không"
        assert label(models.BhxhStatus.NONE) == "Chưa tham gia BHXH"
        assert label(models.Organisation.OTHER) == "Khác"
        assert label(models.RefusalReason.OTHER) == "Lý do khác"
        for enum in (models.Organisation, models.Poverty, models.Sex, models.Relation, models.BhytStatus,
                     models.BhxhStatus, models.VisitOutcome, models.RefusalReason, models.Channel,
                     models.FollowUpKind, models.Scheme, models.EnrolmentKind, models.VillageKind,
                     models.DropoutReason, models.OutreachKind, models.SponsorshipStatus, models.DonorKind,
                     models.Indicator, models.PeriodKind):
            texts = [label(member) for member in enum]
            assert all(text and text != member.value for text, member in zip(texts, enum)), enum
            assert len(set(texts)) == len(texts), enum
