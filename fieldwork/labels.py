"""What each enum value is called on screen, in Vietnamese (English through the catalogue)."""

from __future__ import annotations

from enum import Enum

from flask import has_request_context
from flask_babel import lazy_gettext as _l

from . import models as m

_LABELS: tuple[tuple[Enum, object], ...] = (
    (m.Role.ADMIN, _l("Quản trị hệ thống")),
    (m.Role.OFFICIAL, _l("Cán bộ xã")),
    (m.Role.MEMBER, _l("Thành viên ban vận động")),
    (m.Organisation.FRONT, _l("Mặt trận Tổ quốc")),
    (m.Organisation.WOMEN, _l("Hội Phụ nữ")),
    (m.Organisation.FARMERS, _l("Hội Nông dân")),
    (m.Organisation.VETERANS, _l("Hội Cựu chiến binh")),
    (m.Organisation.YOUTH, _l("Đoàn Thanh niên")),
    (m.Organisation.VILLAGE_HEAD, _l("Trưởng thôn")),
    (m.Organisation.HEALTH_WORKER, _l("Y tế thôn bản")),
    (m.Organisation.COLLECTION_AGENT, _l("Nhân viên đại lý thu")),
    (m.Organisation.OTHER, _l("Khác")),
    (m.Poverty.NONE, _l("Không")),
    (m.Poverty.POOR, _l("Hộ nghèo")),
    (m.Poverty.NEAR_POOR, _l("Hộ cận nghèo")),
    (m.Poverty.FARMING_AVERAGE, _l("Hộ nông, lâm, ngư nghiệp mức sống trung bình")),
    (m.Poverty.HARDSHIP, _l("Hoàn cảnh khó khăn")),
    (m.Sex.MALE, _l("Nam")),
    (m.Sex.FEMALE, _l("Nữ")),
    (m.Relation.HEAD, _l("Chủ hộ")),
    (m.Relation.SPOUSE, _l("Vợ/chồng")),
    (m.Relation.CHILD, _l("Con")),
    (m.Relation.PARENT, _l("Bố/mẹ")),
    (m.Relation.GRANDCHILD, _l("Cháu")),
    (m.Relation.SIBLING, _l("Anh/chị/em")),
    (m.Relation.CHILD_IN_LAW, _l("Con dâu/con rể")),
    (m.Relation.OTHER, _l("Khác")),
    (m.BhytStatus.NONE, _l("Chưa có thẻ BHYT")),
    (m.BhytStatus.HOUSEHOLD, _l("BHYT hộ gia đình")),
    (m.BhytStatus.OTHER_GROUP, _l("BHYT nhóm khác")),
    (m.BhxhStatus.NONE, _l("Chưa tham gia BHXH")),
    (m.BhxhStatus.VOLUNTARY, _l("BHXH tự nguyện")),
    (m.BhxhStatus.COMPULSORY, _l("BHXH bắt buộc")),
    (m.BhxhStatus.PENSIONER, _l("Hưởng lương hưu")),
    (m.VisitOutcome.AGREED, _l("Đồng ý tham gia")),
    (m.VisitOutcome.CONSIDERING, _l("Đang cân nhắc")),
    (m.VisitOutcome.REFUSED, _l("Từ chối")),
    (m.VisitOutcome.NOT_HOME, _l("Không có nhà")),
    (m.VisitOutcome.ALREADY_COVERED, _l("Đã có bảo hiểm")),
    (m.VisitOutcome.MOVED_AWAY, _l("Đã chuyển đi")),
    (m.VisitOutcome.DO_NOT_CONTACT, _l("Không muốn được liên hệ")),
    (m.RefusalReason.CANNOT_AFFORD, _l("Không đủ khả năng đóng")),
    (m.RefusalReason.NO_TRUST, _l("Chưa tin tưởng")),
    (m.RefusalReason.HAS_OTHER_INSURANCE, _l("Đã có bảo hiểm khác")),
    (m.RefusalReason.AGE, _l("Quá tuổi hoặc chưa đủ tuổi")),
    (m.RefusalReason.FAMILY_AGAINST, _l("Gia đình không đồng ý")),
    (m.RefusalReason.OTHER, _l("Lý do khác")),
    (m.Channel.HOME, _l("Đến nhà")),
    (m.Channel.PHONE, _l("Điện thoại")),
    (m.Channel.MEETING, _l("Hội nghị")),
    (m.FollowUpKind.REVISIT, _l("Thăm lại")),
    (m.FollowUpKind.NEEDS_SPONSOR, _l("Cần nhà tài trợ")),
    (m.FollowUpKind.COMPLETE_ENROLMENT, _l("Hoàn tất hồ sơ tham gia")),
    (m.FollowUpKind.RENEWAL, _l("Nhắc đóng tiếp")),
    (m.Scheme.BHXH_TN, _l("BHXH tự nguyện")),
    (m.Scheme.BHYT_HGD, _l("BHYT hộ gia đình")),
    (m.EnrolmentKind.NEW, _l("Tham gia mới")),
    (m.EnrolmentKind.RENEWAL, _l("Đóng tiếp")),
    (m.DropoutReason.CANNOT_AFFORD, _l("Không đủ khả năng đóng")),
    (m.DropoutReason.FORGOT, _l("Quên đóng")),
    (m.DropoutReason.NO_TRUST, _l("Chưa tin tưởng")),
    (m.DropoutReason.COVERED_ELSEWHERE, _l("Đã tham gia theo nhóm khác")),
    (m.DropoutReason.MOVED_AWAY, _l("Đã chuyển đi")),
    (m.DropoutReason.DIED, _l("Đã mất")),
    (m.DropoutReason.OTHER, _l("Lý do khác")),
    (m.OutreachKind.MEETING, _l("Hội nghị, họp thôn")),
    (m.OutreachKind.BROADCAST, _l("Phát loa truyền thanh")),
    (m.OutreachKind.CEREMONY, _l("Lễ trao sổ, thẻ")),
    (m.OutreachKind.OTHER, _l("Hoạt động khác")),
    (m.SponsorshipStatus.PROPOSED, _l("Đề xuất")),
    (m.SponsorshipStatus.APPROVED, _l("Xã đã duyệt")),
    (m.SponsorshipStatus.PAID, _l("Đã nộp tiền")),
    (m.SponsorshipStatus.HANDED_OVER, _l("Đã trao")),
    (m.SponsorshipStatus.ENDED, _l("Đã kết thúc")),
    (m.SponsorshipStatus.CANCELLED, _l("Đã huỷ")),
    (m.DonorKind.PERSON, _l("Cá nhân, nhà hảo tâm")),
    (m.DonorKind.OFFICIAL, _l("Cán bộ, công chức")),
    (m.DonorKind.BUSINESS, _l("Doanh nghiệp")),
    (m.DonorKind.BANK, _l("Ngân hàng")),
    (m.DonorKind.MASS_ORGANISATION, _l("Đoàn thể, tổ chức chính trị - xã hội")),
    (m.DonorKind.OTHER_ORGANISATION, _l("Tổ chức khác")),
    (m.Indicator.NEW_BHXH_TN, _l("Người tham gia BHXH tự nguyện mới")),
    (m.Indicator.NEW_BHYT_HGD, _l("Người tham gia BHYT hộ gia đình mới")),
    (m.Indicator.RENEWALS, _l("Lượt đóng tiếp")),
    (m.Indicator.BHYT_COVERAGE, _l("Tỷ lệ bao phủ BHYT")),
    (m.Indicator.SPONSORED, _l("Sổ, thẻ được tặng")),
    (m.PeriodKind.YEAR, _l("Năm")),
    (m.PeriodKind.QUARTER, _l("Quý")),
    (m.PeriodKind.CAMPAIGN, _l("Đợt cao điểm")),
    (m.VillageKind.THON, _l("Thôn")),
    (m.VillageKind.XOM, _l("Xóm")),
    (m.VillageKind.AP, _l("Ấp")),
    (m.VillageKind.BAN, _l("Bản")),
    (m.VillageKind.TO_DAN_PHO, _l("Tổ dân phố")),
    (m.VillageKind.KHU_PHO, _l("Khu phố")),
    (m.VillageKind.KHAC, _l("Khác")),
)


# Our enums are str-valued, so Poverty.NONE == BhxhStatus.NONE == "none": key by (enum class, value) or the
# labels of different enums sharing a value would overwrite each other.
LABELS: dict[tuple[type, str], object] = {(type(member), member.value): text for member, text in _LABELS}


def label(value: Enum | None) -> str:
    if value is None:
        return ""
    key = (type(value), value.value)
    if key not in LABELS:
        return value.value
    if not has_request_context():
        return str(LABELS[key])
    return label_table()[key]


def label_table() -> dict[tuple[type, str], str]:
    """Every label in the current language, translated once per process and catalogue: a lazy string looks the
    catalogue up through three context-local lookups each time it is shown, and a page shows up to a hundred labels."""
    from .i18n import per_catalogue

    return per_catalogue("labels", lambda: {key: str(text) for key, text in LABELS.items()})
