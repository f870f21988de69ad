"""HTTP transport: one pooled httpx client per provider instance and the ONE retry layer.

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

Spec: specs/001-redesign-responses-provider/spec.md §"Transport and retries".
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from .accumulator import TERMINAL_EVENTS, error_from_payload
from .config import SourceConfig
from .errors import AbortedError, UpstreamError, clip
from .plugin_settings import PLUGIN_SETTINGS
from .profiles import Profile, detect_profile
from .redaction import LOG
from .sse import EventStream, looks_like_sse

#: Longest Retry-After we wait for (seconds); a longer one fails the call at once.
MAX_RETRY_AFTER = 60.0
#: Backoff without Retry-After: ``min(BACKOFF_BASE · 2ⁿ, BACKOFF_MAX) × (1 − 0.25·rand)`` s.
BACKOFF_BASE = 0.5
BACKOFF_MAX = 8.0
#: Error bodies are read up to this many bytes.
MAX_ERROR_BODY = 64 * 1024
#: Default number of attempts (first request included) when AstrBot passes none.
DEFAULT_ATTEMPTS = 3
#: After the terminal event, at most this much of the body (characters / seconds) is read so
#: that the connection can be reused (see :func:`_drain`).
DRAIN_CHARS = 64 * 1024
DRAIN_SECONDS = 0.1
_TERMINAL = TERMINAL_EVENTS | {"error"}
_PRE_CONTENT = frozenset({"response.created", "response.in_progress", "response.queued"})
_ROTATE_ON = frozenset({401, 403, 429})
_RETRY_STATUS = frozenset({408, 409, 429})
_QUOTA_CODES = frozenset({"insufficient_quota", "credit_balance_exhausted", "billing_hard_limit"})


def endpoint_url(api_base: str, path: str) -> str:
    """``{api_base}/{path}``, keeping a query string of ``api_base`` (Azure ``api-version``)."""
    base, sep, query = api_base.partition("?")
    return f"{base.rstrip('/')}/{path}" + (f"?{query}" if sep else "")


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds the upstream asked us to wait (``retry-after-ms`` or ``retry-after``), or None."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(float(raw_ms) / 1000.0, 0.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(raw).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


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


class _Wait:
    """tenacity wait strategy: the upstream's Retry-After, else jittered exponential backoff."""

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, UpstreamError) and exc.retry_after is not None:
            return exc.retry_after
        backoff = min(BACKOFF_BASE * 2 ** (state.attempt_number - 1), BACKOFF_MAX)
        return backoff * (1 - 0.25 * random.random())


def _abortable_sleep(abort: asyncio.Event | None) -> Callable[[float], Any]:
    async def sleep(seconds: float) -> None:
        if abort is None:
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(abort.wait(), timeout=seconds)
        except TimeoutError:
            return
        raise AbortedError("The request was stopped by the user while waiting to retry.")

    return sleep


