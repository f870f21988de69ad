"""Per-request statistics and the optional ``log_usage`` line (numbers only, never content).

Spec: specs/001-redesign-responses-provider/spec.md §"Usage logging".
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .redaction import LOG
from .types import Usage


@dataclass(slots=True)
class RequestStats:
    """Counters of one AstrBot call (all upstream attempts and fallback re-asks together).

    Times are ``time.perf_counter()`` seconds; ``http_attempts`` counts HTTP requests,
    ``fallback_path`` names what the pseudo-call fallback did (``none``, ``parsed``,
    ``retried``, ``unrecoverable``, ``passthrough``).
    """

    started: float = field(default_factory=time.perf_counter)
    first_chunk: float | None = None
    http_attempts: int = 0
    fallback_path: str = "none"
    usage: Usage = field(default_factory=Usage)

    def add_usage(self, usage: Usage | None) -> None:
        """Add one response's token counts."""
        if usage is None:
            return
        self.usage.input_tokens += usage.input_tokens
        self.usage.cached_tokens += usage.cached_tokens
        self.usage.output_tokens += usage.output_tokens
        self.usage.reasoning_tokens += usage.reasoning_tokens

    def mark_first_chunk(self) -> None:
        """Record the time of the first chunk shown to the user (first call wins)."""
        if self.first_chunk is None:
            self.first_chunk = time.perf_counter()

    def log_line(self, provider_id: str, *, stream: bool, outcome: str) -> None:
        """Write the single ``log_usage`` line for this call."""
        now = time.perf_counter()
        ttft = (self.first_chunk - self.started) * 1000 if self.first_chunk else -1.0
        u = self.usage
        LOG.info(
            "usage provider=%s stream=%s outcome=%s input_tokens=%d cached_tokens=%d "
            "output_tokens=%d reasoning_tokens=%d latency_ms=%.0f ttft_ms=%.0f "
            "http_attempts=%d retries=%d fallback=%s",
            provider_id,
            int(stream),
            outcome,
            u.input_tokens,
            u.cached_tokens,
            u.output_tokens,
            u.reasoning_tokens,
            (now - self.started) * 1000,
            ttft,
            self.http_attempts,
            max(self.http_attempts - 1, 0),
            self.fallback_path,
        )
