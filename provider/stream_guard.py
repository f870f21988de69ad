"""Streaming guard: hold back text deltas that may be a pseudo tool call.

The guard sits between the accumulator's text deltas and the user. It enforces one
release invariant, in this one place: **no text is released that contains a head**
(:mod:`~.pseudo_calls.heads`: a special token or call-ish tag, a bracket token, a call
object, ``to=`` / ``functions.``, an offered tool name …) **before the head was decided
not to be a call** — wherever in a line it occurs. Prose that mentions the syntax is
released once decided (maybe late, never lost); a head that may be a call is held, and
once a call is confirmed everything after it is held until the end of the stream, when
the caller runs :func:`~.pseudo_calls.extract` on the full text.

States (:class:`GuardState`)::

    START ──reject──▶ PASSTHROUGH ──head──▶ SUSPECT ──reject──▶ PASSTHROUGH
      │                                        │
      └──────────confirm──────────▶ CONFIRMED ◀┘──confirm
                                       │ over a limit
                                       ▼
                                    ABORTED          (any) ──finish()──▶ FINISHED

* START — the message start; held while the whole message may still be only a call
  (``{"name": …``, ``get_weather(…)``, a ```` ```json ```` fence around one, ``analysis…``).
* PASSTHROUGH — releasing; holds only an end that may still grow into a head (``<``,
  ``get_wea``, `` to``).
* SUSPECT — a head is being examined (:func:`~.pseudo_calls.verdicts.classify`); heads
  inside code fences, inline code and ``>`` quotes are released (:mod:`.code_state`).
* CONFIRMED — a call may be under way: nothing more is released.
* ABORTED — CONFIRMED and the held text passed ``max_held_chars`` characters or
  ``max_held_responses`` deltas: the caller should close the upstream.

Invariant, for every split of the input into deltas: ``"".join(released) + finish() ==
"".join(fed)``, and the released text, the held text and ``marker_confirmed`` are the same.

Spec: specs/002-pseudo-tool-calls/spec.md §"Streaming guard".
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, NamedTuple

from .pseudo_calls.code_state import CodeState, CodeTracker, inline_resolution
from .pseudo_calls.heads import (
    WORD_CHARS,
    matcher,
    partial_len,
    whole_name,
    word_boundary,
    word_prefixes,
)
from .pseudo_calls.verdicts import Verdict, classify, start_verdict


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
_WORD_STR = "".join(sorted(WORD_CHARS))


class StreamGuard:
    """Per-response guard over text deltas (one instance per upstream response).

    ``offered``: tool name → JSON-schema parameters (or ``None``), as for
    :func:`~.pseudo_calls.extract`. ``max_held_chars`` / ``max_held_responses``: limits on
    the held text while a call is confirmed (→ abort) or merely suspected (→ flush).
    Cost per :meth:`feed` is proportional to the delta, not to the text so far.
    """

    __slots__ = (
        "_confirmed",
        "_heads",
        "_held",
        "_held_deltas",
        "_max_chars",
        "_max_deltas",
        "_names",
        "_offered",
        "_pending_head",
        "_pending_line_start",
        "_pending_para",
        "_prefixes",
        "_search",
        "_state",
        "_tail",
        "_tail_len",
        "_tracked_chars",
        "_tracked_last",
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
        names = tuple(offered)
        self._names = frozenset(names)
        self._heads = matcher(names)
        self._search = self._heads.search
        self._prefixes = word_prefixes(names)
        self._max_chars = max(1, max_held_chars)
        self._max_deltas = max(1, max_held_responses)
        self._state = GuardState.START
        self._held = ""
        self._held_deltas = 0
        self._tracked_chars = 0  # released characters already fed to the code tracker
        self._tracked_last = ""  # the last of them
        self._untracked: list[str] = []
        self._tracker = CodeTracker()
        self._pending_head = 0  # length of the head under examination (SUSPECT)
        self._pending_line_start = False
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
        """True once a call was confirmed (the caller must run ``extract``)."""
        return self._confirmed

    @property
    def released_chars(self) -> int:
        """Number of characters released so far."""
        return self._tracked_chars + sum(map(len, self._untracked))

    def feed(self, delta: str) -> GuardStep:
        """Take one text delta; return what may be shown now and whether to abort."""
        state = self._state
        if state is _PASSTHROUGH:
            win = self._held + delta if self._held else delta
            # hot path: one search for a head in the new text, and a look at its end
            if self._search(win) is None:
                if win[-1:] in WORD_CHARS:  # ends inside a word: may it grow into a head?
                    run = win[len(win.rstrip(_WORD_STR)) :]
                    k = (
                        self._partial(win)
                        if run in self._prefixes or "." in run or ":" in run or "`" in win[-12:]
                        else 0
                    )
                else:
                    k = self._partial(win) if win else 0
                if k:
                    self._held = win[-k:]
                    win = win[:-k]
                    if not win:
                        return _NOTHING
                else:
                    self._held = ""
                    if not win:
                        return _NOTHING
                self._untracked.append(win)
                return _new_step(GuardStep, (win, False))
            self._held = win
            return self._scan([])
        if state is GuardState.CONFIRMED:
            self._tail.append(delta)  # a list: no quadratic string growth
            self._tail_len += len(delta)
            self._held_deltas += 1
            if self._over_limit():
                self._state = GuardState.ABORTED
                return _ABORT
            return _NOTHING
        if state is GuardState.ABORTED:
            self._tail.append(delta)
            return _ABORT
        if state is GuardState.FINISHED:
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

    def _next_head(self, held: str) -> int | None:
        """Index of the first head in ``held`` (word heads need a word boundary)."""
        pos = 0
        while True:
            m = self._heads.search(held, pos)
            if m is None:
                return None
            if word_boundary(held, m.start(), self._last_char()) and whole_name(
                held, m, self._names
            ):
                return m.start()
            pos = m.start() + 1

    def _scan(self, out: list[str]) -> GuardStep:
        """Release from ``_held`` up to the next head (PASSTHROUGH) or decide it (SUSPECT)."""
        while True:
            if self._state is GuardState.SUSPECT:
                verdict = self._resolve(final=False)
                if verdict is Verdict.CONFIRM:
                    return self._confirm(out)
                if verdict is Verdict.WAIT and not self._over_limit():
                    return GuardStep("".join(out), False)
                # rejected (or undecided for too long): the head is plain text
                self._release(out, self._pending_head)
                self._state = GuardState.PASSTHROUGH
                self._held_deltas = 0
            held = self._held
            start = self._next_head(held) if held else None
            if start is None:
                k = partial_len(held, self._last_char(), self._prefixes) if held else 0
                self._release(out, len(held) - k)
                return GuardStep("".join(out), False)
            self._release(out, start)
            m = self._heads.match(self._held)
            self._pending_head = m.end() if m else 1
            self._pending_line_start = self._last_char() in ("", "\n")
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
        held = self._held
        if self._pending_para is not None:
            res = inline_resolution(self._pending_para, held, final=final)
            if res is CodeState.CODE:
                return Verdict.REJECT
            if res is None:
                return Verdict.WAIT
            self._pending_para = None
        return classify(held, self._offered, final=final, line_start=self._pending_line_start)

    def _last_char(self) -> str:
        """The last character released so far (``""`` before any)."""
        return self._untracked[-1][-1] if self._untracked else self._tracked_last

    def _partial(self, text: str) -> int:
        return partial_len(text, self._last_char(), self._prefixes)

    def _track(self) -> None:
        if self._untracked:
            text = "".join(self._untracked)
            self._tracker.feed(text)
            self._tracked_chars += len(text)
            self._tracked_last = text[-1]
            self._untracked.clear()


__all__ = ["GuardState", "GuardStep", "StreamGuard"]
