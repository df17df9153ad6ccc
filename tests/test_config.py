"""The configuration model of delestage.toml: defaults, validation, and the shipped example."""

import copy
import dataclasses
import re
import tomllib
import unicodedata
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from tui.adapters.config_file import render_config
from tui.core.config import (
    RTE_BASE_URL,
    BoardConfig,
    BoardKind,
    ChannelConfig,
    Config,
    EcowattConfig,
    Fallback,
    LogFormat,
    MqttConfig,
    OnExit,
    PolicyConfig,
    Run,
    ServiceConfig,
    ShedAt,
    Source,
    TempoConfig,
    UiConfig,
    Wiring,
    config_from_dict,
    config_to_dict,
)
from tui.core.durations import MIN_OVERRIDE
from tui.core.errors import InputError
from tui.core.meter_config import MeterConfig

SHIPPED = Path(__file__).resolve().parent.parent / "delestage.toml"
PATH = "conf/delestage.toml"


def _channel(index: int = 0, **extra: object) -> dict[str, object]:
    return {"index": index, "name": f"Channel {index}", "shed_at": "red", **extra}


def _minimal() -> dict[str, Any]:
    return {"channel": [_channel(0)]}


def _problems(document: dict[str, Any]) -> list[str]:
    with pytest.raises(InputError) as raised:
        config_from_dict(document, path=PATH)
    return raised.value.problems


def _only_problem(document: dict[str, Any]) -> str:
    problems = _problems(document)
    assert len(problems) == 1, problems
    return problems[0]


# --- defaults ---------------------------------------------------------------------------------


def test_every_default_of_a_minimal_config() -> None:
    config = config_from_dict(_minimal(), path=PATH)

    assert config.path == PATH
    assert config.ecowatt.source is Source.RTE
    assert config.ecowatt.base_url == RTE_BASE_URL == "https://digital.iservices.rte-france.com"
    assert config.ecowatt.file is None
    assert config.ecowatt.credentials_file is None
    assert config.ecowatt.timeout == timedelta(seconds=10)

    assert config.board.kind is BoardKind.PHIDGET
    assert config.board.serial is None  # any attached 1017
    assert config.board.hub_port is None
    assert config.board.attach_timeout == timedelta(seconds=5)
    assert config.board.on_exit is OnExit.RELEASE
    assert config.board.failsafe == timedelta(0)

    assert config.policy.lead == timedelta(minutes=15)
    assert config.policy.restore_gap == timedelta(seconds=60)
    assert config.policy.min_switch_gap == timedelta(seconds=5)
    assert config.policy.fallback is Fallback.POWERED
    assert config.policy.override_duration == timedelta(hours=2)

    assert config.service.state_dir is None
    assert config.service.log_format is LogFormat.TEXT

    (channel,) = config.channels
    assert channel.index == 0
    assert channel.name == "Channel 0"
    assert channel.shed_at is ShedAt.RED
    assert channel.wiring is Wiring.NO
    assert channel.priority == 1
    assert channel.min_on == timedelta(0)
    assert channel.min_off == timedelta(0)
    assert channel.run is Run.ALWAYS
    assert channel.auto_restore is True


def test_empty_sections_give_the_same_defaults() -> None:
    document = {"ecowatt": {}, "board": {}, "policy": {}, "service": {}, **_minimal()}
    assert config_from_dict(document) == config_from_dict(_minimal())


