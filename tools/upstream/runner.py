"""Execute a :data:`~.script.Script` on one client connection, byte by byte."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
from dataclasses import dataclass

from .errors import error_body
from .httpio import merge_headers, response_head
from .script import (
    Close,
    Done,
    Events,
    Hang,
    Reset,
    Script,
    Send,
    Sleep,
    StartStream,
    Status,
)
from .sse import DONE_FRAME, encode_frame, split_bytes

#: Pause (seconds) after each piece of a split SSE frame so pieces arrive as separate reads.
SPLIT_PAUSE = 0.003
#: :class:`~.script.Events` yields to the event loop after writing this many bytes.
YIELD_BYTES = 64 * 1024


@dataclass(slots=True)
class Connection:
    """One client connection while a request is being answered."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    stopping: asyncio.Event
    keep_alive: bool = True
    request_id: str = "req_fake"


@dataclass(slots=True)
class Outcome:
    """What a script left behind: bytes written, stream started, connection ended or to end."""

    wrote: bool = False
    streaming: bool = False
    closed: bool = False
    must_close: bool = False

    @property
    def reusable(self) -> bool:
        """Whether the connection may serve another request (a finished non-stream reply)."""
        return self.wrote and not (self.streaming or self.closed or self.must_close)


def status_bytes(action: Status, *, keep_alive: bool, request_id: str) -> tuple[bytes, bool]:
    """The bytes of a :class:`Status` response and whether it asks to close the connection."""
    body = action.body
    content_type = "text/plain; charset=utf-8"
    if body is None and action.code >= 400:
        body = error_body(action.code)
    if isinstance(body, dict):
        payload = json.dumps(body).encode()
        content_type = "application/json"
    elif isinstance(body, str):
        payload = body.encode()
    else:
        payload = body or b""
    defaults = {
        "Content-Type": content_type,
        "Content-Length": str(len(payload)),
        "Connection": "keep-alive" if keep_alive else "close",
        "x-request-id": request_id,
        "openai-processing-ms": "1",
    }
    headers = merge_headers(defaults, action.headers)
    close = any(k.lower() == "connection" and v.lower() == "close" for k, v in headers.items())
    return response_head(action.code, headers) + payload, close


async def _write(conn: Connection, data: bytes) -> None:
    """Write and drain (raises ``ConnectionError`` when the client is gone)."""
    conn.writer.write(data)
    await conn.writer.drain()


async def _start_stream(conn: Connection, out: Outcome, action: StartStream | None) -> None:
    """Write the head of a close-delimited stream (default headers when ``action`` is None)."""
    action = action or StartStream()
    defaults = {
        "Content-Type": action.content_type,
        "Cache-Control": "no-cache",
        "Connection": "close",
        "x-request-id": conn.request_id,
        "openai-processing-ms": "1",
    }
    await _write(conn, response_head(action.status, merge_headers(defaults, action.headers)))
    out.wrote = out.streaming = True


async def _events(conn: Connection, out: Outcome, action: Events) -> None:
    """Write SSE frames, each in ``action.split`` pieces with a pause after each piece.

    Yields to the event loop after every :data:`YIELD_BYTES` written: ``drain()`` does not
    while the socket takes the data, so thousands of frames would otherwise hold the loop
    (and show up as event-loop lag of the client under test)."""
    if not out.streaming:
        await _start_stream(conn, out, None)
    unyielded = 0
    for event in action.events:
        frame = encode_frame(event, event_lines=action.event_lines, crlf=action.crlf)
        for piece in split_bytes(frame, action.split):
            await _write(conn, piece)
            if action.split > 1:
                await asyncio.sleep(SPLIT_PAUSE)
        unyielded += len(frame)
        if unyielded >= YIELD_BYTES:
            unyielded = 0
            await asyncio.sleep(0)


async def sleep_or_stop(conn: Connection, seconds: float) -> None:
    """Sleep ``seconds``, returning early when the server stops."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(conn.stopping.wait(), timeout=seconds)


async def _until_eof(reader: asyncio.StreamReader) -> None:
    """Discard incoming bytes until the client closes its side."""
    with contextlib.suppress(ConnectionError):
        while await reader.read(65536):
            pass


async def _hang(conn: Connection, out: Outcome) -> None:
    """Send nothing until the server stops or the client closes the connection."""
    eof = asyncio.ensure_future(_until_eof(conn.reader))
    stop = asyncio.ensure_future(conn.stopping.wait())
    try:
        await asyncio.wait({eof, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in (eof, stop):
            waiter.cancel()
        await asyncio.gather(eof, stop, return_exceptions=True)
    if eof.done() and not eof.cancelled():
        out.closed = True  # the client left


def reset(writer: asyncio.StreamWriter) -> None:
    """Abort the connection with a TCP RST (``SO_LINGER`` on, timeout 0, then close)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _flush(writer: asyncio.StreamWriter) -> None:
    """Wait (briefly) until asyncio's own write buffer is empty."""
    for _ in range(100):
        if writer.transport.is_closing() or not writer.transport.get_write_buffer_size():
            return
        await asyncio.sleep(0.001)


async def close(writer: asyncio.StreamWriter, timeout: float = 1.0) -> None:  # noqa: ASYNC109
    """Close cleanly (FIN) after flushing; abort if the client does not take the data in
    ``timeout`` seconds. A client that is already gone is ignored."""
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), timeout)
    except TimeoutError:
        writer.transport.abort()
    except (ConnectionError, OSError):
        pass


async def run_script(script: Script, conn: Connection) -> Outcome:
    """Run every action of ``script`` in order; stops early once the connection is ended.

    Raises ``ConnectionError`` when the client disconnects while data is written.
    """
    out = Outcome()
    for action in script:
        if out.closed or conn.stopping.is_set():
            break
        match action:
            case Status():
                data, out.must_close = status_bytes(
                    action, keep_alive=conn.keep_alive, request_id=conn.request_id
                )
                await _write(conn, data)
                out.wrote = True
            case StartStream():
                await _start_stream(conn, out, action)
            case Send(data=data):
                await _write(conn, data.encode() if isinstance(data, str) else data)
                out.wrote = True
            case Events():
                await _events(conn, out, action)
            case Done():
                if not out.streaming:
                    await _start_stream(conn, out, None)
                await _write(conn, DONE_FRAME)
            case Sleep(seconds=seconds):
                await sleep_or_stop(conn, seconds)
            case Reset():
                await _flush(conn.writer)
                reset(conn.writer)
                out.closed = True
            case Hang():
                await _hang(conn, out)
            case Close():
                await close(conn.writer)
                out.closed = True
            case _:
                raise TypeError(f"not a script action: {action!r}")
    return out
