"""The user's stop button for one request: ONE watcher that interrupts whatever waits.

AstrBot hands a provider an ``abort_signal`` (``asyncio.Event``) when a chat user stops an
answer (``astrbot/core/agent/runners/tool_loop_agent_runner.py``). A request waits on the
upstream in two places: while it opens (connect, send, first events, retries) and between
network reads of the body. Both wait inside :meth:`AbortWatch.guard`; when the event is set,
the watcher cancels the waiting task and the guard turns that cancellation into
:class:`~.errors.AbortedError`. A cancellation from anyone else passes through untouched.

One ``abort.wait()`` future per request, no task per read and no ``asyncio.wait``: the
cancelled await is the one the task is suspended at, which is always inside the guard.

Spec: specs/001-redesign-responses-provider/spec.md §"Transport and retries".
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

from .errors import AbortedError


class AbortWatch:
    """Watches ``event`` for one request; use :meth:`guard` around each wait on the upstream.

    ``with watch.guard("before the answer started"):`` raises :class:`AbortedError` (the
    text says when it happened) when ``event`` is already set, or when it is set while the
    task waits inside the block. :meth:`close` stops watching (safe to call twice).
    """

    __slots__ = ("_cancelled", "_inside", "_waiter", "_when", "event")

    def __init__(self, event: asyncio.Event) -> None:
        self.event = event
        self._waiter: asyncio.Future[Any] | None = None
        self._inside: asyncio.Task[Any] | None = None  # the task waiting in a guard
        self._cancelled: asyncio.Task[Any] | None = None  # the task this watch cancelled
        self._when = ""

    def guard(self, when: str) -> AbortWatch:
        """This watch as a context manager for one wait; ``when`` completes the message
        "The request was stopped by the user …"."""
        self._when = when
        return self

    def __enter__(self) -> None:
        if self.event.is_set():
            raise AbortedError(f"The request was stopped by the user {self._when}.")
        if self._waiter is None:
            self._waiter = asyncio.ensure_future(self.event.wait())
            self._waiter.add_done_callback(self._on_set)
        self._inside = asyncio.current_task()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task, self._inside = self._inside, None
        if kind is not asyncio.CancelledError or task is None or self._cancelled is not task:
            return
        self._cancelled = None
        if task.uncancel() > 0:
            return  # (also) cancelled by someone else: that cancellation goes on
        raise AbortedError(f"The request was stopped by the user {self._when}.") from None

    def _on_set(self, waiter: asyncio.Future[Any]) -> None:
        """``event`` was set: cancel the task waiting in a guard, if any."""
        task = self._inside
        if waiter.cancelled() or task is None or task.done():
            return
        self._cancelled = task
        task.cancel()

    def close(self) -> None:
        """Stop watching (the pending ``event.wait()`` is cancelled)."""
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            waiter.cancel()
