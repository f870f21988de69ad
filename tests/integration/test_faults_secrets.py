"""Secrets and privacy across the fault matrix: no key, proxy password or user text leaks.

Every error path is driven with keys and a proxy password that contain ``SECRET``; the root
conftest's autouse guard already fails a test when ``SECRET`` or ``PRIVATE-USER-TEXT`` shows
up in any log line or on stdout/stderr. Here we also check every exception the user meets
(message, repr, rendered traceback) and the visible answer, including upstream error
bodies that echo the key back, and the numbers-only ``log_usage`` line.
"""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.redaction import LOG
from tests.conftest import REPO, SECRET_MARK, USER_MARK
from tests.integration.faults import (
    ANSWER,
    BRAIN_ANSWER,
    MODES,
    Kit,
    assert_cut_by_upstream,
    closed_port,
)
from tools.upstream import (
    Close,
    Events,
    FakeUpstream,
    Hang,
    Reset,
    Send,
    StartStream,
    Status,
    error_body,
)
from tools.upstream import events as ev

KEY = "sk-test-SECRET-0123456789abcdef"
#: A key of no known shape: only the verbatim registry can mask it.
ODD_KEY = "relay~SECRET~token~42"
PROXY_PASSWORD = "SECRETpw"
ECHO = f"Incorrect API key provided: {KEY}; Authorization: Bearer {ODD_KEY}; key={ODD_KEY}"


def assert_no_secret(*texts: object) -> None:
    """None of ``texts`` shows a configured secret (or any ``SECRET`` marked value)."""
    for text in texts:
        rendered = str(text)
        for secret in (KEY, ODD_KEY, PROXY_PASSWORD, SECRET_MARK):
            assert secret not in rendered, f"{secret!r} leaked: {rendered[:300]}"


def assert_error_is_clean(error: BaseException | None) -> None:
    """The exception's message, repr and traceback carry no secret and no user text."""
    assert error is not None
    rendered = "".join(traceback.format_exception(error))
    assert_no_secret(str(error), repr(error), rendered)
    assert USER_MARK not in rendered


# Each error path (upstream script, provider overrides, call kwargs) with the key echoed
# back wherever an upstream could echo it.
ERROR_PATHS: dict[str, Callable[[FakeUpstream], tuple[list[Any], dict[str, Any]]]] = {
    "connection-refused": lambda up: ([], {"api_base": f"http://127.0.0.1:{closed_port()}/v1"}),
    "reset-before-first-byte": lambda up: ([Reset()], {}),
    "401-echoing-the-key": lambda up: ([Status(401, body=error_body(401, ECHO))], {}),
    "403-echoing-the-key": lambda up: ([Status(403, body=error_body(403, ECHO))], {}),
    "400-echoing-the-key": lambda up: ([Status(400, body=error_body(400, ECHO))], {}),
    "404-echoing-the-key": lambda up: ([Status(404, body=error_body(404, ECHO))], {}),
    "429-quota-echoing-the-key": lambda up: (
        [Status(429, body=error_body(429, ECHO, code="insufficient_quota"))],
        {},
    ),
    "500-plain-text-echo": lambda up: ([Status(500, body=f"upstream crashed: {ECHO}")], {}),
    "502-html-echo": lambda up: ([Status(502, body=f"<html><body>{ECHO}</body></html>")], {}),
    "200-html-page": lambda up: (
        [Status(200, headers={"Content-Type": "text/html"}, body=f"<html>{ECHO}</html>")],
        {},
    ),
    "200-json-error-body": lambda up: ([Status(200, body={"error": {"message": ECHO}})], {}),
    "200-invalid-json": lambda up: (
        [Status(200, headers={"Content-Type": "application/json"}, body="{" + ECHO)],
        {},
    ),
    "error-event-flat": lambda up: ([Events(ev.error_event(ECHO, "invalid_prompt")), Close()], {}),
    "error-event-nested": lambda up: (
        [Events(ev.error_event(ECHO, "invalid_prompt", nested=True)), Close()],
        {},
    ),
    "response-failed": lambda up: ([Events(ev.failed_event(ECHO, "invalid_prompt"))], {}),
    "line-over-the-cap": lambda up: (
        [StartStream(), Send(f"data: {ECHO}" + "x" * 2_100_000), Close()],
        {},
    ),
    "never-answers": lambda up: ([Hang()], {"timeout": 0.3}),
}


@MODES
@pytest.mark.parametrize("path", list(ERROR_PATHS))
async def test_error_paths_never_show_a_key_or_proxy_password(
    kit: Kit, stream: bool, path: str
) -> None:
    script, overrides = ERROR_PATHS[path](kit.upstream)
    if script:
        kit.upstream.enqueue(script)
    provider = await kit.provider(key=[KEY, ODD_KEY], **overrides)
    out = await kit.chat(provider, stream, bound=1.0, request_max_retries=1)
    assert_error_is_clean(out.error)
    for request in kit.upstream.requests:  # the upstream did get a real key
        assert request.headers["authorization"] in (f"Bearer {KEY}", f"Bearer {ODD_KEY}")


