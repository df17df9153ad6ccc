"""The Ecowatt client and the rte/sandbox sources, over real HTTP against the fake RTE.

Time is a ManualClock shared by the client and the fake: tokens expire, quotas pass and backoffs
run out when the test says so, not after real waits.
"""

import json
import random
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.fake_rte import (
    CLIENT_ID,
    CLIENT_SECRET,
    SANDBOX_PATH,
    SIGNALS_PATH,
    TOKEN_PATH,
    FakeRte,
)

from tui.adapters.clock import ManualClock
from tui.adapters.rte.cache import BodyCache
from tui.adapters.rte.credentials import Credentials
from tui.adapters.rte.ecowatt import EcowattClient, cache_path, ecowatt_source
from tui.adapters.rte.quota import QuotaGate
from tui.adapters.rte.session import parse_retry_after
from tui.adapters.rte.source import RteSource
from tui.adapters.sources.factory import make_source
from tui.core.config import ChannelConfig, Config, EcowattConfig, ShedAt, Source
from tui.core.forecast import Level

T0 = datetime(2024, 11, 21, 9, tzinfo=UTC)  # 10:00 in Paris
ENVIRON = {"ECOWATT_CLIENT_ID": CLIENT_ID, "ECOWATT_CLIENT_SECRET": CLIENT_SECRET}
MINUTE = timedelta(minutes=1)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def rte(clock: ManualClock) -> Iterator[FakeRte]:
    with FakeRte(clock=clock.now, slow_seconds=1.0) as fake:
        yield fake


def config_for(url: str, source: Source = Source.RTE, timeout: float = 5.0) -> Config:
    return Config(
        channels=(ChannelConfig(index=0, name="x", shed_at=ShedAt.ORANGE),),
        ecowatt=EcowattConfig(source=source, base_url=url, timeout=timedelta(seconds=timeout)),
    )


def live(
    rte: FakeRte, state: Path, source: Source = Source.RTE, timeout: float = 5.0, seed: int = 1
) -> RteSource:
    made = make_source(config_for(rte.url, source, timeout), state, environ=ENVIRON)
    assert isinstance(made, RteSource)
    made._rng = random.Random(seed)
    return made


# --- tokens --------------------------------------------------------------------------------------


