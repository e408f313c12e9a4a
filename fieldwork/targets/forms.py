from __future__ import annotations

from datetime import date
from typing import Optional

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.validators import Optional as OptionalValue
from wtforms.validators import ValidationError

from ..committees.forms import plausible_date
from ..labels import label
from ..models import Indicator, PeriodKind, Target
from .progress import format_bp, parse_count, parse_percent
from .services import SplitPlan

COUNT_MESSAGE = _l("Hãy nhập chỉ tiêu là một số nguyên dương, ví dụ 120.")
PERCENT_MESSAGE = _l("Hãy nhập tỷ lệ phần trăm lớn hơn 0 và không quá 100, ví dụ 94 hoặc 94,5.")
PART_MESSAGE = _l("Hãy nhập một số nguyên từ 0 trở lên (0 nếu không giao phần nào).")


def _date_field(text, required: Optional[str] = None, **kw) -> DateField:
    validators = [DataRequired(required) if required else OptionalValue(), plausible_date]
    return DateField(text, validators=validators, format="%Y-%m-%d", render_kw={"type": "date"}, **kw)


def shown_value(indicator: Indicator, value: int) -> str:
    """A stored value as the form shows it: a count, or a rate as "94,5" (no percent sign)."""
    if indicator == Indicator.BHYT_COVERAGE:
        return format_bp(value).removesuffix(" %")
    return str(value)


def read_value(indicator: Indicator, text: Optional[str], *, allow_zero: bool = False) -> Optional[int]:
    if indicator == Indicator.BHYT_COVERAGE:
        value = parse_percent(text)
        return value if value else None
    value = parse_count(text)
    return value if value is not None and (value > 0 or allow_zero) else None


class TargetForm(FlaskForm):
    """A commune target; with ``indicator`` given the indicator is fixed (editing), with ``part=True`` only the value
    of a village's or member's share can change (its period is the split target's)."""

    indicator = SelectField(_l("Chỉ tiêu về"), default=Indicator.NEW_BHXH_TN.value)
    period_kind = SelectField(_l("Loại kỳ"), default=PeriodKind.YEAR.value)
    label = StringField(_l("Tên gọi (không bắt buộc)"),
                        validators=[Length(max=120, message=_l("Tên gọi dài tối đa 120 ký tự."))])
    period_start = _date_field(_l("Từ ngày"), _l("Hãy chọn ngày bắt đầu tính chỉ tiêu."))
    period_end = _date_field(_l("Đến ngày"), _l("Hãy chọn ngày kết thúc kỳ."))
    deadline = _date_field(_l("Hạn hoàn thành"))
    value = StringField(_l("Chỉ tiêu"), render_kw={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(self, *args, indicator: Optional[Indicator] = None, part: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_indicator = indicator
        if indicator is not None:
            del self["indicator"]
        else:
            self.indicator.choices = [(i.value, label(i)) for i in Indicator]
        if part:
            for name in ("period_kind", "label", "period_start", "period_end", "deadline"):
                del self[name]
        else:
            self.period_kind.choices = [(k.value, label(k)) for k in PeriodKind]

    @property
    def chosen_indicator(self) -> Indicator:
        if self.fixed_indicator is not None:
            return self.fixed_indicator
        try:
            return Indicator(self.indicator.data)
        except ValueError:
            return Indicator.NEW_BHXH_TN

    def validate_value(self, field):
        if read_value(self.chosen_indicator, field.data) is None:
            raise ValidationError(PERCENT_MESSAGE if self.chosen_indicator == Indicator.BHYT_COVERAGE
                                  else COUNT_MESSAGE)

    def values(self) -> dict:
        values = {"value": read_value(self.chosen_indicator, self.value.data)}
        if "period_start" in self:
            values.update(period_kind=PeriodKind(self.period_kind.data), label=(self.label.data or "").strip() or None,
                          period_start=self.period_start.data, period_end=self.period_end.data,
                          deadline=self.deadline.data)
        if self.fixed_indicator is None:
            values["indicator"] = self.chosen_indicator
        return values


def new_target_data(today: date) -> dict:
    """A new target starts as this year's."""
    return {"period_start": date(today.year, 1, 1), "period_end": date(today.year, 12, 31)}


def target_data(target: Target) -> dict:
    return {"period_kind": target.period_kind.value, "label": target.label or "", "period_start": target.period_start,
            "period_end": target.period_end, "deadline": target.deadline,
            "value": shown_value(target.indicator, target.value)}


class SplitForm(FlaskForm):
    """One input per village or member, named ``p<id>``; built for a plan by :func:`split_form`."""

    plan: SplitPlan

    def part_fields(self) -> list:
        return [self[f"p{unit.id}"] for unit in self.plan.units]

    def parts(self) -> Optional[dict[int, int]]:
        """The parts typed, when every one reads; else None."""
        read = {u.id: read_value(self.plan.target.indicator, self[f"p{u.id}"].data, allow_zero=True)
                for u in self.plan.units}
        return None if any(v is None for v in read.values()) else read

    def check_parts(self) -> bool:
        """Validate the inputs alone (the live sum asks without a CSRF token: it writes nothing)."""
        return all([f.validate(self) for f in self.part_fields()])


def _part_validator(indicator: Indicator):
    def validate(_form, field):
        if read_value(indicator, field.data, allow_zero=True) is None:
            raise ValidationError(PERCENT_MESSAGE if indicator == Indicator.BHYT_COVERAGE else PART_MESSAGE)

    return validate


def split_form(plan: SplitPlan, formdata) -> SplitForm:
    """The form for this plan: inputs prefilled with the plan's parts, overridden by what was typed (``formdata``)."""

    class PlanSplitForm(SplitForm):
        pass

    for unit in plan.units:
        setattr(PlanSplitForm, f"p{unit.id}", StringField(unit.name, validators=[_part_validator(plan.target.indicator)],
                                                          render_kw={"inputmode": "decimal", "autocomplete": "off"}))
    data = {f"p{u.id}": shown_value(plan.target.indicator, plan.prefill[u.id]) for u in plan.units}
    form = PlanSplitForm(formdata=formdata or None, data=data)
    form.plan = plan
    return form


class EmulationForm(FlaskForm):
    class Meta:
        csrf = False

    tu = _date_field(_l("Từ ngày"))
    den = _date_field(_l("Đến ngày"))

    def validate_den(self, field):
        if field.data and self.tu.data and field.data < self.tu.data:
            raise ValidationError(_l("Ngày cuối kỳ phải từ ngày đầu kỳ trở đi; hãy chọn lại."))

    def period(self, today: date) -> tuple[date, date]:
        """Defaults: from the first of January to today."""
        return self.tu.data or date(today.year, 1, 1), self.den.data or today
