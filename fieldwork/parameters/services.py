"""The dated legal parameters: what each key means, how its value is typed and shown, and adding or correcting a row.

Services flush, never commit; the request commits once. Every change is audited with the row before and after.
Nothing is deleted: a figure that changes gets a new row from its start date, and a wrong row is corrected in place,
so the history the calculator reads for any past date stays complete.

Values are stored as integers in their unit (see :class:`fieldwork.models.PolicyParameter`); people type them as they
read them in a decree: "2.530.000" đồng, "22" or "4,5" per cent. ``parse_value`` and ``format_value`` translate.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Optional

from flask import abort
from flask_babel import gettext as _, lazy_gettext as _l
from sqlmodel import Session, select

from ..audit import record, snapshot
from ..households.services import RegistryError
from ..models import PolicyParameter, Province, User, utcnow
from ..policy import DEFAULT_PARAMETERS, BhytSupport, SupportGroup
from ..text import fold, format_date, format_number, format_vnd, nfc

# --- what each key means ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyName:
    name: Any  # lazy: shown in the current language
    help: Any
    section: str
    suffix: Any = None  # for counts: "lần", "năm"


SECTIONS = (
    ("chung", _l("Mức chung")),
    ("bhxh", _l("BHXH tự nguyện")),
    ("bhyt", _l("BHYT hộ gia đình")),
    ("tinh", _l("Ngân sách tỉnh hỗ trợ thêm")),
)
OTHER_SECTION = ("khac", _l("Tham số khác"))

_BHXH_SUPPORT_HELP = _l("Phần trăm của mức đóng tính trên chuẩn hộ nghèo nông thôn (22 % × chuẩn nghèo), Nhà nước "
                        "hỗ trợ mỗi tháng; người thuộc nhiều diện được hưởng mức cao nhất.")
_BHYT_RANK_HELP = _l("Phần trăm của mức đóng của người thứ nhất trong hộ.")
_BHYT_SUPPORT_HELP = _l("Phần trăm của mức đóng BHYT mà Nhà nước hỗ trợ.")
_LOCAL_BHXH_HELP = _l("Phần trăm của 22 % × chuẩn hộ nghèo nông thôn mà ngân sách tỉnh hỗ trợ thêm, ngoài phần Nhà "
                      "nước hỗ trợ (ví dụ Hà Nội: hộ nghèo 50 %, cận nghèo 60 %, đối tượng khác 10 %).")
_LOCAL_BHYT_HELP = _l("Phần trăm của mức đóng BHYT hộ gia đình mà ngân sách tỉnh hỗ trợ thêm, ngoài phần Nhà nước "
                      "hỗ trợ.")

KEY_NAMES: dict[str, KeyName] = {
    # Figures every calculation starts from.
    "base_salary": KeyName(_l("Mức lương cơ sở"), _l(
        "Căn cứ tính mức đóng BHYT hộ gia đình (4,5 % mỗi tháng) và mức thu nhập cao nhất được chọn để đóng BHXH "
        "tự nguyện (20 lần mức tham chiếu)."), "chung"),
    "rural_poverty_line": KeyName(_l("Chuẩn hộ nghèo khu vực nông thôn"), _l(
        "Mức thu nhập thấp nhất được chọn để đóng BHXH tự nguyện, và căn cứ tính tiền Nhà nước hỗ trợ."), "chung"),
    # Voluntary social insurance.
    "bhxh_tn_rate": KeyName(_l("Tỷ lệ đóng BHXH tự nguyện"), _l(
        "Phần trăm của mức thu nhập lựa chọn phải đóng mỗi tháng."), "bhxh"),
    "bhxh_tn_ceiling_multiple": KeyName(_l("Mức thu nhập cao nhất, tính theo số lần mức tham chiếu"), _l(
        "Mức thu nhập lựa chọn cao nhất bằng số lần này nhân mức tham chiếu (mức lương cơ sở)."), "bhxh", _l("lần")),
    "bhxh_tn_income_step": KeyName(_l("Bước chọn mức thu nhập"), _l(
        "Mức thu nhập lựa chọn là bội số của số tiền này, như trên các máy tính mức đóng đang dùng."), "bhxh"),
    "bhxh_tn_support_max_months": KeyName(_l("Số tháng tối đa được Nhà nước hỗ trợ"), _l(
        "Mỗi người chỉ được Nhà nước hỗ trợ tiền đóng trong tối đa số tháng này."), "bhxh"),
    "bhxh_tn_support_poor": KeyName(_l("Nhà nước hỗ trợ: người thuộc hộ nghèo"), _BHXH_SUPPORT_HELP, "bhxh"),
    "bhxh_tn_support_near_poor": KeyName(_l("Nhà nước hỗ trợ: người thuộc hộ cận nghèo"), _BHXH_SUPPORT_HELP,
                                         "bhxh"),
    "bhxh_tn_support_island": KeyName(_l("Nhà nước hỗ trợ: người sống ở xã đảo, đặc khu"), _BHXH_SUPPORT_HELP,
                                      "bhxh"),
    "bhxh_tn_support_ethnic_minority": KeyName(_l("Nhà nước hỗ trợ: người dân tộc thiểu số"), _BHXH_SUPPORT_HELP,
                                               "bhxh"),
    "bhxh_tn_support_other": KeyName(_l("Nhà nước hỗ trợ: đối tượng khác"), _BHXH_SUPPORT_HELP, "bhxh"),
    "bhxh_tn_lump_sum_monthly_rate_ppm": KeyName(_l("Lãi suất tháng khi đóng một lần"), _l(
        "Dùng để chiết khấu khi đóng trước nhiều năm (VS) và tính lãi khi đóng bù thời gian còn thiếu (TH); BHXH "
        "Việt Nam công bố hằng năm. Nhập theo phần trăm mỗi tháng, ví dụ 0,35; để 0 khi chưa có."), "bhxh"),
    "bhxh_tn_max_future_years": KeyName(_l("Số năm tối đa được đóng trước"), _l(
        "Đóng một lần cho nhiều năm về sau (VS): tối đa số năm này."), "bhxh", _l("năm")),
    "bhxh_tn_max_missing_months": KeyName(_l("Số tháng còn thiếu tối đa được đóng bù"), _l(
        "Người đã đến tuổi nghỉ hưu còn thiếu không quá số tháng này được đóng một lần cho đủ 15 năm (TH)."), "bhxh"),
    # Household health insurance.
    "bhyt_hgd_rate": KeyName(_l("Tỷ lệ đóng BHYT của người thứ nhất"), _l(
        "Phần trăm của mức lương cơ sở mà người thứ nhất trong hộ đóng mỗi tháng."), "bhyt"),
    "bhyt_hgd_rank_2": KeyName(_l("Người thứ hai trong hộ"), _BHYT_RANK_HELP, "bhyt"),
    "bhyt_hgd_rank_3": KeyName(_l("Người thứ ba trong hộ"), _BHYT_RANK_HELP, "bhyt"),
    "bhyt_hgd_rank_4": KeyName(_l("Người thứ tư trong hộ"), _BHYT_RANK_HELP, "bhyt"),
    "bhyt_hgd_rank_5": KeyName(_l("Người thứ năm trở đi trong hộ"), _BHYT_RANK_HELP, "bhyt"),
    "bhyt_support_near_poor": KeyName(_l("Nhà nước hỗ trợ BHYT: người thuộc hộ cận nghèo"), _BHYT_SUPPORT_HELP,
                                      "bhyt"),
    "bhyt_support_near_poor_poor_commune": KeyName(_l("Nhà nước hỗ trợ BHYT: hộ cận nghèo ở xã nghèo"),
                                                   _BHYT_SUPPORT_HELP, "bhyt"),
    "bhyt_support_student": KeyName(_l("Nhà nước hỗ trợ BHYT: học sinh, sinh viên (mức tối thiểu)"),
                                    _BHYT_SUPPORT_HELP, "bhyt"),
    "bhyt_support_farming_average": KeyName(_l(
        "Nhà nước hỗ trợ BHYT: hộ nông, lâm, ngư nghiệp có mức sống trung bình (mức tối thiểu)"),
        _BHYT_SUPPORT_HELP, "bhyt"),
    # A province's own top-ups (rows carry the province code); the calculator reads them with the user's province.
    "bhxh_tn_local_support_poor": KeyName(_l("Tỉnh hỗ trợ thêm BHXH tự nguyện: người thuộc hộ nghèo"),
                                          _LOCAL_BHXH_HELP, "tinh"),
    "bhxh_tn_local_support_near_poor": KeyName(_l("Tỉnh hỗ trợ thêm BHXH tự nguyện: người thuộc hộ cận nghèo"),
                                               _LOCAL_BHXH_HELP, "tinh"),
    "bhxh_tn_local_support_island": KeyName(_l("Tỉnh hỗ trợ thêm BHXH tự nguyện: người sống ở xã đảo, đặc khu"),
                                            _LOCAL_BHXH_HELP, "tinh"),
    "bhxh_tn_local_support_ethnic_minority": KeyName(_l(
        "Tỉnh hỗ trợ thêm BHXH tự nguyện: người dân tộc thiểu số"), _LOCAL_BHXH_HELP, "tinh"),
    "bhxh_tn_local_support_other": KeyName(_l("Tỉnh hỗ trợ thêm BHXH tự nguyện: đối tượng khác"), _LOCAL_BHXH_HELP,
                                           "tinh"),
    "bhyt_local_support_none": KeyName(_l(
        "Tỉnh hỗ trợ thêm BHYT hộ gia đình: người không thuộc diện được Nhà nước hỗ trợ"), _LOCAL_BHYT_HELP, "tinh"),
    "bhyt_local_support_near_poor": KeyName(_l("Tỉnh hỗ trợ thêm BHYT hộ gia đình: người thuộc hộ cận nghèo"),
                                            _LOCAL_BHYT_HELP, "tinh"),
    "bhyt_local_support_near_poor_poor_commune": KeyName(_l(
        "Tỉnh hỗ trợ thêm BHYT hộ gia đình: hộ cận nghèo ở xã nghèo"), _LOCAL_BHYT_HELP, "tinh"),
    "bhyt_local_support_student": KeyName(_l("Tỉnh hỗ trợ thêm BHYT hộ gia đình: học sinh, sinh viên"),
                                          _LOCAL_BHYT_HELP, "tinh"),
    "bhyt_local_support_farming_average": KeyName(_l(
        "Tỉnh hỗ trợ thêm BHYT hộ gia đình: hộ nông, lâm, ngư nghiệp có mức sống trung bình"), _LOCAL_BHYT_HELP,
        "tinh"),
}

# The top-up keys the calculator reads (policy.bhxh_quote / bhyt_quote): one per support group.
LOCAL_KEYS = tuple(f"bhxh_tn_local_support_{g.value}" for g in SupportGroup) + tuple(
    f"bhyt_local_support_{s.value}" for s in BhytSupport)
SEED_UNITS = {seed.key: seed.unit for seed in DEFAULT_PARAMETERS}
CHECK_MARK = "[cần kiểm tra]"


def is_local(key: str) -> bool:
    """A provincial top-up key: its rows need a province, and only they may have one."""
    return "_local_support_" in key


def unit_of(key: str) -> Optional[str]:
    """The unit a new row of ``key`` is stored in: the seeds' unit, basis points for top-ups, None if unknown."""
    if key in SEED_UNITS:
        return SEED_UNITS[key]
    return "bp" if key in LOCAL_KEYS else None