async def test_the_token_is_reused_until_shortly_before_it_expires(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    source = live(rte, tmp_path)
    try:
        for _ in range(3):  # 0, 30 and 60 minutes: one token (valid 7199 s)
            assert (await source.refresh(clock.now())).data is not None
            clock.advance(1800)
        assert rte.token_calls == 1
        clock.set(T0 + timedelta(seconds=7199 - 30))  # inside the renewal margin
        assert (await source.refresh(clock.now())).data is not None
        assert rte.token_calls == 2
        assert rte.count(SIGNALS_PATH, 401) == 0  # renewed in time, never refused
        assert rte.signals_calls == 4
    finally:
        await source.aclose()


async def test_a_401_renews_the_token_once_and_retries_once(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    source = live(rte, tmp_path)
    try:
        await source.refresh(clock.now())
        clock.advance(1800)
        rte.fail_next("expired")  # RTE forgets every token it issued
        result = await source.refresh(clock.now())
        assert result.data is not None and result.error is None
        assert rte.token_calls == 2
        assert rte.count(SIGNALS_PATH, 401) == 1
        assert rte.count(SIGNALS_PATH, 200) == 2
    finally:
        await source.aclose()


async def test_a_second_401_is_reported_not_retried_again(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    source = live(rte, tmp_path)
    try:
        rte.fail_next("expired", "expired")
        result = await source.refresh(clock.now())
        assert result.data is None and result.called
        assert "401" in result.error and "Ecowatt v5" in result.error
        assert rte.signals_calls == 2 and rte.token_calls == 2
    finally:
        await source.aclose()


async def test_bad_credentials_say_so(rte: FakeRte, clock: ManualClock, tmp_path: Path) -> None:
    environ = {"ECOWATT_CLIENT_ID": CLIENT_ID, "ECOWATT_CLIENT_SECRET": "wrong"}
    source = make_source(config_for(rte.url), tmp_path, environ=environ)
    try:
        result = await source.refresh(clock.now())
        assert result.data is None
        assert "rejected the credentials from the environment" in result.error
        assert "HTTP 401 invalid_client" in result.error
        assert rte.signals_calls == 0
    finally:
        await source.aclose()


async def test_403_says_to_subscribe_to_ecowatt_v5(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    rte.forbid_v5 = True
    source = live(rte, tmp_path)
    try:
        result = await source.refresh(clock.now())
        assert result.data is None
        assert "403" in result.error
        assert "subscribe the application to Ecowatt v5 on RTE's portal" in result.error
    finally:
        await source.aclose()


# --- quota ---------------------------------------------------------------------------------------


async def test_manual_refresh_within_the_quota_says_when_without_calling(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    source = live(rte, tmp_path)
    try:
        await source.refresh(clock.now())
        clock.advance(300)
        result = await source.refresh(clock.now(), manual=True)
        assert result.data is None and not result.called
        assert result.error == "quota: next call allowed at 10:15"  # Paris time
        assert result.retry_at == T0 + timedelta(seconds=900)
        assert rte.signals_calls == 1
        clock.set(T0 + timedelta(seconds=900))
        assert (await source.refresh(clock.now(), manual=True)).called
        assert rte.signals_calls == 2
    finally:
        await source.aclose()


async def test_429_is_honoured_through_retry_after_by_every_process(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    rte.last_call = T0 - timedelta(seconds=300)  # someone else used the application's quota
    rte.retry_after = 3600
    source = live(rte, tmp_path)
    try:
        result = await source.refresh(clock.now())
        assert result.called and result.data is None
        assert result.retry_at == T0 + timedelta(seconds=3600)
        assert "429" in result.error and "next call allowed at 11:00" in result.error
        assert source.next_refresh(clock.now()) == T0 + timedelta(seconds=3600)
        # Neither this process, even on request, nor a restarted one calls before then.
        clock.set(T0 + timedelta(seconds=3599))
        assert not (await source.refresh(clock.now(), manual=True)).called
        restarted = live(rte, tmp_path)
        try:
            held = await restarted.refresh(clock.now(), manual=True)
            assert not held.called
            assert held.error == "quota: next call allowed at 11:00"
            assert restarted.next_refresh(clock.now()) == T0 + timedelta(seconds=3600)
        finally:
            await restarted.aclose()
        assert rte.signals_calls == 1
        clock.set(T0 + timedelta(seconds=3600))
        assert (await source.refresh(clock.now())).data is not None
        assert rte.signals_calls == 2
    finally:
        await source.aclose()


async def test_a_short_retry_after_still_leaves_our_own_900_s(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    rte.last_call = T0 - timedelta(seconds=800)  # Retry-After: 100
    source = live(rte, tmp_path)
    try:
        result = await source.refresh(clock.now())
        assert result.retry_at == T0 + timedelta(seconds=900)  # the call we made counts
        assert source.next_refresh(clock.now()) == T0 + timedelta(seconds=900)
        clock.set(T0 + timedelta(seconds=900))
        assert (await source.refresh(clock.now())).data is not None
        assert rte.count(SIGNALS_PATH, 429) == 1
    finally:
        await source.aclose()


def test_retry_after_forms() -> None:
    assert parse_retry_after("120", T0) == timedelta(seconds=120)
    assert parse_retry_after("Thu, 21 Nov 2024 09:05:00 GMT", T0) == timedelta(minutes=5)
    assert parse_retry_after(None, T0) == timedelta(seconds=900)
    assert parse_retry_after("soon", T0) == timedelta(seconds=900)


async def test_the_sandbox_has_no_quota_and_rte_quirks_are_absorbed(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    source = live(rte, tmp_path, Source.SANDBOX)
    try:
        first = await source.refresh(clock.now())
        second = await source.refresh(clock.now(), manual=True)
        assert first.data is not None and second.data is not None
        assert rte.count(SANDBOX_PATH, 200) == 2 and rte.signals_calls == 0
        forecast = first.data
        assert forecast.source == "sandbox"
        assert [day.jour.day for day in forecast.days] == [4, 5, 6, 7]  # sorted
        assert forecast.days[0].message == "Situation normale."  # stripped
        june_4 = datetime(2022, 6, 4, tzinfo=UTC)
        assert forecast.level_at(june_4 + timedelta(hours=4)) is None  # 06:00 CEST: missing
        assert forecast.level_at(june_4 + timedelta(hours=1)) is Level.LOW_CARBON
        assert not (tmp_path / "ecowatt-quota.json").exists()
    finally:
        await source.aclose()


# --- faults keep the last forecast ---------------------------------------------------------------

FAULTS = {
    # RTE's real failed answers (tests/data/real-bodies/), each one line that says what came.
    "500": "server failed on the signals (HTTP 500 ECOWATT_COMMON_T05: Internal Server Error)",
    "t03": "(HTTP 500 COMMON_ERROR_T03: Error code unknown)",
    "502": "RTE's server failed on the signals (HTTP 502, an HTML page: 502 Bad Gateway)",
    "blank-200": "RTE answered with an empty body",
    "empty-200": "RTE answered with an empty body",
    "blank-500": "(HTTP 500, a blank body)",
    "empty-500": "(HTTP 500, an empty body)",
    "t05-200": "RTE answered the signals with its error ECOWATT_COMMON_T05: Internal Server Error",
    "503": "HTTP 503",
    "slow": "timeout",
    "truncated": "cut short",
    "malformed": "not a valid forecast",
    "empty": "no hours",
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_faults_keep_the_last_good_forecast(
    rte: FakeRte, clock: ManualClock, tmp_path: Path, fault: str
) -> None:
    # A short timeout only where it is the fault (the fake answers "slow" after 2 s): the good
    # first answer must never miss it on a loaded machine.
    source = live(rte, tmp_path, timeout=1.0 if fault == "slow" else 5.0)
    try:
        good = (await source.refresh(clock.now())).data
        assert good is not None
        cached = (tmp_path / "ecowatt-cache-rte.json").read_bytes()
        clock.advance(1800)
        rte.fail_next(fault)
        result = await source.refresh(clock.now())
        assert result.data is None and result.called
        assert FAULTS[fault] in result.error
        assert "keeping the forecast from 10:00" in result.error
        assert "\n" not in result.error
        assert source.last == good
        assert source.load_cached(clock.now()) == good
        assert (tmp_path / "ecowatt-cache-rte.json").read_bytes() == cached
    finally:
        await source.aclose()


async def test_a_failure_with_nothing_cached_says_so(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    source = live(rte, tmp_path)
    try:
        rte.fail_next("500")
        result = await source.refresh(clock.now())
        assert "no forecast yet" in result.error
    finally:
        await source.aclose()


async def test_connection_refused_is_a_fault_like_the_others(
    clock: ManualClock, tmp_path: Path
) -> None:
    with FakeRte(clock=clock.now) as gone:
        url = gone.url
    credentials = Credentials.from_pair(CLIENT_ID, CLIENT_SECRET, "the environment")
    source = ecowatt_source(
        EcowattClient(url, credentials, timeout=2.0),
        kind="rte",
        cache=BodyCache(cache_path(tmp_path, "rte"), "rte"),
        gate=QuotaGate(tmp_path),
    )
    try:
        result = await source.refresh(clock.now())
        assert "cannot connect to RTE" in result.error
        # Nothing reached RTE, so no call was spent: the next try is a minute or so away (a
        # network still coming up at boot), not the quota's 15 minutes (issue 21, item 13).
        first = result.retry_at - T0
        assert timedelta(minutes=1) <= first <= timedelta(minutes=1.25)
        assert source.next_refresh(clock.now()) == result.retry_at
        assert QuotaGate(tmp_path).next_allowed(clock.now()) <= clock.now()
        clock.set(result.retry_at)
        again = await source.refresh(clock.now())
        assert again.called and "cannot connect to RTE" in again.error
        assert timedelta(minutes=2) <= again.retry_at - clock.now() <= timedelta(minutes=2.5)
    finally:
        await source.aclose()


# --- backoff -------------------------------------------------------------------------------------


async def test_backoff_doubles_with_jitter_on_the_sandbox(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    source = live(rte, tmp_path, Source.SANDBOX, seed=7)
    try:
        delays = []
        for attempt in range(7):
            rte.fail_next("503")
            result = await source.refresh(clock.now())
            assert result.called, attempt
            delays.append(result.retry_at - clock.now())
            assert source.next_refresh(clock.now()) == result.retry_at
            # An automatic refresh before the retry time makes no call.
            clock.set(result.retry_at - timedelta(seconds=1))
            early = await source.refresh(clock.now())
            assert not early.called and early.retry_at == result.retry_at
            clock.set(result.retry_at)
        nominal = [MINUTE * 2**n for n in range(5)] + [30 * MINUTE, 30 * MINUTE]
        for delay, expected in zip(delays, nominal, strict=True):
            assert expected <= delay < expected * 1.25
        assert len(set(delays)) == len(delays)  # jittered, not lock-step
        assert rte.count(SANDBOX_PATH) == 7
        # Success resets the schedule.
        assert (await source.refresh(clock.now())).data is not None
        assert source.next_refresh(clock.now()) == clock.now() + 30 * MINUTE
    finally:
        await source.aclose()


async def test_backoff_on_rte_never_beats_the_quota_and_grows(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    source = live(rte, tmp_path)
    try:
        delays = []
        for _ in range(5):
            rte.fail_next("500")
            result = await source.refresh(clock.now())
            assert result.called
            delays.append(result.retry_at - clock.now())
            clock.set(result.retry_at)
        nominal = [15 * MINUTE, 30 * MINUTE, 60 * MINUTE, 120 * MINUTE, 120 * MINUTE]
        for delay, expected in zip(delays, nominal, strict=True):
            assert timedelta(seconds=900) <= expected <= delay < expected * 1.25
        assert rte.count(SIGNALS_PATH, 500) == 5
    finally:
        await source.aclose()


# --- the cache -----------------------------------------------------------------------------------


async def test_a_restart_has_the_forecast_without_calling_rte(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    first = live(rte, tmp_path)
    fetched = (await first.refresh(clock.now())).data
    await first.aclose()
    requests = len(rte.requests)

    clock.advance(600)
    restarted = live(rte, tmp_path)
    try:
        forecast = restarted.load_cached(clock.now())
        assert forecast == fetched
        assert forecast.fetched == T0
        assert restarted.next_refresh(clock.now()) == T0 + 30 * MINUTE
        assert len(rte.requests) == requests  # not even a token
    finally:
        await restarted.aclose()


async def test_a_forecast_fetched_by_another_process_is_adopted_without_a_call(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    service = live(rte, tmp_path)
    checker = live(rte, tmp_path)
    try:
        await service.refresh(clock.now())
        clock.advance(1800)
        assert (await checker.refresh(clock.now(), manual=True)).called
        clock.advance(120)
        result = await service.refresh(clock.now())
        assert result.data is not None and not result.called
        assert result.data.fetched == T0 + 30 * MINUTE
        assert service.next_refresh(clock.now()) == T0 + 60 * MINUTE
        assert rte.signals_calls == 2
    finally:
        await service.aclose()
        await checker.aclose()


async def test_a_success_elsewhere_ends_the_backoff(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    service = live(rte, tmp_path)
    checker = live(rte, tmp_path)
    try:
        rte.fail_next("500")
        failed = await service.refresh(clock.now())
        assert failed.retry_at >= T0 + 15 * MINUTE
        clock.set(T0 + 15 * MINUTE)
        assert (await checker.refresh(clock.now(), manual=True)).data is not None
        clock.advance(60)
        adopted = await service.refresh(clock.now())
        assert adopted.data is not None and not adopted.called
        assert service.retry_at is None
        assert service.next_refresh(clock.now()) == T0 + 45 * MINUTE
    finally:
        await service.aclose()
        await checker.aclose()


async def test_a_corrupt_cache_is_ignored(rte: FakeRte, clock: ManualClock, tmp_path: Path) -> None:
    (tmp_path / "ecowatt-cache-rte.json").write_text('{"format": 1, "body": ')
    source = live(rte, tmp_path)
    try:
        assert source.load_cached(clock.now()) is None
        assert (await source.refresh(clock.now())).data is not None
    finally:
        await source.aclose()


async def test_sandbox_data_never_passes_for_live_data(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    sandbox = live(rte, tmp_path, Source.SANDBOX)
    await sandbox.refresh(clock.now())
    await sandbox.aclose()
    production = live(rte, tmp_path)
    try:
        assert production.load_cached(clock.now()) is None
    finally:
        await production.aclose()


# --- two processes -------------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import asyncio, json, sys
    from datetime import datetime, timedelta
    from pathlib import Path
    from tui.adapters.sources.factory import make_source
    from tui.core.config import ChannelConfig, Config, EcowattConfig, ShedAt, Source

    url, state, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    now = datetime.fromisoformat(sys.argv[4])
    config = Config(
        channels=(ChannelConfig(index=0, name="x", shed_at=ShedAt.ORANGE),),
        ecowatt=EcowattConfig(source=Source.RTE, base_url=url, timeout=timedelta(seconds=10)),
    )
    source = make_source(config, state)

    async def main():
        while not go.exists():
            await asyncio.sleep(0.005)
        result = await source.refresh(now)
        await source.aclose()
        return result

    result = asyncio.run(main())
    print(json.dumps({"called": result.called, "error": result.error,
                      "forecast": result.data is not None}))
    """
)


def test_two_processes_sharing_a_state_directory_make_one_call(tmp_path: Path) -> None:
    state = tmp_path / "state"
    now = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # both processes, and the fake, at one instant
    with FakeRte(clock=lambda: now) as rte:
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    rte.url,
                    str(state),
                    str(tmp_path / "go"),
                    now.isoformat(),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={"ECOWATT_CLIENT_ID": CLIENT_ID, "ECOWATT_CLIENT_SECRET": CLIENT_SECRET},
            )
            for _ in range(2)
        ]
        (tmp_path / "go").touch()
        outputs = [process.communicate(timeout=60) for process in processes]
        for process, (_, stderr) in zip(processes, outputs, strict=True):
            assert process.returncode == 0, stderr
        results = [json.loads(stdout) for stdout, _ in outputs]
        assert rte.signals_calls == 1
        assert rte.count(SIGNALS_PATH, 429) == 0
    assert sorted(result["called"] for result in results) == [False, True]
    held = next(result for result in results if not result["called"])
    assert held["forecast"] or held["error"].startswith("quota: next call allowed at")


def test_the_client_never_disables_tls_verification() -> None:
    adapters = Path(__file__).resolve().parent.parent / "tui" / "adapters"
    # The HTTP session (token and requests) is shared by the Ecowatt and Tempo clients.
    session = (adapters / "rte" / "session.py").read_text()
    for path in (adapters / "rte" / "session.py", adapters / "rte" / "ecowatt.py"):
        text = path.read_text()
        assert "verify=False" not in text and "verify = False" not in text
    assert TOKEN_PATH in session
