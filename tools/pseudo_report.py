"""Per-format recall, precision and streaming-leak counts of the pseudo tool-call handling.

``.venv/bin/python -m tools.pseudo_report [--fixture PATH ...] [--no-own]`` runs the
extractor and the stream guard over JSONL files of real leaked outputs (default:
``tests/fixtures/pseudo_calls_dev.jsonl`` and ``tests/fixtures/pseudo_calls_real.jsonl``; rows
as documented in
specs/002-pseudo-tool-calls/spec.md §"Evaluation") and over the hand-written cases of
``tests/unit/pseudo_cases.py``, and prints one row per format:

* positives — rows that are a leak; *recoverable* ones name an offered tool with arguments;
* recovered — recoverable rows whose calls (name and arguments of each expected call, in
  order) came back exactly;
* unrecoverable ok — leaks without usable arguments that were held back and not run;
* false positives — negative rows (prose, code, JSON answers…) not passed through unchanged;
* leaks — streamed runs (delta sizes 1, 3, 7, 64 and whole) whose released text contained
  a marker or the expected tool name in call position (:func:`leaked`).

Each row is evaluated with its own tools: the row's ``tools`` (names and JSON schemas)
or the names of its expected calls, plus three decoy tools. Recall = recovered /
recoverable; precision = recovered / (recovered + false positives). Exit status 1 on any
false positive, leak or missed recoverable call.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tools.plugin_root import enter_plugin_root  # noqa: E402

DEFAULT_FIXTURES = (
    REPO / "tests" / "fixtures" / "pseudo_calls_dev.jsonl",
    REPO / "tests" / "fixtures" / "pseudo_calls_real.jsonl",
)
CHUNK_SIZES = (1, 3, 7, 64, 0)  # 0 = the whole text in one delta
#: generic leak residue (besides every family marker) that must never be released
RESIDUE = (
    "to=functions.",
    '{"name"',
    "{'name'",
    "{'id'",
    "<|",
    "<｜",
    "<tool_call",
    "[TOOL_CALLS]",
)
DECOYS: dict[str, dict[str, Any] | None] = {"web_search": None, "send_email": None, "calc": None}


@dataclass
class Row:
    """One case: its format label, text, whether it is a leak, the expected calls, tools."""

    source: str
    format: str  # "": the family the extractor names
    text: str
    positive: bool
    expected: list[dict[str, Any]]  # [{"name", "arguments"}]; arguments None = unrecoverable
    tools: dict[str, dict[str, Any] | None] = field(default_factory=dict)


@dataclass
class Tally:
    """Counts for one format."""

    positives: int = 0
    recoverable: int = 0
    recovered: int = 0
    unrecoverable_ok: int = 0
    negatives: int = 0
    false_positives: int = 0
    stream_runs: int = 0
    leaks: int = 0
    misses: list[str] = field(default_factory=list)


def fixture_rows(path: Path) -> list[Row]:
    """The rows of a pseudo-call JSONL file (none when it does not exist)."""
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        expected = data.get("expected_all") or ([data["expected"]] if data.get("expected") else [])
        tools = data.get("tools") or {c["name"]: None for c in expected if c.get("name")}
        rows.append(
            Row(
                path.stem,
                data.get("format", "?"),
                data["text"],
                data["kind"] == "positive",
                expected,
                tools,
            )
        )
    return rows


def own_rows() -> list[Row]:
    """The hand-written cases of tests/unit/pseudo_cases.py (positives are grouped by the
    format family the extractor names, negatives together)."""
    from tests.unit.pseudo_cases import NEGATIVES, OFFERED, POSITIVES

    rows = []
    for _case_id, text, calls, _visible in POSITIVES:
        expected = (
            [{"name": n, "arguments": a} for n, a in calls]
            if calls
            else [{"name": "", "arguments": None}]
        )
        rows.append(Row("own", "", text, True, expected, dict(OFFERED)))
    for _case_id, text in NEGATIVES:
        rows.append(Row("own", "negatives", text, False, [], dict(OFFERED)))
    return rows


def leaked(shown: str, names: list[str]) -> list[str]:
    """What of a leak ``shown`` contains: a family marker, generic residue, or an expected
    tool name in call position (followed by ``(``, ``{``, ``<``, ``[ARGS]`` or a quote)."""
    from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls import MARKERS

    found = [m for m in (*MARKERS, *RESIDUE) if m in shown]
    for name in names:
        if name and re.search(rf"(?<![\w-]){re.escape(name)}[ \t]*(?:[({{<]|\[ARGS\])", shown):
            found.append(name)
    return found


def streamed(text: str, offered: dict[str, dict[str, Any] | None], size: int) -> tuple[str, str]:
    """``(released, held)``: ``text`` fed to a fresh ``StreamGuard`` in ``size``-character
    deltas (0 = one delta) — what a chat shows while streaming, and what is left at the end."""
    from data.plugins.astrbot_plugin_openai_responses.provider.stream_guard import StreamGuard

    guard = StreamGuard(offered, max_held_chars=10**9, max_held_responses=10**9)
    pieces = [text] if size == 0 else [text[i : i + size] for i in range(0, len(text), size)]
    shown = "".join(guard.feed(piece).release for piece in pieces)
    return shown, guard.finish()


def evaluate(rows: list[Row]) -> dict[str, Tally]:
    """Run every row through ``extract`` and the guard; tally by ``source/format``."""
    from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls import extract

    tallies: dict[str, Tally] = defaultdict(Tally)
    for row in rows:
        offered = DECOYS | row.tools
        result = extract(row.text, offered)
        tally = tallies[f"{row.source}/{row.format or result.format or 'undetected'}"]
        if not row.positive:
            tally.negatives += 1
            if result.status != "none" or result.visible_text != row.text:
                tally.false_positives += 1
                tally.misses.append(f"FP {row.text[:60]!r}")
            continue
        tally.positives += 1
        if any(call.get("arguments") is None for call in row.expected):
            ok = result.status == "unrecoverable" and not result.calls
            tally.unrecoverable_ok += int(ok)
            if not ok:
                tally.misses.append(f"unrec {result.status} {row.text[:60]!r}")
        else:
            tally.recoverable += 1
            got = [{"name": c.name, "arguments": c.arguments} for c in result.calls]
            if got[: len(row.expected)] == row.expected:
                tally.recovered += 1
            else:
                tally.misses.append(f"miss {got[:2]} {row.text[:60]!r}")
        names = [c["name"] for c in row.expected if c.get("name")]
        for size in CHUNK_SIZES:
            shown, _held = streamed(row.text, offered, size)
            tally.stream_runs += 1
            bad = leaked(shown, names)
            if bad:
                tally.leaks += 1
                tally.misses.append(f"leak@{size} {bad[:3]} {row.text[:50]!r}")
    return dict(tallies)


def table(tallies: dict[str, Tally], *, verbose: bool = False) -> str:
    """A fixed-width table, one row per format and a total row per source."""
    head = (
        f"{'source/format':52} {'pos':>4} {'recov':>6} {'ok':>4} {'unrec-ok':>8} "
        f"{'neg':>4} {'FP':>3} {'streams':>7} {'leaks':>5}"
    )
    lines = [head, "-" * len(head)]
    totals: dict[str, Tally] = defaultdict(Tally)
    for key in sorted(tallies):
        t = tallies[key]
        total = totals[key.split("/")[0]]
        for name, value in vars(t).items():
            if isinstance(value, int):
                setattr(total, name, getattr(total, name) + value)
        lines.append(_line(key, t))
        if verbose:
            lines.extend(f"    {miss}" for miss in t.misses)
    lines.append("-" * len(head))
    for source, t in sorted(totals.items()):
        precision = t.recovered / (t.recovered + t.false_positives) if t.recovered else 1.0
        recall = t.recovered / t.recoverable if t.recoverable else 1.0
        lines.append(
            _line(f"{source} total", t) + f"   recall {recall:.3f}  precision {precision:.3f}"
        )
    return "\n".join(lines)


def _line(key: str, t: Tally) -> str:
    return (
        f"{key[:52]:52} {t.positives:>4} {t.recovered:>6} {t.recoverable:>4} "
        f"{t.unrecoverable_ok:>8} {t.negatives:>4} {t.false_positives:>3} "
        f"{t.stream_runs:>7} {t.leaks:>5}"
    )


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 1 on a false positive, a leak or a missed recoverable call."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixture", type=Path, action="append", help="JSONL file (repeatable)")
    parser.add_argument("--no-own", action="store_true", help="skip tests/unit/pseudo_cases.py")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in (args.fixture or DEFAULT_FIXTURES)]
    enter_plugin_root(os.environ.get("PSEUDO_REPORT_ROOT"), "astrbot-pseudo-report-")
    rows = [row for path in paths for row in fixture_rows(path)]
    if not args.no_own:
        rows += own_rows()
    tallies = evaluate(rows)
    print(table(tallies, verbose=args.verbose))
    bad = sum(
        t.false_positives
        + t.leaks
        + t.recoverable
        - t.recovered
        + t.positives
        - t.recoverable
        - t.unrecoverable_ok
        for t in tallies.values()
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
