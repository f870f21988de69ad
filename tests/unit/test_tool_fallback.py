"""Pseudo-call fallback policy: the mode matrix and the turns it builds.
Spec: specs/002-pseudo-tool-calls/spec.md §"Fallback policy"."""

from __future__ import annotations

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.config import parse_config
from data.plugins.astrbot_plugin_openai_responses.provider.notices import GUARD_OVERFLOW_NOTICE
from data.plugins.astrbot_plugin_openai_responses.provider.tool_fallback import (
    UNRECOVERABLE_NOTICE,
    FallbackSettings,
    Passthrough,
    Recovered,
    Retry,
    Unrecoverable,
    decide,
    leak_call_id,
)
from data.plugins.astrbot_plugin_openai_responses.provider.types import ToolCall, Turn

OFFERED = {"get_weather": {"type": "object", "properties": {"city": {"type": "string"}}}}
RECOVERABLE = 'Checking.\nassistant to=functions.get_weather {"city": "Paris"}'
UNRECOVERABLE = 'Checking.\nassistant to=functions.launch_rockets {"count": 3}'
NORMAL = "It is sunny in Paris today."

MODES = ["parse_then_retry", "retry_only", "parse_only"]


def turn(text: str, **kw: object) -> Turn:
    return Turn(text=text, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mode", "text", "retries", "expected"),
    [
        ("parse_then_retry", RECOVERABLE, 1, Recovered),
        ("parse_then_retry", RECOVERABLE, 0, Recovered),
        ("parse_then_retry", UNRECOVERABLE, 1, Retry),
        ("parse_then_retry", UNRECOVERABLE, 0, Unrecoverable),
        ("retry_only", RECOVERABLE, 1, Retry),
        ("retry_only", RECOVERABLE, 0, Unrecoverable),
        ("retry_only", UNRECOVERABLE, 2, Retry),
        ("retry_only", UNRECOVERABLE, 0, Unrecoverable),
        ("parse_only", RECOVERABLE, 1, Recovered),
        ("parse_only", UNRECOVERABLE, 3, Unrecoverable),
        ("parse_only", UNRECOVERABLE, 0, Unrecoverable),
        ("parse_then_retry", NORMAL, 1, Passthrough),
        ("retry_only", NORMAL, 1, Passthrough),
        ("parse_only", NORMAL, 1, Passthrough),
    ],
)
def test_mode_matrix(mode: str, text: str, retries: int, expected: type) -> None:
    decision = decide(turn(text), OFFERED, FallbackSettings(mode=mode), retries_left=retries)  # type: ignore[arg-type]
    assert type(decision) is expected


@pytest.mark.parametrize("mode", MODES)
def test_disabled_or_no_tools_passes_through_the_same_turn(mode: str) -> None:
    original = turn(RECOVERABLE)
    off = decide(original, OFFERED, FallbackSettings(enabled=False, mode=mode), retries_left=1)  # type: ignore[arg-type]
    no_tools = decide(original, {}, FallbackSettings(mode=mode), retries_left=1)  # type: ignore[arg-type]
    normal = turn(NORMAL)
    clean = decide(normal, OFFERED, FallbackSettings(mode=mode), retries_left=1)  # type: ignore[arg-type]
    assert isinstance(off, Passthrough)
    assert off.turn is original
    assert isinstance(no_tools, Passthrough)
    assert no_tools.turn is original
    assert isinstance(clean, Passthrough)
    assert clean.turn is normal


def test_recovered_turn_has_calls_and_prose_only() -> None:
    original = turn(RECOVERABLE, response_id="resp_1", reasoning="why")
    decision = decide(original, OFFERED, FallbackSettings(), retries_left=1)
    assert isinstance(decision, Recovered)
    new = decision.turn
    assert new.text == "Checking."
    assert [(c.name, c.arguments) for c in new.tool_calls] == [("get_weather", {"city": "Paris"})]
    assert new.tool_calls[0].call_id == leak_call_id("get_weather", {"city": "Paris"}, 0)
    assert new.tool_calls[0].call_id.startswith("call_leak_")
    assert new.response_id == "resp_1"
    assert new.reasoning == "why"
    assert decision.format == "recipient"
    assert original.text == RECOVERABLE
    assert not original.tool_calls


