"""HTTP transport: one pooled httpx client per provider instance; runs the ONE retry layer.

:meth:`Transport.open` sends ``POST {api_base}/responses`` and returns an
:class:`UpstreamStream` of JSON events once the first content event has arrived (or the
whole body, for a JSON answer). Everything before that point is retried by tenacity:
408/409/429/5xx, connection errors, timeouts, and error events that arrive before any
content; ``Retry-After`` / ``retry-after-ms`` are honoured (capped), otherwise jittered
exponential backoff. Once :meth:`open` has returned nothing is retried, so text that reached
the user is never duplicated. With several keys, a 401/403/429 moves this request to the next
key (request-local cursor, no shared mutable state).

Secrets: the key is put into the request headers inside :meth:`_build` and never held in a
frame that can raise; errors are converted into redacted :class:`UpstreamError` with the
chain suppressed (``from None``) because AstrBot logs tracebacks with variable values.

The retry policy lives in :mod:`.retry`, the HTTP error messages in :mod:`.http_errors`.
Spec: specs/001-redesign-responses-provider/spec.md §"Transport and retries".
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import ssl
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import httpx

from .config import SourceConfig
from .errors import AbortedError, UpstreamError, clip
from .http_errors import (
    MAX_ERROR_BODY,
    QUOTA_CODES,
    chat_completions_body_error,
    connection_error,
    error_from_payload,
    http_error,
    read_error,
)
from .profiles import Profile
from .retry import retrying
from .sse import EventStream, looks_like_sse
from .types import PRE_CONTENT_EVENTS, TERMINAL_EVENTS

#: After the terminal event, at most this much of the body (characters / seconds) is read so
#: that the connection can be reused (see :func:`_drain`).
DRAIN_CHARS = 64 * 1024
DRAIN_SECONDS = 0.1
_TERMINAL = TERMINAL_EVENTS | {"error"}
_ROTATE_ON = frozenset({401, 403, 429})


def endpoint_url(api_base: str, path: str) -> str:
    """``{api_base}/{path}``, keeping a query string of ``api_base`` (Azure ``api-version``)."""
    base, sep, query = api_base.partition("?")
    return f"{base.rstrip('/')}/{path}" + (f"?{query}" if sep else "")


_SSL_CONTEXT: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi CA bundle), built once per process: loading
    the bundle blocks the event loop ~50 ms, which every new provider instance paid."""
    global _SSL_CONTEXT
    if _SSL_CONTEXT is None:
        _SSL_CONTEXT = httpx.create_ssl_context(trust_env=False)
    return _SSL_CONTEXT


class RequestBody(bytes):
    """The JSON request body; its ``repr`` hides the conversation (tenacity and AstrBot's
    tracebacks print argument values)."""

    def __repr__(self) -> str:
        return f"<request body, {len(self)} bytes>"


