"""End-to-end reasoning round trip in a real AstrBot (one start, one WebChat session).

Our provider runs with ``compat_profile: "openai"``, so it asks for
``include: ["reasoning.encrypted_content"]`` and replays reasoning items. The embedded fake
upstream (``tools.upstream``, in-process on a background thread) answers:

* turn 1 ``THINKTOOL …``: a reasoning item with an ``enc-…`` blob, then a
  ``get_magic_number`` call (brain rule 2); AstrBot runs the magic tool plugin and sends the
  tool result: the upstream answers ``TOOL RESULT WAS: …`` (rule 1);
* turn 2 (same session) ``THINK …``: reasoning + text (rule 4).

The recorded request bodies must show the reasoning item — with the very ``encrypted_content``
the upstream issued — replayed right BEFORE the ``function_call`` it led to, both in the
tool-result round and in the next user turn, and the chat answers must arrive.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.bots import PROVIDER_TYPE, RunningBot, assert_clean, running_bot, start_bot
from tools.harness import MAGIC_PLUGIN, BackgroundUpstream, ChatResult, ProviderSpec

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

SECRET = "sk-e2e-reasoning-SECRET-0123456789abcdef"
MODEL = "fake-reasoner"
INCLUDE = ["reasoning.encrypted_content"]


@dataclass
class Session(RunningBot):
    """The running bot, its upstream, and the two turns of one WebChat session."""

    turns: list[ChatResult]
    bodies: list[dict[str, Any]]
    startup: float
    elapsed: float


def agent_bodies(upstream: BackgroundUpstream) -> list[dict[str, Any]]:
    """Bodies of the chat agent's ``POST /v1/responses`` (those offering the magic tool).

    AstrBot also asks the provider for a conversation title on a session's first message
    (no tools, its own instructions); that request is not part of the round trip.
    """
    return [
        r.body
        for r in upstream.requests
        if r.method == "POST"
        and r.path == "/v1/responses"
        and isinstance(r.body, dict)
        and any(t.get("name") == "get_magic_number" for t in r.body.get("tools") or [])
    ]


def item_kinds(body: dict[str, Any]) -> list[str]:
    """The ``type`` of each input item (``role`` for a message without ``type``)."""
    kinds = []
    for item in body.get("input") or []:
        kind = item.get("type") or "message"
        kinds.append(f"{kind}:{item['role']}" if kind == "message" else kind)
    return kinds


def _show_reasoning(config: dict[str, Any]) -> None:
    """WebChat shows reasoning only with ``display_reasoning_text`` on (off by default on
    hosts before 4.24; 4.24+ stream it regardless)."""
    config.setdefault("provider_settings", {})["display_reasoning_text"] = True


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """Start the upstream and ONE AstrBot; chat two turns in one session; stop everything."""
    upstream = BackgroundUpstream(api_keys=[SECRET])
    started = time.monotonic()
    with running_bot(tmp_path_factory.mktemp("astrbot-reasoning"), upstream) as bot:
        spec = ProviderSpec(
            "reason",
            MODEL,
            [SECRET],
            upstream.api_base,
            PROVIDER_TYPE,
            custom={"compat_profile": "openai", "reasoning_effort": "low"},
        )
        startup = start_bot(bot, [spec], [MAGIC_PLUGIN], config_patch=_show_reasoning)
        sid = f"e2e-reasoning-{uuid.uuid4().hex[:8]}"
        turns = [
            bot.chat("THINKTOOL: think, then get the magic number", session_id=sid),
            bot.chat("THINK once more and answer briefly", session_id=sid),
        ]
        yield Session(
            bot,
            upstream,
            turns,
            agent_bodies(upstream),
            startup,
            time.monotonic() - started,
        )


def test_chat_answers_arrive(session: Session) -> None:
    first, second = session.turns
    assert_clean(first, SECRET)
    assert [c.get("name") for c in first.tool_calls] == ["get_magic_number"], first.events
    assert any("42" in json.dumps(r) for r in first.tool_results), first.tool_results
    assert "TOOL RESULT WAS" in first.text and "42" in first.text, first.text
    assert_clean(second, SECRET)
    assert "CANNED REPLY" in second.text and "THINK once more" in second.text, second.text
    print(
        f"\nAstrBot ready in {session.startup:.1f}s; setup + 2 turns in {session.elapsed:.1f}s;"
        f" {len(session.bodies)} upstream requests"
    )


def test_reasoning_is_requested_and_issued(session: Session) -> None:
    bodies = session.bodies
    assert len(bodies) == 3, [item_kinds(b) for b in bodies]
    for body in bodies:
        assert body["include"] == INCLUDE and body["store"] is False and body["model"] == MODEL
    assert item_kinds(bodies[0])[-1] == "message:user"
    assert session.turns[0].reasoning, "the reasoning summary was not shown in WebChat"


def _reasoning_before_call(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The reasoning item and the function_call right after it (asserting they are adjacent)."""
    items = body["input"]
    kinds = item_kinds(body)
    assert "function_call" in kinds, kinds
    at = kinds.index("function_call")
    assert at > 0 and kinds[at - 1] == "reasoning", kinds
    assert kinds.count("reasoning") == 1, kinds
    return items[at - 1], items[at]


def test_tool_round_replays_reasoning_before_its_call(session: Session) -> None:
    from tools.upstream.brain import THINKTOOL_SUMMARY

    tool_round = session.bodies[1]
    kinds = item_kinds(tool_round)
    assert kinds[-3:] == ["reasoning", "function_call", "function_call_output"], kinds
    reasoning, call = _reasoning_before_call(tool_round)
    blob = reasoning.get("encrypted_content")
    assert isinstance(blob, str) and blob.startswith("enc-"), reasoning
    assert reasoning["summary"] == [{"type": "summary_text", "text": THINKTOOL_SUMMARY}]
    assert call["name"] == "get_magic_number"
    output = tool_round["input"][-1]
    assert output["call_id"] == call["call_id"] and "42" in output["output"]
    # the blob is the one the upstream issued in turn 1 (it appears in no earlier request)
    assert blob not in json.dumps(session.bodies[0])


def test_next_turn_replays_reasoning_before_its_call(session: Session) -> None:
    tool_round, next_turn = session.bodies[1], session.bodies[2]
    kinds = item_kinds(next_turn)
    assert kinds[-1] == "message:user", kinds
    assert "function_call_output" in kinds and "message:assistant" in kinds, kinds
    reasoning, call = _reasoning_before_call(next_turn)
    first_reasoning, first_call = _reasoning_before_call(tool_round)
    assert reasoning["encrypted_content"] == first_reasoning["encrypted_content"]
    assert reasoning.get("id") == first_reasoning.get("id")
    assert call["call_id"] == first_call["call_id"]
    order = kinds.index("function_call"), kinds.index("function_call_output")
    assert order[0] < order[1] < kinds.index("message:assistant") < len(kinds) - 1, kinds
