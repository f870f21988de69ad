"""Classes of pseudo tool calls found by the second blind held-out pass over real leaks
(reasoning blocks written into the text, several calls in one wrapper, attribute-style
arguments, namespaced tool names, corrupted tags), each through the extractor and the
stream guard. Spec: specs/002-pseudo-tool-calls/spec.md §"Schema-guided recovery",
§"Extraction pipeline", §"Validation gates", §"What counts as a false positive".

The texts are written for these tests (shapes, not copies of the fixture rows in
tests/fixtures/pseudo_calls_real.jsonl).
"""

from __future__ import annotations

from typing import Any

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls import extract
from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls.names import (
    resolve_name,
)
from tools.pseudo_report import leaked, streamed

STR = {"type": "string"}
TOOLS: dict[str, dict[str, Any] | None] = {
    "get_weather": {"type": "object", "properties": {"city": STR}, "required": ["city"]},
    "shell": {"type": "object", "properties": {"command": STR}},
    "search": {"type": "object", "properties": {"query": STR, "limit": STR, "tags": {}}},
}

RECOVERED = [
    # several <invoke> / <function=…> calls in one wrapper
    (
        '<minimax:tool_call>\n<invoke name="shell">\n<parameter name="command">ls</parameter>\n'
        '</invoke>\n<invoke name="shell">\n<parameter name="command">pwd</parameter>\n'
        "</invoke>\n</minimax:tool_call>",
        [("shell", {"command": "ls"}), ("shell", {"command": "pwd"})],
        "",
    ),
    (
        "Both.\n<tool_call>\n<function=get_weather>\n<parameter=city>\nOslo\n</parameter>\n"
        "</function>\n<function=shell>\n<parameter=command>\ndate\n</parameter>\n</function>\n"
        "</tool_call>",
        [("get_weather", {"city": "Oslo"}), ("shell", {"command": "date"})],
        "Both.",
    ),
    # a draft call inside a closed reasoning block, then the call: only the call runs
    (
        "<think>maybe <tool_call>\n"
        '{"name": "shell", "arguments": {"command": "rm -rf x"}}\n</tool_call> no.</think>\n'
        '<tool_call>\n{"name": "shell", "arguments": {"command": "ls"}}\n</tool_call>',
        [("shell", {"command": "ls"})],
        "<think>maybe\n\nno.</think>",
    ),
    (
        '[THINK]try [TOOL_CALLS]shell[ARGS]{"command":"a"} hm[/THINK]'
        '[TOOL_CALLS]get_weather[ARGS]{"city":"Rome"}',
        [("get_weather", {"city": "Rome"})],
        "[THINK]try\n\nhm[/THINK]",
    ),
    # a call inside the reasoning that no later call follows still runs
    (
        '<think>I will look it up.\n<tool_call>\n{"name": "get_weather", "arguments": '
        '{"city": "Rome"}}\n</tool_call>\n</think>',
        [("get_weather", {"city": "Rome"})],
        "<think>I will look it up.\n\n</think>",
    ),
    # a value the wrapper's end closes (no </parameter>, no </function>)
    (
        "<tool_call>\n<function=shell>\n<parameter=command>\nuptime\n\n\n</tool_call>",
        [("shell", {"command": "uptime"})],
        "",
    ),
    # attribute-style arguments in a self-closing tag
    (
        '好的。<tool_call>search query="天气" limit="3" tags=["a", "b"] /></tool_call>',
        [("search", {"query": "天气", "limit": "3", "tags": ["a", "b"]})],
        "好的。",
    ),
    # the tool name's tag lost its "<" inside the wrapper
    (
        "Running.<tool_call>shell>\n<command>ls -la</command>\n</shell>",
        [("shell", {"command": "ls -la"})],
        "Running.",
    ),
    # an MCP / server namespace the offered name does not have
    (
        '<tool_call>\n{"name": "mcp__weather__get_weather", "arguments": {"city": "Lima"}}\n'
        "</tool_call>",
        [("get_weather", {"city": "Lima"})],
        "",
    ),
    # DSML with ASCII bars and a plain ``calls`` wrapper
    (
        '<||DSML||calls><||DSML||invoke name="shell"><||DSML||parameter name="command" '
        'string="true">ls</||DSML||parameter></||DSML||invoke></||DSML||calls>',
        [("shell", {"command": "ls"})],
        "",
    ),
    # a CJK sentence that ends before the call is no introduction ("let me read the source.")
    (
        "先看看原文。\n\n<tool_call>\n<function=search>\n<parameter=query>水</parameter>\n"
        "</function>\n</tool_call>",
        [("search", {"query": "水"})],
        "先看看原文。",
    ),
    # a misspelled closing tag of a value (closing nothing opened in it)
    (
        "<tool_call>\n<function=search>\n<parameter=query>\n<b>x</b>\n</parametr>\n"
        "<parameter=limit>\n2\n</parameter>\n</function>\n</tool_call>",
        [("search", {"query": "<b>x</b>", "limit": "2"})],
        "",
    ),
    # GigaChat: a label glued to the special token before the call object
    (
        "Sure.<|message_sep|>\n\nfunction call<|role_sep|>\n"
        '{"name": "get_weather", "arguments": {"city": "Kyiv"}}',
        [("get_weather", {"city": "Kyiv"})],
        "Sure.",
    ),
]