def key_name(key: str) -> KeyName:
    return KEY_NAMES.get(key) or KeyName(key, "", OTHER_SECTION[0])


# --- units: typed in, shown ---------------------------------------------------------------------------------------

# Digits after the decimal comma a percentage may have: basis points are hundredths of a per cent, ppm ten-thousandths.
PERCENT_PLACES = {"bp": 2, "ppm": 4}
MAX_VALUE = 2_000_000_000  # the column is a 32-bit integer on PostgreSQL

UNIT_WORDS = {"vnd": _l("đồng"), "bp": "%", "ppm": "%", "months": _l("tháng"), "count": _l("số")}
UNIT_HINTS = {
    "vnd": _l("Số tiền bằng đồng, ví dụ 2.530.000 (được dùng dấu chấm ngăn cách hàng nghìn)."),
    "bp": _l("Phần trăm, ví dụ 22 hoặc 4,5 (tối đa 2 chữ số sau dấu phẩy)."),
    "ppm": _l("Phần trăm mỗi tháng, ví dụ 0,35 (tối đa 4 chữ số sau dấu phẩy)."),
    "months": _l("Số tháng, là số nguyên, ví dụ 120."),
    "count": _l("Số nguyên, ví dụ 20."),
}
ANY_UNIT_HINT = _l("Số tiền nhập bằng đồng (ví dụ 2.530.000); tỷ lệ nhập theo phần trăm (ví dụ 22 hoặc 4,5); số "
                   "tháng và số lần nhập số nguyên.")

