"""A saved Tempo calendar body (``plan --tempo FILE``, ``[tempo] source = "file"``)."""

from pathlib import Path

from tui.adapters.sources.file import read_body_file
from tui.core.i18n import _
from tui.core.tempo import TempoCalendar
from tui.core.tempo_body import parse_tempo


def read_tempo_file(path: Path) -> TempoCalendar:
    """Parse a saved calendars body; every problem is one line naming the file and field."""
    return read_body_file(path, _("Tempo calendar file"), parse_tempo)