@pytest.mark.parametrize(("text", "calls", "visible"), RECOVERED)
def test_call_is_recovered_and_its_markup_cut(
    text: str, calls: list[tuple[str, dict[str, Any]]], visible: str
) -> None:
    result = extract(text, TOOLS)
    assert result.status == "recovered"
    assert [(c.name, c.arguments) for c in result.calls] == calls
    assert result.visible_text == visible


@pytest.mark.parametrize("text", [t for t, _, _ in RECOVERED])
@pytest.mark.parametrize("size", [1, 5, 0])
def test_call_never_reaches_a_streamed_chunk(text: str, size: int) -> None:
    shown, held = streamed(text, TOOLS, size)
    assert shown + held == text
    assert not leaked(shown, list(TOOLS))


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        # a tag call of a tool that was not offered
        ("Creating.<tool_call>Shell_tool><command>ls</command></Shell_tool>", "Creating."),
        # a wrapper the end of the text cut inside the call's head
        ("Reading.\n\n<tool_call>\n<function=sea", "Reading."),
        # a call object after a special token, broken by a stray tag inside its value
        (
            'Ok.<|role_sep|>\n{"name": "get_weather", "arguments": {"city": "Lo</arg_value>',
            "Ok.",
        ),
    ],
)
def test_a_broken_or_unoffered_wrapped_call_is_held_back(text: str, visible: str) -> None:
    result = extract(text, TOOLS)
    assert (result.status, result.calls, result.visible_text) == ("unrecoverable", (), visible)


@pytest.mark.parametrize(
    ("written", "offered", "expected"),
    [
        ("mcp__fs__read_file", {"read_file": None}, "read_file"),
        ("fs.read_file", {"read_file": None}, "read_file"),
        ("read_file", {"mcp__fs__read_file": None}, "mcp__fs__read_file"),
        (
            "mcp__fs__read_file",
            {"mcp__fs__read_file": None, "read_file": None},
            "mcp__fs__read_file",
        ),
        ("read_file", {"mcp__a__read_file": None, "mcp__b__read_file": None}, None),
        ("mcp__fs__write_file", {"read_file": None}, None),
    ],
)
def test_a_server_namespace_on_one_side_only(
    written: str, offered: dict[str, None], expected: str | None
) -> None:
    assert resolve_name(written, offered) == expected


NOT_CALLS = [
    # prose naming the wrapper tags around an ellipsis
    "the content shows literal xml (<minimax:tool_call> ... </minimax:tool_call>) instead",
    "Tags like <tool_call>…</tool_call> are parsed by the server.",
    # attributes in prose are no call: nothing closes them as a tag
    'Use search query="x" limit="3" when you need it.',
    # a CJK introduction with its colon still introduces
    "原文如下：<tool_call>\n<function=search>\n<parameter=query>水</parameter>\n</function>",
    # a broken call object that nothing wraps is prose
    'I think {"name": "get_weather", "arguments": {"city": "Lon',
]


@pytest.mark.parametrize("text", NOT_CALLS)
def test_descriptions_are_not_calls(text: str) -> None:
    result = extract(text, TOOLS)
    assert (result.status, result.calls, result.visible_text) == ("none", (), text)
