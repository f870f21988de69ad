"""Sniff what an HTTP 200 body is and open it: an SSE stream, a JSON answer, or garbage.

Servers and relays do not always answer in the form that was asked for, and their
``Content-Type`` is not trusted: the first characters decide. A JSON body (a non-stream
answer, or a stream request answered with JSON) becomes one ``response.completed`` event; an
SSE body is read up to its first content event (error events before it are raised, so that
the retry layer may try again); an empty body, an HTML page (CDN, login or captive portal)
or a body that ends before any content becomes a clear :class:`~.errors.UpstreamError`.

Spec: specs/001-redesign-responses-provider/spec.md §"Data flow" (3);
specs/004-responses-wire-format/spec.md §"Framing".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

import httpx

from .clock import RequestClock
from .content_encoding import inflated_text
from .errors import UpstreamError, clip
from .http_errors import (
    chat_completions_body_error,
    error_from_payload,
    read_error,
    upstream_json,
)
from .sse import EventStream, looks_like_sse
from .types import PRE_CONTENT_EVENTS
from .upstream_stream import UpstreamStream
from .wire import ResponseObject, StreamEvent


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """Size bounds for reading one body: ``max_line_chars`` / ``max_event_chars`` (one SSE
    line / event, characters), ``max_body_bytes`` (a JSON body, or a model list). Time
    bounds are the request's :class:`~.clock.RequestClock`.
    """

    max_line_chars: int
    max_event_chars: int
    max_body_bytes: int

    @classmethod
    def for_output(cls, max_output_chars: int) -> BodyLimits:
        """Limits for a reply capped at ``max_output_chars``: one event may hold the whole
        reply several times over (snapshots), plus 1 MB of slack. A JSON body is one
        Response object, like a stream's terminal event: the same cap."""
        max_event_chars = max(4 * max_output_chars, 1_000_000) + 1_000_000
        return cls(max_event_chars, max_event_chars, max_event_chars)


async def open_body(
    response: httpx.Response, limits: BodyLimits, clock: RequestClock
) -> UpstreamStream:
    """Open an HTTP 200 ``response``: sniff its first characters, then read a JSON body
    whole or an SSE body up to its first content event (:attr:`UpstreamStream.prefetched`).

    The body is inflated in bounded steps (:mod:`.content_encoding`); ``clock`` is the
    request's time budget (a timeout here is retried once at most, see :mod:`.clock`).
    Raises :class:`~.errors.UpstreamError` (retryable when nothing usable arrived yet).
    """
    chunks = inflated_text(response)
    try:
        head = ""
        while not head.strip():
            piece = await anext(chunks, None)
            if piece is None:
                break
            head += piece
    except httpx.TransportError as exc:
        raise _read_error(
            exc, clock, "The upstream sent headers but no body", "before the answer started"
        ) from None
    start = head.lstrip()[:16]
    if not start:
        raise UpstreamError("The upstream returned an empty body (HTTP 200).", retryable=True)
    if start.startswith("<"):
        raise UpstreamError(
            "The endpoint returned an HTML page (HTTP 200), not a Responses API answer: "
            "a CDN, login or captive-portal page? Check `api_base` and `proxy`."
        )
    if start.startswith(("{", "[")) and not looks_like_sse(start):
        try:
            # once the JSON has started, all of it must arrive within `timeout` (a body
            # trickling in slower than the read timeout would otherwise never end)
            async with asyncio.timeout(clock.timeout):
                rest = [c async for c in _capped(chunks, limits.max_body_bytes)]
            text = head + "".join(rest)
        except (httpx.TransportError, TimeoutError) as exc:
            raise _read_error(
                exc,
                clock,
                "The upstream did not finish sending its answer",
                "while the answer was read",
            ) from None
        opened = UpstreamStream(response)
        opened.prefetched.append(json_body_event(text))
        return opened
    opened = UpstreamStream(response)
    sse = opened.sse = EventStream(
        opened.chunks(chunks, head),
        max_line_chars=limits.max_line_chars,
        max_event_chars=limits.max_event_chars,
        clock=clock,
    )
    iterator = opened.rest = aiter(sse.batches())
    prefetched = opened.prefetched
    try:
        async for batch in iterator:
            prefetched.extend(batch)  # the events after the first content come along
            if _first_content(batch):
                break
    except httpx.TransportError as exc:
        raise _read_error(
            exc, clock, "The stream produced no content", "before the answer started"
        ) from None
    if all(event.get("type") in PRE_CONTENT_EVENTS for event in prefetched):
        # the body ended before any content: nothing usable arrived
        raise UpstreamError(
            "The stream ended before any answer arrived"
            + (f" ({sse.malformed} malformed events skipped)" if sse.malformed else "")
            + ".",
            retryable=True,
        )
    return opened


def _first_content(batch: list[StreamEvent]) -> bool:
    """Does ``batch`` hold the first content event? Raises the upstream's error when an
    ``error`` / ``response.failed`` event comes first (retried by the caller's policy)."""
    for event in batch:
        kind = event.get("type")
        if kind in PRE_CONTENT_EVENTS:
            continue
        if kind == "error" or kind == "response.failed":
            payload = event if kind == "error" else (event.get("response") or {})
            raise error_from_payload(payload, what=str(kind))
        return True
    return False


def _read_error(
    exc: httpx.TransportError | TimeoutError, clock: RequestClock, timed_out: str, broke: str
) -> UpstreamError:
    """:func:`~.http_errors.read_error` before the answer started; a timeout counts against
    the request's retried timeouts (:meth:`~.clock.RequestClock.timed_out`)."""
    error = read_error(exc, timed_out, broke, clock.timeout)
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        error.retryable = clock.timed_out()
    return error


async def _capped(chunks: AsyncIterator[str], limit: int) -> AsyncIterator[str]:
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise UpstreamError(f"The upstream's JSON body is larger than {limit} characters.")
        yield chunk


def json_body_event(text: str) -> StreamEvent:
    """A JSON body (non-stream answer, or a stream request answered with JSON) as one event."""
    obj = upstream_json(
        text, lambda: f"The upstream returned invalid JSON (HTTP 200): {clip(text, 200)}"
    )
    if not isinstance(obj, dict):
        raise UpstreamError("The upstream returned JSON that is not a Responses object.")
    if "output" not in obj and isinstance(obj.get("error"), dict | str):
        error = obj["error"] if isinstance(obj["error"], dict) else {"message": obj["error"]}
        raise error_from_payload({"error": error}, what="JSON error body")
    if obj.get("object") == "chat.completion" or "choices" in obj:
        raise chat_completions_body_error()
    return {"type": "response.completed", "response": cast(ResponseObject, obj)}


__all__ = ["BodyLimits", "json_body_event", "open_body"]
