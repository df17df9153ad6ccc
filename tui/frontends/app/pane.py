"""A pane that repaints only when what it shows changes, so an idle screen writes nothing."""

from rich.text import Text
from textual.events import Resize
from textual.widget import Widget


class Pane(Widget):
    """Subclasses keep their data and ``build`` it into text for a width; ``changed`` after
    new data compares the new text with what is on screen and repaints only on a difference
    (Textual would otherwise rewrite the pane's every line, colour codes and all).

    A pane sets its own height (the lines its text takes at its width) instead of leaving
    ``height: auto`` to Textual: Textual caches an auto height per layout generation, and a
    ``refresh(layout=True)`` made while an earlier layout request is still pending does not
    start a new generation. Data arriving in that window (an attached service answers within
    a few milliseconds of the first layout) left the timeline and the grid one line tall,
    showing only their headings, until the terminal was resized.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: Text | None = None

    def build(self, width: int) -> Text:
        raise NotImplementedError

    def changed(self) -> None:
        width = self.size.width
        if not width:
            self.refresh(layout=True)  # not laid out yet: the first render builds it
            return
        text = self.build(width)
        if text == self._shown:
            return
        self._shown = text
        self._fit_height(text, width)
        self.refresh()

    def _fit_height(self, text: Text, width: int) -> None:
        lines = len(text.wrap(self.app.console, width)) if text.plain else 0
        height = self.styles.height
        if height is None or height.is_auto or height.value != lines:
            self.styles.height = lines  # a style change always re-measures the layout

    def on_resize(self, event: Resize) -> None:
        if event.size.width:
            self._fit_height(self.build(event.size.width), event.size.width)

    def render(self) -> Text:
        self._shown = self.build(self.size.width)
        return self._shown
