"""ResponseAccumulator: one accumulator for stream events and non-stream bodies."""

from __future__ import annotations

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.accumulator import (
    ResponseAccumulator,
)
from data.plugins.astrbot_plugin_openai_responses.provider.errors import UpstreamError
from data.plugins.astrbot_plugin_openai_responses.provider.types import REASONING, TEXT

USAGE = {
    "input_tokens": 100,
    "input_tokens_details": {"cached_tokens": 40},
    "output_tokens": 20,
    "output_tokens_details": {"reasoning_tokens": 5},
    "total_tokens": 120,
}


def msg(text: str, item_id: str = "msg_1") -> dict:
    return {
        "type": "message",
        "id": item_id,
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def fc(name: str, args: str, call_id: str | None = "call_1", item_id: str = "fc_1") -> dict:
    item = {"type": "function_call", "id": item_id, "name": name, "arguments": args}
    if call_id:
        item["call_id"] = call_id
    return item


def completed(output: list[dict], **extra: object) -> dict:
    return {
        "type": "response.completed",
        "response": {
            "id": "resp_1",
            "status": "completed",
            "model": "m",
            "output": output,
            "usage": USAGE,
            **extra,
        },
    }


def run(
    events: list[dict], cap: int = 100_000
) -> tuple[list[tuple[str, str]], ResponseAccumulator]:
    acc = ResponseAccumulator(max_output_chars=cap)
    deltas = [d for e in events if (d := acc.feed(e)) is not None]
    return deltas, acc


def added(index: int, item: dict) -> dict:
    return {"type": "response.output_item.added", "output_index": index, "item": item}


def args_delta(item_id: str, index: int, delta: str) -> dict:
    return {
        "type": "response.function_call_arguments.delta",
        "item_id": item_id,
        "output_index": index,
        "delta": delta,
    }


def text_delta(d: str, item: str = "msg_1") -> dict:
    return {
        "type": "response.output_text.delta",
        "item_id": item,
        "output_index": 0,
        "content_index": 0,
        "delta": d,
    }


def test_text_deltas_then_completed() -> None:
    deltas, acc = run([text_delta("Hel"), text_delta("lo"), completed([msg("Hello")])])
    assert deltas == [(TEXT, "Hel"), (TEXT, "lo")]
    turn = acc.result()
    assert turn.text == "Hello"
    assert turn.status == "completed"
    assert turn.usage is not None
    assert (turn.usage.input_tokens, turn.usage.cached_tokens) == (100, 40)
    assert (turn.usage.output_tokens, turn.usage.reasoning_tokens) == (20, 5)
    assert turn.response_id == "resp_1"


def test_text_only_in_done_event_is_shown_once() -> None:
    done = {
        "type": "response.output_text.done",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "text": "Only done",
    }
    part_done = {
        "type": "response.content_part.done",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "part": {"type": "output_text", "text": "Only done"},
    }
    deltas, acc = run([done, part_done, completed([msg("Only done")])])
    assert deltas == [(TEXT, "Only done")]
    assert acc.result().text == "Only done"


def test_text_only_in_completed_is_emitted() -> None:
    deltas, acc = run([completed([msg("From snapshot")])])
    assert deltas == [(TEXT, "From snapshot")]
    assert acc.result().text == "From snapshot"


def test_completed_with_empty_output_keeps_streamed_items() -> None:
    events = [
        text_delta("partial answer"),
        added(1, fc("f", "", "call_9", "fc_9")),
        args_delta("fc_9", 1, '{"a":'),
        args_delta("fc_9", 1, " 1}"),
        completed([]),
    ]
    _, acc = run(events)
    turn = acc.result()
    assert turn.text == "partial answer"
    calls = [(c.call_id, c.name, c.arguments) for c in turn.tool_calls]
    assert calls == [("call_9", "f", {"a": 1})]


def test_parallel_calls_with_interleaved_argument_deltas() -> None:
    events = [
        added(0, fc("a", "", "call_a", "fc_a")),
        added(1, fc("b", "", "call_b", "fc_b")),
        args_delta("fc_a", 0, '{"x"'),
        args_delta("fc_b", 1, '{"y"'),
        args_delta("fc_a", 0, ": 1}"),
        args_delta("fc_b", 1, ": 2}"),
        {"type": "response.completed", "response": {"status": "completed", "output": []}},
    ]
    _, acc = run(events)
    calls = acc.result().tool_calls
    assert [(c.call_id, c.name, c.arguments) for c in calls] == [
        ("call_a", "a", {"x": 1}),
        ("call_b", "b", {"y": 2}),
    ]


def test_arguments_only_in_done_event_and_terminal_calls_are_authoritative() -> None:
    events = [
        added(0, fc("f", "", "call_1")),
        {
            "type": "response.function_call_arguments.done",
            "item_id": "fc_1",
            "output_index": 0,
            "arguments": '{"k": "v"}',
        },
        completed([fc("f", '{"k": "v"}', "call_1")]),
    ]
    _, acc = run(events)
    calls = acc.result().tool_calls
    assert len(calls) == 1
    assert calls[0].arguments == {"k": "v"}
    assert calls[0].item_id == "fc_1"


def test_missing_call_id_gets_a_deterministic_one() -> None:
    turn1 = run([completed([fc("f", "{}", None)])])[1].result()
    turn2 = run([completed([fc("f", "{}", None)])])[1].result()
    assert turn1.tool_calls[0].call_id == turn2.tool_calls[0].call_id
    assert turn1.tool_calls[0].call_id.startswith("call_")


def test_malformed_arguments_are_not_run() -> None:
    turn = run([completed([fc("f", '{"a": ')])])[1].result()
    assert turn.tool_calls == []
    assert "malformed" in turn.notice


def test_reasoning_never_mixes_into_the_answer() -> None:
    reasoning_item = {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [],
        "content": [{"type": "reasoning_text", "text": "THINKING"}],
        "encrypted_content": "enc",
    }
    events = [
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "delta": "plan",
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 1,
            "delta": "more",
        },
        text_delta("Answer", "msg_2"),
        completed([reasoning_item, msg("Answer", "msg_2")]),
    ]
    deltas, acc = run(events)
    assert deltas == [(REASONING, "plan"), (REASONING, "\n\nmore"), (TEXT, "Answer")]
    turn = acc.result()
    assert turn.text == "Answer"
    assert turn.reasoning == "plan\n\nmore"
    assert turn.reasoning_items == [reasoning_item]