def test_every_key_is_read() -> None:
    document = {
        "ecowatt": {
            "source": "file",
            "base_url": "https://example.test/",
            "file": "signals.json",
            "credentials_file": "/etc/delestage/credentials",
            "timeout": "30s",
        },
        "board": {
            "kind": "simulated",
            "serial": 123456,
            "hub_port": 3,
            "attach_timeout": "2s",
            "on_exit": "release",  # "keep" and a failsafe are refused together
            "failsafe": "1s500ms",
        },
        "policy": {
            "lead": "1h30m",
            "restore_gap": "2m",
            "min_switch_gap": "10s",
            "fallback": "shed",
            "override_duration": "0s",
        },
        "service": {"state_dir": "/var/lib/delestage", "log_format": "json"},
        "channel": [
            {
                "index": 7,
                "name": "Pompe piscine",
                "wiring": "nc",
                "shed_at": "orange",
                "priority": 3,
                "min_on": "15m",
                "min_off": "10m",
                "run": "low-carbon",
                "auto_restore": False,
            }
        ],
    }
    config = config_from_dict(document)

    assert config.ecowatt == EcowattConfig(
        source=Source.FILE,
        base_url="https://example.test",  # a trailing slash would double in request URLs
        file="signals.json",
        credentials_file="/etc/delestage/credentials",
        timeout=timedelta(seconds=30),
    )
    assert config.board == BoardConfig(
        kind=BoardKind.SIMULATED,
        serial=123456,
        hub_port=3,
        attach_timeout=timedelta(seconds=2),
        on_exit=OnExit.RELEASE,
        failsafe=timedelta(seconds=1, milliseconds=500),
    )
    assert config.policy == PolicyConfig(
        lead=timedelta(hours=1, minutes=30),
        restore_gap=timedelta(minutes=2),
        min_switch_gap=timedelta(seconds=10),
        fallback=Fallback.SHED,
        override_duration=timedelta(0),
    )
    assert config.service == ServiceConfig(
        state_dir="/var/lib/delestage", log_format=LogFormat.JSON
    )
    assert config.channels == (
        ChannelConfig(
            index=7,
            name="Pompe piscine",
            wiring=Wiring.NC,
            shed_at=ShedAt.ORANGE,
            priority=3,
            min_on=timedelta(minutes=15),
            min_off=timedelta(minutes=10),
            run=Run.LOW_CARBON,
            auto_restore=False,
        ),
    )


def test_channels_are_ordered_by_index_and_found_by_index() -> None:
    config = config_from_dict({"channel": [_channel(5), _channel(0), _channel(3)]})
    assert [channel.index for channel in config.channels] == [0, 3, 5]
    assert config.channel(3).name == "Channel 3"
    with pytest.raises(KeyError):
        config.channel(1)


def test_config_is_frozen() -> None:
    config = config_from_dict(_minimal())
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.policy.lead = timedelta(0)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.channels[0].name = "other"  # type: ignore[misc]
    assert isinstance(config.channels, tuple)


def test_where_a_config_was_read_from_does_not_change_what_it_configures() -> None:
    assert config_from_dict(_minimal(), path="a.toml") == config_from_dict(
        _minimal(), path="b.toml"
    )


def test_bare_numbers_are_refused_with_a_hint_except_zero() -> None:
    line = _only_problem({"policy": {"restore_gap": 90}, **_minimal()})
    assert line == (
        f'{PATH}: policy.restore_gap: expected a duration with its unit, e.g. "90s", "90m" or '
        '"90h" (a bare number is ambiguous), got 90'
    )
    config = config_from_dict({"policy": {"restore_gap": 0}, **_minimal()})
    assert config.policy.restore_gap == timedelta(0)


def test_durations_beyond_the_horizon_are_refused() -> None:
    line = _only_problem({"policy": {"override_duration": "367d"}, **_minimal()})
    assert "policy.override_duration: expected a duration of at most 366d" in line


@pytest.mark.parametrize("name", ["Bad\nname", "Bell\x07", "Esc\x1b[31m", "Nul\x00"])
def test_control_characters_in_names_are_refused(name: str) -> None:
    line = _only_problem(_with_channel(name=name))
    assert "channel[0].name: expected a string without control characters" in line
    assert not any(unicodedata.category(char) == "Cc" for char in line)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Borne\u202eEV", "U+202E"),  # RIGHT-TO-LEFT OVERRIDE
        ("Two\u2028lines", "U+2028"),  # LINE SEPARATOR
        ("Para\u2029graph", "U+2029"),  # PARAGRAPH SEPARATOR
        ("Zero\u200bwidth", "U+200B"),  # ZERO WIDTH SPACE (Cf)
        ("Isolate\u2066x\u2069", "U+2066"),  # LEFT-TO-RIGHT ISOLATE (Cf)
    ],
)
def test_bidi_and_separator_characters_in_names_are_refused(name: str, code: str) -> None:
    line = _only_problem(_with_channel(name=name))
    assert "channel[0].name: expected a name without control, bidi or line-separator " in line
    assert code in line
    assert not any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in line)


