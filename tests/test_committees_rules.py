"""The committee rules as a pure function: 5 to 7 active members, exactly one head, from the Fatherland Front."""

from __future__ import annotations

from datetime import date

import pytest

from fieldwork.committees.services import PASSWORD_ALPHABET, committee_problems, generate_password
from fieldwork.models import CommitteeMember, Organisation as O

F, W, N, V, Y = O.FRONT, O.WOMEN, O.FARMERS, O.VETERANS, O.YOUTH


def _members(spec: str, orgs: list[O] | None = None) -> list[CommitteeMember]:
    """"H...." = five members, the first one head; orgs default to Front for the head and Women for the rest."""
    orgs = orgs or [F if c == "H" else W for c in spec]
    return [CommitteeMember(committee_id=1, full_name=f"Thành Viên {i + 1}", organisation=orgs[i], is_head=c == "H",
                            joined_on=date(2025, 8, 15)) for i, c in enumerate(spec)]


@pytest.mark.parametrize("spec, orgs, codes", [
    ("H....", None, []),
    ("H.....", None, []),
    ("H......", None, []),
    ("H...", None, ["too_few"]),
    ("", None, ["too_few", "no_head"]),
    ("H.......", None, ["too_many"]),
    (".....", None, ["no_head"]),
    ("HH...", None, ["many_heads"]),
    ("H....", [W, F, N, V, Y], ["head_not_front"]),
    ("H..", [N, F, W], ["too_few", "head_not_front"]),
    ("HH.......", None, ["too_many", "many_heads"]),
])
def test_committee_problems(spec, orgs, codes):
    assert [p.code for p in committee_problems(_members(spec, orgs))] == codes


@pytest.mark.parametrize("spec, orgs, message", [
    ("H...", None, "Ban mới có 4 thành viên đang hoạt động; cần từ 5 đến 7."),
    ("H.......", None, "Ban có 8 thành viên đang hoạt động; quy định chỉ từ 5 đến 7."),
    (".....", None, "Ban chưa có trưởng ban."),
    ("HH...", None, "Ban có 2 trưởng ban (Thành Viên 1, Thành Viên 2); chỉ được có một."),
    ("H....", [W, W, W, W, W],
     "Trưởng ban nên là Trưởng ban công tác Mặt trận thôn (tổ chức Mặt trận Tổ quốc); hiện là Hội Phụ nữ."),
])
def test_problems_say_plainly_what_is_wrong(spec, orgs, message):
    assert [p.message for p in committee_problems(_members(spec, orgs))] == [message]


def test_generated_passwords_are_ten_unambiguous_characters():
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) == 10 and set(password) <= set(PASSWORD_ALPHABET)
    assert not set("il1o0O") & set(PASSWORD_ALPHABET)