@pytest.mark.parametrize("nested", [False, True])
def test_error_event_flat_and_nested(nested: bool) -> None:
    body = {"code": "rate_limit_exceeded", "message": "slow down"}
    event = {"type": "error", "error": body} if nested else {"type": "error", **body}
    with pytest.raises(UpstreamError) as err:
        run([event])
    assert "slow down" in str(err.value)
    assert err.value.code == "rate_limit_exceeded"
    assert err.value.retryable


def test_quota_error_event_is_not_retryable() -> None:
    with pytest.raises(UpstreamError) as err:
        run([{"type": "error", "error": {"code": "insufficient_quota", "message": "pay"}}])
    assert not err.value.retryable


def test_response_failed_is_an_error() -> None:
    event = {
        "type": "response.failed",
        "response": {
            "status": "failed",
            "error": {"code": "server_error", "message": "boom"},
            "output": [],
        },
    }
    with pytest.raises(UpstreamError, match="boom"):
        run([text_delta("x"), event])


@pytest.mark.parametrize("reason", ["max_output_tokens", "content_filter"])
def test_incomplete_keeps_partial_text_and_reason(reason: str) -> None:
    event = {
        "type": "response.incomplete",
        "response": {
            "status": "incomplete",
            "incomplete_details": {"reason": reason},
            "output": [msg("par")],
        },
    }
    _, acc = run([text_delta("par"), event])
    turn = acc.result()
    assert (turn.text, turn.status, turn.incomplete_reason) == ("par", "incomplete", reason)


def test_stream_without_terminal_event_is_truncated() -> None:
    _, acc = run([text_delta("half")])
    assert acc.result().status == "truncated"
    assert not acc.terminal


def test_response_done_counts_as_terminal() -> None:
    _, acc = run([text_delta("x"), {"type": "response.done", "response": {"output": []}}])
    assert acc.terminal
    assert acc.result().status == "completed"


def test_cap_cuts_text_and_flags() -> None:
    deltas, acc = run([text_delta("a" * 600), text_delta("b" * 600), text_delta("c")], cap=1000)
    assert acc.capped
    assert "".join(d for _, d in deltas) == "a" * 600 + "b" * 400
    assert len(acc.result().text) == 1000


def test_chat_completions_chunk_is_a_clear_error() -> None:
    with pytest.raises(UpstreamError, match="Chat Completions"):
        run([{"object": "chat.completion.chunk", "choices": []}])


def test_unknown_events_are_ignored() -> None:
    deltas, acc = run(
        [
            {"type": "response.web_search_call.searching"},
            {"type": "x.future"},
            text_delta("ok"),
            completed([msg("ok")]),
        ]
    )
    assert deltas == [(TEXT, "ok")]
    assert acc.result().text == "ok"


def test_stream_and_non_stream_give_the_same_turn() -> None:
    body = completed([msg("Same"), fc("f", '{"q": 1}')])["response"]
    _, streamed = run([text_delta("Sa"), text_delta("me"), completed(body["output"])])
    plain = ResponseAccumulator(max_output_chars=10_000)
    plain.apply_response(body)
    assert streamed.result() == plain.result()


def test_refusal_is_the_answer_when_there_is_no_text() -> None:
    refusal = {
        "type": "message",
        "id": "m",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "refusal", "refusal": "I can't help"}],
    }
    deltas, acc = run(
        [
            {
                "type": "response.refusal.delta",
                "item_id": "m",
                "output_index": 0,
                "content_index": 0,
                "delta": "I can't help",
            },
            completed([refusal]),
        ]
    )
    assert deltas == [(TEXT, "I can't help")]
    assert acc.result().text == "I can't help"
