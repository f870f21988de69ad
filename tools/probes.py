"""Measuring probes shared by the hostile-relay tests and the soak: event-loop lag, traced memory.

:class:`LoopLag` runs a task that sleeps :data:`TICK` seconds in a loop and records how late
each wake-up came: a gap far above the tick means something blocked the event loop (every
chat of the bot stopped meanwhile). :class:`TracedPeak` measures the peak of Python
allocations (``tracemalloc``) above the level at its start.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from types import TracebackType
from typing import Self

#: The probe's sleep (seconds) between two wake-ups.
TICK = 0.01
#: A wake-up gap above this (seconds) counts as a stall of the event loop.
STALL = 0.1


class LoopLag:
    """``async with LoopLag() as lag: ...`` → ``lag.max_gap`` (seconds between two wake-ups
    of a task sleeping :data:`TICK` s) and ``lag.stalls`` (gaps over ``stall`` seconds)."""

    def __init__(self, stall: float = STALL) -> None:
        self.stall = stall
        self.max_gap = 0.0
        self.stalls = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        clock = time.monotonic
        last = clock()
        while True:
            await asyncio.sleep(TICK)
            now = clock()
            gap = now - last
            last = now
            if gap > self.max_gap:
                self.max_gap = gap
            if gap > self.stall:
                self.stalls += 1

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run(), name="loop-lag-probe")
        await asyncio.sleep(0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


class TracedPeak:
    """``with TracedPeak() as mem: ...`` → ``mem.peak``: the highest traced Python memory
    (bytes) above the level at entry. Starts ``tracemalloc`` if it is not running (and
    stops it again on exit)."""

    def __init__(self) -> None:
        self.peak = 0
        self._started = False
        self._base = 0

    def __enter__(self) -> Self:
        self._started = not tracemalloc.is_tracing()
        if self._started:
            tracemalloc.start()
        tracemalloc.reset_peak()
        self._base = tracemalloc.get_traced_memory()[0]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.peak = max(tracemalloc.get_traced_memory()[1] - self._base, 0)
        if self._started:
            tracemalloc.stop()


__all__ = ["STALL", "TICK", "LoopLag", "TracedPeak"]
