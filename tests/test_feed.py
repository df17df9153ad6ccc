"""The one feed abstraction (service/feed.py), on a scripted source: what it says, when it calls
again, and what a source's failure or bug does to it."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tui.adapters.clock import ManualClock
from tui.adapters.sources.base import RefreshResult
from tui.core.events import ErrorEvent, Event
from tui.service.feed import BROKEN_RETRY, Feed, Said

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
LATER = timedelta(minutes=30)


class Words:
    what = "numbers"
    name = "number"

    def arrived(
        self,
        data: int,
        previous: int | None,
        now: datetime,
        *,
        ts: datetime,
        cached: bool,
        called: bool,
    ) -> Said:
        if data == previous:
            return Said(None, f"still {data}")
        return Said(ErrorEvent(ts=ts, what="numbers", message=f"got {data}"), f"got {data}")

    def answer_failed(self, error: str | None) -> str:
        return f"numbers: {error or 'nothing new'}"

    def boundary(self, now: datetime) -> datetime | None:
        return None


class Scripted:
    """A source that answers each refresh with the next item of a script."""

    kind = "scripted"

    def __init__(self, *script: RefreshResult[int] | Exception, cached: int | None = None) -> None:
        self.script = list(script)
        self.cached = cached
        self.calls: list[bool] = []  # manual?

    def load_cached(self, now: datetime) -> int | None:
        return self.cached

    async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult[int]:
        self.calls.append(manual)
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    def next_refresh(self, now: datetime) -> datetime:
        return now + LATER

    async def aclose(self) -> None:
        return None


def _feed(source: Scripted) -> tuple[Feed[int], list[Event], ManualClock, list[int]]:
    clock = ManualClock(NOW)
    said: list[Event] = []
    wakes: list[int] = []
    feed = Feed(source, Words(), clock=clock, emit=said.append, wake=lambda: wakes.append(1))
    return feed, said, clock, wakes


def _messages(said: list[Event]) -> list[str]:
    return [event.message for event in said if isinstance(event, ErrorEvent)]


def _run(action: Callable[[], object]) -> None:
    async def go() -> None:
        result = action()
        if asyncio.iscoroutine(result):
            await result

    asyncio.run(go())


def test_cached_data_at_start_makes_no_call() -> None:
    source = Scripted(cached=7)
    feed, said, _, _ = _feed(source)
    _run(lambda: feed.start(NOW, 1.0, asyncio.Event()))
    assert feed.data == 7 and source.calls == []
    assert _messages(said) == ["got 7"]
    assert feed.next_refresh == NOW + LATER


def test_a_failure_is_said_once_while_it_repeats_word_for_word_and_its_end_is_said() -> None:
    waiting = RefreshResult[int](error="waiting after an error: next try at 09:15")
    source = Scripted(
        RefreshResult(error="RTE answered 503", called=True),
        waiting,
        waiting,
        RefreshResult(data=3, called=True),
    )
    feed, said, clock, wakes = _feed(source)

    async def go() -> None:
        await feed.start(NOW, 1.0, asyncio.Event())
        for _ in range(3):
            clock.advance(LATER.total_seconds())
            feed.poll(clock.now())
            assert feed.busy
            await asyncio.shield(feed._task)  # type: ignore[arg-type]  # the refresh under way

    asyncio.run(go())
    assert _messages(said) == [
        "RTE answered 503",
        "waiting after an error: next try at 09:15",  # said once, not twice
        "got 3",
        "the scripted number source works again",
    ]
    assert feed.data == 3 and feed.error is None and len(wakes) == 4


def test_a_refused_manual_refresh_is_an_answer_not_a_fault() -> None:
    source = Scripted(
        RefreshResult(data=1, called=True), RefreshResult(error="quota: next call at 09:15")
    )
    feed, said, _, _ = _feed(source)

    async def go() -> str:
        await feed.start(NOW, 1.0, asyncio.Event())
        return await feed.refresh_now()

    assert asyncio.run(go()) == "numbers: quota: next call at 09:15"
    assert source.calls == [False, True]
    assert _messages(said) == ["got 1"] and feed.error is None


def test_a_source_that_raises_is_retried_after_the_broken_source_delay() -> None:
    source = Scripted(RuntimeError("a bug"))
    feed, said, _, _ = _feed(source)
    _run(lambda: feed.start(NOW, 1.0, asyncio.Event()))
    (message,) = _messages(said)
    assert message.startswith("number refresh failed unexpectedly (RuntimeError: a bug)")
    assert feed.next_refresh == NOW + max(LATER, BROKEN_RETRY)
    assert feed.data is None


def test_a_slow_first_fetch_is_said_and_carries_on() -> None:
    gate = asyncio.Event()

    class Slow(Scripted):
        async def refresh(self, now: datetime, *, manual: bool = False) -> RefreshResult[int]:
            await gate.wait()
            return RefreshResult(data=5, called=True)

    feed, said, _, _ = _feed(Slow())

    async def go() -> None:
        await feed.start(NOW, 0.01, asyncio.Event())
        assert feed.data is None and feed.busy
        gate.set()
        await asyncio.shield(feed._task)  # type: ignore[arg-type]  # the refresh under way

    asyncio.run(go())
    assert _messages(said) == [
        "no answer from the scripted source within 0.01 s at start: deciding without a "
        "number meanwhile; the fetch carries on",
        "got 5",
    ]
