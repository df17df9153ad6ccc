"""The running service over its control socket, and whether one could start: used by `status`,
`force`, `release`, `check`'s service line and the UI (attached or in-process)."""

from tui.service.control_socket import socket_path
from tui.service.preflight import service_check_line
from tui.service.remote import DEFAULT_TIMEOUT, RemoteController, ServiceUnavailable, connect

__all__ = [
    "DEFAULT_TIMEOUT",
    "RemoteController",
    "ServiceUnavailable",
    "connect",
    "service_check_line",
    "socket_path",
]
