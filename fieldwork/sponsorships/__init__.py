"""Donors and sponsored books and cards (tặng sổ BHXH, tặng thẻ BHYT), from proposal to hand-over."""

from flask import Blueprint

bp = Blueprint("sponsorships", __name__)

from . import views  # noqa: E402,F401