class Transport:
    """Pooled HTTP client for one provider instance. Close it with :meth:`aclose`.

    Limits (characters): ``max_line_chars`` for one SSE line and ``max_event_chars`` for
    one event (defaults derived from ``max_output_chars``), ``max_body_bytes`` for a JSON
    body. ``timeout`` (seconds) is the connect/read/write timeout and the longest time the
    stream may go without an event (keep-alive comments do not count).
    """

    def __init__(self, cfg: SourceConfig, profile: Profile | None = None) -> None:
        self.cfg = cfg
        self.profile = profile or detect_profile(cfg.api_base, cfg.compat_profile)
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
        retrying = AsyncRetrying(
            stop=stop_after_attempt(max(1, min(attempts or DEFAULT_ATTEMPTS, 10))),
            wait=_Wait(),
            retry=retry_if_exception(lambda e: isinstance(e, UpstreamError) and e.retryable),
            sleep=_abortable_sleep(abort),
            reraise=True,
            before_sleep=_log_retry,
        )
        if abort is not None and abort.is_set():
            raise AbortedError("The request was stopped by the user before it was sent.")
        work = retrying(self._attempt, payload, stream, cursor)
        try:
            opened = await (work if abort is None else _until_aborted(work, abort))
        except UpstreamError as exc:
            exc.attempts = int(retrying.statistics.get("attempt_number", 1))
            raise
        opened.attempts = int(retrying.statistics.get("attempt_number", 1))
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
            raise self._connection_error(exc) from None

    def _connection_error(self, exc: httpx.TransportError) -> UpstreamError:
        """A failed connection → a retryable :class:`UpstreamError` naming the setting."""
        detail = f"{type(exc).__name__}: {clip(str(exc), 200) or 'no details'}"
        if isinstance(exc, httpx.ProxyError):
            message = (
                f"The proxy refused or failed the connection ({detail}). "
                "Check the `proxy` setting."
            )
        elif self.cfg.proxy_url and isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            # with a proxy, the connection that failed is the one to the proxy
            message = (
                f"Could not connect to the proxy {self._proxy_host()} (`proxy` setting): "
                f"{detail}. Check that the proxy runs, or clear `proxy`."
            )
        elif isinstance(exc, httpx.TimeoutException):
            message = (
                f"The upstream {self._host()} did not answer within {self.cfg.timeout:g} s "
                "(`timeout` setting)."
            )
        else:
            message = (
                f"Could not reach {self._host()} ({detail}). "
                "Check `api_base`, `proxy` and that the server is running."
            )
        return UpstreamError(message, retryable=True)

    def _host(self) -> str:
        return _origin(self.cfg.api_base)

    def _proxy_host(self) -> str:
        return _origin(self.cfg.proxy_url)

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
                    and error.code not in _QUOTA_CODES
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
            raise _read_error(
                exc, "The upstream sent headers but no body", "before the answer started",
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
                raise _read_error(
                    exc, "The upstream did not finish sending its answer",
                    "while the answer was read", self.cfg.timeout,
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
                if kind in _PRE_CONTENT:
                    continue
                if kind == "error" or kind == "response.failed":
                    payload = event if kind == "error" else (event.get("response") or {})
                    raise error_from_payload(payload, what=str(kind))
                break
        except httpx.TransportError as exc:
            raise _read_error(
                exc, "The stream produced no content", "before the answer started",
                self.cfg.timeout,
            ) from None
        if not prefetched or prefetched[-1].get("type") in _PRE_CONTENT:
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
        """Turn a non-2xx response to ``url`` into an :class:`UpstreamError`.

        Reads at most ``MAX_ERROR_BODY`` bytes of the body.
        """
        try:
            raw = await self._read_capped(response, MAX_ERROR_BODY)
        except httpx.HTTPError:
            raw = b""
        status = response.status_code
        text = raw.decode("utf-8", "replace")
        message, code = _error_message(text)
        retry_after = retry_after_seconds(response.headers)
        should = response.headers.get("x-should-retry")
        retryable = status in _RETRY_STATUS or status >= 500
        if should in ("true", "false"):
            retryable = should == "true"
        if code in _QUOTA_CODES:
            retryable = False
        hint = _status_hint(status, code, url)
        request_id = response.headers.get("x-request-id")
        if request_id and PLUGIN_SETTINGS.log_request_ids:
            hint += f" (upstream request id {clip(request_id, 80)})"
        if retry_after is not None and retry_after > MAX_RETRY_AFTER:
            retryable = False
            hint += f" The upstream asked to wait {retry_after:.0f} s; not retried."
        return UpstreamError(
            f"HTTP {status} from {url}: {message.rstrip('.')}.{hint}",
            status=status,
            code=code,
            retryable=retryable,
            retry_after=retry_after if retryable else None,
        )


def _read_error(
    exc: httpx.TransportError | TimeoutError, timed_out: str, broke: str, timeout: float
) -> UpstreamError:
    """Reading a body failed: a timeout → "``timed_out`` within N s", else "the connection
    broke ``broke``". Both are retryable (nothing reached the user yet)."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return UpstreamError(
            f"{timed_out} within {timeout:g} s (`timeout` setting).", retryable=True
        )
    return UpstreamError(
        f"The connection broke {broke} ({type(exc).__name__}).", retryable=True
    )


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
        raise UpstreamError(
            "The endpoint answered in Chat Completions format, not Responses. Check `api_base` "
            "or use AstrBot's OpenAI-compatible (chat completions) provider for it."
        )
    return {"type": "response.completed", "response": obj}


def _error_message(text: str) -> tuple[str, str | None]:
    """Extract (message, code) from an error body (OpenAI JSON, other JSON, HTML or text)."""
    stripped = text.strip()
    if not stripped:
        return "no error body", None
    if stripped.startswith("<"):
        return "the server answered with an HTML page", None
    try:
        data = json.loads(stripped)
    except ValueError:
        return clip(stripped), None
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            message = err.get("message") or data.get("message") or data.get("detail") or stripped
            code = err.get("code") or err.get("type")
            return clip(str(message)), str(code) if code else None
        if isinstance(err, str):
            return clip(err), None
    return clip(stripped), None


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` (no credentials, path or query)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}"


def _status_hint(status: int, code: str | None, url: str) -> str:
    if status in (401, 403):
        return " Check the API key (`key`) and that it may use this model."
    if status == 404:
        if code == "model_not_found" or (code or "").startswith("model"):
            return " Check the model name."
        return f" Check `api_base`: {url} must serve the Responses API (e.g. https://api.openai.com/v1)."
    if status == 429 and code in _QUOTA_CODES:
        return " The account is out of quota or credit; check billing. Not retried."
    if status == 429:
        return " Rate limited by the upstream."
    if status >= 500:
        return " The upstream had a server error."
    return ""


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    LOG.warning(
        "attempt %d failed, retrying in %.1f s: %s",
        state.attempt_number,
        state.upcoming_sleep,
        exc,
    )
