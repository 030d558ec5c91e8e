"""``aiot schemas``: write the JSON Schema of every topic record."""

from schemas.cli import register

__all__ = ["register"]
