"""Hostile answers: text built (or degenerated into) shapes that stalled or crashed the
pseudo-call scan — with tools offered, every answer goes through the stream guard and
:func:`~provider.pseudo_calls.extract` (spec 002), on the event loop.

Each was found by a sweep of repeated units (``unit * N`` after a marker, 40 000 characters):
a lazy body before ``\\s*$`` (three places) and a search for trailing closers were quadratic
in a run of whitespace (a model's runaway blank lines: 0.7 s at 20 000 characters, minutes at
the 200 000 of ``max_output_chars``); repeated ``[TOOL_CALLS]`` tokens were re-read from every
token, a name before ``[ARGS]`` from every character of a long word, ``<function=`` and
``<invoke name="`` names to the end of the text from every opener, unclosed call objects from
every ``{"name":``; nested fence openers recursed once per line until ``RecursionError`` broke
the stream. Without stalling the loop (:class:`~tools.probes.LoopLag`, < 100 ms), in
``text_chat`` and ``text_chat_stream``: a plain answer arrives whole, markup with no call in it
is held back, junk at least ends in a final response.
"""

from __future__ import annotations

import pytest

from tests.integration.faults import MODES, Kit, Outcome
from tests.integration.test_chat import magic_tools
from tools.probes import LoopLag
from tools.upstream import Close, Events
from tools.upstream import events as ev

#: Longest event-loop stall allowed while the provider handles one hostile answer (s).
MAX_LAG = 0.1
#: Characters of the repeated part (a tenth of the default ``max_output_chars``; the old scans
#: took 0.2–2 s on it, or crashed).
RUN = 20_000

#: plain answers: shown whole
DEGENERATE_TEXT = {
    "blank run after prose": "Done." + " \n" * (RUN // 2) + "x",
    "nested fence openers": "```json\n" * (RUN // 8),
    "nested bare fences": "```\n" * (RUN // 4),
}
#: markup with no call in it: held back as an unrecoverable pseudo call (``parse_only``:
#: the notice, no retry)
DEGENERATE_MARKUP = {
    "blank run after a tag": ("<tool_call>" + " " * RUN, "<tool_call>"),
    "repeated mistral tokens": ("[TOOL_CALLS]" * (RUN // 12), "[TOOL_CALLS]"),
    "repeated function openers": ("<function=" * (RUN // 10), "<function="),
    "a long word after [ARGS]": ("[TOOL_CALLS]get_weather[ARGS]" + "_" * RUN, "[TOOL_CALLS]"),
    "unclosed call objects": ("[TOOL_CALLS]x[ARGS]" + '<{"name":\\.' * (RUN // 11), "[ARGS]"),
}
#: junk that only has to pass without stalling the loop (what it shows is not the point)
DEGENERATE_JUNK = {
    "tab run in a json fence": "```json\n" + "\t" * RUN,
    "repeated invoke openers": '<invoke name="' * (RUN // 14),
}


async def chat_lagging(kit: Kit, stream: bool, text: str) -> tuple[Outcome, float]:
    """One answer ``text`` (200 deltas) with a tool offered; the outcome and the longest
    event-loop stall meanwhile (s)."""
    kit.upstream.enqueue([Events(ev.text_stream(text, chunks=200)), Close()])
    provider = await kit.provider(tool_fallback_mode="parse_only")
    async with LoopLag() as lag:
        out = await kit.chat(provider, stream, bound=2.0, func_tool=magic_tools())
    return out, lag.max_busy


@MODES
@pytest.mark.parametrize("text", DEGENERATE_TEXT.values(), ids=DEGENERATE_TEXT.keys())
async def test_a_degenerate_answer_arrives_whole_without_stalling_the_loop(
    kit: Kit, stream: bool, text: str
) -> None:
    out, lag = await chat_lagging(kit, stream, text)
    assert out.text == text
    assert out.final is not None
    assert out.final.role == "assistant"
    assert lag < MAX_LAG, f"event loop blocked {lag:.3f} s"


@MODES
@pytest.mark.parametrize(
    ("text", "marker"), DEGENERATE_MARKUP.values(), ids=DEGENERATE_MARKUP.keys()
)
async def test_degenerate_markup_is_held_back_without_stalling_the_loop(
    kit: Kit, stream: bool, text: str, marker: str
) -> None:
    out, lag = await chat_lagging(kit, stream, text)
    assert marker not in out.text
    assert not any(marker in chunk for chunk in out.chunks)
    assert out.final is not None
    assert out.final.role == "assistant"
    assert lag < MAX_LAG, f"event loop blocked {lag:.3f} s"


@MODES
@pytest.mark.parametrize("text", DEGENERATE_JUNK.values(), ids=DEGENERATE_JUNK.keys())
async def test_degenerate_junk_ends_without_stalling_the_loop(
    kit: Kit, stream: bool, text: str
) -> None:
    out, lag = await chat_lagging(kit, stream, text)
    assert out.final is not None
    assert out.final.role == "assistant"
    assert lag < MAX_LAG, f"event loop blocked {lag:.3f} s"
