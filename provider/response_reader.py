"""The events of ONE upstream response → deltas for the user, then an :class:`Outcome`.

:class:`ResponseReader` feeds each event to the accumulator, passes text deltas through the
stream guard (when tools were offered), notices the stop conditions (terminal event,
``max_output_chars``, guard overflow, the user's abort) and a broken stream, and finally
builds the response's :class:`~.types.Turn` with its notice. :func:`.exchange.exchange`
drives it in its own loop (no nested generator per delta).

Spec: specs/001-redesign-responses-provider/spec.md §"Data flow" (4, 5).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from .accumulator import ResponseAccumulator
from .clock import RequestClock
from .errors import AbortedError, UpstreamError
from .notices import CAP_NOTICE, CUT_NOTICE, GUARD_OVERFLOW_NOTICE, cut_by_notice
from .redaction import LOG
from .stream_guard import StreamGuard
from .types import REASONING, TEXT, Delta, Turn
from .wire import StreamEvent


@dataclass(slots=True)
class Outcome:
    """End of one upstream response: the Turn, the text the guard still held, overflow."""

    turn: Turn
    held: str = ""
    guard_aborted: bool = False


class ResponseReader:
    """The events of ONE upstream response → deltas for the user, then an :class:`Outcome`.

    States: *reading* (:meth:`feed` takes the events of one network read and returns the
    deltas to show, consecutive text joined); *stopped* (``stop`` is true:
    terminal event, ``max_output_chars`` reached, guard overflow or abort — the caller
    closes the stream); *broken* (:meth:`broken`: the connection or the upstream failed);
    then :meth:`outcome` builds the result once. Whenever an event makes the answer grow
    (:attr:`~.accumulator.ResponseAccumulator.progress`), the request's ``clock`` is told:
    only content restarts its idle clock (:mod:`.clock`).

    A stream that ends without a terminal event is cut (the answer gets
    :data:`~.notices.CUT_NOTICE`) unless every output item it added was reported done and
    completed (:attr:`~.accumulator.ResponseAccumulator.items_complete`): relays that drop
    ``response.completed`` deliver whole answers (specs/004-responses-wire-format/spec.md
    §"Streaming events").
    """

    __slots__ = (
        "_progress",
        "abort",
        "acc",
        "clock",
        "guard",
        "notice",
        "shown",
        "stop",
    )

    def __init__(
        self,
        max_output_chars: int,
        guard: StreamGuard | None,
        abort: asyncio.Event | None,
        clock: RequestClock | None = None,
    ) -> None:
        self.acc = ResponseAccumulator(max_output_chars=max_output_chars)
        self.guard = guard
        self.abort = abort
        self.clock = clock
        self._progress = 0
        self.shown = False  # text reached the user
        self.notice = ""
        self.stop = False

    def feed(self, events: list[StreamEvent]) -> list[Delta]:
        """Apply the events that arrived together (one network read), up to a stop; return
        the deltas to show, in order. Consecutive text deltas are joined into one, and so are
        reasoning deltas: one guard pass and one chunk per run, not per event. An error
        event ends the response (:meth:`broken`) after the text before it."""
        acc = self.acc
        abort = self.abort
        out: list[Delta] = []
        run_kind = ""  # kind of the text/reasoning run being joined
        run: list[str] = []
        for event in events:
            try:
                delta = acc.feed(event)
            except UpstreamError as exc:  # an error event: what came before it is shown
                if run:
                    self._show(out, run_kind, run)
                self.broken(exc)
                self.stop = True
                return out
            for item in (delta, *acc.pending) if acc.pending else (delta,):
                if item is None:
                    continue
                if item[0] == run_kind:
                    run.append(item[1])
                    continue
                if run:
                    self._show(out, run_kind, run)
                if item[0] == TEXT or item[0] == REASONING:
                    run_kind, run = item[0], [item[1]]
                else:
                    run_kind, run = "", []
                    self._show(out, item[0], [item[1]])
            acc.pending.clear()
            if acc.terminal or acc.capped or (abort is not None and abort.is_set()) or self.stop:
                self.stop = True
                break
        if run:
            self._show(out, run_kind, run)
        progress = acc.progress
        if progress != self._progress:
            self._progress = progress
            if self.clock is not None:
                self.clock.content()
        return out

    def _show(self, out: list[Delta], kind: str, pieces: list[str]) -> None:
        """Add what of one joined delta the user may see now (text passes the guard)."""
        text = pieces[0] if len(pieces) == 1 else "".join(pieces)
        guard = self.guard
        if guard is None or kind != TEXT:
            self.shown = self.shown or kind == TEXT
            out.append((kind, text))
            return
        step = guard.feed(text)
        if step.abort:
            self.notice = GUARD_OVERFLOW_NOTICE
            self.stop = True
        if step.release:
            self.shown = True
            out.append((TEXT, step.release))

    def broken(self, exc: httpx.TransportError | UpstreamError) -> None:
        """The response failed mid-way: raise when nothing was produced, else note the cut."""
        if not (self.shown or self.acc.saw_output):
            raise _as_upstream_error(exc) from None
        if isinstance(exc, httpx.TransportError) and self.acc.items_complete:
            return  # every item was done: the answer is whole (outcome() logs it)
        LOG.warning("stream broke after output: %s", _as_upstream_error(exc))
        self.notice = (
            CUT_NOTICE if isinstance(exc, httpx.TransportError) else cut_by_notice(exc.message)
        )

    def outcome(self) -> Outcome:
        """The response's Turn with its notice; raises ``AbortedError`` for an abort that
        came before anything was produced."""
        acc, abort = self.acc, self.abort
        aborted_by_user = abort is not None and abort.is_set()
        turn = acc.result()
        if aborted_by_user and not (self.shown or turn.text or turn.tool_calls):
            raise AbortedError("The request was stopped by the user before the answer started.")
        held = self.guard.finish() if self.guard is not None else ""
        notice = self.notice
        overflow = notice == GUARD_OVERFLOW_NOTICE
        if acc.capped:
            notice = CAP_NOTICE
        elif not acc.terminal and not notice and not aborted_by_user:
            if acc.items_complete:
                LOG.debug("no terminal event, but every output item was done: answer complete")
            else:
                notice = CUT_NOTICE
        if overflow:
            # only what the guard already released may ever be shown
            turn.text = turn.text[: len(turn.text) - len(held)] if turn.text.endswith(held) else ""
            held = ""
            notice = ""
        if notice:
            turn.notice = turn.notice_plus(notice)
        return Outcome(turn, held, overflow)


def _as_upstream_error(exc: BaseException) -> UpstreamError:
    if isinstance(exc, UpstreamError):
        return exc
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamError("The stream stalled: no data within the `timeout` setting.")
    return UpstreamError(f"The connection to the upstream broke ({type(exc).__name__}).")


__all__ = ["Outcome", "ResponseReader"]
