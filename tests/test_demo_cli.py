"""`flask demo load` (what `make run` calls) builds the demo, refuses to run twice, and every demo login works."""

from __future__ import annotations

from fieldwork.demo import DEMO_PASSWORD


def test_demo_load_then_every_demo_login_works(app, runner, client, login):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Demo commune Xã Tam Tiến: 7 villages" in result.output
    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "already holds data" in again.output

    logins = runner.invoke(args=["demo", "logins"]).output
    phones = [line.split()[0] for line in logins.splitlines()[1:]]
    assert phones == ["0900000001", "0900000002", "0900000003", "0900000004"]
    expected = {"0900000001": "Quản trị hệ thống", "0900000002": "Xã Tam Tiến", "0900000003": "Việc của tôi",
                "0900000004": "Việc của tôi"}
    for phone in phones:
        response = login(phone, password=DEMO_PASSWORD)
        assert response.status_code == 302, phone
        home = client.get("/")
        assert home.status_code == 200 and expected[phone] in home.get_data(as_text=True), phone


def test_demo_member_worklist_and_search_work_on_demo_data(app, runner, client, login):
    runner.invoke(args=["demo", "load"])
    login("0900000004", password=DEMO_PASSWORD)
    home = client.get("/").get_data(as_text=True)
    assert home.count('class="tier-') >= 20  # a real worklist, each row with its reasons
    hits = client.get("/tim-kiem?q=nguyen", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Nguyễn" in hits
