"""Views: written in the registry issue."""
from . import bp  # noqa: F401
