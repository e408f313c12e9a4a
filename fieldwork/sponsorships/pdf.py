"""The thank-you letter (thư cảm ơn) to a donor, as an A4 PDF made with WeasyPrint from an HTML template."""

from __future__ import annotations

from flask import render_template

from .. import PROJECT_ROOT
from .services import Letter

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def _hundreds(n: int, inner: bool) -> list[str]:
    """Words for 0 < n < 1000. ``inner``: the group follows a larger one, so "không trăm" and "linh" are said."""
    h, t, u = n // 100, n // 10 % 10, n % 10
    words = [_DIGITS[h], "trăm"] if h or inner else []
    if t == 0 and u and (h or inner):
        words.append("linh")
    elif t == 1:
        words.append("mười")
    elif t > 1:
        words += [_DIGITS[t], "mươi"]
    if u:
        special = {1: "mốt" if t > 1 else None, 4: "tư" if t > 1 else None, 5: "lăm" if t > 0 else None}
        words.append(special.get(u) or _DIGITS[u])
    return words


def number_in_words(n: int) -> str:
    """1234567 → "một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy" (how amounts are written on a letter)."""
    if n == 0:
        return _DIGITS[0]
    billions, rest = divmod(n, 1_000_000_000)
    words = (number_in_words(billions).split() + ["tỷ"]) if billions else []
    for unit, group in (("triệu", rest // 1_000_000), ("nghìn", rest // 1000 % 1000), ("", rest % 1000)):
        if group:
            words += _hundreds(group, inner=bool(words)) + ([unit] if unit else [])
    return " ".join(words)


def vnd_in_words(amount: int) -> str:
    """2376000 → "Hai triệu ba trăm bảy mươi sáu nghìn đồng"."""
    text = number_in_words(amount) + " đồng"
    return text[0].upper() + text[1:]


def letter_pdf(letter: Letter) -> bytes:
    from weasyprint import HTML  # heavy: loaded only when a letter is printed

    html = render_template("sponsorships/letter.html", letter=letter, in_words=vnd_in_words(letter.amount))
    return HTML(string=html, base_url=str(PROJECT_ROOT)).write_pdf()
