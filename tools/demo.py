"""End-to-end demo: a real AstrBot with this plugin, chatting through the dashboard API.

Run ``bash scripts/demo.sh`` (or ``.venv/bin/python -m tools.demo``).

* Without ``OPENAI_API_KEY`` the embedded fake Responses upstream (``python -m tools.upstream``)
  is started on 127.0.0.1. With it, the real endpoint is used: ``OPENAI_BASE_URL`` (default
  ``https://api.openai.com/v1``) and ``OPENAI_MODEL`` (default ``gpt-4.1-mini``). The key is
  passed to AstrBot as the reference ``$OPENAI_API_KEY`` and never written or printed.
* A temporary AstrBot root gets this plugin plus the test plugin ``astrbot_plugin_magic_tool``
  (LLM tool ``get_magic_number``); AstrBot runs headless on 127.0.0.1.
* Three turns: a streamed answer (deltas printed live), a tool round trip, a non-streamed
  answer. Everything is stopped by PID; a PASS/FAIL summary follows (exit 1 on failure).
* ``--serve`` (``bash scripts/demo.sh --serve``): no scripted turns; AstrBot stays up and the
  dashboard URL, the login and the provider to look at are printed, so that you can open
  the provider form, press Test and chat in WebChat — until Ctrl-C, which stops everything.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # allow ``python tools/demo.py``
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.harness import (
    MAGIC_PLUGIN,
    PLUGIN_TYPE,
    AstrBotInstance,
    ChatResult,
    HarnessError,
    ProviderSpec,
    UpstreamProcess,
    host_ships_webui,
)

DEFAULT_MODEL = "gpt-4.1-mini"
FAKE_MODEL = "fake-responses-model"
FAKE_KEY = "sk-demo-local-0000"

HELLO = "Hello! Who are you?"
MAGIC = "MAGIC please: call get_magic_number with seed 7"
PLAIN = "Say something nice about the Responses API in one short sentence."


@dataclass
class Step:
    """One demo check."""

    name: str
    ok: bool = False
    detail: str = ""
    seconds: float = 0.0


@dataclass
class Demo:
    """State shared by the demo steps."""

    real: bool
    secret: str | None
    steps: list[Step] = field(default_factory=list)

    def safe(self, text: object) -> str:
        """``text`` with the API key (if any) masked."""
        out = str(text)
        if self.secret:
            out = out.replace(self.secret, "***")
        return out

    def say(self, text: object = "", end: str = "\n") -> None:
        """Print (masked) and flush."""
        print(self.safe(text), end=end, flush=True)

    def record(self, name: str, ok: bool, detail: str = "", seconds: float = 0.0) -> bool:
        """Remember a check result."""
        self.steps.append(Step(name, ok, detail, seconds))
        return ok


def _has_error(result: ChatResult) -> str | None:
    return result.error_marker()


def _live_printer(demo: Demo) -> Callable[[dict[str, Any]], None]:
    """An ``on_event`` callback that prints streaming text deltas as they arrive."""

    def on_event(event: dict[str, Any]) -> None:
        if event.get("type") == "plain" and event.get("streaming") and not event.get("chain_type"):
            demo.say(event.get("data", ""), end="")

    return on_event


def step_stream(demo: Demo, bot: AstrBotInstance) -> None:
    """Streamed answer to the greeting."""
    demo.say(f"\n[1] streamed chat: {HELLO!r}\n    assistant> ", end="")
    res = bot.chat(HELLO, stream=True, on_event=_live_printer(demo))
    demo.say(f"\n    ({len(res.deltas)} deltas, {res.elapsed:.1f}s)")
    err = _has_error(res)
    ok = bool(res.text.strip()) and len(res.deltas) >= 1 and err is None
    if not demo.real:
        ok = ok and "CANNED REPLY" in res.text and len(res.deltas) >= 2
    demo.record("streamed chat", ok, err or f"{len(res.deltas)} deltas", res.elapsed)


def step_tool(demo: Demo, bot: AstrBotInstance) -> None:
    """Tool round trip: function call → get_magic_number → final answer."""
    demo.say(f"\n[2] tool round trip: {MAGIC!r}")
    res = bot.chat(MAGIC, stream=True)
    for call in res.tool_calls:
        args = json.dumps(call.get("args"), ensure_ascii=False)
        demo.say(f"    tool call  : {call.get('name')}({args})")
    for tres in res.tool_results:
        demo.say(f"    tool result: {tres.get('result', tres)}")
    demo.say(f"    assistant> {res.text}")
    called = any(c.get("name") == "get_magic_number" for c in res.tool_calls)
    err = _has_error(res)
    ok = called and "42" in res.text and err is None
    if not demo.real:
        ok = ok and "TOOL RESULT WAS" in res.text
    detail = err or ("tool called" if called else "no get_magic_number call seen")
    demo.record("tool round trip", ok, detail, res.elapsed)


def step_nonstream(demo: Demo, bot: AstrBotInstance) -> None:
    """Non-streamed answer."""
    demo.say(f"\n[3] non-streamed chat: {PLAIN!r}")
    res = bot.chat(PLAIN, stream=False)
    demo.say(f"    assistant> {res.text}\n    ({res.elapsed:.1f}s)")
    err = _has_error(res)
    ok = bool(res.text.strip()) and not res.deltas and err is None
    if not demo.real:
        ok = ok and "CANNED REPLY" in res.text
    demo.record("non-streamed chat", ok, err or "", res.elapsed)


def check_log(demo: Demo, bot: AstrBotInstance) -> None:
    """The plugin loaded, and the key never reached the log."""
    log = bot.log_text()
    for line in log.splitlines():
        if "Failed to import plugin" in line or "Provider adapter not found" in line:
            demo.say(f"    AstrBot log: {line.strip()}")
    missing = "Provider adapter not found" in log
    demo.record("plugin provider loaded", not missing, "adapter missing" if missing else "")
    if demo.secret:
        demo.record("key not in AstrBot log", demo.secret not in log)


def serve(demo: Demo, bot: AstrBotInstance, spec: ProviderSpec) -> None:
    """Print where to look and wait for Ctrl-C (or SIGTERM)."""
    webui = host_ships_webui(bot.astrbot_exe)
    demo.say(
        "\n== AstrBot is running; press Ctrl-C to stop ==\n"
        f"  dashboard : {bot.base_url}/"
        + ("" if webui else "  (this AstrBot does not ship its WebUI: API only)")
        + f"\n  login     : astrbot / {bot.password}\n"
        f'  provider  : Providers → source {spec.source_id!r} (card "OpenAI (Responses, '
        f'Plugin)"), model {spec.provider_id!r}: press Test, or add a source with the card\n'
        f'  chat      : Chat (WebChat) → model {spec.provider_id!r}; e.g. "{MAGIC}"\n'
        f"  AstrBot log: {bot.log_path}"
    )
    for signum in (signal.SIGINT, signal.SIGTERM):  # also when started in the background
        signal.signal(signum, signal.default_int_handler)
    while bot.is_running():
        time.sleep(1)
    demo.say("AstrBot stopped by itself; see its log above.")


def run(args: argparse.Namespace) -> int:
    """Run the demo; return the exit code."""
    secret = os.environ.get("OPENAI_API_KEY") or None
    demo = Demo(real=secret is not None, secret=secret)
    workdir = Path(tempfile.mkdtemp(prefix="astrbot-demo-"))
    upstream: UpstreamProcess | None = None
    bot: AstrBotInstance | None = None
    demo.say(f"== AstrBot + {args.provider_type} demo ==")
    try:
        if demo.real:
            base = os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
            model = os.environ.get("OPENAI_MODEL") or DEFAULT_MODEL
            key = ["$OPENAI_API_KEY"]
            demo.say(f"upstream : real endpoint {base} (model {model}, key from $OPENAI_API_KEY)")
        else:
            upstream = UpstreamProcess(workdir)
            base, model, key = upstream.start(), FAKE_MODEL, [FAKE_KEY]
            demo.say(f"upstream : embedded fake Responses server {base} (pid {upstream.pid})")
        spec = ProviderSpec("demo", model, key=key, api_base=base, type=args.provider_type)
        bot = AstrBotInstance(workdir / "root", dashboard_port=args.port)
        bot.setup([spec], spec.provider_id, [MAGIC_PLUGIN])
        demo.say(f"AstrBot  : root {bot.root}")
        seconds = bot.start(timeout=args.timeout)
        demo.say(f"AstrBot  : pid {bot.pid} ready on {bot.base_url} after {seconds:.1f}s")
        bot.login()
        if args.serve:
            serve(demo, bot, spec)
            return 0
        for step in (step_stream, step_tool, step_nonstream):
            try:
                step(demo, bot)
            except Exception as exc:  # report and go on with the next step
                demo.say(f"\n    error: {type(exc).__name__}: {exc}")
                demo.record(step.__doc__ or step.__name__, False, f"{type(exc).__name__}")
        check_log(demo, bot)
    except (HarnessError, OSError) as exc:
        demo.say(f"setup failed: {exc}")
        demo.record("setup", False, type(exc).__name__)
    except KeyboardInterrupt:
        if args.serve:
            demo.say("\nCtrl-C: stopping")
            return 0
        demo.record("interrupted", False)
    finally:
        if bot is not None:
            rc = bot.stop()
            demo.say(f"\nstopped AstrBot pid {bot.pid} (rc {rc})")
            bot.close()
        if upstream is not None:
            upstream.stop()
            demo.say(f"stopped upstream pid {upstream.pid}")
        if args.serve and not demo.steps:  # nothing failed: nothing to keep
            shutil.rmtree(workdir, ignore_errors=True)
    return summarize(demo, workdir, keep=args.keep)


def summarize(demo: Demo, workdir: Path, *, keep: bool) -> int:
    """Print the PASS/FAIL table, clean up (unless kept or failed); return the exit code."""
    failed = [s for s in demo.steps if not s.ok]
    demo.say("\n== summary ==")
    for s in demo.steps:
        timing = f" {s.seconds:.1f}s" if s.seconds else ""
        demo.say(f"  {'PASS' if s.ok else 'FAIL'}  {s.name}{timing}  {s.detail}".rstrip())
    ok = bool(demo.steps) and not failed
    if ok and not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        demo.say(f"artefacts kept in {workdir} (AstrBot log: root/astrbot.out)")
    demo.say("RESULT: PASS" if ok else f"RESULT: FAIL ({len(failed)} failed)")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--provider-type",
        default=PLUGIN_TYPE,
        help=f"provider type to chat through (default {PLUGIN_TYPE}; "
        "'openai_responses' = AstrBot's built-in one, for comparison)",
    )
    parser.add_argument("--timeout", type=float, default=90.0, help="AstrBot startup timeout")
    parser.add_argument("--keep", action="store_true", help="keep the temporary root")
    parser.add_argument(
        "--serve",
        action="store_true",
        help="no scripted turns: keep AstrBot running (dashboard, WebChat) until Ctrl-C",
    )
    parser.add_argument("--port", type=int, default=0, help="dashboard port (default: a free one)")
    start = time.monotonic()
    code = run(parser.parse_args(argv))
    print(f"total {time.monotonic() - start:.1f}s", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
