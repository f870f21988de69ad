"""Text scanning shared by the family finders: balanced brackets and opener/closer blocks.

Spec: specs/002-pseudo-tool-calls/spec.md §"Limits and robustness".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .model import MAX_LEAKS, Scan

_SCAN = re.compile(r"\\.|[\"'{}\[\]()]", re.S)


def scan_balanced(text: str, start: int, limit: int | None = None) -> int | None:
    """Return the index just past the bracket that closes ``text[start]``.

    ``text[start]`` must be ``{``, ``[`` or ``(``. Strings in double or single quotes
    (with backslash escapes) are skipped, so brackets inside strings do not count. Returns
    ``None`` when the value is not closed before ``limit`` (default: end of text).
    """
    end = len(text) if limit is None else min(limit, len(text))
    depth = 0
    quote = ""
    for m in _SCAN.finditer(text, start, end):
        tok = m.group()
        if quote:
            if tok == quote:
                quote = ""
        elif tok in "\"'":
            if tok == "'" and text.find("'", m.end(), end) < 0:
                continue  # a lone apostrophe in JSON-ish text is not a string
            quote = tok
        elif tok in "{[(":
            depth += 1
        elif tok in "}])":
            depth -= 1
            if depth <= 0:
                return m.end()
    return None


def skip_ws(text: str, pos: int) -> int:
    """The first index at or after ``pos`` that is not whitespace."""
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


@dataclass(slots=True)
class Block:
    """One ``opener … closer`` block: ``opener`` is the match in the masked text, the body
    is ``text[body_start:body_end]``, the block ends at ``end`` (past the closer when
    ``closed``, else at the next opener or the end of the text)."""

    opener: re.Match[str]
    body_start: int
    body_end: int
    end: int
    closed: bool

    @property
    def start(self) -> int:
        """Where the opener starts."""
        return self.opener.start()


def blocks(
    scan: Scan,
    opener: re.Pattern[str],
    closer: re.Pattern[str] | None,
    *,
    bounded: bool = True,
) -> Iterator[Block]:
    """Yield the blocks of every ``opener`` found in the masked text outside claimed spans.

    The closer is searched in the original text up to the next opener (``bounded``) or
    the end of the text, so an unclosed block cannot swallow the next one. At most
    :data:`~.model.MAX_LEAKS` blocks; linear in the text.
    """
    text = scan.text
    opens = [m for m in opener.finditer(scan.masked) if scan.free(m.start())]
    for idx, m in enumerate(opens[:MAX_LEAKS]):
        nxt = opens[idx + 1].start() if bounded and idx + 1 < len(opens) else len(text)
        close = closer.search(text, m.end(), nxt) if closer is not None else None
        if close is None:
            yield Block(m, m.end(), nxt, nxt, False)
        else:
            yield Block(m, m.end(), close.start(), close.end(), True)
