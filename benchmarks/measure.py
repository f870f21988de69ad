"""The four measurements. Each takes contenders (see :mod:`.contenders`) and plain sizes.

Methods (documented in the README "Performance" section):

* **Time to first chunk** — the upstream (separate process) takes ``time.monotonic_ns()``
  immediately before the single write that carries the response head, the opening events and
  the first text delta, then pauses; the client takes ``time.monotonic_ns()`` when the first
  chunk reaches the caller's ``async for``. CLOCK_MONOTONIC is system-wide on Linux, so the
  difference is the loopback + client-side latency. The server's stamp is fetched afterwards
  with ``GET /stamp/<id>`` (the side channel). Runs of all contenders are interleaved.
* **CPU per event** — ``time.process_time()`` around one whole streamed call (request,
  stream, final response), divided by the number of SSE events the upstream sent. The
  upstream's CPU is in another process and not counted.
* **Peak memory growth** — Python heap: ``tracemalloc`` peak minus the traced size at the
  start of the call; RSS: ``VmHWM`` after the call minus ``VmRSS`` before it, with the
  high-water mark reset through ``/proc/self/clear_refs`` (Linux; "n/a" elsewhere).
* **Concurrency** — N calls on ONE contender instance; wall time of the ``gather`` and the
  largest extra delay of a task that sleeps 10 ms in a loop. "paced": arrivals spread over
  1 s, each answer streamed by the upstream at a model-like pace; "burst": all calls start
  in the same loop iteration and the upstream sends each whole answer at once (a stress
  case: asyncio runs every ready stream's work in one loop iteration, so the lag grows with
  N for any client, the raw loop included).
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
import tracemalloc
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from .contenders import Outcome


class Contender(Protocol):
    """What the measurements need from a contender."""

    name: str

    async def consume(
        self, prompt: str, *, tools: bool = False, on_first: Any = None
    ) -> Outcome: ...


def median(values: list[float]) -> float:
    """Median, NaN for no values."""
    return statistics.median(values) if values else float("nan")


# -- time to first chunk ----------------------------------------------------------------------
async def ttft_runs(
    runs: list[tuple[str, Contender, bool]],
    stamp_base: str,
    *,
    reps: int,
    warmup: int,
    pause_ms: int,
) -> dict[str, list[float]]:
    """Milliseconds from the upstream's first write to the first chunk, per label.

    ``runs`` are (label, contender, tools offered); all labels run once per round, in turn.
    """
    results: dict[str, list[float]] = {label: [] for label, _, _ in runs}
    async with httpx.AsyncClient(trust_env=False, timeout=10) as stamps:
        for round_ in range(warmup + reps):
            for label, contender, tools in runs:
                token = uuid.uuid4().hex[:12]
                seen: list[int] = []
                outcome = await contender.consume(
                    f"bench=pause:{pause_ms}:{token} Say hello.",
                    tools=tools,
                    on_first=lambda seen=seen: seen.append(time.monotonic_ns()),
                )
                server_ns = int((await stamps.get(f"{stamp_base}/stamp/{token}")).text)
                if outcome.error or not seen or server_ns < 0:
                    raise RuntimeError(f"TTFT run of {label} failed: {outcome}")
                if round_ >= warmup:
                    results[label].append((seen[0] - server_ns) / 1e6)
    return results


# -- CPU per event --------------------------------------------------------------------------
@dataclass(slots=True)
class CpuResult:
    """Per-contender CPU figures on one stream size."""

    cpu_us_per_event: list[float] = field(default_factory=list)
    wall_ms: list[float] = field(default_factory=list)
    chars: int = 0


async def cpu_runs(
    contenders: list[Contender],
    *,
    deltas: int,
    events: int,
    reps: int,
    slow_reps: dict[str, int] | None = None,
) -> dict[str, CpuResult]:
    """Process CPU per SSE event on a ``deltas``-delta stream (``events`` events in all).

    Rounds alternate between contenders; one short warm-up call each first. ``slow_reps``
    lowers the repetitions of slow contenders (name → reps).
    """
    results = {c.name: CpuResult() for c in contenders}
    for contender in contenders:
        await contender.consume("bench=deltas:200 warm up")
    prompt = f"bench=deltas:{deltas} Write a long answer."
    for round_ in range(reps):
        for contender in contenders:
            if round_ >= (slow_reps or {}).get(contender.name, reps):
                continue
            gc.collect()
            wall0 = time.perf_counter()
            cpu0 = time.process_time()
            outcome = await contender.consume(prompt)
            cpu = time.process_time() - cpu0
            wall = time.perf_counter() - wall0
            if outcome.error or outcome.chars != deltas * 5:
                raise RuntimeError(f"CPU run of {contender.name} went wrong: {outcome}")
            result = results[contender.name]
            result.cpu_us_per_event.append(cpu / events * 1e6)
            result.wall_ms.append(wall * 1e3)
            result.chars = outcome.chars
    return results


# -- memory ------------------------------------------------------------------------------------
_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")


def _status_kb(field_name: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_hwm() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


@dataclass(slots=True)
class MemoryResult:
    """Peak growth (bytes) during one call, and what the call produced."""

    heap_peak: int = 0
    rss_peak: int | None = None
    outcome: Outcome = field(default_factory=Outcome)


async def memory_run(contender: Contender, scenario: str) -> MemoryResult:
    """Peak RSS growth (first, clean) then peak traced heap growth, for one scenario."""
    prompt = f"bench={scenario} Write a very long answer."
    result = MemoryResult()
    gc.collect()
    rss0 = _status_kb("VmRSS")
    if rss0 is not None and _reset_hwm():
        await contender.consume(prompt)
        hwm = _status_kb("VmHWM")
        result.rss_peak = (hwm - rss0) * 1024 if hwm is not None else None
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result.outcome = await contender.consume(prompt)
        result.heap_peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return result


# -- concurrency ----------------------------------------------------------------------------
@dataclass(slots=True)
class ConcurrencyResult:
    """N concurrent calls: wall time (s), worst heartbeat delay (ms), longest garbage-collector
    pause (ms) seen meanwhile, failed or unfinished calls, chunks, whether the limit hit."""

    wall_s: float
    max_lag_ms: float
    max_gc_ms: float
    failed: int
    chunks: int
    timed_out: bool = False


class _GcPauses:
    """Record the longest collection while installed (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.longest = max(self.longest, time.perf_counter() - self._start)


async def concurrency_run(
    contender: Contender,
    *,
    streams: int,
    scenario: str,
    stagger: float = 0.0,
    limit_s: float = 60.0,
) -> ConcurrencyResult:
    """``streams`` calls on one instance, with a 10 ms heartbeat measuring loop lag.

    ``stagger`` = 0: all calls start in the same loop iteration ("burst"); else call ``i``
    starts ``i * stagger / streams`` seconds after the first (arrivals spread over
    ``stagger`` seconds, all of them still streaming at the same time). Calls still running
    after ``limit_s`` seconds are cancelled and counted as failed.
    """
    stop = asyncio.Event()
    worst = 0.0

    async def heartbeat() -> None:
        nonlocal worst
        while not stop.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, time.perf_counter() - start - 0.01)

    gc.collect()  # start every run with the same collector state (earlier phases' garbage)
    pauses = _GcPauses()
    gc.callbacks.append(pauses)
    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(0.05)
    prompt = f"bench={scenario} Write an answer."
    start = time.perf_counter()

    async def one(index: int) -> Outcome:
        if stagger:
            await asyncio.sleep(index * stagger / streams)
        return await contender.consume(prompt)

    tasks = [asyncio.create_task(one(i)) for i in range(streams)]
    try:
        done, pending = await asyncio.wait(tasks, timeout=limit_s)
        wall = time.perf_counter() - start
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    finally:
        stop.set()
        await beat
        gc.callbacks.remove(pauses)
    outcomes = [t.result() for t in done if not t.cancelled() and t.exception() is None]
    return ConcurrencyResult(
        wall_s=wall,
        max_lag_ms=worst * 1e3,
        max_gc_ms=pauses.longest * 1e3,
        failed=streams - len(outcomes) + sum(1 for o in outcomes if o.error),
        chunks=sum(o.chunks for o in outcomes),
        timed_out=bool(pending),
    )
