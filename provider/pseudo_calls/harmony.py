"""Harmony (gpt-oss / GPT-5 serialisation) leaks: full special tokens and stripped tokens.

Full tokens: ``<|start|>assistant<|channel|>commentary to=functions.x <|constrain|>json
<|message|>{…}<|call|>`` — the recipient may sit before or after ``<|channel|>``; the first
message often has no ``<|start|>assistant``. Stripped tokens (a detokenizer dropped the
special tokens): ``analysis…assistantcommentary to=functions.x json{…}assistantfinal…``.

Analysis-channel text is dropped, ``final`` text and recipient-less commentary (preambles)
stay visible, tool *result* messages (``functions.x to=assistant``) are never calls.

Spec: specs/002-pseudo-tool-calls/spec.md §"Formats" (harmony_tokens,
harmony_special_tokens_stripped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .args import parse_object
from .model import Family, Leak, Offered, RawCall, Scan
from .names import spaced_name
from .recipient import read_arguments, split_parallel

#: a harmony special token: ``<|start|>``, ``<|channel|>``, ``<|call|>`` … (also fullwidth bars)
_TOKEN = re.compile(r"<[|｜](start|end|message|channel|constrain|return|call)[|｜]>")
#: the recipient of a message header: ``to=functions.NAME``
_RECIPIENT = re.compile(r"\bto=([^\s<>]+)")
#: recipients that address a role, not a tool
_NON_CALL_RECIPIENTS = frozenset({"assistant", "user", "system", "developer", "all"})
#: what may end the text before ``<|channel|>``: a role, optionally addressed
_ROLE_TAIL = re.compile(
    r"(?:(?:assistant|user|system|developer|tool|functions\.[\w.-]+)\b)?"
    r"(?:[ \t]*to=[^\s<>]+)?[ \t]*$"
)
#: what may end a channel header before ``<|message|>``: a channel word or a recipient
_MSG_TAIL = re.compile(
    r"(?:(?:assistant|analysis|commentary|final)\b|"
    r"(?:(?:assistant|Assistant|analysis|commentary)[ \t]+)?to=[^\s<>]+"
    r"(?:[ \t]+(?:json|code))?)[ \t]*$"
)


@dataclass(slots=True)
class _Message:
    header: str
    content_start: int
    content_end: int
    closed: bool


def find(scan: Scan) -> list[Leak]:
    """Find full-token harmony regions that contain at least one call.

    Returns at most one :class:`Leak` covering the region from the first header to the
    last token, whose ``replacement`` is the user-visible text inside it.
    """
    text, masked = scan.text, scan.masked
    tokens = list(_TOKEN.finditer(masked))
    if not any(t.group(1) in ("message", "channel", "constrain", "call") for t in tokens):
        return []
    visible: list[tuple[int, str]] = []  # (position, user-visible text) inside the region
    messages: list[_Message] = []
    region_start: int | None = None
    region_end = 0
    state = "outside"
    prev = 0  # end of the last consumed piece
    header_start = 0
    content_start = 0
    header = ""

    def open_header(at: int, tail_re: re.Pattern[str]) -> int:
        nonlocal region_start
        prose = text[prev:at]
        tail = tail_re.search(prose)
        start = prev + (tail.start() if tail else len(prose))
        if region_start is None:
            region_start = start  # prose before the region stays where it is
        elif prose[: start - prev].strip():
            visible.append((prev, text[prev:start].strip()))
        return start

    for tok in tokens:
        kind = tok.group(1)
        if state == "content":
            if kind in ("end", "return", "call", "start", "channel"):
                end = tok.start()
                messages.append(_Message(header, content_start, end, kind != "channel"))
                region_end = tok.end()
                if kind == "start":
                    state, header_start = "header", tok.end()
                elif kind == "channel":
                    state, header_start = "header", tok.start()
                else:
                    state, prev = "outside", tok.end()
            continue
        if kind == "start":
            if state == "outside":
                open_header(tok.start(), re.compile(r"$"))
            state, header_start = "header", tok.end()
            region_end = tok.end()
        elif kind in ("channel", "constrain"):
            if state == "outside":
                tail = _ROLE_TAIL if kind == "channel" else _MSG_TAIL
                header_start = open_header(tok.start(), tail)
                state = "header"
            region_end = tok.end()
        elif kind == "message":
            if state == "outside":
                header_start = open_header(tok.start(), _MSG_TAIL)
            header = text[header_start : tok.start()]
            state, content_start = "content", tok.end()
            region_end = tok.end()
        else:  # end / return / call outside a message: a stray token
            if state == "outside":
                open_header(tok.start(), re.compile(r"$"))
            state, prev = "outside", tok.end()
            region_end = tok.end()
    if state == "content":
        messages.append(_Message(header, content_start, len(text), False))
        region_end = len(text)
    elif state == "header":
        region_end = len(text)

    calls: list[RawCall] = []
    first_call: int | None = None
    for msg in messages:
        content = text[msg.content_start : msg.content_end]
        channel, recipient, role = _parse_header(msg.header, scan.offered)
        if (
            recipient
            and recipient not in _NON_CALL_RECIPIENTS
            and not role.startswith("functions.")
        ):
            first_call = msg.content_start if first_call is None else first_call
            calls.extend(_calls_for(recipient, content, msg.closed))
        elif role.startswith("functions.") or recipient in _NON_CALL_RECIPIENTS:
            continue  # a (hallucinated) tool result
        elif channel != "analysis" and content.strip():
            visible.append((msg.content_start, content.strip()))
    if first_call is None or region_start is None:
        return []
    # generation should have stopped at the call: what follows it is made up
    kept = [piece for pos, piece in sorted(visible) if pos < first_call and piece]
    return [Leak(region_start, region_end, HARMONY.name, calls, True, "\n\n".join(kept))]


def _parse_header(header: str, offered: Offered) -> tuple[str, str, str]:
    """``(channel, recipient, role)`` of a header like ``assistant<|channel|>commentary``;
    a recipient may be an offered name with spaces (``to=functions.Web Search``)."""
    parts = re.split(r"<[|｜]channel[|｜]>", header, maxsplit=1)
    role_part = parts[0]
    channel_part = parts[1] if len(parts) > 1 else ""
    channel_words = channel_part.strip().split()
    channel = channel_words[0].split("<")[0] if channel_words else ""
    if channel.startswith("to="):
        channel = ""
    role_words = re.sub(r"\bto=\S+", " ", role_part).split()
    role = role_words[-1] if role_words else ""
    rec = _RECIPIENT.search(header)
    recipient = rec.group(1).rstrip(".,:;") if rec else ""
    if rec:
        recipient = spaced_name(header, rec.start(1), offered) or recipient
    return channel, recipient, role


def _calls_for(recipient: str, content: str, closed: bool) -> list[RawCall]:
    args = parse_object(content, complete=closed)
    parallel = split_parallel(recipient, args)
    if parallel is not None:
        return parallel
    return [RawCall(recipient, args)]


# -- stripped special tokens ---------------------------------------------------------------

_STRIPPED = re.compile(r"assistant(analysis|commentary|final)")
_LEADING = re.compile(r"^\s*(analysis|commentary|final)(?=[^\sa-z])")


def find_stripped(scan: Scan) -> list[Leak]:
    """Find ``…assistantcommentary to=functions.x json{…}`` regions (tokens stripped)."""
    text, masked = scan.text, scan.masked
    if "to=" not in masked:
        return []
    boundaries = [(m.start(), m.end(), m.group(1)) for m in _STRIPPED.finditer(masked)]
    lead = _LEADING.match(masked)
    if not boundaries and not lead:
        return []
    if lead:
        boundaries.insert(0, (lead.start(1), lead.end(1), lead.group(1)))
    calls: list[RawCall] = []
    pieces: list[str] = []
    found_call = False
    for idx, (_start, body_start, channel) in enumerate(boundaries):
        body_end = boundaries[idx + 1][0] if idx + 1 < len(boundaries) else len(text)
        body = text[body_start:body_end]
        rec = re.match(r"\s*to=([^\s<>{]+)", body)
        if rec:
            found_call = True
            name = rec.group(1).rstrip(".,:;")
            args_text, _end = read_arguments(body, rec.end(), len(body))
            args = parse_object(args_text) if args_text is not None else None
            parallel = split_parallel(name, args)
            calls.extend(parallel if parallel is not None else [RawCall(name, args)])
        elif channel != "analysis" and body.strip() and not found_call:
            pieces.append(body.strip())  # text after a call is made up: dropped
    if not found_call:
        return []
    return [Leak(boundaries[0][0], len(text), STRIPPED.name, calls, True, "\n\n".join(pieces))]


_TOKENS = ("channel", "start", "message", "constrain", "call")
HARMONY = Family(
    "harmony",
    find,
    markers=tuple(f"<{bar}{t}{bar}>" for bar in "|｜" for t in _TOKENS),
    needles=("<|", "<｜"),
)
STRIPPED = Family(
    "harmony_stripped",
    find_stripped,
    markers=("assistantcommentary", "assistantanalysis", "assistantfinal"),
    needles=("to=",),
)
