"""The UI's start without the cyclic garbage collector.

Importing Textual and the service allocates hundreds of thousands of objects that all live as
long as the process; the collector ran about 120 times over them before the first screen
(about 50 ms of a 500 ms start on the reference machine) and freed almost nothing. The UI's
start pauses it (``pause_collector``) and the app resumes it once the first screen is drawn, or
a few seconds after it started whatever happened (``resume_collector``, which the command line
also calls on its way out, so an in-process caller never keeps a paused collector). Reference
counting frees everything else as usual meanwhile; the headless service never pauses it.
"""

import gc

_paused = False


def pause_collector() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collector() -> None:
    """Turn the collector back on if ``pause_collector`` turned it off (idempotent)."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()
