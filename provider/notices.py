"""The short English sentences appended to an answer (``Turn.notice``) — all in one place.

A notice tells the chat user why the answer they see is partial or why a tool call did not
run. :func:`~.results.footer` shows it in parentheses under the answer. The accumulator
(incomplete response, dropped calls), the response reader (cut, cap, guard overflow) and the
fallback policy (unrecoverable pseudo call) take their sentences from here.

Spec: specs/001-redesign-responses-provider/spec.md §"Transport and retries" (cut streams),
§"SSE and accumulation" (cap); specs/002-pseudo-tool-calls/spec.md (fallback notices).
"""

from __future__ import annotations

#: The stream broke (connection, stall) after part of the answer was shown.
CUT_NOTICE = "The connection to the model broke; the answer above is incomplete."
#: ``max_output_chars`` was reached; the upstream stream was closed.
CAP_NOTICE = "The reply reached the max_output_chars limit and was cut."
#: The stream guard confirmed a pseudo tool call it could not hold in full.
GUARD_OVERFLOW_NOTICE = (
    "The model wrote a tool call as text that was too long to check; it was not run."
)
#: Shown instead of a leaked tool call that was not run.
UNRECOVERABLE_NOTICE = (
    "The model tried to call a tool in an invalid format; the call was not run. Please try again."
)

#: ``incomplete_details.reason`` → why the answer stopped
_INCOMPLETE_WHY = {
    "max_output_tokens": "it reached the output token limit",
    "content_filter": "the upstream's content filter stopped it",
}


def incomplete_notice(reason: str | None) -> str:
    """A ``response.incomplete`` answer; ``reason`` is ``incomplete_details.reason``."""
    reason = reason or "no reason given"
    why = _INCOMPLETE_WHY.get(reason, "the upstream ended it early")
    return f"The answer is incomplete: {why} ({reason})."


def dropped_calls_notice(dropped: int, *, capped: bool) -> str:
    """``dropped`` function calls had no name or unparseable arguments (``capped``: the
    ``max_output_chars`` cap cut them)."""
    return (
        f"{dropped} tool call(s) from the model had missing or malformed arguments"
        + (" (the reply hit max_output_chars)" if capped else "")
        + " and were not run."
    )


def cut_by_notice(message: str) -> str:
    """An upstream error (its redacted ``message``) ended the answer after text was shown."""
    return f"The answer above is incomplete. {message}"


__all__ = [
    "CAP_NOTICE",
    "CUT_NOTICE",
    "GUARD_OVERFLOW_NOTICE",
    "UNRECOVERABLE_NOTICE",
    "cut_by_notice",
    "dropped_calls_notice",
    "incomplete_notice",
]
