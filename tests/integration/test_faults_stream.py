"""Fault matrix, stream content: SSE framing quirks, in-stream errors, terminal states, limits.

Scripted on the real loopback upstream; every fault runs through both ``text_chat`` and
``text_chat_stream`` (a relay that streams to a non-stream request is handled by sniffing the
body, so the same SSE scripts apply to both). The test name states the expected outcome.
"""

from __future__ import annotations

import json
import logging
import tracemalloc
from typing import Any

import pytest
from astrbot.core.agent.tool import FunctionTool, ToolSet

from data.plugins.astrbot_plugin_openai_responses.provider.errors import UpstreamError
from data.plugins.astrbot_plugin_openai_responses.provider.notices import CAP_NOTICE
from tests.integration.faults import (
    ANSWER,
    MODES,
    Kit,
    assert_cut_by_upstream,
    cut,
)
from tools.upstream import Close, Done, Events, Reset, Send, StartStream, Status
from tools.upstream import events as ev
from tools.upstream.items import function_call_item, response_object

#: An answer with multi-byte characters (a split TCP write can cut one in half).
UNICODE_ANSWER = "Grüße — 你好, мир! " * 3 + "ok"
#: Index of the first ``output_text.delta`` in ``ev.text_stream(...)`` (after created,
#: in_progress, output_item.added, content_part.added).
FIRST_DELTA = 4


def shown(events: list[dict[str, Any]]) -> str:
    """The text the user has seen after ``events`` (their ``output_text.delta`` pieces)."""
    return "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")


def magic_tools() -> ToolSet:
    """The one tool offered in the tool-argument tests."""
    return ToolSet(
        [
            FunctionTool(
                name="get_magic_number",
                description="Return the magic number for a seed.",
                parameters={"type": "object", "properties": {"seed": {"type": "integer"}}},
                handler=None,
            )
        ]
    )


# -- framing ---------------------------------------------------------------------------------

FRAMINGS: dict[str, list[Any]] = {
    "split-across-many-tcp-writes": [Events(ev.text_stream(UNICODE_ANSWER), split=9)],
    "crlf": [Events(ev.text_stream(UNICODE_ANSWER), crlf=True)],
    "done-marker": [Events(ev.text_stream(UNICODE_ANSWER)), Done()],
    "no-event-lines": [Events(ev.text_stream(UNICODE_ANSWER), event_lines=False)],
    "crlf-no-event-lines-split": [
        Events(ev.text_stream(UNICODE_ANSWER), crlf=True, event_lines=False, split=5)
    ],
    "keep-alive-comments-between-events": [
        StartStream(),
        Send(": keep-alive\n\n"),
        Events(ev.text_stream(UNICODE_ANSWER)[:6]),
        Send(":\n\n: ping\n\n"),
        Events(ev.text_stream(UNICODE_ANSWER)[6:]),
    ],
    "last-event-without-blank-line": [
        Events(ev.text_stream(UNICODE_ANSWER)[:-1]),
        Send("data: " + json.dumps(ev.text_stream(UNICODE_ANSWER)[-1])),
        Close(),
    ],
}


@MODES
@pytest.mark.parametrize("framing", list(FRAMINGS))
async def test_sse_framing_variant_gives_the_full_answer(
    kit: Kit, stream: bool, framing: str
) -> None:
    kit.upstream.enqueue(FRAMINGS[framing])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=1.0)
    assert out.text == UNICODE_ANSWER
    assert kit.requests() == 1


@MODES
async def test_malformed_json_events_among_good_ones_are_skipped(kit: Kit, stream: bool) -> None:
    events = ev.text_stream(ANSWER, chunks=6)
    kit.upstream.enqueue(
        [
            StartStream(),
            Events(events[:6]),
            Send("data: {this is not json\n\n"),
            Send("event: response.output_text.delta\ndata: [1, 2]\n\n"),
            Send('data: {"type": "response.output_text.delta", "delta": "x"\n\n'),
            Events(events[6:]),
        ]
    )
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.5)
    assert out.text == ANSWER
    assert kit.requests() == 1


@MODES
async def test_only_malformed_events_is_retried_then_fails_clearly(kit: Kit, stream: bool) -> None:
    for _ in range(2):
        kit.upstream.enqueue([StartStream(), Send("data: {oops\n\n" * 3), Close()])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.6, request_max_retries=2)
    message = out.raised(UpstreamError)
    assert "ended before any answer" in message
    assert "3 malformed events" in message
    assert kit.requests() == 2


