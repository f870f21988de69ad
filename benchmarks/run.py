"""Benchmark: this plugin's provider vs a raw httpx SSE loop vs AstrBot's built-in provider.

``.venv/bin/python -m benchmarks.run [--smoke]`` starts the loopback upstream
(:mod:`benchmarks.bench_upstream`) in a separate process, measures the three contenders in
this process and prints ONE table with every figure, the ratios and which targets hold.
``--smoke`` uses tiny sizes (a few seconds; CI runs it so the benchmark cannot rot); its
figures mean nothing. See :mod:`benchmarks.measure` for the methods.

Full run: ~2 minutes on 2 cores. Memory cases run in a fresh child process per contender
and scenario (``--memory-child``) so that one contender's heap does not hide another's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import _bootstrap
from benchmarks.contenders import Builtin, Ours, Outcome, RawLoop
from benchmarks.measure import (
    ConcurrencyResult,
    CpuResult,
    MemoryResult,
    concurrency_run,
    cpu_runs,
    median,
    memory_run,
    ttft_runs,
)

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Sizes:
    """Sizes and repetitions of one benchmark run."""

    ttft_reps: int
    ttft_warmup: int
    pause_ms: int
    cpu_deltas: int
    cpu_reps: int
    mem_mb: float
    line_mb: float
    streams: int
    stream_deltas: int
    concurrency_reps: int
    memory_in_children: bool


FULL = Sizes(
    ttft_reps=15, ttft_warmup=2, pause_ms=100, cpu_deltas=20_000, cpu_reps=5, mem_mb=50,
    line_mb=20, streams=200, stream_deltas=200, concurrency_reps=3, memory_in_children=True,
)
SMOKE = Sizes(
    ttft_reps=2, ttft_warmup=1, pause_ms=20, cpu_deltas=200, cpu_reps=1, mem_mb=0.5,
    line_mb=3, streams=10, stream_deltas=20, concurrency_reps=1, memory_in_children=False,
)
NAMES = ("ours", "raw", "builtin")


# -- upstream process ------------------------------------------------------------------------
def start_upstream(sizes: Sizes) -> tuple[subprocess.Popen[str], str]:
    """Start :mod:`benchmarks.bench_upstream`; return (process, api_base)."""
    warm = [
        f"deltas:{sizes.cpu_deltas}", f"bytes:{sizes.mem_mb:g}", f"line:{sizes.line_mb:g}",
        "pause:0:x", f"deltas:{sizes.stream_deltas}",
    ]
    cmd = [sys.executable, "-m", "benchmarks.bench_upstream", "--port", "0"]
    for scenario in warm:
        cmd += ["--warm", scenario]
    proc = subprocess.Popen(cmd, cwd=_bootstrap.REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "ready port=" not in line:
        proc.kill()
        raise RuntimeError(f"bench upstream did not start: {line!r}")
    return proc, f"http://127.0.0.1:{int(line.rsplit('=', 1)[1])}/v1"


def make_contender(name: str, api_base: str) -> Any:
    """Build one contender by name."""
    return {"ours": Ours, "raw": RawLoop, "builtin": Builtin}[name](api_base)


# -- memory in a child process -------------------------------------------------------------
async def _memory_here(name: str, api_base: str, scenario: str) -> MemoryResult:
    contender = make_contender(name, api_base)
    try:
        await contender.consume("bench=deltas:10 warm up")  # lazy imports, first connection
        return await memory_run(contender, scenario)
    finally:
        await contender.aclose()


def memory_case(name: str, api_base: str, scenario: str, *, child: bool) -> MemoryResult:
    """Measure one memory case, in a fresh child process when ``child``."""
    if not child:
        return asyncio.run(_memory_here(name, api_base, scenario))
    cmd = [sys.executable, "-m", "benchmarks.run", "--memory-child", name, scenario, api_base]
    if logging.getLogger("astrbot").level != logging.ERROR:
        cmd.append("--verbose")
    done = subprocess.run(
        cmd, cwd=_bootstrap.REPO, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "BENCH_ROOT": str(_bootstrap.ROOT)},
    )
    lines = [x for x in done.stdout.splitlines() if x.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"memory child {name} {scenario} failed: {done.stderr[-2000:]}")
    raw = json.loads(lines[-1])
    return MemoryResult(raw["heap_peak"], raw["rss_peak"], Outcome(**raw["outcome"]))


# -- the whole run ---------------------------------------------------------------------------
@dataclass(slots=True)
class Results:
    """Everything measured (None / missing = not measured)."""

    ttft: dict[str, list[float]]
    cpu: dict[str, CpuResult]
    mem50: dict[str, MemoryResult]
    line: dict[str, MemoryResult]
    conc: dict[str, ConcurrencyResult]
    max_output_chars: int
    events: int
    notes: list[str]


async def _timed(api_base: str, sizes: Sizes, names: list[str]) -> Results:
    contenders = {name: make_contender(name, api_base) for name in names}
    try:
        runs = [("raw", contenders["raw"], True)]
        for name in ("ours", "builtin"):
            if name in contenders:
                runs += [(f"{name}+tools", contenders[name], True), (name, contenders[name], False)]
        mark = time.perf_counter()
        ttft = await ttft_runs(
            runs, api_base.removesuffix("/v1"), reps=sizes.ttft_reps,
            warmup=sizes.ttft_warmup, pause_ms=sizes.pause_ms,
        )
        mark = _progress("time to first chunk", mark)
        from benchmarks.bench_upstream import delta_events_count

        events = delta_events_count(sizes.cpu_deltas)
        cpu = await cpu_runs(
            list(contenders.values()), deltas=sizes.cpu_deltas, events=events,
            reps=sizes.cpu_reps,
        )
        mark = _progress("CPU per event", mark)
        conc: dict[str, ConcurrencyResult] = {}
        for name, contender in contenders.items():
            # the built-in needs ~10x the time of the others: one run only
            reps = 1 if name == "builtin" else sizes.concurrency_reps
            tries = [
                await concurrency_run(
                    contender, streams=sizes.streams, scenario=f"deltas:{sizes.stream_deltas}"
                )
                for _ in range(reps)
            ]
            tries.sort(key=lambda r: r.wall_s)
            conc[name] = tries[len(tries) // 2]  # the median run (by wall time)
            mark = _progress(f"concurrency {name}", mark)
        cap = contenders["ours"].max_output_chars if "ours" in contenders else 200_000
        return Results(ttft, cpu, {}, {}, conc, cap, events, [])
    finally:
        for contender in contenders.values():
            await contender.aclose()


def _progress(message: str, since: float) -> float:
    """Print a progress line to stderr; return the current time."""
    now = time.perf_counter()
    print(f"[bench] {message} ({now - since:.1f} s)", file=sys.stderr, flush=True)
    return now


def run_all(api_base: str, sizes: Sizes) -> Results:
    """All measurements; ``ours`` is skipped (with a note) when it cannot be imported."""
    names = list(NAMES)
    notes: list[str] = []
    try:
        Ours(api_base)  # import + construct check (the client is never used)
    except Exception as exc:
        names.remove("ours")
        notes.append(f"ours not measured: {type(exc).__name__}: {exc}")
    results = asyncio.run(_timed(api_base, sizes, names))
    results.notes = notes
    mark = time.perf_counter()
    for name in names:
        child = sizes.memory_in_children
        results.mem50[name] = memory_case(name, api_base, f"bytes:{sizes.mem_mb:g}", child=child)
        mark = _progress(f"memory {name}, {sizes.mem_mb:g} MB answer", mark)
        results.line[name] = memory_case(name, api_base, f"line:{sizes.line_mb:g}", child=child)
        mark = _progress(f"memory {name}, {sizes.line_mb:g} MB line", mark)
    return results


# -- table -----------------------------------------------------------------------------------
def _f(value: float | None, fmt: str = "{:.2f}") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return fmt.format(value)


def _mb(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 1e6:.2f} MB"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or not b or math.isnan(a) or math.isnan(b):
        return "n/a"
    return f"{a / b:.2f}×"


def _outcome(m: MemoryResult | None) -> str:
    if m is None:
        return "n/a"
    o = m.outcome
    return f"{o.chars:,} chars" + (f", {o.error}" if o.error else "")


def build_table(r: Results, sizes: Sizes) -> tuple[str, list[tuple[str, bool | None, str]]]:
    """(the table text, [(target, holds or None when not measured, evidence)])."""
    def get(d: dict[str, Any], name: str) -> Any:
        return d.get(name)

    def ttft(label: str) -> float | None:
        vals = r.ttft.get(label)
        return median(vals) if vals else None

    def cpu(name: str) -> float | None:
        c = get(r.cpu, name)
        return median(c.cpu_us_per_event) if c else None

    def wall(name: str) -> float | None:
        c = get(r.cpu, name)
        return median(c.wall_ms) if c else None

    rows: list[list[str]] = []
    raw_t = ttft("raw")
    for suffix, what in (("+tools", "tools+buffering"), ("", "no tools")):
        ours_t, built_t = ttft("ours" + suffix), ttft("builtin" + suffix)
        rows.append([
            f"TTFT median, {what} (ms)", _f(ours_t, "{:.3f}"), _f(raw_t, "{:.3f}"),
            _f(built_t, "{:.3f}"),
            "n/a" if ours_t is None or raw_t is None else f"{ours_t - raw_t:+.3f} ms",
            "n/a" if ours_t is None or built_t is None else f"{ours_t - built_t:+.3f} ms",
        ])
    rows.append([
        f"CPU per SSE event, {sizes.cpu_deltas} deltas (µs)",
        *(_f(cpu(n)) for n in NAMES), _ratio(cpu("ours"), cpu("raw")),
        _ratio(cpu("ours"), cpu("builtin")),
    ])
    rows.append([
        f"  wall per {sizes.cpu_deltas}-delta stream (ms)", *(_f(wall(n), "{:.1f}") for n in NAMES),
        _ratio(wall("ours"), wall("raw")), _ratio(wall("ours"), wall("builtin")),
    ])
    for label, data in ((f"{sizes.mem_mb:g} MB answer", r.mem50), (f"one {sizes.line_mb:g} MB line", r.line)):
        heaps = [get(data, n).heap_peak if get(data, n) else None for n in NAMES]
        rss = [get(data, n).rss_peak if get(data, n) else None for n in NAMES]
        rows.append([f"Peak heap growth, {label}", *(_mb(h) for h in heaps),
                     _ratio(heaps[0], heaps[1]), _ratio(heaps[0], heaps[2])])
        rows.append([f"Peak RSS growth, {label}", *(_mb(x) for x in rss),
                     _ratio(rss[0], rss[1]), _ratio(rss[0], rss[2])])
        rows.append([f"  outcome, {label}", *(_outcome(get(data, n)) for n in NAMES), "", ""])
    conc = [get(r.conc, n) for n in NAMES]
    rows.append([f"{sizes.streams} concurrent streams ({sizes.stream_deltas} deltas): wall (s)",
                 *(_f(c.wall_s, "{:.2f}") if c else "n/a" for c in conc),
                 _ratio(*(c.wall_s if c else None for c in conc[:2])),
                 _ratio(conc[0].wall_s if conc[0] else None, conc[2].wall_s if conc[2] else None)])
    rows.append([f"{sizes.streams} concurrent streams: max loop lag (ms)",
                 *(_f(c.max_lag_ms, "{:.1f}") if c else "n/a" for c in conc),
                 _ratio(*(c.max_lag_ms if c else None for c in conc[:2])),
                 _ratio(conc[0].max_lag_ms if conc[0] else None,
                        conc[2].max_lag_ms if conc[2] else None)])
    failed = [str(c.failed) if c else "n/a" for c in conc]
    rows.append(["  failed streams", *failed, "", ""])

    header = ["figure", "ours", "raw loop", "built-in", "ours vs raw", "ours vs built-in"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        return " | ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))])
    sep = "-+-".join("-" * w for w in widths)
    text = "\n".join([line(header), sep, *(line(row) for row in rows)])

    # targets
    budget = 2 * r.max_output_chars + 10 * MIB
    targets: list[tuple[str, bool | None, str]] = []
    ours_t = ttft("ours+tools")
    targets.append((
        "TTFT (tools+buffering) ≤ raw + 1 ms",
        None if ours_t is None or raw_t is None else ours_t - raw_t <= 1.0,
        "n/a" if ours_t is None or raw_t is None else f"{ours_t - raw_t:+.3f} ms",
    ))
    c_o, c_r, c_b = cpu("ours"), cpu("raw"), cpu("builtin")
    targets.append(("CPU/event ≤ 1.5× raw", None if c_o is None or c_r is None else c_o <= 1.5 * c_r,
                    _ratio(c_o, c_r)))
    targets.append(("CPU/event ≤ 0.5× built-in",
                    None if c_o is None or c_b is None else c_o <= 0.5 * c_b, _ratio(c_o, c_b)))
    m = get(r.mem50, "ours")
    targets.append((
        f"peak memory, {sizes.mem_mb:g} MB answer ≤ 2×max_output_chars + 10 MiB"
        f" ({budget / 1e6:.2f} MB)",
        None if m is None else m.heap_peak <= budget and (m.rss_peak or 0) <= budget,
        "n/a" if m is None else f"heap {_mb(m.heap_peak)}, RSS {_mb(m.rss_peak)}",
    ))
    c = get(r.conc, "ours")
    targets.append((f"{sizes.streams} streams: loop lag ≤ 50 ms",
                    None if c is None else c.max_lag_ms <= 50, "n/a" if c is None
                    else f"{c.max_lag_ms:.1f} ms"))
    return text, targets


def report(r: Results, sizes: Sizes, *, smoke: bool) -> str:
    """The printed report: machine line, table, targets, notes."""
    text, targets = build_table(r, sizes)
    machine = (
        f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}"
    )
    out = [
        f"OpenAI Responses provider benchmark ({'SMOKE: tiny sizes, figures meaningless' if smoke else 'full'})",
        f"machine: {machine}",
        f"medians: TTFT over {sizes.ttft_reps} runs (pause {sizes.pause_ms} ms), CPU over "
        f"{sizes.cpu_reps} runs ({r.events} SSE events each), concurrency: median of "
        f"{sizes.concurrency_reps} runs; max_output_chars = {r.max_output_chars:,} "
        "(ours closes the stream at the cap)",
        "",
        text,
        "",
        "targets:",
    ]
    for name, holds, evidence in targets:
        mark = "n/a " if holds is None else ("HOLDS" if holds else "FAILS")
        out.append(f"  [{mark}] {name}: {evidence}")
    out += [f"note: {n}" for n in r.notes]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds")
    parser.add_argument("--memory-child", nargs=3, metavar=("CONTENDER", "SCENARIO", "API_BASE"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--verbose", action="store_true", help="keep AstrBot's log output")
    args = parser.parse_args(argv)
    if not args.verbose:  # the built-in provider logs every retry; keep the table readable
        logging.getLogger("astrbot").setLevel(logging.ERROR)
    if args.memory_child:
        name, scenario, api_base = args.memory_child
        result = asyncio.run(_memory_here(name, api_base, scenario))
        print(json.dumps(asdict(result)), flush=True)
        return 0
    sizes = SMOKE if args.smoke else FULL
    started = time.perf_counter()
    proc, api_base = start_upstream(sizes)
    try:
        results = run_all(api_base, sizes)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(report(results, sizes, smoke=args.smoke))
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
