"""The Textual terminal UI."""

from tui.frontends.app.app import DelestageApp, run_tui

__all__ = ["DelestageApp", "run_tui"]