def test_names_are_nfc_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "Sèche-linge")
    assert decomposed != "Sèche-linge"
    config = config_from_dict(_with_channel(name=decomposed))
    assert config.channels[0].name == "Sèche-linge"


def test_an_empty_key_list_names_the_binding() -> None:
    line = _only_problem({"ui": {"keys": {"select_0": ""}}, **_minimal()})
    assert line.endswith('got select_0 = ""')


# --- validation: one problem at a time --------------------------------------------------------


def _with(section: str, key: str, value: object) -> dict[str, Any]:
    document = _minimal()
    document[section] = {key: value}
    return document


def _with_channel(**values: object) -> dict[str, Any]:
    return {"channel": [{**_channel(0), **values}]}


@pytest.mark.parametrize(
    ("document", "key_path", "expected"),
    [
        # wrong types
        (_with("ecowatt", "timeout", True), "ecowatt.timeout", "a duration"),
        (_with("ecowatt", "file", 3), "ecowatt.file", "a non-empty string"),
        (_with("ecowatt", "credentials_file", ""), "ecowatt.credentials_file", "non-empty"),
        (_with("ecowatt", "base_url", "ftp://x"), "ecowatt.base_url", "https://"),
        (_with("board", "serial", "123456"), "board.serial", "an integer"),
        (_with("board", "serial", 0), "board.serial", "an integer ≥ 1"),
        (_with("board", "hub_port", 6), "board.hub_port", "an integer from 0 to 5"),
        (_with("board", "hub_port", -1), "board.hub_port", "an integer from 0 to 5"),
        (_with("service", "state_dir", ["x"]), "service.state_dir", "got an array"),
        (_with_channel(index="0"), "channel[0].index", "an integer from 0 to 7"),
        (_with_channel(index=True), "channel[0].index", "an integer from 0 to 7"),
        (_with_channel(index=1.0), "channel[0].index", "an integer from 0 to 7"),
        (_with_channel(name=3), "channel[0].name", "a non-empty string"),
        (_with_channel(name="  "), "channel[0].name", "a non-empty string"),
        (_with_channel(priority=0), "channel[0].priority", "an integer ≥ 1"),
        (_with_channel(priority="1"), "channel[0].priority", "an integer ≥ 1"),
        (_with_channel(priority=True), "channel[0].priority", "an integer ≥ 1"),
        (_with_channel(auto_restore="yes"), "channel[0].auto_restore", "true or false"),
        (_with_channel(auto_restore=1), "channel[0].auto_restore", "true or false"),
        # index out of range
        (_with_channel(index=8), "channel[0].index", "an integer from 0 to 7"),
        (_with_channel(index=-1), "channel[0].index", "an integer from 0 to 7"),
        # bad durations
        (_with("policy", "lead", "15 minutes"), "policy.lead", 'a duration like "90s"'),
        (_with("policy", "restore_gap", -5), "policy.restore_gap", "a duration"),
        (_with("policy", "override_duration", 1.5), "policy.override_duration", "a duration"),
        (_with("board", "attach_timeout", "5"), "board.attach_timeout", "a bare number"),
        (_with("board", "attach_timeout", "0s"), "board.attach_timeout", "above zero"),
        (_with("ecowatt", "timeout", 0), "ecowatt.timeout", "above zero"),
        (_with_channel(min_on="1h30"), "channel[0].min_on", "a duration"),
        (_with_channel(min_off="999999999999d"), "channel[0].min_off", "a duration"),
        # bad enum values
        (_with("ecowatt", "source", "live"), "ecowatt.source", '"rte", "sandbox", "demo", "file"'),
        (_with("board", "kind", "mock"), "board.kind", 'one of "phidget", "simulated"'),
        (_with("board", "on_exit", "off"), "board.on_exit", 'one of "release", "keep"'),
        (_with("policy", "fallback", "cut"), "policy.fallback", 'one of "powered", "shed"'),
        (_with("service", "log_format", "xml"), "service.log_format", 'one of "text", "json"'),
        (_with_channel(wiring="NO"), "channel[0].wiring", 'one of "no", "nc"'),
        (_with_channel(shed_at="black"), "channel[0].shed_at", '"orange", "red", "never"'),
        (_with_channel(shed_at=2), "channel[0].shed_at", '"orange", "red", "never"'),
        (_with_channel(run="green"), "channel[0].run", 'one of "always", "low-carbon"'),
    ],
)
def test_a_bad_value_is_one_line_naming_file_key_and_expectation(
    document: dict[str, Any], key_path: str | None, expected: str | None
) -> None:
    if key_path is None:
        config_from_dict(document)
        return
    line = _only_problem(document)
    assert line.startswith(f"{PATH}: {key_path}: expected ")
    assert expected is not None and expected in line
    assert "\n" not in line


