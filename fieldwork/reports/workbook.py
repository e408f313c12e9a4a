"""The week's workbook: the visits, enrolments and sponsorships of the week and the progress table, rendered from the
same report object as the preview and the PDF (one sheet each, Vietnamese headings, money in VND, real dates)."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from ..exports.workbook import DATE, INTEGER, MONEY, PERCENT, TEXT, Column, Line, Table, workbook_bytes
from ..labels import label
from ..targets.progress import format_bp
from ..text import format_date
from .services import Report


def _above(report: Report, title: str) -> list[Line]:
    return [Line(f"{report.unit.name} · {report.unit.commune.name}, {report.unit.province.name}", bold=True),
            Line(title, bold=True, size=13),
            Line(_("Tuần %(n)s/%(y)s, từ ngày %(a)s đến ngày %(b)s", n=report.week.number, y=report.week.year,
                   a=format_date(report.week.first), b=format_date(report.week.last)), italic=True), Line()]


def _visits(report: Report) -> Table:
    columns = [Column(_("STT"), 5, INTEGER), Column(_("Ngày"), 11, DATE), Column(_("Giờ"), 6, TEXT),
               Column(_("Thôn"), 16),
               Column(_("Mã hộ"), 12, TEXT), Column(_("Chủ hộ"), 22), Column(_("Thành viên"), 20),
               Column(_("Kết quả"), 18), Column(_("Lý do từ chối"), 18), Column(_("Loại bảo hiểm"), 16),
               Column(_("Hình thức"), 12), Column(_("Hẹn lại"), 11, DATE), Column(_("Ghi chú"), 30, wrap=True)]
    rows = [[i, v.visited_at.date(), v.visited_at.strftime("%H:%M"), v.village, v.household_code, v.head_name, v.member, label(v.outcome), label(v.reason),
             label(v.scheme), label(v.channel), v.next_date, v.notes] for i, v in enumerate(report.visits, start=1)]
    return Table(_("Lượt vận động"), columns, rows, above=_above(report, _("LƯỢT VẬN ĐỘNG TRONG TUẦN")),
                 totals=["", _("Cộng: %(n)s lượt", n=len(rows))])


def _enrolments(report: Report) -> Table:
    columns = [Column(_("STT"), 5, INTEGER), Column(_("Ngày"), 11, DATE), Column(_("Thôn"), 16),
               Column(_("Mã hộ"), 12, TEXT), Column(_("Họ và tên"), 22), Column(_("Mã số BHXH"), 13, TEXT),
               Column(_("Loại bảo hiểm"), 16), Column(_("Tham gia"), 12), Column(_("Số tháng"), 8, INTEGER),
               Column(_("Từ ngày"), 11, DATE), Column(_("Đến ngày"), 11, DATE), Column(_("Số tiền"), 14, MONEY),
               Column(_("Người dân đóng"), 14, MONEY), Column(_("Ngân sách hỗ trợ"), 14, MONEY),
               Column(_("Nhà tài trợ"), 14, MONEY), Column(_("Số biên lai"), 12, TEXT), Column(_("Thành viên"), 20)]
    lines = report.enrolments
    rows = [[i, e.day, e.village, e.household_code, e.person, e.bhxh_code, label(e.scheme), label(e.kind), e.months,
             e.from_month, e.valid_until, e.amount_total, e.amount_person, e.amount_support, e.amount_other,
             e.receipt_no, e.member] for i, e in enumerate(lines, start=1)]
    totals = ["", _("Cộng: %(n)s lượt", n=len(rows)), "", "", "", "", "", "", sum(e.months for e in lines), None,
              None] + [sum(getattr(e, k) for e in lines) for k in ("amount_total", "amount_person", "amount_support",
                                                                   "amount_other")]
    return Table(_("Tham gia, đóng tiếp"), columns, rows, above=_above(report, _("THAM GIA MỚI VÀ ĐÓNG TIẾP")),
                 totals=totals)


def _sponsorships(report: Report) -> Table:
    columns = [Column(_("STT"), 5, INTEGER), Column(_("Ngày"), 11, DATE), Column(_("Thôn"), 16),
               Column(_("Nhà tài trợ"), 26), Column(_("Người được tặng"), 22), Column(_("Mã hộ"), 12, TEXT),
               Column(_("Loại bảo hiểm"), 16), Column(_("Số tháng"), 8, INTEGER), Column(_("Số tiền"), 14, MONEY),
               Column(_("Tình trạng"), 16)]
    rows = [[i, s.day, s.village, s.donor, s.recipient, s.household_code, label(s.scheme), s.months, s.amount,
             label(s.status)] for i, s in enumerate(report.sponsorships, start=1)]
    return Table(_("Tài trợ"), columns, rows, above=_above(report, _("SỔ BHXH, THẺ BHYT ĐƯỢC TÀI TRỢ")),
                 totals=["", _("Cộng: %(n)s", n=len(rows)), "", "", "", "", "", "",
                         sum(s.amount for s in report.sponsorships)])


def _progress(report: Report) -> Table:
    columns = [Column(_("Đơn vị"), 24), Column(_("Chỉ tiêu"), 30), Column(_("Từ ngày"), 11, DATE),
               Column(_("Hạn"), 11, DATE), Column(_("Trong tuần"), 10, INTEGER), Column(_("Lũy kế"), 10),
               Column(_("Kế hoạch"), 10), Column(_("Tỷ lệ"), 9, PERCENT), Column(_("Tình trạng"), 16)]
    lines = [(report.unit.name, k.line, k.week) for k in report.key_figures]
    lines += [(ln.unit + (f" ({ln.village})" if ln.village else ""), ln, None) for ln in report.lagging]
    rows = []
    for unit, line, week in lines:
        p = line.progress
        shown = format_bp if p.is_rate else (lambda v: v)  # a rate as "94 %", a count as a number
        rows.append([unit, label(line.target.indicator), line.target.period_start, line.target.deadline, week,
                     shown(p.achieved), shown(p.value), p.percent, p.status.label])
    return Table(_("Tiến độ"), columns, rows, above=_above(report, _("TIẾN ĐỘ THỰC HIỆN CHỈ TIÊU")))


def week_workbook(report: Report) -> bytes:
    with force_locale("vi"):
        return workbook_bytes([_progress(report), _visits(report), _enrolments(report), _sponsorships(report)])


def filename(report: Report) -> str:
    return f"bao-cao-{report.unit.key}-{report.week.key}.xlsx"
