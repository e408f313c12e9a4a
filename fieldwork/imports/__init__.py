"""Household lists in and out of Excel: template, upload with preview, all-or-nothing confirm, export."""

from flask import Blueprint

bp = Blueprint("imports", __name__)

from . import views  # noqa: E402,F401
