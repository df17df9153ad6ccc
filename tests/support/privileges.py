"""Real permission checks for a child process, even when the suite runs as root (as CI does).

Root ignores file modes (CAP_DAC_OVERRIDE), so a read-only file or directory stops nothing it
runs. ``unprivileged`` is a ``preexec_fn`` that drops the capabilities that override file
modes from the child's bounding set before it execs: the child stays uid 0 (it can still run
the interpreter under /root), but as the owner of a file it is held to that file's mode, like
any user. Not root: nothing to drop, the modes already apply.
"""

import ctypes
import os

_PR_CAPBSET_DROP = 24
# CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH (file modes), CAP_FOWNER (acting as any file's owner)
_OVERRIDES = (1, 2, 3)


def unprivileged() -> None:
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in _OVERRIDES:
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
