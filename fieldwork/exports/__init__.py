"""Exports: the collection agents' lists (D05-TS, D03-TS) as Excel files, and the app's one Excel writer
(:mod:`.workbook`)."""

from flask import Blueprint

bp = Blueprint("exports", __name__)

from . import views  # noqa: E402,F401
