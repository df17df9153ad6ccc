"""The last good body of an RTE API, kept in the state directory so a restart has data at once.

The body is stored exactly as RTE sent it (as text), with the time it was fetched; the source
parses it again on load with the parser it parses answers with, so the cache can never hold
something that parser would refuse. The cache itself knows no API's format.
"""

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tui.adapters.atomic import atomic_write
from tui.adapters.user_files import read_regular_file
from tui.core.durations import parse_instant

log = logging.getLogger("tui.rte.cache")

FORMAT = 1
MAX_CACHE_BYTES = 4 * 1024 * 1024  # a signals or calendars body is a few kB


@dataclass(frozen=True)
class CachedBody:
    body: str
    fetched: datetime


class BodyCache:
    """One body file: ``source`` ("rte", "sandbox") is checked on read, so that sandbox data
    never passes for live; ``what`` names the data in log lines ("forecast")."""

    def __init__(self, path: Path, source: str, what: str = "forecast") -> None:
        self.path = path
        self.source = source
        self.what = what

    def __repr__(self) -> str:
        return f"BodyCache({str(self.path)!r}, {self.source!r})"

    def save(self, body: bytes | str, fetched: datetime) -> None:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        document = {
            "format": FORMAT,
            "source": self.source,
            "fetched": fetched.astimezone(UTC).isoformat(),
            "body": text,
        }
        atomic_write(self.path, json.dumps(document, ensure_ascii=False).encode("utf-8"))

    def read(self) -> CachedBody | None:
        """The stored body, or None when there is none or it cannot be used (logged)."""
        try:
            raw = read_regular_file(self.path, MAX_CACHE_BYTES, follow=False)
        except FileNotFoundError:
            return None
        except OSError as error:
            log.warning("cannot read the %s cache %s (%s)", self.what, self.path, error)
            return None
        try:
            document = json.loads(raw)
            if document.get("format") != FORMAT or document.get("source") != self.source:
                raise ValueError("written by another version or for another source")
            fetched = parse_instant(document["fetched"])
            body = document["body"]
            if not isinstance(body, str):
                raise ValueError("missing fields")
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            log.warning("ignoring the %s cache %s (%s)", self.what, self.path, error)
            return None
        return CachedBody(body=body, fetched=fetched.astimezone(UTC))
