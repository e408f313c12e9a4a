"""The user guide (docs/huong-dan) shown in the app: one page per role, with the screenshots the browser tests take."""

from flask import Blueprint

bp = Blueprint("help", __name__)

from . import views  # noqa: E402,F401
