"""Tell a call the model *made* from call syntax the text only *mentions*.

Code fences, inline code and ``>`` quotes are masked before any family looks (see
:mod:`.masking`). This module decides the rest, for one leak span at a time:

* :func:`quoted` — the span sits inside quotation marks (``"…"``, ``“…”``, ``「…」``,
  ``『…』``, ``«…»``): a group member who gets the model to repeat text must not be able
  to run a tool with it;
* :func:`introduced` — the text right before the span introduces it as an example, a
  format, or as something someone said, sent or asked to repeat ("for example",
  "the format is", "You asked me to repeat:", "例如", "你发的是" …);
* :func:`transcript_start` — where a quoted conversation (a ``user``/``system`` turn
  header) begins: everything after it documents a prompt format.

Spec: specs/002-pseudo-tool-calls/spec.md §"What counts as a false positive".
"""

from __future__ import annotations

import re

#: placeholders of a format description (``<function-name>``, ``{...}``, ``FUNCTION_NAME``)
PLACEHOLDER = re.compile(
    r"<[a-z]+(?:[- ][a-z]+)+>|\{\s*(?:\.\.\.|…)\s*\}|\b(?:FUNCTION_NAME|func_name|function_name"
    r"|tool_name|tool_call_name|tool_call_arguments)\b"
)


_TRANSCRIPT = re.compile(
    r"<\|im_start\|>\s*(?:system|user)\b|<[|｜]start[|｜]>\s*(?:system|user|developer)\b"
    r"|<\|start_header_id\|>\s*(?:system|user)\b|<start_of_turn>\s*user\b"
)


def transcript_start(masked: str) -> int:
    """Index where a quoted *conversation* begins (a system/user turn header), else
    ``len(masked) + 1``: a model's own output starts inside its own turn."""
    m = _TRANSCRIPT.search(masked)
    return m.start() if m else len(masked) + 1


_PAIRS = (("“", "”"), ("「", "」"), ("『", "』"), ("«", "»"))


_ESCAPED_QUOTE = re.compile(r'\\"')


def quoted(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` sits inside quotation marks.

    Typographic quotes: an opener before the span in its paragraph that is not closed
    before it. ASCII ``"``: an odd number of (unescaped) double quotes before the span on
    its line (none of them after a ``{``), or quotes hugging the span on both sides
    (also ``'``).
    """
    para = max(text.rfind("\n\n", 0, start) + 2, 0)
    before = text[para:start]
    for opener, closer in _PAIRS:
        if before.rfind(opener) > before.rfind(closer):
            return True
    line = text[text.rfind("\n", 0, start) + 1 : start]
    if "{" not in line and _ESCAPED_QUOTE.sub("", line).count('"') % 2 == 1:
        return True  # (quotes after a ``{`` on the line belong to an object)
    left = text[:start].rstrip(" \t")[-1:]
    right = text[end:].lstrip(" \t")[:1]
    return left in ("'", '"') and right == left


_INTRO = re.compile(
    r"(?i)\b(?:examples?|e\.g\.|for instance|such as|looks? like|syntax|template|parsers?|"
    r"emits?|(?:the|this|that|following|a|call|output) format|format (?:is|looks)|"
    r"formatted as|repeat(?:ed|ing)?|quot(?:e|ed|ing)|echo(?:ed|ing)|verbatim|"
    r"(?:you|user|they|he|she|someone|somebody|member|message) (?:said|wrote|write|sent|"
    r"send|typed|pasted|posted|(?:asked|requested|wants?)(?:\s*:|(?: me)? to (?:repeat|say|"
    r"write|type|echo|send|output|print|copy|paste|show|quote)))|"
    r"(?:said|wrote|sent|typed|pasted|posted)\s*:)\b|format:"
    r"|例如|比如|示例|例子|格式|语法|形式|你说|你发|你让我|让我重复|复述|重复一下|原话|原文|引用|粘贴"
    r"|例えば|次のように|以下のように|記法|繰り返|引用"
    r"|(?i:\bformats?\b[^\n]{0,80}:[ \t]*$)"
)


_LABEL_ONLY = re.compile(r"[^\w\n]*|[ \t]*[\w .\-/]{1,40}:[ \t]*")


#: JSON strings in the text before a span are data (``{"cmd": "echo ok"}``), not wording
_STRINGS = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def introduced(text: str, start: int) -> bool:
    """True when the text just before ``start`` introduces the span as an example, a
    format or someone's words (see the module docstring).

    Looks at the same line before ``start``; when the span starts its line, at the
    previous non-blank line (an introduction such as "The format looks like this:").
    """
    line_start = text.rfind("\n", 0, start) + 1
    context = _STRINGS.sub("", text[max(line_start, start - 160) : start])
    if _introduces(context):
        return True
    end = line_start - 1
    hops = 0
    # a span that starts its line, or follows only a label or punctuation on it (``+    '``,
    # ``DeepSeek-V3.1:``), is introduced by the line(s) before it
    while _LABEL_ONLY.fullmatch(context) and end > 0 and hops < 3:
        prev_start = text.rfind("\n", 0, end) + 1
        context = _STRINGS.sub("", text[max(prev_start, end - 400) : end])
        end = prev_start - 1
        hops += 1
    return _introduces(context)


#: a CJK sentence end: the sentence with the word is over (``先看看原文。`` — "let me read
#: the original first." — is an action, not ``原文如下：`` introducing a quote)
_CJK_SENTENCE_END = re.compile(r"[。！？]")


def _introduces(context: str) -> bool:
    words = list(_INTRO.finditer(context))
    if not words:
        return False
    last = words[-1]  # (the last introducing word counts)
    return not (last.group()[:1] >= "\u3000" and _CJK_SENTENCE_END.search(context, last.end()))


def mention(text: str, start: int, end: int) -> bool:
    """:func:`quoted` or :func:`introduced`: the span is shown, not emitted."""
    return quoted(text, start, end) or introduced(text, start)
