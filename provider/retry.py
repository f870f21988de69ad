"""The policy of the ONE retry layer (used by :meth:`.transport.Transport.open` only).

What is retried: an :class:`~.errors.UpstreamError` with ``retryable`` set (408/409/429,
5xx, connection errors, timeouts, error events before any content; see
:mod:`.http_errors`). How long to wait: the upstream's ``Retry-After`` / ``retry-after-ms``
(up to :data:`MAX_RETRY_AFTER` s), else jittered exponential backoff. How many attempts:
AstrBot's ``request_max_retries`` (total attempts), default :data:`DEFAULT_ATTEMPTS`, at
most 10. ``abort_signal`` interrupts the wait.

Spec: specs/001-redesign-responses-provider/spec.md §"Transport and retries".
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from .clock import RequestClock
from .errors import AbortedError, UpstreamError
from .redaction import LOG

#: Longest Retry-After we wait for (seconds); a longer one fails the call at once.
MAX_RETRY_AFTER = 60.0
#: Backoff without Retry-After: ``min(BACKOFF_BASE · 2ⁿ, BACKOFF_MAX) × (1 − 0.25·rand)`` s.
BACKOFF_BASE = 0.5
BACKOFF_MAX = 8.0
#: Default number of attempts (first request included) when AstrBot passes none.
DEFAULT_ATTEMPTS = 3
#: Most attempts whatever AstrBot asks for.
MAX_ATTEMPTS = 10


def retrying(
    attempts: int | None, abort: asyncio.Event | None, clock: RequestClock | None = None
) -> AsyncRetrying:
    """A tenacity controller for one request: ``attempts`` total HTTP attempts (None: the
    default), retryable :class:`~.errors.UpstreamError` only, abortable waits (not counted
    against the request's ``clock``)."""
    return AsyncRetrying(
        stop=stop_after_attempt(max(1, min(attempts or DEFAULT_ATTEMPTS, MAX_ATTEMPTS))),
        wait=BackoffWait(),
        retry=retry_if_exception(lambda e: isinstance(e, UpstreamError) and e.retryable),
        sleep=abortable_sleep(abort, clock),
        reraise=True,
        before_sleep=log_retry,
    )


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds the upstream asked us to wait (``retry-after-ms`` or ``retry-after``), or None.

    Only finite, non-negative numbers count: ``NaN``, ``inf`` or ``-5`` are ignored (a NaN
    delay would sort behind every other timer of the event loop and never come due); an
    HTTP date in the past means 0.
    """
    for name, unit in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            seconds = float(raw) * unit
        except ValueError:
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(parsedate_to_datetime(raw).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class BackoffWait:
    """tenacity wait strategy: the upstream's Retry-After, else jittered exponential backoff."""

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, UpstreamError) and exc.retry_after is not None:
            return exc.retry_after
        backoff: float = min(BACKOFF_BASE * 2 ** (state.attempt_number - 1), BACKOFF_MAX)
        return backoff * (1 - 0.25 * random.random())


def abortable_sleep(
    abort: asyncio.Event | None, clock: RequestClock | None = None
) -> Callable[[float], Any]:
    """tenacity sleep: waits ``seconds`` unless ``abort`` is set first (then
    :class:`~.errors.AbortedError`); the wait is not counted against ``clock``."""

    async def sleep(seconds: float) -> None:
        if clock is not None:
            clock.backoff(seconds)
        if abort is None:
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(abort.wait(), timeout=seconds)
        except TimeoutError:
            return
        raise AbortedError("The request was stopped by the user while waiting to retry.")

    return sleep


def log_retry(state: RetryCallState) -> None:
    """tenacity ``before_sleep``: one redacted warning per retry."""
    exc = state.outcome.exception() if state.outcome else None
    LOG.warning(
        "attempt %d failed, retrying in %.1f s: %s",
        state.attempt_number,
        state.upcoming_sleep,
        exc,
    )


__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_MAX",
    "DEFAULT_ATTEMPTS",
    "MAX_RETRY_AFTER",
    "BackoffWait",
    "abortable_sleep",
    "log_retry",
    "retry_after_seconds",
    "retrying",
]
