"""Fault matrix, connection and time: refused, reset, silent or stalled upstreams, abort.

Scripted on the real loopback upstream; every fault runs through both ``text_chat`` and
``text_chat_stream`` with ``timeout`` 1 s, and must end within its bound (attempts × timeout +
backoff) with nothing left behind. The test name states the expected outcome.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.errors import (
    AbortedError,
    UpstreamError,
)
from tests.integration.faults import (
    ANSWER,
    MODES,
    TIMEOUT,
    Kit,
    Outcome,
    assert_cut_by_upstream,
    closed_port,
    cut,
)
from tools.upstream import Events, Hang, Reset, Send, Sleep, StartStream, Status
from tools.upstream import events as ev

#: ``ev.text_stream(ANSWER, chunks=6)[:SHOWN]`` ends after three text deltas.
SHOWN = 7
#: Timeout (seconds) of the variants beyond the issue's matrix (keeps the file fast).
QUICK = 0.5


def partial() -> tuple[list[dict[str, Any]], str]:
    """A stream cut after three text deltas, and the text those deltas show."""
    events = ev.text_stream(ANSWER, chunks=6)[:SHOWN]
    return events, "".join(e.get("delta", "") for e in events if e["type"].endswith(".delta"))


# -- cannot connect, reset -------------------------------------------------------------------


@MODES
async def test_connection_refused_is_retried_then_fails_naming_api_base(
    kit: Kit, stream: bool
) -> None:
    base = kit.real_backoff()
    port = closed_port()
    provider = await kit.provider(api_base=f"http://127.0.0.1:{port}/v1")
    out = await kit.chat(provider, stream, bound=base + 0.1, request_max_retries=2)
    message = out.raised(UpstreamError)
    assert f"Could not reach http://127.0.0.1:{port}" in message
    assert "`api_base`" in message
    assert "`proxy`" in message
    assert out.elapsed >= 0.75 * base  # one backoff: it was retried


@MODES
async def test_reset_before_first_byte_on_every_attempt_fails_clearly(
    kit: Kit, stream: bool
) -> None:
    kit.upstream.enqueue([Reset()])
    kit.upstream.enqueue([Reset()])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.6, request_max_retries=2)
    assert "Could not reach" in out.raised(UpstreamError)
    assert kit.requests() == 2


@MODES
async def test_reset_mid_stream_after_text_keeps_text_and_tells_user_cut(
    kit: Kit, stream: bool
) -> None:
    events, text = partial()
    kit.upstream.enqueue([Events(events), Sleep(0.05), Reset()])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.5, request_max_retries=3)
    assert out.text == cut(text)  # no duplicated text, the notice says it is incomplete
    assert "incomplete" in out.text
    if stream:
        assert "".join(out.chunks[:-1]) == text  # then the notice chunk
    assert kit.requests() == 1  # never retried once text was shown
    await kit.connections_closed()


# -- silence ---------------------------------------------------------------------------------


@MODES
@pytest.mark.parametrize(
    ("script", "seconds"),
    [
        ([Hang()], TIMEOUT),
        ([StartStream(), Hang()], QUICK),
        ([Events(ev.text_stream(ANSWER)[:2]), Hang()], QUICK),
    ],
    ids=["no-headers", "headers-only", "opening-events-only"],
)
async def test_upstream_that_never_answers_times_out_after_timeout(
    kit: Kit, stream: bool, script: list[Any], seconds: float
) -> None:
    kit.upstream.enqueue(script)
    provider = await kit.provider(timeout=seconds)
    out = await kit.chat(provider, stream, bound=seconds, request_max_retries=1)
    message = out.raised(UpstreamError)
    assert f"{seconds:g} s" in message
    assert "`timeout`" in message
    assert out.elapsed >= seconds * 0.9
    await kit.connections_closed()


@MODES
async def test_json_body_that_stalls_times_out_with_a_clear_error(kit: Kit, stream: bool) -> None:
    kit.upstream.enqueue(
        [StartStream(content_type="application/json"), Send('{"id": "resp_1", '), Hang()]
    )
    provider = await kit.provider(timeout=QUICK)
    out = await kit.chat(provider, stream, bound=QUICK, request_max_retries=1)
    message = out.raised(UpstreamError)
    assert f"{QUICK:g} s" in message
    assert "`timeout`" in message
    await kit.connections_closed()


@MODES
async def test_json_body_trickling_slower_than_the_timeout_ends_within_timeout(
    kit: Kit, stream: bool
) -> None:
    trickle = [step for _ in range(20) for step in (Send(" "), Sleep(QUICK / 2))]
    kit.upstream.enqueue([StartStream(content_type="application/json"), Send("{"), *trickle])
    provider = await kit.provider(timeout=QUICK)
    out = await kit.chat(provider, stream, bound=QUICK, request_max_retries=1)
    message = out.raised(UpstreamError)
    assert f"within {QUICK:g} s" in message
    assert "`timeout`" in message


@MODES
async def test_stalled_stream_mid_answer_keeps_text_and_tells_user_cut(
    kit: Kit, stream: bool
) -> None:
    events, text = partial()
    kit.upstream.enqueue([Events(events), Hang()])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=TIMEOUT, request_max_retries=3)
    assert out.text == cut(text)
    assert out.elapsed >= TIMEOUT * 0.9
    assert kit.requests() == 1
    await kit.connections_closed()


def keep_alive_forever(seconds: float = 10.0, every: float = 0.05) -> list[Any]:
    """Keep-alive comments for ``seconds`` (far longer than the timeout)."""
    return [
        step for _ in range(int(seconds / every)) for step in (Send(": ping\n\n"), Sleep(every))
    ]


@MODES
async def test_endless_keep_alive_comments_end_within_timeout(kit: Kit, stream: bool) -> None:
    kit.upstream.enqueue([StartStream(), *keep_alive_forever()])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=TIMEOUT, request_max_retries=1)
    message = out.raised(UpstreamError)
    assert "no event" in message
    assert "`timeout`" in message
    await kit.connections_closed()


@MODES
async def test_endless_keep_alive_comments_after_text_keep_text_and_tell_user_cut(
    kit: Kit, stream: bool
) -> None:
    events, text = partial()
    kit.upstream.enqueue([Events(events), *keep_alive_forever()])
    provider = await kit.provider(timeout=QUICK)
    out = await kit.chat(provider, stream, bound=QUICK, request_max_retries=3)
    assert_cut_by_upstream(out.text, text, "no new content for 0.5 s", "`timeout`")
    assert kit.requests() == 1
    await kit.connections_closed()


# -- abort_signal ----------------------------------------------------------------------------

#: Longest time (seconds) from setting ``abort_signal`` to the end of the call.
ABORT_LATENCY = 0.3


async def chat_and_abort(
    kit: Kit, stream: bool, *, delay: float, provider_timeout: float = TIMEOUT
) -> Outcome:
    """Run one call (on a provider with ``timeout`` ``provider_timeout``) and set its
    ``abort_signal`` ``delay`` s after the upstream saw the request; assert the call ended
    within :data:`ABORT_LATENCY` of the abort."""
    provider = await kit.provider(timeout=provider_timeout)
    abort = asyncio.Event()

    async def abort_later() -> float:
        while kit.requests() < 1:  # noqa: ASYNC110 - the upstream's request log has no event
            await asyncio.sleep(0.005)
        await asyncio.sleep(delay)
        abort.set()
        return time.monotonic()

    setter = asyncio.create_task(abort_later())
    out = await kit.chat(
        provider, stream, bound=delay + ABORT_LATENCY, abort_signal=abort, request_max_retries=3
    )
    ended = time.monotonic()
    set_at = await setter
    assert ended - set_at < ABORT_LATENCY, f"ended {ended - set_at:.2f} s after the abort"
    return out


@MODES
async def test_abort_signal_set_during_backoff_ends_quickly_with_aborted_error(
    kit: Kit, stream: bool
) -> None:
    kit.upstream.enqueue([Status(503, headers={"retry-after": "5"})])
    out = await chat_and_abort(kit, stream, delay=0.2)
    assert "stopped by the user" in out.raised(AbortedError)
    assert kit.requests() == 1  # no further attempt after the abort


@MODES
async def test_abort_signal_set_while_waiting_for_the_first_byte_ends_quickly_with_aborted_error(
    kit: Kit, stream: bool
) -> None:
    kit.upstream.enqueue([Hang()])
    out = await chat_and_abort(kit, stream, delay=0.2, provider_timeout=30)
    assert "stopped by the user" in out.raised(AbortedError)
    await kit.connections_closed()


@MODES
async def test_abort_signal_set_mid_stream_stops_reading_and_keeps_the_text(
    kit: Kit, stream: bool
) -> None:
    events, text = partial()
    kit.upstream.enqueue([Events(events), Hang()])  # the model "thinks" for a long time
    out = await chat_and_abort(kit, stream, delay=0.3, provider_timeout=30)
    assert out.text == text  # what was shown, nothing more: the user stopped it
    await kit.connections_closed()


@MODES
async def test_abort_signal_set_after_the_response_started_but_before_text_ends_with_aborted_error(
    kit: Kit, stream: bool
) -> None:
    kit.upstream.enqueue([Events(ev.text_stream(ANSWER)[:3]), Hang()])  # up to output_item.added
    out = await chat_and_abort(kit, stream, delay=0.2, provider_timeout=30)
    assert "stopped by the user" in out.raised(AbortedError)
