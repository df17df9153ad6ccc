"""The last good signals body, kept in the state directory so a restart has data at once.

The body is stored exactly as RTE sent it (as text), with the time it was fetched, and parsed
again on load: the cache can never hold something the parser would refuse.
"""

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tui.adapters.atomic import atomic_write
from tui.adapters.user_files import read_regular_file
from tui.core.durations import parse_instant
from tui.core.forecast import Forecast
from tui.core.signals import ForecastFormatError, parse_signals

log = logging.getLogger("tui.ecowatt.cache")

FORMAT = 1
MAX_CACHE_BYTES = 4 * 1024 * 1024  # a signals body is a few kB


@dataclass(frozen=True)
class CachedBody:
    body: str
    fetched: datetime


class ForecastCache:
    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.source = source

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
            raw = read_regular_file(self.path, MAX_CACHE_BYTES)
        except FileNotFoundError:
            return None
        except OSError as error:
            log.warning("cannot read the forecast cache %s (%s)", self.path, error)
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
            log.warning("ignoring the forecast cache %s (%s)", self.path, error)
            return None
        return CachedBody(body=body, fetched=fetched.astimezone(UTC))

    def load(self) -> Forecast | None:
        cached = self.read()
        return self.parse(cached) if cached is not None else None

    def parse(self, cached: CachedBody) -> Forecast | None:
        try:
            return parse_signals(cached.body, fetched=cached.fetched, source=self.source)
        except ForecastFormatError as error:
            log.warning("ignoring the forecast cache %s (%s)", self.path, error)
            return None
