"""Map a tool name as the model wrote it to one of the offered tool names.

Spec: specs/002-pseudo-tool-calls/spec.md §"Validation gates".
"""

from __future__ import annotations

import re

from .model import Offered

_PREFIXES = ("functions.", "function.", "default_api.", "tools.", "tool.")
_STRIP = " \t\r\n\"'`<>[](){}"
#: what separates a server / namespace from a tool name (``mcp__fs__read_file``,
#: ``fs.read_file``, ``fs/read_file``, ``fs:read_file``)
_NAMESPACE = re.compile(r"__|[./:]")


def resolve_name(raw: str | None, offered: Offered) -> str | None:
    """Return the offered name ``raw`` refers to, or ``None``.

    Order: exact; after removing a ``functions.``-style namespace; then ``.``↔``_``
    normalisation; then a case-insensitive match; then a server namespace on one side
    only (``mcp__inkwell__send_response`` ↔ ``send_response``) — the last three only when
    exactly one offered name matches. Example: ``"functions.shell.exec"`` →
    ``"shell_exec"`` when only ``shell_exec`` is offered.
    """
    if not raw or not offered:
        return None
    name = raw.strip(_STRIP)
    if not name:
        return None
    candidates = [name]
    for prefix in _PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            candidates.append(name[len(prefix) :])
            break
    for cand in candidates:
        if cand in offered:
            return cand
    for fold in (False, True):
        matches: set[str] = set()
        for cand in candidates:
            key = _norm(cand, fold)
            matches.update(n for n in offered if _norm(n, fold) == key)
        if len(matches) == 1:
            return matches.pop()
        if len(matches) > 1:
            return None
    tail = _tail(name)
    namespaced = {n for n in offered if n == tail or _tail(n) == name}
    return namespaced.pop() if len(namespaced) == 1 else None


def _tail(name: str) -> str | None:
    """The tool name after a server namespace (``mcp__fs__read`` → ``read``), else ``None``."""
    parts = _NAMESPACE.split(name)
    return parts[-1] if len(parts) > 1 and parts[-1] else None


def spaced_name(text: str, pos: int, offered: Offered) -> str | None:
    """The longest offered name containing a space that ``text`` spells at ``pos`` (after
    an optional ``functions.``-style namespace) as a whole word, else ``None``. Names
    with spaces exist on some servers (LM Studio plugin tools such as ``Web Search``)."""
    spaced = [n for n in offered if " " in n]
    if not spaced:
        return None
    for prefix in _PREFIXES:
        if text.startswith(prefix, pos):
            pos += len(prefix)
            break
    for name in sorted(spaced, key=len, reverse=True):
        end = pos + len(name)
        if text.startswith(name, pos) and (end == len(text) or not text[end].isalnum()):
            return name
    return None


def could_be_name_prefix(prefix: str, offered: Offered, *, fold: bool = True) -> bool:
    """True when ``prefix`` may still grow into a name :func:`resolve_name` accepts.

    ``fold=False`` compares case-sensitively (used for unquoted names at message start).
    """
    if not prefix:
        return True
    low = prefix.replace(".", "_")
    if fold:
        low = low.casefold()
    for ns in _PREFIXES:
        ns_key = ns.replace(".", "_")
        if ns_key.startswith(low):
            return True
        if low.startswith(ns_key):
            low = low[len(ns_key) :]
            break
    return any(_norm(n, fold).startswith(low) for n in offered)


def _norm(name: str, fold: bool) -> str:
    key = name.replace(".", "_")
    return key.casefold() if fold else key