def test_a_bad_value_says_what_it_got() -> None:
    line = _only_problem(_with_channel(shed_at="black"))
    assert line.endswith('got "black"')
    assert _only_problem(_with("ecowatt", "timeout", True)).endswith("got true")


def test_unknown_key_in_a_channel_suggests_the_close_one() -> None:
    document = {"channel": [{"index": 0, "name": "A", "shed_at": "red", "shed_a": "red"}]}
    assert _only_problem(document) == (
        f"{PATH}: channel[0].shed_a: unknown key (did you mean `shed_at`?)"
    )


@pytest.mark.parametrize(
    ("section", "key", "suggestion"),
    [
        ("ecowatt", "sourc", "source"),
        ("ecowatt", "base-url", "base_url"),
        ("board", "serail", "serial"),
        ("policy", "restor_gap", "restore_gap"),
        ("service", "log_fromat", "log_format"),
    ],
)
def test_unknown_key_in_a_section_suggests_the_close_one(
    section: str, key: str, suggestion: str
) -> None:
    line = _only_problem(_with(section, key, "x"))
    assert line == f"{PATH}: {section}.{key}: unknown key (did you mean `{suggestion}`?)"


def test_unknown_key_far_from_any_lists_the_known_keys() -> None:
    line = _only_problem(_with("policy", "colour", "red"))
    assert line.startswith(f"{PATH}: policy.colour: unknown key (known keys: lead, ")
    assert "override_duration" in line


@pytest.mark.parametrize(
    ("section", "suggestion"),
    [("boad", "board"), ("ecowat", "ecowatt"), ("channels", "channel"), ("polcy", "policy")],
)
def test_unknown_section_suggests_the_close_one(section: str, suggestion: str) -> None:
    document = _minimal()
    document[section] = {}
    assert _only_problem(document) == (
        f"{PATH}: {section}: unknown key (did you mean `{suggestion}`?)"
    )


def test_a_section_that_is_not_a_table() -> None:
    document = {"board": "simulated", **_minimal()}
    assert _only_problem(document) == f'{PATH}: board: expected a table [board], got "simulated"'


def test_duplicate_index() -> None:
    document = {"channel": [_channel(0), _channel(1), {**_channel(1), "name": "Other"}]}
    assert _only_problem(document) == f"{PATH}: channel[2].index: 1 is already used by channel[1]"


def test_duplicate_name() -> None:
    document = {"channel": [_channel(0, name="Sauna"), _channel(4, name="Sauna")]}
    assert _only_problem(document) == (
        f'{PATH}: channel[1].name: "Sauna" is already used by channel[0]'
    )


@pytest.mark.parametrize("channels", [[], None])
def test_empty_channel_list(channels: list[object] | None) -> None:
    document: dict[str, Any] = {"board": {"kind": "simulated"}}
    if channels is not None:
        document["channel"] = channels
    assert _only_problem(document) == (
        f"{PATH}: channel: expected 1 to 8 [[channel]] tables, got none"
    )


