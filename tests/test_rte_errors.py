"""RTE's real failed answers (tests/data/real-bodies/) in words, without a network: each says
what came in one printable line, RTE's long codes are recognised and its description shown."""

from pathlib import Path

import httpx
import pytest

from tui.adapters.rte.errors import (
    answer_words,
    code_suffix,
    error_fields,
    error_instead_of_data,
    one_line,
    status_words,
)
from tui.adapters.rte.session import unexpected
from tui.adapters.rte.tempo import BAD_REQUEST, _bad_request

BODIES = Path(__file__).resolve().parent / "data" / "real-bodies"


def _answer(status: int, name: str) -> httpx.Response:
    return httpx.Response(status, content=(BODIES / name).read_bytes())


@pytest.mark.parametrize(
    ("status", "name", "words"),
    [
        (
            500,
            "ac-err-ecowatt-common-t05.json",
            "HTTP 500 ECOWATT_COMMON_T05: Internal Server Error",
        ),
        (502, "ac-err-502-html.json", "HTTP 502, an HTML page: 502 Bad Gateway"),
        (500, "ac-err-empty.json", "HTTP 500, an empty body"),
        (500, "ac-err-single-space.json", "HTTP 500, a blank body"),
        (
            400,
            "tempo-err-f04-gladys-fixture.json",
            'HTTP 400 TMPLIKSUPCON_TMPLIKCAL_F04: The value of "end_date" field is incorrect. '
            "It is not possible to recover data to this term.",
        ),
    ],
)
def test_each_real_failed_answer_in_one_line(status: int, name: str, words: str) -> None:
    response = _answer(status, name)
    assert status_words(response) == words
    message = str(unexpected(response, "the signals"))
    assert words in message and "\n" not in message and "\r" not in message and "\t" not in message


def test_the_t05_body_keeps_its_crlf_and_tabs_and_is_read_anyway() -> None:
    raw = (BODIES / "ac-err-ecowatt-common-t05.json").read_bytes()
    assert b"\r\n\t" in raw  # the file is RTE's answer as served
    assert error_fields(raw) == ("ECOWATT_COMMON_T05", "Internal Server Error")
    # Served with a 200 it is still RTE's error, not a forecast.
    assert error_instead_of_data(raw) == "ECOWATT_COMMON_T05: Internal Server Error"


def test_a_data_body_is_never_taken_for_an_error() -> None:
    for name in ("ac-2023-02-28-normal.json", "tempo-esp32-2023-02-28.json"):
        assert error_instead_of_data((BODIES / name).read_bytes()) == ""
    assert error_instead_of_data(b'{"signals": [], "error": "X"}') == ""
    assert error_instead_of_data(b"<html></html>") == ""


def test_tempo_codes_are_matched_on_their_suffix_long_or_short() -> None:
    known = set(BAD_REQUEST)
    assert code_suffix("TMPLIKSUPCON_TMPLIKCAL_F04", known) == "F04"
    assert code_suffix("F04", known) == "F04"
    assert code_suffix("TMPLIKSUPCON_TMPLIKCAL_F99", known) == ""
    assert code_suffix("COMMON_ERROR_T03", known) == ""
    real = _bad_request(_answer(400, "tempo-err-f04-gladys-fixture.json"), None)
    assert real.startswith(
        "RTE refused the Tempo query (HTTP 400 TMPLIKSUPCON_TMPLIKCAL_F04: end_date is after D+2;"
        ' RTE says "The value of "end_date" field is incorrect.'
    )
    short = _bad_request(httpx.Response(400, json={"error": "F02"}), None)
    assert "HTTP 400 F02: start_date must be before end_date; asked None" in short
    unknown = _bad_request(httpx.Response(400, json={"error": "TMPLIKSUPCON_X_F99"}), None)
    assert "a code not known here" in unknown
    bare = _bad_request(httpx.Response(400, content=b""), None)
    assert "HTTP 400 without a code" in bare


def test_an_answer_cannot_bring_a_newline_or_a_kilobyte_into_a_line() -> None:
    long = httpx.Response(
        500, json={"error": "ECOWATT_COMMON_T05", "error_description": "x\n\x1b[2J" + "y" * 5000}
    )
    words = answer_words(long)
    assert "\n" not in words and "\x1b" not in words and len(words) < 200
    assert one_line("  a\r\n\tb  ") == "a b"
    assert answer_words(httpx.Response(500, json={"error": "not a code!"})) == ""
    assert answer_words(httpx.Response(500, content=b"<?xml version='1.0'?><e/>")) == (
        "an HTML or XML page"
    )