_BLANKS = re.compile(r"[\s\u00a0\u202f]+")
_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+|\d{1,3}(?:,\d{3})+")
_DECIMAL = re.compile(r"\d[\d.,]*[.,]\d+")
_PERCENT = re.compile(r"(\d+)(?:[.,](\d*))?")


def _bad(message: str) -> "ParameterError":
    return ParameterError(message, "value")


def parse_value(text: Optional[str], unit: str) -> int:
    """What a person typed → the stored integer: "2.530.000" → 2530000 (vnd), "4,5" → 450 (bp), "0,35" → 3500 (ppm).

    Raises :class:`ParameterError` on the ``value`` field with a message that says how to fix it.
    """
    raw = _BLANKS.sub("", text or "").lower().replace("\u2212", "-")
    if not raw:
        raise _bad(_("Hãy nhập giá trị; %(hint)s", hint=str(UNIT_HINTS.get(unit, ANY_UNIT_HINT)).lower()))
    negative = raw.startswith("-")
    raw = raw.lstrip("+-")
    if unit in PERCENT_PLACES:
        match = _PERCENT.fullmatch(raw.rstrip("%"))
        if not match:
            raise _bad(_("Hãy nhập tỷ lệ phần trăm bằng chữ số, ví dụ 22 hoặc 4,5."))
        places = PERCENT_PLACES[unit]
        fraction = (match.group(2) or "").rstrip("0")
        if len(fraction) > places:
            raise _bad(_("Tỷ lệ chỉ được có tối đa %(n)s chữ số sau dấu phẩy, ví dụ 4,5 hoặc 22,25.", n=places))
        value = int(match.group(1)) * 10**places + int(fraction.ljust(places, "0"))
    else:
        if unit == "vnd":
            raw = re.sub(r"(đồng|đ|vnd)$", "", raw)
        if raw.isdigit():
            value = int(raw)
        elif _GROUPED.fullmatch(raw):
            value = int(re.sub(r"[.,]", "", raw))
        elif _DECIMAL.fullmatch(raw):
            raise _bad(_("Số tiền phải là số đồng nguyên, không có phần lẻ; ví dụ 2.530.000.") if unit == "vnd"
                       else _("Hãy nhập số nguyên, không có phần lẻ; ví dụ 120."))
        else:
            raise _bad(_("Hãy nhập số tiền bằng chữ số, ví dụ 2.530.000.") if unit == "vnd"
                       else _("Hãy nhập một số nguyên bằng chữ số, ví dụ 120."))
    message = value_error(-value if negative else value, unit)
    if message:
        raise _bad(message)
    return value


