"""The per-format report tool counts what it claims (tools/pseudo_report.py)."""

from __future__ import annotations

from tools.pseudo_report import Row, evaluate, leaked, table

LEAK = 'assistant to=functions.get_weather {"city": "Paris"}'
WEATHER = {"get_weather": None}


def test_report_counts_recovery_false_positives_and_unrecoverables() -> None:
    paris = [{"name": "get_weather", "arguments": {"city": "Paris"}}]
    rome = [{"name": "get_weather", "arguments": {"city": "Rome"}}]
    rows = [
        Row("t", "recipient", LEAK, True, paris, WEATHER),
        Row("t", "recipient", LEAK, True, rome, WEATHER),
        Row(
            "t", "spam", "to=functions.exec 天天中彩票", True, [{"name": "exec", "arguments": None}]
        ),
        Row("t", "neg", "Just prose about functions.", False, [], WEATHER),
        Row("t", "neg", LEAK, False, [], WEATHER),  # labelled negative, but it is a leak
    ]
    tallies = evaluate(rows)
    rec, spam, neg = tallies["t/recipient"], tallies["t/spam"], tallies["t/neg"]
    assert (rec.positives, rec.recoverable, rec.recovered) == (2, 2, 1)
    assert rec.stream_runs == 10
    assert rec.leaks == 0
    assert spam.unrecoverable_ok == 1
    assert (neg.negatives, neg.false_positives) == (2, 1)
    assert "recall 0.500  precision 0.500" in table(tallies)


def test_leak_check_sees_markers_and_names_in_call_position() -> None:
    assert leaked("Sure. <tool_call>", []) == ["<tool_call>", "<tool_call"]
    assert leaked("I will run get_weather({", ["get_weather"]) == ["get_weather"]
    assert leaked("get_weather is a tool", ["get_weather"]) == []
