"""StreamGuard: hold back possible pseudo tool calls while streaming, release everything
else at once. Spec: specs/002-pseudo-tool-calls/spec.md §"Streaming guard"."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls import MARKERS, extract
from data.plugins.astrbot_plugin_openai_responses.provider.stream_guard import (
    GuardState,
    GuardStep,
    StreamGuard,
)
from tests.unit.pseudo_cases import NEGATIVES, OFFERED, POSITIVES

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pseudo_calls_dev.jsonl"
SIZES = [1, 2, 3, 7, 64, 0]  # 0 = the whole text in one delta
BIG = 10**9
#: text that must never be released while streaming a leak
FORBIDDEN = (*MARKERS, "to=functions.", '{"name"', "{'id'", "<|", "<｜")


def _fixture() -> list[dict[str, Any]]:
    if not FIXTURE.is_file():
        return []
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line]


def _offered() -> dict[str, dict[str, Any] | None]:
    offered = dict(OFFERED)
    for row in _fixture():
        for call in [row.get("expected") or {}, *row.get("expected_all", [])]:
            if call.get("name"):
                offered.setdefault(call["name"], None)
    return offered


ALL_OFFERED = _offered()


def _fixture_params() -> list[Any]:
    rows = _fixture()
    if not rows:
        return [
            pytest.param("", False, id="fixture-missing", marks=pytest.mark.skip("no dev fixture"))
        ]
    return [pytest.param(r["text"], r["kind"] == "positive", id=r["id"]) for r in rows]


CASES = [
    *[pytest.param(t, True, id=i) for i, t, calls, _v in POSITIVES],
    *[pytest.param(t, False, id=i) for i, t in NEGATIVES],
]


def split(text: str, size: int) -> list[str]:
    if size == 0:
        return [text]
    return [text[i : i + size] for i in range(0, len(text), size)]


def run(
    chunks: list[str], *, chars: int = BIG, deltas: int = BIG
) -> tuple[list[str], str, StreamGuard]:
    guard = StreamGuard(ALL_OFFERED, max_held_chars=chars, max_held_responses=deltas)
    released = []
    for chunk in chunks:
        step = guard.feed(chunk)
        assert not step.abort
        released.append(step.release)
    return released, guard.finish(), guard


def check_stream(text: str, positive: bool) -> None:
    outcomes = set()
    for size in SIZES:
        released, held, guard = run(split(text, size))
        shown = "".join(released)
        assert shown + held == text  # nothing lost, nothing invented
        if positive:
            assert not [m for m in FORBIDDEN if m in shown], (size, shown)
        outcomes.add((shown, held, guard.marker_confirmed))
    assert len(outcomes) == 1  # the same result whatever the delta split
    if not positive:
        result = extract(text, ALL_OFFERED)
        shown, held, _confirmed = outcomes.pop()
        assert shown + (held if result.status == "none" else result.visible_text) == text


@pytest.mark.parametrize(("text", "positive"), _fixture_params())
def test_dev_fixture_streams(text: str, positive: bool) -> None:
    check_stream(text, positive)


@pytest.mark.parametrize(("text", "positive"), CASES)
def test_cases_stream(text: str, positive: bool) -> None:
    check_stream(text, positive)


# -- release as early as possible ---------------------------------------------------------------


@pytest.mark.parametrize(
    "first",
    [
        "Hello! How can I help you today?",
        "Sure, here is the plan:\n\n1. Read the file",
        "Paris is nice",
        "The weather in Paris",
        "Here's a table | a | b |",
        "Get ready.",
        "Shell scripts are fun.",
    ],
)
def test_first_chunk_of_a_normal_answer_is_released_at_once(first: str) -> None:
    guard = StreamGuard(ALL_OFFERED, max_held_chars=BIG, max_held_responses=BIG)
    step = guard.feed(first)
    assert step == GuardStep(first, False)
    assert guard.state is GuardState.PASSTHROUGH


def test_a_trailing_tool_name_is_held_until_the_next_delta_only() -> None:
    """A word that may still become an offered tool name (or a head word) waits for the
    next delta, anywhere in a line; a complete name waits only until what follows it
    shows that it is prose."""
    guard = StreamGuard(ALL_OFFERED, max_held_chars=BIG, max_held_responses=BIG)
    assert guard.feed("Sure, here is the plan:\n\nRead").release == "Sure, here is the plan:\n\n"
    assert guard.feed(" the file.").release == "Read the file."
    assert guard.feed(" Then get_wea").release == " Then "  # mid-line too
    assert guard.feed("ther reports.\nget_wea").release == "get_weather reports.\n"
    assert guard.feed("ther is fast").release == "get_weather is fast"
    assert guard.feed("\nwidget_get").release == "\nwidget_get"  # glued to a word: no head
    assert guard.feed(" get_weather").release == " "
    assert guard.feed("(city='Paris') and more").release == "get_weather(city='Paris') and more"


@pytest.mark.parametrize("size", SIZES)
def test_glm_call_after_prose_never_shows_the_tool_name(size: int) -> None:
    text = "Let me check.\nget_weather<arg_key>city</arg_key><arg_value>Paris</arg_value>"
    released, held, guard = run(split(text, size))
    assert "".join(released) == "Let me check.\n"
    assert guard.marker_confirmed
    assert held.startswith("get_weather<arg_key>")


def test_only_a_possible_marker_prefix_is_held() -> None:
    guard = StreamGuard(ALL_OFFERED, max_held_chars=BIG, max_held_responses=BIG)
    guard.feed("Hi. ")
    assert guard.feed("Let me check <|cha").release == "Let me check "
    assert guard.feed("t with you").release == "<|chat with you"  # not a marker after all
    assert guard.feed(" about it, going to").release == " about it, going "
    assert guard.feed(" Paris.").release == "to Paris."
    assert guard.finish() == ""


def test_marker_split_across_deltas_after_released_text() -> None:
    chunks = [
        "Checking the weather. ",
        "<|chan",
        "nel|>commentary to=func",
        "tions.get_weather",
        ' <|constrain|>json<|message|>{"city":"Paris"}<|call|>',
    ]
    released, held, guard = run(chunks)
    assert "".join(released) == "Checking the weather. "
    assert guard.marker_confirmed
    assert held == "".join(chunks)[len("Checking the weather. ") :]


def test_recipient_marker_confirmed_only_with_a_name() -> None:
    released, held, guard = run(split("The prefix to=functions. is documented.", 1))
    assert "".join(released) + held == "The prefix to=functions. is documented."
    assert not guard.marker_confirmed
    _released, _held, guard = run(split("ok. to=functions.shell {}", 1))
    assert guard.marker_confirmed


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("See https://example.com/?to=functions.html#x for details.", 4),
        (
            'Tokens: `<|call|>` and `[TOOL_CALLS]`.\n\n```\n<tool_call>{"name": "get_weather", '
            '"arguments": {}}</tool_call>\n```\nDone.',
            3,
        ),
        (
            "1. Fences (``` and ~~~) are masked.\n2. Headers (`<|im_start|>user`,\n"
            "   `<|start|>system`) document formats.\n\nDone.",
            4,
        ),
    ],
    ids=["url-recipient", "markers-in-code", "unmatched-fence-then-inline-code"],
)
def test_text_that_only_looks_like_a_marker_is_released_whole(text: str, size: int) -> None:
    """A recipient inside a URL, markers inside code, inline code after an unmatched fence."""
    released, held, guard = run(split(text, size))
    assert "".join(released) == text
    assert held == ""
    assert not guard.marker_confirmed


def test_inline_code_decided_when_the_closing_backtick_arrives() -> None:
    guard = StreamGuard(ALL_OFFERED, max_held_chars=BIG, max_held_responses=BIG)
    assert guard.feed("Use `").release == "Use "  # a backtick may open ```tool_code
    assert guard.feed("<tool_call>").release == "`"  # the head may be inline code
    assert guard.feed(" tags` here.").release == "<tool_call> tags` here."
    assert not guard.marker_confirmed


def test_unclosed_backtick_then_marker_is_confirmed_at_paragraph_end() -> None:
    text = 'A lone ` tick. <tool_call>{"name": "get_weather", "arguments": {}}</tool_call>\n\nbye'
    released, _held, guard = run(split(text, 5))
    assert guard.marker_confirmed
    assert "".join(released) == "A lone ` tick. "


def test_list_items_are_separate_blocks_for_inline_code() -> None:
    text = '- a lone ` tick\n- then <tool_call>{"name": "get_weather", "arguments": {}}'
    released, _held, guard = run(split(text, 3))
    assert guard.marker_confirmed
    assert "".join(released) == "- a lone ` tick\n- then "


def test_bare_json_start_is_held_while_it_can_be_a_call() -> None:
    guard = StreamGuard({"get_weather": None}, max_held_chars=BIG, max_held_responses=BIG)
    assert guard.feed('{"na').release == ""
    assert guard.feed('me": "get_wea').release == ""
    assert guard.feed('ther", "arguments": {}}').release == ""
    assert guard.marker_confirmed
    guard = StreamGuard({"get_weather": None}, max_held_chars=BIG, max_held_responses=BIG)
    assert guard.feed('{"na').release == ""
    assert guard.feed('me": "Alice", "age": 3}').release == '{"name": "Alice", "age": 3}'
    guard = StreamGuard({"get_weather": None}, max_held_chars=BIG, max_held_responses=BIG)
    assert guard.feed('{"title": "x"}').release == '{"title": "x"}'


# -- limits -------------------------------------------------------------------------------------


def test_confirmed_leak_over_max_held_chars_aborts() -> None:
    guard = StreamGuard({"shell": None}, max_held_chars=100, max_held_responses=BIG)
    assert guard.feed("Running: to=functions.shell ").release == "Running: "
    step = guard.feed('{"cmd": "' + "x" * 200)
    assert step.abort
    assert step.release == ""
    assert guard.state is GuardState.ABORTED
    assert guard.feed("more").abort
    assert guard.finish().startswith("to=functions.shell")


def test_confirmed_leak_over_max_held_responses_aborts() -> None:
    guard = StreamGuard({"shell": None}, max_held_chars=BIG, max_held_responses=3)
    guard.feed("<tool_call>")
    assert [guard.feed("x").abort for _ in range(4)] == [False, False, True, True]


def test_unconfirmed_suspicion_over_the_limit_is_flushed_not_aborted() -> None:
    guard = StreamGuard({"get_weather": None}, max_held_chars=50, max_held_responses=BIG)
    assert guard.feed('{"arguments": {"city": "').release == ""  # may still name a tool
    step = guard.feed("x" * 60)
    assert not step.abort
    assert step.release == '{"arguments": {"city": "' + "x" * 60
    assert guard.state is GuardState.PASSTHROUGH
    assert not guard.marker_confirmed


def test_long_undecided_start_is_released_after_the_reparse_window() -> None:
    guard = StreamGuard({"get_weather": None}, max_held_chars=BIG, max_held_responses=BIG)
    text = '{"arguments": {"content": "' + "x" * 6000
    released = "".join(guard.feed(text[i : i + 50]).release for i in range(0, len(text), 50))
    assert released + guard.finish() == text
    assert len(released) > 4000
    assert not guard.marker_confirmed


def test_held_text_after_confirmation_grows_linearly() -> None:
    guard = StreamGuard({"shell": None}, max_held_chars=BIG, max_held_responses=BIG)
    guard.feed("<tool_call>")
    started = time.perf_counter()
    for _ in range(200_000):
        guard.feed("x")
    assert time.perf_counter() - started < 5
    assert guard.finish() == "<tool_call>" + "x" * 200_000
    assert guard.released_chars == 0


def test_finish_is_idempotent_and_ends_the_guard() -> None:
    guard = StreamGuard(ALL_OFFERED, max_held_chars=BIG, max_held_responses=BIG)
    guard.feed("x <tool_call>{")
    assert guard.finish() == "<tool_call>{"
    assert guard.finish() == "<tool_call>{"
    assert guard.state is GuardState.FINISHED
    with pytest.raises(RuntimeError):
        guard.feed("late")


def test_suspect_head_decided_at_finish() -> None:
    guard = StreamGuard({"shell_exec": None}, max_held_chars=BIG, max_held_responses=BIG)
    assert guard.feed("ok to=shell.exec").release == "ok "
    assert guard.state is GuardState.SUSPECT
    assert guard.finish() == "to=shell.exec"
    assert not guard.marker_confirmed


# -- properties ---------------------------------------------------------------------------------

_SAMPLES = [t for _i, t, _c, _v in POSITIVES[::3]] + [t for _i, t in NEGATIVES[::3]]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_SAMPLES), st.lists(st.integers(min_value=1, max_value=12), max_size=80))
def test_any_split_gives_the_same_result(text: str, cuts: list[int]) -> None:
    chunks, pos = [], 0
    for n in cuts:
        if pos >= len(text):
            break
        chunks.append(text[pos : pos + n])
        pos += n
    chunks.append(text[pos:])
    released, held, guard = run(chunks)
    whole_released, whole_held, whole_guard = run([text])
    assert "".join(released) + held == text
    assert ("".join(released), held, guard.marker_confirmed) == (
        "".join(whole_released),
        whole_held,
        whole_guard.marker_confirmed,
    )
    if extract(text, ALL_OFFERED).status != "none":
        assert not [m for m in FORBIDDEN if m in "".join(released)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [
                "Hello ",
                "world",
                " to",
                "=",
                "functions",
                ".shell",
                " {",
                "}",
                "<|",
                "call|>",
                "`",
                "\n",
                "[TOOL_",
                "CALLS]",
                "x",
            ]
        ),
        max_size=40,
    )
)
def test_released_plus_held_is_the_input(chunks: list[str]) -> None:
    released, held, _guard = run(chunks)
    assert "".join(released) + held == "".join(chunks)


PROSE = "Let me check that for you.\n"


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        pytest.param(text, visible, id=case_id)
        for case_id, text, calls, visible in POSITIVES
        if calls and visible is not None
    ],
)
@pytest.mark.parametrize("size", [1, 4, 0])
def test_a_leak_after_prose_shows_only_the_prose(text: str, visible: str, size: int) -> None:
    """Nothing of the call (marker, name, lead word, arguments) reaches the user."""
    released, held, _guard = run(split(PROSE + text, size))
    shown = "".join(released)
    result = extract(PROSE + text, ALL_OFFERED)
    if result.status == "none":  # call-only formats (bare JSON, pythonic): prose makes them text
        assert shown + held == PROSE + text  # all of it is shown, some only at the end
        return
    assert result.visible_text.startswith(shown.rstrip()), shown
    assert not [m for m in FORBIDDEN if m in shown], shown
