"""Read a record's fields collecting every problem, so a rejection names all of them at once.

A producer whose record lacks three fields should learn about the three from one dead letter,
not fix them one rejection at a time. A decoder reads each field through a :class:`Problems`
(``take(read, *args)``): a field that fails gives None and its error is kept; :meth:`done`
raises one :class:`~schemas.errors.ValidationError` naming every problem (see
:meth:`ValidationError.every`), whose ``reason`` is the first problem's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from schemas.errors import ValidationError

__all__ = ["Problems"]

T = TypeVar("T")


class Problems:
    """The problems found so far in one record (see the module docstring)."""

    __slots__ = ("errors",)

    def __init__(self) -> None:
        self.errors: list[ValidationError] = []

    def __call__(self, read: Callable[..., T], *args: Any) -> T:
        """``read(*args)``, or None (typed as the field) with its problem kept.

        >>> take = Problems()
        >>> take(int, "3"), take(lambda: (_ for _ in ()).throw(
        ...     ValidationError("missing_field", "b is missing")))
        (3, None)
        >>> take.done()
        Traceback (most recent call last):
        ...
        schemas.errors.ValidationError: missing_field: b is missing
        """
        try:
            return read(*args)
        except ValidationError as err:
            self.errors.append(err)
            return cast(T, None)

    def add(self, error: ValidationError) -> None:
        """Keep a problem found by a check across fields (e.g. an end before its start)."""
        self.errors.append(error)

    @property
    def ok(self) -> bool:
        """No problem so far (a check that depends on earlier fields may run)."""
        return not self.errors

    def done(self) -> None:
        """Raise one error naming every problem found, if any."""
        if self.errors:
            raise ValidationError.every(self.errors)
