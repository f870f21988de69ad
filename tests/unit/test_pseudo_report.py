"""The per-format report tool counts what it claims (tools/pseudo_report.py)."""

from __future__ import annotations

from tools.pseudo_report import Row, evaluate, table

LEAK = 'assistant to=functions.get_weather {"city": "Paris"}'


def test_report_counts_recovery_false_positives_and_unrecoverables() -> None:
    rows = [
        Row("t", "recipient", LEAK, True, {"name": "get_weather", "arguments": {"city": "Paris"}}),
        Row("t", "recipient", LEAK, True, {"name": "get_weather", "arguments": {"city": "Rome"}}),
        Row("t", "spam", "to=functions.exec 天天中彩票", True, {"name": "", "arguments": None}),
        Row("t", "neg", "Just prose about functions.", False, None),
        Row("t", "neg", LEAK, False, None),  # labelled negative, but it is a leak
    ]
    tallies = evaluate(rows, {"exec": None})
    rec, spam, neg = tallies["t/recipient"], tallies["t/spam"], tallies["t/neg"]
    assert (rec.positives, rec.recoverable, rec.recovered) == (2, 2, 1)
    assert rec.stream_runs == 10 and rec.leaks == 0
    assert spam.unrecoverable_ok == 1
    assert (neg.negatives, neg.false_positives) == (2, 1)
    assert "recall 0.500  precision 0.500" in table(tallies)
