"""A sponsorship's life: proposed → approved → paid (an enrolment) → handed over → ended, or cancelled."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import func, select

from fieldwork.models import (
    AuditEvent, BhxhStatus, BhytStatus, Enrolment, FollowUp, FollowUpStatus, OutreachEvent, OutreachKind, Person,
    Sponsorship, SponsorshipStatus,
)
from fieldwork.text import local_today

from .sponsorships_data import (  # noqa: F401
    commune, month, needs_sponsor, only_sponsorship, paid_through, propose, step, today_iso,
)


def _enrolments(db) -> list[Enrolment]:
    db.expire_all()
    return db.exec(select(Enrolment)).all()


def test_the_whole_life_of_a_sponsored_book(client, login, db, commune):
    person = commune["people"][0]
    task = needs_sponsor(db, person, commune["members"][1])
    login(commune["member"])
    propose(client, person, commune["bank"], amount="2000000")
    sponsorship = only_sponsorship(db)
    login(commune["official"])
    assert step(client, sponsorship.id, "duyet").status_code == 302
    assert only_sponsorship(db).status == SponsorshipStatus.APPROVED
    assert step(client, sponsorship.id, "da-nop", paid_on=today_iso(), income="1500000",
                receipt_no="BL-77").status_code == 302

    [enrolment] = _enrolments(db)
    assert enrolment.sponsorship_id == sponsorship.id
    # total 3,960,000 = state 1,584,000 + person 2,376,000, of which the donor pays 2,000,000 ("Hỗ trợ khác")
    assert (enrolment.amount_total, enrolment.amount_state) == (3_960_000, 1_584_000)
    assert (enrolment.amount_other, enrolment.amount_person) == (2_000_000, 376_000)
    assert (enrolment.from_month, enrolment.valid_until, enrolment.receipt_no) == (month("2026-12"), date(2027, 11, 30), "BL-77")
    assert enrolment.member_id == commune["members"][1].id  # credited to the responsible member
    assert db.get(Person, person.id).bhxh_status == BhxhStatus.VOLUNTARY
    assert db.get(FollowUp, task.id).status == FollowUpStatus.DONE

    ceremony = OutreachEvent(commune_id=commune["village"].commune_id, kind=OutreachKind.CEREMONY,
                             held_on=local_today(), title="Lễ trao sổ BHXH dịp Tết")
    db.add(ceremony)
    db.commit()
    page = client.get(f"/tai-tro/{sponsorship.id}").get_data(as_text=True)
    assert "Lễ trao sổ BHXH dịp Tết" in page
    assert step(client, sponsorship.id, "da-trao", handed_over_on=today_iso(), event_id=str(ceremony.id),
                handover_event="Nhà văn hoá thôn").status_code == 302
    sponsorship = only_sponsorship(db)
    assert (sponsorship.status, sponsorship.event_id, sponsorship.handover_event) == (
        SponsorshipStatus.HANDED_OVER, ceremony.id, "Nhà văn hoá thôn")
    assert _enrolments(db)[0].event_id == ceremony.id

    assert step(client, sponsorship.id, "ket-thuc", ended_on=today_iso()).status_code == 302
    sponsorship = only_sponsorship(db)
    assert (sponsorship.status, sponsorship.ended_on) == (SponsorshipStatus.ENDED, local_today())
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.entity == "sponsorship").order_by(AuditEvent.id)).all()
    assert actions == ["create", "approve", "pay", "hand_over", "end"]
    assert len(_enrolments(db)) == 1


def test_illegal_steps_are_refused_and_change_nothing(client, login, db, commune):
    login(commune["official"])
    propose(client, commune["people"][0], commune["bank"])
    sponsorship = only_sponsorship(db)
    for path, data in (("da-nop", {"paid_on": today_iso(), "income": "1500000"}), ("da-trao", {"handed_over_on": today_iso()}),
                       ("ket-thuc", {"ended_on": today_iso()})):
        response = step(client, sponsorship.id, path, **data)
        assert response.status_code == 422, path
        assert "Bước tiếp theo có thể là: Xã đã duyệt, Đã huỷ" in response.get_data(as_text=True)
    assert only_sponsorship(db).status == SponsorshipStatus.PROPOSED
    paid_through(client, sponsorship.id)
    for path, data in (("duyet", {}), ("huy", {"reason": "Muộn quá"}), ("da-nop", {"paid_on": today_iso(), "income": "1500000"})):
        assert step(client, sponsorship.id, path, **data).status_code == 422, path
    assert only_sponsorship(db).status == SponsorshipStatus.PAID
    assert len(_enrolments(db)) == 1  # paying twice does not enrol twice
    step(client, sponsorship.id, "da-trao", handed_over_on=today_iso())
    step(client, sponsorship.id, "ket-thuc", ended_on=today_iso())
    response = step(client, sponsorship.id, "huy", reason="Thử lại")
    assert response.status_code == 422 and "đã ở bước cuối" in response.get_data(as_text=True)


def test_cancel_needs_a_reason_and_keeps_it(client, login, db, commune):
    login(commune["official"])
    propose(client, commune["people"][0], commune["bank"], notes="Đề xuất của chi hội")
    sponsorship = only_sponsorship(db)
    missing = step(client, sponsorship.id, "huy", reason="")
    assert missing.status_code == 422 and "Hãy ghi lý do huỷ" in missing.get_data(as_text=True)
    assert step(client, sponsorship.id, "huy", reason="Người dân đã tự đóng").status_code == 302
    sponsorship = only_sponsorship(db)
    assert sponsorship.status == SponsorshipStatus.CANCELLED
    assert sponsorship.notes == "Đề xuất của chi hội\nNgười dân đã tự đóng"


def test_dates_that_cannot_be_true_are_refused(client, login, db, commune):
    login(commune["official"])
    propose(client, commune["people"][0], commune["bank"])
    sponsorship = only_sponsorship(db)
    step(client, sponsorship.id, "duyet")
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    future = step(client, sponsorship.id, "da-nop", paid_on=tomorrow, income="1500000")
    assert future.status_code == 422 and "không được sau hôm nay" in future.get_data(as_text=True)
    assert _enrolments(db) == []
    step(client, sponsorship.id, "da-nop", paid_on=today_iso(), income="1500000")
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    early = step(client, sponsorship.id, "da-trao", handed_over_on=yesterday)
    assert early.status_code == 422 and "không được trước ngày nộp tiền" in early.get_data(as_text=True)


def test_paying_at_an_income_too_low_for_the_amount_is_refused(client, login, db, commune):
    login(commune["official"])
    propose(client, commune["people"][0], commune["bank"], income="2000000")  # 3,696,000
    sponsorship = only_sponsorship(db)
    response = paid_through(client, sponsorship.id, income="1500000")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "ít hơn số tiền tài trợ (3.696.000 đ)" in body
    assert _enrolments(db) == [] and only_sponsorship(db).status == SponsorshipStatus.APPROVED
    assert step(client, sponsorship.id, "da-nop", paid_on=today_iso(), income="2000000").status_code == 302
    [enrolment] = _enrolments(db)
    assert (enrolment.chosen_income, enrolment.amount_other, enrolment.amount_person) == (2_000_000, 3_696_000, 0)


def test_a_sponsored_card_becomes_a_household_card(client, login, db, commune):
    person = commune["people"][1]
    needs_sponsor(db, person)
    login(commune["official"])
    propose(client, person, commune["company"], scheme="bhyt_hgd", months="12")
    sponsorship = only_sponsorship(db)
    assert paid_through(client, sponsorship.id).status_code == 302
    [enrolment] = _enrolments(db)
    assert (enrolment.bhyt_rank, enrolment.amount_total, enrolment.amount_state) == (1, 1_366_200, 79_695 * 12)
    assert (enrolment.amount_other, enrolment.amount_person, enrolment.sponsorship_id) == (409_860, 0, sponsorship.id)
    assert db.get(Person, person.id).bhyt_status == BhytStatus.HOUSEHOLD
    assert db.exec(select(func.count(FollowUp.id)).where(FollowUp.status == FollowUpStatus.OPEN)).one() == 0


def test_two_donors_for_one_card_make_two_payments(client, login, db, commune):
    person = commune["people"][1]
    login(commune["official"])
    propose(client, person, commune["company"], scheme="bhyt_hgd", months="12", amount="200000")
    propose(client, person, commune["bank"], scheme="bhyt_hgd", months="12")
    first, second = db.exec(select(Sponsorship).order_by(Sponsorship.id)).all()
    assert (first.amount, second.amount) == (200_000, 209_860)
    paid_through(client, first.id)
    [enrolment] = _enrolments(db)
    assert (enrolment.amount_other, enrolment.amount_person) == (200_000, 209_860)


def test_renewal_due_is_derived_from_the_enrolment(client, login, db, commune):
    login(commune["official"])
    propose(client, commune["people"][0], commune["bank"])
    sponsorship = only_sponsorship(db)
    paid_through(client, sponsorship.id)
    step(client, sponsorship.id, "da-trao", handed_over_on=today_iso())
    assert "cần tặng tiếp" not in client.get(f"/tai-tro/{sponsorship.id}").get_data(as_text=True)
    enrolment = _enrolments(db)[0]
    enrolment.valid_until = local_today() + timedelta(days=20)
    db.add(enrolment)
    db.commit()
    assert "Sắp hết hạn, cần tặng tiếp" in client.get(f"/tai-tro/{sponsorship.id}").get_data(as_text=True)
    due = client.get("/tai-tro?trang-thai=renewal_due").get_data(as_text=True)
    assert "Hoàng Văn Nam" in due
    assert only_sponsorship(db).status == SponsorshipStatus.HANDED_OVER  # derived, never stored


def test_members_propose_and_record_but_only_the_commune_approves(client, login, db, commune):
    login(commune["member"])
    propose(client, commune["people"][0], commune["bank"])
    sponsorship = only_sponsorship(db)
    page = client.get(f"/tai-tro/{sponsorship.id}").get_data(as_text=True)
    assert "Chờ cán bộ xã duyệt" in page and f"/tai-tro/{sponsorship.id}/duyet" not in page
    assert step(client, sponsorship.id, "duyet").status_code == 403
    login(commune["official"])
    step(client, sponsorship.id, "duyet")
    login(commune["member"])
    assert step(client, sponsorship.id, "huy", reason="Đổi ý").status_code == 403  # approved: only the commune cancels
    assert step(client, sponsorship.id, "da-nop", paid_on=today_iso(), income="1500000").status_code == 302
    assert _enrolments(db)[0].member_id == commune["members"][1].id
    login(commune["other_member"])  # same village, not responsible for the household
    assert client.get(f"/tai-tro/{sponsorship.id}").status_code == 200
    assert step(client, sponsorship.id, "da-trao", handed_over_on=today_iso()).status_code == 403


def test_a_member_withdraws_their_own_proposal(client, login, db, commune):
    login(commune["member"])
    propose(client, commune["people"][0], commune["bank"])
    sponsorship = only_sponsorship(db)
    assert step(client, sponsorship.id, "huy", reason="Gia đình đã tự đóng").status_code == 302
    assert only_sponsorship(db).status == SponsorshipStatus.CANCELLED


def test_years_paid_ahead_become_a_lump_sum_enrolment(client, login, db, commune):
    login(commune["official"])
    propose(client, commune["people"][0], commune["bank"], months="24")
    sponsorship = only_sponsorship(db)
    assert sponsorship.amount == 198_000 * 24
    assert paid_through(client, sponsorship.id).status_code == 302
    [enrolment] = _enrolments(db)
    assert (enrolment.payment_mode.value, enrolment.months, enrolment.valid_until) == ("VS", 24, date(2028, 11, 30))
    assert (enrolment.amount_other, enrolment.amount_person) == (198_000 * 24, 0)