class UpstreamStream:
    """One opened upstream response; close it with :meth:`aclose`.

    ``prefetched``: the events :meth:`Transport.open` read before returning (up to and
    including the first content event); ``rest``: an async iterator over the events after
    them (None for a JSON body). Read ``prefetched`` first, then ``rest``: two plain loops,
    no wrapper generator per event. ``sse`` is the :class:`EventStream` (None for a JSON
    body), ``attempts`` how many HTTP attempts :meth:`Transport.open` needed.

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
        "prefetched",
        "rest",
        "sse",
    )

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.prefetched: list[dict[str, Any]] = []
        self.rest: AsyncIterator[dict[str, Any]] | None = None
        self.sse: EventStream | None = None
        self.attempts = 1
        self.abort: asyncio.Event | None = None  # set by Transport.open
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
                await iterator.aclose()  # type: ignore[attr-defined]
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


async def _until_aborted(work: Awaitable[UpstreamStream], abort: asyncio.Event) -> UpstreamStream:
    """Await ``work`` (opening a response) unless ``abort`` is set first: then cancel it (which
    closes its connection) and raise :class:`AbortedError`."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(abort.wait())
    try:
        await asyncio.wait((task, waiter), return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        if not task.done():
            task.cancel()
            opened = (await asyncio.gather(task, return_exceptions=True))[0]
            if isinstance(opened, UpstreamStream):  # it opened just as we were stopped
                await opened.aclose()
    if task.cancelled():
        raise AbortedError("The request was stopped by the user before the answer started.")
    return task.result()


class Transport:
    """Pooled HTTP client for one provider instance. Close it with :meth:`aclose`.

    ``profile`` (resolved by the adapter) decides the auth header. Limits (characters):
    ``max_line_chars`` for one SSE line and ``max_event_chars`` for one event (derived from
    ``max_output_chars``), ``max_body_bytes`` for a JSON body. ``timeout`` (seconds) is the
    connect/read/write timeout and the longest time the stream may go without an event
    (keep-alive comments do not count).
    """

    def __init__(self, cfg: SourceConfig, profile: Profile) -> None:
        self.cfg = cfg
        self.profile = profile
        self.url = endpoint_url(cfg.api_base, "responses")
        self.models_url = endpoint_url(cfg.api_base, "models")
        self.max_event_chars = max(4 * cfg.max_output_chars, 1_000_000) + 1_000_000
        self.max_line_chars = self.max_event_chars
        self.max_body_bytes = self.max_event_chars * 4
        self._counter = itertools.count(random.randrange(1 << 16))
        headers = {"User-Agent": "astrbot-plugin-openai-responses", **cfg.custom_headers}
        timeout = httpx.Timeout(cfg.timeout, connect=min(cfg.timeout, 15.0))
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=timeout,
            proxy=cfg.proxy_url or None,
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=32),
            follow_redirects=False,
            trust_env=False,
            verify=_ssl_context(),
        )

    async def aclose(self) -> None:
        """Close the pooled client and every connection it holds."""
        await self._client.aclose()

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` ran."""
        return self._client.is_closed

    # -- request building (the only place that touches a key) ------------------------------
    def _auth(self, key_index: int) -> dict[str, str]:
        keys = self.cfg.keys
        if not keys:
            return {}
        if self.profile.auth == "api-key":
            return {"api-key": keys[key_index % len(keys)]}
        return {"Authorization": "Bearer " + keys[key_index % len(keys)]}

    def _build(self, method: str, url: str, key_index: int, body: bytes | None) -> httpx.Request:
        headers = self._auth(key_index)
        if body is not None:
            headers["Content-Type"] = "application/json"
        return self._client.build_request(method, url, content=body, headers=headers)

    # -- public API -----------------------------------------------------------------------
    async def open(
        self,
        body: dict[str, Any],
        *,
        attempts: int | None = None,
        abort: asyncio.Event | None = None,
    ) -> UpstreamStream:
        """POST ``body`` to ``/responses``; retry until the first content event arrives.

        ``attempts`` = total HTTP attempts (AstrBot's ``request_max_retries``), default 3.
        Raises :class:`UpstreamError` (redacted, with status/code) or :class:`AbortedError`.
        """
        payload = RequestBody(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
        stream = bool(body.get("stream"))
        cursor = {"start": next(self._counter), "rotations": 0}
        controller = retrying(attempts, abort)
        if abort is not None and abort.is_set():
            raise AbortedError("The request was stopped by the user before it was sent.")
        work = controller(self._attempt, payload, stream, cursor)
        try:
            opened = await (work if abort is None else _until_aborted(work, abort))
        except UpstreamError as exc:
            exc.attempts = int(controller.statistics.get("attempt_number", 1))
            raise
        opened.attempts = int(controller.statistics.get("attempt_number", 1))
        opened.abort = abort
        return opened

    async def get_models(self) -> list[str]:
        """``GET {api_base}/models`` → sorted model ids. Raises :class:`UpstreamError`."""
        request = self._build("GET", self.models_url, next(self._counter), None)
        response = await self._send(request)
        try:
            if response.status_code >= 400:
                raise await self._http_error(response, self.models_url)
            raw = await self._read_capped(response, self.max_body_bytes)
        finally:
            await response.aclose()
        try:
            data = json.loads(raw)
        except ValueError:
            raise UpstreamError(
                f"{self.models_url} did not return JSON; check `api_base`."
            ) from None
        items = data.get("data") if isinstance(data, dict) else data
        ids = [m.get("id") for m in items or () if isinstance(m, dict)]
        return sorted({i for i in ids if isinstance(i, str) and i})

    # -- one attempt ------------------------------------------------------------------------
    async def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise connection_error(
                exc,
                api_base=self.cfg.api_base,
                proxy_url=self.cfg.proxy_url,
                timeout=self.cfg.timeout,
            ) from None

    async def _attempt(
        self, payload: bytes, stream: bool, cursor: dict[str, int]
    ) -> UpstreamStream:
        request = self._build("POST", self.url, cursor["start"] + cursor["rotations"], payload)
        response = await self._send(request)
        try:
            if response.status_code >= 400:
                error = await self._http_error(response, self.url)
                if (
                    error.status in _ROTATE_ON
                    and error.code not in QUOTA_CODES
                    and cursor["rotations"] < len(self.cfg.keys) - 1
                ):
                    cursor["rotations"] += 1
                    error.retryable = True
                    error.retry_after = 0.0 if error.status != 429 else error.retry_after
                raise error
            return await self._open_body(response)
        except BaseException:
            await response.aclose()
            raise

    async def _open_body(self, response: httpx.Response) -> UpstreamStream:
        chunks = response.aiter_text()
        try:
            head = ""
            while not head.strip():
                piece = await anext(chunks, None)
                if piece is None:
                    break
                head += piece
        except httpx.TransportError as exc:
            raise read_error(
                exc,
                "The upstream sent headers but no body",
                "before the answer started",
                self.cfg.timeout,
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
                async with asyncio.timeout(self.cfg.timeout):
                    rest = [c async for c in _capped(chunks, self.max_body_bytes)]
                text = head + "".join(rest)
            except (httpx.TransportError, TimeoutError) as exc:
                raise read_error(
                    exc,
                    "The upstream did not finish sending its answer",
                    "while the answer was read",
                    self.cfg.timeout,
                ) from None
            opened = UpstreamStream(response)
            opened.prefetched.append(_json_body_event(text))
            return opened
        opened = UpstreamStream(response)
        sse = opened.sse = EventStream(
            opened.chunks(chunks, head),
            max_line_chars=self.max_line_chars,
            max_event_chars=self.max_event_chars,
            idle_timeout=self.cfg.timeout,
        )
        iterator = opened.rest = aiter(sse)
        prefetched = opened.prefetched
        try:
            async for event in iterator:
                prefetched.append(event)
                kind = event.get("type")
                if kind in PRE_CONTENT_EVENTS:
                    continue
                if kind == "error" or kind == "response.failed":
                    payload = event if kind == "error" else (event.get("response") or {})
                    raise error_from_payload(payload, what=str(kind))
                break
        except httpx.TransportError as exc:
            raise read_error(
                exc,
                "The stream produced no content",
                "before the answer started",
                self.cfg.timeout,
            ) from None
        if not prefetched or prefetched[-1].get("type") in PRE_CONTENT_EVENTS:
            # the body ended before any content: nothing usable arrived
            raise UpstreamError(
                "The stream ended before any answer arrived"
                + (f" ({sse.malformed} malformed events skipped)" if sse.malformed else "")
                + ".",
                retryable=True,
            )
        return opened

    async def _read_capped(self, response: httpx.Response, limit: int) -> bytes:
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > limit:
                break
        return bytes(data[:limit])

    async def _http_error(self, response: httpx.Response, url: str) -> UpstreamError:
        """A non-2xx response to ``url`` → :class:`UpstreamError` (reads ≤ MAX_ERROR_BODY)."""
        try:
            raw = await self._read_capped(response, MAX_ERROR_BODY)
        except httpx.HTTPError:
            raw = b""
        return http_error(response.status_code, response.headers, raw, url)


async def _capped(chunks: AsyncIterator[str], limit: int) -> AsyncIterator[str]:
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise UpstreamError(f"The upstream's JSON body is larger than {limit} characters.")
        yield chunk


def _json_body_event(text: str) -> dict[str, Any]:
    """A JSON body (non-stream answer, or a stream request answered with JSON) as one event."""
    try:
        obj = json.loads(text)
    except ValueError:
        raise UpstreamError(
            f"The upstream returned invalid JSON (HTTP 200): {clip(text, 200)}"
        ) from None
    if not isinstance(obj, dict):
        raise UpstreamError("The upstream returned JSON that is not a Responses object.")
    if "output" not in obj and isinstance(obj.get("error"), dict | str):
        error = obj["error"] if isinstance(obj["error"], dict) else {"message": obj["error"]}
        raise error_from_payload({"error": error}, what="JSON error body")
    if obj.get("object") == "chat.completion" or "choices" in obj:
        raise chat_completions_body_error()
    return {"type": "response.completed", "response": obj}
