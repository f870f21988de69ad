"""Bounded Server-Sent-Events framing: an httpx response body → JSON event dicts.

Line splitting is httpx-sse's ``SSELineDecoder`` (private module ``httpx_sse._decoders``:
requirements.txt pins the tested range, tests/unit/test_sse.py checks its interface); fields
are parsed inline by the same WHATWG event-stream rules as its ``SSEDecoder`` (``\\n``,
``\\r\\n`` and ``\\r`` line ends, comments, multi-line ``data``) because this loop runs once
per event. This module adds only what a chatbot running unattended needs:

* a cap on the length of one line and of one event (a 20 MB line without a newline must not
  grow memory without limit) → :class:`~.errors.UpstreamError`;
* ``data: [DONE]`` ends the stream; blank ``data`` and comments are skipped;
* the JSON ``type`` is authoritative, ``event:`` lines are ignored (relays send none, or
  wrong ones);
* a malformed JSON event is skipped with a debug log (relays interleave garbage) — but a
  stream made only of garbage ends as "no events", which the caller reports.

Spec: specs/001-redesign-responses-provider/spec.md §"SSE and accumulation";
specs/004-responses-wire-format/spec.md §"Framing".
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import AsyncIterator
from typing import cast

from httpx_sse._decoders import SSELineDecoder

from .clock import RequestClock
from .errors import UpstreamError
from .redaction import LOG
from .wire import StreamEvent

_LINE_ENDS = ("\n", "\r")
#: ``json.loads`` minus its two whitespace regex passes (the data of an SSE event has none)
_raw_decode = json.JSONDecoder().raw_decode


class EventStream:
    """The JSON events of one SSE body, in batches (:meth:`batches`), with size and time limits.

    ``chunks`` yields decoded text; ``max_line_chars`` bounds one line and ``max_event_chars``
    the joined ``data`` of one event. ``clock`` (the request's :class:`~.clock.RequestClock`;
    None: no time limit) decides how long data may keep arriving without progress: before the
    first content, T without an event and 10 × T in total; after it, T without new content
    (checked whenever data arrives; silence itself is httpx's read timeout). ``malformed``
    counts skipped non-JSON events; ``done`` tells whether ``[DONE]`` was seen; ``last`` is
    the last event handed out. :meth:`remaining` gives the unread rest of the body (text).
    """

    __slots__ = (
        "_chunks",
        "clock",
        "done",
        "last",
        "malformed",
        "max_event_chars",
        "max_line_chars",
    )

    def __init__(
        self,
        chunks: AsyncIterator[str],
        *,
        max_line_chars: int,
        max_event_chars: int,
        clock: RequestClock | None = None,
    ) -> None:
        self._chunks = chunks
        self.clock = clock
        self.max_line_chars = max_line_chars
        self.max_event_chars = max_event_chars
        self.malformed = 0
        self.done = False
        self.last: StreamEvent | None = None  # the last event handed out

    def _too_big(self, what: str, limit: int) -> UpstreamError:
        return UpstreamError(
            f"The upstream sent an SSE {what} longer than {limit} characters; the stream was "
            "stopped to protect memory. The endpoint or a relay in front of it is misbehaving.",
            retryable=False,
        )

    async def batches(self) -> AsyncIterator[list[StreamEvent]]:
        """The events, grouped by the network read that completed them (never empty).

        Events that arrive together are handled together downstream (one guard pass, one
        chunk to AstrBot): a burst costs per read, not per event, and nothing waits for it.
        """
        # Hot path (one pass per event): field parsing is inlined rather than delegated to
        # httpx-sse's ``SSEDecoder`` (same WHATWG rules for what we use: ``data`` lines, one
        # optional space after the colon, blank line dispatches; ``event``/``id``/``retry``
        # and comments are ignored), and JSON goes through ``raw_decode`` (no whitespace
        # regexes); anything unusual falls back to :meth:`_parse`.
        lines = SSELineDecoder()
        data: list[str] = []  # the ``data`` values of the event being read
        pending = 0  # characters of the current, unfinished line
        event_size = 0
        max_line = self.max_line_chars
        max_event = self.max_event_chars
        watch = self.clock
        clock = time.monotonic
        decode = _raw_decode
        deadline = watch.deadline(clock()) if watch is not None else math.inf
        batch: list[StreamEvent] = []
        async for text in self._chunks:
            if deadline < math.inf:
                now = clock()
                if now > deadline:
                    raise watch.stalled(now)  # type: ignore[union-attr]  # finite only with a clock
            last = max(text.rfind("\n"), text.rfind("\r"))
            if last < 0:
                pending += len(text)
            else:
                first = min(i for i in (text.find("\n"), text.find("\r")) if i >= 0)
                if pending + first > max_line:
                    raise self._too_big("line", max_line)
                pending = len(text) - last - 1
            if pending > max_line:
                raise self._too_big("line", max_line)
            # a line that starts and ends inside this text is at most len(text) long
            check_lines = len(text) > max_line
            for line in lines.decode(text):
                if line:
                    if check_lines and len(line) > max_line:
                        raise self._too_big("line", max_line)
                    if line.startswith("data:"):
                        event_size += len(line)
                        if event_size > max_event:
                            raise self._too_big("event", max_event)
                        data.append(line[6:] if line[5:6] == " " else line[5:])
                    elif line == "data":
                        data.append("")
                    continue  # comments, event:, id:, retry:, unknown fields
                if not data:
                    continue
                event_size = 0
                raw = data[0] if len(data) == 1 else "\n".join(data)
                data = []
                try:
                    event, end = decode(raw)
                except (ValueError, RecursionError):  # RecursionError: nesting too deep
                    event = end = None
                if end != len(raw) or type(event) is not dict:
                    event = self._parse(raw)  # blank, [DONE], padded or junk: the slow path
                if event is not None:
                    batch.append(event)
                elif self.done:
                    break
            if batch:
                self.last = batch[-1]
                yield batch
                batch = []
                # restart the clocks only now: time the consumer spent on the events
                # (e.g. sending a chunk to a slow chat platform) is not upstream silence
                if watch is not None:
                    deadline = watch.deadline(clock())
            if self.done:
                return
        # A last event without its blank line is still an event (relays drop the final \n\n).
        for line in lines.flush():
            if line.startswith("data:"):
                data.append(line[6:] if line[5:6] == " " else line[5:])
            elif line == "data":
                data.append("")
        if data:
            event = self._parse("\n".join(data))
            if event is not None:
                self.last = event
                yield [event]

    def remaining(self) -> AsyncIterator[str]:
        """The body text not read yet (after this iterator was closed): for draining it."""
        return self._chunks

    def _parse(self, data: str) -> StreamEvent | None:
        """JSON-decode one event's data; None for blank, ``[DONE]`` (sets ``done``) or junk."""
        if not data:
            return None
        if data.startswith("[DONE]"):
            self.done = True
            return None
        try:
            event = json.loads(data)
        except (ValueError, RecursionError):
            event = None
        if isinstance(event, dict):
            return cast(StreamEvent, event)  # its fields are not checked (wire.py)
        self.malformed += 1
        LOG.debug("skipped a malformed SSE event (%d chars)", len(data))
        return None


def looks_like_sse(head: str) -> bool:
    """Sniff the first characters of a body: does it look like an SSE stream?

    Used when a ``Content-Type`` header lies (``text/plain`` or ``application/json`` on a
    stream). ``head`` is the start of the body with leading whitespace removed.
    """
    return head.startswith(("data:", "event:", ":", "id:", "retry:"))
