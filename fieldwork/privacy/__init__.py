"""A person's rights over their data: a copy of everything held about them, and withdrawing consent."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

from . import views  # noqa: E402,F401
