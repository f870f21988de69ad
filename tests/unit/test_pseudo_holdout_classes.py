"""Classes of pseudo tool calls found by a blind held-out pass over new real leaks (chat
templates of more model families, agent frameworks), each through the extractor and the
stream guard. Spec: specs/002-pseudo-tool-calls/spec.md §"Schema-guided recovery",
§"Formats", §"What counts as a false positive".

The texts are written for these tests (shapes, not copies of the fixture rows in
tests/fixtures/pseudo_calls_real.jsonl).
"""

from __future__ import annotations

from typing import Any

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls import extract
from tools.pseudo_report import leaked, streamed

WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
    "required": ["city"],
}
TOOLS: dict[str, dict[str, Any] | None] = {
    "get_weather": WEATHER,
    "read_file": {"type": "object", "properties": {"path": {"type": "string"}}},
    "Web Search": {"type": "object", "properties": {"query": {"type": "string"}}},
}
PARIS = {"city": "Paris"}


RECOVERED = [
    # Gemini tool_code whose arguments span several lines (closed, and cut before the fence)
    ('```tool_code\nprint(default_api.get_weather(\n  city="Paris"\n))\n```', ""),
    ('```tool_code\nprint(default_api.get_weather(args={\n  "city": "Paris"\n}))', ""),
    # the tool name as the only key of an object inside a wrapper (Apertus)
    ('<|tools_prefix|>[{"get_weather": {"city": "Paris"}}]<|tools_suffix|>', ""),
    ('Checking.\n<tool_calls>{"get_weather": {"city": "Paris"}}</tool_calls>', "Checking."),
    # the name as an attribute of the wrapper tag, the body holds only the arguments
    ('<tool_call id="call_1" name="get_weather">\n{"city": "Paris"}\n</tool_call>', ""),
    ("<call name='get_weather' id='7'>{\"city\": \"Paris\"}</call>", ""),
    # ChatGLM3: the name, then a placeholder call in a Python fence
    ("get_weather\n ```python\ntool_call(city='Paris')\n```", ""),
    (
        "The user wants the weather in Paris.get_weather\n```python\ntool_call(city='Paris')\n```",
        "The user wants the weather in Paris.",
    ),
    # a name element and an arguments container holding parameter blocks
    (
        '<action>\n<tool_name>get_weather</tool_name>\n<arguments><arg key="city">Paris</arg>'
        "</arguments>\n</action>",
        "",
    ),
    ("<invoke><name>get_weather</name><arguments><city>Paris</city></arguments></invoke>", ""),
    # the whole message is one ```xml / ```json fence around call markup
    (
        '```xml\n<function_call>\n  {"name": "get_weather", "arguments": {"city": "Paris"}}\n'
        "</function_call>\n```",
        "",
    ),
    # call objects of agent frameworks and older APIs
    ('{"function_call": {"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\"}"}}', ""),
    ('{"action": "get_weather", "action_input": {"city": "Paris"}}', ""),
    (
        'Thought: It is about weather.\nAction:\n```\n{"action": "get_weather", '
        '"action_input": {"city": "Paris"}}\n```',
        "Thought: It is about weather.",
    ),
    ('✿FUNCTION✿: get_weather\n✿ARGS✿: {"city": "Paris"}', ""),
    ('<<function>>get_weather(city="Paris")', ""),
    ('Call: get_weather(city="Paris")<bot_end>', ""),  # an end marker named so closes it
    # a Python fence inside the LFM2 / MiniCPM4 token block
    ('<|tool_call_start|>\n```python\nget_weather(city="Paris")\n```\n<|tool_call_end|>', ""),
    # template tokens and the header words they open never stay in the shown text
    (
        "<|from|>assistant\n<|recipient|>all\n<|content|>Let me look.\n<|from|>assistant\n"
        '<|recipient|>get_weather\n<|content|>{"city": "Paris"}<|stop|>',
        "Let me look.",
    ),
    (
        "<|START_THINKING|>A tool is needed.<|END_THINKING|><|START_ACTION|>"
        '[{"tool_call_id": "0", "tool_name": "get_weather", "parameters": {"city": "Paris"}}]'
        "<|END_ACTION|>",
        "A tool is needed.",
    ),
]


@pytest.mark.parametrize(("text", "visible"), RECOVERED)
def test_call_is_recovered_and_its_markup_cut(text: str, visible: str) -> None:
    result = extract(text, TOOLS)
    assert (result.status, [(c.name, c.arguments) for c in result.calls]) == (
        "recovered",
        [("get_weather", PARIS)],
    )
    assert result.visible_text == visible
    assert not leaked(result.visible_text, ["get_weather"])


@pytest.mark.parametrize("text", [t for t, _ in RECOVERED])
@pytest.mark.parametrize("size", [1, 5, 0])
def test_call_never_reaches_a_streamed_chunk(text: str, size: int) -> None:
    assert not leaked(streamed(text, TOOLS, size)[0], ["get_weather"])


def test_a_tool_name_with_spaces_is_a_harmony_recipient() -> None:
    text = (
        "<|channel|>commentary to=functions.Web Search <|constrain|>json<|message|>"
        '{"query": "mlx"}<|call|>'
    )
    result = extract(text, TOOLS)
    assert [(c.name, c.arguments) for c in result.calls] == [("Web Search", {"query": "mlx"})]


NOT_CALLS = [
    # JSON data keyed by a tool name, without any wrapper
    '{"get_weather": {"city": "Paris"}}',
    'Per-tool settings:\n[{"get_weather": {"city": "Paris"}}]',
    # an example introduced a paragraph (longer than one line window) before a label line
    "Examples below assume that the weather tool takes a city and returns a temperature, a "
    "sky condition and a wind speed for the place; use the real catalog of your own task "
    "instead.\n\nSingle call:\n<tool_call>\n"
    '{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
    # asked to repeat: still a mention
    'The user wants me to repeat: <tool_call>{"name": "get_weather", "arguments": '
    '{"city": "Paris"}}</tool_call>',
    # a fence without an info string, or code in a Python fence, stays code
    '```\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n```',
    '```python\nfor city in cities:\n    get_weather({"city": city})\n```',
    # a fence after a line that only starts like a ReAct label is code
    'Action items:\n```\n{"action": "get_weather", "action_input": {"city": "Paris"}}\n```',
]


@pytest.mark.parametrize("text", NOT_CALLS)
def test_data_examples_and_code_are_not_calls(text: str) -> None:
    result = extract(text, TOOLS)
    assert (result.status, result.calls, result.visible_text) == ("none", (), text)
