"""Hostile upstream text: error codes and messages built to stall the redactor or to carry
secrets of shapes nobody configured (issue 14, items 1 and 5).

A relay controls every byte of an error: its ``code`` and ``message`` go into the error the
chat user reads, the notice under a cut answer and the log. Each must come out clipped (a
few hundred characters), on one line, with every secret-looking value masked, and without
stalling the event loop (:class:`~tools.probes.LoopLag`, < 100 ms) — in
``text_chat`` and ``text_chat_stream``. The root conftest's leak guard fails a test when
``SECRET`` shows up in any log line.
"""

from __future__ import annotations

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.errors import UpstreamError
from data.plugins.astrbot_plugin_openai_responses.provider.redaction import (
    MASK,
    MAX_UPSTREAM_CODE,
    MAX_UPSTREAM_MESSAGE,
)
from tests.integration.faults import ANSWER, MODES, Kit
from tools.probes import LoopLag
from tools.upstream import Close, Events, Status, error_body
from tools.upstream import events as ev

#: Longest event-loop stall allowed while the provider handles one hostile answer (s).
MAX_LAG = 0.1
#: Codes that made the old redaction regexes quadratic (26–30 s per message).
HUGE_CODES = {"dotted": "a." * 40_000, "sk-repeated": "sk-" * 25_000}
#: The same, small enough to fit in one HTTP error body (64 KB are read).
BODY_CODES = {"dotted": "a." * 30_000, "sk-repeated": "sk-" * 20_000}


def assert_code_clipped(message: str, code: str) -> None:
    """``message`` holds at most :data:`MAX_UPSTREAM_CODE` characters of ``code``."""
    assert len(message) < MAX_UPSTREAM_MESSAGE + 400, len(message)
    assert code[: MAX_UPSTREAM_CODE + 10] not in message
    assert "\n" not in message


# -- item 1: one message must not freeze the bot ----------------------------------------------


@MODES
@pytest.mark.parametrize("code", HUGE_CODES.values(), ids=HUGE_CODES.keys())
async def test_error_event_with_a_huge_code_fails_at_once_with_the_code_clipped(
    kit: Kit, stream: bool, code: str
) -> None:
    kit.upstream.enqueue([Events(ev.error_event("The request was refused.", code)), Close()])
    provider = await kit.provider()
    async with LoopLag() as lag:
        out = await kit.chat(provider, stream, bound=0.5, request_max_retries=1)
    message = out.raised(UpstreamError)
    assert message.startswith("The upstream reported an error (")
    assert ", code " in message
    assert message.endswith("The request was refused.")
    assert_code_clipped(message, code)
    assert lag.max_busy < MAX_LAG, f"event loop blocked {lag.max_busy:.3f} s"


@MODES
@pytest.mark.parametrize("code", HUGE_CODES.values(), ids=HUGE_CODES.keys())
async def test_error_event_with_a_huge_code_after_text_keeps_the_text_and_a_short_notice(
    kit: Kit, stream: bool, code: str
) -> None:
    events = ev.text_stream(ANSWER, chunks=4)
    error = ev.error_event("x" * 200_000, code, nested=True)
    kit.upstream.enqueue([Events(events[:5] + error), Close()])
    provider = await kit.provider()
    async with LoopLag() as lag:
        out = await kit.chat(provider, stream, bound=0.5, request_max_retries=1)
    notice = out.text.split("\n\n", 1)[1]
    assert notice.startswith("(The answer above is incomplete. The upstream reported an error")
    assert_code_clipped(notice, code)
    assert "x" * (MAX_UPSTREAM_MESSAGE + 1) not in notice
    assert lag.max_busy < MAX_LAG, f"event loop blocked {lag.max_busy:.3f} s"


@MODES
@pytest.mark.parametrize("code", BODY_CODES.values(), ids=BODY_CODES.keys())
@pytest.mark.parametrize("status", [400, 200], ids=["http-400", "json-200"])
async def test_json_error_body_with_a_huge_code_fails_at_once_with_the_code_clipped(
    kit: Kit, stream: bool, code: str, status: int
) -> None:
    body = error_body(400, "Bad request.", code=code)
    kit.upstream.enqueue([Status(status, body=body)])
    provider = await kit.provider()
    async with LoopLag() as lag:
        out = await kit.chat(provider, stream, bound=0.5, request_max_retries=1)
    message = out.raised(UpstreamError)
    assert "Bad request" in message
    assert_code_clipped(message, code)
    assert lag.max_busy < MAX_LAG, f"event loop blocked {lag.max_busy:.3f} s"


@MODES
async def test_error_message_of_a_megabyte_is_clipped_without_stalling_the_loop(
    kit: Kit, stream: bool
) -> None:
    message_text = "sk-a." * 200_000
    kit.upstream.enqueue([Events(ev.error_event(message_text, "invalid_prompt")), Close()])
    provider = await kit.provider()
    async with LoopLag() as lag:
        out = await kit.chat(provider, stream, bound=0.5, request_max_retries=1)
    message = out.raised(UpstreamError)
    assert len(message) <= MAX_UPSTREAM_MESSAGE + 100
    assert lag.max_busy < MAX_LAG, f"event loop blocked {lag.max_busy:.3f} s"


