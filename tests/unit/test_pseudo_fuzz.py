"""Mutation fuzzing of pseudo tool calls: the guard against fitting the cases we have.

Every recoverable positive (hand-written cases and real fixture rows) is corrupted the way
real output corrupts calls — a dropped, garbled, repeated or stray wrapper tag, attributes
on the wrapper tag (``<tool_call id="…">``), glued to prose without a separator, junk tokens
in other scripts before it, Python literals for JSON, the whole message in a code fence,
a reasoning block before it, a server namespace on the tool name (``mcp__srv__NAME``),
truncation — streamed at random splits, and these invariants are checked:

* nothing is lost: the released chunks plus the held text are the text;
* no released chunk contains a family marker, leak residue or the tool name in call
  position (``tools.pseudo_report.leaked``);
* the extractor returns the exact original call(s) or no call at all (then the fallback
  re-asks or shows the notice); a corruption that keeps the call whole keeps it exact; a
  truncated call may only lose whole arguments at its end (the schema's ``required``
  decides whether that can run);
* no recovered argument holds a value the text does not contain.

``PSEUDO_FUZZ_EXAMPLES`` raises the number of examples (default 300).
Spec: specs/002-pseudo-tool-calls/spec.md §"Evaluation".
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls import extract
from data.plugins.astrbot_plugin_openai_responses.provider.stream_guard import StreamGuard
from data.plugins.astrbot_plugin_openai_responses.provider.tool_fallback import (
    FallbackSettings,
    Passthrough,
    Recovered,
    Retry,
    decide,
)
from data.plugins.astrbot_plugin_openai_responses.provider.types import Turn
from tests.conftest import REPO
from tests.unit.pseudo_cases import OFFERED, POSITIVES
from tools.pseudo_report import DECOYS, leaked

Case = tuple[str, dict[str, Any], list[tuple[str, dict[str, Any]]]]


#: rows whose reasoning holds a draft call that a later call supersedes (spec 002
#: §"Extraction pipeline", reasoning drafts)
DRAFT_IN_REASONING = {"magistral-call-inside-think-is-reasoning"}


def _cases() -> list[Case]:
    cases: list[Case] = [
        (text, dict(OFFERED), list(calls)) for _id, text, calls, _v in POSITIVES if calls
    ]
    path = Path(REPO) / "tests" / "fixtures" / "pseudo_calls_real.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        expected = row.get("expected_all") or [row.get("expected") or {}]
        if row["kind"] != "positive" or any(c.get("arguments") is None for c in expected):
            continue
        if row["id"] in DRAFT_IN_REASONING:
            continue  # cut inside the reasoning, the draft would be the only (and so real) call
        tools = row.get("tools") or {c["name"]: None for c in expected}
        cases.append((row["text"], DECOYS | tools, [(c["name"], c["arguments"]) for c in expected]))
    return cases


CASES = _cases()
_TAG = re.compile(r"<[|｜]?[/\w:.=\-▁｜ \"]{1,40}[|｜]?>|\[[A-Z_]{3,}\]")
PROSE = ("Let me check that for you.", "好的，我来查一下。", "Sure thing:", "Done")
JUNK = ("天天中彩票 ", "մեկնաբանություն", "კომენტary ", "北京赛车开奖_json ", "ંалда ")
#: reasoning written into the text before the call: a block, another dialect, an orphan close
THINKING = ("<think>\nLet me check.\n</think>\n\n", "[THINK]ok[/THINK]", "</think>\n\n")
STRAYS = ("</arg_value>", "</tool_call>", "</parameter>", "</function>", "<|call|>", "<|im_end|>")


#: wrapper tags and tokens (not parameter tags: their names are argument keys)
_WRAPPER = re.compile(r"(?i)tool|call|function|invoke|channel|message|constrain|python|[|｜]")


def _wrappers(text: str) -> list[re.Match[str]]:
    return [m for m in _TAG.finditer(text) if _WRAPPER.search(m.group())]


def _first_tag(text: str) -> re.Match[str] | None:
    tags = _wrappers(text)
    return tags[0] if tags else None


def _last_tag(text: str) -> re.Match[str] | None:
    tags = _wrappers(text)
    return tags[-1] if tags else None


def _garble(tag: str, k: int) -> str:
    inner = [i for i, ch in enumerate(tag) if ch.isalpha()]
    if not inner:
        return tag
    i = inner[k % len(inner)]
    return tag[:i] + ("-" if k % 2 else tag[i].swapcase()) + tag[i + 1 :]


def mutate(text: str, kind: str, k: int, expected_names: tuple[str, ...] = ()) -> str:
    """One corruption seen in real output (``k`` picks the variant; ``expected_names`` are
    the tool names the call uses)."""
    if kind == "glue":  # (a name glued to a word is another word: not a corruption)
        text = text.lstrip()
        prose = PROSE[k % len(PROSE)]
        return (prose + "." if text[:1].isalnum() or text[:1] == "_" else prose) + text
    if kind == "junk":
        return JUNK[k % len(JUNK)] + text
    if kind == "think_before" and not text.lstrip().startswith("```"):
        # a reasoning block (or its orphan close) before the call (before a whole-message
        # fence it makes the fence code: spec 002 §"Known limits")
        return THINKING[k % len(THINKING)] + text
    if kind == "namespace" and expected_names:  # ``"mcp__SERVER__NAME"`` for an offered NAME
        name = re.escape(expected_names[k % len(expected_names)])  # (a quoted or tag name)
        return re.sub(rf"([\"'=]){name}(?=[\"'>])", r"\1mcp__srv__" + name, text, count=1)
    if kind == "stray_close":
        return text + STRAYS[k % len(STRAYS)]
    if kind == "python_literals" and '{"' in text and "'" not in text:
        swapped = text.replace('"', "'")  # JSON objects written as Python literals
        return re.sub(r":\s*true\b", ": True", re.sub(r":\s*null\b", ": None", swapped))
    if kind == "fence_whole" and text.lstrip()[:1] == "<" and "```" not in text:
        # the model fences its own call markup (```xml / ```json): still a call
        return f"```{('xml', 'json')[k % 2]}\n{text.strip()}\n```"
    opening = kind in ("drop_open", "garble_open", "repeat", "attributes")
    tag = _first_tag(text) if opening else _last_tag(text)
    if tag is None:
        return text
    a, b = tag.span()
    if kind in ("drop_open", "drop_close"):
        return text[:a] + text[b:]
    if kind in ("garble_open", "garble_close"):
        return text[:a] + _garble(tag.group(), k) + text[b:]
    if kind == "repeat":
        return text[:b] + tag.group() + text[b:]
    if kind == "attributes" and re.fullmatch(r"<[A-Za-z_][\w:.-]*>", tag.group()):
        return text[: b - 1] + f' id="call_{k}"' + text[b - 1 :]  # ``<tool_call id="…">``
    return text


#: corruptions after which the call is still whole: it must come back exactly or not at all
KEEPING = ("glue", "junk", "stray_close", "repeat", "python_literals", "think_before")
KINDS = (
    *KEEPING,
    "namespace",
    "drop_open",
    "garble_open",
    "drop_close",
    "garble_close",
    "truncate",
    "attributes",
    "fence_whole",
)


def _part_of(call: tuple[str, dict[str, Any]], expected: list[tuple[str, dict[str, Any]]]) -> bool:
    """Is ``call`` one of ``expected`` with some of its last arguments missing?"""
    name, args = call
    return any(
        name == n and all(k in a and a[k] == v for k, v in args.items()) for n, a in expected
    )


def _values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for item in value.values() for v in _values(item)]
    if isinstance(value, list):
        return [v for item in value for v in _values(item)]
    return [value]


def _written(value: Any, text: str) -> bool:
    """Is ``value`` written in ``text`` (as is, JSON-escaped or as a Python literal)?"""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, (int, float)):
        return str(value) in text or repr(value) in text
    return any(form in text for form in (value, json.dumps(value)[1:-1], repr(value)[1:-1]))


@settings(
    max_examples=int(os.environ.get("PSEUDO_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.sampled_from(CASES),
    st.sampled_from(KINDS),
    st.integers(min_value=0, max_value=1000),
    st.lists(st.integers(min_value=1, max_value=24), min_size=1, max_size=60),
)
def test_corrupted_calls_keep_the_invariants(
    case: Case, kind: str, k: int, cuts: list[int]
) -> None:
    text, offered, expected = case
    names = [name for name, _args in expected]
    mutated = (
        text[: k % (len(text) + 1)] if kind == "truncate" else mutate(text, kind, k, tuple(names))
    )

    guard = StreamGuard(offered, max_held_chars=10**9, max_held_responses=10**9)
    released, pos = [], 0
    for n in cuts:
        released.append(guard.feed(mutated[pos : pos + n]).release)
        pos += n
    released.append(guard.feed(mutated[pos:]).release)
    shown = "".join(released)
    assert shown + guard.finish() == mutated
    assert not leaked(shown, names), (kind, shown[-80:])

    result = extract(mutated, offered)
    got = [(c.name, c.arguments) for c in result.calls]
    if kind == "truncate":  # a call cut after a whole member may lose the members after it
        assert all(_part_of(call, expected) for call in got), (kind, got)
    else:
        assert all(call in expected for call in got), (kind, got)
    if kind in KEEPING:
        assert got == expected[: len(got)]
        assert got or result.status == "unrecoverable"
    for call in result.calls:
        assert all(_written(v, mutated) for v in _values(call.arguments)), call

    decision = decide(Turn(text=mutated), offered, FallbackSettings(), retries_left=1)
    if result.status == "recovered":
        assert isinstance(decision, Recovered)
    elif result.status == "unrecoverable":
        assert isinstance(decision, Retry)
    else:
        assert isinstance(decision, Passthrough)
