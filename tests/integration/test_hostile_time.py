"""Hostile relay, time: no upstream can hold a chat forever (issue 14, item 2).

A relay controls every byte and every pause of its answer. Each test scripts one way to hold
a chat on the loopback upstream and checks the bound spec 001 §"Transport and retries" and
§"SSE and accumulation" give it, through ``text_chat`` and ``text_chat_stream``, with an
event-loop-lag probe running (no wait may block the other chats of the bot).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.errors import UpstreamError
from tests.integration.faults import (
    ANSWER,
    BRAIN_ANSWER,
    FAST_BACKOFF,
    MODES,
    Kit,
    Outcome,
    assert_cut_by_upstream,
)
from tools.probes import STALL, LoopLag
from tools.upstream import Events, Hang, Send, Sleep, StartStream, Status
from tools.upstream import events as ev

#: Timeout (seconds) of the providers in this file.
T = 0.4
#: The opening events of a stream (``response.created``, ``response.in_progress``).
OPENING = ev.text_stream(ANSWER)[:2]
#: ``ev.text_stream(ANSWER, chunks=6)[:SHOWN]`` ends after three text deltas.
SHOWN = 7
#: Scheduling slack (seconds) on top of every bound in this file.
MARGIN = 0.25
#: The backoff of two retries in these tests (``FAST_BACKOFF`` · (1 + 2), seconds).
BACKOFF = 3 * FAST_BACKOFF


async def probed_chat(kit: Kit, stream: bool, *, bound: float, seconds: float = T) -> Outcome:
    """One call on a provider with ``timeout`` ``seconds`` (``request_max_retries`` 3, an
    ``abort_signal`` as AstrBot passes it) that ends within ``bound`` s (+ :data:`MARGIN`);
    the event loop never stalls meanwhile."""
    provider = await kit.provider(timeout=seconds)
    async with LoopLag() as lag:
        out = await kit.chat(
            provider, stream, bound=bound, request_max_retries=3, abort_signal=asyncio.Event()
        )
    assert out.elapsed < bound + MARGIN, f"took {out.elapsed:.2f} s, bound {bound:.2f} s"
    assert lag.max_busy < STALL, f"event loop blocked {lag.max_busy * 1000:.0f} ms"
    return out


def every(seconds: float, frame: str, *, total: float) -> list[Any]:
    """``frame`` every ``seconds`` for ``total`` seconds (far past any bound under test)."""
    return [step for _ in range(int(total / seconds)) for step in (Send(frame), Sleep(seconds))]


def sse(event: dict[str, Any]) -> str:
    """One SSE frame."""
    import json

    return f"data: {json.dumps(event)}\n\n"


# -- Retry-After -------------------------------------------------------------------------------


@MODES
@pytest.mark.parametrize(
    "header",
    [
        {"retry-after": "NaN"},
        {"retry-after": "nan"},
        {"retry-after": "inf"},
        {"retry-after": "1e999"},
        {"retry-after-ms": "NaN"},
        {"retry-after-ms": "-Infinity"},
    ],
    ids=lambda h: "=".join(next(iter(h.items()))),
)
async def test_retry_after_that_is_not_a_finite_number_is_ignored(
    kit: Kit, stream: bool, header: dict[str, str]
) -> None:
    kit.upstream.enqueue([Status(429, headers=header)])
    # other chats' timers wait on the event loop: a NaN delay sorts behind them all
    others = asyncio.get_running_loop().call_later(30, lambda: None)
    try:
        out = await probed_chat(kit, stream, bound=FAST_BACKOFF)
    finally:
        others.cancel()
    assert out.text == BRAIN_ANSWER  # retried after the normal backoff
    assert kit.requests() == 2
    assert out.elapsed >= 0.75 * FAST_BACKOFF


# -- silence before the first byte -----------------------------------------------------------


@MODES
async def test_hung_upstream_is_retried_once_and_ends_within_twice_the_timeout(
    kit: Kit, stream: bool
) -> None:
    for _ in range(3):
        kit.upstream.enqueue([Hang()])
    out = await probed_chat(kit, stream, bound=2 * T + BACKOFF)
    message = out.raised(UpstreamError)
    assert "did not answer" in message
    assert "`timeout`" in message
    assert kit.requests() == 2  # one retry after a timeout, not two
    assert out.elapsed >= 2 * T * 0.9


@MODES
async def test_headers_then_silence_is_retried_once(kit: Kit, stream: bool) -> None:
    for _ in range(3):
        kit.upstream.enqueue([StartStream(), Hang()])
    out = await probed_chat(kit, stream, bound=2 * T + BACKOFF)
    assert "`timeout`" in out.raised(UpstreamError)
    assert kit.requests() == 2


@MODES
async def test_attempts_share_a_deadline_of_twice_the_timeout(kit: Kit, stream: bool) -> None:
    # a slow error, then silence twice: the third attempt gets only what is left of 2 × T
    timeout = 1.0
    kit.upstream.enqueue([Sleep(0.75 * timeout), Status(503)])
    kit.upstream.enqueue([Hang()])
    kit.upstream.enqueue([Hang()])
    out = await probed_chat(kit, stream, bound=2 * timeout + BACKOFF, seconds=timeout)
    message = out.raised(UpstreamError)
    assert "waited 2 s together (2 × the `timeout` setting)" in message
    assert kit.requests() == 3
    assert out.elapsed >= 2 * timeout * 0.9


# -- events that carry no content ------------------------------------------------------------

NO_CONTENT = {
    "in-progress": sse({"type": "response.in_progress", "response": {"status": "in_progress"}}),
    "unknown-type": sse({"type": "response.relay.heartbeat"}),
    "empty-text-delta": sse(
        {"type": "response.output_text.delta", "item_id": "msg_1", "content_index": 0, "delta": ""}
    ),
}


@MODES
@pytest.mark.parametrize("kind", NO_CONTENT)
async def test_events_without_content_before_the_first_content_end_at_ten_timeouts(
    kit: Kit, stream: bool, kind: str
) -> None:
    kit.upstream.enqueue([Events(OPENING), *every(T / 4, NO_CONTENT[kind], total=30 * T)])
    out = await probed_chat(kit, stream, bound=10 * T + T / 4)
    message = out.raised(UpstreamError)
    assert f"{10 * T:g} s" in message
    assert "`timeout`" in message
    assert kit.requests() == 1  # the 10 × timeout are for the whole chat turn: not retried
    assert out.elapsed >= 10 * T * 0.9


@MODES
@pytest.mark.parametrize("kind", NO_CONTENT)
async def test_events_without_content_after_text_do_not_reset_the_idle_clock(
    kit: Kit, stream: bool, kind: str
) -> None:
    events = ev.text_stream(ANSWER, chunks=6)[:SHOWN]
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    kit.upstream.enqueue([Events(events), *every(T / 4, NO_CONTENT[kind], total=30 * T)])
    out = await probed_chat(kit, stream, bound=T + T / 4)
    assert_cut_by_upstream(out.text, text, f"no new content for {T:g} s", "`timeout`")
    assert kit.requests() == 1


@MODES
async def test_content_that_keeps_coming_is_not_cut(kit: Kit, stream: bool) -> None:
    # one text delta every T/2 for 4 × T: slow, but never T without new content
    events = ev.text_stream(ANSWER, chunks=8)
    deltas = [i for i, e in enumerate(events) if e["type"] == "response.output_text.delta"]
    slow = [step for i in deltas for step in (Events([events[i]]), Sleep(T / 2))]
    kit.upstream.enqueue([Events(events[: deltas[0]]), *slow, Events(events[deltas[-1] + 1 :])])
    out = await probed_chat(kit, stream, bound=len(deltas) * T / 2)
    assert out.text == ANSWER
