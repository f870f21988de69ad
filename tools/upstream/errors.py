"""OpenAI error bodies: ``{"error": {message, type, param, code}}``.

Spec: specs/004-responses-wire-format/spec.md §"Errors".
"""

from __future__ import annotations

from typing import Any

#: Default ``(type, code, message)`` per HTTP status for :func:`error_body`.
_DEFAULTS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", "invalid_value", "Invalid request (fake upstream)."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "not_found", "Not found."),
    408: ("invalid_request_error", "timeout", "Request timed out."),
    409: ("invalid_request_error", "conflict", "Conflict."),
    422: ("invalid_request_error", None, "Unprocessable entity."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached (fake upstream)."),
    500: ("server_error", "server_error", "The server had an error (fake upstream)."),
    502: ("server_error", "bad_gateway", "Bad gateway (fake upstream)."),
    503: ("service_unavailable_error", "server_is_overloaded", "The server is overloaded."),
    504: ("server_error", "gateway_timeout", "Gateway timeout (fake upstream)."),
}


def error_body(
    status: int,
    message: str | None = None,
    *,
    error_type: str | None = None,
    code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """Build the JSON body OpenAI sends with a non-2xx ``status``.

    Unset fields take a plausible default for the status (e.g. 429 → ``rate_limit_exceeded``).
    """
    d_type, d_code, d_message = _DEFAULTS.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None, "Error.")
    )
    return {
        "error": {
            "message": message if message is not None else d_message,
            "type": error_type if error_type is not None else d_type,
            "param": param,
            "code": code if code is not None else d_code,
        }
    }
