"""Server-Sent-Events framing for the fake upstream, and a tiny parser for tests."""

from __future__ import annotations

import json
from typing import Any

#: The sentinel some relays append (OpenAI itself never sends it,
#: specs/004-responses-wire-format/spec.md §"Framing").
DONE_FRAME = b"data: [DONE]\n\n"


def encode_frame(event: dict[str, Any], *, event_lines: bool = True, crlf: bool = False) -> bytes:
    """One SSE frame: ``event: <type>`` (optional), ``data: <compact JSON>``, blank line.

    JSON is UTF-8 (not ASCII-escaped), so splitting a frame can cut a multi-byte character.
    """
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    lines = [f"event: {event.get('type', 'message')}"] if event_lines else []
    lines.append(f"data: {data}")
    eol = "\r\n" if crlf else "\n"
    return (eol.join(lines) + eol + eol).encode("utf-8")


def split_bytes(data: bytes, parts: int) -> list[bytes]:
    """Cut ``data`` into at most ``parts`` non-empty, nearly equal pieces."""
    n = max(1, min(parts, len(data)))
    size, extra = divmod(len(data), n)
    pieces: list[bytes] = []
    start = 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        pieces.append(data[start:end])
        start = end
    return pieces


def parse_sse(raw: bytes | str) -> list[tuple[str | None, str]]:
    """Split an SSE body into ``(event name or None, joined data)`` pairs (comments skipped).

    Deliberately small: for asserting what the fake server wrote, not a production parser.
    """
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    frames: list[tuple[str | None, str]] = []
    for block in text.split("\n\n"):
        name: str | None = None
        data: list[str] = []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data:
            frames.append((name, "\n".join(data)))
    return frames


def parse_sse_json(raw: bytes | str) -> list[dict[str, Any]]:
    """The JSON events of an SSE body, ``[DONE]`` skipped."""
    return [json.loads(data) for _, data in parse_sse(raw) if data != "[DONE]"]
