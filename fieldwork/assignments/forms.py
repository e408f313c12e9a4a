"""Forms for assigning households: one household, many, auto-balance and handover.

Member choices are set by the view (the village's active members); the services check again, so a forged id is
refused with the same message.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

BALANCED = "deu"  # the handover choice "share among the other members"
MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger number fails the query instead of finding nothing


def _optional_int(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # never a member id: refused as "not in the list"


class MemberField(SelectField):
    """A select of the village's active members; its first option asks to choose."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, coerce=_optional_int, **kwargs)

    def pre_validate(self, form):
        if self.data is None:
            raise ValidationError(_l("Hãy chọn thành viên sẽ phụ trách hộ."))
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(_l("Người được chọn không phải thành viên đang hoạt động của ban vận động thôn "
                                     "này; hãy chọn một người trong danh sách."))


class IdsField(Field):
    """The ticked checkboxes of a list (``name=id`` many times); the list renders them, not WTForms."""

    def process_formdata(self, valuelist):
        try:
            self.data = sorted({int(v) for v in valuelist})
            if any(not 0 < i <= MAX_ID for i in self.data):
                raise ValueError("not a row id")
        except ValueError as error:
            self.data = []
            raise ValueError(_l("Danh sách hộ đã chọn không hợp lệ; hãy tải lại trang và chọn lại.")) from error

    def _value(self):
        return ""


class AssignForm(FlaskForm):
    member_id = MemberField(_l("Giao cho"))
    next = HiddenField()

    def set_members(self, members, loads: dict[int, int]) -> None:
        self.member_id.choices = [SelectChoice("", _l("— Chọn thành viên —"))] + [
            SelectChoice(m.id, _l("%(name)s (%(n)s hộ)", name=m.full_name, n=loads.get(m.id, 0))) for m in members]


class BulkAssignForm(AssignForm):
    household_ids = IdsField()

    def validate_household_ids(self, field):
        if not field.data and not field.errors:
            raise ValidationError(_l("Chưa chọn hộ nào; hãy đánh dấu các hộ cần giao rồi bấm Giao."))


class BalanceForm(FlaskForm):
    only_unassigned = RadioField(_l("Chia những hộ nào"), default="1", validate_choice=False, choices=[
        SelectChoice("1", _l("Chỉ các hộ chưa có người phụ trách (giữ nguyên các hộ đã giao)")),
        SelectChoice("0", _l("Chia lại tất cả các hộ (ít thay đổi nhất có thể)")),
    ])

    def validate_only_unassigned(self, field):
        if field.data not in ("1", "0"):
            raise ValidationError(_l("Hãy chọn một mục trong danh sách."))


class HandoverForm(FlaskForm):
    member_id = SelectField(_l("Giao cho"), validate_choice=False)

    def set_members(self, members, loads: dict[int, int]) -> None:
        self.member_id.choices = [SelectChoice("", _l("— Chọn người nhận —")),
                                  SelectChoice(BALANCED, _l("Chia đều cho các thành viên còn lại"))] + [
            SelectChoice(str(m.id), _l("%(name)s (%(n)s hộ)", name=m.full_name, n=loads.get(m.id, 0)))
            for m in members]

    def validate_member_id(self, field):
        if not field.data:
            raise ValidationError(_l("Hãy chọn người nhận bàn giao, hoặc chọn chia đều cho các thành viên còn lại."))
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Người được chọn không phải thành viên đang hoạt động của ban vận động thôn "
                                     "này; hãy chọn một người trong danh sách."))

    @property
    def receiver_id(self):
        """The chosen member's id, or None for "share among the others"."""
        return None if self.member_id.data == BALANCED else int(self.member_id.data)
