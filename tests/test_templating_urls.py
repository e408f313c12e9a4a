"""Templates' url_for remembers the links it built, and still gives exactly what Flask's url_for gives."""

from __future__ import annotations

from flask import url_for


def test_remembered_links_are_flasks_links(app):
    remembered = app.jinja_env.globals["url_for"]
    cases = [("main.home", {}), ("households.detail", {"household_id": 7}), ("households.detail", {"household_id": 8}),
             ("visits.log", {"household_id": 7, "ket-qua": "agreed"}), ("households.search_page", {"q": "Nguyễn"}),
             ("static", {"filename": "css/app.css"}), ("main.home", {"_anchor": "x"})]
    for script_root in ("", "/xa-dong-son"):  # where the app is mounted is part of every link
        with app.test_request_context("/", base_url="http://localhost" + script_root):
            for _round in range(2):  # built, then remembered
                for endpoint, values in cases:
                    assert remembered(endpoint, **values) == url_for(endpoint, **values)
            assert remembered("main.home").startswith(script_root + "/")


def test_a_relative_endpoint_is_remembered_per_blueprint(app):
    remembered = app.jinja_env.globals["url_for"]
    with app.test_request_context("/ho/1"):
        assert remembered(".detail", household_id=1) == url_for("households.detail", household_id=1)
    with app.test_request_context("/van-dong/can-xem"):
        assert remembered(".attention") == url_for("visits.attention")
    with app.test_request_context("/ho/1"):
        assert remembered(".search_page") == url_for("households.search_page")
    # The same name in two blueprints: reports.index and targets.index.
    with app.test_request_context("/bao-cao"):
        assert remembered(".index") == url_for("reports.index")
    with app.test_request_context("/chi-tieu"):
        assert remembered(".index") == url_for("targets.index") != url_for("reports.index")