# -- the stream ends early -------------------------------------------------------------------


#: How a stream may end without ``response.completed``.
ENDINGS = {"close": [Close()], "done-marker": [Done(), Close()], "reset": [Reset()]}
ENDING = pytest.mark.parametrize("ending", list(ENDINGS.values()), ids=list(ENDINGS))


@MODES
@ENDING
async def test_stream_ending_while_an_item_is_in_progress_keeps_text_and_adds_notice(
    kit: Kit, stream: bool, ending: list[Any]
) -> None:
    events = ev.text_stream(ANSWER)
    kit.upstream.enqueue([Events(events[:-2]), *ending])  # no output_item.done, no terminal
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.5, request_max_retries=3)
    assert out.text == cut(ANSWER)
    assert kit.requests() == 1  # text reached the user: never retried


@MODES
async def test_stream_ending_after_an_incomplete_item_keeps_the_notice(
    kit: Kit, stream: bool
) -> None:
    events = ev.text_stream(ANSWER)[:-1]
    events[-1]["item"]["status"] = "incomplete"  # output_item.done, but not completed
    kit.upstream.enqueue([Events(events), Close()])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.5)
    assert out.text == cut(ANSWER)


ANSWERS = {
    "text": ev.text_stream(ANSWER),
    "tool_call": ev.function_call_stream("get_magic_number", {"seed": 7}, call_id="call_7"),
    "reasoning+text": ev.reasoning_then_text_stream("Pondering.", ANSWER),
}


