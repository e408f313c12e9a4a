"""The messages the phone's script shows, rendered into each page so that they are translated like the rest.

``{name}`` placeholders are filled in by the script.
"""

from __future__ import annotations

from flask_babel import gettext as _


def phone_texts() -> dict[str, str]:
    return {
        "offline": _("Đang ngoại tuyến — dữ liệu cập nhật lúc %(time)s", time="{time}"),
        "queue": _("Lần vận động lưu trên máy"),
        "waiting": _("%(n)s chờ gửi", n="{n}"),
        "sent": _("%(n)s đã gửi", n="{n}"),
        "attention": _("%(n)s cần xem lại", n="{n}"),
        "state_waiting": _("Chờ gửi"),
        "state_sent": _("Đã gửi"),
        "state_attention": _("Cần xem lại"),
        "note_offline": _("Chưa có mạng; sẽ tự gửi khi có mạng."),
        "note_signed_out": _("Phiên đăng nhập đã hết; hãy đăng nhập lại để gửi."),
        "note_server": _("Máy chủ chưa nhận được; sẽ tự thử lại."),
        "note_other_user": _("Của tài khoản khác; sẽ gửi khi người đó đăng nhập."),
        "sign_in": _("Đăng nhập"),
        "dismiss": _("Xoá khỏi máy"),
        "others": _("%(n)s lần vận động của tài khoản khác đang chờ người đó đăng nhập.", n="{n}"),
        "saved_local": _("Đã lưu trên máy: %(outcome)s — hộ %(name)s. Sẽ tự gửi khi có mạng.",
                         outcome="{outcome}", name="{name}"),
        "saved_pages": _("Đã lưu %(n)s trang để xem khi mất mạng.", n="{n}"),
        "sending": _("Đang gửi…"),
        "logout_confirm": _("Còn %(n)s lần vận động chưa gửi được. Đăng xuất bây giờ sẽ xoá chúng khỏi máy này. "
                            "Vẫn đăng xuất?", n="{n}"),
        "reason_required": _("Hãy chọn lý do từ chối."),
        "past_date": _("Ngày hẹn thăm lại không được ở quá khứ; hãy chọn từ hôm nay trở đi."),
    }
