"""Reading engine outputs in tests: the wire form a consumer of the topic would see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from app.core import Output
from schemas import DeadLetter


def wire(output: Output) -> dict[str, Any]:
    """The JSON object ``output`` puts on its topic."""
    return orjson.loads(output.encode()[1])


def records(outputs: Iterable[Output], topic: str) -> list[dict[str, Any]]:
    """The wire form of the outputs to logical ``topic``."""
    return [wire(o) for o in outputs if o.topic == topic]


def rejection(output: Output) -> tuple[str, str]:
    """``(source topic, reason)`` of a dead-letter output."""
    letter = output.value
    assert output.topic == "dead_letters" and isinstance(letter, DeadLetter), output
    return letter.source_topic, letter.reason
