"""A pane that repaints only when what it shows changes, so an idle screen writes nothing."""

from rich.text import Text
from textual.widget import Widget


class Pane(Widget):
    """Subclasses keep their data and ``build`` it into text for a width; ``changed`` after
    new data compares the new text with what is on screen and repaints only on a difference
    (Textual would otherwise rewrite the pane's every line, colour codes and all)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: Text | None = None

    def build(self, width: int) -> Text:
        raise NotImplementedError

    def changed(self) -> None:
        if not self.size.width:
            self.refresh(layout=True)  # not laid out yet: the first render builds it
            return
        text = self.build(self.size.width)
        if text == self._shown:
            return
        taller = self._shown is None or len(text.split()) != len(self._shown.split())
        self._shown = text
        self.refresh(layout=taller)

    def render(self) -> Text:
        self._shown = self.build(self.size.width)
        return self._shown
