"""The four forecast sources behind one protocol, the factory, and `check`'s forecast line."""

import io
import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from support.fake_rte import (
    CLIENT_ID,
    CLIENT_SECRET,
    SIGNALS_PATH,
    TOKEN_PATH,
    FakeRte,
    production_body,
)

from tui.adapters.clock import ManualClock
from tui.adapters.rte.credentials import CredentialsError
from tui.adapters.rte.source import RteSource
from tui.adapters.sources.base import ForecastSource
from tui.adapters.sources.check import check_source
from tui.adapters.sources.demo import DemoSource
from tui.adapters.sources.factory import make_source
from tui.adapters.sources.file import FileSource
from tui.core.config import ChannelConfig, Config, EcowattConfig, ShedAt, Source
from tui.core.demo_forecast import demo_forecast
from tui.core.errors import InputError
from tui.core.forecast import PARIS, paris_midnight
from tui.frontends.check import run_check

T0 = datetime(2024, 12, 2, 9, 30, tzinfo=UTC)  # 10:30 in Paris
ENVIRON = {"ECOWATT_CLIENT_ID": CLIENT_ID, "ECOWATT_CLIENT_SECRET": CLIENT_SECRET}


def config_for(
    source: Source, *, url: str = "http://127.0.0.1:9", file: str | None = None, base: Path
) -> Config:
    return Config(
        channels=(ChannelConfig(index=0, name="x", shed_at=ShedAt.ORANGE),),
        ecowatt=EcowattConfig(source=source, base_url=url, file=file, timeout=timedelta(seconds=5)),
        path=str(base / "delestage.toml"),
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def rte(clock: ManualClock) -> Iterator[FakeRte]:
    with FakeRte(clock=clock.now) as fake:
        yield fake


# --- the factory ---------------------------------------------------------------------------------


def test_the_factory_builds_each_kind(tmp_path: Path) -> None:
    made: dict[Source, ForecastSource] = {
        kind: make_source(
            config_for(kind, file="saved.json", base=tmp_path), tmp_path, environ=ENVIRON
        )
        for kind in Source
    }
    assert isinstance(made[Source.DEMO], DemoSource)
    assert isinstance(made[Source.FILE], FileSource)
    assert made[Source.FILE].path == tmp_path / "saved.json"  # relative to the config file
    assert isinstance(made[Source.RTE], RteSource) and made[Source.RTE].gate is not None
    assert isinstance(made[Source.SANDBOX], RteSource) and made[Source.SANDBOX].gate is None
    assert {kind: source.kind for kind, source in made.items()} == {
        kind: kind.value for kind in Source
    }


def test_the_factory_refuses_live_sources_without_credentials(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="ECOWATT_CLIENT_ID"):
        make_source(config_for(Source.RTE, base=tmp_path), tmp_path, environ={})


# --- demo ----------------------------------------------------------------------------------------


async def test_demo_source_is_todays_demo_forecast_without_network(tmp_path: Path) -> None:
    source = make_source(config_for(Source.DEMO, base=tmp_path), tmp_path, environ={})
    forecast = source.load_cached(T0)
    assert forecast == demo_forecast(date(2024, 12, 2), fetched=T0)
    assert forecast.fetched == T0
    assert forecast.generated == datetime(2024, 12, 1, 19, tzinfo=UTC)  # 20:00 the eve
    result = await source.refresh(T0 + timedelta(hours=1), manual=True)
    assert result.data is not None and not result.called and result.error is None
    assert list(tmp_path.iterdir()) == []  # nothing written
    await source.aclose()


@pytest.mark.parametrize(
    ("now", "midnight"),
    [
        (T0, datetime(2024, 12, 2, 23, tzinfo=UTC)),
        (datetime(2024, 10, 26, 22, 30, tzinfo=UTC), datetime(2024, 10, 27, 23, tzinfo=UTC)),
        (datetime(2024, 3, 30, 23, 30, tzinfo=UTC), datetime(2024, 3, 31, 22, tzinfo=UTC)),
    ],
)
def test_demo_source_refreshes_at_the_next_paris_midnight(
    now: datetime, midnight: datetime
) -> None:
    source = DemoSource()
    assert source.next_refresh(now) == midnight
    # Just before that midnight the forecast starts the day before; from it, that day.
    before = source.load_cached(midnight - timedelta(seconds=1))
    day_before = (midnight - timedelta(seconds=1)).astimezone(PARIS).date()
    assert before.start == paris_midnight(day_before)
    assert source.load_cached(midnight).start == midnight


# --- file ----------------------------------------------------------------------------------------


def write_body(path: Path, document: object, mtime: float | None = None) -> None:
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    if mtime is not None:
        os.utime(path, (mtime, mtime))


async def test_file_source_reads_rereads_on_change_and_keeps_the_last_good(
    tmp_path: Path,
) -> None:
    path = tmp_path / "signals.json"
    write_body(path, production_body(date(2024, 12, 2)), mtime=T0.timestamp())
    source = FileSource(path)
    forecast = source.load_cached(T0)
    assert forecast is not None and len(forecast.slots) == 96
    assert forecast.fetched == T0 and forecast.source == "file"

    assert source.next_refresh(T0) == T0 + timedelta(minutes=5)
    unchanged = await source.refresh(T0)
    assert unchanged.data is None and unchanged.error is None

    write_body(path, production_body(date(2024, 12, 3)), mtime=T0.timestamp() + 60)
    assert source.next_refresh(T0) == T0  # changed: due now
    changed = await source.refresh(T0)
    assert changed.data is not None
    assert changed.data.start.astimezone(PARIS).date() == date(2024, 12, 3)

    write_body(path, '{"signals": [{"jour": "nope"', mtime=T0.timestamp() + 120)
    broken = await source.refresh(T0)
    assert broken.data is None
    assert broken.error.startswith(f"{path}: body: expected JSON")
    assert "keeping the forecast read" in broken.error
    assert (await source.refresh(T0)).error == broken.error  # still broken, still said
    await source.aclose()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such forecast file"),
        ('{"signals": [{"jour": "2024-12-02", "values": []}]}', "signals[0].jour: expected"),
        ("{}", 'expected a JSON object with a "signals" array'),
    ],
)
def test_a_bad_forecast_file_is_input_naming_the_file(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "signals.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError) as raised:
        FileSource(path).load_cached(T0)
    (line,) = raised.value.problems
    assert line.startswith(f"{path}: ") and expected in line


# --- `check`'s forecast line ---------------------------------------------------------------------


async def test_check_line_for_demo_and_file(tmp_path: Path) -> None:
    ok, line = await check_source(config_for(Source.DEMO, base=tmp_path), tmp_path, T0, {})
    assert ok and line == "demo: 4 days until Fri 06 Dec 00:00, generated Sun 01 Dec 20:00"

    write_body(tmp_path / "signals.json", production_body(date(2024, 12, 2)))
    config = config_for(Source.FILE, file="signals.json", base=tmp_path)
    ok, line = await check_source(config, tmp_path, T0, {})
    assert ok and line.startswith(
        f"file {tmp_path / 'signals.json'}: 4 days until Fri 06 Dec 00:00"
    )

    (tmp_path / "signals.json").write_text("[]")
    ok, line = await check_source(config, tmp_path, T0, {})
    assert not ok and "expected a JSON object" in line


async def test_check_line_for_rte_fetches_then_respects_the_quota(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    config = config_for(Source.RTE, url=rte.url, base=tmp_path)
    ok, line = await check_source(config, tmp_path, clock.now(), ENVIRON)
    assert ok
    assert line == (
        "rte: credentials ok; 4 days until Fri 06 Dec 00:00, generated Sun 01 Dec 20:00 "
        "(fetched now)"
    )
    clock.advance(120)
    ok, line = await check_source(config, tmp_path, clock.now(), ENVIRON)
    assert ok
    assert line.startswith("rte: credentials ok; 4 days until Fri 06 Dec 00:00")
    assert line.endswith("(from the cache, fetched 10:30)")
    assert rte.signals_calls == 1
    assert rte.token_calls == 2  # credentials proven each time; tokens are not rationed


async def test_check_line_with_the_quota_used_and_no_cache(
    rte: FakeRte, clock: ManualClock, tmp_path: Path
) -> None:
    config = config_for(Source.RTE, url=rte.url, base=tmp_path)
    ok, _ = await check_source(config, tmp_path / "other", clock.now(), ENVIRON)
    (tmp_path / "other" / "ecowatt-cache-rte.json").unlink()
    ok, line = await check_source(config, tmp_path / "other", clock.now(), ENVIRON)
    assert ok
    assert line == (
        "rte: credentials ok; quota: next call allowed at 10:45; no cached forecast yet"
    )


@pytest.mark.parametrize(
    ("setup", "environ", "expected"),
    [
        ("forbid", ENVIRON, "subscribe the application to Ecowatt v5"),
        ("none", {**ENVIRON, "ECOWATT_CLIENT_SECRET": "wrong"}, "rejected the credentials"),
        ("none", {}, "no Ecowatt credentials: set ECOWATT_CLIENT_ID and ECOWATT_CLIENT_SECRET"),
        ("500", ENVIRON, "HTTP 500 ECOWATT_COMMON_T05: Internal Server Error"),
    ],
)
async def test_check_line_says_what_failed_and_what_to_do(
    rte: FakeRte,
    clock: ManualClock,
    tmp_path: Path,
    setup: str,
    environ: dict[str, str],
    expected: str,
) -> None:
    if setup == "forbid":
        rte.forbid_v5 = True
    elif setup == "500":
        rte.fail_next("500")
    config = config_for(Source.RTE, url=rte.url, base=tmp_path)
    ok, line = await check_source(config, tmp_path, clock.now(), environ)
    assert not ok
    assert line.startswith("rte: ") and expected in line
    assert "\n" not in line
    assert CLIENT_SECRET not in line


def test_run_check_prints_the_forecast_line_and_fails_with_1(
    rte: FakeRte, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ECOWATT_CLIENT_ID", raising=False)
    monkeypatch.delenv("ECOWATT_CLIENT_SECRET", raising=False)
    path = tmp_path / "delestage.toml"
    path.write_text(
        f'[ecowatt]\nsource = "sandbox"\nbase_url = "{rte.url}"\n'
        f'[service]\nstate_dir = "{tmp_path / "state"}"\n'
        '[board]\nkind = "simulated"\n'
        '[[channel]]\nindex = 0\nname = "x"\nshed_at = "orange"\n'
    )
    out = io.StringIO()
    assert run_check(str(path), out) == 1
    lines = out.getvalue().splitlines()
    forecast_line = next(line for line in lines if line.startswith("forecast"))
    assert forecast_line.startswith("forecast  FAIL  sandbox: no Ecowatt credentials")

    for name, value in ENVIRON.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    run_check(str(path), out)
    forecast_line = next(line for line in out.getvalue().splitlines() if line.startswith("forec"))
    assert forecast_line.startswith(
        "forecast  ok    sandbox: credentials ok; 4 days until Wed 08 Jun 2022"
    )
    assert rte.count(TOKEN_PATH) == 1 and rte.signals_calls == 0
    assert rte.count(SIGNALS_PATH) == 0
