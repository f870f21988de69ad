"""EventStream bounds (issue 4): the idle limit measures upstream silence, nothing else."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.errors import UpstreamError
from data.plugins.astrbot_plugin_openai_responses.provider.sse import EventStream

EVENT = {"type": "response.output_text.delta", "delta": "a"}
FRAME = f"data: {json.dumps(EVENT)}\n\n"


async def _chunks(parts: list[str], delay: float = 0.0) -> AsyncIterator[str]:
    for part in parts:
        if delay:
            await asyncio.sleep(delay)
        yield part


def _stream(parts: list[str], *, idle: float, delay: float = 0.0) -> EventStream:
    return EventStream(
        _chunks(parts, delay), max_line_chars=10_000, max_event_chars=10_000, idle_timeout=idle
    )


async def test_a_slow_consumer_is_not_mistaken_for_a_silent_upstream() -> None:
    """A consumer that takes longer than the idle limit per event (a slow chat platform)
    must not turn promptly delivered events into a timeout."""
    events = []
    async for event in _stream([FRAME, FRAME[:10], FRAME[10:], FRAME], idle=0.05):
        events.append(event)
        await asyncio.sleep(0.1)  # the consumer is busy, the upstream is not silent
    assert events == [EVENT, EVENT, EVENT]


async def test_keep_alive_only_after_an_event_still_hits_the_idle_limit() -> None:
    with pytest.raises(UpstreamError, match="no event for"):
        async for _ in _stream([FRAME] + [": ping\n\n"] * 40, idle=0.05, delay=0.01):
            pass
