"""Fieldwork: the village mobilization committees' tool for social and health insurance."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Optional

from flask import Flask

from . import config as config_module

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Optional[Mapping[str, Any]] = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=(test_config or {}).get("INSTANCE_PATH")
        or os.environ.get("FIELDWORK_INSTANCE_PATH")
        or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    from .templating import PerLanguageEnvironment

    app.jinja_environment = PerLanguageEnvironment  # before anything touches app.jinja_env
    load_config(app, test_config)
    register_extensions(app)
    register_headers(app)
    register_database(app)
    register_blueprints(app)
    register_errors(app)
    register_templates(app)
    register_cli(app)
    return app


def load_config(app: Flask, test_config: Optional[Mapping[str, Any]]) -> None:
    """Defaults, then instance/config.py, then FIELDWORK_* environment variables, then the tests' overrides."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(config_module.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("FIELDWORK")
    if test_config:
        app.config.update(test_config)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = config_module.default_database_url(app.instance_path)
    app.config["DATABASE_URL"] = config_module.normalise_database_url(app.config["DATABASE_URL"])
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = config_module.instance_secret_key(app.instance_path)


def register_extensions(app: Flask) -> None:
    from .extensions import babel, csrf, htmx, limiter, login_manager
    from .i18n import select_locale, select_timezone

    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    limiter.init_app(app)


def register_headers(app: Flask) -> None:
    from .headers import init_app

    init_app(app)


def register_database(app: Flask) -> None:
    from . import db

    db.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .assignments import bp as assignments_bp
    from .auth import bp as auth_bp
    from .committees import bp as committees_bp
    from .enrolments import bp as enrolments_bp
    from .events import bp as events_bp
    from .exports import bp as exports_bp
    from .health import bp as health_bp
    from .help import bp as help_bp
    from .history import bp as history_bp
    from .households import bp as households_bp
    from .imports import bp as imports_bp
    from .main import bp as main_bp
    from .offline import bp as offline_bp
    from .parameters import bp as parameters_bp
    from .privacy import bp as privacy_bp
    from .sponsorships import bp as sponsorships_bp
    from .reports import bp as reports_bp
    from .setup import bp as setup_bp
    from .targets import bp as targets_bp
    from .units import bp as units_bp
    from .visits import bp as visits_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(committees_bp)
    app.register_blueprint(assignments_bp)
    app.register_blueprint(households_bp)
    app.register_blueprint(history_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(visits_bp)
    app.register_blueprint(enrolments_bp)
    app.register_blueprint(parameters_bp)
    app.register_blueprint(sponsorships_bp)
    app.register_blueprint(targets_bp)
    app.register_blueprint(units_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(setup_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(help_bp)


def register_errors(app: Flask) -> None:
    from .errors import init_app

    init_app(app)


def register_templates(app: Flask) -> None:
    from .templating import init_app

    init_app(app)


def register_cli(app: Flask) -> None:
    from .cli import init_app

    init_app(app)
