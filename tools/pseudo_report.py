"""Per-format recall, precision and streaming-leak counts of the pseudo tool-call handling.

``.venv/bin/python -m tools.pseudo_report [--fixture PATH]`` runs the extractor and the
stream guard over a JSONL file of real leaked outputs (default:
``../shared/fixtures/pseudo_calls_dev.jsonl``; rows as documented in
specs/002-pseudo-tool-calls/spec.md §"Evaluation") and over the hand-written cases of
``tests/unit/pseudo_cases.py``, and prints one row per format:

* positives — rows that are a leak; *recoverable* ones name an offered tool with arguments;
* recovered — recoverable rows whose first call (name and arguments) came back exactly;
* unrecoverable ok — leaks without usable arguments that were held back and not run;
* false positives — negative rows (prose, code, JSON answers…) not passed through unchanged;
* leaks — streamed runs (delta sizes 1, 3, 7, 64 and whole) whose released text contained
  a marker of a positive row.

Recall = recovered / recoverable; precision = recovered / (recovered + false positives).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tools.plugin_root import enter_plugin_root  # noqa: E402

DEFAULT_FIXTURE = REPO.parent / "shared" / "fixtures" / "pseudo_calls_dev.jsonl"
CHUNK_SIZES = (1, 3, 7, 64, 0)  # 0 = the whole text in one delta
#: text that must never be released while a positive row streams
FORBIDDEN = ("to=functions.", '{"name"', "{'id'", "<|", "<｜", "<tool_call", "[TOOL_CALLS]")
DECOYS = ("web_search", "send_email", "calc")


@dataclass
class Row:
    """One case: its format label, text, whether it is a leak, the expected first call."""

    source: str
    format: str  # "": the family the extractor names
    text: str
    positive: bool
    expected: dict[str, Any] | None  # {"name", "arguments"}; arguments None = unrecoverable


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


def fixture_rows(path: Path) -> list[Row]:
    """The rows of a pseudo-call JSONL file (none when it does not exist)."""
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            rows.append(
                Row(
                    path.name,
                    data.get("format", "?"),
                    data["text"],
                    data["kind"] == "positive",
                    data.get("expected"),
                )
            )
    return rows


def own_rows() -> list[Row]:
    """The hand-written cases of tests/unit/pseudo_cases.py (positives are grouped by the
    format family the extractor names, negatives together)."""
    from tests.unit.pseudo_cases import NEGATIVES, POSITIVES

    rows = []
    for _case_id, text, calls, _visible in POSITIVES:
        first = {"name": calls[0][0], "arguments": calls[0][1]} if calls else None
        expected = first or {"name": "", "arguments": None}
        rows.append(Row("own", "", text, True, expected))
    for _case_id, text in NEGATIVES:
        rows.append(Row("own", "negatives", text, False, None))
    return rows


def evaluate(rows: list[Row], offered_extra: dict[str, Any]) -> dict[str, Tally]:
    """Run every row through ``extract`` and the guard; tally by ``source/format``."""
    from data.plugins.astrbot_plugin_openai_responses.provider.pseudo_calls import extract
    from data.plugins.astrbot_plugin_openai_responses.provider.stream_guard import StreamGuard

    offered: dict[str, Any] = {name: None for name in DECOYS} | offered_extra
    for row in rows:
        if row.expected and row.expected.get("name"):
            offered.setdefault(row.expected["name"], None)
    tallies: dict[str, Tally] = defaultdict(Tally)
    for row in rows:
        result = extract(row.text, offered)
        tally = tallies[f"{row.source}/{row.format or result.format or 'undetected'}"]
        if not row.positive:
            tally.negatives += 1
            if result.status != "none" or result.visible_text != row.text:
                tally.false_positives += 1
            continue
        tally.positives += 1
        expected = row.expected or {}
        if expected.get("arguments") is None:
            tally.unrecoverable_ok += int(result.status == "unrecoverable" and not result.calls)
        else:
            tally.recoverable += 1
            first = result.calls[0] if result.calls else None
            if first and (first.name, first.arguments) == (expected["name"], expected["arguments"]):
                tally.recovered += 1
        for size in CHUNK_SIZES:
            guard = StreamGuard(offered, max_held_chars=10**9, max_held_responses=10**9)
            pieces = (
                [row.text]
                if size == 0
                else [row.text[i : i + size] for i in range(0, len(row.text), size)]
            )
            shown = "".join(guard.feed(piece).release for piece in pieces)
            tally.stream_runs += 1
            tally.leaks += int(any(marker in shown for marker in FORBIDDEN))
    return dict(tallies)


def table(tallies: dict[str, Tally]) -> str:
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
        for name in vars(t):
            setattr(total, name, getattr(total, name) + getattr(t, name))
        lines.append(_line(key, t))
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
    parser.add_argument("--fixture", type=Path, default=DEFAULT_FIXTURE)
    args = parser.parse_args(argv)
    enter_plugin_root(os.environ.get("PSEUDO_REPORT_ROOT"), "astrbot-pseudo-report-")
    from tests.unit.pseudo_cases import OFFERED

    tallies = evaluate(fixture_rows(args.fixture) + own_rows(), dict(OFFERED))
    print(table(tallies))
    bad = sum(t.false_positives + t.leaks + t.recoverable - t.recovered for t in tallies.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
