"""Households and the people in them."""

from flask import Blueprint

bp = Blueprint("households", __name__)

from . import views  # noqa: E402,F401
