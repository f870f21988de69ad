"""EventStream framing: CRLF, split frames, [DONE], comments, junk, size and idle limits;
the httpx-sse class it is built on."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator
from importlib.metadata import version

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.clock import RequestClock
from data.plugins.astrbot_plugin_openai_responses.provider.errors import UpstreamError
from data.plugins.astrbot_plugin_openai_responses.provider.sse import EventStream, looks_like_sse
from tests.conftest import REPO


async def _chunks(parts: list[str], delay: float = 0.0) -> AsyncIterator[str]:
    for part in parts:
        if delay:
            await asyncio.sleep(delay)
        yield part


def _clock(idle: float | None) -> RequestClock | None:
    return RequestClock(idle) if idle is not None else None


async def _events(parts: list[str], **kw: object) -> tuple[list[dict], EventStream]:
    stream = EventStream(
        _chunks(parts, float(kw.pop("delay", 0.0))),  # type: ignore[arg-type]
        max_line_chars=int(kw.pop("max_line", 10_000)),  # type: ignore[arg-type]
        max_event_chars=int(kw.pop("max_event", 10_000)),  # type: ignore[arg-type]
        clock=_clock(kw.pop("idle", None)),  # type: ignore[arg-type]
    )
    return [e async for batch in stream.batches() for e in batch], stream


def frame(obj: dict, *, event: bool = True, nl: str = "\n") -> str:
    head = f"event: {obj['type']}{nl}" if event else ""
    return f"{head}data: {json.dumps(obj)}{nl}{nl}"


A = {"type": "response.output_text.delta", "delta": "a"}
B = {"type": "response.output_text.delta", "delta": "b"}


async def test_lf_and_crlf_and_missing_event_lines_give_the_same_events() -> None:
    lf, _ = await _events([frame(A) + frame(B)])
    crlf, _ = await _events([frame(A, nl="\r\n") + frame(B, nl="\r\n")])
    bare, _ = await _events([frame(A, event=False) + frame(B, event=False)])
    assert lf == crlf == bare == [A, B]


async def test_event_split_across_many_writes() -> None:
    text = frame(A) + frame(B)
    events, _ = await _events([text[i : i + 3] for i in range(0, len(text), 3)])
    assert events == [A, B]


async def test_done_ends_the_stream_and_comments_are_skipped() -> None:
    events, stream = await _events([": keep-alive\n\n", frame(A), "data: [DONE]\n\n", frame(B)])
    assert events == [A]
    assert stream.done


async def test_malformed_json_among_good_events_is_skipped() -> None:
    events, stream = await _events([frame(A), "data: {not json\n\n", "data: 42\n\n", frame(B)])
    assert events == [A, B]
    assert stream.malformed == 2


async def test_last_event_without_blank_line_is_kept() -> None:
    events, _ = await _events([f"data: {json.dumps(A)}"])
    assert events == [A]


async def test_the_json_type_wins_over_a_wrong_event_line() -> None:
    events, _ = await _events([f"event: message\ndata: {json.dumps(A)}\n\n"])
    assert events == [A]


async def test_a_line_without_newline_over_the_limit_is_an_error() -> None:
    with pytest.raises(UpstreamError, match="longer than 1000 characters"):
        await _events(["data: " + "x" * 600, "x" * 600], max_line=1000)


async def test_an_event_over_the_limit_is_an_error() -> None:
    many = "".join("data: " + "y" * 50 + "\n" for _ in range(30))
    with pytest.raises(UpstreamError, match="SSE event longer"):
        await _events([many], max_event=1000)


async def test_keep_alive_comments_forever_hit_the_idle_timeout() -> None:
    with pytest.raises(UpstreamError, match="no event for"):
        await _events([": ping\n\n"] * 50, delay=0.01, idle=0.05)


def test_sniffing() -> None:
    assert looks_like_sse("data: {")
    assert looks_like_sse(": hi")
    assert not looks_like_sse('{"id":')


# -- the idle limit measures upstream silence, nothing else ---------------------------------

EVENT = {"type": "response.output_text.delta", "delta": "a"}
FRAME = f"data: {json.dumps(EVENT)}\n\n"


def _stream(parts: list[str], *, idle: float, delay: float = 0.0) -> EventStream:
    return EventStream(
        _chunks(parts, delay), max_line_chars=10_000, max_event_chars=10_000, clock=_clock(idle)
    )


async def test_a_slow_consumer_is_not_mistaken_for_a_silent_upstream() -> None:
    """A consumer that takes longer than the idle limit per event (a slow chat platform)
    must not turn promptly delivered events into a timeout."""
    events = []
    async for batch in _stream([FRAME, FRAME[:10], FRAME[10:], FRAME], idle=0.05).batches():
        events.extend(batch)
        await asyncio.sleep(0.1)  # the consumer is busy, the upstream is not silent
    assert events == [EVENT, EVENT, EVENT]


async def test_keep_alive_only_after_an_event_still_hits_the_idle_limit() -> None:
    with pytest.raises(UpstreamError, match="no event for"):
        async for _ in _stream([FRAME] + [": ping\n\n"] * 40, idle=0.05, delay=0.01).batches():
            pass


# -- the private httpx-sse class we build on ---------------------------------------------------


def test_httpx_sse_is_in_the_tested_range() -> None:
    """requirements.txt pins the range whose ``SSELineDecoder`` the checks below cover."""
    pinned = next(
        line
        for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.startswith("httpx-sse")
    )
    assert pinned == "httpx-sse>=0.4.3,<0.5"
    major, minor, patch = (int(p) for p in version("httpx-sse").split(".")[:3])
    assert (0, 4, 3) <= (major, minor, patch) < (0, 5, 0), version("httpx-sse")


def test_httpx_sse_line_decoder_interface_is_what_sse_py_calls() -> None:
    """provider/sse.py calls ``SSELineDecoder()``, ``.decode(text) -> list[str]`` and
    ``.flush() -> list[str]`` from the private ``httpx_sse._decoders``: a release that
    changes any of them must fail here, not in a user's chat."""
    from httpx_sse._decoders import SSELineDecoder

    assert list(inspect.signature(SSELineDecoder).parameters) == []
    assert list(inspect.signature(SSELineDecoder.decode).parameters) == ["self", "text"]
    assert list(inspect.signature(SSELineDecoder.flush).parameters) == ["self"]
    lines = SSELineDecoder()
    # \n, \r\n and \r end lines; a \r\n split across chunks is one line end; a line
    # without its end is kept until flush
    assert lines.decode("data: a\r") == []
    assert lines.decode("\ndata: b\rdata: c\n\nda") == ["data: a", "data: b", "data: c", ""]
    assert lines.decode("ta: d") == []
    assert lines.flush() == ["data: d"]
    assert lines.flush() == []
