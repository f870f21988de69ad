"""Pseudo tool calls: tool calls that reached us as assistant *text*.

Public API:

* :func:`extract` — find leaked calls in a finished message and recover them;
* :class:`Extraction`, :class:`RecoveredCall` — its result;
* :data:`MARKERS`, :func:`find_marker`, :func:`held_suffix_len`, :class:`MarkerScanner` —
  the streaming marker scanner used by :class:`provider.stream_guard.StreamGuard`.

Pure logic: no HTTP, no AstrBot imports. Spec: specs/002-pseudo-tool-calls/spec.md.
"""

from __future__ import annotations

from ..redaction import LOG as _LOG
from .markers import MARKERS, find_marker, held_suffix_len
from .model import Extraction, Offered, RecoveredCall, Status
from .registry import FAMILIES, run


def extract(text: str, offered: Offered) -> Extraction:
    """Detect and recover tool calls written as text in one assistant message.

    ``offered`` maps every tool name offered in the request to its JSON-schema
    ``parameters`` (or ``None``). Returns an :class:`Extraction`:

    * ``"none"`` — no leak (``visible_text`` is ``text`` unchanged): prose, code blocks or
      quotes *showing* the syntax, JSON answers that name no offered tool, URLs;
    * ``"recovered"`` — ≥ 1 call to an offered tool with an object argument;
    * ``"unrecoverable"`` — a leak marker was confirmed but no call can be run.

    Never raises on any input string. Spec: specs/002-pseudo-tool-calls/spec.md
    §"Extraction pipeline".
    """
    try:
        return run(text, offered)
    except Exception as exc:
        _LOG.warning("pseudo-call extraction failed (%s); text passed through", type(exc).__name__)
        return Extraction("none", (), text, None)


__all__ = [
    "FAMILIES",
    "MARKERS",
    "Extraction",
    "Offered",
    "RecoveredCall",
    "Status",
    "extract",
    "find_marker",
    "held_suffix_len",
]