def value_error(value: int, unit: str) -> Optional[str]:
    """What is wrong with a stored value in ``unit``, or None."""
    if value < 0:
        return _("Giá trị không được âm; hãy nhập số từ 0 trở lên.")
    if unit in PERCENT_PLACES and value > 100 * 10 ** PERCENT_PLACES[unit]:
        return _("Tỷ lệ không được vượt quá 100 %; hãy nhập phần trăm, ví dụ 22 hoặc 4,5.")
    if value > MAX_VALUE:
        return _("Số quá lớn; hãy kiểm tra lại số chữ số (tối đa %(n)s).", n=format_number(MAX_VALUE))
    return None


def _percent_text(value: int, places: int) -> str:
    whole, fraction = divmod(value, 10**places)
    fraction_text = str(fraction).rjust(places, "0").rstrip("0")
    return format_number(whole) + ("," + fraction_text if fraction_text else "")


def format_value(value: int, unit: str, key: str = "") -> str:
    """The stored integer as people read it: "2.530.000 đ", "22 %", "4,5 %", "120 tháng", "20 lần"."""
    if unit == "vnd":
        return format_vnd(value)
    if unit in PERCENT_PLACES:
        return _percent_text(value, PERCENT_PLACES[unit]) + " %"
    if unit == "months":
        return _("%(n)s tháng", n=format_number(value))
    suffix = key_name(key).suffix
    return f"{format_number(value)} {suffix}" if suffix else format_number(value)


