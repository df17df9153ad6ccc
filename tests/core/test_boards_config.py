"""Issue 22: the device table and several boards in delestage.toml (pure core)."""

from typing import Any

import pytest

from tui.core.config import (
    CHANNEL_LIMIT,
    BoardKind,
    board_offsets,
    config_from_dict,
    config_to_dict,
)
from tui.core.devices import DEVICES, MODELS, RelayKind, rate_cap_problem
from tui.core.errors import InputError
from tui.core.policy import RATE_LIMIT

PATH = "test.toml"


def channel(index: int, name: str, **more: Any) -> dict[str, Any]:
    return {"index": index, "name": name, "shed_at": "red", **more}


def two_boards(**extra: Any) -> dict[str, Any]:
    return {
        "board": [
            {"name": "tableau", "serial": 111, "model": "1017"},
            {"name": "garage", "serial": 222, "model": "REL1101", "hub_port": 2},
        ],
        "channel": [
            channel(0, "Chauffe-eau", board="tableau"),
            channel(3, "Pompe", board="garage"),
            channel(15, "Dernier", board="garage"),
        ],
        **extra,
    }


def problems(document: dict[str, Any]) -> list[str]:
    with pytest.raises(InputError) as raised:
        config_from_dict(document, PATH)
    return raised.value.problems


# --- the device table ---------------------------------------------------------------------------


def test_the_table_holds_every_board_the_issue_names() -> None:
    assert set(MODELS) == {"1017", "1014", "REL1000", "REL1100", "REL1101"}
    relays = {device.model: device.relays for device in DEVICES}
    assert relays == {"1017": 8, "1014": 4, "REL1000": 4, "REL1100": 4, "REL1101": 16}
    assert len({device.device_id for device in DEVICES}) == len(DEVICES)


def test_the_rate_cap_never_exceeds_any_boards_rated_rate() -> None:
    """The policy's absolute cap holds for every model: mechanical boards are rated 20 a
    minute, solid-state ones have no mechanical limit."""
    assert [rate_cap_problem(RATE_LIMIT, device) for device in DEVICES] == [None] * len(DEVICES)
    for device in DEVICES:
        if device.relay_kind is RelayKind.SOLID_STATE:
            assert device.max_per_minute is None
            assert device.rating.ac_volts is None, "solid-state outputs switch DC only"
        else:
            assert device.max_per_minute is not None and device.max_per_minute >= RATE_LIMIT
    assert rate_cap_problem(30, MODELS["1017"]) == (
        "1017: the rate cap (30 switches a minute) exceeds its rated 20 operations a minute"
    )


def test_a_rating_in_words() -> None:
    assert MODELS["1017"].rating.words() == "250 V AC 2 A, 120 V DC 2 A, at most 60 W / 125 VA"
    assert MODELS["REL1101"].rating.words() == "no AC, 30 V DC 0.5 A"


# --- one board: as before -----------------------------------------------------------------------


def test_a_single_board_keeps_its_indexes_and_has_no_board_list() -> None:
    config = config_from_dict({"board": {"serial": 5}, "channel": [channel(7, "a")]}, PATH)
    assert config.boards == ()
    assert config.all_boards == (config.board,)
    assert config.channels[0].index == 7 and config.channels[0].relay is None
    assert config.channels[0].relay_on_board == 7


def test_a_single_board_with_a_model_takes_its_relay_count() -> None:
    config = config_from_dict(
        {"board": {"model": "rel1101", "serial": 9}, "channel": [channel(15, "a")]}, PATH
    )
    assert config.board.model == "REL1101" and config.board.relays == 16
    assert problems({"board": {"model": "1014"}, "channel": [channel(4, "a")]}) == [
        f"{PATH}: channel[0].index: expected an integer from 0 to 3, got 4"
    ]


def test_an_unknown_model_is_one_line_naming_the_choices() -> None:
    assert problems({"board": {"model": "1018"}, "channel": [channel(0, "a")]}) == [
        f'{PATH}: board.model: expected one of "1017", "1014", "REL1000", "REL1100", '
        '"REL1101", got "1018"'
    ]


# --- several boards -----------------------------------------------------------------------------


