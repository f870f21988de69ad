"""The real-data fixture of leaked pseudo tool calls is well formed.

Checks only the FILE ``tests/fixtures/pseudo_calls_real.jsonl`` (row format in
``tests/fixtures/README.md``): keys, unique ids, kind/expected consistency, traceable
sources, tool maps. How the parser does on these rows is measured elsewhere
(``tools/pseudo_report.py``), not here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pseudo_calls_real.jsonl"
REQUIRED = ("id", "source", "origin", "model", "format", "kind", "text", "expected")
OPTIONAL = ("expected_all", "tools", "notes")
ORIGINS = {"issue_or_pr", "file", "index_file"}
MIN_POSITIVES = 40
MIN_NEGATIVES = 12


def _rows() -> list[dict[str, Any]]:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


ROWS = _rows()


def _is_call(value: object) -> bool:
    """``{"name": str, "arguments": dict | None}`` and nothing else."""
    if not isinstance(value, dict) or set(value) != {"name", "arguments"}:
        return False
    name, arguments = value["name"], value["arguments"]
    return (
        isinstance(name, str) and bool(name) and (arguments is None or isinstance(arguments, dict))
    )


def test_counts_and_unique_ids() -> None:
    ids = [row.get("id") for row in ROWS]
    assert len(ids) == len(set(ids)), "duplicate ids"
    kinds = [row.get("kind") for row in ROWS]
    assert kinds.count("positive") >= MIN_POSITIVES
    assert kinds.count("negative") >= MIN_NEGATIVES


@pytest.mark.parametrize("row", ROWS, ids=[str(row.get("id")) for row in ROWS])
def test_row_shape(row: dict[str, Any]) -> None:
    assert set(REQUIRED) <= set(row), f"missing {set(REQUIRED) - set(row)}"
    assert set(row) <= set(REQUIRED + OPTIONAL), f"unknown {set(row) - set(REQUIRED + OPTIONAL)}"
    for key in ("id", "format", "text"):
        assert isinstance(row[key], str), key
        assert row[key].strip(), key
    assert row["model"] is None or isinstance(row["model"], str)
    assert row["origin"] in ORIGINS
    # every source is traceable: a GitHub URL, or (index_file) the code-index id of a
    # public file whose repository the index does not reveal
    if row["origin"] == "index_file":
        assert "index id" in row["source"]
    else:
        assert "https://github.com/" in row["source"]
    if "notes" in row:
        assert isinstance(row["notes"], str)
        assert row["notes"].strip()


@pytest.mark.parametrize("row", ROWS, ids=[str(row.get("id")) for row in ROWS])
def test_kind_matches_expected(row: dict[str, Any]) -> None:
    if row["kind"] == "negative":
        assert row["expected"] is None
        assert "expected_all" not in row
        assert row["format"].startswith("negative_")
        return
    assert row["kind"] == "positive"
    assert _is_call(row["expected"])
    assert not row["format"].startswith("negative_")
    if "expected_all" in row:
        calls = row["expected_all"]
        assert isinstance(calls, list)
        assert calls
        assert all(_is_call(call) for call in calls)
        assert calls[0] == row["expected"]


@pytest.mark.parametrize(
    "row", [r for r in ROWS if "tools" in r], ids=[str(r["id"]) for r in ROWS if "tools" in r]
)
def test_tools_map_names_to_schemas(row: dict[str, Any]) -> None:
    tools = row["tools"]
    assert isinstance(tools, dict)
    assert tools
    for name, schema in tools.items():
        assert isinstance(name, str)
        assert name
        assert schema is None or isinstance(schema, dict)
    if row["kind"] == "positive":
        called = [row["expected"], *row.get("expected_all", [])]
        recoverable = [call for call in called if call["arguments"] is not None]
        assert all(call["name"] in tools for call in recoverable), "a call names an unoffered tool"