def unit_word(key: str, unit: str) -> str:
    """The unit as a word for a form ("đồng", "%", "tháng"; a count says what it counts: "lần", "năm")."""
    return str(key_name(key).suffix or UNIT_WORDS.get(unit, unit))


def input_text(value: int, unit: str) -> str:
    """The stored integer as it would be typed back into the form (the edit form starts from it)."""
    if unit in PERCENT_PLACES:
        return _percent_text(value, PERCENT_PLACES[unit]).replace(".", "")
    if unit == "vnd":
        return format_number(value)
    return str(value)


# --- the rules of a row ---------------------------------------------------------------------------------------------


class ParameterError(RegistryError):
    """A change refused for a reason the admin can fix; ``existing_id`` points at the row to edit instead."""

    def __init__(self, message: str, field: Optional[str] = None, existing_id: Optional[int] = None):
        super().__init__(message, field)
        self.existing_id = existing_id


FIRST_YEAR, LAST_YEAR = 1990, 2100


def key_error(key: Optional[str]) -> Optional[str]:
    if not key or unit_of(key) is None:
        return _("Hãy chọn một tham số trong danh sách.")
    return None


def province_error(key: Optional[str], code: Optional[str], known_codes) -> Optional[str]:
    """Top-up keys need a province; national keys must not have one."""
    if not key:
        return None
    if is_local(key) and not code:
        return _("Khoản tỉnh hỗ trợ thêm cần chọn tỉnh, thành phố áp dụng.")
    if not is_local(key) and code:
        return _("Tham số này áp dụng toàn quốc; hãy để trống ô tỉnh, thành phố (chỉ chọn tỉnh cho các khoản "
                 "“tỉnh hỗ trợ thêm”).")
    if code and code not in known_codes:
        return _("Hãy chọn tỉnh, thành phố trong danh sách.")
    return None


def valid_from_error(day: Optional[date]) -> Optional[str]:
    if day is None:
        return _("Hãy nhập ngày bắt đầu áp dụng (ngày/tháng/năm), theo văn bản quy định.")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        return _("Ngày áp dụng phải từ năm %(a)s đến năm %(b)s; hãy kiểm tra lại năm.", a=FIRST_YEAR, b=LAST_YEAR)
    return None


def legal_source_error(text: Optional[str]) -> Optional[str]:
    if not (text or "").strip():
        return _("Hãy ghi căn cứ pháp lý: số và tên văn bản quy định mức này (ví dụ Nghị định 73/2024/NĐ-CP).")
    if len(text.strip()) > 255:
        return _("Căn cứ pháp lý dài tối đa 255 ký tự; hãy rút gọn.")
    return None


def _check(message: Optional[str], field_name: str) -> None:
    if message:
        raise ParameterError(message, field_name)


def _same_start(session: Session, key: str, province_code: Optional[str], valid_from: date,
                other_than: Optional[int] = None) -> Optional[PolicyParameter]:
    """A row of the same key and province starting the same day. Checked here because the unique constraint does
    not hold for national rows: both databases treat NULL province codes as distinct."""
    query = select(PolicyParameter).where(
        PolicyParameter.key == key, PolicyParameter.valid_from == valid_from,
        PolicyParameter.province_code == province_code if province_code else PolicyParameter.province_code.is_(None))
    if other_than is not None:
        query = query.where(PolicyParameter.id != other_than)
    return session.exec(query).first()


