"""The hostile-relay fault mix of ``python -m tools.soak --hostile`` (issue 14, items 1–3).

Each :class:`~tools.soak.Fault` is a relay that tries to freeze the bot (huge error strings
for the redaction regexes), hold a chat forever (``Retry-After: NaN``, silence, events
without content) or grow memory (citations, reasoning, tool calls, unknown event types,
compression bombs, deeply nested JSON), or take the request elsewhere (a redirect) — each
bounded in size and time so the soak ends. Big payloads are built once (:func:`hostile_faults`)
and shared by every chat, so that building them is not measured as the provider's work or
memory.

:func:`memory_per_fault` then runs each fault alone, once per entry point, under
``tracemalloc`` and reports the traced peak of each chat.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from tools.probes import TracedPeak
from tools.soak import Fault, ScriptFor, _fixed, _status, _stream
from tools.upstream import (
    Close,
    Events,
    Hang,
    RecordedRequest,
    Script,
    Send,
    Sleep,
    StartStream,
    error_body,
)
from tools.upstream.items import function_call_item, message_item, reasoning_item, response_object

#: How long (seconds) the scripts that send events without content go on: far past any bound.
FOREVER = 15.0
#: Pause (seconds) between two events without content.
EVERY = 0.25


def _frame(event: dict[str, Any]) -> str:
    return f"data: {json.dumps(event)}\n\n"


def _every(frame: str) -> Script:
    """``frame`` every :data:`EVERY` s for :data:`FOREVER` s."""
    return [a for _ in range(int(FOREVER / EVERY)) for a in (Send(frame), Sleep(EVERY))]


def _bomb(head: bytes, megabytes: int = 50) -> bytes:
    """``head`` then ``megabytes`` MB of ``x``, gzip-compressed (about 1000:1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"x" * (1024 * 1024)
    return b"".join(
        [packer.compress(head), *(packer.compress(block) for _ in range(megabytes))]
    ) + (packer.flush())


def _first_delta(events: list[dict[str, Any]]) -> int:
    """Index just after the first ``output_text.delta``."""
    return next(i for i, e in enumerate(events) if e["type"].endswith("text.delta")) + 1


def _inserted(extra: list[dict[str, Any]]) -> ScriptFor:
    """The chat's own answer with ``extra`` events after its first text delta."""

    def script(req: RecordedRequest) -> Script:
        events = _stream(req)
        cut = _first_delta(events)
        return [Events(events[:cut]), Events(extra), Events(events[cut:])]

    return script


def _before(extra: list[dict[str, Any]]) -> ScriptFor:
    """``extra`` events, then the chat's own answer."""
    return lambda req: [Events(extra), Events(_stream(req))]


def _after_text(frame: str) -> ScriptFor:
    """Part of the chat's answer, then ``frame`` (an event without content) forever."""
    return lambda req: [Events(_stream(req)[:7]), *_every(frame)]


def hostile_faults() -> list[Fault]:
    """The hostile-relay faults (payloads built now, once)."""
    opening = [
        {"type": "response.created", "response": {"status": "in_progress"}},
        {"type": "response.in_progress", "response": {"status": "in_progress"}},
    ]
    citations = [
        {
            "type": "response.output_text.annotation.added",
            "output_index": 0,
            "content_index": 0,
            "annotation_index": i,
            "annotation": {
                "type": "url_citation",
                "url": f"https://s.example/{i}",
                "title": f"Source {i} " + "t" * 150,
                "start_index": 0,
                "end_index": 1,
            },
        }
        for i in range(8000)
    ]
    cited = message_item("")  # the terminal snapshot: no text of its own, all the citations
    cited["content"][0]["annotations"] = [
        {**c["annotation"], "title": f"Source {i}"} for i, c in enumerate(citations)
    ]
    citations.append({"type": "response.completed", "response": response_object([cited])})
    reasoning = [
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": reasoning_item("thinking", encrypted="e" * 1_000_000, item_id=f"rs_{i}"),
        }
        for i in range(12)
    ]
    calls = [
        {
            "type": "response.output_item.added",
            "output_index": i,
            "item": function_call_item("get_magic_number", "", item_id=f"fc_{i}"),
        }
        for i in range(20_000)
    ]
    unknown = [{"type": f"response.x{i}." + "y" * 2000} for i in range(3000)]
    deep = "[" * 200_000
    json_headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    huge_code = "sk-" * 25_000
    return [
        # item 1: huge upstream strings must not reach the redaction regexes whole
        Fault(
            "error_event_huge_code",
            (
                _fixed(
                    [Events([{"type": "error", "code": "a." * 40_000, "message": "a." * 40_000}])]
                ),
            ),
            expect=("error",),
        ),
        Fault(
            "json_200_error_huge_code",
            (_status(200, body={"error": {"code": huge_code, "message": huge_code}}),),
            expect=("error",),
        ),
        Fault(
            "http_400_huge_code",
            (_status(400, body=error_body(400, huge_code, code=huge_code)),),
            expect=("error",),
        ),
        # item 2: time
        Fault("retry_after_nan", (_status(429, headers={"retry-after": "NaN"}),)),
        Fault("retry_after_ms_minus_inf", (_status(503, headers={"retry-after-ms": "-Infinity"}),)),
        Fault("hung_every_attempt", (_fixed([Hang()]),) * 3, expect=("error",), within=2),
        Fault(
            "silent_after_headers_every_attempt",
            (_fixed([StartStream(), Hang()]),) * 3,
            expect=("error",),
            within=2,
        ),
        Fault(
            "in_progress_forever",
            (_fixed([Events(opening), *_every(_frame(opening[1]))]),),
            expect=("error",),
            within=10,
        ),
        Fault(
            "heartbeats_after_text",
            (_after_text(_frame({"type": "response.relay.heartbeat"})),),
            expect=("partial",),
            within=1,
        ),
        Fault(
            "empty_deltas_after_text",
            (
                _after_text(
                    _frame({"type": "response.output_text.delta", "item_id": "m", "delta": ""})
                ),
            ),
            expect=("partial",),
            within=1,
        ),
        # item 3: growth
        Fault(  # ("partial": annotations carry no content, and on a loaded machine 1.6 MB
            # of them may take longer than `timeout`; then the text shown so far is kept)
            "citations_flood",
            (lambda r: [Events(_stream(r)[:-1]), Events(citations)],),
            expect=("ok", "partial"),
        ),
        Fault(  # ("partial": items not kept carry no content, see citations_flood)
            "reasoning_flood", (_before(reasoning),), expect=("ok", "partial")
        ),
        Fault("tool_call_flood", (_fixed([Events(calls), Close()]),), expect=("error",)),
        Fault("unknown_type_flood", (_inserted(unknown),), expect=("ok", "partial")),
        Fault(
            "gzip_sse_bomb",
            (
                _fixed(
                    [
                        StartStream(headers={"Content-Encoding": "gzip"}),
                        Send(_bomb(b"data: ")),
                        Close(),
                    ]
                ),
            ),
            expect=("error",),
        ),
        Fault(
            "gzip_json_bomb",
            (_status(200, headers=json_headers, body=_bomb(b'{"output": "')),),
            expect=("error",),
        ),
        Fault(
            "gzip_error_body_bomb",  # a 500: retried, the next attempt answers
            (_status(500, headers=json_headers, body=_bomb(b'{"error": {"message": "')),),
        ),
        Fault(
            "nested_json_body",
            (_status(200, headers={"Content-Type": "application/json"}, body=deep),),
            expect=("error",),
        ),
        Fault(  # a stream of only malformed events: retried, the next attempt answers
            "nested_sse_event", (_fixed([StartStream(), Send(f"data: {deep}\n\n"), Close()]),)
        ),
        Fault(
            "redirect_302",
            (
                _status(
                    302,
                    headers={"Location": "https://u:pw@evil.example/v1/responses?key=sk-x"},
                    body=response_object(text="HIJACKED"),
                ),
            ),
            expect=("error",),
        ),
    ]


async def memory_per_fault(
    faults: list[Fault],
    run: Callable[[Fault, bool], Awaitable[object]],
) -> dict[str, int]:
    """Run each fault alone, once per entry point (``run(fault, stream)``), under
    ``tracemalloc``; return fault name → the larger traced peak (bytes) of its two chats."""
    peaks: dict[str, int] = {}
    for fault in faults:
        for stream in (False, True):
            await asyncio.sleep(0.05)  # let the previous chat's connections close
            with TracedPeak() as traced:
                await run(fault, stream)
            peaks[fault.name] = max(peaks.get(fault.name, 0), traced.peak)
    return peaks


__all__ = ["hostile_faults", "memory_per_fault"]
