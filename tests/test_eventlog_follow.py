"""The event log keeps its newest line in view when the pane's height changes under it (an
answer line or a longer detail takes a row of the screen): a Textual app with the real pane."""

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult
from textual.widgets import Static

from tui.core.events import ErrorEvent
from tui.frontends.app.eventlog import EventPane

T0 = datetime(2026, 12, 7, 8, 32, tzinfo=UTC)


class LogApp(App[None]):
    CSS = "#above { height: 2; } EventPane { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield Static("above", id="above")
        yield EventPane()


def _event(n: int) -> ErrorEvent:
    return ErrorEvent(ts=T0 + timedelta(seconds=n), what="test", message=f"event number {n}")


async def test_the_newest_event_stays_in_view_when_the_pane_shrinks() -> None:
    app = LogApp()
    async with app.run_test(size=(60, 10)) as pilot:
        pane = app.query_one(EventPane)
        pane.add([_event(n) for n in range(12)])
        await pilot.pause()
        assert pane.scroll_y == pane.max_scroll_y > 0
        for height in (4, 6, 3, 5):  # shrinking and growing under the newest line
            app.query_one("#above").styles.height = height
            await pilot.pause()
            await pilot.pause()
            assert pane.scroll_y == pane.max_scroll_y, (height, pane.scroll_y, pane.max_scroll_y)


async def test_a_pane_scrolled_back_stays_where_the_reader_put_it() -> None:
    app = LogApp()
    async with app.run_test(size=(60, 10)) as pilot:
        pane = app.query_one(EventPane)
        pane.add([_event(n) for n in range(12)])
        await pilot.pause()
        pane.scroll_to(y=1, animate=False, immediate=True)
        await pilot.pause()
        app.query_one("#above").styles.height = 4
        await pilot.pause()
        await pilot.pause()
        assert pane.scroll_y == 1
