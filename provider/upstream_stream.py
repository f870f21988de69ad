"""One opened upstream response: the events read so far, the rest, and a clean close.

:class:`UpstreamStream` is what :meth:`.transport.Transport.open` returns. It stops reading
quietly when the user's ``abort`` is set, and on close drains the little that follows a
terminal event so that the pooled connection can be reused.

Spec: specs/001-redesign-responses-provider/spec.md §"Transport and retries".
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx

from .abort_watch import AbortWatch
from .clock import RequestClock
from .errors import AbortedError, UpstreamError
from .sse import EventStream
from .types import TERMINAL_EVENTS
from .wire import StreamEvent

#: After the terminal event, at most this much of the body (characters / seconds) is read so
#: that the connection can be reused (see :func:`_drain`).
DRAIN_CHARS = 64 * 1024
DRAIN_SECONDS = 0.1
_TERMINAL = TERMINAL_EVENTS | {"error"}


class UpstreamStream:
    """One opened upstream response; close it with :meth:`aclose`.

    ``prefetched``: the events :meth:`Transport.open` read before returning (up to and
    including the first content event, and those that arrived with it); ``rest``: an async
    iterator over the batches of events after them, one batch per network read
    (:meth:`.sse.EventStream.batches`; None for a JSON body). Read ``prefetched`` first, then
    ``rest``: two plain loops, no wrapper generator per event. ``sse`` is the
    :class:`EventStream` (None for a JSON body), ``attempts`` how many HTTP attempts
    :meth:`Transport.open` needed, ``clock`` the request's :class:`~.clock.RequestClock`
    (the reader marks content on it).

    ``watch`` (set by :meth:`Transport.open` when the caller passed an abort event) ends
    ``rest`` quietly once the user stops the answer, even while it waits for the upstream:
    each network read of :meth:`chunks` waits inside the request's one
    :class:`~.abort_watch.AbortWatch` (per read, not per event).
    """

    __slots__ = (
        "_response",
        "attempts",
        "clock",
        "prefetched",
        "rest",
        "sse",
        "watch",
    )

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.prefetched: list[StreamEvent] = []
        self.rest: AsyncIterator[list[StreamEvent]] | None = None
        self.sse: EventStream | None = None
        self.attempts = 1
        self.watch: AbortWatch | None = None  # set by Transport.open
        self.clock: RequestClock | None = None  # set by Transport.open

    async def chunks(self, source: AsyncIterator[str], first: str = "") -> AsyncIterator[str]:
        """``first`` (already read), then ``source``'s text chunks; ends (quietly) once the
        user stops the answer, even while waiting for the upstream."""
        if first:
            yield first
        while True:
            watch = self.watch
            try:
                if watch is None:
                    chunk = await anext(source)
                else:
                    with watch.guard("while the answer was streaming"):
                        chunk = await anext(source)
            except (StopAsyncIteration, AbortedError):
                return
            yield chunk

    async def aclose(self) -> None:
        """Stop reading and release the connection (safe to call twice)."""
        watch, self.watch = self.watch, None  # draining below must not stop at a user's abort
        if watch is not None:
            watch.close()
        iterator, self.rest = self.rest, None
        if iterator is not None and hasattr(iterator, "aclose"):
            # The body may already be broken; we are closing anyway.
            with contextlib.suppress(Exception):
                await iterator.aclose()
            sse = self.sse
            if sse is not None and sse.last is not None and sse.last.get("type") in _TERMINAL:
                await _drain(sse.remaining())
        await self._response.aclose()


async def _drain(rest: AsyncIterator[str]) -> None:
    """Read the rest of a body whose terminal event was seen (normally just the chunked-encoding
    end, perhaps ``data: [DONE]``), at most :data:`DRAIN_CHARS` / :data:`DRAIN_SECONDS`. A body
    read to its end lets httpx put the connection back into the pool; closing it unread
    would close the connection and cost the next request a new TCP + TLS handshake."""
    budget = DRAIN_CHARS
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            async for text in rest:
                budget -= len(text)
                if budget < 0:
                    return
    except (TimeoutError, httpx.HTTPError, UpstreamError):
        return


__all__ = ["DRAIN_CHARS", "DRAIN_SECONDS", "UpstreamStream"]
