"""The Tempo client and sources over real HTTP on loopback, against the fake RTE's Tempo
endpoints: the query RTE wants, the three kinds of fault, the shared token and the schedule.

Time is a ManualClock shared by the client and the fake.
"""

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from support.fake_rte import (
    CLIENT_ID,
    CLIENT_SECRET,
    TEMPO_PATH,
    TEMPO_SANDBOX_PATH,
    TOKEN_PATH,
    FakeRte,
)

from tui.adapters.clock import ManualClock
from tui.adapters.rte.credentials import Credentials
from tui.adapters.rte.session import RteSession
from tui.adapters.rte.source import RteSource
from tui.adapters.rte.tempo import BadRequestError, TempoClient, query, tempo_cache_path
from tui.adapters.sources.factory import make_source
from tui.adapters.tempo.factory import make_tempo_source
from tui.core.config import (
    ChannelConfig,
    Config,
    EcowattConfig,
    ShedAt,
    Source,
    TempoConfig,
)
from tui.core.forecast import PARIS
from tui.core.tempo import Colour, TempoCalendar, TempoDay

ENVIRON = {"ECOWATT_CLIENT_ID": CLIENT_ID, "ECOWATT_CLIENT_SECRET": CLIENT_SECRET}
T0 = datetime(2026, 12, 1, 8, tzinfo=PARIS).astimezone(UTC)  # Tuesday 08:00 in Paris
CREDENTIALS = Credentials.from_pair(CLIENT_ID, CLIENT_SECRET, "the test")
WEEK = TempoCalendar(
    (
        TempoDay(date(2026, 11, 30), Colour.BLUE),
        TempoDay(date(2026, 12, 1), Colour.RED),
        TempoDay(date(2026, 12, 2), Colour.WHITE),
        TempoDay(date(2026, 12, 3), Colour.RED),
    )
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def rte(clock: ManualClock) -> Iterator[FakeRte]:
    with FakeRte(clock=clock.now, slow_seconds=3.0) as fake:
        fake.tempo = WEEK
        yield fake


def config_for(url: str, source: Source = Source.RTE, timeout: float = 5.0) -> Config:
    return Config(
        channels=(ChannelConfig(index=0, name="x", shed_at=ShedAt.ORANGE),),
        ecowatt=EcowattConfig(source=Source.RTE, base_url=url, timeout=timedelta(seconds=timeout)),
        tempo=TempoConfig(source=source, base_url=url),
    )


def tempo_source(rte: FakeRte, state: Path, source: Source = Source.RTE, **kw: float) -> RteSource:
    made = make_tempo_source(config_for(rte.url, source, **kw), state, environ=ENVIRON)
    assert isinstance(made, RteSource)
    made._rng = random.Random(1)
    return made


def paris(day: int, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime(2026, 12, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


# --- the query --------------------------------------------------------------------------------


async def test_the_query_is_yesterday_to_the_end_of_tomorrow_as_rte_writes_dates(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    source = tempo_source(rte, tmp_path)
    try:
        result = await source.refresh(clock.now())
        assert result.error is None and result.called
        calendar = result.data
        assert isinstance(calendar, TempoCalendar)
        # Tomorrow (the 2nd) is not published before 10:30 on the 1st.
        assert [(d.day, d.colour) for d in calendar.days] == [
            (date(2026, 11, 30), Colour.BLUE),
            (date(2026, 12, 1), Colour.RED),
        ]
    finally:
        await source.aclose()
    (request,) = [r for r in rte.requests if r.path == TEMPO_PATH]
    assert request.status == 200 and request.accept == "application/json"
    assert "%2B01%3A00" in request.query  # the + of the offset encoded, as RTE requires
    assert parse_qs(request.query) == {
        "start_date": ["2026-11-30T00:00:00+01:00"],
        "end_date": ["2026-12-03T00:00:00+01:00"],  # exclusive, D+2 at most
    }


def test_the_query_carries_each_days_own_offset() -> None:
    assert query(datetime(2026, 3, 28, 12, tzinfo=UTC)) == {
        "start_date": "2026-03-27T00:00:00+01:00",
        "end_date": "2026-03-30T00:00:00+02:00",
    }


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"start_date": "2026-11-30T00:00:00+01:00"}, "F01"),
        (
            {"start_date": "2026-12-02T00:00:00+01:00", "end_date": "2026-12-01T00:00:00+01:00"},
            "F02",
        ),
        (
            {"start_date": "2025-11-30T00:00:00+01:00", "end_date": "2026-12-02T00:00:00+01:00"},
            "F03",
        ),
        (
            {"start_date": "2026-12-01T00:00:00+01:00", "end_date": "2026-12-04T00:00:00+01:00"},
            "F04",
        ),
        (
            {"start_date": "2026-12-01T00:00:00+01:00", "end_date": "2026-12-01T12:00:00+01:00"},
            "F05",
        ),
        ({"start_date": "2026-12-01", "end_date": "2026-12-02"}, "F06"),
        ({"fallback_status": "yes"}, "F07"),
    ],
)
async def test_the_fake_refuses_bad_queries_with_rtes_codes_and_the_client_names_them(
    rte: FakeRte,
    clock: ManualClock,
    params: dict[str, str],
    code: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tui.adapters.rte.tempo as client_module

    monkeypatch.setattr(client_module, "query", lambda now: params)
    client = TempoClient(rte.url, CREDENTIALS)
    try:
        with pytest.raises(BadRequestError) as raised:
            await client.fetch_calendars(clock.now())
    finally:
        await client.aclose()
    assert raised.value.status == 400
    message = str(raised.value)
    # RTE's long code, what it means, and RTE's own description (F04's as really served).
    said = f"HTTP 400 TMPLIKSUPCON_TMPLIKCAL_{code}: {client_module.BAD_REQUEST[code]}; RTE says"
    assert said in message
    if code == "F04":
        assert 'RTE says "The value of "end_date" field is incorrect. It is not possible' in message
    assert "\n" not in message


async def test_a_bare_plus_is_a_bad_date_for_rte(rte: FakeRte, clock: ManualClock) -> None:
    async with httpx.AsyncClient() as http:
        token = (
            await http.post(
                rte.url + TOKEN_PATH, headers={"Authorization": CREDENTIALS.authorization()}
            )
        ).json()["access_token"]
        dates = "start_date=2026-11-30T00:00:00+01:00&end_date=2026-12-02T00:00:00+01:00"
        url = f"{rte.url}{TEMPO_PATH}?{dates}"
        answer = await http.get(url, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 400 and answer.json()["error"] == "TMPLIKSUPCON_TMPLIKCAL_F06"


# --- faults -----------------------------------------------------------------------------------


async def test_403_says_not_subscribed_to_tempo(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    rte.forbid_tempo = True
    source = tempo_source(rte, tmp_path)
    try:
        result = await source.refresh(clock.now())
    finally:
        await source.aclose()
    assert result.data is None and result.called
    assert result.error is not None and "HTTP 403" in result.error
    assert "not subscribed to Tempo" in result.error


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("500", "(HTTP 500 COMMON_ERROR_T03: Error code unknown)"),
        ("t05-200", "with its error ECOWATT_COMMON_T05: Internal Server Error"),
        ("502", "(HTTP 502, an HTML page: 502 Bad Gateway)"),
        ("blank-200", "RTE answered the Tempo calendar with an empty body"),
        ("empty-200", "RTE answered the Tempo calendar with an empty body"),
        ("blank-500", "(HTTP 500, a blank body)"),
        ("empty-500", "(HTTP 500, an empty body)"),
        ("503", "HTTP 503"),
        ("slow", "timeout"),
        ("truncated", "cut short"),
        ("malformed", "not a valid Tempo calendar"),
    ],
)
async def test_faults_keep_the_cached_calendar_and_back_off(
    rte: FakeRte, clock: ManualClock, tmp_path: Path, fault: str, said: str
) -> None:
    # A short timeout only where it is the fault (the fake answers "slow" after 3 s): the good
    # answers must never miss it on a loaded machine.
    source = tempo_source(rte, tmp_path, timeout=1.0 if fault == "slow" else 5.0)
    try:
        assert (await source.refresh(clock.now())).data is not None
        cached = tempo_cache_path(tmp_path, "rte").read_bytes()
        clock.set(paris(1, "10:45"))
        rte.fail_next_tempo(fault)
        result = await source.refresh(clock.now())
        assert result.data is None and result.called and result.error is not None
        assert said in result.error and "\n" not in result.error, result.error
        assert "keeping the Tempo calendar from 08:00" in result.error
        assert tempo_cache_path(tmp_path, "rte").read_bytes() == cached
        assert source.last is not None and source.last.colour(date(2026, 12, 1)) is Colour.RED
        # Backed off at least 15 minutes, then it gets through and tomorrow is there.
        retry = source.next_refresh(clock.now())
        assert retry >= clock.now() + timedelta(minutes=15)
        clock.set(retry)
        again = await source.refresh(clock.now())
        assert again.data is not None
        assert again.data.colour(date(2026, 12, 2)) is Colour.WHITE  # type: ignore[union-attr]
    finally:
        await source.aclose()


async def test_the_cache_survives_a_restart_and_garbage_in_it_is_ignored(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    first = tempo_source(rte, tmp_path)
    await first.refresh(clock.now())
    await first.aclose()
    again = tempo_source(rte, tmp_path)
    cached = again.load_cached(clock.now())
    assert isinstance(cached, TempoCalendar) and cached.colour(date(2026, 12, 1)) is Colour.RED
    assert again.next_refresh(clock.now()) == paris(1, "10:40")  # no call at restart: fresh
    await again.aclose()
    tempo_cache_path(tmp_path, "rte").write_text("{not json", encoding="utf-8")
    broken = tempo_source(rte, tmp_path)
    assert broken.load_cached(clock.now()) is None
    # Nothing usable: due now, but never within 15 minutes of the last call (08:00).
    assert broken.next_refresh(clock.now()) == paris(1, "08:15")
    await broken.aclose()


async def test_the_sandbox_shape(rte: FakeRte, clock: ManualClock, tmp_path: Path) -> None:
    source = tempo_source(rte, tmp_path, Source.SANDBOX)
    try:
        result = await source.refresh(clock.now())
    finally:
        await source.aclose()
    assert isinstance(result.data, TempoCalendar)
    assert [(d.day, d.colour) for d in result.data.days] == [(date(2016, 3, 12), Colour.BLUE)]
    (request,) = [r for r in rte.requests if r.path == TEMPO_SANDBOX_PATH]
    assert request.query == ""  # the sandbox takes no parameters


# --- one token for both APIs ----------------------------------------------------------------------


async def test_ecowatt_and_tempo_share_one_token(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    config = config_for(rte.url)
    ecowatt = make_source(config, tmp_path, environ=ENVIRON)
    assert isinstance(ecowatt, RteSource)
    tempo = make_tempo_source(config, tmp_path, ENVIRON, session=ecowatt.client.session)
    assert isinstance(tempo, RteSource)
    try:
        assert (await ecowatt.refresh(clock.now())).data is not None
        assert (await tempo.refresh(clock.now())).data is not None
    finally:
        await ecowatt.aclose()
        assert tempo.client.session._http is not None  # still open for Tempo
        await tempo.aclose()
    assert rte.token_calls == 1
    assert tempo.client.session._http is None  # the last sharer closed it


def test_a_session_is_shared_only_with_the_same_rte(tmp_path: Path) -> None:
    session = RteSession("http://127.0.0.1:1", CREDENTIALS)
    other = make_tempo_source(config_for("http://127.0.0.1:2"), tmp_path, ENVIRON, session=session)
    assert isinstance(other, RteSource) and other.client.session is not session


# --- the schedule -----------------------------------------------------------------------------


async def test_the_schedule_follows_the_publication(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    rte.tempo_delay = timedelta(minutes=50)  # published late, at 11:20
    source = tempo_source(rte, tmp_path)
    calls: list[str] = []
    try:
        # At start (08:00) one call; then nothing until 10:40.
        end = paris(2, "12:00")
        while clock.now() < end:
            due = source.next_refresh(clock.now())
            if due > end:
                break
            clock.set(due)
            result = await source.refresh(clock.now())
            if result.called:
                calls.append(clock.now().astimezone(PARIS).strftime("%d %H:%M"))
    finally:
        await source.aclose()
    # 10:40 and 10:55 find nothing; 11:25 (30 min later) finds the white day; then nothing
    # until 10:40 the next day, where the same happens.
    assert calls == [
        *("01 08:00", "01 10:40", "01 10:55", "01 11:25"),
        *("02 10:40", "02 10:55", "02 11:25"),
    ]
    assert all(r.status == 200 for r in rte.requests if r.path == TEMPO_PATH)


async def test_never_two_calls_within_15_minutes_across_processes(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    one, two = tempo_source(rte, tmp_path), tempo_source(rte, tmp_path)
    try:
        clock.set(paris(1, "10:45"))
        assert (await one.refresh(clock.now(), manual=True)).called
        clock.advance(60)
        blocked = await two.refresh(clock.now(), manual=True)
        assert not blocked.called and blocked.error is not None
        assert blocked.error.startswith("quota: next call allowed at 11:00")
    finally:
        await one.aclose()
        await two.aclose()
    assert rte.tempo_calls == 1


async def test_a_calendar_from_the_future_does_not_stop_the_polling(
    rte: FakeRte, tmp_path: Path
) -> None:
    # Fetched two days ahead (the clock then went back): due as if fetched now.
    source = tempo_source(rte, tmp_path)
    try:
        calendar = TempoCalendar(WEEK.days[:2], fetched=paris(3, "11:00"))
        assert source.schedule.due(calendar, paris(1, "11:00")) == paris(1, "11:15")
    finally:
        await source.aclose()


async def test_a_401_on_the_tempo_call_renews_the_shared_token_once(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    source = tempo_source(rte, tmp_path)
    try:
        assert (await source.refresh(clock.now())).data is not None
        clock.set(paris(1, "08:30"))  # the token (2 h) is still good
        rte.fail_next_tempo("expired")  # RTE forgets every token it issued
        result = await source.refresh(clock.now(), manual=True)
        assert result.data is not None and result.error is None
    finally:
        await source.aclose()
    assert rte.token_calls == 2
    assert rte.count(TEMPO_PATH, 401) == 1 and rte.count(TEMPO_PATH, 200) == 2
