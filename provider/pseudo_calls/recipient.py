"""Plain ``to=`` recipient leaks (GPT-5.x / Codex degenerations, gpt-4 era forms).

Shapes: ``assistant to=functions.NAME {…}``, ``NAME to=functions.NAME ={…}``,
``Assistant to=functions.NAME:\\n{…}``, ``to=functions.NAME code:\\n{…}``,
``to=ns.tool code: {…}``, ``to=functions.NAME <|constrain|>json<|message|>{…}<|call|>``,
``to=multi_tool_use.parallel {"tool_uses": […]}``, and degenerate spam where the arguments
are lost (``天天中彩票 to=functions.exec_command …``, ``})();*** End Patch```}
functions.apply_patch from=commentary (json``, also without ``to=``) → unrecoverable.

A ``to=`` inside a URL (``?to=functions.html``), a bare ``to=functions.`` and a mention in
a sentence without arguments and without signs of degeneration are not leaks.

Spec: specs/002-pseudo-tool-calls/spec.md §"Formats" (plain_to_functions_*,
to_recipient_code_colon_json, degenerate_to_functions_spam).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Any

from .args import parse_object
from .blocks import scan_balanced
from .model import MAX_LEAKS, Family, Leak, RawCall, Scan

# ``to=`` not glued to a word or URL character; recipient = dotted identifier. A bare
# ``functions.NAME`` (degenerate output drops the ``to=``) counts as a recipient too.
MARKER = re.compile(
    r"(?:(?<![A-Za-z0-9_?&/=#%@+\-])to=|(?<![A-Za-z0-9_?&/=#%@+.\-])(?=functions\.[A-Za-z_]))"
    r"(?P<rcpt>[A-Za-z_][\w\-]*(?:[.:][A-Za-z0-9_][\w\-]*)*)"
)
_SEP = re.compile(
    r"(?:[ \t\r\n]+|<[|｜](?:constrain|message|channel)[|｜]>|(?:json|JSON|code|commentary)"
    r"(?![A-Za-z])|[:=]|```(?:json)?)*"
)
#: a garbled content type: ``(json…`` up to the end of its line, then the object's line
_GARBLED = re.compile(r"\((?:json|code)\b[^\n{]{0,48}\n[ \t]*(?=\{)")
_NON_CALL = frozenset({"assistant", "user", "system", "developer", "all", "functions"})
_PARALLEL = ("multi_tool_use.parallel", "functions.multi_tool_use.parallel")


def read_arguments(text: str, pos: int, limit: int) -> tuple[str | None, int]:
    """Read separators then one JSON object starting at ``pos``.

    Returns ``(argument text or None, end index)``. An unclosed object runs to ``limit``
    (the next marker), so a truncated call cannot swallow the following one. Degenerate
    output garbles the content type (``(json 恒一``, ``(json in assistant code)``): a short
    gap without words of prose before the object's line is skipped too.
    """
    sep = _SEP.match(text, pos, limit)
    brace = sep.end() if sep else pos
    if brace < limit and text[brace] != "{":
        junk = _GARBLED.match(text, brace, min(limit, brace + 64))
        if junk and len(re.findall(r"[A-Za-z]{2,}", junk.group())) <= 4:
            brace = junk.end()
    if brace >= limit or text[brace] != "{":
        return None, pos
    end = scan_balanced(text, brace, limit)
    if end is None:
        return text[brace:limit].rstrip(), limit
    return text[brace:end], end


def split_parallel(name: str | None, args: dict[str, Any] | None) -> list[RawCall] | None:
    """Expand ``multi_tool_use.parallel`` arguments into calls (``None`` if not that)."""
    if name not in _PARALLEL:
        return None
    uses = args.get("tool_uses") if isinstance(args, dict) else None
    if not isinstance(uses, list):
        return [RawCall(None, None)]
    calls: list[RawCall] = []
    for use in uses:
        if not isinstance(use, dict):
            calls.append(RawCall(None, None))
            continue
        params = use.get("parameters", use.get("arguments"))
        if isinstance(params, str):
            params = parse_object(params)
        calls.append(
            RawCall(
                str(use.get("recipient_name") or use.get("name") or "") or None,
                params if isinstance(params, dict) else None,
            )
        )
    return calls


_FENCE_CLOSE = re.compile(r"\s*```")


_TRAILING_TOKENS = re.compile(r"(?:[ \t]*(?:<[|｜](?:call|end|return)[|｜]>|```))+")


#: recipients read per message: each costs a few bounded searches, and a message naming
#: thousands of them is junk whose first few decide it
MAX_MARKERS = 4 * MAX_LEAKS


def find(scan: Scan) -> list[Leak]:
    """Find ``to=RECIPIENT`` / ``functions.NAME`` leaks outside claimed spans (see module)."""
    text, masked = scan.text, scan.masked
    matches = [m for m in MARKER.finditer(masked) if scan.free(m.start())]
    bounds = [m.start() for m in matches if masked.startswith("to=", m.start())]
    leaks: list[Leak] = []
    for m in matches[:MAX_MARKERS]:
        if len(leaks) >= MAX_LEAKS:
            break
        if leaks and m.start() < leaks[-1].end:
            continue  # inside the arguments of the previous call
        rcpt = m.group("rcpt").rstrip(".:-")
        is_functions = rcpt.startswith("functions.")
        bare = not masked.startswith("to=", m.start())
        if rcpt.lower() in _NON_CALL or (bare and _inside_token(masked, m.start())):
            continue
        if not is_functions and not _has_args_after(text, m.end()):
            continue
        later = bisect_right(bounds, m.start())
        next_start = bounds[later] if later < len(bounds) else len(text)
        limit = _limit(masked, m.end(), next_start)
        args_text, end = read_arguments(text, m.end(), limit)
        start = _span_start(text, m.start(), rcpt)
        if args_text is not None:
            args = parse_object(args_text)
            if "```" in text[m.end() : end]:
                fence_close = _FENCE_CLOSE.match(text, end)
                if fence_close:
                    end = fence_close.end()
            tail = _TRAILING_TOKENS.match(text, end)
            if tail:
                end = tail.end()
            parallel = split_parallel(rcpt, args)
            calls = parallel if parallel is not None else [RawCall(rcpt, args)]
            sep = text[m.end() : end]
            strong = is_functions or bool(re.search(r"code|json|<[|｜]", sep[:40]))
            leaks.append(Leak(start, end, RECIPIENT.name, calls, strong))
            continue
        if not is_functions or len(rcpt) <= len("functions."):
            continue
        if not _degenerate(text, m, len(matches)):
            continue
        start = _junk_start(text, start)
        leaks.append(
            Leak(start, len(text), RECIPIENT.name, [RawCall(rcpt, None)], True, vetoable=False)
        )
        break  # everything after a degeneration is noise: the span runs to the end
    return leaks


def _inside_token(masked: str, pos: int) -> bool:
    """``functions.x`` written as a harmony role or inside a token (``<|start|>functions.x``,
    ``<|tool_call_begin|>functions.x:0``) belongs to that family, not to this one."""
    return masked[max(0, pos - 2) : pos] in ("|>", "｜>") or masked[pos - 1 : pos] == ">"


def _has_args_after(text: str, pos: int) -> bool:
    return read_arguments(text, pos, len(text))[0] is not None


_TERMINATOR = re.compile(r"<[|｜](?:call|end|return|start)[|｜]>")


def _limit(masked: str, pos: int, next_marker: int) -> int:
    term = _TERMINATOR.search(masked, pos, next_marker)
    return term.start() if term else next_marker


_LOOKBACK = re.compile(
    r"(?:(?:<[|｜]start[|｜]>)?(?:assistant|Assistant|ASSISTANT)?(?:<[|｜]channel[|｜]>)?"
    r"(?:commentary|analysis|final)?|</?commentary)[ \t]*$"
)


def _span_start(text: str, at: int, rcpt: str) -> int:
    line_start = max(text.rfind("\n", max(0, at - 200), at) + 1, at - 200, 0)
    prefix = text[line_start:at]
    short = rcpt.split(".")[-1]
    for word in (short, rcpt):
        stripped = prefix.rstrip(" \t")
        if word and stripped.endswith(word):
            before = stripped[: len(stripped) - len(word)]
            if not before or not (before[-1].isalnum() or before[-1] == "_"):
                return line_start + len(before)
    lb = _LOOKBACK.search(prefix)
    if lb and lb.group().strip():
        return line_start + lb.start()
    return at


_SENTENCE_END = re.compile(r"[.!?。！？](?=\s)")


def _junk_start(text: str, start: int) -> int:
    """Extend an unrecoverable span left to the start of its sentence fragment.

    Degenerate output glues junk (``}``, ``</x>``, spam words) before the marker; the cut
    starts after the last sentence end on the line, or at the line start.
    """
    line_start = max(text.rfind("\n", max(0, start - 300), start) + 1, start - 300, 0)
    prefix = text[line_start:start]
    ends = [m.end() for m in _SENTENCE_END.finditer(prefix)]
    return line_start + ends[-1] if ends else line_start


# degenerate-output evidence: channel residue, spam scripts and tokens, code junk
_RESIDUE = re.compile(
    r"</?commentary|<[|｜]|\bnumerusform\b|[_＿]json\b|assistant(?:commentary|analysis|final)"
    r"|\b(?:commentary|analysis)\s*$|\bfrom=\w|\(json\b|\*\*\* (?:End|Begin) Patch"
)
#: scripts and tokens of degenerate output (Armenian, Georgian, Thai, Gujarati, lottery spam),
#: and words that mix scripts (``კომენტary``, ``ંалда``)
_OTHER = "\u0370-\u03ff\u0400-\u04ff\u0530-\u058f\u0900-\u0dff\u0e00-\u0e7f\u10a0-\u10ff"
_SPAM_SCRIPT = re.compile(
    rf"[\u0530-\u058F\u0900-\u0DFF\u0E00-\u0EFF\u0F00-\u109F\u10A0-\u10FF\u1200-\u137F"
    rf"\u1780-\u17FF]|彩票|赛车|开奖|中彩|时时彩"
    rf"|[{_OTHER}]+[A-Za-z]|[A-Za-z]+[{_OTHER}]|[\u0900-\u0DFF][\u0400-\u04FF]"
)
_JUNK_BEFORE = re.compile(r"(?:[}\]>)`;]|\*\*\*|```)[ \t]*$")
# words that introduce a *mention* of the syntax (kept narrow: degenerate chain-of-thought
# also talks about "format" and "output")
_EXPLAIN = re.compile(
    r"(?i)\b(?:syntax|means?|meaning|for example|e\.g\.|such as|looks like|stands for|"
    r"prefix|recipient|notation|addressed|denotes?|written as|refers? to|is called|named)\b"
    r"|表示|格式|语法|例如|比如|意思|前缀|形式|例えば|という|示例"
)


def _degenerate(text: str, m: re.Match[str], count: int) -> bool:
    """True when a ``to=functions.X`` without arguments looks like model degeneration."""
    line_start = text.rfind("\n", max(0, m.start() - 100), m.start()) + 1
    line_end = text.find("\n", m.end(), m.end() + 100)
    line_end = len(text) if line_end < 0 else line_end
    before = text[max(line_start, m.start() - 60) : m.start()]
    after = text[m.end() : min(line_end, m.end() + 60)]
    evidence = 0
    if count > 1:
        evidence += 2
    if _RESIDUE.search(before) or _RESIDUE.search(after):
        evidence += 2
    if _SPAM_SCRIPT.search(before) or _SPAM_SCRIPT.search(after):
        evidence += 2
    if _JUNK_BEFORE.search(before):
        evidence += 2
    if re.search(r"(?:^|[^A-Za-z])(?:assistant|Assistant)[ \t]*$", before):
        evidence += 2
    if re.match(r"\.?[ \t]*(?:code|json)\b|_json|[ \t]*\(json", after):
        evidence += 2
    if evidence and re.match(r"[.>]?[ \t]*(?:$|\n)", after):
        evidence += 1  # ends its line: supports other evidence, never alone
    if not evidence and not before.strip() and not after.strip():
        evidence += 2  # the marker alone on its line
    explanation = 0
    if _EXPLAIN.search(before) or _EXPLAIN.search(after[:40]):
        explanation += 1
    if re.search(r"[\"'“「『(（][ \t]*$", before) or re.match(r"[\"'”」』)）]", after):
        explanation += 2
    return evidence > explanation


RECIPIENT = Family("recipient", find, needles=("to=", "functions."))
