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
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks import _bootstrap
from benchmarks.contenders import Builtin, Ours, Outcome, RawLoop, WithTools
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
    cpu_reps_builtin: int
    mem_mb: float
    line_mb: float
    streams: int
    paced_deltas: int
    paced_gap_ms: int
    stagger_s: float
    burst_deltas: int
    concurrency_reps: int
    concurrency_limit_s: float
    memory_in_children: bool


FULL = Sizes(
    ttft_reps=15,
    ttft_warmup=2,
    pause_ms=100,
    cpu_deltas=20_000,
    cpu_reps=5,
    cpu_reps_builtin=2,
    mem_mb=50,
    line_mb=20,
    streams=200,
    paced_deltas=40,
    paced_gap_ms=50,
    stagger_s=1.0,
    burst_deltas=50,
    concurrency_reps=5,
    concurrency_limit_s=20.0,
    memory_in_children=True,
)
SMOKE = Sizes(
    ttft_reps=2,
    ttft_warmup=1,
    pause_ms=20,
    cpu_deltas=200,
    cpu_reps=1,
    cpu_reps_builtin=1,
    mem_mb=0.5,
    line_mb=3,
    streams=10,
    paced_deltas=5,
    paced_gap_ms=5,
    stagger_s=0.05,
    burst_deltas=10,
    concurrency_reps=1,
    concurrency_limit_s=20.0,
    memory_in_children=False,
)
NAMES = ("ours", "raw", "builtin")