def test_too_many_channels() -> None:
    document = {"channel": [_channel(index % 8, name=f"Load {index}") for index in range(9)]}
    problems = _problems(document)
    assert problems[0] == f"{PATH}: channel: expected 1 to 8 [[channel]] tables, got 9"
    # The ninth also reuses an index, and says so.
    assert problems[1:] == [f"{PATH}: channel[8].index: 0 is already used by channel[0]"]


def test_channel_written_as_a_single_table() -> None:
    document = {"channel": _channel(0)}
    assert _only_problem(document) == f"{PATH}: channel: expected [[channel]] tables, got a table"


def test_channel_array_of_non_tables() -> None:
    assert _only_problem({"channel": [1, 2]}) == (
        f"{PATH}: channel: expected [[channel]] tables, got an array"
    )


@pytest.mark.parametrize("key", ["index", "name", "shed_at"])
def test_missing_required_channel_key(key: str) -> None:
    table = _channel(0)
    del table[key]
    line = _only_problem({"channel": [table]})
    assert line.startswith(f"{PATH}: channel[0].{key}: ")
    assert "required" in line


def test_file_source_needs_a_file() -> None:
    line = _only_problem(_with("ecowatt", "source", "file"))
    assert line.startswith(f"{PATH}: ecowatt.file: expected a path")
    document = _minimal()
    document["ecowatt"] = {"source": "file", "file": "saved.json"}
    assert config_from_dict(document).ecowatt.file == "saved.json"


@pytest.mark.parametrize("failsafe", ["1ms", "499ms", "30s1ms", "1m", "31s"])
def test_failsafe_out_of_range(failsafe: object) -> None:
    line = _only_problem(_with("board", "failsafe", failsafe))
    assert line == f'{PATH}: board.failsafe: expected "0s" (off) or a period from 500 ms to 30 s'


@pytest.mark.parametrize(
    ("failsafe", "expected"),
    [
        ("0s", timedelta(0)),
        (0, timedelta(0)),
        ("500ms", timedelta(milliseconds=500)),
        ("30s", timedelta(seconds=30)),
    ],
)
def test_failsafe_in_range(failsafe: object, expected: timedelta) -> None:
    assert config_from_dict(_with("board", "failsafe", failsafe)).board.failsafe == expected


# --- validation: everything at once -----------------------------------------------------------


def test_every_problem_is_reported_at_once_one_line_each() -> None:
    document = {
        "ecowatt": {"source": "live", "timout": "10s"},
        "boad": {"kind": "simulated"},
        "board": {"hub_port": 9, "failsafe": "100ms"},
        "policy": {"lead": "soon", "fallback": "cut"},
        "service": {"log_format": "xml"},
        "channel": [
            {"index": 0, "name": "Chauffe-eau", "shed_at": "orange"},
            {"index": 0, "name": "Radiateurs", "shed_at": "red"},
            {"index": 2, "name": "Radiateurs", "shed_at": "purple", "shed_a": "red"},
            {"index": 9, "name": "Borne", "shed_at": "red", "min_on": "5 min"},
            {"name": "Sauna", "shed_at": "orange", "priority": 0},
        ],
    }
    problems = _problems(document)
    key_paths = [
        "boad",
        "ecowatt.source",
        "ecowatt.timout",
        "board.hub_port",
        "policy.lead",
        "policy.fallback",
        "service.log_format",
        "channel[1].index",
        "channel[2].shed_at",
        "channel[2].shed_a",
        "channel[2].name",
        "channel[3].index",
        "channel[3].min_on",
        "channel[4].priority",
        "channel[4].index",
        "board.failsafe",
    ]
    assert len(problems) == len(key_paths), "\n".join(problems)
    for key_path in key_paths:
        assert any(line.startswith(f"{PATH}: {key_path}: ") for line in problems), key_path
    for line in problems:
        assert line.startswith(f"{PATH}: ")
        assert "\n" not in line
    assert f"{PATH}: channel[2].shed_a: unknown key (did you mean `shed_at`?)" in problems
    # The InputError's message is those lines, ready to print.
    with pytest.raises(InputError) as raised:
        config_from_dict(document, path=PATH)
    assert str(raised.value).splitlines() == problems


