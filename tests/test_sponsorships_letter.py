"""The thank-you letter: an A4 PDF in Vietnamese that names only the beneficiaries who consented."""

from __future__ import annotations

import subprocess

import pytest
from sqlmodel import select

from fieldwork.models import Person, Sponsorship, utcnow
from fieldwork.sponsorships.pdf import number_in_words, vnd_in_words

from .sponsorships_data import commune, paid_through, propose  # noqa: F401


@pytest.mark.parametrize("n, words", [
    (0, "không"), (5, "năm"), (10, "mười"), (15, "mười lăm"), (21, "hai mươi mốt"), (24, "hai mươi tư"),
    (105, "một trăm linh năm"), (110, "một trăm mười"), (1_000, "một nghìn"),
    (1_050_000, "một triệu không trăm năm mươi nghìn"), (1_000_005, "một triệu không trăm linh năm"),
    (2_376_000, "hai triệu ba trăm bảy mươi sáu nghìn"), (3_000_000_000, "ba tỷ"),
    (1_234_567, "một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy"),
])
def test_amounts_in_words(n, words):
    assert number_in_words(n) == words


def test_vnd_in_words_starts_with_a_capital():
    assert vnd_in_words(409_860) == "Bốn trăm linh chín nghìn tám trăm sáu mươi đồng"


@pytest.fixture
def letter_pdf(client, login, db, commune, tmp_path):
    """Two people sponsored by the company and paid; only Nam consented to his data being used."""
    nam, suong, _binh = commune["people"]
    consenting = db.get(Person, nam.id)
    consenting.consent_at = utcnow()
    db.add(consenting)
    db.commit()
    login(commune["official"])
    propose(client, nam, commune["company"])  # 2,376,000
    propose(client, suong, commune["company"], scheme="bhyt_hgd", months="6")  # 34,155 × 6 = 204,930
    propose(client, suong, commune["bank"], scheme="bhyt_hgd", months="6", from_month="2027-06")  # not the company's
    for sponsorship in db.exec(select(Sponsorship).where(Sponsorship.donor_id == commune["company"].id)).all():
        assert paid_through(client, sponsorship.id).status_code == 302
    response = client.get(f"/nha-tai-tro/{commune['company'].id}/thu-cam-on.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "thu-cam-on.pdf"
    path.write_bytes(response.data)
    return path


def test_the_letter_says_thank_you_in_vietnamese(letter_pdf):
    text = subprocess.run(["pdftotext", "-layout", str(letter_pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "THƯ CẢM ƠN" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "UBND XÃ TAM TIẾN" in text and "Tam Tiến, ngày" in text
    assert "Công ty TNHH Minh Phát" in text
    assert "2.580.930 đ" in text  # 2,376,000 + 204,930
    assert "Hai triệu năm trăm tám mươi nghìn chín trăm ba mươi đồng" in " ".join(text.split())
    assert "Hoàng Văn Nam" in text  # consented: named
    assert "Lò Thị Sương" not in text and "1 người khác" in text  # no consent: counted only
    assert "1 sổ BHXH tự nguyện và 1 thẻ BHYT" in " ".join(text.split())


def test_the_letter_is_one_a4_page_that_renders(letter_pdf, tmp_path):
    info = subprocess.run(["pdfinfo", str(letter_pdf)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info or "(A4)" in info
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(letter_pdf), str(tmp_path / "page")],
                   check=True)
    [png] = list(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 5_000


def test_no_letter_before_the_money_came_in(client, login, commune):
    login(commune["official"])
    propose(client, commune["people"][0], commune["bank"])
    response = client.get(f"/nha-tai-tro/{commune['bank'].id}/thu-cam-on.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/nha-tai-tro/{commune['bank'].id}")
    assert "thư cảm ơn in được sau khi ghi nhận đã nộp" in client.get(response.headers["Location"]).get_data(as_text=True)
