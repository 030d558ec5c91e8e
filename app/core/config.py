"""Declaring settings: documented fields read from ``AIOT_*`` environment variables.

The core settings (:mod:`app.settings`) and each domain's own settings section (for example
``agents/fleet/settings.py``) are frozen dataclasses whose fields are declared with
:func:`setting` - a default and a one-line meaning. :func:`load_section` reads any such class
from an environment mapping, so a domain declares its settings in its own package and the one
settings object (:class:`app.settings.Settings`) gathers them without knowing their fields.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import MISSING, field, fields
from typing import Any, TypeVar

__all__ = [
    "PREFIX",
    "Check",
    "SettingsError",
    "documented",
    "env_name",
    "load_section",
    "setting",
    "unknown_names",
]

PREFIX = "AIOT_"

T = TypeVar("T")


Check = Callable[[Any], str | None]
"""Validates a parsed setting value: None when fine, else what is wrong and what is allowed."""


class SettingsError(ValueError):
    """Environment variables hold values their settings cannot take; :attr:`problems` names
    each variable, its value and what is allowed (the message joins them on one line)."""

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


def setting(default: Any, doc: str, check: Check | None = None) -> Any:
    """Declare a setting with its default, documentation and optional value ``check`` (a
    dataclass field); :func:`load_section` applies the check to the value read."""
    metadata: dict[str, Any] = {"doc": doc}
    if check is not None:
        metadata["check"] = check
    return field(default=default, metadata=metadata)


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
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError(raw)
            return value
    except ValueError as exc:
        kind = {"bool": "boolean (true/false)", "int": "whole number", "float": "finite number"}
        wanted = kind.get(type(default).__name__, type(default).__name__)
        raise SettingsError(f"{name}={raw!r} is not a {wanted}") from exc
    return raw


def load_section(
    section: type[T], environ: Mapping[str, str], problems: list[str] | None = None
) -> T:
    """Build ``section`` from ``environ``: each documented field from its ``AIOT_*`` variable,
    parsed to the default's type and validated by the field's check.

    Every problem is found, not only the first: they are raised together as one
    :class:`SettingsError`, or appended to ``problems`` when it is given (the field then keeps
    its default) so a caller can gather the problems of several sections.
    """
    found: list[str] = []
    values: dict[str, Any] = {}
    for f in fields(section):  # type: ignore[arg-type]
        if "doc" not in f.metadata:
            continue
        name = env_name(f.name)
        if name not in environ:
            continue
        try:
            value = parse_value(environ[name], f.default, name)
        except SettingsError as exc:
            found.extend(exc.problems)
            continue
        check = f.metadata.get("check")
        problem = check(value) if check is not None else None
        if problem:
            found.append(f"{name}={environ[name]!r}: {problem}")
            continue
        values[f.name] = value
    if found and problems is None:
        raise SettingsError(found)
    if problems is not None:
        problems.extend(found)
    return section(**values)


def unknown_names(
    environ: Mapping[str, str], known: Collection[str], ignored_prefixes: Sequence[str] = ()
) -> list[str]:
    """One sentence per ``AIOT_*`` variable of ``environ`` that names no setting (a typo would
    silently fall back to the default), with the closest known name when one is close.

    >>> unknown_names({"AIOT_PARTITON": "4", "HOME": "/"}, ["AIOT_PARTITIONS"])
    ['AIOT_PARTITON is not a setting (did you mean AIOT_PARTITIONS?)']
    """
    out: list[str] = []
    for name in sorted(environ):
        if not name.startswith(PREFIX) or name in known or name.startswith(tuple(ignored_prefixes)):
            continue
        close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.8)
        hint = f" (did you mean {close[0]}?)" if close else ""
        out.append(f"{name} is not a setting{hint}")
    return out
