"""`delestage check`: validate the configuration and say, line by line, what was checked."""

from datetime import UTC, datetime
from typing import TextIO

from tui.compose.files import find_config, load_config
from tui.compose.remote import service_check_line
from tui.compose.sources import check_forecast_line, check_meter_line, check_tempo_line
from tui.core.config import Config
from tui.core.errors import InputError
from tui.frontends.boards_cmd import check_board_line


def describe_config(config: Config) -> str:
    names = ", ".join(
        f"{channel.index}:{channel.name}"
        + (
            f" (pilot wire, relays {channel.pilot.positive}+{channel.pilot.negative})"
            if channel.pilot
            else ""
        )
        for channel in config.channels
    )
    return (
        f"{config.path}: valid; {len(config.channels)} channel(s) ({names}); "
        f"forecast source {config.ecowatt.source.value}; "
        + (f"Tempo source {config.tempo.source.value}; " if config.tempo else "")
        + f"board {config.board.kind.value}"
    )


def state_check_lines(config: Config, now: datetime) -> list[str]:
    """What the saved state in the state directory holds for this configuration: warnings
    for entries saved for other appliances (never applied) and times from the future; nothing
    when no state was saved there."""
    from tui.compose.files import StateStore, resolve_state_dir
    from tui.core.state_vetting import vet_saved_state

    store = StateStore(resolve_state_dir(config))
    if not store.path.exists():
        return []
    overrides, history, problem = store.load(keep=True)
    if problem:
        return [f"WARN  {problem}"]
    vetted = vet_saved_state(
        config.channels, overrides, history, store.owners, now, str(store.path)
    )
    if vetted.notes:
        return [f"WARN  {note}" for note in vetted.notes]
    count = sum(1 for item in vetted.overrides.values() if item.active(now))
    return [
        f"ok    {store.path}: saved for these appliances ({count} "
        f"override{'' if count == 1 else 's'})"
    ]


def run_check(config_path: str | None, out: TextIO) -> int:
    config = load_config(find_config(config_path))
    if config.ui.keys:
        # Binding ids live with the UI's bindings: only a remapped config pays for Textual.
        from tui.frontends.app.app import keymap_problems

        problems = keymap_problems(config)
        if problems:
            raise InputError(problems)
    print(f"config    ok    {describe_config(config)}", file=out)
    failed = False
    forecast_ok, forecast_line = check_forecast_line(config)
    print(f"forecast  {'ok' if forecast_ok else 'FAIL':<6}{forecast_line}", file=out)
    failed = failed or not forecast_ok
    if config.tempo is not None:
        tempo_ok, tempo_line = check_tempo_line(config)
        print(f"tempo     {'ok' if tempo_ok else 'FAIL':<6}{tempo_line}", file=out)
        failed = failed or not tempo_ok
    if config.meter is not None:
        meter_ok, meter_line = check_meter_line(config)
        print(f"meter     {'ok' if meter_ok else 'FAIL':<6}{meter_line}", file=out)
        failed = failed or not meter_ok
    board_ok, board_line = check_board_line(config)
    print(f"board     {'ok' if board_ok else 'FAIL':<6}{board_line}", file=out)
    failed = failed or not board_ok
    service_ok, service_line = service_check_line(config)
    print(f"service   {'ok' if service_ok else 'FAIL':<6}{service_line}", file=out)
    failed = failed or not service_ok
    for line in state_check_lines(config, datetime.now(UTC)):
        print(f"state     {line}", file=out)  # a warning, not a failure: the service drops them
    if config.mqtt is not None:
        from tui.frontends.mqtt.check import check_mqtt_lines

        mqtt_ok, mqtt_lines = check_mqtt_lines(config)
        print(f"mqtt      {'ok' if mqtt_ok else 'FAIL':<6}{mqtt_lines[0]}", file=out)
        for line in mqtt_lines[1:]:
            print(f"{'':16}{line}", file=out)
        failed = failed or not mqtt_ok
    return 1 if failed else 0
