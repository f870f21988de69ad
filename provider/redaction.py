"""Secret redaction for every log line and every error message the plugin produces.

Two layers: (1) the configured secrets of every live provider instance, verbatim, whatever
their shape (:func:`register_secrets`); (2) patterns for secrets nobody configured here:
``sk-…``/``sk-proj-…`` style keys, Bearer tokens, ``api-key``/``x-api-key``/
``Authorization``/``Cookie`` header values (``name: value`` and JSON ``"name": "value"``
forms) and credentials inside URLs (``scheme://user:pass@host``).

:data:`LOG` is the plugin's logger; a filter on it redacts each record after formatting, so
a caller cannot forget. Spec: specs/001-redesign-responses-provider/spec.md §"Secrets".
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable

MASK = "[REDACTED]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # URL credentials: keep scheme and host, drop user:password.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@'\"]+:[^/\s@'\"]+@"), r"\1" + MASK + "@"),
    # Authorization-like header values, "Name: value" and JSON "Name": "value".
    (
        re.compile(
            r"(?i)([\"']?\b(?:authorization|proxy-authorization|x-api-key|api-key|api_key|apikey|"
            r"cookie|set-cookie|x-goog-api-key)[\"']?\s*[:=]\s*[\"']?)([^\"'\r\n,}]+)"
        ),
        r"\1" + MASK,
    ),
    # Bearer / Basic tokens anywhere.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), r"\1 " + MASK),
    # OpenAI-style and similar provider keys.
    (re.compile(r"\b(?:sk|rk|pk)-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_]{8,}"), MASK),
    (re.compile(r"\bsk_[A-Za-z0-9_]{12,}"), MASK),
)

_extra: tuple[re.Pattern[str], ...] = ()
_lock = threading.Lock()
_secrets: Counter[str] = Counter()
_secret_re: re.Pattern[str] | None = None


def _rebuild() -> None:
    global _secret_re
    live = sorted((s for s, n in _secrets.items() if n > 0), key=len, reverse=True)
    _secret_re = re.compile("|".join(re.escape(s) for s in live)) if live else None


def register_secrets(values: Iterable[str]) -> tuple[str, ...]:
    """Add configured secrets (API keys, proxy passwords, secret headers) to the registry.

    Returns the tuple registered; pass it to :func:`unregister_secrets` when the provider
    instance terminates. Values shorter than 4 characters are ignored (too common to mask).
    """
    added = tuple(v for v in values if v and len(v) >= 4)
    with _lock:
        _secrets.update(added)
        _rebuild()
    return added


def unregister_secrets(values: Iterable[str]) -> None:
    """Remove secrets added by :func:`register_secrets` (reference counted)."""
    with _lock:
        _secrets.subtract(values)
        for value in [s for s, n in _secrets.items() if n <= 0]:
            del _secrets[value]
        _rebuild()


def redact(text: object) -> str:
    """Return ``str(text)`` with every known secret and secret-looking token masked."""
    out = str(text)
    pattern = _secret_re
    if pattern is not None:
        out = pattern.sub(MASK, out)
    for regex, repl in _PATTERNS:
        out = regex.sub(repl, out)
    for regex in _extra:
        out = regex.sub(MASK, out)
    return out


def set_extra_patterns(patterns: Iterable[str]) -> list[str]:
    """Install the plugin-wide ``extra_redact_patterns``; return the ones that are not valid
    regular expressions (they are skipped)."""
    global _extra
    compiled: list[re.Pattern[str]] = []
    invalid: list[str] = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except (re.error, TypeError):
            invalid.append(str(pattern))
    _extra = tuple(compiled)
    return invalid


class RedactingFilter(logging.Filter):
    """Logging filter that redacts the fully formatted message of each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


LOG = logging.getLogger("astrbot.plugin.astrbot_plugin_openai_responses")
if not any(isinstance(f, RedactingFilter) for f in LOG.filters):
    LOG.addFilter(RedactingFilter())
