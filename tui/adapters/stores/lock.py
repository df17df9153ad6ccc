"""One controller per state directory: an flock on a lock file that names the PID holding it.

Taking the lock writes nothing that must succeed: the lock is the flock itself, and the PID is
written best-effort, so a full disk never stops the service starting. Where the lock file cannot
even be created (a read-only directory, no inodes left), the directory itself is locked.
"""

import contextlib
import errno
import fcntl
import os
from pathlib import Path

from tui.adapters.state_dir import open_state_file, state_dir_safety
from tui.core.errors import InputError

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
        fd = open_state_file(directory / LOCK_NAME, os.O_RDONLY | os.O_NONBLOCK)
        try:
            text = os.read(fd, 32).decode("ascii", "replace").strip()
        finally:
            os.close(fd)
    except (OSError, ValueError):
        return None
    return int(text) if text.isdigit() else None


def prepare_state_dir(directory: Path, socket_group: str | None = None) -> None:
    """Create the state directory, or say in one line why it cannot be used (including why it
    is unsafe: see ``state_dir_safety``)."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except ValueError:
        raise InputError(f"{str(directory)!r}: state directory name contains NUL") from None
    except FileExistsError:
        raise InputError(f"{directory}: state directory is a file, not a directory") from None
    except OSError as error:
        if not directory.is_dir():
            raise InputError(
                f"{directory}: cannot create the state directory ({error.strerror or error})"
            ) from None
    if not directory.is_dir():
        raise InputError(f"{directory}: state directory is a file, not a directory")
    problems = state_dir_safety(directory, socket_group)
    if problems:
        raise InputError(problems)


class ServiceLock:
    def __init__(self, directory: Path, socket_group: str | None = None) -> None:
        self.directory = directory
        self.socket_group = socket_group
        self._fd = -1
        self._pid_written = False

    def _open(self) -> int:
        try:
            return open_state_file(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            if error.errno not in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT):
                raise
        # No lock file to be had: the directory itself carries the lock.
        return os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)

    def acquire(self) -> None:
        prepare_state_dir(self.directory, self.socket_group)
        try:
            fd = self._open()
        except OSError as error:
            raise InputError(
                f"{self.directory / LOCK_NAME}: cannot take the service lock "
                f"({error.strerror or error})"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(running_pid(self.directory), self.directory) from None
        self._fd = fd
        self._pid_written = self._write_pid(f"{os.getpid()}\n".encode())

    def _write_pid(self, data: bytes) -> bool:
        """Best-effort: a full disk leaves the file as it was, and the lock still holds."""
        try:
            os.ftruncate(self._fd, 0)
            return os.pwrite(self._fd, data, 0) == len(data)
        except OSError:
            return False

    @property
    def held(self) -> bool:
        return self._fd >= 0

    def release(self) -> None:
        if self._fd >= 0:
            if self._pid_written:
                self._write_pid(b"")
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1
