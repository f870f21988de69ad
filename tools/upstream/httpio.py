"""Minimal HTTP/1.1 on asyncio streams: read one request, format a response head."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from http import HTTPStatus

#: Longest request head (request line + headers) accepted, in bytes.
MAX_HEAD = 64 * 1024


class BadRequest(Exception):
    """The client sent something that is not an HTTP/1.x request we can parse."""


@dataclass(slots=True)
class HttpRequest:
    """One parsed request; ``headers`` has lower-cased names (the last value wins)."""

    method: str
    target: str
    version: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        """The target without the query string."""
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        """The query string (without ``?``), or ``""``."""
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    @property
    def keep_alive(self) -> bool:
        """Whether the client allows reusing the connection."""
        conn = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return conn == "keep-alive"
        return conn != "close"


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """Read a ``Transfer-Encoding: chunked`` body (trailers ignored)."""
    body = bytearray()
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise BadRequest("bad chunk size") from exc
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """Read one request; None on a clean EOF before any byte. Raises :class:`BadRequest`."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise BadRequest("connection closed inside the request head") from exc
    except asyncio.LimitOverrunError as exc:
        raise BadRequest("request head too large") from exc
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(f"bad request line {lines[0][:100]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise BadRequest(f"bad header line {line[:100]!r}")
        headers[name.strip().lower()] = value.strip()
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await _read_chunked(reader)
        else:
            body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
    except (ValueError, asyncio.IncompleteReadError) as exc:
        raise BadRequest("bad or truncated request body") from exc
    return HttpRequest(parts[0].upper(), parts[1], parts[2], headers, body)


def reason(code: int) -> str:
    """The standard reason phrase for ``code`` (``"Unknown"`` for unassigned codes)."""
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Unknown"


def response_head(code: int, headers: dict[str, str]) -> bytes:
    """``HTTP/1.1 <code> <reason>`` plus ``headers`` and the blank line."""
    lines = [f"HTTP/1.1 {code} {reason(code)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def merge_headers(defaults: dict[str, str], extra: dict[str, str] | None) -> dict[str, str]:
    """``defaults`` overridden case-insensitively by ``extra`` (extra's spelling kept)."""
    merged = dict(defaults)
    for name, value in (extra or {}).items():
        for existing in [k for k in merged if k.lower() == name.lower()]:
            del merged[existing]
        merged[name] = value
    return merged
