"""Neither the secret nor a token ever reaches a log line, an error message or a repr.

All log output is captured at DEBUG, including httpx's and httpcore's, through a token request,
successful fetches, a refused token, a 401 renewal and the usual faults.
"""

import base64
import logging
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.fake_rte import CLIENT_ID, CLIENT_SECRET, FakeRte

from tui.adapters.clock import ManualClock
from tui.adapters.rte.session import RteError as EcowattError
from tui.adapters.rte.source import RteSource
from tui.adapters.sources.factory import make_source
from tui.core.config import ChannelConfig, Config, EcowattConfig, ShedAt, Source

ENVIRON = {"ECOWATT_CLIENT_ID": CLIENT_ID, "ECOWATT_CLIENT_SECRET": CLIENT_SECRET}
BASIC = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


def config_for(url: str, source: Source) -> Config:
    return Config(
        channels=(ChannelConfig(index=0, name="x", shed_at=ShedAt.ORANGE),),
        # Short, for the "slow" fault to time out (the fake holds it 2.5 s), but not so short
        # that a loaded machine misses it for the good answers (0.3 s once did).
        ecowatt=EcowattConfig(source=source, base_url=url, timeout=timedelta(seconds=1)),
    )


async def test_no_secret_and_no_token_anywhere_at_debug_level(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "tui"):
        caplog.set_level(logging.DEBUG, logger=name)
    clock = ManualClock(datetime(2024, 11, 21, 9, tzinfo=UTC))
    texts: list[str] = []
    with FakeRte(clock=clock.now, slow_seconds=2.5) as rte:
        for kind in (Source.RTE, Source.SANDBOX):
            source = make_source(config_for(rte.url, kind), tmp_path / kind, environ=ENVIRON)
            assert isinstance(source, RteSource)
            source._rng = random.Random(3)
            texts += [repr(source), repr(source.client), repr(source.client.session._credentials)]
            try:
                await source.check_credentials(clock.now())
                texts.append(repr(source.client.session._token))
                steps = [None, "expired", "500", "503", "slow", "truncated", "malformed", "403"]
                for fault in steps:
                    if fault:
                        rte.fail_next(fault)
                    result = await source.refresh(clock.now(), manual=True)
                    texts += [str(result.error), repr(result)]
                    clock.advance(1000)
                rte.fail_next_token("401")
                source.client.forget_token()
                result = await source.refresh(clock.now(), manual=True)
                assert result.error and "rejected the credentials" in result.error
                texts += [str(result.error), repr(result)]
                rte.fail_next_token("500")
                with pytest.raises(EcowattError) as raised:
                    await source.check_credentials(clock.now())
                texts += [str(raised.value), repr(raised.value)]
            finally:
                await source.aclose()
        tokens = list(rte.issued)

    assert len(tokens) >= 4  # the cycle really issued and renewed tokens
    records = caplog.records
    assert any(record.name.startswith("httpcore") for record in records), "httpcore was silent"
    assert any(record.name.startswith("httpx") for record in records), "httpx was silent"
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    texts += [formatter.format(record) for record in records]
    texts.append(caplog.text)
    everything = "\n".join(texts)
    for secret in (CLIENT_SECRET, BASIC, *tokens):
        assert secret not in everything
