"""The RTE application's credentials (Ecowatt's, shared by Tempo): from the environment, or
from a file only its owner can read.

The secret never leaves this object except as the value of an ``Authorization`` header: its
repr and every error message name where the credentials came from, never what they are.
"""

import base64
import binascii
import os
from collections.abc import Mapping
from pathlib import Path

from tui.adapters.config_file import home_dir
from tui.adapters.user_files import read_private_file
from tui.core.config import Config
from tui.core.errors import InputError
from tui.core.i18n import _
from tui.core.paths import config_folder, resolve_path

ENV_ID = "ECOWATT_CLIENT_ID"
ENV_SECRET = "ECOWATT_CLIENT_SECRET"


class CredentialsError(InputError):
    """Missing or unusable credentials; one line saying what to do."""


class Credentials:
    """The client id and secret, held as the Basic string RTE's token endpoint wants."""

    __slots__ = ("_basic", "origin")

    def __init__(self, basic: str, origin: str) -> None:
        self._basic = basic
        self.origin = origin  # "the environment" or the file's path, for messages

    @classmethod
    def from_pair(cls, client_id: str, secret: str, origin: str) -> "Credentials":
        encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")
        return cls(encoded, origin)

    def authorization(self) -> str:
        """The value of the token request's ``Authorization`` header."""
        return f"Basic {self._basic}"

    def __repr__(self) -> str:
        return f"Credentials(origin={self.origin!r})"

    __str__ = __repr__


def parse_credentials(text: str, origin: str) -> Credentials:
    """``id:secret``, or the Base64 form RTE's portal shows (optionally after ``Basic``)."""
    value = text.strip()
    if value.lower().startswith("basic "):
        value = value[6:].strip()
    if not value or "\n" in value:
        raise CredentialsError(
            f"{origin}: "
            + _(
                "expected one line holding client_id:client_secret or the Base64 form RTE's "
                "portal shows"
            )
        )
    if ":" in value:
        client_id, _sep, secret = value.partition(":")
        if not client_id.strip() or not secret.strip():
            raise CredentialsError(
                f"{origin}: " + _("expected client_id:client_secret with both parts non-empty")
            )
        return Credentials.from_pair(client_id.strip(), secret.strip(), origin)
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    client_id, _sep, secret = decoded.partition(":")
    if not client_id or not secret:
        # Never echo the value: it may be a secret pasted into the wrong place.
        raise CredentialsError(
            f"{origin}: "
            + _("expected client_id:client_secret or its Base64 form (the value there is neither)")
        )
    return Credentials(value, origin)


def read_credentials_file(path: Path) -> Credentials:
    text = read_private_file(path, _("credentials file"), CredentialsError)
    return parse_credentials(text, str(path))


def load_credentials(
    config: Config, environ: Mapping[str, str] | None = None, base: Path | None = None
) -> Credentials:
    """``[ecowatt] credentials_file`` when set, else the two environment variables.

    A relative ``credentials_file`` is taken from the configuration file's folder (``base``
    when given), like every path of the configuration (``core.paths``).
    """
    env = os.environ if environ is None else environ
    configured = config.ecowatt.credentials_file
    if configured:
        folder = str(base) if base is not None else config_folder(config.path)
        return read_credentials_file(Path(resolve_path(configured, folder, home_dir(env))))
    client_id = env.get(ENV_ID, "").strip()
    secret = env.get(ENV_SECRET, "").strip()
    if client_id and secret:
        return Credentials.from_pair(client_id, secret, "the environment")
    if client_id and not secret and ":" not in client_id:
        # The Base64 form the portal shows, pasted into the one variable it could go in.
        try:
            return parse_credentials(client_id, f"{ENV_ID} (Base64 form)")
        except CredentialsError:
            pass
    if client_id or secret:
        missing = ENV_SECRET if client_id else ENV_ID
        raise CredentialsError(
            _("{missing} is not set (the other Ecowatt variable is)").format(missing=missing)
        )
    raise CredentialsError(
        _(
            "no Ecowatt credentials: set {id} and {secret}, or [ecowatt] credentials_file in {path}"
        ).format(id=ENV_ID, secret=ENV_SECRET, path=config.path)
    )
