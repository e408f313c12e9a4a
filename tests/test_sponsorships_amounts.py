"""Sponsorship money rules: amounts come from the calculator, partial sponsorship, several donors, no over-sponsoring."""

from __future__ import annotations

from sqlmodel import func, select

from fieldwork.models import AuditEvent, Household, Poverty, Scheme, Sponsorship, SponsorshipStatus

from .sponsorships_data import NEAR_POOR_MONTHLY, commune, month, only_sponsorship, propose  # noqa: F401


def _count(db) -> int:
    db.expire_all()
    return db.exec(select(func.count(Sponsorship.id))).one()


def test_amount_defaults_to_the_persons_share_from_the_calculator(client, login, db, commune):
    login(commune["member"])
    response = propose(client, commune["people"][0], commune["bank"])
    assert response.status_code == 302
    sponsorship = only_sponsorship(db)
    # near-poor, 12 months at 1,500,000: the person's own share is 198,000 a month (domain.md §2)
    assert sponsorship.amount == NEAR_POOR_MONTHLY * 12 == 2_376_000
    assert (sponsorship.scheme, sponsorship.months, sponsorship.from_month) == (Scheme.BHXH_TN, 12, month("2026-12"))
    assert sponsorship.status == SponsorshipStatus.PROPOSED
    assert sponsorship.proposed_by_id == commune["member"].id
    audit = db.exec(select(AuditEvent).where(AuditEvent.entity == "sponsorship")).one()
    assert audit.action == "create" and audit.after["chosen_income"] == 1_500_000


def test_a_higher_income_raises_the_share(client, login, db, commune):
    login(commune["official"])
    assert propose(client, commune["people"][0], commune["bank"], income="2000000", months="6").status_code == 302
    # 22 % × 2,000,000 = 440,000 a month, less the same 132,000 of state support
    assert only_sponsorship(db).amount == (440_000 - 132_000) * 6


def test_partial_sponsorship_keeps_the_amount_typed(client, login, db, commune):
    login(commune["member"])
    assert propose(client, commune["people"][0], commune["bank"], amount="1000000").status_code == 302
    assert only_sponsorship(db).amount == 1_000_000


def test_two_donors_share_one_person_within_the_share(client, login, db, commune):
    login(commune["member"])
    person = commune["people"][0]
    assert propose(client, person, commune["bank"], amount="1376000").status_code == 302
    second = propose(client, person, commune["company"])  # by default: what remains
    assert second.status_code == 302
    amounts = db.exec(select(Sponsorship.amount).order_by(Sponsorship.id)).all()
    assert amounts == [1_376_000, 1_000_000]


def test_over_sponsoring_is_refused_with_the_remaining_amount(client, login, db, commune):
    login(commune["member"])
    person = commune["people"][0]
    propose(client, person, commune["bank"], amount="2000000")
    response = propose(client, person, commune["company"], amount="500000", notes="Đợt tháng 12")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "chỉ còn 376.000 đ" in body and "Hãy nhập tối đa 376.000 đ" in body
    assert 'value="500000"' in body and "Đợt tháng 12" in body  # what was typed is kept
    assert _count(db) == 1


def test_an_overlapping_period_counts_but_a_later_one_does_not(client, login, db, commune):
    login(commune["member"])
    person = commune["people"][0]
    propose(client, person, commune["bank"])  # 12/2026 – 11/2027, the whole share
    overlapping = propose(client, person, commune["company"], months="3", from_month="2027-06")
    assert overlapping.status_code == 422 and "đã được các nhà tài trợ khác nhận đủ" in overlapping.get_data(as_text=True)
    assert propose(client, person, commune["company"], months="3", from_month="2027-12").status_code == 302
    assert _count(db) == 2


def test_a_cancelled_sponsorship_frees_its_amount(client, login, db, commune):
    login(commune["official"])
    person = commune["people"][0]
    propose(client, person, commune["bank"])
    first = only_sponsorship(db)
    assert client.post_form(f"/tai-tro/{first.id}/huy", {"reason": "Nhà tài trợ rút lại"}).status_code == 302
    assert propose(client, person, commune["company"]).status_code == 302
    db.expire_all()
    assert db.exec(select(Sponsorship.amount).where(Sponsorship.status == SponsorshipStatus.PROPOSED)).one() == 2_376_000


