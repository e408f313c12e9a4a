"""Checks on what people type about households and people. Each returns a Vietnamese message that says how to fix
the value, or None. The forms, the Excel import and the services all use these, so a rule is stated once."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l

from ..text import is_valid_phone, normalise_phone

MIN_BIRTH_YEAR = 1900


def cccd_error(value: str | None) -> str | None:
    if value and not re.fullmatch(r"\d{12}", value):
        return str(_l("Số CCCD phải gồm đúng 12 chữ số (ví dụ 024190012345); hãy kiểm tra lại trên thẻ."))
    return None


def bhxh_code_error(value: str | None) -> str | None:
    if value and not re.fullmatch(r"\d{10}", value):
        return str(_l("Mã số BHXH phải gồm đúng 10 chữ số (in trên sổ BHXH hoặc thẻ BHYT); hãy kiểm tra lại."))
    return None


def phone_error(value: str | None) -> str | None:
    if value and not is_valid_phone(normalise_phone(value)):
        return str(_l("Số điện thoại phải có 10 chữ số và bắt đầu bằng 0, ví dụ 0912345678."))
    return None


def name_error(value: str | None) -> str | None:
    if not value or not value.strip():
        return str(_l("Hãy nhập họ và tên đầy đủ, có dấu (ví dụ Nguyễn Văn Đức)."))
    if len(value) > 120:
        return str(_l("Họ và tên dài tối đa 120 ký tự."))
    if any(ord(c) < 32 for c in value):
        return str(_l("Họ và tên có ký tự điều khiển không hợp lệ; hãy gõ lại."))
    return None


def birth_error(birth_date: date | None, birth_year: int | None, today: date) -> str | None:
    year = birth_date.year if birth_date else birth_year
    if year is None:
        return str(_l("Hãy nhập ngày sinh (dd/mm/yyyy) hoặc ít nhất năm sinh."))
    if birth_date and birth_year and birth_date.year != birth_year:
        return str(_l("Năm sinh không khớp với ngày sinh; hãy sửa một trong hai."))
    if year < MIN_BIRTH_YEAR or (birth_date or date(year, 1, 1)) > today:
        return str(_l("Ngày sinh phải nằm trong khoảng từ năm 1900 đến hôm nay."))
    return None


def normalise_digits(value: str | None) -> str | None:
    """Identifiers as typed ("0241 9001 2345", "024-190-012-345") → digits only; empty → None."""
    if value is None:
        return None
    digits = re.sub(r"[\s.\-]", "", str(value))
    return digits or None
