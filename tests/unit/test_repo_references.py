"""The repository stands alone: docstrings and docs cite files inside it, and every
``specs/…/spec.md §"Section"`` reference names a spec and a heading that exist."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import REPO

#: notes kept outside the repository, which a clone does not have
OUTSIDE = re.compile(
    "|".join(
        re.escape(n)
        for n in (
            "responses_api.md",
            "astrbot_host.md",
            "third_party_servers.md",
            "shared" + "/docs",
        )
    )
)
#: ``specs/<dir>/<file>.md §"<section>"``
REFERENCE = re.compile(r'(specs/[\w.-]+/[\w.-]+\.md)\s+§"([^"]+)"')
#: this file (it names them)
EXEMPT = {"tests/unit/test_repo_references.py"}


def tracked_text_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [
        name
        for name in listed
        if name.endswith((".py", ".md", ".sh", ".toml", ".json", ".yaml"))
        and (REPO / name).exists()
    ]


FILES = tracked_text_files()


def headings(spec: str) -> list[str]:
    text = (REPO / spec).read_text(encoding="utf-8")
    return [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]


def test_files_were_found() -> None:
    assert "provider/accumulator.py" in FILES
    assert "specs/004-responses-wire-format/spec.md" in FILES


def test_no_reference_to_notes_outside_the_repository() -> None:
    outside = {}
    for name in FILES:
        found = OUTSIDE.search((REPO / name).read_text(encoding="utf-8", errors="replace"))
        if found is not None and name not in EXEMPT:
            outside[name] = found.group(0)
    assert outside == {}


def test_every_spec_section_reference_exists() -> None:
    broken = []
    for name in FILES:
        text = (REPO / name).read_text(encoding="utf-8", errors="replace")
        for spec, section in REFERENCE.findall(" ".join(text.split())):
            if not (REPO / spec).is_file():
                broken.append(f"{name}: {spec} does not exist")
            elif not any(h.startswith(section) for h in headings(spec)):
                broken.append(f'{name}: {spec} has no section "{section}"')
    assert broken == []