def test_channels_are_numbered_across_boards_in_file_order() -> None:
    config = config_from_dict(two_boards(), PATH)
    assert [board.name for board in config.boards] == ["tableau", "garage"]
    assert config.board is config.boards[0]
    assert board_offsets(config.boards) == {"tableau": 0, "garage": 8}
    numbers = {c.name: (c.index, c.board, c.relay_on_board) for c in config.channels}
    assert numbers == {
        "Chauffe-eau": (0, "tableau", 0),
        "Pompe": (11, "garage", 3),
        "Dernier": (23, "garage", 15),
    }


def test_several_boards_load_back_equal_from_what_init_writes() -> None:
    config = config_from_dict(two_boards(), PATH)
    document = config_to_dict(config)
    assert document["channel"][1]["index"] == 3 and document["channel"][1]["board"] == "garage"
    assert "relay" not in document["channel"][1]
    assert config_from_dict(document, PATH) == config


def test_a_single_board_document_has_no_board_names_written() -> None:
    config = config_from_dict({"board": {"kind": "simulated"}, "channel": [channel(1, "a")]})
    document = config_to_dict(config)
    assert "name" not in document["board"]  # type: ignore[operator]  # a table
    assert "board" not in document["channel"][0]  # type: ignore[index]  # a list of tables


def test_up_to_32_channels_over_boards() -> None:
    boards = [
        {"name": f"b{n}", "serial": 100 + n, "model": "REL1101", "kind": "simulated"}
        for n in range(3)
    ]
    channels = [channel(n % 16, f"c{n}", board=f"b{n // 16}") for n in range(CHANNEL_LIMIT)]
    config = config_from_dict({"board": boards, "channel": channels}, PATH)
    assert len(config.channels) == 32
    assert config.channels[-1].index == 31
    too_many = [*channels, channel(0, "extra", board="b2")]
    assert f"{PATH}: channel: expected 1 to 32 [[channel]] tables, got 33" in problems(
        {"board": boards, "channel": too_many}
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["channel"][1].pop("board"),
            "channel[1].board: missing (required with several boards)",
        ),
        (
            lambda d: d["channel"][1].update(board="cave"),
            'channel[1].board: expected the name of a [[board]] ("tableau", "garage"), got "cave"',
        ),
        (
            lambda d: d["channel"][0].update(index=8),
            "channel[0].index: expected an integer from 0 to 7, got 8",
        ),
        (
            lambda d: d["channel"].append(channel(3, "Encore", board="garage")),
            "channel[3].index: 3 on board garage is already used by channel[1]",
        ),
        (
            lambda d: d["board"][1].pop("name"),
            'board[1].name: missing (required with several boards, e.g. "garage")',
        ),
        (
            lambda d: d["board"][1].update(name="tableau"),
            'board[1].name: "tableau" is already used by board[0]',
        ),
        (
            lambda d: d["board"][1].pop("serial"),
            "board[1].serial: missing (required with several Phidget boards: without it any "
            "board matches; `delestage boards` lists the serials)",
        ),
        (
            lambda d: d["board"][1].update(failsafe="2s"),
            'board[1].failsafe: expected the same on every [[board]] ("0s" as board[0]: one '
            'keepalive and one shutdown serve them all), got "2s"',
        ),
        (
            lambda d: d["board"][1].update(name="a b"),
            'board[1].name: expected a board name of letters, digits, - and _ (e.g. "garage"), '
            'got "a b"',
        ),
    ],
)
def test_a_bad_several_board_configuration_is_one_line_naming_the_key(
    change: Any, expected: str
) -> None:
    document = two_boards()
    change(document)
    found = problems(document)
    assert f"{PATH}: {expected}" in found, found


def test_a_simulated_board_among_several_needs_no_serial() -> None:
    document = two_boards()
    document["board"][1] = {"name": "garage", "kind": "simulated", "model": "REL1101"}
    config = config_from_dict(document, PATH)
    assert config.boards[1].kind is BoardKind.SIMULATED


def test_a_single_board_array_is_the_same_as_a_board_table() -> None:
    array = config_from_dict({"board": [{"serial": 5}], "channel": [channel(2, "a")]}, PATH)
    table = config_from_dict({"board": {"serial": 5}, "channel": [channel(2, "a")]}, PATH)
    assert array == table
