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

The retry policy lives in :mod:`.retry`, error classification in :mod:`.http_errors`, body
sniffing in :mod:`.response_body`, the opened response in :mod:`.upstream_stream`.
Spec: specs/001-redesign-responses-provider/spec.md §"Transport and retries".
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import ssl
import time
from contextlib import nullcontext
from typing import Any

import httpx

from .abort_watch import AbortWatch
from .clock import FIRST_BYTE_TIMEOUTS, RequestClock
from .config import SourceConfig
from .content_encoding import ACCEPT_ENCODING, inflated
from .errors import AbortedError, UpstreamError
from .http_errors import (
    MAX_ERROR_BODY,
    QUOTA_CODES,
    connection_error,
    http_error,
    origin,
    redirect_error,
    upstream_json,
)
from .profiles import Profile
from .redaction import shown_url
from .response_body import BodyLimits, open_body
from .retry import retrying
from .upstream_stream import UpstreamStream

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


class Transport:
    """Pooled HTTP client for one provider instance. Close it with :meth:`aclose`.

    ``profile`` (resolved by the adapter) decides the auth header. Limits (characters):
    ``max_line_chars`` for one SSE line and ``max_event_chars`` for one event (derived from
    ``max_output_chars``), ``max_body_bytes`` for a JSON body. ``timeout`` (seconds) is the
    connect/read/write timeout; what else it bounds (attempts together, a stream without
    content) is :mod:`.clock`. Redirects are not followed (a 3xx is an error).
    """

    def __init__(self, cfg: SourceConfig, profile: Profile) -> None:
        self.cfg = cfg
        self.profile = profile
        self.url = endpoint_url(cfg.api_base, "responses")
        self.models_url = endpoint_url(cfg.api_base, "models")
        self.limits = BodyLimits.for_output(cfg.max_output_chars)
        self._counter = itertools.count(random.randrange(1 << 16))
        headers = {
            "User-Agent": "astrbot-plugin-openai-responses",
            "Accept-Encoding": ACCEPT_ENCODING,
            **cfg.custom_headers,
        }
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

        ``attempts`` = total HTTP attempts (AstrBot's ``request_max_retries``), default 3;
        they share one :class:`~.clock.RequestClock` (``opened.clock``, which the response
        reader goes on using). Raises :class:`UpstreamError` (redacted, with status/code)
        or :class:`AbortedError`.
        """
        payload = RequestBody(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
        stream = bool(body.get("stream"))
        cursor = {"start": next(self._counter), "rotations": 0}
        clock = RequestClock(self.cfg.timeout)
        controller = retrying(attempts, abort, clock)
        if abort is not None and abort.is_set():
            raise AbortedError("The request was stopped by the user before it was sent.")
        watch = AbortWatch(abort) if abort is not None else None
        opened: UpstreamStream
        try:
            with nullcontext() if watch is None else watch.guard("before the answer started"):
                opened = await controller(self._attempt, payload, stream, cursor, clock)
        except BaseException as exc:
            if watch is not None:
                watch.close()
            if isinstance(exc, UpstreamError):
                exc.attempts = int(controller.statistics.get("attempt_number", 1))
            raise
        opened.attempts = int(controller.statistics.get("attempt_number", 1))
        opened.watch = watch
        opened.clock = clock
        return opened

    async def get_models(self) -> list[str]:
        """``GET {api_base}/models`` → sorted model ids. Raises :class:`UpstreamError`."""
        request = self._build("GET", self.models_url, next(self._counter), None)
        response = await self._send(request)
        try:
            if response.status_code >= 300:
                raise await self._http_error(response, self.models_url)
            raw = await self._read_capped(response, self.limits.max_body_bytes)
        finally:
            await response.aclose()
        data = upstream_json(
            raw, lambda: f"{shown_url(self.models_url)} did not return JSON; check `api_base`."
        )
        items = data.get("data") if isinstance(data, dict) else data
        ids = [m.get("id") for m in items or () if isinstance(m, dict)]
        return sorted({i for i in ids if isinstance(i, str) and i})

    # -- one attempt ------------------------------------------------------------------------
    async def _send(
        self, request: httpx.Request, clock: RequestClock | None = None
    ) -> httpx.Response:
        """Send ``request``, return once the response headers arrived. With a ``clock``, the
        wait draws on the attempts' shared first-byte budget and a timeout is retried once
        at most (:mod:`.clock`)."""
        started = time.monotonic()
        try:
            if clock is None:
                return await self._client.send(request, stream=True)
            async with asyncio.timeout(clock.first_byte_left):
                return await self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            error = connection_error(
                exc,
                api_base=self.cfg.api_base,
                proxy_url=self.cfg.proxy_url,
                timeout=self.cfg.timeout,
            )
            if clock is not None and isinstance(exc, httpx.TimeoutException):
                error.retryable = clock.timed_out()
        except TimeoutError:
            error = UpstreamError(
                f"The upstream {origin(self.cfg.api_base)} did not answer: the attempts "
                f"waited {FIRST_BYTE_TIMEOUTS * self.cfg.timeout:g} s together "
                f"({FIRST_BYTE_TIMEOUTS} × the `timeout` setting)."
            )
        finally:
            if clock is not None:
                clock.first_byte_left -= time.monotonic() - started
        raise error

    async def _attempt(
        self, payload: bytes, stream: bool, cursor: dict[str, int], clock: RequestClock
    ) -> UpstreamStream:
        request = self._build("POST", self.url, cursor["start"] + cursor["rotations"], payload)
        response = await self._send(request, clock)
        try:
            if response.status_code >= 300:
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
            return await open_body(response, self.limits, clock)
        except BaseException:
            await response.aclose()
            raise

    async def _read_capped(self, response: httpx.Response, limit: int) -> bytes:
        data = bytearray()
        async for chunk in inflated(response):
            data += chunk
            if len(data) > limit:
                break
        return bytes(data[:limit])

    async def _http_error(self, response: httpx.Response, url: str) -> UpstreamError:
        """A non-2xx response to ``url`` → :class:`UpstreamError` (reads ≤ MAX_ERROR_BODY;
        a 3xx names where it redirects to, its body is not read)."""
        if response.status_code < 400:
            return redirect_error(response.status_code, response.headers, url)
        try:
            raw = await self._read_capped(response, MAX_ERROR_BODY)
        except (httpx.HTTPError, UpstreamError):
            raw = b""
        return http_error(response.status_code, response.headers, raw, url)
