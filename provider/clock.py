"""What ``timeout`` bounds: the time limits of one request (all its attempts) and its stream.

With ``timeout`` = T seconds (spec 001 §"Transport and retries", README field table):

* connecting, and every wait for the next byte, last at most T (httpx's timeouts);
* the attempts of one request wait for the upstream's first response byte (headers) at most
  :data:`FIRST_BYTE_TIMEOUTS` × T together — the backoff between attempts not counted — and
  a timeout before the answer started is retried once at most;
* before the first content, events that carry none (``response.in_progress``, unknown event
  types, empty deltas) and keep-alive comments keep the request alive for at most
  :data:`FIRST_CONTENT_TIMEOUTS` × T in total (backoff not counted), and at most T may pass
  without any event;
* once content has started (text, reasoning, tool arguments, output items: whatever makes the
  answer grow), at most T may pass without new content; other events do not count.

:class:`RequestClock` keeps that state for one request. The transport and the SSE reader
(:class:`~.sse.EventStream`) consult it; the response reader marks content
(:meth:`RequestClock.content`).
"""

from __future__ import annotations

import time

from .errors import UpstreamError

#: The attempts of one request wait together at most this many ``timeout`` for a first byte.
FIRST_BYTE_TIMEOUTS = 2
#: Events without content keep a request alive at most this many ``timeout`` in total.
FIRST_CONTENT_TIMEOUTS = 10
#: Timeouts before the answer started that are retried (the next one is final).
RETRIED_TIMEOUTS = 1


class RequestClock:
    """The time budget of one request (all its attempts) with ``timeout`` seconds.

    ``first_byte_left``: seconds the remaining attempts may still wait for response headers.
    ``last_content``: monotonic time of the last content (None before the first).
    ``fresh``: content was marked while the SSE reader was suspended (it restarts the idle
    clock when it resumes, so time a slow consumer spends on a chunk is not upstream silence).
    """

    __slots__ = (
        "first_byte_left",
        "fresh",
        "last_content",
        "slept",
        "started",
        "timeout",
        "timeouts",
    )

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.started = time.monotonic()
        self.slept = 0.0
        self.first_byte_left = FIRST_BYTE_TIMEOUTS * timeout
        self.timeouts = 0
        self.last_content: float | None = None
        self.fresh = False

    def backoff(self, seconds: float) -> None:
        """The retry layer is about to sleep ``seconds``: that time is not counted."""
        self.slept += seconds

    @property
    def first_content_by(self) -> float:
        """Monotonic time by which the first content must have arrived."""
        return self.started + self.slept + FIRST_CONTENT_TIMEOUTS * self.timeout

    def content(self) -> None:
        """The answer grew (called by the response reader): the SSE reader restarts the idle
        clock when it reads on (:meth:`deadline`)."""
        self.fresh = True

    def timed_out(self) -> bool:
        """Count a timeout before the answer started; True when it may still be retried."""
        self.timeouts += 1
        return self.timeouts <= RETRIED_TIMEOUTS

    def deadline(self, now: float) -> float:
        """The next stall deadline for the SSE reader, ``now`` being the last event's time."""
        if self.fresh:
            self.fresh = False
            self.last_content = now
        if self.last_content is not None:
            return self.last_content + self.timeout
        return min(now + self.timeout, self.first_content_by)

    def stalled(self, now: float) -> UpstreamError:
        """The error for a stream whose :meth:`deadline` passed at ``now``."""
        timeout = self.timeout
        if self.last_content is not None:
            return UpstreamError(
                f"The upstream sent no new content for {timeout:g} s (only keep-alive data or "
                "events without content); the stream was stopped (`timeout` setting).",
                retryable=False,
            )
        if now >= self.first_content_by:
            total = FIRST_CONTENT_TIMEOUTS * timeout
            return UpstreamError(
                f"The upstream sent no answer within {total:g} s, only status or keep-alive "
                f"events ({FIRST_CONTENT_TIMEOUTS} × the `timeout` setting); the request was "
                "stopped.",
                retryable=False,
            )
        return UpstreamError(
            f"The upstream sent no event for {timeout:g} s (only keep-alive data); "
            "the stream was stopped (`timeout` setting).",
            retryable=self.timed_out(),
        )


__all__ = ["FIRST_BYTE_TIMEOUTS", "FIRST_CONTENT_TIMEOUTS", "RETRIED_TIMEOUTS", "RequestClock"]