def test_the_same_person_may_have_a_book_and_a_card(client, login, db, commune):
    login(commune["member"])
    person = commune["people"][0]
    propose(client, person, commune["bank"])
    assert propose(client, person, commune["bank"], scheme="bhyt_hgd").status_code == 302
    card = db.exec(select(Sponsorship).where(Sponsorship.scheme == Scheme.BHYT_HGD)).one()
    # first card of the household at 2,530,000: 113,850 a month, near-poor households get 70 % from the state
    assert card.amount == 1_366_200 - 79_695 * 12 == 409_860


def test_bhyt_share_follows_the_persons_rank_in_the_household(client, login, db, commune):
    from datetime import date

    from fieldwork.models import BhytStatus, Person

    holder = db.get(Person, commune["people"][0].id)
    holder.bhyt_status, holder.bhyt_card_expiry = BhytStatus.HOUSEHOLD, date(2027, 12, 31)
    db.add(holder)
    db.commit()
    login(commune["member"])
    assert propose(client, commune["people"][1], commune["bank"], scheme="bhyt_hgd", months="6").status_code == 302
    # second member of the household: 79,695 a month; the person pays 30 % of it
    assert only_sponsorship(db).amount == (79_695 - 55_787) * 6


def test_bad_terms_are_refused_with_the_fix(client, login, db, commune):
    login(commune["member"])
    person = commune["people"][0]
    cases = [({"income": "1520000"}, "bội số của 50.000 đ"), ({"scheme": "bhyt_hgd", "months": "1"}, "3, 6 hoặc 12 tháng"),
             ({"donor_id": ""}, "Hãy chọn nhà tài trợ"), ({"amount": "0"}, "Số tiền phải lớn hơn 0"),
             ({"from_month": ""}, "Hãy chọn tháng bắt đầu")]
    for over, message in cases:
        response = propose(client, person, commune["bank"], **over)
        assert response.status_code == 422 and message in response.get_data(as_text=True), over
    assert _count(db) == 0


def test_poor_households_get_cards_from_the_state_not_from_donors(client, login, db, commune):
    household = db.get(Household, commune["household"].id)
    household.poverty = Poverty.POOR
    db.add(household)
    db.commit()
    login(commune["member"])
    response = propose(client, commune["people"][0], commune["bank"], scheme="bhyt_hgd")
    assert response.status_code == 422 and "Hộ nghèo được Nhà nước cấp thẻ BHYT" in response.get_data(as_text=True)
    # a book is still possible: the poor pay half of 22 % × 1,500,000 themselves
    assert propose(client, commune["people"][0], commune["bank"]).status_code == 302
    assert only_sponsorship(db).amount == 165_000 * 12


def test_a_donor_of_another_commune_cannot_be_chosen(client, login, db, commune):
    from fieldwork.models import Commune, Donor, DonorKind

    other = db.exec(select(Commune).where(Commune.code == "00004")).one()
    foreign = Donor(commune_id=other.id, name="Nhà Hảo Tâm Phường Khác", kind=DonorKind.PERSON)
    db.add(foreign)
    db.commit()
    login(commune["official"])
    response = propose(client, commune["people"][0], foreign)
    assert response.status_code == 422
    assert "Nhà Hảo Tâm Phường Khác" not in client.get(f"/nguoi/{commune['people'][0].id}/tai-tro/moi").get_data(as_text=True)
    assert _count(db) == 0


def test_the_form_previews_the_share_as_it_is_filled_in(client, login, commune):
    login(commune["member"])
    person = commune["people"][0]
    page = client.get(f"/nguoi/{person.id}/tai-tro/moi?scheme=bhyt_hgd").get_data(as_text=True)
    assert "409.860 đ" in page and 'value="1500000"' in page
    partial = client.get(f"/nguoi/{person.id}/tai-tro/moi?scheme=bhxh_tn&months=3&from_month=2026-12&income=1500000",
                         headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in body and "594.000 đ" in body
    bad = client.get(f"/nguoi/{person.id}/tai-tro/moi?scheme=bhxh_tn&months=3&from_month=2026-12&income=1000000",
                     headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "thấp nhất là 1.500.000 đ" in bad
