"""The Tempo part of rule 2 (shed), for ``policy``: which peak hours cut which channel.

A channel is cut when the Tempo colour in force at some moment of ``[now, now + lead]`` is in
its ``shed_tempo`` and that moment is in peak hours. Peak hours of one Tempo day are one span,
06:00-22:00, all of one colour, so "some moment" is "a listed day's peak overlaps the window".
An unknown colour never sheds: Tempo is a price signal, not a grid emergency. A channel with
``shed_at = "never"`` is never cut by any automatic rule, Tempo included (the configuration
refuses the combination; the policy holds to it anyway).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from tui.core.config import ChannelConfig, ShedAt
from tui.core.tempo import Colour, Peak, TempoCalendar, tempo_day


def tempo_colours(channel: ChannelConfig) -> frozenset[Colour]:
    """The colours whose peak hours cut this channel."""
    if channel.shed_at is ShedAt.NEVER:
        return frozenset()
    return frozenset(channel.shed_tempo)


def all_tempo_colours(channels: Iterable[ChannelConfig]) -> frozenset[Colour]:
    colours: frozenset[Colour] = frozenset()
    for channel in channels:
        colours |= tempo_colours(channel)
    return colours


def tempo_peak_within(
    tempo: TempoCalendar | None, colours: frozenset[Colour], start: datetime, end: datetime
) -> Peak | None:
    """The first peak of a listed colour overlapping the closed window ``[start, end]``."""
    if tempo is None or not colours:
        return None
    for peak in tempo.peaks(colours, after=tempo_day(start)):
        if peak.start > end:
            return None
        if peak.end > start:
            return peak
    return None


def tempo_next_edge(
    tempo: TempoCalendar | None, colours: frozenset[Colour], now: datetime, lead: timedelta
) -> datetime | None:
    """The first instant after ``now`` where the Tempo part of rule 2 may change its answer:
    a listed peak's start or end, or either minus the lead."""
    if tempo is None or not colours:
        return None
    best: datetime | None = None
    for peak in tempo.peaks(colours, after=tempo_day(now)):
        if best is not None and peak.start - lead > best:
            break  # later peaks only have later edges
        for edge in (peak.start - lead, peak.start, peak.end - lead, peak.end):
            if edge > now and (best is None or edge < best):
                best = edge
    return best
