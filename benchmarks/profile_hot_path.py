"""Profile one contender on the N-delta stream with pyinstrument; print the top self costs.

``.venv/bin/python -m benchmarks.profile_hot_path [--contender ours] [--deltas 20000]
[--reps 5] [--tree]`` (needs ``pip install pyinstrument``; not a project dependency).

Self time is aggregated per function over all call sites and shown in µs per SSE event,
which is what the CPU-per-event figure of :mod:`benchmarks.run` adds up.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections import defaultdict
from typing import Any

from benchmarks import _bootstrap  # must come before astrbot / plugin imports
from benchmarks.bench_upstream import delta_events_count
from benchmarks.run import FULL, make_contender, start_upstream


def _self_times(frame: Any, acc: dict[str, float], owner: Any = None) -> None:
    """Add each frame's own time (pyinstrument's synthetic "[self]" frames to their parent)."""
    real = owner if getattr(frame, "is_synthetic", False) and owner is not None else frame
    children = frame.children
    own = frame.time - sum(c.time for c in children)
    path = (real.file_path_short or "").replace(str(_bootstrap.REPO), "")
    acc[f"{real.function}  {path}:{real.line_no}"] += own
    for child in children:
        _self_times(child, acc, real)


async def _profile(name: str, api_base: str, deltas: int, reps: int) -> Any:
    from pyinstrument import Profiler

    contender = make_contender(name, api_base)
    prompt = f"bench=deltas:{deltas} profile"
    try:
        await contender.consume(prompt)  # warm up
        profiler = Profiler(interval=0.0002, async_mode="disabled")
        profiler.start()
        for _ in range(reps):
            await contender.consume(prompt)
        profiler.stop()
        return profiler
    finally:
        await contender.aclose()


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--contender", default="ours", choices=["ours", "raw", "builtin"])
    parser.add_argument("--deltas", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--tree", action="store_true", help="also print pyinstrument's tree")
    args = parser.parse_args()
    logging.getLogger("astrbot").setLevel(logging.ERROR)
    proc, api_base = start_upstream(FULL)
    try:
        profiler = asyncio.run(_profile(args.contender, api_base, args.deltas, args.reps))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    session = profiler.last_session
    events = delta_events_count(args.deltas) * args.reps
    acc: dict[str, float] = defaultdict(float)
    root = session.root_frame()
    _self_times(root, acc)
    total = sum(acc.values())
    print(
        f"{args.contender}: {total / events * 1e6:.2f} µs sampled per event "
        f"({events} events, {session.sample_count} samples)"
    )
    for where, seconds in sorted(acc.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"{seconds / events * 1e6:7.2f} µs/event {seconds / total:6.1%}  {where}")
    if args.tree:
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