# --- writing back -----------------------------------------------------------------------------


def test_config_to_dict_loads_back_to_an_equal_config() -> None:
    with SHIPPED.open("rb") as handle:
        shipped = config_from_dict(tomllib.load(handle))
    document = config_to_dict(shipped)
    assert config_from_dict(copy.deepcopy(document)) == shipped
    # Only TOML-native types: durations as text, enums as their values.
    assert document["policy"]["restore_gap"] == "1m"  # type: ignore[index]
    assert document["channel"][0]["wiring"] == "no"  # type: ignore[index]
    assert "socket_group" not in document["service"]  # type: ignore[operator]
    # The demo names its own state directory, apart from any live installation's.
    assert document["service"]["state_dir"] == "~/.local/state/delestage-demo"  # type: ignore[index]


_DURATIONS = st.builds(
    lambda ms: timedelta(milliseconds=ms), st.integers(min_value=0, max_value=10 * 86_400_000)
)
_WAITS = st.builds(
    lambda ms: timedelta(milliseconds=ms), st.integers(min_value=1, max_value=10 * 86_400_000)
)


@st.composite
def _configs(draw: st.DrawFn) -> Config:
    indexes = draw(st.lists(st.integers(0, 7), min_size=1, max_size=8, unique=True))
    channels = tuple(
        ChannelConfig(
            index=index,
            name=unicodedata.normalize(
                "NFC",
                draw(
                    st.text(
                        # Names refuse format characters and separators too (Cf, Zl, Zp).
                        st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp")),
                        min_size=1,
                        max_size=12,
                    ).filter(str.strip)
                ),
            ).strip()
            + f" #{index}",
            shed_at=draw(st.sampled_from(ShedAt)),
            wiring=draw(st.sampled_from(Wiring)),
            priority=draw(st.integers(1, 20)),
            min_on=draw(_DURATIONS),
            min_off=draw(_DURATIONS),
            run=draw(st.sampled_from(Run)),
            auto_restore=draw(st.booleans()),
        )
        for index in sorted(indexes)
    )
    source = draw(st.sampled_from(Source))
    printable = st.characters(blacklist_categories=("Cc", "Cs"))
    optional_text = st.one_of(
        st.none(), st.text(printable, min_size=1, max_size=20).filter(str.strip)
    )
    return Config(
        channels=channels,
        ecowatt=EcowattConfig(
            source=source,
            file=draw(st.text(printable, min_size=1, max_size=20).filter(str.strip))
            if source is Source.FILE
            else draw(optional_text),
            credentials_file=draw(optional_text),
            timeout=draw(_WAITS),
        ),
        board=BoardConfig(
            kind=(kind := draw(st.sampled_from(BoardKind))),
            serial=draw(st.one_of(st.none(), st.integers(1, 2**31))),
            hub_port=draw(st.one_of(st.none(), st.integers(0, 5))),
            attach_timeout=draw(_WAITS),
            on_exit=(on_exit := draw(st.sampled_from(OnExit))),
            # "keep" and a failsafe are refused together; a Phidget's keepalive needs 300 ms
            # of failsafe per relay.
            failsafe=draw(
                st.one_of(
                    st.just(timedelta(0)),
                    st.integers(
                        max(500, 300 * len(channels)) if kind is BoardKind.PHIDGET else 500,
                        30_000,
                    ).map(lambda ms: timedelta(milliseconds=ms)),
                )
                if on_exit is OnExit.RELEASE
                else st.just(timedelta(0))
            ),
        ),
        policy=PolicyConfig(
            lead=draw(_DURATIONS),
            restore_gap=draw(_DURATIONS),
            min_switch_gap=draw(_DURATIONS),
            fallback=draw(st.sampled_from(Fallback)),
            override_duration=draw(
                st.one_of(st.just(timedelta(0)), _DURATIONS.filter(lambda d: d >= MIN_OVERRIDE))
            ),
        ),
        service=ServiceConfig(
            state_dir=draw(optional_text), log_format=draw(st.sampled_from(LogFormat))
        ),
    )


