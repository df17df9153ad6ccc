"""`[tempo]` and per-channel `shed_tempo` in delestage.toml: off unless present, validated with
one line naming the key, and written back by `init`'s inverse."""

import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tui.core.config import RTE_BASE_URL, Source, TempoConfig, config_from_dict, config_to_dict
from tui.core.errors import InputError
from tui.core.tempo import Colour

SHIPPED = Path(__file__).resolve().parents[2] / "delestage.toml"


def _document(tempo: object = None, **channel: object) -> dict[str, Any]:
    document: dict[str, Any] = {
        "channel": [{"index": 0, "name": "Chauffe-eau", "shed_at": "orange", **channel}]
    }
    if tempo is not None:
        document["tempo"] = tempo
    return document


def _problem(document: dict[str, Any]) -> str:
    with pytest.raises(InputError) as raised:
        config_from_dict(document, path="home.toml")
    assert len(raised.value.problems) == 1, raised.value.problems
    return raised.value.problems[0]


def test_tempo_is_off_unless_the_section_is_present() -> None:
    config = config_from_dict(_document())
    assert config.tempo is None
    assert config.channels[0].shed_tempo == ()
    assert "tempo" not in config_to_dict(config)


def test_an_empty_section_turns_tempo_on_with_rtes_defaults() -> None:
    config = config_from_dict(_document({}))
    assert config.tempo == TempoConfig(source=Source.RTE, base_url=RTE_BASE_URL, file=None)


def test_every_key_is_read() -> None:
    tempo = {"source": "file", "file": "tempo.json", "base_url": "http://127.0.0.1:8080/"}
    config = config_from_dict(_document(tempo, shed_tempo=["red", "white", "red"]))
    assert config.tempo == TempoConfig(Source.FILE, "http://127.0.0.1:8080", "tempo.json")
    assert config.channels[0].shed_tempo == (Colour.RED, Colour.WHITE)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (_document("rte"), 'home.toml: tempo: expected a table [tempo], got "rte"'),
        (_document({"source": "edf"}), 'home.toml: tempo.source: expected one of "rte"'),
        (_document({"source": "file"}), "home.toml: tempo.file: expected a path"),
        (_document({"base_url": "ftp://x"}), "home.toml: tempo.base_url: expected a URL"),
        (_document({"colour": "red"}), "home.toml: tempo.colour: unknown key"),
        (
            _document(shed_tempo="red"),
            'home.toml: channel[0].shed_tempo: expected a list of Tempo colours among "red" and '
            '"white" (e.g. ["red"]), got "red"',
        ),
        (_document(shed_tempo=["blue"]), "home.toml: channel[0].shed_tempo: expected a list"),
        (_document(shed_tempo=["RED"]), "home.toml: channel[0].shed_tempo: expected a list"),
        (
            _document(shed_tempo=["red"], shed_at="never"),
            'home.toml: channel[0].shed_tempo: a channel with shed_at = "never" is never cut',
        ),
    ],
)
def test_bad_values_are_one_line_naming_the_key(document: dict[str, Any], expected: str) -> None:
    assert _problem(document).startswith(expected)


def test_a_tempo_config_round_trips_through_toml() -> None:
    config = config_from_dict(_document({"source": "sandbox"}, shed_tempo=["white"]))
    document = tomllib.loads(tomli_w.dumps(config_to_dict(config)))
    assert config_from_dict(document) == config


def test_the_shipped_demo_shows_tempo_at_work() -> None:
    with SHIPPED.open("rb") as handle:
        config = config_from_dict(tomllib.load(handle), path=str(SHIPPED))
    assert config.tempo is not None and config.tempo.source is Source.DEMO
    listed = [channel.shed_tempo for channel in config.channels]
    assert (Colour.RED,) in listed and (Colour.RED, Colour.WHITE) in listed and () in listed


def test_the_tempo_pages_tempo_home_is_a_valid_configuration() -> None:
    page = (SHIPPED.parent / "docs" / "tempo.md").read_text(encoding="utf-8")
    section = page.split("# Tempo red and white days", 1)[1]
    # The page's whole home (its other blocks are one section each, e.g. the fallback's).
    blocks = [block.split("```", 1)[0] for block in section.split("```toml\n")[1:]]
    sample = next(block for block in blocks if "[[channel]]" in block)
    config = config_from_dict(tomllib.loads(sample), path="docs/tempo.md")
    assert config.tempo is not None and config.tempo.source is Source.RTE
    assert [channel.shed_tempo for channel in config.channels] == [
        (Colour.RED, Colour.WHITE),
        (Colour.RED,),
        (Colour.RED, Colour.WHITE),
        (),
    ]
