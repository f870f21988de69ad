"""The retry schedule of the one retry layer (provider/retry.py): backoff and Retry-After.

The fault-matrix tests shorten the backoff to stay fast; its real schedule is pinned here
without waiting.
"""

from __future__ import annotations

import asyncio
import email.utils
import time

import httpx
import pytest
from tenacity import Future, RetryCallState

from data.plugins.astrbot_plugin_openai_responses.provider import retry
from data.plugins.astrbot_plugin_openai_responses.provider.errors import (
    AbortedError,
    UpstreamError,
)


def failed_attempt(number: int, error: BaseException) -> RetryCallState:
    """The tenacity state after attempt ``number`` failed with ``error``."""
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = number
    outcome = Future(number)
    outcome.set_exception(error)
    state.outcome = outcome
    return state


@pytest.mark.parametrize("attempt", range(1, 8))
def test_backoff_is_exponential_capped_and_jittered_down(attempt: int) -> None:
    nominal = min(0.5 * 2 ** (attempt - 1), 8.0)
    waits = [
        retry.BackoffWait()(failed_attempt(attempt, UpstreamError("x", retryable=True)))
        for _ in range(200)
    ]
    assert all(0.75 * nominal <= w <= nominal for w in waits)
    assert max(waits) - min(waits) > 0.05 * nominal  # jittered, not constant


def test_retry_after_replaces_the_backoff() -> None:
    error = UpstreamError("x", retryable=True, retry_after=3.5)
    assert retry.BackoffWait()(failed_attempt(1, error)) == 3.5


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "1.5"}, 1.5),
        # not a finite, non-negative number: ignored (issue 14)
        ({"retry-after": "-4"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "1e999"}, None),
        ({"retry-after-ms": "-1000"}, None),
        ({"retry-after-ms": "NaN", "retry-after": "2"}, 2.0),
        ({"retry-after-ms": "soon", "retry-after": "3"}, 3.0),
        ({"retry-after": "whenever"}, None),
        ({}, None),
    ],
)
def test_retry_after_headers(headers: dict[str, str], seconds: float | None) -> None:
    assert retry.retry_after_seconds(httpx.Headers(headers)) == seconds


def test_retry_after_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = retry.retry_after_seconds(httpx.Headers({"retry-after": when}))
    assert seconds is not None
    assert 25 <= seconds <= 31


async def test_backoff_sleep_is_interrupted_by_the_abort_signal() -> None:
    abort = asyncio.Event()
    sleep = retry.abortable_sleep(abort)
    asyncio.get_running_loop().call_later(0.05, abort.set)
    start = time.monotonic()
    with pytest.raises(AbortedError, match="stopped by the user"):
        await sleep(5)
    assert time.monotonic() - start < 0.5
    await retry.abortable_sleep(None)(0.01)  # no signal: a plain sleep
