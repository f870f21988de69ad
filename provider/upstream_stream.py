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
from typing import Any

import httpx

from .clock import RequestClock
from .errors import UpstreamError
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

    ``abort`` (set by :meth:`Transport.open`) ends ``rest`` quietly once it is set, even
    while it waits for the upstream: the body's text chunks pass through :meth:`chunks`,
    which ONE watcher per stream interrupts (per network read, not per event).
    """

    __slots__ = (
        "_reader",
        "_response",
        "_stopped",
        "_waiter",
        "abort",
        "attempts",
        "clock",
        "prefetched",
        "rest",
        "sse",
    )

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.prefetched: list[StreamEvent] = []
        self.rest: AsyncIterator[list[StreamEvent]] | None = None
        self.sse: EventStream | None = None
        self.attempts = 1
        self.abort: asyncio.Event | None = None  # set by Transport.open
        self.clock: RequestClock | None = None  # set by Transport.open
        self._waiter: asyncio.Future[Any] | None = None
        self._reader: asyncio.Task[Any] | None = None  # the task waiting for the next chunk
        self._stopped = False  # _on_abort cancelled that task

    async def chunks(self, source: AsyncIterator[str], first: str = "") -> AsyncIterator[str]:
        """``first`` (already read), then ``source``'s text chunks; ends (quietly) once
        ``abort`` is set, even while waiting for the upstream."""
        if first:
            yield first
        current = asyncio.current_task
        while True:
            abort = self.abort
            if abort is not None:
                if abort.is_set():
                    return
                if self._waiter is None:
                    self._waiter = asyncio.ensure_future(abort.wait())
                    self._waiter.add_done_callback(self._on_abort)
                reader = self._reader = current()
            try:
                chunk = await anext(source)
            except StopAsyncIteration:
                return
            except asyncio.CancelledError:
                reader = self._reader
                if not self._stopped or reader is None or reader.uncancel() > 0:
                    raise  # (also) cancelled by someone else
                return
            finally:
                self._reader = None
            yield chunk

    def _on_abort(self, waiter: asyncio.Future[Any]) -> None:
        """``abort`` was set: stop a pending read (the reading task gets a cancellation)."""
        if waiter.cancelled() or self._reader is None:
            return
        self._stopped = True
        self._reader.cancel()

    async def aclose(self) -> None:
        """Stop reading and release the connection (safe to call twice)."""
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            waiter.cancel()
        self.abort = None  # draining below must not stop at a user's abort
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
