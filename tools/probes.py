"""Measuring probes shared by the hostile-relay tests and the soak: event-loop lag, traced memory.

:class:`LoopLag` runs a task that sleeps :data:`TICK` seconds in a loop and records how late
each wake-up came and how much work the loop did meanwhile: a gap full of work far above the
tick means something blocked the event loop (every chat of the bot stopped meanwhile).
:class:`TracedPeak` measures the peak of Python allocations (``tracemalloc``) above the level
at its start.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from typing import Self

#: The probe's sleep (seconds) between two wake-ups.
TICK = 0.01
#: A wake-up gap above this (seconds) counts as a stall of the event loop.
STALL = 0.1


class LoopLag:
    """``async with LoopLag() as lag: ...`` → the longest gap between two wake-ups of a task
    sleeping :data:`TICK` s: ``max_gap`` in wall-clock seconds and ``max_busy`` in CPU
    seconds the event loop's thread spent meanwhile (other callbacks running: the loop was
    blocked by work). ``stalls`` counts the gaps with more than ``stall`` seconds of such
    work. ``max_busy`` is the measure to assert on: on a loaded machine the operating system
    may pause the whole process, which lengthens wall-clock gaps without any blocking work.
    """

    def __init__(self, stall: float = STALL) -> None:
        self.stall = stall
        self.max_gap = 0.0
        self.max_busy = 0.0
        self.stalls = 0
        self._wall = self._cpu = 0.0
        self._task: asyncio.Task[None] | None = None

    def _tick(self) -> None:
        now_wall, now_cpu = time.monotonic(), time.thread_time()
        gap, busy = now_wall - self._wall, now_cpu - self._cpu
        self._wall, self._cpu = now_wall, now_cpu
        self.max_gap = max(self.max_gap, gap)
        self.max_busy = max(self.max_busy, busy)
        if busy > self.stall:
            self.stalls += 1

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            self._tick()

    async def __aenter__(self) -> Self:
        self._wall, self._cpu = time.monotonic(), time.thread_time()
        self._task = asyncio.create_task(self._run(), name="loop-lag-probe")
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._tick()  # a stall that lasted until the end of the block counts too
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

    def __exit__(self, *exc: object) -> None:
        self.peak = max(tracemalloc.get_traced_memory()[1] - self._base, 0)
        if self._started:
            tracemalloc.stop()


__all__ = ["STALL", "TICK", "LoopLag", "TracedPeak"]
