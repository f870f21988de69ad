"""Errors the adapter raises. Every message is clipped and redacted when the error is created.

AstrBot shows a provider's exception text to the chat user ("All chat models failed: …")
and logs it with a traceback, so messages are short, English, say what failed and which
setting to change, and keep the upstream's own message (redacted, truncated).
Spec: specs/001-redesign-responses-provider/spec.md §"Transport and retries" (errors).
"""

from __future__ import annotations

from .redaction import MAX_ERROR_CHARS
from .redaction import clip as clip  # re-exported: the one clip-and-redact step


class ResponsesPluginError(Exception):
    """Base class; ``str(err)`` is already clipped (one line, at most
    :data:`~.redaction.MAX_ERROR_CHARS` characters) and redacted."""

    def __init__(self, message: str) -> None:
        super().__init__(clip(message, MAX_ERROR_CHARS))

    @property
    def message(self) -> str:
        """The redacted message."""
        return str(self.args[0]) if self.args else ""


class ConfigError(ResponsesPluginError, ValueError):
    """The provider source has a wrong value; the message names the field.

    A ``ValueError`` so that AstrBot's dashboard shows its text to the admin
    (astrbot/dashboard/api/app.py ``value_error_handler``; other errors read
    "Internal server error").
    """


class UpstreamError(ResponsesPluginError):
    """The upstream answered with an error (HTTP status or an error inside the stream).

    ``status`` is the HTTP status (0 for transport or in-stream errors), ``code`` the
    upstream error code (e.g. ``insufficient_quota``), ``retryable`` whether the single
    retry layer may try again, ``retry_after`` the upstream's requested delay in seconds,
    ``attempts`` the HTTP attempts that were made before the error was raised.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after
        #: HTTP attempts made before giving up (set by ``Transport.open``; for usage logs)
        self.attempts = 1


class ModelListError(ResponsesPluginError, ValueError):
    """``GET {api_base}/models`` failed; a ``ValueError`` for the same dashboard reason."""


class AbortedError(ResponsesPluginError):
    """AstrBot's ``abort_signal`` was set (the user stopped the reply)."""
