"""The ``[meter]`` source a configuration names (None without ``[meter]``)."""

from pathlib import Path

from tui.adapters.clock import Clock
from tui.adapters.meter.base import MeterSource
from tui.core.config import Config
from tui.core.meter_config import MeterSource as Kind
from tui.core.paths import config_folder, resolve_path


def make_meter_source(config: Config, clock: Clock) -> MeterSource | None:
    meter = config.meter
    if meter is None:
        return None
    if meter.source is Kind.TIC:
        from tui.adapters.meter.tic import TicSource

        assert meter.port is not None  # the configuration's validation asks for it
        return TicSource(meter.port, clock=clock, stale_after=meter.stale_after, baud=meter.baud)
    if meter.source is Kind.MQTT:
        from tui.adapters.meter.mqtt import MqttMeterSource

        return MqttMeterSource.of(config, clock)
    if meter.source is Kind.FILE:
        from tui.adapters.meter.replay import ReplaySource

        assert meter.file is not None
        return ReplaySource(
            Path(resolve_path(meter.file, config_folder(config.path), None)),
            clock=clock,
            stale_after=meter.stale_after,
        )
    from tui.adapters.meter.demo import DemoMeterSource

    return DemoMeterSource(config, clock=clock, stale_after=meter.stale_after)
