"""Error pages in the app's layout and language."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .db import discard_request_session

MESSAGES = {
    400: (_l("Yêu cầu không hợp lệ"), _l("Dữ liệu gửi lên không đúng. Hãy quay lại trang trước và thử lại.")),
    403: (_l("Không có quyền truy cập"), _l("Tài khoản của bạn không được xem trang này. Nếu cần, hãy liên hệ cán bộ xã.")),
    404: (_l("Không tìm thấy trang"), _l("Trang hoặc hồ sơ này không tồn tại, hoặc không thuộc phạm vi của bạn.")),
    405: (_l("Thao tác không được hỗ trợ"), _l("Trang này không nhận thao tác đó. Hãy quay lại và dùng các nút trên trang.")),
    413: (_l("Tệp quá lớn"), _l("Tệp tải lên vượt quá giới hạn cho phép. Hãy chia nhỏ tệp rồi tải lại.")),
    429: (_l("Thao tác quá nhanh"), _l("Bạn đã thử quá nhiều lần. Hãy chờ vài phút rồi thử lại.")),
    500: (_l("Lỗi hệ thống"), _l("Đã có lỗi xảy ra phía máy chủ; dữ liệu chưa được lưu. Hãy thử lại sau ít phút.")),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_e):
        return render_error(
            400,
            str(_l("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Hãy tải lại trang rồi gửi lại.")),
        )

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        if e.code is None or e.code < 400:
            return e
        return render_error(e.code)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        app.logger.exception("Unhandled error")
        discard_request_session()
        return render_error(500)
