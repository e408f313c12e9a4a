"""The legal parameters (base salary, poverty line, rates, support shares, provincial top-ups), edited by admins."""

from flask import Blueprint

bp = Blueprint("parameters", __name__)

from . import views  # noqa: E402,F401
