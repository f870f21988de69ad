"""Error classification (one home): what the upstream did wrong → ``UpstreamError``.

Failed HTTP exchanges (status, error body, connection), error objects inside a stream or a
JSON body (flat or nested ``error``), and answers in the wrong API format all become an
``UpstreamError`` with a message an admin can act on. Each message keeps the upstream's own
error text (clipped, redacted by the error class), names what to change (``key``,
``api_base``, ``proxy``, ``timeout``, the model, billing) and says whether the retry layer
(:mod:`.retry`) may try again.
Spec: specs/001-redesign-responses-provider/spec.md §"Transport and retries";
specs/004-responses-wire-format/spec.md §"Errors"; the README's troubleshooting table lists
the messages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from .errors import UpstreamError, clip
from .plugin_settings import PLUGIN_SETTINGS
from .redaction import MAX_UPSTREAM_CODE, shown_url
from .retry import MAX_RETRY_AFTER, retry_after_seconds
from .wire import ResponseObject

#: Error bodies are read up to this many bytes.
MAX_ERROR_BODY = 64 * 1024
#: Characters of an upstream URL (a ``Location``) looked at.
MAX_URL_CHARS = 2048
#: Statuses retried besides 5xx (unless ``x-should-retry: false``).
RETRY_STATUS = frozenset({408, 409, 429})
#: Error codes that mean "out of money": never retried.
QUOTA_CODES = frozenset({"insufficient_quota", "credit_balance_exhausted", "billing_hard_limit"})
#: In-stream error codes worth another attempt (when nothing reached the user yet).
RETRYABLE_CODES = frozenset(
    {
        "rate_limit_exceeded",
        "too_many_requests",
        "server_error",
        "internal_error",
        "service_unavailable",
        "service_unavailable_error",
        "server_is_overloaded",
        "overloaded",
        "overloaded_error",
        "timeout",
    }
)


def error_from_payload(payload: Mapping[str, object], *, what: str) -> UpstreamError:
    """Build an :class:`UpstreamError` from an error object (:class:`~.wire.ErrorObject`),
    flat (an ``error`` event) or nested under ``error``.

    Each field is taken from ``payload["error"]`` first, then from the top level
    (specs/004-responses-wire-format/spec.md §"Errors"). ``what`` names the source
    ("stream error event", …). Retryable when the code is in :data:`RETRYABLE_CODES`.
    """
    error = payload.get("error")
    nested = error if isinstance(error, dict) else {}
    message = nested.get("message") or payload.get("message") or "no message"
    code = nested.get("code") or payload.get("code") or nested.get("type") or payload.get("type")
    code = clip(code, MAX_UPSTREAM_CODE) if code and code != "error" else None
    return UpstreamError(
        f"The upstream reported an error ({what}{', code ' + code if code else ''}): "
        f"{clip(str(message))}",
        code=code,
        retryable=bool(code) and code in RETRYABLE_CODES,
    )


def failed_response_error(response: ResponseObject, *, what: str, fallback: str) -> UpstreamError:
    """A ``Response`` object whose status is ``failed`` (its ``error`` object, else
    ``fallback`` as the message) → :func:`error_from_payload`."""
    error = response.get("error")
    if not isinstance(error, dict) or not error:
        error = {"message": fallback}
    return error_from_payload({"error": error}, what=what)


def upstream_json(text: str | bytes, not_json: Callable[[], str]) -> Any:
    """``text``, a body the upstream sent, parsed as JSON; when it is not JSON (or nests too
    deep) an :class:`UpstreamError` (not retried) with the message ``not_json()``."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep
        raise UpstreamError(not_json()) from None


def chat_completions_chunks_error() -> UpstreamError:
    """A stream of Chat Completions chunks where Responses events were expected."""
    return UpstreamError(
        "The endpoint answered with Chat Completions chunks, not Responses events. "
        "Check `api_base` (it must serve /responses) or use AstrBot's "
        "OpenAI-compatible (chat completions) provider for it."
    )


def chat_completions_body_error() -> UpstreamError:
    """A JSON body in Chat Completions format where a Responses object was expected."""
    return UpstreamError(
        "The endpoint answered in Chat Completions format, not Responses. Check `api_base` "
        "or use AstrBot's OpenAI-compatible (chat completions) provider for it."
    )


def http_error(status: int, headers: httpx.Headers, body: bytes, url: str) -> UpstreamError:
    """A non-2xx answer (``status``, ``headers``, the first bytes of ``body``) from ``url``.

    Retryable: 408/409/429 and 5xx, overridden by ``x-should-retry``; never a quota error or
    a ``Retry-After`` longer than :data:`~.retry.MAX_RETRY_AFTER` (the message says so).
    """
    url = shown_url(url)  # an api_base query may hold a key
    message, code = error_message(body.decode("utf-8", "replace"))
    retry_after = retry_after_seconds(headers)
    should = headers.get("x-should-retry")
    retryable = status in RETRY_STATUS or status >= 500
    if should in ("true", "false"):
        retryable = should == "true"
    if code in QUOTA_CODES:
        retryable = False
    hint = status_hint(status, code, url)
    request_id = headers.get("x-request-id")
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