# -- item 5: secrets in shapes nobody configured -----------------------------------------------

#: Secret-looking values an upstream may echo (another tenant's key, a header dump, a
#: signed URL); none is configured. "text around it" → a part of the secret that must not
#: show (real keys hold "_" and "-" anywhere: the old pattern masked only their first part).
ECHOED: dict[str, tuple[str, str]] = {
    "sk-proj": (
        "key sk-proj-SECRETaB_cD-eF_gH-Tail1234567890xyz is not valid",
        "Tail1234567890xyz",
    ),
    "sk-None": ("key sk-None-SECRET_ab-Tail0987654321 revoked", "Tail0987654321"),
    "sk-svcacct": ("key sk-svcacct-SECRET_aBcD-Tail12345678 denied", "Tail12345678"),
    "gemini": ("API key AIzaSECRETAbCdEfGhIjKlMnOpQrStUvWxYz123 expired", "SECRETAbCdEfGh"),
    "azure-hex": (
        "the api-key 0123456789abcdef0123456789abcdef is invalid",
        "0123456789abcdef0123456789abcdef",
    ),
    "azure-subscription": (
        "Ocp-Apim-Subscription-Key: fedcba9876543210fedcba9876543210 unknown",
        "fedcba9876543210fedcba9876543210",
    ),
    "x-auth-token": ("headers {'X-Auth-Token': 'SECRET-xat-42'}", "SECRET-xat-42"),
    "api-key-header": ('headers {"api-key": "SECRET-azure-1"}', "SECRET-azure-1"),
    "x-api-key-header": ("x-api-key: SECRET-anthropic-2", "SECRET-anthropic-2"),
    "query-key": ("GET https://relay.example/v1/m?key=SECRETqk1&alt=json", "SECRETqk1"),
    "query-token": ("see https://relay.example/cb?token=SECRETtok2", "SECRETtok2"),
    "query-sig": ("blob https://x.blob.example/c/f?sv=2024&sig=SECRETsig3%3D", "SECRETsig3"),
    "query-code": ("redirect https://app.example/cb?state=1&code=SECRETcode4", "SECRETcode4"),
    "query-api_key": ("GET http://relay.example/v1?api_key=SECRETak5", "SECRETak5"),
    "query-access_token": ("GET http://relay.example/v1?access_token=SECRETat6", "SECRETat6"),
    "proxy-password-at": (
        "proxy socks5://bob:SECRET@pwTail@proxy.example:1080 refused",
        "pwTail",
    ),
    "proxy-password-slash": (
        "proxy http://bob:SECRET/pw@proxy.example:3128 refused",
        "SECRET/pw",
    ),
}


@MODES
@pytest.mark.parametrize(("echo", "secret"), ECHOED.values(), ids=ECHOED.keys())
async def test_unconfigured_secret_echoed_by_the_upstream_is_masked_in_error_and_log(
    kit: Kit, stream: bool, echo: str, secret: str
) -> None:
    # a retried 500 puts the message into the retry warning (the log), the 400 into the error
    kit.upstream.enqueue([Status(500, body=error_body(500, f"Upstream failed: {echo}"))])
    kit.upstream.enqueue([Status(400, body=error_body(400, f"Rejected: {echo}"))])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.5, request_max_retries=2)
    message = out.raised(UpstreamError)
    assert message.startswith("HTTP 400 from ")
    assert "Rejected: " in message
    assert secret not in message
    assert MASK in message


@MODES
@pytest.mark.parametrize(("echo", "secret"), ECHOED.values(), ids=ECHOED.keys())
async def test_unconfigured_secret_in_a_mid_stream_error_is_masked_in_the_chat_notice(
    kit: Kit, stream: bool, echo: str, secret: str
) -> None:
    events = ev.text_stream(ANSWER, chunks=4)
    kit.upstream.enqueue([Events(events[:5] + ev.error_event(echo, "server_error")), Close()])
    provider = await kit.provider()
    out = await kit.chat(provider, stream, bound=0.5, request_max_retries=1)
    notice = out.text.split("\n\n", 1)[1]
    assert "The upstream reported an error" in notice
    assert secret not in notice
    assert MASK in notice


@MODES
@pytest.mark.parametrize("status", [401, 404])
async def test_api_base_query_string_is_masked_in_errors_except_api_version(
    kit: Kit, stream: bool, status: int
) -> None:
    api_base = f"{kit.upstream.api_base}?api-version=2024-10-21&key=SECRETqs7&SECRETbare"
    kit.upstream.enqueue([Status(status)])
    provider = await kit.provider(api_base=api_base)
    out = await kit.chat(provider, stream, bound=0.5, request_max_retries=1)
    message = out.raised(UpstreamError)
    shown = f"{kit.upstream.api_base}/responses?api-version=2024-10-21&key={MASK}&{MASK}"
    assert f"HTTP {status} from {shown}: " in message
    assert kit.upstream.requests[-1].query == "api-version=2024-10-21&key=SECRETqs7&SECRETbare"