# -- upstream process ------------------------------------------------------------------------
def start_upstream(sizes: Sizes) -> tuple[subprocess.Popen[str], str]:
    """Start :mod:`benchmarks.bench_upstream`; return (process, api_base)."""
    warm = [
        f"deltas:{sizes.cpu_deltas}",
        f"bytes:{sizes.mem_mb:g}",
        f"line:{sizes.line_mb:g}",
        "pause:0:x",
        f"deltas:{sizes.burst_deltas}",
        f"paced:{sizes.paced_deltas}:0",
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


def _child_env() -> dict[str, str]:
    """Children compile once into a scratch bytecode cache (never into the repository)."""
    env = {**os.environ, "BENCH_ROOT": str(_bootstrap.ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(_bootstrap.ROOT / "pycache")
    return env


def memory_case(name: str, api_base: str, scenario: str, *, child: bool) -> MemoryResult:
    """Measure one memory case, in a fresh child process when ``child``."""
    if not child:
        return asyncio.run(_memory_here(name, api_base, scenario))
    cmd = [sys.executable, "-m", "benchmarks.run", "--memory-child", name, scenario, api_base]
    if logging.getLogger("astrbot").level != logging.ERROR:
        cmd.append("--verbose")
    done = subprocess.run(
        cmd,
        cwd=_bootstrap.REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_child_env(),
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
    paced: dict[str, ConcurrencyResult]
    burst: dict[str, ConcurrencyResult]
    max_output_chars: int
    events: int
    notes: list[str]


async def _concurrency(
    contenders: dict[str, Any], sizes: Sizes, scenario: str, stagger: float, reps: int
) -> dict[str, ConcurrencyResult]:
    """The median (by wall time) of ``reps`` runs per contender (the built-in: one run), the
    contenders taking turns round by round: a collection of the whole heap (hundreds of ms
    on a shared machine) then falls on no contender more than chance gives it."""
    tries: dict[str, list[ConcurrencyResult]] = {name: [] for name in contenders}
    for rep in range(reps):
        for name, contender in contenders.items():
            if name == "builtin" and rep:
                continue
            tries[name].append(
                await concurrency_run(
                    contender,
                    streams=sizes.streams,
                    scenario=scenario,
                    stagger=stagger,
                    limit_s=sizes.concurrency_limit_s,
                )
            )
    out: dict[str, ConcurrencyResult] = {}
    for name, results in tries.items():
        results.sort(key=lambda r: r.wall_s)
        out[name] = results[len(results) // 2]
    return out


async def _timed(api_base: str, sizes: Sizes, names: list[str]) -> Results:
    contenders = {name: make_contender(name, api_base) for name in names}
    try:
        runs = [("raw", contenders["raw"], True)]
        for name in ("ours", "builtin"):
            if name in contenders:
                runs += [(f"{name}+tools", contenders[name], True), (name, contenders[name], False)]
        mark = time.perf_counter()
        ttft = await ttft_runs(
            runs,
            api_base.removesuffix("/v1"),
            reps=sizes.ttft_reps,
            warmup=sizes.ttft_warmup,
            pause_ms=sizes.pause_ms,
        )
        mark = _progress("time to first chunk", mark)
        from benchmarks.bench_upstream import delta_events_count

        events = delta_events_count(sizes.cpu_deltas)
        measured = list(contenders.values())
        if "ours" in contenders:
            measured.append(WithTools(contenders["ours"]))
        cpu = await cpu_runs(
            measured,
            deltas=sizes.cpu_deltas,
            events=events,
            reps=sizes.cpu_reps,
            slow_reps={"builtin": sizes.cpu_reps_builtin},
        )
        mark = _progress("CPU per event", mark)
        paced = await _concurrency(
            contenders,
            sizes,
            f"paced:{sizes.paced_deltas}:{sizes.paced_gap_ms}",
            sizes.stagger_s,
            sizes.concurrency_reps,
        )
        mark = _progress("concurrency, paced", mark)
        burst = await _concurrency(
            contenders, sizes, f"deltas:{sizes.burst_deltas}", 0.0, sizes.concurrency_reps
        )
        mark = _progress("concurrency, burst", mark)
        cap = contenders["ours"].max_output_chars if "ours" in contenders else 200_000
        return Results(ttft, cpu, {}, {}, paced, burst, cap, events, [])
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
    cases = [(n, kind) for n in names for kind in ("mem", "line")]
    scenario = {"mem": f"bytes:{sizes.mem_mb:g}", "line": f"line:{sizes.line_mb:g}"}

    def run_case(case: tuple[str, str]) -> tuple[tuple[str, str], MemoryResult]:
        name, kind = case
        child = sizes.memory_in_children
        return case, memory_case(name, api_base, scenario[kind], child=child)

    # memory figures do not depend on CPU contention: the children run side by side (the
    # first one alone, to fill the bytecode cache)
    done = [run_case(cases[0])]
    workers = 3 if sizes.memory_in_children else 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done += list(pool.map(run_case, cases[1:]))
    for (name, kind), result in done:
        (results.mem50 if kind == "mem" else results.line)[name] = result
    _progress("memory", mark)
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
        rows.append(
            [
                f"TTFT median, {what} (ms)",
                _f(ours_t, "{:.3f}"),
                _f(raw_t, "{:.3f}"),
                _f(built_t, "{:.3f}"),
                "n/a" if ours_t is None or raw_t is None else f"{ours_t - raw_t:+.3f} ms",
                "n/a" if ours_t is None or built_t is None else f"{ours_t - built_t:+.3f} ms",
            ]
        )
    rows.append(
        [
            f"CPU per SSE event, {sizes.cpu_deltas} deltas (µs)",
            *(_f(cpu(n)) for n in NAMES),
            _ratio(cpu("ours"), cpu("raw")),
            _ratio(cpu("ours"), cpu("builtin")),
        ]
    )
    rows.append(
        [
            "  ours with a tool offered (stream guard on) (µs)",
            _f(cpu("ours+tools")),
            "",
            "",
            _ratio(cpu("ours+tools"), cpu("raw")),
            _ratio(cpu("ours+tools"), cpu("builtin")),
        ]
    )
    rows.append(
        [
            f"  wall per {sizes.cpu_deltas}-delta stream (ms)",
            *(_f(wall(n), "{:.1f}") for n in NAMES),
            _ratio(wall("ours"), wall("raw")),
            _ratio(wall("ours"), wall("builtin")),
        ]
    )
    memory_cases = (
        (f"{sizes.mem_mb:g} MB answer", r.mem50),
        (f"one {sizes.line_mb:g} MB line", r.line),
    )
    for label, data in memory_cases:
        heaps = [get(data, n).heap_peak if get(data, n) else None for n in NAMES]
        rss = [get(data, n).rss_peak if get(data, n) else None for n in NAMES]
        rows.append(
            [
                f"Peak heap growth, {label}",
                *(_mb(h) for h in heaps),
                _ratio(heaps[0], heaps[1]),
                _ratio(heaps[0], heaps[2]),
            ]
        )
        rows.append(
            [
                f"Peak RSS growth, {label}",
                *(_mb(x) for x in rss),
                _ratio(rss[0], rss[1]),
                _ratio(rss[0], rss[2]),
            ]
        )
        rows.append([f"  outcome, {label}", *(_outcome(get(data, n)) for n in NAMES), "", ""])
    for label, data in (
        (
            f"paced ({sizes.paced_deltas} deltas, one per {sizes.paced_gap_ms} ms; arrivals over "
            f"{sizes.stagger_s:g} s)",
            r.paced,
        ),
        (f"burst (all start at once; {sizes.burst_deltas} deltas sent at once)", r.burst),
    ):
        conc = [get(data, n) for n in NAMES]
        walls = [None if c is None or c.timed_out else c.wall_s for c in conc]
        lags = [c.max_lag_ms if c else None for c in conc]
        rows.append(
            [
                f"{sizes.streams} streams, {label}: wall (s)",
                *(
                    "n/a"
                    if c is None
                    else (f"≥ {c.wall_s:.0f} (limit)" if c.timed_out else f"{c.wall_s:.2f}")
                    for c in conc
                ),
                _ratio(walls[0], walls[1]),
                _ratio(walls[0], walls[2]),
            ]
        )
        rows.append(
            [
                "  max event-loop lag (ms)",
                *(_f(x, "{:.1f}") for x in lags),
                _ratio(lags[0], lags[1]),
                _ratio(lags[0], lags[2]),
            ]
        )
        rows.append(
            [
                "  longest GC pause meanwhile (ms)",
                *(_f(c.max_gc_ms if c else None, "{:.1f}") for c in conc),
                "",
                "",
            ]
        )
        rows.append(
            [
                "  failed / unfinished streams",
                *(str(c.failed) if c else "n/a" for c in conc),
                "",
                "",
            ]
        )

    header = ["figure", "ours", "raw loop", "built-in", "ours vs raw", "ours vs built-in"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return " | ".join([first, *rest])

    sep = "-+-".join("-" * w for w in widths)
    text = "\n".join([line(header), sep, *(line(row) for row in rows)])

    # targets
    budget = 2 * r.max_output_chars + 10 * MIB
    targets: list[tuple[str, bool | None, str]] = []
    ours_t = ttft("ours+tools")
    targets.append(
        (
            "TTFT (tools+buffering) ≤ raw + 1 ms",
            None if ours_t is None or raw_t is None else ours_t - raw_t <= 1.0,
            "n/a" if ours_t is None or raw_t is None else f"{ours_t - raw_t:+.3f} ms",
        )
    )
    c_o, c_r, c_b = cpu("ours"), cpu("raw"), cpu("builtin")
    targets.append(_at_most("CPU/event ≤ 1.5× raw", c_o, c_r, 1.5))
    c_t = cpu("ours+tools")
    targets.append(_at_most("CPU/event with a tool offered ≤ 1.5× raw", c_t, c_r, 1.5))
    targets.append(_at_most("CPU/event ≤ 0.5× built-in", c_o, c_b, 0.5))
    m = get(r.mem50, "ours")
    targets.append(
        (
            f"peak memory, {sizes.mem_mb:g} MB answer ≤ 2×max_output_chars + 10 MiB"
            f" ({budget / 1e6:.2f} MB)",
            None if m is None else m.heap_peak <= budget and (m.rss_peak or 0) <= budget,
            "n/a" if m is None else f"heap {_mb(m.heap_peak)}, RSS {_mb(m.rss_peak)}",
        )
    )
    c = get(r.paced, "ours")
    targets.append(
        (
            f"{sizes.streams} streams (paced): loop lag ≤ 50 ms",
            None if c is None else c.max_lag_ms <= 50,
            "n/a" if c is None else f"{c.max_lag_ms:.1f} ms",
        )
    )
    b_o, b_r = get(r.burst, "ours"), get(r.burst, "raw")
    targets.append(
        _at_most(
            f"{sizes.streams} streams (burst): wall ≤ 1.5× raw",
            b_o.wall_s if b_o else None,
            b_r.wall_s if b_r else None,
            1.5,
        )
    )
    return text, targets


def _at_most(
    target: str, ours: float | None, other: float | None, factor: float
) -> tuple[str, bool | None, str]:
    """A ratio target: ``ours ≤ factor × other`` (None: not measured) and the ratio."""
    holds = None if ours is None or other is None else ours <= factor * other
    return target, holds, _ratio(ours, other)


def report(r: Results, sizes: Sizes, *, smoke: bool) -> str:
    """The printed report: machine line, table, targets, notes."""
    text, targets = build_table(r, sizes)
    machine = (
        f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}"
    )
    out = [
        "OpenAI Responses provider benchmark "
        + ("(SMOKE: tiny sizes, figures meaningless)" if smoke else "(full)"),
        f"machine: {machine}",
        f"medians: TTFT over {sizes.ttft_reps} runs (pause {sizes.pause_ms} ms), CPU over "
        f"{sizes.cpu_reps} runs ({sizes.cpu_reps_builtin} for the built-in; {r.events} SSE "
        f"events each), concurrency: paced and burst median of {sizes.concurrency_reps} "
        "runs, contenders in turn (built-in: 1 run, cut at "
        f"{sizes.concurrency_limit_s:g} s); "
        f"max_output_chars = {r.max_output_chars:,} "
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
    parser.add_argument(
        "--memory-child",
        nargs=3,
        metavar=("CONTENDER", "SCENARIO", "API_BASE"),
        help=argparse.SUPPRESS,
    )
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
        if not os.environ.get("BENCH_ROOT"):  # our own scratch root (and bytecode cache)
            shutil.rmtree(_bootstrap.ROOT, ignore_errors=True)
    print(report(results, sizes, smoke=args.smoke))
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
