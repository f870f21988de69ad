"""Fault matrix, the retry decision: which failures are retried and which fail at once.

Two tables. :data:`RETRIED`: each row scripts the upstream's first answer (HTTP status,
connection reset, silence, a stream or JSON body that ends or fails before any content); the
upstream's default brain answers the second attempt, which must reach the user whole.
:data:`FAILS_AT_ONCE`: answers no retry can fix (wrong key, request, model or endpoint, out of
quota, a final error code, a too-long ``Retry-After``); one attempt, and an error that keeps
the upstream's message and names what to change. Both ``text_chat`` and
``text_chat_stream`` run every row.
"""

from __future__ import annotations

from typing import Any

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.errors import UpstreamError
from tests.integration.faults import ANSWER, BRAIN_ANSWER, FAST_BACKOFF, MODES, Kit, Outcome
from tools.upstream import Close, Events, Hang, Reset, Send, StartStream, Status, error_body
from tools.upstream import events as ev

#: Timeout (seconds) of the row whose upstream never answers.
QUICK = 0.5
#: The opening events of a stream (``response.created``, ``response.in_progress``).
OPENING = ev.text_stream(ANSWER)[:2]


async def scripted_chat(
    kit: Kit, stream: bool, script: list[Any], *, bound: float, attempts: int, **overrides: Any
) -> Outcome:
    """The upstream answers the first attempt with ``script``; one call with
    ``request_max_retries=attempts`` on a provider with ``overrides``, within ``bound`` s."""
    kit.upstream.enqueue(script)
    provider = await kit.provider(**overrides)
    return await kit.chat(provider, stream, bound=bound, request_max_retries=attempts)


#: row id → (the first attempt's script, provider overrides, time bound in seconds)
RETRIED: dict[str, tuple[list[Any], dict[str, Any], float]] = {
    **{f"http-{code}": ([Status(code)], {}, 0.3) for code in (500, 502, 503, 504)},
    "reset-before-headers": ([Reset()], {}, 0.6),
    "reset-after-headers": ([StartStream(), Reset()], {}, 0.6),
    "reset-after-opening-events": ([Events(OPENING), Reset()], {}, 0.6),
    "json-body-cut-mid-way": (
        [StartStream(content_type="application/json"), Send('{"id": "resp_1", "outp'), Reset()],
        {},
        0.6,
    ),
    "never-answers": ([Hang()], {"timeout": QUICK}, QUICK + 0.2),
    "stream-ends-before-content": ([Events(OPENING), Close()], {}, 0.6),
    **{
        f"error-event-{shape}": (
            [
                Events(
                    OPENING
                    + ev.error_event(
                        "The server is overloaded.", "server_is_overloaded", nested=nested
                    )
                ),
                Close(),
            ],
            {},
            0.6,
        )
        for shape, nested in (("flat", False), ("nested", True))
    },
    "response-failed": (
        [Events(OPENING + ev.failed_event("The server had an error.", "server_error")), Close()],
        {},
        0.6,
    ),
}


@MODES
@pytest.mark.parametrize(("script", "overrides", "bound"), RETRIED.values(), ids=list(RETRIED))
async def test_failure_before_content_is_retried_then_succeeds(
    kit: Kit, stream: bool, script: list[Any], overrides: dict[str, Any], bound: float
) -> None:
    out = await scripted_chat(kit, stream, script, bound=bound, attempts=2, **overrides)
    assert out.text == BRAIN_ANSWER
    assert kit.requests() == 2
    assert out.elapsed >= 0.75 * FAST_BACKOFF  # the backoff (its schedule: test_backoff.py)


HTML_PAGE = "<!DOCTYPE html><html><body>Please sign in to the hotel Wi-Fi</body></html>"
QUOTA_BODY = error_body(
    429,
    "You exceeded your current quota, please check your plan and billing details.",
    error_type="insufficient_quota",
    code="insufficient_quota",
)
PARAMETER_BODY = error_body(
    400,
    "Unsupported parameter: 'temperature' is not supported with this model.",
    param="temperature",
    code="unsupported_parameter",
)
MODEL_BODY = error_body(404, "The model `gpt-9` does not exist.", code="model_not_found")

#: row id → (the only attempt's script, the error's code (the loopback upstream's default
#: bodies carry OpenAI's codes), words its message must hold)
FAILS_AT_ONCE: dict[str, tuple[list[Any], str | None, tuple[str, ...]]] = {
    "429-retry-after-beyond-60-s": (
        [Status(429, headers={"retry-after": "120"})],
        "rate_limit_exceeded",
        ("HTTP 429", "wait 120 s", "not retried"),
    ),
    "429-insufficient-quota": (
        [Status(429, body=QUOTA_BODY)],
        "insufficient_quota",
        ("You exceeded your current quota", "billing", "Not retried"),
    ),
    "503-x-should-retry-false": (
        [Status(503, headers={"x-should-retry": "false"})],
        "server_is_overloaded",
        ("HTTP 503",),
    ),
    **{
        f"{status}-one-key": ([Status(status)], code, (f"HTTP {status}", "`key`"))
        for status, code in (
            (401, "invalid_api_key"),
            (403, "unsupported_country_region_territory"),
        )
    },
    "400-unsupported-parameter": (
        [Status(400, body=PARAMETER_BODY)],
        "unsupported_parameter",
        ("HTTP 400", "Unsupported parameter: 'temperature' is not supported with this model"),
    ),
    "404-unknown-model": (
        [Status(404, body=MODEL_BODY)],
        "model_not_found",
        ("The model `gpt-9` does not exist", "model name"),
    ),
    "200-html-page": (
        [Status(200, headers={"Content-Type": "text/html"}, body=HTML_PAGE)],
        None,
        ("HTML page", "`api_base`", "`proxy`"),
    ),
    **{
        f"error-event-final-code-{shape}": (
            [
                Events(
                    ev.error_event(
                        "Invalid prompt: flagged by the safety system.",
                        "invalid_prompt",
                        nested=nested,
                    )
                ),
                Close(),
            ],
            "invalid_prompt",
            ("Invalid prompt: flagged by the safety system", "invalid_prompt"),
        )
        for shape, nested in (("flat", False), ("nested", True))
    },
    "response-failed-final-code": (
        [Events(ev.failed_event("The image could not be processed.", "invalid_image")), Close()],
        "invalid_image",
        ("The image could not be processed", "invalid_image"),
    ),
}


@MODES
@pytest.mark.parametrize(
    ("script", "code", "words"), FAILS_AT_ONCE.values(), ids=list(FAILS_AT_ONCE)
)
async def test_failure_no_retry_can_fix_fails_at_once_with_the_upstream_message(
    kit: Kit, stream: bool, script: list[Any], code: str | None, words: tuple[str, ...]
) -> None:
    out = await scripted_chat(kit, stream, script, bound=0.5, attempts=3)
    message = out.raised(UpstreamError)
    for word in words:
        assert word in message, (word, message)
    assert isinstance(out.error, UpstreamError)
    assert out.error.code == code
    assert kit.requests() == 1
