"""One controller per state directory: a lock file that names the PID holding it."""

import fcntl
import os
from pathlib import Path

LOCK_NAME = "delestage.pid"


class AlreadyRunning(Exception):
    def __init__(self, pid: int | None, directory: Path) -> None:
        self.pid = pid
        who = f"PID {pid}" if pid else "another process"
        super().__init__(
            f"another delestage service ({who}) is already running with state directory "
            f"{directory}; stop it first, or use `delestage` to attach to it"
        )


def running_pid(directory: Path) -> int | None:
    try:
        text = (directory / LOCK_NAME).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class ServiceLock:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._fd = -1

    def acquire(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(running_pid(self.directory), self.directory) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd >= 0

    def release(self) -> None:
        if self._fd >= 0:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1