@given(_configs())
def test_any_valid_config_round_trips_through_config_to_dict_and_toml(config: Config) -> None:
    assert config_from_dict(config_to_dict(config)) == config
    assert config_from_dict(tomllib.loads(render_config(config).decode())) == config


# --- the shipped example ----------------------------------------------------------------------


def _sections(text: str) -> dict[str, list[str]]:
    """The lines of each [section] of a TOML file; every [[channel]] goes under "channel".

    A section that is off unless present ([mqtt]) is shipped commented out: `# [mqtt]` counts.
    """
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for line in text.splitlines():
        header = re.fullmatch(r"\s*(?:#\s*)?\[\[?\s*([\w-]+)\s*\]\]?\s*(#.*)?", line)
        if header:
            current = header.group(1)
            sections.setdefault(current, [])
        else:
            sections[current].append(line)
    return sections


_MODEL = {
    "ecowatt": EcowattConfig,
    "board": BoardConfig,
    "policy": PolicyConfig,
    "service": ServiceConfig,
    "ui": UiConfig,
    "tempo": TempoConfig,
    "mqtt": MqttConfig,
    "meter": MeterConfig,
    "channel": ChannelConfig,
}


@pytest.mark.parametrize("section", list(_MODEL))
def test_the_shipped_file_documents_every_key_of_the_model(section: str) -> None:
    lines = _sections(SHIPPED.read_text(encoding="utf-8"))[section]
    missing = [
        field.name
        for field in dataclasses.fields(_MODEL[section])
        # a channel's relay on its board is written as its index (config_to_dict)
        if (section, field.name) != ("channel", "relay")
        and not any(re.match(rf"\s*#?\s*{field.name}\s*=", line) for line in lines)
    ]
    assert not missing, f"[{section}] of delestage.toml does not show {missing}"


def test_the_model_has_no_section_the_shipped_file_ignores() -> None:
    sections = {field.name for field in dataclasses.fields(Config)} - {"channels", "path", "boards"}
    assert sections | {"channel"} == set(_MODEL)


def test_the_shipped_file_is_the_demo_configuration() -> None:
    with SHIPPED.open("rb") as handle:
        config = config_from_dict(tomllib.load(handle), path=str(SHIPPED))
    assert config.ecowatt.source is Source.DEMO
    assert config.board.kind is BoardKind.SIMULATED
    relays = sorted(relay for channel in config.channels for relay in channel.relays)
    assert relays == list(range(8))  # a pilot-wire radiator drives two of them
    assert any(channel.pilot is not None for channel in config.channels)
    assert {channel.shed_at for channel in config.channels} >= {ShedAt.ORANGE, ShedAt.RED}
    # The example shows both wirings, both run modes, and a channel that needs a hand restore.
    assert {channel.wiring for channel in config.channels} == set(Wiring)
    assert {channel.run for channel in config.channels} == set(Run)
    assert any(not channel.auto_restore for channel in config.channels)


# --- [ui] -------------------------------------------------------------------------------------


def test_ui_keys_default_to_none_and_read_a_table_of_strings() -> None:
    assert config_from_dict(_minimal()).ui.keys == {}
    keys = {"select_1": "1,ampersand", "force_off": "x"}
    assert config_from_dict(_with("ui", "keys", keys)).ui.keys == keys


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("1,ampersand", 'ui.keys: expected a table of binding id = "keys"'),
        ({"select_1": 1}, "ui.keys: expected key names as a string for select_1"),
        ({"select_1": " "}, "ui.keys: expected key names as a string for select_1"),
    ],
)
def test_ui_keys_that_are_not_key_names_are_refused(keys: object, expected: str) -> None:
    assert expected in _only_problem(_with("ui", "keys", keys))


def test_ui_keys_round_trip_through_toml() -> None:
    config = config_from_dict(_with("ui", "keys", {"select_0": "0,à"}))
    document = tomllib.loads(tomli_w.dumps(config_to_dict(config)))
    assert config_from_dict(document) == config
