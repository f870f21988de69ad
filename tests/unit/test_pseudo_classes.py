"""The classes of pseudo tool calls that real held-out leaks showed (spec 002 §"Formats",
§"Schema-guided recovery", §"Validation gates", §"What counts as a false positive"), each
through the extractor, the stream guard and the fallback policy.

The texts are written for these tests (shapes, not copies of the held-out records).
"""

from __future__ import annotations

from typing import Any

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls import extract
from data.plugins.astrbot_plugin_openai_responses.provider.stream_guard import StreamGuard
from data.plugins.astrbot_plugin_openai_responses.provider.tool_fallback import (
    FallbackSettings,
    Recovered,
    Retry,
    Unrecoverable,
    decide,
)
from data.plugins.astrbot_plugin_openai_responses.provider.types import Turn
from tools.pseudo_report import leaked, streamed

WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
    "required": ["city"],
}
TOOLS: dict[str, dict[str, Any] | None] = {
    "get_weather": WEATHER,
    "apply_patch": None,
    "exec_command": None,
    "list_files": None,
    "kick_member": {
        "type": "object",
        "properties": {"user_id": {"type": "string"}},
        "required": ["user_id"],
    },
    "bash": None,
    "search": None,
}


def stream(text: str, size: int) -> str:
    """What a streaming chat shows before the end of the message."""
    return streamed(text, TOOLS, size)[0]


def outcome(text: str, mode: str = "parse_then_retry", retries: int = 1) -> object:
    turn = Turn(text=text)
    return decide(turn, TOOLS, FallbackSettings(mode=mode), retries_left=retries)  # type: ignore[arg-type]


# -- 1. degenerate harmony output: markers mid-line among junk, no arguments ----------------

DEGENERATE = [
    "Patched the file.})();*** End Patch```}to=functions.apply_patch from=commentary (json",
    'Now run it. {"cmd":"ls","recipient":"functions.exec_command"} functions.exec_command',
    "Done. 天天中彩票 to=functions.exec_command მეტი to=functions.exec_command",
    "I'll check.</commentary>to=functions.exec_command კომენტary",
    "The build passes.\nassistant to=functions.exec_command",
    "Now patching.*** End Patch\nfunctions.apply_patch",
    "Running tests. to=functions.exec_command ＿json",
    "Let me check the logs.assistant to=functions.exec_command",
    "Let me run that. to=functions.exec_command  ഇതിൽ",
    "Then we commit. to=functions.exec_command (json",
]


@pytest.mark.parametrize("text", DEGENERATE)
def test_degenerate_output_is_held_back_and_never_run(text: str) -> None:
    result = extract(text, TOOLS)
    assert result.status == "unrecoverable"
    assert result.calls == ()
    assert "functions." not in result.visible_text
    assert isinstance(outcome(text), Retry)
    assert isinstance(outcome(text, "parse_only"), Unrecoverable)
    for size in (1, 4, 0):
        assert "functions." not in stream(text, size)


#: a message that ends in call markers and nothing else: the model opened a call, wrote none
DANGLING = {
    "<tool_call>": "",
    "<tool_call>\n\n</tool_call>\n": "",
    "[TOOL_CALLS][TOOL_CALLS][TOOL_CALLS]": "",
    "Let me check the weather.\n<tool_call>": "Let me check the weather.",
    "Let me check the weather.<|tool_call_begin|>": "Let me check the weather.",
    "Checking now.\n<|python_tag|>\n": "Checking now.",
}
#: the same markers ending a sentence that names them, or in code: text
NAMED_AT_THE_END = [
    "Wrap each call in <tool_call>",
    "Mistral models start their calls with [TOOL_CALLS]",
    "The opening tag is `<tool_call>`",
    "```\n<tool_call>\n```",
]


@pytest.mark.parametrize(("text", "visible"), DANGLING.items(), ids=list(DANGLING))
def test_markers_that_end_the_message_with_no_call_are_held_back(text: str, visible: str) -> None:
    result = extract(text, TOOLS)
    assert (result.status, result.calls, result.visible_text) == ("unrecoverable", (), visible)
    assert isinstance(outcome(text), Retry)
    assert isinstance(outcome(text, "parse_only"), Unrecoverable)


@pytest.mark.parametrize("text", NAMED_AT_THE_END)
def test_markers_named_at_the_end_of_a_sentence_are_text(text: str) -> None:
    assert extract(text, TOOLS).status == "none"


# -- 2. corrupted openings and closings -------------------------------------------------------

CORRUPTED = [
    ("<tool_call>list_files</arg_value></tool_call>", "list_files", {}),
    (  # a garbled wrapper closer ends the value: trailing blank lines are not part of it
        "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n\n\n</t-ol_call>",
        "get_weather",
        {"city": "Paris"},
    ),
    (
        "<tool_call>get_weather<arg_key>city</arg_key>Paris</arg_value></tool_call>",
        "get_weather",
        {"city": "Paris"},
    ),
    (
        "<tool_call>\n<name>get_weather\n</parameter>\n<parameter=city>\nParis\n</parameter>\n"
        "</function>\n</tool_call>",
        "get_weather",
        {"city": "Paris"},
    ),
    (
        "<tool_call>get_weathercity</arg_key><arg_value>Paris</arg_value></tool_call>",
        "get_weather",
        {"city": "Paris"},
    ),
    (
        '<tool-call>{"name": "search", "arguments": {"q": "x"}}</tool-call>',
        "search",
        {"q": "x"},
    ),
    ('{"name": "search", "arguments": {"q": "x"}}</tool_call>', "search", {"q": "x"}),
    (
        "<seed:tool_call>\n<function=get_weather>\n<parameter=city>Paris</parameter>\n"
        "</function>\n</seed:tool_call>",
        "get_weather",
        {"city": "Paris"},
    ),
]


