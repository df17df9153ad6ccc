"""RTE's error answers as words: what each real failed answer says, on one line.

RTE's APIs answer errors with a JSON body, ``{"error": "ECOWATT_COMMON_T05",
"error_description": "Internal Server Error", "error_uri": "", "error_details": {...}}`` (CRLF
and tab padding included), with codes that carry the API's prefix
(``TMPLIKSUPCON_TMPLIKCAL_F04``). A proxy in front of RTE answers with an HTML page ("502 Bad
Gateway"); other failed answers are empty or one space (tests/data/real-bodies/). Everything
here is bounded and printable: an answer's text never brings a newline, a control character or
a kilobyte into a log line.
"""

import json
import re

import httpx

_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
MAX_DESCRIPTION = 160  # characters of RTE's description kept in a message


def one_line(text: str, most: int = MAX_DESCRIPTION) -> str:
    """``text`` with every run of whitespace or control characters as one space, bounded."""
    cleaned = "".join(char if char.isprintable() else " " for char in text)
    words = " ".join(cleaned.split())
    return words if len(words) <= most else words[: most - 1].rstrip() + "…"


def _document(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def error_fields(body: bytes) -> tuple[str, str]:
    """RTE's ``error`` code and ``error_description`` in a body, ``("", "")`` when it holds
    none (not JSON, not an object, an implausible code)."""
    document = _document(body)
    if not isinstance(document, dict):
        return "", ""
    code = document.get("error")
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        return "", ""
    description = document.get("error_description")
    return code, one_line(description) if isinstance(description, str) else ""


def code_suffix(code: str, known: set[str]) -> str:
    """The short code a long one ends with: ``TMPLIKSUPCON_TMPLIKCAL_F04`` -> ``F04`` (RTE
    writes the long form; the short one is accepted too). ``""`` when it is none of ``known``."""
    tail = code.rsplit("_", 1)[-1].upper()
    return tail if tail in known else ""


def answer_words(response: httpx.Response) -> str:
    """What a failed answer says, after its status: ``ECOWATT_COMMON_T05: Internal Server
    Error``, ``an HTML page: 502 Bad Gateway``, ``an empty body``; ``""`` when nothing useful."""
    body = response.content
    code, description = error_fields(body)
    if code:
        return f"{code}: {description}" if description else code
    if not body.strip():
        return "an empty body" if not body else "a blank body"
    title = _TITLE.search(body[:4096])
    if title is not None:
        words = one_line(title.group(1).decode("utf-8", "replace"))
        return f"an HTML page: {words}" if words else "an HTML page"
    if body.lstrip()[:1] == b"<":
        return "an HTML or XML page"
    return ""


def status_words(response: httpx.Response) -> str:
    """``HTTP 500 ECOWATT_COMMON_T05: Internal Server Error``, ``HTTP 502, an HTML page: 502
    Bad Gateway``, ``HTTP 500, an empty body``, ``HTTP 503``: a failed answer in one line."""
    words = answer_words(response)
    status = f"HTTP {response.status_code}"
    if not words:
        return status
    code, _ = error_fields(response.content)
    return f"{status} {words}" if code else f"{status}, {words}"


def error_instead_of_data(body: bytes) -> str:
    """For a 200: RTE's error object where data was expected (``"CODE: description"``), or
    ``""`` when the body is not one."""
    document = _document(body)
    if not isinstance(document, dict) or set(document) & {"signals", "tempo_like_calendars"}:
        return ""
    code, description = error_fields(body)
    if not code:
        return ""
    return f"{code}: {description}" if description else code
