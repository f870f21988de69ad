"""A fast loopback Responses upstream for the benchmark, run in its own process.

``python -m benchmarks.bench_upstream [--port P]`` prints ``bench upstream ready port=P``
and serves until killed. Its CPU is therefore never charged to the contenders.

Every ``POST …/responses`` is answered with a pre-serialised SSE body (chunked transfer
encoding, written in large pieces). The scenario is picked by a marker anywhere in the
request body, normally in the prompt: ``bench=<scenario>``:

``deltas:N[:C]``
    N ``response.output_text.delta`` events of C characters (default 5), with the full
    canonical tail (``output_text.done``, ``content_part.done``, ``output_item.done``,
    ``response.completed`` carrying the whole text) — a normal, realistic answer.
``bytes:M``
    M megabytes of text in 2 000-character deltas; the tail's snapshots carry a short
    placeholder text instead of the M MB (keeps the upstream's memory sane; the provider
    under test stops at ``max_output_chars`` long before the tail).
``line:M``
    ``response.created`` / ``in_progress``, then ONE ``data:`` line of M megabytes that never
    ends (no newline), then the body ends.
``pause:MS:ID``
    Opening events and the first delta in ONE write; the monotonic time of that write
    (``time.monotonic_ns()``, a system-wide clock on Linux) is stored under ID; then a pause
    of MS milliseconds; then 50 more deltas and the tail. ``GET /stamp/ID`` returns the
    stored nanoseconds as text (the side channel for time-to-first-chunk).
``paced:N:MS``
    N deltas of 5 characters, one write every MS milliseconds (a steadily streaming model),
    then the tail.

Events are built once per scenario with :mod:`tools.upstream.events` (valid Responses
events, canonical order) and cached as bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import time
from functools import cache

from tools.upstream.events import output_stream, text_stream
from tools.upstream.httpio import BadRequest, read_request, response_head
from tools.upstream.items import message_item
from tools.upstream.sse import encode_frame

#: Piece size of big writes (bytes).
WRITE_PIECE = 1 << 20
_MARK = re.compile(rb"bench=([A-Za-z]+(?::[A-Za-z0-9_.\-]+)*)")
_WORDS = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed"]
_SSE_HEAD = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "Transfer-Encoding": "chunked",
}
_stamps: dict[str, int] = {}


def make_text(chars: int) -> str:
    """Deterministic ASCII prose of exactly ``chars`` characters."""
    out: list[str] = []
    size = 0
    i = 0
    while size < chars:
        word = _WORDS[i % len(_WORDS)] + " "
        out.append(word)
        size += len(word)
        i += 1
    return "".join(out)[:chars]


def _frames(events: list[dict]) -> bytes:
    return b"".join(encode_frame(e) for e in events)


def _split_at_deltas(events: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """(events before the first text delta, the deltas, events after the last delta)."""
    idx = [i for i, e in enumerate(events) if e["type"] == "response.output_text.delta"]
    return events[: idx[0]], events[idx[0] : idx[-1] + 1], events[idx[-1] + 1 :]


@cache
def deltas_body(n: int, chars: int = 5) -> bytes:
    """A normal answer of ``n`` deltas × ``chars`` characters (full canonical tail)."""
    return _frames(text_stream(make_text(n * chars), chunks=n))


@cache
def delta_events_count(n: int) -> int:
    """How many SSE events ``deltas:n`` sends (deltas + opening and tail events)."""
    return len(text_stream(make_text(n * 5), chunks=n))


@cache
def bytes_body(megabytes: float) -> bytes:
    """About ``megabytes`` MB of 2 000-character deltas, short placeholder tail."""
    piece = 2000
    n = max(1, int(megabytes * 1_000_000) // piece)
    short = text_stream("(placeholder: the real text is too large to repeat)", chunks=1)
    head, _, tail = _split_at_deltas(short)
    text = make_text(piece)
    template = {**_split_at_deltas(short)[1][0], "delta": text}
    start = len(head)
    parts = [_frames(head)]
    for i in range(n):
        template["sequence_number"] = start + i
        parts.append(encode_frame(template))
    for j, event in enumerate(tail):
        parts.append(encode_frame({**event, "sequence_number": start + n + j}))
    return b"".join(parts)


@cache
def line_body(megabytes: float) -> bytes:
    """Opening events, then one ``data:`` line of ``megabytes`` MB without a newline."""
    head, delta, _ = _split_at_deltas(text_stream("x", chunks=1))
    size = int(megabytes * 1_000_000)
    fields = {k: v for k, v in delta[0].items() if k not in ("delta", "logprobs")}
    start = b"data: " + json.dumps(fields, separators=(",", ":"))[:-1].encode() + b',"delta":"'
    return _frames(head) + start + b"a" * max(0, size - len(start))


@cache
def pause_parts() -> tuple[bytes, bytes]:
    """(opening + first delta, the rest) of the first-then-pause answer."""
    events = output_stream(
        [message_item("Hello! Here is the answer you asked for. " + make_text(250))], chunks=51
    )
    head, deltas, tail = _split_at_deltas(events)
    return _frames([*head, deltas[0]]), _frames(deltas[1:] + tail)


@cache
def paced_parts(n: int) -> tuple[bytes, list[bytes], bytes]:
    """(opening events, one frame per delta, tail) of ``paced:n``."""
    head, deltas, tail = _split_at_deltas(text_stream(make_text(n * 5), chunks=n))
    return _frames(head), [encode_frame(d) for d in deltas], _frames(tail)


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


async def _write_big(writer: asyncio.StreamWriter, data: bytes) -> None:
    view = memoryview(data)
    for start in range(0, len(view), WRITE_PIECE):
        writer.write(_chunk(bytes(view[start : start + WRITE_PIECE])))
        await writer.drain()


async def _answer(writer: asyncio.StreamWriter, scenario: str) -> None:
    kind, *args = scenario.split(":")
    writer.write(response_head(200, _SSE_HEAD))
    if kind == "deltas":
        await _write_big(writer, deltas_body(int(args[0]), int(args[1]) if len(args) > 1 else 5))
    elif kind == "bytes":
        await _write_big(writer, bytes_body(float(args[0])))
    elif kind == "line":
        await _write_big(writer, line_body(float(args[0])))
    elif kind == "pause":
        first, rest = pause_parts()
        stamp = time.monotonic_ns()
        writer.write(_chunk(first))  # head + first event leave in this write
        _stamps[args[1]] = stamp
        await writer.drain()
        await asyncio.sleep(float(args[0]) / 1000)
        await _write_big(writer, rest)
    elif kind == "paced":
        head, frames, tail = paced_parts(int(args[0]))
        gap = float(args[1]) / 1000
        writer.write(_chunk(head))
        for frame in frames:
            writer.write(_chunk(frame))
            await writer.drain()
            await asyncio.sleep(gap)
        await _write_big(writer, tail)
    else:
        raise ValueError(f"unknown scenario {scenario!r}")
    writer.write(b"0\r\n\r\n")
    await writer.drain()


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            request = await read_request(reader)
            if request is None:
                return
            if request.method == "GET" and request.path.startswith("/stamp/"):
                body = str(_stamps.pop(request.path.rsplit("/", 1)[1], -1)).encode()
                writer.write(response_head(200, {"Content-Length": str(len(body))}) + body)
                await writer.drain()
                continue
            match = _MARK.search(request.body)
            if request.method != "POST" or match is None:
                body = b'{"error":{"message":"bench upstream: no bench=<scenario> marker"}}'
                head = {"Content-Type": "application/json", "Content-Length": str(len(body))}
                writer.write(response_head(400, head) + body)
                await writer.drain()
                continue
            await _answer(writer, match.group(1).decode())
    except (BadRequest, ConnectionError, asyncio.IncompleteReadError):
        pass  # clients close streams early on purpose (caps, first-chunk runs)
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


def warm(scenarios: list[str]) -> None:
    """Pre-build the bodies of ``scenarios`` (so the first request is not slower)."""
    for scenario in scenarios:
        kind, *args = scenario.split(":")
        if kind == "deltas":
            deltas_body(int(args[0]), int(args[1]) if len(args) > 1 else 5)
        elif kind == "bytes":
            bytes_body(float(args[0]))
        elif kind == "line":
            line_body(float(args[0]))
        elif kind == "paced":
            paced_parts(int(args[0]))
        elif kind == "pause":
            pause_parts()


async def serve(port: int, warm_up: list[str]) -> None:
    """Listen on 127.0.0.1:``port`` (0 = any free port) and print the ready line."""
    warm(warm_up)
    server = await asyncio.start_server(_handle, "127.0.0.1", port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(f"bench upstream ready port={bound}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--warm", action="append", default=[], help="scenario to pre-build")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.warm))


if __name__ == "__main__":
    main()