@MODES
async def test_error_event_after_text_echoing_the_key_is_redacted_in_logs_and_answer(
    kit: Kit, stream: bool
) -> None:
    events = ev.text_stream(ANSWER, chunks=6)[:7]
    kit.upstream.enqueue([Events(events + ev.error_event(ECHO, "server_error")), Close()])
    provider = await kit.provider(key=[KEY, ODD_KEY])
    out = await kit.chat(provider, stream, bound=0.5)
    shown = "".join(e["delta"] for e in events if e["type"].endswith(".delta"))
    assert_cut_by_upstream(out.text, shown, "server_error", "[REDACTED]")
    assert_no_secret(out.text, *out.chunks)  # the logged warning is checked by the guard


@MODES
async def test_proxy_credentials_never_show_in_errors(kit: Kit, stream: bool) -> None:
    proxy = f"http://user:{PROXY_PASSWORD}@127.0.0.1:{closed_port()}"
    provider = await kit.provider(key=[KEY], proxy=proxy)
    out = await kit.chat(provider, stream, bound=0.5, request_max_retries=2)
    assert_error_is_clean(out.error)
    assert "user:" not in str(out.error)
    assert kit.requests() == 0  # everything went to the (dead) proxy


async def test_a_common_proxy_username_does_not_garble_messages(kit: Kit) -> None:
    kit.upstream.enqueue([Status(503, headers={"retry-after": "5"})])
    proxy = f"http://user:{PROXY_PASSWORD}@127.0.0.1:{closed_port()}"
    await kit.provider(proxy=proxy)  # registers its secrets, like any live instance
    provider = await kit.provider()
    abort = asyncio.Event()
    asyncio.get_running_loop().call_later(0.2, abort.set)
    out = await kit.chat(provider, True, bound=0.5, abort_signal=abort)
    assert "stopped by the user" in str(out.error)


def test_astrbot_proxy_client_factory_is_never_used() -> None:
    """AstrBot's ``create_proxy_client`` logs the proxy URL as given (with credentials)."""
    sources = [*(REPO / "provider").rglob("*.py"), REPO / "main.py"]
    users = [p.name for p in sources if "create_proxy_client" in p.read_text(encoding="utf-8")]
    assert users == []


# -- log_usage -------------------------------------------------------------------------------


@pytest.fixture
def usage_lines() -> Iterator[list[str]]:
    """The plugin logger's ``usage …`` lines (INFO) written during the test."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if message.startswith("usage "):
                lines.append(message)

    handler = Collect(logging.INFO)
    LOG.addHandler(handler)
    try:
        yield lines
    finally:
        LOG.removeHandler(handler)


USAGE_FIELDS = re.compile(
    r"usage provider=(?P<provider>\S+) stream=(?P<stream>[01])"
    r" outcome=(?P<outcome>ok|partial|error|aborted)"
    r" input_tokens=\d+ cached_tokens=\d+ output_tokens=\d+ reasoning_tokens=\d+"
    r" latency_ms=\d+ ttft_ms=-?\d+ http_attempts=\d+ retries=\d+ fallback=[a-z]+"
)


@MODES
async def test_log_usage_writes_one_numbers_only_line_per_request(
    kit: Kit, stream: bool, usage_lines: list[str]
) -> None:
    provider = await kit.provider(log_usage=True, id="usage/src")
    out = await kit.chat(provider, stream, bound=0.5)
    assert out.text == BRAIN_ANSWER  # the answer quotes the private prompt …
    kit.upstream.enqueue([Status(500, headers={"retry-after-ms": "10"})])
    kit.upstream.enqueue([Status(500, headers={"retry-after-ms": "10"})])
    failed = await kit.chat(provider, stream, bound=0.5, request_max_retries=2)
    assert failed.error is not None
    assert len(usage_lines) == 2  # … one line per request, with numbers only
    for line, outcome in zip(usage_lines, ("ok", "error"), strict=True):
        match = USAGE_FIELDS.fullmatch(line)
        assert match, line
        assert match["provider"] == "usage/src"
        assert match["stream"] == str(int(stream))
        assert match["outcome"] == outcome
        assert USER_MARK not in line
        assert "CANNED" not in line
        assert "hello" not in line
    assert "output_tokens=0" not in usage_lines[0]
    assert "http_attempts=1" in usage_lines[0]


async def test_log_usage_counts_the_attempts_of_a_failed_call(
    kit: Kit, usage_lines: list[str]
) -> None:
    provider = await kit.provider(log_usage=True)
    for _ in range(2):
        kit.upstream.enqueue([Status(500, headers={"retry-after-ms": "10"})])
    out = await kit.chat(provider, True, bound=0.5, request_max_retries=2)
    assert out.error is not None
    assert "http_attempts=2 retries=1" in usage_lines[0]


async def test_log_usage_is_off_by_default(kit: Kit, usage_lines: list[str]) -> None:
    provider = await kit.provider()
    await kit.chat(provider, True, bound=0.5)
    assert usage_lines == []
