"""What a password must be: long enough, not a common one, not the phone number or the name. Nothing else.

No composition rules (a digit, a capital, a symbol): they push people to ``Matkhau@1`` and to notes on the wall;
a long passphrase in plain words ("nha toi o cuoi thon") is both stronger and easier to type on a phone. Passwords
are compared after folding (lower case, Vietnamese marks removed), so "Mật Khẩu 123" counts as "matkhau123".
"""

from __future__ import annotations

import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Optional

from flask_babel import gettext

from ..text import fold, normalise_phone

MIN_LENGTH = 8
MAX_LENGTH = 256  # long passphrases welcome; the bound only keeps hashing cheap
COMMON_LIST = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"

# Generated one-time passwords: lower case without look-alikes (no i, l, o, 0, 1), easy to read aloud and to type on
# a phone keyboard. 31^10 ≈ 8·10^14 possibilities.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GENERATED_LENGTH = 10

_PHONE_LIKE = re.compile(r"[\d\s.+()-]+")  # a phone number as people write it: "0912 345 678", "+84 912.345.678"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with COMMON_LIST.open(encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip() and line.rstrip("\n") != "#"
                         and not line.startswith("# "))


def _variants(text: str) -> set[str]:
    folded = fold(text)
    return {folded, folded.replace(" ", "")}


def password_problem(password: str, *, phone: Optional[str] = None, name: Optional[str] = None) -> Optional[str]:
    """Why this password cannot be used, as a sentence saying what to do instead; None when it is fine."""
    if len(password) < MIN_LENGTH:
        return gettext("Mật khẩu cần ít nhất %(n)s ký tự. Một câu ngắn dễ nhớ cũng được, ví dụ "
                       "“nha toi o cuoi thon”.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return gettext("Mật khẩu dài tối đa %(n)s ký tự; hãy rút ngắn lại.", n=MAX_LENGTH)
    variants = _variants(password)
    if len({c for c in fold(password)}) == 1 or variants & common_passwords():
        return gettext("Mật khẩu này quá phổ biến, người khác dễ đoán ra. Hãy chọn mật khẩu khác, ví dụ một câu "
                       "ngắn chỉ bạn biết.")
    if phone and _PHONE_LIKE.fullmatch(password) and normalise_phone(password) == normalise_phone(phone):
        return gettext("Không dùng số điện thoại làm mật khẩu; hãy chọn mật khẩu khác.")
    if name and variants & _variants(name):
        return gettext("Không dùng họ tên làm mật khẩu; hãy chọn mật khẩu khác.")
    return None


def generate_password() -> str:
    """A one-time password that meets the same rules as any other."""
    while True:
        password = "".join(secrets.choice(ALPHABET) for _ in range(GENERATED_LENGTH))
        if password_problem(password) is None:
            return password
