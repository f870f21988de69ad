"""Run the end-to-end suite against other AstrBot releases: the oldest this plugin declares
and the newest on the registry.

``bash scripts/hosts.sh`` (CI: ``.ci/run`` after ``scripts/test.sh``). For each host:

1. a fresh venv in a temporary directory (``uv venv``; nothing cached: ``uv --no-cache``)
   with ``astrbot==<oldest>`` — the lower bound of ``astrbot_version`` in ``metadata.yaml`` —
   or ``astrbot<5`` (the newest release the range admits), plus this plugin's
   ``requirements.txt``. If the resolver fails, the install is retried once with the pins of
   ``.ci/host-overrides.txt`` (``uv pip install --override``; AstrBot 4.29.2+ require a
   ``certifi`` release some registries lack);
2. ``pytest tests/e2e`` in the project venv with ``ASTRBOT_EXE`` pointing at that host's
   ``astrbot``: the harness learns the host's CLI, config keys and dashboard routes, and
   the browser check runs where the host ships its WebUI (4.25+; screenshots in
   ``artifacts/screenshots/<version>/``).

The project venv's own AstrBot (4.29.1) is covered by ``scripts/test.sh``. Prints one line
per host and step with its duration; exit status 0 when every host passed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # allow ``python tools/host_matrix.py``
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.harness import ASTRBOT_EXE_ENV
from tools.plugin_root import REPO

OVERRIDES = REPO / ".ci" / "host-overrides.txt"
SCREENSHOTS = REPO / "artifacts" / "screenshots"


def declared_oldest(metadata: Path = REPO / "metadata.yaml") -> str:
    """The ``>=`` bound of ``astrbot_version`` in ``metadata.yaml`` (e.g. ``"4.12"``)."""
    text = metadata.read_text(encoding="utf-8")
    found = re.search(r"^astrbot_version:\s*\"?[^\n]*?>=\s*([0-9][0-9.]*)", text, re.M)
    if not found:
        raise SystemExit(f"no '>=' bound in astrbot_version of {metadata}")
    return found.group(1)


@dataclass
class HostRun:
    """One host of the matrix and what happened to it."""

    requirement: str
    version: str = "?"
    install_seconds: float = 0.0
    test_seconds: float = 0.0
    overridden: bool = False
    returncode: int | None = None

    @property
    def ok(self) -> bool:
        """Installed and the suite passed."""
        return self.returncode == 0


def _uv() -> list[str]:
    found = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    return [found, "--no-cache"]


def install(run: HostRun, venv: Path) -> bool:
    """Create ``venv`` and install ``run.requirement`` plus the plugin's requirements."""
    started = time.monotonic()
    subprocess.run([*_uv(), "venv", "-q", "-p", sys.executable, str(venv)], check=True)
    env = dict(os.environ, VIRTUAL_ENV=str(venv))
    base = [*_uv(), "pip", "install", "-q", run.requirement, "-r", str(REPO / "requirements.txt")]
    done = subprocess.run(base, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 and OVERRIDES.exists():
        print(f"   {run.requirement}: resolver failed, retrying with {OVERRIDES.name}", flush=True)
        run.overridden = True
        done = subprocess.run(
            [*base, "--override", str(OVERRIDES)], env=env, capture_output=True, text=True
        )
    run.install_seconds = time.monotonic() - started
    if done.returncode != 0:
        print(done.stdout[-3000:] + done.stderr[-3000:], flush=True)
        return False
    probe = "import importlib.metadata as m; print(m.version('astrbot'))"
    run.version = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    return True


def run_suite(run: HostRun, venv: Path, pytest_args: list[str]) -> None:
    """``pytest tests/e2e`` (project venv) against the host in ``venv``."""
    env = dict(os.environ)
    env[ASTRBOT_EXE_ENV] = str(venv / "bin" / "astrbot")
    env["WEBUI_SCREENSHOTS"] = str(SCREENSHOTS / run.version)
    started = time.monotonic()
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/e2e"]
    run.returncode = subprocess.run([*cmd, *pytest_args], cwd=REPO, env=env).returncode
    run.test_seconds = time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m tools.host_matrix", description=__doc__)
    parser.add_argument(
        "--host",
        action="append",
        help="a pip requirement for astrbot (repeatable; default: the declared oldest "
        "release and astrbot<5)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the host venvs")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    requirements = args.host or [f"astrbot=={declared_oldest()}", "astrbot<5"]
    work = Path(tempfile.mkdtemp(prefix="astrbot-hosts-"))
    runs = [HostRun(r) for r in requirements]
    started = time.monotonic()
    try:
        for n, run in enumerate(runs):
            venv = work / f"host-{n}"
            print(f"== {run.requirement}: installing into {venv}", flush=True)
            if install(run, venv):
                print(f"== AstrBot {run.version}: e2e suite", flush=True)
                run_suite(run, venv, args.pytest_args)
    finally:
        if args.keep:
            print(f"host venvs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("== host matrix")
    for run in runs:
        how = " (with overrides)" if run.overridden else ""
        print(
            f"   {'PASS' if run.ok else 'FAIL'}  AstrBot {run.version:<8} {run.requirement:<18} "
            f"install {run.install_seconds:5.1f}s{how}, e2e {run.test_seconds:5.1f}s"
        )
    print(f"   total {time.monotonic() - started:.1f}s")
    return 0 if all(r.ok for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
