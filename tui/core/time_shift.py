"""Every wall time held in a value moved by one amount: how a state keeps its ages across a
wall-clock step (the service's ``ClockWatch`` says by how much the wall clock moved other than
the monotonic one).

Pure. It walks frozen dataclasses, mappings (keys and values), tuples and lists, and moves
every ``datetime`` it finds; anything else is kept as it is. The same object met twice gives the
same moved object (``memo``): a reading the meter's state and its estimator both hold stays one
reading, so "is this the reading I saw?" still answers by identity after a step.
"""

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

T = TypeVar("T")


def shift_times(value: T, delta: timedelta, memo: dict[int, Any] | None = None) -> T:
    """``value`` with every ``datetime`` in it moved by ``delta`` (``value`` itself when
    ``delta`` is zero)."""
    if not delta:
        return value
    moved: T = _shift(value, delta, {} if memo is None else memo)
    return moved


def _shift(value: Any, delta: timedelta, memo: dict[int, Any]) -> Any:
    if isinstance(value, datetime):
        return value + delta
    if value is None or isinstance(value, (str, bytes, int, float, bool)):
        return value
    key = id(value)
    if key in memo:
        return memo[key][1]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            item.name: _shift(getattr(value, item.name), delta, memo)
            for item in dataclasses.fields(value)
            if item.init
        }
        moved: Any = dataclasses.replace(value, **changes)
    elif isinstance(value, Mapping):
        moved = {_shift(k, delta, memo): _shift(v, delta, memo) for k, v in value.items()}
    elif isinstance(value, tuple):
        moved = tuple(_shift(item, delta, memo) for item in value)
    elif isinstance(value, list):
        moved = [_shift(item, delta, memo) for item in value]
    else:
        return value
    memo[key] = (value, moved)  # the original kept alive: its id is not reused meanwhile
    return moved
