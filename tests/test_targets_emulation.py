"""Emulation (thi đua): villages and members ranked for a period, with the figures behind each rank; page and PDF."""

from __future__ import annotations

import re
import subprocess
import uuid
from datetime import date, datetime, time, timedelta

from fieldwork.models import Commune, Household, Visit, VisitOutcome
from fieldwork.targets.services import Counts, EmulationRow, emulation, ranked
from fieldwork.text import LOCAL_TZ, local_today
from tests.targets_data import commune, enrol, make_target, people_of  # noqa: F401


def _visit(db, household, member, day):
    db.add(Visit(uuid=str(uuid.uuid4()), household_id=household.id, member_id=member.id, outcome=VisitOutcome.AGREED,
                 visited_at=datetime.combine(day, time(15), LOCAL_TZ)))
    db.commit()


def arrange(db, commune, make_village, today: date) -> dict:
    """Tân Sơn reached its target, Đồng Bông half of its own; Thôn Hạ has none but visited twice."""
    a, b, ma = commune["a"], commune["b"], commune["members_a"]
    start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    cid = a.commune_id
    make_target(db, cid, value=6, start=start, end=end, village_id=a.id)
    make_target(db, cid, value=3, start=start, end=end, village_id=b.id)
    make_target(db, cid, value=3, start=start, end=end, village_id=a.id, member_id=ma[1].id)
    make_target(db, cid, value=50, start=date(today.year - 1, 1, 1), end=date(today.year - 1, 12, 31),
                village_id=b.id)  # last year's: outside the period, not counted
    for person in people_of(db, commune["households_a"][0]):
        enrol(db, person, today - timedelta(days=3), member=ma[1])
    for person in people_of(db, commune["households_b"][0]):
        enrol(db, person, today - timedelta(days=2), member=commune["members_b"][1])
    c = make_village(name="Thôn Hạ", code="T03")
    household = Household(village_id=c.id, code="H-1", head_name="Vũ Văn Hải")
    db.add(household)
    db.commit()
    _visit(db, commune["households_a"][2], ma[2], today - timedelta(days=1))
    return {"c": c, "start": start, "end": end}


def test_villages_and_members_are_ranked_by_score_then_new_participants_then_visits(db, commune, make_village):
    today = date(2026, 6, 30)
    arrange(db, commune, make_village, today)
    page = emulation(db, db.get(Commune, commune["a"].commune_id), date(2026, 1, 1), date(2026, 12, 31), today)
    assert page.as_of == today
    assert [(r.rank, r.name, r.score, r.figures.new) for r in page.villages] == [
        (1, "Thôn Tân Sơn", 10000, 3), (2, "Thôn Đồng Bông", 5000, 3), (3, "Thôn Hạ", None, 0)]
    assert [ln.progress.achieved for ln in page.villages[1].lines] == [3]
    ma = commune["members_a"]
    top = page.members[0]
    assert (top.rank, top.name, top.village, top.score, top.figures.new) == (1, ma[1].full_name, "Thôn Đồng Bông",
                                                                            10000, 3)
    # Without a share, members follow by new participants, then visits.
    rest = [(r.village, r.name, r.figures.new, r.figures.visits) for r in page.members[1:4]]
    assert rest == [("Thôn Tân Sơn", "Thành Viên Số 2", 3, 0), ("Thôn Đồng Bông", "Thành Viên Số 3", 0, 1),
                    ("Thôn Đồng Bông", "Thành Viên Số 1", 0, 0)]


def test_equal_rows_share_a_rank():
    def row(name, score, new, visits):
        return EmulationRow(0, name, None, score, [], Counts(new_bhyt_hgd=new, visits=visits))

    rows = ranked([row("D", None, 9, 9), row("C", 5000, 1, 2), row("B", 5000, 1, 2), row("A", 9000, 0, 0),
                   row("E", 5000, 1, 1)])
    assert [(r.rank, r.name) for r in rows] == [(1, "A"), (2, "B"), (2, "C"), (4, "E"), (5, "D")]


def test_emulation_page_shows_the_figures_and_refuses_a_backwards_period(client, login, db, commune, make_village):
    today = local_today()
    arrange(db, commune, make_village, today)
    login(commune["official"])
    body = client.get(f"/thi-dua?tu={today.year}-01-01&den={today.isoformat()}").get_data(as_text=True)
    assert "Bảng xếp hạng thi đua" in body
    villages = re.findall(r'<td class="name"><strong>(Thôn [^<]+)</strong></td>', body)
    assert villages[:3] == ["Thôn Tân Sơn", "Thôn Đồng Bông", "Thôn Hạ"]
    assert "Người tham gia BHYT hộ gia đình mới: 3/6 (50 %)" in body
    assert f"/thi-dua.pdf?tu={today.year}-01-01" in body
    bad = client.get(f"/thi-dua?tu={today.isoformat()}&den={today.year}-01-01")
    assert bad.status_code == 422 and "Ngày cuối kỳ phải từ ngày đầu kỳ trở đi" in bad.get_data(as_text=True)
    assert client.get("/thi-dua?tu=hôm-qua").status_code == 422
    assert "Tổ dân phố số 1" not in client.get("/thi-dua").get_data(as_text=True)


def test_emulation_pdf_for_commendation(client, login, db, commune, make_village, tmp_path):
    today = local_today()
    arrange(db, commune, make_village, today)
    login(commune["official"])
    response = client.get(f"/thi-dua.pdf?tu={today.year}-01-01&den={today.isoformat()}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    pdf = tmp_path / "thi-dua.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Bảng xếp hạng thi đua" in text
    assert "TỈNH BẮC NINH · XÃ TAM TIẾN" in text
    for name in ("Thôn Tân Sơn", "Thôn Đồng Bông", "Thôn Hạ"):
        assert name in text, name
    assert text.index("Thôn Tân Sơn") < text.index("Thôn Đồng Bông")
    assert "Người lập biểu" in text
