from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

from ..committees.forms import ChoiceField, MemberForm
from ..households import rules
from ..text import normalise_phone

PASTE_MAX_CHARS = 60_000  # 500 lines of 120 characters: the service refuses longer lists line by line


def _check(rule):
    def validator(_form, field):
        message = rule(field.data)
        if message:
            raise ValidationError(message)

    return validator


class CommuneForm(FlaskForm):
    """Step 1: the commune from the official catalogue (the commune list follows the province), and who its
    official is. The choices are filled by the view from the catalogue."""

    province = ChoiceField(_l("Tỉnh, thành phố"))
    commune = ChoiceField(_l("Xã, phường, đặc khu"))
    official_name = StringField(_l("Họ tên cán bộ xã phụ trách"), validators=[_check(rules.name_error)])
    official_phone = StringField(_l("Số điện thoại của cán bộ xã (dùng để đăng nhập)"),
                                 render_kw={"inputmode": "tel", "autocomplete": "off"})

    def validate_province(self, field):
        if not field.data:
            raise ValidationError(_l("Hãy chọn tỉnh, thành phố trong danh sách."))

    def validate_commune(self, field):
        if not field.data:
            raise ValidationError(_l("Hãy chọn xã, phường, đặc khu trong danh sách (chọn tỉnh trước)."))

    def validate_official_phone(self, field):
        if not normalise_phone(field.data):
            raise ValidationError(_l("Hãy nhập số điện thoại của cán bộ xã (10 chữ số, bắt đầu bằng 0): cán bộ "
                                     "đăng nhập bằng số này."))
        if (message := rules.phone_error(field.data)):
            raise ValidationError(message)


class VillagesForm(FlaskForm):
    names = TextAreaField(_l("Tên các thôn, mỗi dòng một thôn"), render_kw={"rows": 8, "autocomplete": "off",
                                                                            "spellcheck": "false"})

    def validate_names(self, field):
        if len(field.data or "") > PASTE_MAX_CHARS:
            raise ValidationError(_l("Danh sách quá dài (tối đa %(n)s ký tự); hãy dán từng phần.",
                                     n=f"{PASTE_MAX_CHARS:,}".replace(",", ".")))


class SetupMemberForm(MemberForm):
    """A member as the set-up adds them: joining today, with the phone they will sign in with."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.title, self.joined_on

    def validate_phone(self, field):
        if not normalise_phone(field.data):
            raise ValidationError(_l("Hãy nhập số điện thoại của thành viên (10 chữ số, bắt đầu bằng 0): họ đăng "
                                     "nhập bằng số này."))

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in ("full_name", "phone", "organisation", "is_head")}
