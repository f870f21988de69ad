"""Streaming guard: hold back text deltas that may be a pseudo tool call.

The guard sits between the accumulator's text deltas and the user. It releases text as
soon as it is provably harmless and holds only what could still be (the start of) a leak
marker; once a marker is confirmed it holds everything after it until the end of the
stream, when the caller runs :func:`~.pseudo_calls.extract` on the full text.

States (:class:`GuardState`)::

    START ──reject──▶ PASSTHROUGH ──head──▶ SUSPECT ──reject──▶ PASSTHROUGH
      │                                        │
      └──────────confirm──────────▶ CONFIRMED ◀┘──confirm
                                       │ over a limit
                                       ▼
                                    ABORTED          (any) ──finish()──▶ FINISHED

* START — nothing but the message start so far; held while the message could still be
  *only* a call (``{"name": "<offered>"…``, ``get_weather(…)``, ``read<arg_key>`` …).
* PASSTHROUGH — releasing; holds at most a suffix that could grow into a marker head
  (``<|cha``, ``[TOOL_``, `` to``).
* SUSPECT — a marker head is being examined (``to=`` before its recipient, a ``{"name"``
  object, or a head after backticks that may turn out to be inline code).
* CONFIRMED — a leak marker was confirmed: nothing more is released.
* ABORTED — CONFIRMED and the held text passed ``max_held_chars`` characters or
  ``max_held_responses`` deltas: the caller should close the upstream.

Invariant: ``"".join(all released) + finish() == "".join(all fed)``, for every split of the
input into deltas; the released text never contains a confirmed marker.

Spec: specs/002-pseudo-tool-calls/spec.md §"Streaming guard".
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from enum import Enum
from typing import Any, NamedTuple

from .pseudo_calls.markers import (
    DECLARATION,
    TRIGGER,
    CodeState,
    CodeTracker,
    Verdict,
    classify,
    held_suffix_len,
    inline_resolution,
    may_contain_head,
    start_verdict,
)


class GuardState(Enum):
    """Named states of :class:`StreamGuard` (see the module docstring)."""

    START = "start"
    PASSTHROUGH = "passthrough"
    SUSPECT = "suspect"
    CONFIRMED = "confirmed"
    ABORTED = "aborted"
    FINISHED = "finished"


class GuardStep(NamedTuple):
    """Result of :meth:`StreamGuard.feed`.

    ``release``: text safe to show now (possibly ``""``). ``abort``: the held suspect text
    exceeded a limit — close the upstream and resolve the turn as unrecoverable.
    """

    release: str
    abort: bool = False


_NOTHING = GuardStep("", False)
_ABORT = GuardStep("", True)
_new_step = tuple.__new__  # builds a GuardStep without the Python-level __new__ frame
_PASSTHROUGH = GuardState.PASSTHROUGH
_SUFFIX_ENDS = frozenset({"t", "o"})  # last chars of a held ``t`` / ``to``
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_?&/=#%@+.-")


_SPACE = frozenset(" \t\r\n")
#: a head that may directly follow a tool name (GLM: ``get_weather<arg_key>city…``)
_AFTER_NAME_HEADS = ("<arg_key>",)
#: words that lead into a ``to=`` recipient besides a tool name (``assistant to=functions.x``)
_LEAD_WORDS = ("assistant", "Assistant")


@functools.lru_cache(maxsize=64)
def _name_prefixes(names: tuple[str, ...]) -> frozenset[str]:
    """Every non-empty prefix of the offered tool names (cached per set of names)."""
    return frozenset(name[:i] for name in names for i in range(1, len(name) + 1))


def _word_suffix(text: str, before: str) -> int:
    """Held suffix of a window with no other head: a word-initial ``t`` or ``to``.

    ``before`` is the character preceding ``text``. Same result as
    :func:`~.pseudo_calls.markers.held_suffix_len` for such windows, without a regex.
    """
    if text.endswith("to"):
        n = 2
    elif text.endswith("t"):
        n = 1
    else:
        return 0
    prev = text[-n - 1] if len(text) > n else before
    return 0 if prev and prev in _WORD_CHARS else n


class StreamGuard:
    """Per-response guard over text deltas (one instance per upstream response).

    ``offered``: tool name → JSON-schema parameters (or ``None``), as for
    :func:`~.pseudo_calls.extract`. ``max_held_chars`` / ``max_held_responses``: limits on
    the held text while a marker is confirmed (→ abort) or merely suspected (→ flush).
    Cost per :meth:`feed` is proportional to the delta, not to the text so far.
    """

    __slots__ = (
        "_confirmed",
        "_held",
        "_held_deltas",
        "_last_char",
        "_max_chars",
        "_max_deltas",
        "_name_prefixes",
        "_offered",
        "_pending_head",
        "_pending_para",
        "_pending_pre",
        "_released",
        "_state",
        "_tail",
        "_tail_len",
        "_tracker",
        "_untracked",
    )

    def __init__(
        self,
        offered: Mapping[str, dict[str, Any] | None],
        *,
        max_held_chars: int,
        max_held_responses: int,
    ) -> None:
        self._offered = offered
        #: every prefix of the offered names, the lead words and DECLARATION (cached)
        self._name_prefixes = _name_prefixes((*offered, *_LEAD_WORDS, DECLARATION))
        self._max_chars = max(1, max_held_chars)
        self._max_deltas = max(1, max_held_responses)
        self._state = GuardState.START
        self._held = ""
        self._held_deltas = 0
        self._released = 0
        self._last_char = ""
        self._untracked: list[str] = []
        self._tracker = CodeTracker()
        self._pending_head = 0  # length of the head under examination (SUSPECT)
        self._pending_pre = 0  # of which: the lead-in word held before the head itself
        self._pending_para: str | None = None  # paragraph before a head that may be code
        self._confirmed = False
        self._tail: list[str] = []  # text after confirmation (joined by finish())
        self._tail_len = 0

    # -- public ------------------------------------------------------------------------

    @property
    def state(self) -> GuardState:
        """The current :class:`GuardState`."""
        return self._state

    @property
    def marker_confirmed(self) -> bool:
        """True once a leak marker was confirmed (the caller should run ``extract``)."""
        return self._confirmed

    @property
    def released_chars(self) -> int:
        """Number of characters released so far."""
        return self._released

    def feed(self, delta: str) -> GuardStep:
        """Take one text delta; return what may be shown now and whether to abort."""
        state = self._state
        if state is _PASSTHROUGH:
            win = self._held + delta if self._held else delta
            # hot path: no marker head can start in this window
            if not (
                "<" in win
                or "[" in win
                or "{" in win
                or "`" in win
                or "to=" in win
                or "assistant" in win
                or "declaration:" in win
            ):
                k = _word_suffix(win, self._last_char) if win[-1:] in _SUFFIX_ENDS else 0
                # a line that so far is one word that may become a tool name (or "assistant")
                nl = win.rfind("\n")
                if nl >= 0 or self._last_char == "\n":
                    line = win[nl + 1 :]
                    if line in self._name_prefixes:
                        k = max(k, len(line))
                    elif line and (k or line[-1] in _SPACE):
                        k = self._name_hold(win, k)  # "name " / "assistant t" …
                if k:
                    self._held = win[-k:]
                    win = win[:-k]
                else:
                    self._held = ""
                if not win:
                    return _NOTHING
                self._released += len(win)
                self._untracked.append(win)
                self._last_char = win[-1]
                return _new_step(GuardStep, (win, False))
            self._held = win
            return self._scan([])
        elif state is GuardState.CONFIRMED:
            self._tail.append(delta)  # a list: no quadratic string growth
            self._tail_len += len(delta)
            self._held_deltas += 1
            if self._over_limit():
                self._state = GuardState.ABORTED
                return _ABORT
            return _NOTHING
        elif state is GuardState.ABORTED:
            self._tail.append(delta)
            return _ABORT
        elif state is GuardState.FINISHED:
            raise RuntimeError("StreamGuard.feed() after finish()")
        if not delta:
            return _NOTHING
        self._held += delta
        out: list[str] = []
        if state is GuardState.START:
            self._held_deltas += 1
            verdict = start_verdict(self._held, self._offered)
            if verdict is Verdict.CONFIRM:
                lead = len(self._held) - len(self._held.lstrip())
                self._release(out, lead)
                return self._confirm(out)
            if verdict is Verdict.WAIT and not self._over_limit():
                return _NOTHING
            self._state = GuardState.PASSTHROUGH
            self._held_deltas = 0
        elif state is GuardState.SUSPECT:
            self._held_deltas += 1
        return self._scan(out)

    def finish(self) -> str:
        """End of stream: return the text still held (idempotent).

        A head still under examination is decided with no more text to come. The caller
        shows the returned text when ``extract`` finds no leak, and otherwise replaces it.
        """
        if self._state is GuardState.SUSPECT and self._resolve(final=True) is Verdict.CONFIRM:
            self._confirmed = True
        if self._tail:
            self._held += "".join(self._tail)
            self._tail.clear()
            self._tail_len = 0
        self._state = GuardState.FINISHED
        return self._held

    # -- internals ---------------------------------------------------------------------

    def _release(self, out: list[str], n: int) -> None:
        if n <= 0:
            return
        piece = self._held[:n]
        self._held = self._held[n:]
        out.append(piece)
        self._untracked.append(piece)
        self._released += n
        self._last_char = piece[-1]

    def _confirm(self, out: list[str]) -> GuardStep:
        self._state = GuardState.CONFIRMED
        self._confirmed = True
        if self._over_limit():
            self._state = GuardState.ABORTED
            return GuardStep("".join(out), True)
        return GuardStep("".join(out), False)

    def _over_limit(self) -> bool:
        held = len(self._held) + self._tail_len
        return held > self._max_chars or self._held_deltas > self._max_deltas

    def _scan(self, out: list[str]) -> GuardStep:
        """Release from ``_held`` up to the next head (PASSTHROUGH) or decide it (SUSPECT)."""
        while True:
            if self._state is GuardState.SUSPECT:
                verdict = self._resolve(final=False)
                if verdict is Verdict.CONFIRM:
                    return self._confirm(out)
                if verdict is Verdict.WAIT and not self._over_limit():
                    return GuardStep("".join(out), False)
                # rejected (or held too long without proof): the head is plain text
                self._release(out, self._pending_head)
                self._state = GuardState.PASSTHROUGH
                self._held_deltas = 0
            held = self._held
            m = None
            if may_contain_head(held):
                ctx = self._last_char + held
                m = TRIGGER.search(ctx, len(self._last_char))
            if m is None:
                k = self._name_hold(held, held_suffix_len(held, self._last_char))
                self._release(out, len(held) - k)
                return GuardStep("".join(out), False)
            start = m.start() - len(self._last_char)
            pre = 0
            if m.group("to") or held.startswith(_AFTER_NAME_HEADS, start):
                # the tool name or "assistant" before the head belongs to the leak
                pre = self._name_hold(held[:start], 0, complete=True)
            self._release(out, start - pre)
            self._pending_pre = pre
            self._pending_head = pre + m.end() - m.start()
            self._track()
            code = self._tracker.state()
            if code is CodeState.CODE:
                self._release(out, self._pending_head)
                continue
            self._pending_para = self._tracker.paragraph() if code is CodeState.MAYBE else None
            self._state = GuardState.SUSPECT
            self._held_deltas = 1

    def _resolve(self, *, final: bool) -> Verdict:
        """Decide the head at the start of ``_held`` (SUSPECT state)."""
        held = self._held[self._pending_pre :] if self._pending_pre else self._held
        if self._pending_para is not None:
            res = inline_resolution(self._pending_para, held, final=final)
            if res is CodeState.CODE:
                return Verdict.REJECT
            if res is None:
                return Verdict.WAIT
            self._pending_para = None
        return classify(held, self._offered, final=final)

    def _name_hold(self, text: str, k: int, *, complete: bool = False) -> int:
        """Extend the held suffix ``k`` of ``text`` over a word at the start of a line.

        A GLM-style leak writes the tool name first (``get_weather<arg_key>city…``), a
        recipient leak may start with the name or "assistant" (``assistant to=functions.x``)
        and Gemini writes ``declaration:default_api:x{…}``. So a line that so far is one word
        that may still become one of those is held, and so is a complete name or lead word
        followed only by whitespace or a held marker fragment. Only at a line start: in the
        middle of a line the same words are ordinary prose. ``complete``: accept only a
        complete name or lead word. Returns the new suffix length.
        """
        end = stop = len(text) - k
        while stop > 0 and text[stop - 1] in _SPACE:
            stop -= 1
        start = max(text.rfind(" ", 0, stop), text.rfind("\n", 0, stop)) + 1
        prefixes = self._name_prefixes
        # a word that starts a line and whose first letter starts a name: else done
        if start == stop or text[start] not in prefixes:
            return k
        before = text[start - 1] if start else self._last_char
        if before not in ("\n", ""):
            return k
        word = text[start:stop]
        if complete or stop < end or k:
            ok = word in self._offered or word in _LEAD_WORDS
        else:
            ok = word in prefixes
        return len(text) - start if ok else k

    def _track(self) -> None:
        if self._untracked:
            self._tracker.feed("".join(self._untracked))
            self._untracked.clear()


__all__ = ["GuardState", "GuardStep", "StreamGuard"]
