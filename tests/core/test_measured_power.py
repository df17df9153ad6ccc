"""Each channel's power from the meter's step at its switches: the median of the last few, a
crowded or idle switch left out."""

from datetime import UTC, datetime, timedelta

from tui.core.measured_power import SAMPLES, MeasuredPower, observe
from tui.core.meter import MeterReading
from tui.core.policy import RelayHistory

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class House:
    """A meter at one reading a second, relays switched by hand."""

    def __init__(self) -> None:
        self.t = T0
        self.state = MeasuredPower()
        self.history: dict[int, RelayHistory] = {0: RelayHistory(), 1: RelayHistory()}
        self.power = 500

    def frame(self, power: int | None = None) -> None:
        self.t += timedelta(seconds=1)
        if power is not None:
            self.power = power
        self.state = observe(self.state, MeterReading(at=self.t, power_va=self.power), self.history)

    def switch(self, channel: int, powered: bool) -> None:
        item = self.history[channel]
        self.history[channel] = (
            RelayHistory(True, self.t, item.last_off)
            if powered
            else RelayHistory(False, item.last_on, self.t)
        )


def test_a_switch_on_and_off_are_measured_two_frames_after() -> None:
    house = House()
    house.frame()
    house.switch(0, True)
    house.frame(2500)  # one frame after: not yet read
    assert house.state.watts(0) is None
    house.frame(2510)
    assert house.state.watts(0) == 2010
    house.frame()
    house.switch(0, False)
    house.frame(510)
    house.frame(505)
    assert house.state.samples[0] == (2010, 2005)
    assert house.state.watts(0) == 2008  # median of two: their mean, rounded
    assert house.state.watts(1) is None


def test_the_median_of_the_last_few_outvotes_a_kettle() -> None:
    house = House()
    house.frame()
    for k in range(SAMPLES + 2):
        house.switch(0, True)
        house.frame(2500 + (2000 if k == 3 else 0))  # a kettle starts with it once
        house.frame()
        house.switch(0, False)
        house.frame(500)
        house.frame()
    assert len(house.state.samples[0]) == SAMPLES
    assert house.state.watts(0) == 2000


def test_two_switches_together_and_an_idle_appliance_are_not_taken() -> None:
    house = House()
    house.frame()
    house.switch(0, True)
    house.switch(1, True)
    house.frame(4000)
    house.frame()
    assert house.state.samples == {}
    house.frame()
    house.switch(1, False)  # its thermostat was off: nothing moves
    house.frame()
    house.frame()
    assert house.state.samples == {}


def test_no_reading_before_the_first_switch_measures_nothing() -> None:
    state = observe(MeasuredPower(), None, {0: RelayHistory()})
    state = observe(state, None, {0: RelayHistory(True, T0, None)})
    at = T0 + timedelta(seconds=1)
    state = observe(state, MeterReading(at=at, power_va=2000), {0: RelayHistory(True, T0, None)})
    assert state.pending == () and state.samples == {}