@MODES
@ENDING
@pytest.mark.parametrize("answer", list(ANSWERS), ids=list(ANSWERS))
async def test_stream_ending_after_every_item_is_done_is_a_complete_answer(
    kit: Kit, stream: bool, ending: list[Any], answer: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Relays that drop ``response.completed``: every added item was done and completed,
    so the answer is whole: no "connection broke" notice (a debug line), no retry."""
    kit.upstream.enqueue([Events(ANSWERS[answer][:-1]), *ending])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.5, func_tool=magic_tools())
    assert out.final is not None
    if answer == "tool_call":
        assert (out.final.tools_call_name, out.final.tools_call_args) == (
            ["get_magic_number"],
            [{"seed": 7}],
        )
        assert out.final.tools_call_ids == ["call_7"]
    else:
        assert out.text == ANSWER
    assert kit.requests() == 1
    debug = [
        r.getMessage() for r in caplog.records if "every output item was done" in r.getMessage()
    ]
    assert len(debug) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@MODES
async def test_done_marker_before_response_completed_keeps_text_and_adds_notice(
    kit: Kit, stream: bool
) -> None:
    events = ev.text_stream(ANSWER, chunks=6)
    kit.upstream.enqueue([Events(events[:7]), Done(), Events(events[7:])])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.5, request_max_retries=3)
    assert out.text == cut(shown(events[:7]))
    assert kit.requests() == 1


# -- error events and response.failed --------------------------------------------------------

NESTING = pytest.mark.parametrize("nested", [False, True], ids=["flat", "nested"])


@MODES
@NESTING
async def test_error_event_after_text_keeps_text_and_adds_notice(
    kit: Kit, stream: bool, nested: bool
) -> None:
    events = ev.text_stream(ANSWER, chunks=6)
    error = ev.error_event("The server is overloaded.", "server_is_overloaded", nested=nested)
    kit.upstream.enqueue([Events(events[:7] + error), Close()])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.5, request_max_retries=3)
    assert_cut_by_upstream(
        out.text, shown(events[:7]), "The server is overloaded", "server_is_overloaded"
    )
    assert kit.requests() == 1


@MODES
async def test_response_failed_after_text_keeps_text_and_adds_notice(
    kit: Kit, stream: bool
) -> None:
    events = ev.text_stream(ANSWER, chunks=6)
    kit.upstream.enqueue([Events(events[:7] + ev.failed_event()), Close()])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.5, request_max_retries=3)
    assert_cut_by_upstream(out.text, shown(events[:7]), "response.failed", "server_error")
    assert kit.requests() == 1


# -- response.incomplete ---------------------------------------------------------------------


@MODES
@pytest.mark.parametrize("body", ["sse", "json"])
@pytest.mark.parametrize("reason", ["max_output_tokens", "content_filter"])
async def test_response_incomplete_keeps_partial_text_and_shows_the_reason(
    kit: Kit, stream: bool, body: str, reason: str
) -> None:
    if body == "sse":
        kit.upstream.enqueue([Events(ev.incomplete_stream(ANSWER, reason))])
    else:
        obj = response_object(text=ANSWER, status="incomplete", incomplete_reason=reason)
        kit.upstream.enqueue([Status(200, body=obj)])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.5)
    assert out.text.startswith(ANSWER + "\n\n(")
    assert reason in out.text
    assert "incomplete" in out.text
    assert kit.requests() == 1


# -- limits ----------------------------------------------------------------------------------

MB = 1024 * 1024


#: body → (its start, what repeats for 20 MB, the limit that stops it, the error's words)
HUGE_BODIES: dict[str, tuple[list[Any], bytes, str, str]] = {
    "sse-line-without-newline": (
        [StartStream(), Send(b"data: ")],
        b"x",
        "max_line_chars",
        "SSE line longer than {limit} characters",
    ),
    "json-body": (
        [StartStream(content_type="application/json"), Send(b'{"id": "resp_1", "output": "')],
        b"y",
        "max_body_bytes",
        "larger than {limit} characters",
    ),
}


@MODES
@pytest.mark.parametrize("body", HUGE_BODIES)
async def test_20_mb_body_stops_at_its_cap_with_bounded_memory(
    kit: Kit, stream: bool, body: str
) -> None:
    start, byte, cap, words = HUGE_BODIES[body]
    piece = byte * (64 * 1024)
    kit.upstream.enqueue([*start, *[Send(piece) for _ in range(20 * MB // len(piece))], Close()])
    provider = await kit.provider()
    limit = getattr(provider.transport.limits, cap)
    tracemalloc.start()
    try:
        out = await kit.chat(provider, stream, bound=2.0, request_max_retries=3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert words.format(limit=limit) in out.raised(UpstreamError)
    assert limit < 20 * MB // 2
    assert peak < min(5 * limit, 20 * MB), f"peak {peak / MB:.1f} MB"  # 20 MB never held
    assert kit.requests() == 1  # a misbehaving relay is not asked again
    await kit.connections_closed()


@MODES
async def test_event_of_many_data_lines_stops_at_the_event_cap(kit: Kit, stream: bool) -> None:
    line = "data: " + "z" * 100_000 + "\n"
    provider = await kit.provider(max_output_chars=1000)
    limit = provider.transport.limits.max_event_chars
    lines = limit // 100_000 + 2
    kit.upstream.enqueue([StartStream(), *[Send(line) for _ in range(lines)], Close()])
    out = await kit.chat(provider, stream, bound=1.0, request_max_retries=3)
    assert f"SSE event longer than {limit} characters" in out.raised(UpstreamError)
    assert kit.requests() == 1


@MODES
async def test_text_over_max_output_chars_is_cut_with_a_notice(kit: Kit, stream: bool) -> None:
    text = "0123456789" * 300
    kit.upstream.enqueue([Events(ev.text_stream(text, chunks=30))])
    provider = await kit.provider(max_output_chars=1000)
    out = await kit.chat(provider, stream, bound=0.5)
    assert out.text == cut(text[:1000], CAP_NOTICE)
    await kit.connections_closed()


@MODES
@pytest.mark.parametrize("body", ["sse", "json"])
async def test_tool_arguments_over_max_output_chars_are_not_run_and_the_user_is_told(
    kit: Kit, stream: bool, body: str
) -> None:
    args = {"seed": 7, "padding": "p" * 5000}
    if body == "sse":
        kit.upstream.enqueue([Events(ev.function_call_stream("get_magic_number", args, chunks=20))])
    else:
        item = function_call_item("get_magic_number", args)
        kit.upstream.enqueue([Status(200, body=response_object([item]))])
    provider = await kit.provider(max_output_chars=1000)
    out = await kit.chat(provider, stream, bound=0.5, func_tool=magic_tools())
    assert out.final is not None
    assert not out.final.tools_call_args
    assert "max_output_chars" in out.text
    assert "not run" in out.text
    if body == "sse":
        await kit.connections_closed()  # reading stopped at the cap