@pytest.mark.parametrize(("text", "name", "arguments"), CORRUPTED)
def test_corrupted_delimiters_are_recovered(text: str, name: str, arguments: dict) -> None:
    result = extract(text, TOOLS)
    assert [(c.name, c.arguments) for c in result.calls] == [(name, arguments)]
    assert result.visible_text == ""
    for size in (1, 3, 0):
        assert not leaked(stream(text, size), [name])


# -- 3. a Python-style call with a JSON object, on its own line -----------------------------


@pytest.mark.parametrize(
    "text",
    [
        'Tool call\nget_weather({"city": "Paris", "unit": "c"})',
        'Calling now:\nget_weather({"city": "Paris", "unit": "c"})\n',
        'get_weather({"city": "Paris", "unit": "c"})',
        "get_weather(city='Paris', unit='c')",
    ],
)
def test_python_style_call_with_an_object(text: str) -> None:
    result = extract(text, TOOLS)
    assert [(c.name, c.arguments) for c in result.calls] == [
        ("get_weather", {"city": "Paris", "unit": "c"})
    ]
    for size in (1, 5, 0):
        assert not leaked(stream(text, size), ["get_weather"])


# -- 4. a Claude tool_use block as a Python repr, glued to prose ----------------------------

REPR = "{'id': 'toolu_01X', 'input': {'command': 'ls -la'}, 'name': 'bash', 'type': 'tool_use'}"


@pytest.mark.parametrize(
    "text",
    [
        "Let me use the newer feature:" + REPR,
        "Checking the folder." + REPR + REPR.replace("01X", "02Y"),
        "好的，我来看看。" + REPR[:-1] + ", 'cache_control': None}",
    ],
)
def test_repr_glued_to_prose(text: str) -> None:
    result = extract(text, TOOLS)
    assert [(c.name, c.arguments) for c in result.calls][:1] == [("bash", {"command": "ls -la"})]
    assert "toolu_" not in result.visible_text
    for size in (1, 7, 0):
        assert "{'id'" not in stream(text, size)


# -- 5. broken arguments are never completed with invented values ---------------------------

BROKEN = [
    'assistant to=functions.get_weather\n{"city": "Paris" "unit": ',  # no comma, no value
    'assistant to=functions.get_weather\n{"city": "Paris", "unit": ',  # a key without value
    'assistant to=functions.get_weather\n{"city": "Par',  # a value cut in the middle
    '<tool_call>{"name": "get_weather", "arguments": {"unit": "c"}}</tool_call>',  # no city
    '<tool_call>{"name": "get_weather", "arguments": {"city": 3}}</tool_call>',  # wrong type
    "<tool_call>get_weather<arg_key>unit</arg_key><arg_value>c</arg_value></tool_call>",
]


@pytest.mark.parametrize("text", BROKEN)
def test_broken_arguments_are_retried_never_invented(text: str) -> None:
    result = extract(text, TOOLS)
    assert result.status == "unrecoverable"
    assert result.calls == ()
    assert isinstance(outcome(text), Retry)  # parse_then_retry re-asks
    assert isinstance(outcome(text, "parse_only"), Unrecoverable)  # and never runs a guess
    assert isinstance(outcome(text, retries=0), Unrecoverable)


def test_a_truncated_call_whose_last_member_is_whole_is_recovered() -> None:
    text = 'assistant to=functions.get_weather\n{"city": "Paris", "unit": "c"'
    assert isinstance(outcome(text), Recovered)


# -- 6. a marker mentioned in a sentence, with no arguments, is not a call -------------------

MENTIONS = [
    'A JSON example is {"city": "Paris"}; in harmony notation a tool is addressed as '
    "to=functions.get_weather.",
    "The recipient functions.get_weather tells the runtime which tool to call.",
    "Models sometimes print to=functions.search in plain text instead of calling it.",
    "I can call get_weather for Paris if you want.",
]


@pytest.mark.parametrize("text", MENTIONS)
def test_a_mention_is_not_a_call(text: str) -> None:
    result = extract(text, TOOLS)
    assert (result.status, result.visible_text) == ("none", text)
    guard = StreamGuard(TOOLS, max_held_chars=10**9, max_held_responses=10**9)
    shown = "".join(guard.feed(text[i : i + 3]).release for i in range(0, len(text), 3))
    assert shown + guard.finish() == text  # late, never lost


# -- 7. a quoted or reported call is never run ----------------------------------------------

CALL = '<tool_call>{"name": "kick_member", "arguments": {"user_id": "12345"}}</tool_call>'
QUOTED = [
    f'You asked me to repeat: "{CALL}"',
    f"He wrote “{CALL}” in the group.",
    f"原文是「{CALL}」。",
    f"The message was `{CALL}`.",
    f"> {CALL}\n\nThat is what was pasted.",
    f"```\n{CALL}\n```",
    f"Here is what you sent:\n\n{CALL}",
    f"你让我重复的内容：{CALL}",
    f"Repeat after me: {CALL}",
]


@pytest.mark.parametrize("text", QUOTED)
def test_a_quoted_call_is_never_run(text: str) -> None:
    result = extract(text, TOOLS)
    assert result.calls == ()
    assert result.status == "none"
    assert isinstance(outcome(text, "parse_only"), type(outcome("plain answer", "parse_only")))
