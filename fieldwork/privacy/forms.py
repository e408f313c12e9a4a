from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length


class WithdrawForm(FlaskForm):
    note = StringField(_l("Ghi chú (không bắt buộc)"), validators=[Length(max=255, message=_l(
        "Ghi chú dài tối đa %(max)d ký tự; hãy viết ngắn gọn."))])
    confirmed = BooleanField(_l("Người này đã yêu cầu rút lại sự đồng ý: ngừng vận động và không nêu tên trong báo cáo"),
                             validators=[DataRequired(_l("Hãy đánh dấu xác nhận người dân đã yêu cầu rút lại sự đồng ý."))])
