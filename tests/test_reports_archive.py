"""Printing freezes a weekly report: the PDF (checked as text and as an image) and its archive, new versions, the
weekly command, and who may print."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import timedelta

from pypdf import PdfReader
from sqlmodel import select

from fieldwork.models import AuditEvent, FollowUp, FollowUpKind, Report, Role, Visit, VisitOutcome
from tests.reports_world import MEMBER_NAMES, at, seed_week


def _pages(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    count = len(PdfReader(io.BytesIO(pdf)).pages)
    return [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"], check=True,
                           capture_output=True, text=True).stdout for n in range(1, count + 1)]


def _head(db, world, make_user):
    return make_user(Role.MEMBER, village=world.village, member=world.members[0], name=MEMBER_NAMES[0])


def _url(world, action=""):
    return f"/bao-cao/thon/{world.village.id}{action}?tuan={world.week.key}"


def test_the_pdf_reads_in_vietnamese_with_figures_page_numbers_and_embedded_fonts(
        client, login, db, make_village, make_committee, make_household, make_user, tmp_path):
    world = seed_week(db, make_village, make_committee, make_household)
    login(_head(db, world, make_user))
    response = client.get(_url(world, "/xem-truoc.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = _pages(response.data, tmp_path)
    text = "\n".join(pages)
    for heading in ("BÁO CÁO TUẦN", "Kết quả chính", "Vận động trong tuần", "Tham gia mới và đóng tiếp",
                    "Ngừng tham gia và lý do", "Sổ BHXH, thẻ BHYT được tài trợ", "Kết quả của từng thành viên",
                    "Hẹn vận động tuần tới", "Sắp đến hạn đóng tiếp", "Khó khăn, kiến nghị", "NGƯỜI LẬP BIỂU",
                    "TRƯỞNG BAN", "Thôn Đồng Bông", "BẢN XEM TRƯỚC"):
        assert heading in text, heading
    assert f"Từ ngày {world.week.first:%d/%m/%Y} đến ngày {world.week.last:%d/%m/%Y}" in text
    assert "6.108.120 đ" in text  # 3,960,000 + 1,263,600 + 884,520 collected in the week
    assert "Công ty TNHH Minh Phát" in text and "Ông Nguyễn Văn Hảo" not in text
    assert "Hẹn gặp con trai" in text
    for n, page in enumerate(pages, start=1):
        assert f"Trang {n}/{len(pages)}" in page
    fonts = [f.get_object() for page in PdfReader(io.BytesIO(response.data)).pages
             for f in page["/Resources"]["/Font"].values()]
    assert fonts and all("DejaVu-Sans" in str(font["/BaseFont"]) for font in fonts)
    for font in fonts:  # composite fonts: the file sits in the descendant's descriptor, a subset ("ABCDEF+")
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font["/BaseFont"]
        assert re.match(r"/[A-Z]{6}\+", str(font["/BaseFont"]))


def test_a_long_table_runs_over_pages_with_its_heading_repeated_and_no_row_split(
        client, login, db, make_village, make_committee, make_household, make_user, tmp_path):
    world = seed_week(db, make_village, make_committee, make_household)
    extra = [make_household(world.village, assigned_to=world.members[1], head_name=f"Chủ Hộ Thứ {n:02d}",
                            code=f"HGD-X{n:03d}", people=1) for n in range(70)]
    for n, household in enumerate(extra):
        db.add(FollowUp(household_id=household.id, member_id=world.members[1].id, kind=FollowUpKind.REVISIT,
                        due_on=world.week.last + timedelta(days=1 + n % 7), note=f"Ghi chú hẹn số {n:02d}"))
    db.commit()
    login(_head(db, world, make_user))
    pages = _pages(client.get(_url(world, "/xem-truoc.pdf")).data, tmp_path)
    holding = [i for i, page in enumerate(pages) if "HGD-X" in page]
    assert len(holding) >= 2  # the follow-up table spans pages
    for i in holding:
        assert re.search(r"Ngày hẹn\s+Mã hộ\s+Chủ hộ", pages[i]), f"heading missing on page {i + 1}"
    for n in range(70):  # every row whole on one page: its code, its head and its note together
        on = [p for p in pages if f"HGD-X{n:03d}" in p]
        assert len(on) == 1 and f"Chủ Hộ Thứ {n:02d}" in on[0] and f"Ghi chú hẹn số {n:02d}" in on[0]


def test_page_one_renders_to_an_image_with_ink_on_it(client, login, db, make_village, make_committee,
                                                      make_household, make_user, tmp_path):
    world = seed_week(db, make_village, make_committee, make_household)
    login(_head(db, world, make_user))
    (tmp_path / "r.pdf").write_bytes(client.get(_url(world, "/xem-truoc.pdf")).data)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile", str(tmp_path / "r.pdf"),
                    str(tmp_path / "page1")], check=True)
    png = (tmp_path / "page1.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert abs(width / height - 210 / 297) < 0.01  # A4 portrait
    from zlib import decompress

    chunks, pos = b"", 8
    while pos < len(png):
        size = int.from_bytes(png[pos:pos + 4], "big")
        if png[pos + 4:pos + 8] == b"IDAT":
            chunks += png[pos + 8:pos + 8 + size]
        pos += 12 + size
    pixels = decompress(chunks)
    dark = sum(1 for b in pixels[::3] if b < 128)
    assert dark > len(pixels) // 3 * 0.01  # text, tables and the chart: not a blank page


def test_a_printed_report_downloads_byte_identical_after_the_data_changes(
        client, login, db, make_village, make_committee, make_household, make_user):
    world = seed_week(db, make_village, make_committee, make_household)
    login(_head(db, world, make_user))
    response = client.post_form(_url(world, "/in"), {"proposals": "Hộ ông Bình khó khăn, đề nghị tìm nhà hảo tâm."})
    assert response.status_code == 302
    row = db.exec(select(Report).where(Report.village_id == world.village.id)).one()
    assert row.version == 1 and row.prepared_by == MEMBER_NAMES[0]
    assert row.figures["totals"]["visits"] == 4 and row.figures["proposals"].startswith("Hộ ông Bình")
    first = client.get(f"/bao-cao/ban-in/{row.id}.pdf")
    assert first.status_code == 200 and first.data == row.pdf
    db.add(Visit(uuid="5b1d7c9e-0000-4000-8000-000000000002", household_id=world.households[3].id,
                 member_id=world.members[1].id, visited_at=at(world.week.first + timedelta(days=1), 10),
                 outcome=VisitOutcome.AGREED))
    db.commit()
    again = client.get(f"/bao-cao/ban-in/{row.id}.pdf")
    assert again.data == first.data
    assert "Bản 1" in client.get(_url(world)).get_data(as_text=True)
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "print", AuditEvent.entity_id == row.id)).one()


def test_printing_again_needs_a_reason_and_makes_version_two(client, login, db, make_village, make_committee,
                                                            make_household, make_user, tmp_path):
    world = seed_week(db, make_village, make_committee, make_household)
    login(_head(db, world, make_user))
    assert client.post_form(_url(world, "/in"), {"proposals": "Bản đầu"}).status_code == 302
    refused = client.post_form(_url(world, "/in"), {"proposals": "Đã sửa số liệu lượt vận động", "note": ""})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Hãy ghi lý do phát hành bản mới" in body
    assert "Đã sửa số liệu lượt vận động" in body  # what was typed is kept
    assert len(db.exec(select(Report)).all()) == 1
    ok = client.post_form(_url(world, "/in"), {"proposals": "Đã sửa", "note": "Bổ sung 1 lượt vận động"})
    assert ok.status_code == 302
    rows = db.exec(select(Report).order_by(Report.version)).all()
    assert [r.version for r in rows] == [1, 2] and rows[1].note == "Bổ sung 1 lượt vận động"
    text = "\n".join(_pages(rows[1].pdf, tmp_path))
    assert "Bản 2" in text and "Bổ sung 1 lượt vận động" in text and "Đã sửa" in text
    assert "BẢN XEM TRƯỚC" not in text


def test_only_the_head_or_officials_print_and_other_villages_cannot_download(
        client, login, db, make_village, make_committee, make_household, make_user):
    world = seed_week(db, make_village, make_committee, make_household)
    login(_head(db, world, make_user))
    client.post_form(_url(world, "/in"), {"proposals": ""})
    row = db.exec(select(Report)).one()
    member = make_user(Role.MEMBER, village=world.village, member=world.members[2])
    login(member)
    assert client.get(_url(world)).status_code == 200
    assert client.get(f"/bao-cao/ban-in/{row.id}.pdf").status_code == 200  # members read and share it
    assert client.post_form(_url(world, "/in"), {"proposals": "x", "note": "y"}).status_code == 403
    login(make_user(Role.MEMBER, village=make_village(name="Thôn Khác")))
    assert client.get(f"/bao-cao/ban-in/{row.id}.pdf").status_code == 404
    login(make_user(Role.OFFICIAL, commune_code="00004"))
    assert client.get(f"/bao-cao/ban-in/{row.id}.pdf").status_code == 404
    official = make_user(Role.OFFICIAL)
    login(official)
    assert client.get(f"/bao-cao/ban-in/{row.id}.pdf?tai=1").headers["Content-Disposition"].startswith("attachment")
    assert client.post_form(f"/bao-cao/xa/in?tuan={world.week.key}", {"proposals": "Xã đề nghị"}).status_code == 302
    commune = db.exec(select(Report).where(Report.village_id.is_(None))).one()
    box = PdfReader(io.BytesIO(commune.pdf)).pages[0].mediabox
    assert box.width > box.height  # the commune's village table needs A4 landscape
    ours = next(v for v in commune.figures["villages"] if v["village"]["name"] == "Thôn Đồng Bông")
    assert ours["week"]["visits"] == 4 and ours["dropouts"] == 1


def test_the_weekly_command_prints_every_village_once(app, runner, db, make_village, make_committee, make_household):
    world = seed_week(db, make_village, make_committee, make_household)
    second = make_village(name="Thôn Trại Mới")
    result = runner.invoke(args=["reports", "freeze-week", "--week", world.week.key, "--commune", "07264"])
    assert result.exit_code == 0, result.output
    keys = {r.unit_key for r in db.exec(select(Report)).all()}
    assert {f"v{world.village.id}", f"v{second.id}", f"c{world.commune_id}"} <= keys
    before = len(keys)
    again = runner.invoke(args=["reports", "freeze-week", "--week", world.week.key, "--commune", "07264"])
    assert f"0 reports printed, {before} already printed" in again.output
    assert runner.invoke(args=["reports", "freeze-week", "--week", "2099-W01"]).exit_code != 0
