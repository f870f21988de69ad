"""Pseudo tool-call extraction: the dev fixture, hand-written positives/negatives per format
family, helpers, robustness. Spec: specs/002-pseudo-tool-calls/spec.md."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls import (
    MARKERS,
    extract,
)
from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls.args import (
    coerce_scalar,
    parse_object,
)
from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls.blocks import (
    scan_balanced,
)
from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls.heads import (
    matcher,
    partial_len,
    word_prefixes,
)
from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls.masking import (
    masked_view,
)
from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls.names import (
    resolve_name,
)
from tests.unit.pseudo_cases import NEGATIVES, OFFERED, POSITIVES

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pseudo_calls_dev.jsonl"
DECOYS: dict[str, dict[str, Any] | None] = {"web_search": None, "send_email": None, "calc": None}
#: strings that must never survive in the visible text of a leak
LEAK_RESIDUE = (
    "to=functions.",
    "<|",
    "<｜",
    "<tool_call",
    "[TOOL_CALLS]",
    "<arg_key>",
    "<function=",
    '{"name"',
    "{'id'",
    "[ARGS]",
    "<invoke",
)


def _fixture_rows() -> list[Any]:
    if not FIXTURE.is_file():
        return [pytest.param(None, id="fixture-missing", marks=pytest.mark.skip("no dev fixture"))]
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line]
    return [pytest.param(row, id=row["id"]) for row in rows]


def _offered_for(row: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    offered = dict(DECOYS) | (row.get("tools") or {})
    for call in [row.get("expected") or {}, *row.get("expected_all", [])]:
        if call.get("name"):
            offered.setdefault(call["name"], None)
    return offered


# -- the dev fixture -----------------------------------------------------------------------


@pytest.mark.parametrize("row", _fixture_rows())
def test_dev_fixture(row: dict[str, Any]) -> None:
    result = extract(row["text"], _offered_for(row))
    expected = row.get("expected")
    if row["kind"] == "negative":
        assert result.status == "none"
        assert result.visible_text == row["text"]
        assert result.calls == ()
        return
    if expected["arguments"] is None:
        assert result.status == "unrecoverable"
        assert result.calls == ()
    else:
        assert result.status == "recovered"
        assert (result.calls[0].name, result.calls[0].arguments) == (
            expected["name"],
            expected["arguments"],
        )
        if "expected_all" in row:
            assert [(c.name, c.arguments) for c in result.calls] == [
                (c["name"], c["arguments"]) for c in row["expected_all"]
            ]
    assert result.format
    for residue in LEAK_RESIDUE:
        assert residue not in result.visible_text


# -- hand-written cases per family -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "calls", "visible"), [pytest.param(t, c, v, id=i) for i, t, c, v in POSITIVES]
)
def test_positive(text: str, calls: list[tuple[str, dict]] | None, visible: str | None) -> None:
    result = extract(text, OFFERED)
    if calls is None:
        assert result.status == "unrecoverable"
        assert result.calls == ()
    else:
        assert result.status == "recovered"
        assert [(c.name, c.arguments) for c in result.calls] == calls
    if visible is not None:
        assert result.visible_text == visible
    for residue in LEAK_RESIDUE:
        assert residue not in result.visible_text


@pytest.mark.parametrize("text", [pytest.param(t, id=i) for i, t in NEGATIVES])
def test_negative(text: str) -> None:
    result = extract(text, OFFERED)
    assert result.status == "none"
    assert result.calls == ()
    assert result.visible_text == text
    assert result.format is None


def test_enough_cases_per_kind() -> None:
    assert len(POSITIVES) >= 30
    assert len(NEGATIVES) >= 30


def test_no_tools_offered_means_no_recovery() -> None:
    text = '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>'
    assert extract(text, {}).status == "unrecoverable"
    assert extract('{"name": "get_weather", "arguments": {}}', {}).status == "none"


def test_duplicate_calls_in_several_dialects_are_deduplicated() -> None:
    text = (
        '{"name":"shell.exec","args":{"command":"ls"}} to=functions.shell_exec code:\n'
        '{"command":"ls"}\nto=functions.shell_exec code:\n{"command":"ls"}'
    )
    result = extract(text, {"shell_exec": None})
    assert [(c.name, c.arguments) for c in result.calls] == [("shell_exec", {"command": "ls"})]
    assert result.visible_text == ""


def test_required_arguments_gate() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    text = '<tool_call>{"name": "get_weather", "arguments": {"town": "Paris"}}</tool_call>'
    assert extract(text, {"get_weather": schema}).status == "unrecoverable"
    assert extract(text, {"get_weather": None}).status == "recovered"


def test_result_keys_declared_in_schema_are_arguments() -> None:
    schema = {"type": "object", "properties": {"output": {"type": "string"}}}
    text = 'to=functions.save {"output": "report.txt"}'
    assert extract(text, {"save": schema}).calls[0].arguments == {"output": "report.txt"}
    assert extract(text, {"save": None}).status == "none"  # looks like a tool *result*


def test_harmony_analysis_dropped_final_kept() -> None:
    text = (
        "<|channel|>analysis<|message|>secret reasoning<|end|><|start|>assistant"
        "<|channel|>final<|message|>Here you go.<|end|><|start|>assistant"
        "<|channel|>commentary to=functions.get_time <|constrain|>json<|message|>{}<|call|>"
    )
    result = extract(text, {"get_time": None})
    assert result.status == "recovered"
    assert result.visible_text == "Here you go."
    assert "secret" not in result.visible_text


def test_large_arguments_are_recovered() -> None:
    content = 'line {with} braces and "quotes"\n' * 3000
    text = "to=functions.write_file " + json.dumps({"path": "a.txt", "content": content})
    result = extract(text, {"write_file": None})
    assert result.calls[0].arguments["content"] == content


# -- helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "offered", "expected"),
    [
        ("get_weather", ["get_weather"], "get_weather"),
        ("functions.get_weather", ["get_weather"], "get_weather"),
        ("shell.exec", ["shell_exec"], "shell_exec"),
        ("SHELL_EXEC", ["shell_exec"], "shell_exec"),
        ("Read", ["read", "Read"], "Read"),
        ("READ", ["read", "Read"], None),  # case-insensitive only when unique
        ("a.b", ["a_b", "a.b"], "a.b"),
        ("unknown", ["get_weather"], None),
        ("", ["get_weather"], None),
    ],
)
def test_resolve_name(raw: str, offered: list[str], expected: str | None) -> None:
    assert resolve_name(raw, dict.fromkeys(offered)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ('= {"a": 1}', {"a": 1}),
        ('json {"a": 1}', {"a": 1}),
        ('code: {"a": 1}', {"a": 1}),
        ('{"a": {"b": [1, "x"', {"a": {"b": [1, "x"]}}),  # closed after a whole value
        ('{"a": {"b": [1, 2', None),  # the number may have been cut
        ('{"a": "unterminated', None),  # a value cut off: never completed
        ('{"city": "Paris" "unit": "c"}', None),  # a missing comma is not repaired
        ('{"city": "Paris", "unit": ', None),  # a key without a value
        ('{"a": 1,}', {"a": 1}),  # a trailing comma is dropped
        ("{'a': True, 'b': None}", {"a": True, "b": None}),
        ('"{\\"a\\": 1}"', {"a": 1}),
        ("", {}),
        ('""', {}),
        ("{a: 1, b: 'x',}", {"a": 1, "b": "x"}),  # bare keys, Python strings
        ('{city:<|"|>Paris<|"|>}', {"city": "Paris"}),  # Gemma 4 brace notation
        ("{path:a.txt,n:3}", {"path": "a.txt", "n": 3}),  # bare values after bare keys
        ("[1, 2]", None),
        ("not json", None),
    ],
)
def test_parse_object(raw: str, expected: dict | None) -> None:
    assert parse_object(raw) == expected


def test_scan_balanced_respects_strings() -> None:
    text = '{"a": "}{", "b": {"c": "\\"}"}} tail'
    assert text[: scan_balanced(text, 0)] == '{"a": "}{", "b": {"c": "\\"}"}}'
    assert scan_balanced('{"a": 1', 0) is None


@pytest.mark.parametrize(
    ("value", "schema", "expected"),
    [
        ("3", {"type": "integer"}, 3),
        ("3", {"type": "string"}, "3"),
        ("3", None, "3"),  # without a schema, text stays text
        ("Paris", None, "Paris"),
        ("true", {"type": "boolean"}, True),
        ('{"a": 1}', {"type": "object"}, {"a": 1}),
        ("[1]", {"type": "array"}, [1]),
        ("[1]", None, "[1]"),
    ],
)
def test_coerce_scalar(value: str, schema: dict | None, expected: Any) -> None:
    assert coerce_scalar(value, schema) == expected


def test_masked_view_keeps_length_and_masks_code() -> None:
    text = "a `x` b\n```\nfenced\n```\n> quoted\nprose\n```tool_code\nf()\n```"
    masked = masked_view(text)
    assert len(masked) == len(text)
    for shown in ("`x`", "fenced", "quoted"):
        assert shown not in masked
    assert masked.startswith("a ")
    assert "prose" in masked
    assert masked.endswith("```tool_code\nf()\n```")  # a leak carrier fence stays searchable


def test_heads_and_partial_heads() -> None:
    names = ("get_weather",)
    heads, prefixes = matcher(names), word_prefixes(names)
    for text in ("Sure. <tool_call>", "x <|channel|>", "[TOOL_CALLS]", '{"name"', "go to=x"):
        assert heads.search(text), text
    for text in ("hello world", "Paris is nice, isn't it?", "3 < 4"):
        assert heads.search(text) is None or text == "3 < 4"
    assert partial_len("hello <", "", prefixes) == 1
    assert partial_len("going to", "", prefixes) == 2
    assert partial_len("goto", "", prefixes) == 0
    assert partial_len("the get_wea", "", prefixes) == len("get_wea")
    assert partial_len("x?to", "", prefixes) == 0  # a URL, not a recipient
    assert partial_len("hello", "", prefixes) == 0
    assert partial_len("say ```tool", "", prefixes) == len("```tool")
    assert all(
        heads.search("ab " + m) or partial_len("ab " + m[:-1], "", prefixes)
        for m in MARKERS
        if len(m) > 1
    )


# -- robustness -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "get_weather", "arguments": {"a": ' * 3000,
        "x<arg_key>" * 5000,
        "<tool_call>{" * 5000,
        " to=functions.get_weather {" * 3000,
        "{" * 50000,
        '{"' * 20000,
        "[TOOL_CALLS]a[ARGS]{" * 3000,
        "{'id': 'toolu_" * 5000,
        "get_weather\n[/get_weather]\n" * 3000,
        "`a`` b ``` c ```` " * 3000,
    ],
    ids=[
        "json",
        "arg_key",
        "tool_call",
        "to",
        "braces",
        "quotes",
        "mistral",
        "repr",
        "closing",
        "backticks",
    ],
)
def test_hostile_input_is_bounded(text: str) -> None:
    started = time.perf_counter()
    extract(text, {"get_weather": None, "a": None})
    assert time.perf_counter() - started < 10


_PIECES = [
    *"abc {}[]<>|\"'`:=\n_.toTOOLSfunctins",
    "<|channel|>",
    "<|message|>",
    "<|call|>",
    "to=functions.",
    "<tool_call>",
    "</tool_call>",
    "[TOOL_CALLS]",
    "[ARGS]",
    '{"name": "get_weather"',
    '"arguments"',
    "```",
    "<arg_key>",
    "get_weather",
    "<function=",
    "analysis",
    "assistant",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_extract_never_raises_and_none_keeps_text(text: str) -> None:
    result = extract(text, {"get_weather": None, "shell": None})
    assert result.status in ("none", "recovered", "unrecoverable")
    if result.status == "none":
        assert result.visible_text == text
    if result.status == "recovered":
        assert all(c.name in ("get_weather", "shell") for c in result.calls)
        assert all(isinstance(c.arguments, dict) for c in result.calls)
