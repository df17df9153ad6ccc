"""`delestage check`: validate the configuration and say, line by line, what was checked."""

from datetime import UTC, datetime
from typing import TextIO

from tui.compose.files import find_config, load_config
from tui.compose.remote import service_check_line
from tui.compose.sources import check_forecast_line, check_meter_line, check_tempo_line
from tui.core.config import Config
from tui.core.errors import InputError
from tui.core.i18n import N_, _, ngettext
from tui.core.pilot import kind_words
from tui.frontends.boards_cmd import check_board_line, rating_notes


def describe_config(config: Config) -> str:
    names = ", ".join(
        f"{channel.index}:{channel.name}"
        + (
            _(" ({kind}, relays {positive}+{negative})").format(
                kind=kind_words(channel.pilot.kind),
                positive=channel.pilot.positive,
                negative=channel.pilot.negative,
            )
            if channel.pilot
            else ""
        )
        for channel in config.channels
    )
    return (
        _("{path}: valid; {count} channel(s) ({names}); forecast source {source}; ").format(
            path=config.path,
            count=len(config.channels),
            names=names,
            source=config.ecowatt.source.value,
        )
        + (
            _("Tempo source {source}; ").format(source=config.tempo.source.value)
            if config.tempo
            else ""
        )
        + _("board {kind}").format(kind=config.board.kind.value)
    )


def _row(label: str, ok: bool, text: str) -> str:
    """``forecast  ok    ...``: the part checked, ok or FAIL, what was seen."""
    verdict = _("ok") if ok else _("FAIL")
    return f"{_(label):<10}{verdict:<6}{text}"


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
        return [_("WARN  {problem}").format(problem=problem)]
    vetted = vet_saved_state(
        config.channels, overrides, history, store.owners, now, str(store.path)
    )
    if vetted.notes:
        return [_("WARN  {problem}").format(problem=note) for note in vetted.notes]
    count = sum(1 for item in vetted.overrides.values() if item.active(now))
    words = ngettext(
        "ok    {path}: saved for these appliances ({count} override)",
        "ok    {path}: saved for these appliances ({count} overrides)",
        count,
    )
    return [words.format(path=store.path, count=count)]


def run_check(config_path: str | None, out: TextIO) -> int:
    config = load_config(find_config(config_path))
    if config.ui.keys:
        # Binding ids live with the UI's bindings: only a remapped config pays for Textual.
        from tui.frontends.app.app import keymap_problems

        problems = keymap_problems(config)
        if problems:
            raise InputError(problems)
    print(_row(N_("config"), True, describe_config(config)), file=out)
    failed = False
    forecast_ok, forecast_line = check_forecast_line(config)
    print(_row(N_("forecast"), forecast_ok, forecast_line), file=out)
    failed = failed or not forecast_ok
    if config.tempo is not None:
        tempo_ok, tempo_line = check_tempo_line(config)
        print(_row(N_("tempo"), tempo_ok, tempo_line), file=out)
        failed = failed or not tempo_ok
    if config.meter is not None:
        meter_ok, meter_line = check_meter_line(config)
        print(_row(N_("meter"), meter_ok, meter_line), file=out)
        failed = failed or not meter_ok
    board_ok, board_line = check_board_line(config)
    print(_row(N_("board"), board_ok, board_line), file=out)
    for note in rating_notes(config):
        # A contactor may be wired: a note, not a failure.
        print(f"{_('rating'):<10}{_('note'):<6}{note}", file=out)
    failed = failed or not board_ok
    service_ok, service_line = service_check_line(config)
    print(_row(N_("service"), service_ok, service_line), file=out)
    failed = failed or not service_ok
    for line in state_check_lines(config, datetime.now(UTC)):
        print(
            f"{_('state'):<10}{line}", file=out
        )  # a warning, not a failure: the service drops them
    if config.mqtt is not None:
        from tui.frontends.mqtt.check import check_mqtt_lines

        mqtt_ok, mqtt_lines = check_mqtt_lines(config)
        print(_row(N_("mqtt"), mqtt_ok, mqtt_lines[0]), file=out)
        for line in mqtt_lines[1:]:
            print(f"{'':16}{line}", file=out)
        failed = failed or not mqtt_ok
    return 1 if failed else 0