def province_codes(session: Session) -> set[str]:
    return set(session.exec(select(Province.code)).all())


def add_parameter(session: Session, actor: User, *, key: str, province_code: Optional[str], value: int,
                  valid_from: date, legal_source: str, note: Optional[str]) -> PolicyParameter:
    """A new value of ``key`` in force from ``valid_from`` (for a province, when a top-up)."""
    province_code = province_code or None
    _check(key_error(key), "key")
    unit = unit_of(key)
    _check(province_error(key, province_code, province_codes(session)), "province_code")
    _check(value_error(value, unit), "value")
    _check(valid_from_error(valid_from), "valid_from")
    _check(legal_source_error(legal_source), "legal_source")
    existing = _same_start(session, key, province_code, valid_from)
    if existing is not None:
        raise ParameterError(_("Đã có một giá trị của tham số này áp dụng từ ngày %(d)s; hãy sửa dòng đó thay vì "
                               "thêm dòng mới.", d=format_date(valid_from)), "valid_from", existing.id)
    row = PolicyParameter(key=key, value=value, unit=unit, province_code=province_code, valid_from=valid_from,
                          legal_source=nfc(legal_source), note=nfc(note) or None, updated_by_id=actor.id,
                          updated_at=utcnow())
    session.add(row)
    session.flush()
    record(session, actor, "create", row, after=snapshot(row))
    return row


EDITABLE = ("value", "valid_from", "legal_source", "note")


def update_parameter(session: Session, actor: User, row: PolicyParameter, *, value: int, valid_from: date,
                     legal_source: str, note: Optional[str]) -> bool:
    """Correct a row (its key and province stay). Returns False when nothing changed (then nothing is audited)."""
    _check(value_error(value, row.unit), "value")
    _check(valid_from_error(valid_from), "valid_from")
    if row.valid_to is not None and valid_from > row.valid_to:
        raise ParameterError(_("Ngày áp dụng phải trước ngày hết hiệu lực %(d)s của dòng này.",
                               d=format_date(row.valid_to)), "valid_from")
    _check(legal_source_error(legal_source), "legal_source")
    existing = _same_start(session, row.key, row.province_code, valid_from, other_than=row.id)
    if existing is not None:
        raise ParameterError(_("Đã có một dòng khác của tham số này áp dụng từ ngày %(d)s; hãy chọn ngày khác, "
                               "hoặc sửa dòng đó.", d=format_date(valid_from)), "valid_from", existing.id)
    changes = {"value": value, "valid_from": valid_from, "legal_source": nfc(legal_source), "note": nfc(note) or None}
    if all(getattr(row, name) == new for name, new in changes.items()):
        return False
    before = snapshot(row)
    for name, new in changes.items():
        setattr(row, name, new)
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record(session, actor, "update", row, before=before, after=snapshot(row))
    return True


def get_parameter(session: Session, parameter_id: int) -> PolicyParameter:
    row = session.get(PolicyParameter, parameter_id)
    if row is None:
        abort(404)
    return row


def edit_values(row: PolicyParameter) -> dict:
    """The edit form's starting values: the stored row, the value as it would be typed."""
    return {"value": input_text(row.value, row.unit), "valid_from": row.valid_from,
            "legal_source": row.legal_source, "note": row.note or ""}


# --- the page ------------------------------------------------------------------------------------------------------


def provinces(session: Session, today: date) -> list[Province]:
    """The provinces in force today, in alphabetical order of their names."""
    rows = session.exec(select(Province).where(
        (Province.valid_to.is_(None)) | (Province.valid_to >= today))).all()
    return sorted(rows, key=lambda p: fold(p.name.removeprefix("Thành phố ").removeprefix("Tỉnh ")))


def province_names(session: Session) -> dict[str, str]:
    return {p.code: p.name for p in session.exec(select(Province)).all()}


