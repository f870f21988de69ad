"""ResponseAccumulator: one accumulator for stream events and non-stream bodies."""

from __future__ import annotations

import logging

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.accumulator import (
    ResponseAccumulator,
)
from data.plugins.astrbot_plugin_openai_responses.provider.errors import UpstreamError
from data.plugins.astrbot_plugin_openai_responses.provider.redaction import LOG
from data.plugins.astrbot_plugin_openai_responses.provider.types import (
    ANNOUNCING_EVENTS,
    IMAGE,
    REASONING,
    TEXT,
)
from tools.upstream.brain import TINY_PNG

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
    """Feed ``events``; every delta shown (returned, then the ``pending`` ones), in order."""
    acc = ResponseAccumulator(max_output_chars=cap)
    deltas = []
    for event in events:
        delta = acc.feed(event)
        deltas += [delta, *acc.pending] if delta is not None else acc.pending
        acc.pending.clear()
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


# -- parts keyed without item_id, final texts reconciled by content (issue 11) ----------------

MOCK_AI_API_TEXT = "Hello. It's nice to meet you."


def mock_ai_api_stream(text: str = MOCK_AI_API_TEXT) -> list[dict]:
    """mock-ai-api 0.1.1's stream: part events carry output_index/content_index, no item_id."""
    item = msg(text, "msg_bbff")
    loc = {"output_index": 0, "content_index": 0}
    part = {"type": "output_text", "text": text}
    return [
        {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}},
        added(0, {**item, "status": "in_progress", "content": []}),
        {"type": "response.content_part.added", **loc, "part": {**part, "text": ""}},
        {"type": "response.output_text.delta", **loc, "delta": text},
        {"type": "response.output_text.done", **loc, "text": text},
        {"type": "response.content_part.done", **loc, "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        completed([item]),
    ]


def test_deltas_without_item_id_are_shown_once() -> None:
    deltas, acc = run(mock_ai_api_stream())
    assert deltas == [(TEXT, MOCK_AI_API_TEXT)]
    assert acc.result().text == MOCK_AI_API_TEXT


def test_deltas_with_only_item_id_and_no_added_event_are_shown_once() -> None:
    events = [
        {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "Hel"},
        {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "lo"},
        {"type": "response.output_item.done", "output_index": 0, "item": msg("Hello")},
        completed([msg("Hello")]),
    ]
    deltas, acc = run(events)
    assert deltas == [(TEXT, "Hel"), (TEXT, "lo")]
    assert acc.result().text == "Hello"


def test_deltas_without_any_id_belong_to_the_item_added_last() -> None:
    first, second = msg("One. ", "msg_a"), msg("Two.", "msg_b")
    events = [
        added(0, {**first, "content": []}),
        {"type": "response.output_text.delta", "delta": "One. "},
        {"type": "response.output_item.done", "item": first},
        added(1, {**second, "content": []}),
        {"type": "response.output_text.delta", "delta": "Tw"},
        {"type": "response.output_text.delta", "delta": "o."},
        {"type": "response.output_item.done", "item": second},
        completed([first, second]),
    ]
    deltas, acc = run(events)
    assert deltas == [(TEXT, "One. "), (TEXT, "Tw"), (TEXT, "o.")]
    assert acc.result().text == "One. Two."


def test_a_done_text_adds_only_the_part_not_streamed() -> None:
    events = [text_delta("Hel"), completed([msg("Hello")])]
    events.insert(1, {**text_delta(""), "type": "response.output_text.done", "text": "Hello"})
    deltas, acc = run(events)
    assert deltas == [(TEXT, "Hel"), (TEXT, "lo")]
    assert acc.result().text == "Hello"


def test_a_message_with_two_parts_only_in_its_done_item_shows_both_in_order() -> None:
    item = msg("First part. ")
    item["content"].append({"type": "output_text", "text": "Second part.", "annotations": []})
    acc = ResponseAccumulator(max_output_chars=1000)
    shown = acc.feed({"type": "response.output_item.done", "output_index": 0, "item": item})
    assert shown == (TEXT, "First part. ")
    assert acc.pending == [(TEXT, "Second part.")]  # one event, two deltas: the rest queued
    assert acc.result().text == "First part. Second part."


# -- reasoning that arrives without deltas -----------------------------------------------------


def reasoning(summary: list[str], content: list[str] | None = None, item_id: str = "rs_1") -> dict:
    item: dict = {
        "type": "reasoning",
        "id": item_id,
        "summary": [{"type": "summary_text", "text": t} for t in summary],
    }
    if content is not None:
        item["content"] = [{"type": "reasoning_text", "text": t} for t in content]
    return item


def item_done(index: int, item: dict) -> dict:
    return {"type": "response.output_item.done", "output_index": index, "item": item}


@pytest.mark.parametrize(
    ("item", "parts"),
    [
        (reasoning(["Plan A.", "Then B."]), ["Plan A.", "\n\nThen B."]),
        (reasoning([], ["raw thought"]), ["raw thought"]),
        (reasoning([], ["one", "two"]) | {"summary": []}, ["one", "\n\ntwo"]),
    ],
    ids=["summary", "reasoning_text", "two-reasoning_text"],
)
def test_reasoning_only_in_its_done_item_is_streamed_once(item: dict, parts: list[str]) -> None:
    """Each part once, as a reasoning delta, when the item completes."""
    deltas, acc = run(
        [added(0, reasoning([])), item_done(0, item), text_delta("ok", "msg_2"), completed([item])]
    )
    assert deltas == [*((REASONING, p) for p in parts), (TEXT, "ok")]
    assert acc.result().reasoning == "".join(parts)


