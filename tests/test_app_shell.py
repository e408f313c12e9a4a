"""The shell: configuration layering, error pages, the htmx render path."""

from __future__ import annotations

from fieldwork import create_app
from fieldwork.models import Role


def test_secret_key_is_generated_into_the_instance_folder_once(tmp_path, monkeypatch):
    monkeypatch.delenv("FIELDWORK_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/a.db"})
    second = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/a.db"})
    key_file = tmp_path / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 40


def test_environment_overrides_instance_config(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text('DATABASE_URL = "sqlite:///from-instance.db"\nLANGUAGES = ("vi", "en")\n')
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})
    assert app.config["DATABASE_URL"] == "sqlite:///from-instance.db"
    monkeypatch.setenv("FIELDWORK_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k"})
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_not_found_page_is_in_the_layout_and_vietnamese(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Không tìm thấy trang" in body and 'class="topbar"' in body and 'lang="vi"' in body


def test_server_error_page_hides_the_detail(app, client):
    @app.route("/_boom")
    def boom():
        raise RuntimeError("internal-detail-7f3a")

    response = client.get("/_boom")
    assert response.status_code == 500
    assert "Lỗi hệ thống" in response.get_data(as_text=True)
    assert "internal-detail-7f3a" not in response.get_data(as_text=True)


def test_household_page_is_the_whole_page_for_boosted_requests(client, login, make_user, make_village,
                                                               make_household):
    village = make_village()
    household = make_household(village)
    login(make_user(Role.OFFICIAL))
    boosted = client.get(f"/ho/{household.id}", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    assert "HX-Request" in boosted.headers["Vary"]
