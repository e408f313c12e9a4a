"""What a password must be: 8 characters or more, not a common one, not the phone or the name; nothing else."""

from __future__ import annotations

import unicodedata

import pytest

from fieldwork.auth.passwords import (
    ALPHABET,
    GENERATED_LENGTH,
    MAX_LENGTH,
    common_passwords,
    generate_password,
    password_problem,
)

PHONE = "0912345678"
NAME = "Trần Thị Hương"


@pytest.mark.parametrize("password, problem", [
    ("", "ít nhất 8 ký tự"),
    ("xk7#qm2", "ít nhất 8 ký tự"),  # 7 characters, however mixed
    ("12345678", "quá phổ biến"),
    ("123456789", "quá phổ biến"),
    ("qwertyuiop", "quá phổ biến"),
    ("matkhau123", "quá phổ biến"),
    ("Mật Khẩu 123", "quá phổ biến"),  # the same once folded: marks, case and spaces do not make it new
    ("ANHYEUEM", "quá phổ biến"),
    ("anh yêu em", "quá phổ biến"),
    ("88888888", "quá phổ biến"),
    ("zzzzzzzzzzzz", "quá phổ biến"),  # one character repeated
    ("Password1", "quá phổ biến"),
    (PHONE, "số điện thoại"),
    ("+84 912 345 678", "số điện thoại"),
    ("tranthihuong", "họ tên"),
    ("Trần Thị Hương", "họ tên"),
    ("x" * 100 + "y" * (MAX_LENGTH - 99), "tối đa 256 ký tự"),
])
def test_weak_passwords_are_refused_with_a_way_forward(app, password, problem):
    with app.test_request_context():
        message = password_problem(password, phone=PHONE, name=NAME)
    assert message is not None and problem in message


@pytest.mark.parametrize("password", [
    "nha toi o cuoi thon",  # a passphrase in plain words: no digits, capitals or symbols needed
    "ruộng lúa nhà bác Tư",
    "zq8kf3mv",  # exactly 8
    "0912345678 là số của tôi",  # contains the phone, is not the phone
    "con mèo vàng " * 10,  # 130 characters
    "Đ" + "ư" * (MAX_LENGTH - 1),  # the longest accepted
])
def test_long_passphrases_and_plain_strong_passwords_pass(app, password):
    with app.test_request_context():
        assert password_problem(password, phone=PHONE, name=NAME) is None


def test_the_list_holds_thousands_of_common_and_vietnamese_favourites():
    common = common_passwords()
    assert len(common) > 8000
    assert {"123456789", "12345678", "matkhau123", "anhyeuem", "emyeuanh", "qwerty123", "88888888"} <= common
    assert "#1stunna" in common  # a password, not a comment
    assert all(len(p) >= 8 and p == p.lower() for p in common)


def test_generated_one_time_passwords_meet_the_same_rules(app):
    with app.test_request_context():
        for _ in range(200):
            password = generate_password()
            assert len(password) == GENERATED_LENGTH and set(password) <= set(ALPHABET)
            assert password_problem(password) is None


def test_composed_and_decomposed_marks_are_the_same_password(app, make_user, client, login):
    composed = unicodedata.normalize("NFC", "mật khẩu của chị Hương")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    user = make_user(password=decomposed)
    assert login(user, composed).status_code == 302
    assert login(user, decomposed).status_code == 302
