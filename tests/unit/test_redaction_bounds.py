"""Redaction bounds: linear patterns, clipping, secret shapes nobody configured, and the
admin's ``extra_redact_patterns`` guard (issue 14, items 1 and 5; spec 001 §"Secrets")."""

from __future__ import annotations

import logging
import re
import time

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider import redaction
from data.plugins.astrbot_plugin_openai_responses.provider.plugin_settings import (
    apply_plugin_config,
)
from data.plugins.astrbot_plugin_openai_responses.provider.redaction import (
    BUILTIN_PATTERNS,
    MASK,
    PATTERN_BUDGET,
    adversarial_text,
    adversarial_units,
    clip,
    redact,
    run_time,
    shown_url,
)

MB = 1_000_000
#: Pieces that made the old patterns quadratic, besides each pattern's own words.
KNOWN_ATTACKS = ("a.", "sk-", "a:", "aa-", "a://", "a://a:", "a://a@", "a://a:b", "http://u:p/")
CPU = time.thread_time


@pytest.mark.parametrize(
    ("regex", "repl"), BUILTIN_PATTERNS, ids=[p.pattern[:40] for p, _ in BUILTIN_PATTERNS]
)
def test_every_builtin_pattern_takes_under_50_ms_on_1_mb_adversarial_text(
    regex: re.Pattern[str], repl: str
) -> None:
    # CPU time of this thread (a loaded 2-core machine slows wall time, not this); one run
    # per input, the median of three when the first is over the budget
    slow = {}
    for unit in dict.fromkeys([*adversarial_units(regex.pattern), *KNOWN_ATTACKS]):
        took = run_time(lambda text: regex.sub(repl, text), adversarial_text(unit, MB), clock=CPU)
        if took >= PATTERN_BUDGET:
            slow[unit] = round(took, 3)
    assert not slow, f"{regex.pattern}: seconds per 1 MB input {slow}"


def test_configured_secrets_pattern_is_linear_too() -> None:
    added = redaction.register_secrets(["sk-a.sk-a.", "a.a.a.a.a.", "key-a:b@c"])
    try:
        for unit in ("a.", "sk-a.", "a", "key-a:"):
            assert run_time(redact, adversarial_text(unit, MB), clock=CPU) < 20 * PATTERN_BUDGET
    finally:
        redaction.unregister_secrets(added)


# -- clip --------------------------------------------------------------------------------------


def test_clip_cuts_before_scanning_and_keeps_one_short_line() -> None:
    huge = "a." * 500_000
    start = time.perf_counter()
    out = clip(huge, 80)
    assert time.perf_counter() - start < PATTERN_BUDGET
    assert out == "a." * 39 + "a…"
    assert clip("line one\nline two\r\n\tend", 100) == "line one line two end"
    assert clip("short") == "short"


def test_clip_shows_control_and_bidi_characters_as_question_marks() -> None:
    assert clip("name\x1b[31mred\x00\u202egnp.exe") == "name?[31mred??gnp.exe"


def test_clip_drops_a_configured_secret_cut_in_half() -> None:
    secret = "relay~token~" + "x" * 40
    added = redaction.register_secrets([secret])
    try:
        # whole secrets shrink to the mask, which pulls the text read past the cut into
        # view: a secret the first cut left half is not matched, so it must be dropped
        whole = (secret + " ") * 27
        for offset in range(8, 50, 6):
            pad = "y" * (500 + redaction.CLIP_MARGIN - len(whole) - offset)
            out = clip(whole + pad + secret + " tail", 500)
            assert out.startswith(f"{MASK} " * 3), out
            assert out.endswith("y…"), out
            assert "relay~" not in out
        assert clip(f"ok {secret} ok") == f"ok {MASK} ok"
    finally:
        redaction.unregister_secrets(added)


# -- item 5: what must stay unmasked (the shapes that must be masked: test_redaction.py) ----


@pytest.mark.parametrize(
    "text",
    [
        "The weather in Paris is 21°C; see https://example.com/a?b=c",
        "task-scheduler-failed: network-unreachable-error on desk-organizer-12345678",
        "max_tokens=100, token_count=12, monkey business",
        "http://host:8080/path?email=a@b.com and https://example.com:8443/users/@alice",
        "call_0123456789abcdef0123456789abcdef finished",
    ],
)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert redact(text) == text


def test_shown_url_masks_every_query_value_but_api_version() -> None:
    url = "https://u:pw@r.example/openai/v1/responses?api-version=2025-01-01&key=k1&SECRETbare"
    assert shown_url(url) == (
        f"https://r.example/openai/v1/responses?api-version=2025-01-01&key={MASK}&{MASK}"
    )
    assert shown_url("http://127.0.0.1:8080/v1/responses") == "http://127.0.0.1:8080/v1/responses"


def test_log_records_are_clipped_to_one_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=redaction.LOG.name)
    redaction.LOG.warning("upstream said %s", "evil\nFAKE LINE: admin logged in " + "z" * 5000)
    (record,) = caplog.records
    assert "\n" not in record.getMessage()
    assert len(record.getMessage()) == redaction.MAX_LOG_CHARS


# -- the admin's extra_redact_patterns -----------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+$", r"(\w+\s?)*$", r"(x+x+)+y", r"^(a|a)*$", r"[a-z]+@", r"\w+:\w+"],
)
def test_slow_extra_pattern_is_rejected_quickly_with_a_config_error_naming_it(
    pattern: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger=redaction.LOG.name)
    start = time.perf_counter()
    try:
        apply_plugin_config({"extra_redact_patterns": [r"tok-[0-9]{4}", pattern]})
        took = time.perf_counter() - start
        assert redact("id tok-1234") == f"id {MASK}"  # the good one is installed
        assert redaction._extra == (re.compile(r"tok-[0-9]{4}"),)
    finally:
        redaction.set_extra_patterns([])
    assert took < 3.0
    (record,) = caplog.records
    message = record.getMessage()
    assert message.startswith(
        f"Plugin setting `extra_redact_patterns`: the pattern {pattern!r} was not installed: "
        "too slow: it takes "
    )


def test_linear_extra_patterns_pass_the_guard_fast() -> None:
    start = time.perf_counter()
    for pattern in (r"internal-token-[0-9a-f]{32}", r"Bearer [A-Za-z0-9]+", r"secret\d+"):
        assert redaction.check_pattern(re.compile(pattern)) is None
    assert time.perf_counter() - start < 2.0
