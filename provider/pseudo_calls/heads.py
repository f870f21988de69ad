"""Where a pseudo tool call may start in streamed text: one compiled matcher per tool set.

A *head* is the first few characters of anything that may turn into a call:

* a special token ``<|…`` / ``<｜…`` (every harmony, Kimi, DeepSeek, Llama, Gemma …
  token) or a tag ``<name`` (``<tool_call>``, ``<function=``, ``<invoke``,
  ``<get_weather>``, ``<seed:tool_call>`` …);
* a bracket and a word (``[TOOL_CALLS]``, ``[ARGS]``, ``[Called function``, a list of
  Python calls ``[get_weather(`` …);
* an object or a list of objects: ``{"`` / ``{'`` / ``[{``;
* the words ``to=``, ``functions.``, ``default_api.``, ``assistant``,
  ``declaration:default_api:``, the ReAct label ``Action:``, Functionary's ``>>>name`` and
  every **offered tool name**, anywhere in a line
  (:func:`word_boundary`: not glued to a word or a URL character);
* the leak-carrying fences ```` ```tool_code ```` / ```` ```tool_call ````.

Every literal marker of every family (:data:`~.registry.MARKERS`) starts with one of
these, so one search for heads finds them all. :func:`matcher` compiles the heads into
one regex per set of names (cached); :func:`partial_len` tells how much of a text's end
may still grow into a head and must wait for the next delta. What a head really is,
:mod:`.verdicts` decides.

Spec: specs/002-pseudo-tool-calls/spec.md §"Streaming guard".
"""

from __future__ import annotations

import functools
import re

#: words that start a head, besides the offered tool names
WORD_HEADS = (
    "to=",
    "functions.",
    "default_api.",
    "assistant",
    "Assistant",
    "declaration:default_api:",
    "Action:",
)
_SYMBOL_HEADS = r"<[|｜‖A-Za-z_]|\[[ \t\r\n]*[A-Za-z_{]|\{[ \t\r\n]*[\"']|```tool_c|>>>[A-Za-z_]"
#: characters a head word may contain (a run of them at the end may be a partial head)
WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:=-")
_WORD_CHARS_STR = "".join(sorted(WORD_CHARS))
#: a head word glued to one of these is part of a word, not a head
_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
#: ``to=`` / ``functions.`` glued to one of these is part of a URL or a dotted path
_PATH = frozenset("?&/=#%@+.")
_FENCES = ("```tool_code", "```tool_call")
_PATH_WORDS = ("to=", "functions.", "default_api.")


@functools.lru_cache(maxsize=64)
def matcher(names: tuple[str, ...]) -> re.Pattern[str]:
    """One regex finding every head (symbol heads, head words, offered names).

    Word heads are found without a boundary check: call :func:`word_boundary` on a match
    that starts with a letter. Cached per set of names.
    """
    words = sorted({*WORD_HEADS, *(n for n in names if n)}, key=len, reverse=True)
    return re.compile(_SYMBOL_HEADS + "|" + "|".join(re.escape(w) for w in words))


@functools.lru_cache(maxsize=64)
def word_prefixes(names: tuple[str, ...]) -> frozenset[str]:
    """Every non-empty proper prefix of the head words and the offered names."""
    words = {*WORD_HEADS, *(n for n in names if n)}
    return frozenset(w[:i] for w in words for i in range(1, len(w)))


def whole_name(text: str, m: re.Match[str], names: frozenset[str]) -> bool:
    """False when the head ``m`` is an offered name continued by a word character
    (``read`` in ``ready``): that is another word. Other heads pass."""
    end = m.end()
    return end >= len(text) or m.group() not in names or text[end] not in _WORD


def word_boundary(text: str, pos: int, before: str = "") -> bool:
    """True when a head word at ``text[pos]`` is not glued to a word character (nor, for
    ``to=`` / ``functions.`` / ``default_api.``, to a URL or path character); ``before``
    is the character preceding ``text``. Symbol heads always pass. A tool name glued to
    the end of a sentence (``…for you.get_weather(``) is a head."""
    if not (text[pos].isalpha() or text[pos] == "_"):
        return True
    prev = text[pos - 1] if pos else before
    if not prev or prev in _WORD:
        return not prev
    if prev not in _PATH:
        return True
    rest = text[pos : pos + 12]
    words = _PATH_WORDS if prev != "." else _PATH_WORDS[1:]  # ``Done.to=…`` is a head
    return not any(rest.startswith(w) or w.startswith(rest) for w in words)


def partial_len(text: str, before: str, prefixes: frozenset[str]) -> int:
    """Length of the longest end of ``text`` that may still grow into a head.

    ``before`` is the character preceding ``text``. Constant work for typical text: the
    trailing word is found with one ``str.rstrip`` and looked up in ``prefixes``.
    """
    last = text[-1:]
    k = 0
    if last in WORD_CHARS:  # the common case: the text ends inside a word
        start = len(text.rstrip(_WORD_CHARS_STR))
        frag = text[start:]
        if frag in prefixes and word_boundary(text, start, before):
            k = len(frag)
        elif "." in frag or ":" in frag:  # ``x.get_wea`` / ``call:get_wea``
            cut = max(frag.rfind("."), frag.rfind(":")) + 1
            if frag[cut:] in prefixes and word_boundary(text, start + cut, before):
                k = len(frag) - cut
        if "`" not in text[-12:]:
            return k
    elif not last:
        return 0
    elif last == ">":  # ``>>>`` (Functionary) may be followed by a tool name
        return min(3, len(text) - len(text.rstrip(">")))
    elif last in "<[{":
        return 1
    elif last in " \t\r\n":
        stripped = text.rstrip(" \t\r\n")
        return len(text) - len(stripped) + 1 if stripped[-1:] in ("[", "{") else 0
    fence = text.rfind("```", max(0, len(text) - 12))
    if fence >= 0 and any(f.startswith(text[fence:]) for f in _FENCES):
        return max(k, len(text) - fence)
    return max(k, len(text) - len(text.rstrip("`")) if last == "`" else 0)
