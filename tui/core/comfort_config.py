"""The comfort keys' own values (issue 25): the off-peak window of ``[policy] off_peak``.

Pure and free of ``config`` (which imports it): ``parse_off_peak`` reads "22:00-06:00" or
several windows, "01:30-07:30, 12:30-14:30", into (start, end) wall-clock times of the Paris
day; a window whose end is at or before its start runs past midnight.
"""

import re
from datetime import time

from tui.core.i18n import N_, _

OFF_PEAK_EXPECTED = N_(
    'off-peak hours as "HH:MM-HH:MM" (several separated by commas, e.g. "01:30-07:30, '
    '12:30-14:30"), or "" for none'
)
_WINDOW = re.compile(r"^\s*([01]?\d|2[0-3])[:h]([0-5]\d)\s*-\s*([01]?\d|2[0-4])[:h]([0-5]\d)\s*$")


def parse_off_peak(text: object) -> tuple[tuple[time, time], ...]:
    """The windows of ``text``; ValueError (with OFF_PEAK_EXPECTED) for anything else."""
    if not isinstance(text, str):
        raise ValueError(_(OFF_PEAK_EXPECTED))
    if not text.strip():
        return ()
    windows: list[tuple[time, time]] = []
    for part in text.split(","):
        match = _WINDOW.match(part)
        if match is None:
            raise ValueError(_(OFF_PEAK_EXPECTED))
        start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
        if end_h == 24 and end_m:
            raise ValueError(_(OFF_PEAK_EXPECTED))
        start = time(start_h, start_m)
        end = time(0) if end_h == 24 else time(end_h, end_m)
        if start == end:
            raise ValueError(
                _("{expected}; a window of no length was given").format(
                    expected=_(OFF_PEAK_EXPECTED)
                )
            )
        windows.append((start, end))
    return tuple(windows)