def redirect_error(status: int, headers: httpx.Headers, url: str) -> UpstreamError:
    """A 3xx answer from ``url``: redirects are not followed (a relay must not send the
    request, key included, elsewhere). Names the ``Location`` origin (no credentials, path
    or query) and ``api_base``; not retried."""
    location = headers.get("location", "")
    target = origin(location) if "//" in location else ""
    where = f"to {target}" if target else "elsewhere on the same server" if location else ""
    return UpstreamError(
        f"HTTP {status} from {url}: the upstream redirects {where or '(no Location)'}; "
        "redirects are not followed. Check `api_base`: set it to the final address if you "
        "trust it."
    )


def error_message(text: str) -> tuple[str, str | None]:
    """Extract (message, code) from an error body (OpenAI JSON, other JSON, HTML or text)."""
    stripped = text.strip()
    if not stripped:
        return "no error body", None
    if stripped.startswith("<"):
        return "the server answered with an HTML page", None
    try:
        data = json.loads(stripped)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep
        return clip(stripped), None
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            message = err.get("message") or data.get("message") or data.get("detail") or stripped
            code = err.get("code") or err.get("type")
            return clip(str(message)), clip(code, MAX_UPSTREAM_CODE) if code else None
        if isinstance(err, str):
            return clip(err), None
    return clip(stripped), None


def status_hint(status: int, code: str | None, url: str) -> str:
    """What to change for an HTTP ``status`` (with the upstream's error ``code``) at ``url``."""
    if status in (401, 403):
        return " Check the API key (`key`) and that it may use this model."
    if status == 404:
        if code == "model_not_found" or (code or "").startswith("model"):
            return " Check the model name."
        return (
            f" Check `api_base`: {url} must serve the Responses API"
            " (e.g. https://api.openai.com/v1)."
        )
    if status == 429 and code in QUOTA_CODES:
        return " The account is out of quota or credit; check billing. Not retried."
    if status == 429:
        return " Rate limited by the upstream."
    if status >= 500:
        return " The upstream had a server error."
    return ""


def read_error(
    exc: httpx.TransportError | TimeoutError, timed_out: str, broke: str, timeout: float
) -> UpstreamError:
    """Reading a body failed: a timeout → "``timed_out`` within N s", else "the connection
    broke ``broke``". Both are retryable (nothing reached the user yet)."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return UpstreamError(
            f"{timed_out} within {timeout:g} s (`timeout` setting).", retryable=True
        )
    return UpstreamError(f"The connection broke {broke} ({type(exc).__name__}).", retryable=True)


def connection_error(
    exc: httpx.TransportError, *, api_base: str, proxy_url: str, timeout: float
) -> UpstreamError:
    """A request that got no answer → a retryable :class:`UpstreamError` naming the setting:
    the proxy (refused, or with a proxy set: unreachable), the ``timeout``, or ``api_base``.
    Only ``scheme://host:port`` of either URL is shown (no credentials)."""
    detail = f"{type(exc).__name__}: {clip(str(exc), 200) or 'no details'}"
    if isinstance(exc, httpx.ProxyError):
        message = (
            f"The proxy refused or failed the connection ({detail}). Check the `proxy` setting."
        )
    elif proxy_url and isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        # with a proxy, the connection that failed is the one to the proxy
        message = (
            f"Could not connect to the proxy {origin(proxy_url)} (`proxy` setting): "
            f"{detail}. Check that the proxy runs, or clear `proxy`."
        )
    elif isinstance(exc, httpx.TimeoutException):
        message = (
            f"The upstream {origin(api_base)} did not answer within {timeout:g} s "
            "(`timeout` setting)."
        )
    else:
        message = (
            f"Could not reach {origin(api_base)} ({detail}). "
            "Check `api_base`, `proxy` and that the server is running."
        )
    return UpstreamError(message, retryable=True)


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` (no credentials, path or query; clipped)."""
    try:
        parts = urlsplit(url[:MAX_URL_CHARS])
        port = parts.port
    except ValueError:  # a broken IPv6 host, a port out of range or not a number
        return "an unreadable address"
    return clip(f"{parts.scheme}://{parts.hostname}{':' + str(port) if port else ''}", 120)


__all__ = [
    "MAX_ERROR_BODY",
    "QUOTA_CODES",
    "RETRYABLE_CODES",
    "RETRY_STATUS",
    "chat_completions_body_error",
    "chat_completions_chunks_error",
    "connection_error",
    "error_from_payload",
    "error_message",
    "failed_response_error",
    "http_error",
    "origin",
    "read_error",
    "redirect_error",
    "status_hint",
    "upstream_json",
]