def test_call_ids_are_deterministic_and_distinct() -> None:
    text = (
        '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>'
        '<tool_call>{"name": "get_weather", "arguments": {"city": "Rome"}}</tool_call>'
    )
    first = decide(turn(text), OFFERED, FallbackSettings(), retries_left=0)
    again = decide(turn(text), OFFERED, FallbackSettings(), retries_left=0)
    assert isinstance(first, Recovered)
    assert isinstance(again, Recovered)
    ids = [c.call_id for c in first.turn.tool_calls]
    assert ids == [c.call_id for c in again.turn.tool_calls]
    assert len(set(ids)) == 2


def test_unrecoverable_turn_has_prose_and_notice_never_the_leak() -> None:
    decision = decide(
        turn(UNRECOVERABLE, notice="Earlier."),
        OFFERED,
        FallbackSettings(mode="parse_only"),
        retries_left=0,
    )
    assert isinstance(decision, Unrecoverable)
    assert decision.turn.text == "Checking."
    assert "launch_rockets" not in decision.turn.text + decision.turn.notice
    assert decision.turn.notice == f"Earlier. {UNRECOVERABLE_NOTICE}"
    assert not decision.turn.tool_calls


def test_real_structured_calls_win_and_leak_text_is_scrubbed() -> None:
    real = ToolCall("call_1", "get_weather", {"city": "Oslo"})
    original = turn(RECOVERABLE, tool_calls=[real])
    decision = decide(original, OFFERED, FallbackSettings(), retries_left=1)
    assert isinstance(decision, Passthrough)
    assert decision.turn.tool_calls == [real]
    assert decision.turn.text == "Checking."
    same = turn(NORMAL, tool_calls=[real])
    assert decide(same, OFFERED, FallbackSettings(), retries_left=1).turn is same  # type: ignore[union-attr]


def test_retry_only_never_uses_parsed_calls() -> None:
    decision = decide(
        turn(RECOVERABLE), OFFERED, FallbackSettings(mode="retry_only"), retries_left=1
    )
    assert isinstance(decision, Retry)
    assert decision.format == "recipient"


@pytest.mark.parametrize(
    ("mode", "retries", "expected"),
    [
        ("parse_then_retry", 1, Retry),
        ("parse_then_retry", 0, Unrecoverable),
        ("retry_only", 1, Retry),
        ("retry_only", 0, Unrecoverable),
        ("parse_only", 1, Unrecoverable),
    ],
)
def test_guard_overflow_is_a_leak_with_nothing_recoverable(
    mode: str, retries: int, expected: type
) -> None:
    shown = turn("Checking.", notice="Earlier.")
    settings = FallbackSettings(mode=mode, force_tool_choice="auto")  # type: ignore[arg-type]
    decision = decide(shown, OFFERED, settings, retries_left=retries, overflow=True)
    assert type(decision) is expected
    if isinstance(decision, Retry):
        assert decision == Retry("overflow", "auto")
    else:
        assert isinstance(decision, Unrecoverable)
        assert decision.turn.text == "Checking."
        assert decision.turn.notice == f"Earlier. {GUARD_OVERFLOW_NOTICE}"


def test_settings_come_from_the_source_config_and_decide_the_guard() -> None:
    cfg = parse_config(
        {"tool_fallback_force_tool_choice": "auto", "tool_fallback_retry_attempts": 2}
    )
    settings = FallbackSettings.from_config(cfg)
    assert settings == FallbackSettings(force_tool_choice="auto", retry_attempts=2)
    assert settings.guards_stream(OFFERED) is True
    assert settings.guards_stream({}) is False
    assert FallbackSettings(stream_buffer=False).guards_stream(OFFERED) is False
    assert FallbackSettings(enabled=False).guards_stream(OFFERED) is False


def test_notice_is_short_clear_english() -> None:
    assert "invalid format" in UNRECOVERABLE_NOTICE
    assert "not run" in UNRECOVERABLE_NOTICE
    assert len(UNRECOVERABLE_NOTICE) < 120