def test_reasoning_only_in_part_done_events_is_streamed_once() -> None:
    """Gateways that send each reasoning part only as its final ``.done`` event."""
    loc = {"item_id": "rs_1", "output_index": 0}
    events = [
        added(0, reasoning([])),
        {"type": "response.reasoning_summary_text.done", **loc, "summary_index": 0, "text": "A."},
        {
            "type": "response.reasoning_summary_part.done",
            **loc,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": "A."},
        },
        {"type": "response.reasoning_text.done", **loc, "content_index": 0, "text": "raw"},
        item_done(0, reasoning(["A."], ["raw"])),
        completed([reasoning(["A."], ["raw"])]),
    ]
    deltas, acc = run(events)
    assert deltas == [(REASONING, "A."), (REASONING, "\n\nraw")]
    assert acc.result().reasoning == "A.\n\nraw"


def test_reasoning_only_in_response_completed_is_streamed_once() -> None:
    rs = reasoning(["Only at the end."])
    deltas, acc = run([text_delta("ok"), completed([rs, msg("ok")])])
    assert deltas == [(TEXT, "ok"), (REASONING, "Only at the end.")]
    assert acc.result().reasoning == "Only at the end."


def test_reasoning_streamed_as_deltas_is_not_shown_again() -> None:
    rs = reasoning(["Plan."], ["Plan."])
    delta = {
        "type": "response.reasoning_text.delta",
        "output_index": 0,
        "content_index": 0,
        "delta": "Plan.",
    }
    deltas, acc = run([added(0, reasoning([])), delta, item_done(0, rs), completed([rs])])
    assert deltas == [(REASONING, "Plan.")]
    assert acc.result().reasoning == "Plan."


def test_a_second_reasoning_item_without_deltas_follows_the_first() -> None:
    first, second = reasoning(["one"], item_id="rs_1"), reasoning(["two"], item_id="rs_2")
    delta = {
        "type": "response.reasoning_summary_text.delta",
        "item_id": "rs_1",
        "output_index": 0,
        "summary_index": 0,
        "delta": "one",
    }
    events = [delta, item_done(0, first), item_done(1, second), completed([first, second])]
    deltas, acc = run(events)
    assert deltas == [(REASONING, "one"), (REASONING, "\n\ntwo")]
    assert acc.result().reasoning == "one\n\ntwo"


def test_non_stream_body_keeps_every_reasoning_item() -> None:
    acc = ResponseAccumulator(max_output_chars=1000)
    body = completed([reasoning(["one"], item_id="rs_1"), reasoning(["two"], item_id="rs_2")])
    acc.apply_response(body["response"])
    assert acc.result().reasoning == "one\n\ntwo"


# -- generated images ----------------------------------------------------------------------------

PNG_B64 = TINY_PNG


def image(result: str = PNG_B64) -> dict:
    return {"type": "image_generation_call", "id": "ig_1", "status": "completed", "result": result}


def test_a_generated_image_is_a_delta_once_when_its_item_completes() -> None:
    events = [
        added(0, {"type": "image_generation_call", "id": "ig_1", "status": "in_progress"}),
        {"type": "response.image_generation_call.partial_image", "partial_image_b64": "xx"},
        item_done(0, image()),
        text_delta("Here.", "msg_2"),
        completed([image(), msg("Here.", "msg_2")]),
    ]
    deltas, acc = run(events)
    assert deltas == [(IMAGE, PNG_B64), (TEXT, "Here.")]
    assert acc.result().images == [PNG_B64]


def test_an_image_only_in_response_completed_comes_with_the_missing_text() -> None:
    deltas, acc = run([completed([image(), msg("Here.")])])
    assert deltas == [(IMAGE, PNG_B64), (TEXT, "Here.")]
    assert acc.result().images == [PNG_B64]


# -- items done without a terminal event ---------------------------------------------------------


def test_every_added_item_done_and_completed_is_a_complete_answer() -> None:
    events = [added(0, {**msg(""), "content": []}), text_delta("Hi"), item_done(0, msg("Hi"))]
    _, acc = run(events)
    assert acc.items_complete
    assert not acc.terminal
    assert acc.result().status == "completed"


@pytest.mark.parametrize(
    "events",
    [
        [text_delta("Hi")],
        [added(0, {**msg(""), "content": []}), text_delta("Hi")],
        [item_done(0, msg("Hi")), added(1, fc("f", "")), args_delta("fc_1", 1, "{")],
        [item_done(0, {**msg("Hi"), "status": "incomplete"})],
        [item_done(0, msg("Hi")), text_delta("more", "msg_9") | {"output_index": 1}],
        [],
    ],
    ids=["no-items", "added-not-done", "second-open", "incomplete", "text-after", "nothing"],
)
def test_an_item_still_in_progress_is_not_a_complete_answer(events: list[dict]) -> None:
    _, acc = run(events)
    assert not acc.items_complete
    assert acc.result().status == "truncated"


def test_announcing_events_are_known_and_only_unknown_types_are_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``response.created`` and the ``*.added`` announcements are part of every stream: no
    log line for them; an unknown type is logged once per response, however often it comes."""
    caplog.set_level(logging.DEBUG, logger=LOG.name)
    opening = [{"type": kind, "response": {}} for kind in sorted(ANNOUNCING_EVENTS)]
    unknown = [{"type": "response.web_search_call.searching"}] * 3
    deltas, _ = run([*opening, text_delta("hi"), *unknown, completed([msg("hi")])])
    assert deltas == [(TEXT, "hi")]
    ignored = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
    assert ignored == [
        "ignored Responses event type response.web_search_call.searching "
        "(further unknown types are not logged)"
    ]
