"""Declaring settings: documented fields read from ``AIOT_*`` environment variables.

The core settings (:mod:`app.settings`) and each domain's own settings section (for example
``agents/fleet/settings.py``) are frozen dataclasses whose fields are declared with
:func:`setting` - a default and a one-line meaning. :func:`load_section` reads any such class
from an environment mapping, so a domain declares its settings in its own package and the one
settings object (:class:`app.settings.Settings`) gathers them without knowing their fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, field, fields
from typing import Any, TypeVar

__all__ = ["PREFIX", "SettingsError", "documented", "env_name", "load_section", "setting"]

PREFIX = "AIOT_"

T = TypeVar("T")


class SettingsError(ValueError):
    """An environment variable holds a value its setting cannot take."""


def setting(default: Any, doc: str) -> Any:
    """Declare a setting with its default and documentation (a dataclass field)."""
    return field(default=default, metadata={"doc": doc})


def env_name(name: str) -> str:
    """The environment variable of setting ``name`` (``partitions`` -> ``AIOT_PARTITIONS``)."""
    return PREFIX + name.upper()


def documented(section: type) -> list[tuple[str, str, str]]:
    """``(ENV_VAR, default, meaning)`` of every setting field of ``section``."""
    return [
        (env_name(f.name), repr(f.default), str(f.metadata["doc"]))
        for f in fields(section)
        if "doc" in f.metadata and f.default is not MISSING
    ]


def parse_value(raw: str, default: Any, name: str) -> Any:
    """Convert an environment string to the type of the setting's default."""
    try:
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a valid {type(default).__name__}") from exc
    return raw


def load_section(section: type[T], environ: Mapping[str, str]) -> T:
    """Build ``section`` from ``environ``: each documented field from its ``AIOT_*`` variable."""
    values: dict[str, Any] = {}
    for f in fields(section):  # type: ignore[arg-type]
        if "doc" not in f.metadata:
            continue
        name = env_name(f.name)
        if name in environ:
            values[f.name] = parse_value(environ[name], f.default, name)
    return section(**values)