@dataclass
class RowView:
    row: PolicyParameter
    shown: str
    until: Optional[date]  # the last day it applies: its own end, or the day before the next row starts
    in_force: bool = False
    upcoming: bool = False
    needs_check: bool = False


@dataclass
class Series:
    """The history of one key for the whole country, or for one province."""

    province_code: Optional[str]
    province_name: Optional[str]
    rows: list[RowView]  # newest first


@dataclass
class KeyGroup:
    key: str
    name: str
    help: str
    local: bool
    series: list[Series]


@dataclass
class Section:
    slug: str
    title: str
    groups: list[KeyGroup] = field(default_factory=list)


@dataclass
class Listing:
    today: date
    sections: list[Section]
    to_check: int


def needs_check(row: PolicyParameter) -> bool:
    return CHECK_MARK in (row.note or "").lower()


def _series(rows: list[PolicyParameter], code: Optional[str], name: Optional[str], today: date) -> Series:
    """Rows oldest first → their periods and which one is in force ``today`` (as ``policy.snapshot`` decides:
    the latest start not after the day, skipping rows that ended before it)."""
    rows = sorted(rows, key=lambda r: r.valid_from)
    views = []
    for i, row in enumerate(rows):
        following = rows[i + 1].valid_from - timedelta(days=1) if i + 1 < len(rows) else None
        until = min(d for d in (row.valid_to, following) if d) if (row.valid_to or following) else None
        views.append(RowView(row=row, shown=format_value(row.value, row.unit, row.key), until=until,
                             upcoming=row.valid_from > today, needs_check=needs_check(row)))
    current = [v for v in views if v.row.valid_from <= today and not (v.row.valid_to and v.row.valid_to < today)]
    if current:
        current[-1].in_force = True
    return Series(province_code=code, province_name=name, rows=list(reversed(views)))


def parameter_listing(session: Session, today: date) -> Listing:
    """Every key with its history, grouped in sections, the value in force ``today`` marked."""
    by_key: dict[str, dict[Optional[str], list[PolicyParameter]]] = defaultdict(lambda: defaultdict(list))
    for row in session.exec(select(PolicyParameter)).all():
        by_key[row.key][row.province_code].append(row)
    names = province_names(session)
    sections = {slug: Section(slug, str(title)) for slug, title in (*SECTIONS, OTHER_SECTION)}
    for key in [*KEY_NAMES, *sorted(k for k in by_key if k not in KEY_NAMES)]:
        info = key_name(key)
        series = [_series(rows, code, names.get(code, code) if code else None, today)
                  for code, rows in by_key.get(key, {}).items()]
        series.sort(key=lambda s: (s.province_code is not None, fold(s.province_name or "")))
        sections[info.section].groups.append(KeyGroup(key=key, name=str(info.name), help=str(info.help),
                                                      local=is_local(key), series=series))
    to_check = sum(v.needs_check for s in sections.values() for g in s.groups for ser in g.series for v in ser.rows)
    return Listing(today=today, sections=[s for s in sections.values() if s.groups], to_check=to_check)


@dataclass
class RowDescription:
    name: str
    help: str
    province_name: Optional[str]
    shown: str
    unit_word: str
    hint: str


def describe(session: Session, row: PolicyParameter) -> RowDescription:
    """What the edit page says about the row being corrected."""
    info = key_name(row.key)
    province = session.exec(select(Province.name).where(Province.code == row.province_code)).first() \
        if row.province_code else None
    return RowDescription(name=str(info.name), help=str(info.help), province_name=province,
                          shown=format_value(row.value, row.unit, row.key),
                          unit_word=unit_word(row.key, row.unit),
                          hint=str(UNIT_HINTS.get(row.unit, ANY_UNIT_HINT)))


def key_choices() -> dict[str, list[tuple[str, str]]]:
    """The keys a new row may have, grouped by section for the select's option groups, each with its unit."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for slug, title in SECTIONS:
        groups[str(title)] = [(key, f"{info.name} ({unit_word(key, unit_of(key))})")
                              for key, info in KEY_NAMES.items() if info.section == slug]
    return groups
