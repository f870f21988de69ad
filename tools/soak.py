"""Bounded soak: N chats against an in-process loopback upstream with random faults.

Run ``.venv/bin/python -m tools.soak --n 300`` (options: ``--concurrency``, ``--fault-rate``,
``--seed``, ``--timeout``, ``--max-output-chars``, ``--max-seconds``, ``--hostile``,
``--verbose``). It stops by itself: after N chats, or after ``--max-seconds`` at the latest.

``--hostile`` draws the faults from the hostile-relay mix instead (tools/soak_hostile.py,
issue 14): huge error strings, ``Retry-After: NaN``, silent or content-free upstreams,
citation / reasoning / tool-call / event-type floods, compression bombs, deeply nested JSON,
a redirect. It also runs each hostile fault alone under ``tracemalloc`` and reports the peak
memory per chat against 2 × ``max_output_chars`` + 10 MB.

One :class:`ResponsesProvider` instance (two keys, ``timeout`` 1 s) serves every chat,
``concurrency`` at a time, half through ``text_chat`` and half through ``text_chat_stream``.
Each chat draws a fault from the issue-4 matrix (or none); the fault's scripts are put on a
:class:`~tools.upstream.FakeUpstream` by enqueueing self-replenishing *router* scripts that
pick, per request, the next script of the chat named in the request's prompt, so faults
land on the right chat whatever order concurrent requests arrive in. Every answer is checked
against what the fault should produce (recovered answer, kept partial text + notice, a clear
error, an abort) and for cross-talk (it must quote its own chat number only).

Prints the injected faults, outcomes, failures by kind, unexpected outcomes, calls over
their time bound, p50/p90/p99/max latency, event-loop stalls over 100 ms (the loop's thread
busy between two wake-ups of a 10 ms probe: tools/probes.py), and leftover
connections/tasks. Exit status 1 when anything unexpected happened.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import logging
import os
import random
import re
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tools.plugin_root import enter_plugin_root  # noqa: E402
from tools.probes import STALL, LoopLag  # noqa: E402
from tools.upstream import (  # noqa: E402  (after the sys.path fix for ``python tools/soak.py``)
    Close,
    Done,
    Events,
    FakeUpstream,
    Hang,
    RecordedRequest,
    Reset,
    Script,
    Send,
    Sleep,
    StartStream,
    Status,
    brain_script,
    error_body,
)
from tools.upstream import events as ev  # noqa: E402
from tools.upstream.brain import last_user_text  # noqa: E402
from tools.upstream.items import response_object  # noqa: E402

if TYPE_CHECKING:
    from data.plugins.astrbot_plugin_openai_responses.provider.adapter import ResponsesProvider

KEYS = ["sk-soak-key-one-0123456789", "sk-soak-key-two-0123456789"]
ATTEMPTS = 3
#: Seconds added to every time bound: the backoff of two retries (≤ 0.5 + 1 s) and scheduling.
SLACK = 2.5
CHAT_RE = re.compile(r"soak chat (\d+):")
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]

# -- faults ----------------------------------------------------------------------------------

#: A fault's scripts, one per upstream attempt (later attempts get the normal answer).
ScriptFor = Callable[[RecordedRequest], Script]


@dataclass(frozen=True, slots=True)
class Fault:
    """One row of the matrix: scripts per attempt and the outcome the user must get.

    ``expect``: the acceptable outcomes among ``ok`` (the full answer, possibly after
    retries), ``partial`` (a prefix of the answer plus a notice), ``error`` (a clear plugin
    error), ``aborted`` (AbortedError) and ``stopped`` (abort mid-stream: a prefix of the
    answer, no notice). ``dead`` chats use a provider whose ``api_base`` is a closed port;
    ``abort_after`` sets the chat's abort signal that many seconds after it starts;
    ``within`` (in ``timeout`` units, plus the backoff and :data:`SLACK`) replaces the run's
    time bound for this fault.
    """

    name: str
    attempts: tuple[ScriptFor, ...] = ()
    expect: tuple[str, ...] = ("ok",)
    dead: bool = False
    abort_after: float | None = None
    within: float | None = None


def answer_for(number: int) -> str:
    """The full scripted answer of chat ``number`` (quotes its chat number)."""
    rng = random.Random(number)
    return f"Answer for soak chat {number}: " + " ".join(rng.choices(WORDS, k=12)) + "."


def prompt_for(number: int) -> str:
    """The prompt of chat ``number``; the upstream's brain quotes it in its answer."""
    return f"soak chat {number}: " + " ".join(random.Random(-number).choices(WORDS, k=5))


def _answer(req: RecordedRequest) -> str:
    number = _chat_number(req)
    return answer_for(-1 if number is None else number)


def _stream(req: RecordedRequest, **kw: Any) -> list[dict[str, Any]]:
    return ev.text_stream(_answer(req), chunks=6, **kw)


def _status(code: int, **kw: Any) -> ScriptFor:
    return lambda req: [Status(code, **kw)]


def _fixed(script: Script) -> ScriptFor:
    return lambda req: list(script)


def _keep_alive(seconds: float) -> Script:
    return [a for _ in range(int(seconds / 0.05)) for a in (Send(": ping\n\n"), Sleep(0.05))]


FAULTS: list[Fault] = [
    Fault("connection_refused", expect=("error",), dead=True),
    Fault("reset_before_first_byte", (_fixed([Reset()]),)),
    Fault("reset_after_headers", (_fixed([StartStream(), Reset()]),)),
    Fault(
        "reset_mid_stream_after_text",
        (lambda r: [Events(_stream(r)[:7]), Reset()],),
        expect=("partial",),
    ),
    Fault("429_retry_after", (_status(429, headers={"retry-after": "1"}),)),
    Fault("429_retry_after_ms", (_status(429, headers={"retry-after-ms": "150"}),)),
    Fault(
        "429_insufficient_quota",
        (_status(429, body=error_body(429, "Quota exceeded.", code="insufficient_quota")),),
        expect=("error",),
    ),
    Fault("500", (_status(500),)),
    Fault("502_html", (_status(502, body="<html><body>502 Bad Gateway</body></html>"),)),
    Fault("503", (_status(503),)),
    Fault("504", (_status(504),)),
    Fault(
        "503_every_attempt",
        tuple(_status(503, headers={"retry-after-ms": "20"}) for _ in range(ATTEMPTS)),
        expect=("error",),
    ),
    Fault("401_one_key_then_next_key", (_status(401),)),
    Fault("403_every_key", (_status(403), _status(403)), expect=("error",)),
    Fault(
        "400_openai_error_body",
        (_status(400, body=error_body(400, "Bad parameter.")),),
        expect=("error",),
    ),
    Fault("404", (_status(404),), expect=("error",)),
    Fault(
        "200_html_page",
        (
            _status(
                200,
                headers={"Content-Type": "text/html"},
                body="<!DOCTYPE html><p>captive portal</p>",
            ),
        ),
        expect=("error",),
    ),
    Fault("200_json_body", (lambda r: [Status(200, body=response_object(text=_answer(r)))],)),
    Fault(
        "content_type_lie",
        (lambda r: [StartStream(content_type="text/plain"), Events(_stream(r))],),
    ),
    Fault(
        "malformed_json_event",
        (lambda r: [Events(_stream(r)[:6]), Send("data: {junk\n\n"), Events(_stream(r)[6:])],),
    ),
    Fault("split_tcp_writes", (lambda r: [Events(_stream(r), split=4)],)),
    Fault(
        "crlf_no_event_lines_done",
        (lambda r: [Events(_stream(r), crlf=True, event_lines=False), Done()],),
    ),
    Fault(  # every item was reported done and completed: a whole answer (spec 004)
        "no_response_completed",
        (lambda r: [Events(_stream(r)[:-1]), Close()],),
    ),
    Fault(
        "error_event_before_content",
        (
            lambda r: [
                Events(ev.error_event("Overloaded.", "server_is_overloaded", nested=True)),
                Close(),
            ],
        ),
    ),
    Fault(
        "error_event_after_text",
        (
            lambda r: [
                Events(_stream(r)[:7] + ev.error_event("Overloaded.", "server_error")),
                Close(),
            ],
        ),
        expect=("partial",),
    ),
    Fault("response_failed_before_content", (lambda r: [Events(ev.failed_event()), Close()],)),
    Fault(
        "response_incomplete",
        (lambda r: [Events(ev.incomplete_stream(_answer(r), "max_output_tokens"))],),
        expect=("partial",),
    ),
    # ("ok" too: when a loaded machine delivers the line slowly, the idle timeout fires
    # first, which is retried)
    Fault(
        "line_over_the_cap",
        (_fixed([StartStream(), Send("data: " + "x" * 2_100_000), Close()]),),
        expect=("error", "ok"),
    ),
    Fault("keep_alive_comments_forever", (_fixed([StartStream(), *_keep_alive(3.0)]),)),
    Fault("never_answers", (_fixed([Hang()]),)),
    Fault("stalled_mid_answer", (lambda r: [Events(_stream(r)[:7]), Hang()],), expect=("partial",)),
    Fault(
        "abort_during_backoff",
        (_status(503, headers={"retry-after": "5"}),),
        expect=("aborted",),
        abort_after=0.3,
    ),
    Fault(
        "abort_mid_stream",
        (lambda r: [Events(_stream(r)[:7]), Hang()],),
        expect=("stopped", "aborted", "ok"),
        abort_after=0.3,
    ),
]
NO_FAULT = Fault("none")


def _chat_number(req: RecordedRequest) -> int | None:
    match = CHAT_RE.search(last_user_text(req.body) if isinstance(req.body, dict) else "")
    return int(match.group(1)) if match else None


class Router:
    """A queued script that routes each request to its chat's next fault script.

    Every time it is consumed it enqueues itself again, so the upstream's FIFO always holds
    ``depth`` routers and ordering between concurrent requests does not matter.
    """

    def __init__(self, upstream: FakeUpstream, plans: dict[int, collections.deque[ScriptFor]]):
        self.upstream = upstream
        self.plans = plans

    def __call__(self, req: RecordedRequest) -> Script:
        self.upstream.enqueue(self)
        number = _chat_number(req)
        plan = self.plans.get(number) if number is not None else None
        if plan:
            return plan.popleft()(req)
        return brain_script(req.body)


# -- one chat --------------------------------------------------------------------------------


@dataclass(slots=True)
class ChatResult:
    """What one chat produced and whether it matched its fault's expectation."""

    number: int
    fault: str
    stream: bool
    seconds: float
    outcome: str  # ok | partial | error | aborted | stopped
    kind: str = ""  # failure kind for errors
    problem: str = ""  # why the outcome was unexpected ("" when as expected)
    crosstalk: bool = False


def _failure_kind(exc: BaseException) -> str:
    text = str(exc)
    status = re.search(r"HTTP (\d{3})", text)
    for needle, label in (
        ("stopped by the user", "aborted by the user"),
        ("did not answer within", "timeout"),
        ("no event for", "keep-alive only (timeout)"),
        ("Could not reach", "connection failed"),
        ("SSE line longer", "SSE line over the cap"),
        ("HTML page", "HTML page"),
        ("quota", "quota"),
    ):
        if needle in text:
            return f"{type(exc).__name__}: {label}" + (f" (HTTP {status[1]})" if status else "")
    if status:
        return f"{type(exc).__name__}: HTTP {status[1]}"
    return f"{type(exc).__name__}: {text[:60]}"


async def run_chat(
    number: int,
    fault: Fault,
    stream: bool,
    provider: ResponsesProvider,
    dead: ResponsesProvider,
    bound: float,
) -> ChatResult:
    """Run one chat and classify it."""
    prompt = prompt_for(number)
    target = dead if fault.dead else provider
    abort = asyncio.Event()
    timer = None
    if fault.abort_after is not None:
        timer = asyncio.get_running_loop().call_later(fault.abort_after, abort.set)
    kwargs: dict[str, Any] = {
        "prompt": prompt,
        "request_max_retries": ATTEMPTS,
        "abort_signal": abort,
    }
    start = time.monotonic()
    text, error = "", None
    try:
        if stream:
            chunks, finals = [], []
            async for response in target.text_chat_stream(**kwargs):
                (finals if not response.is_chunk else chunks).append(response)
            text = finals[-1].completion_text or ""
            streamed = "".join(c.completion_text or "" for c in chunks)
            if len(finals) != 1 or streamed.split() != text.split():  # whitespace aside
                error = RuntimeError("stream chunks do not add up to one final answer")
        else:
            text = (await target.text_chat(**kwargs)).completion_text or ""
    except Exception as exc:  # classified below
        error = exc
    finally:
        if timer is not None:
            timer.cancel()
    seconds = time.monotonic() - start
    result = ChatResult(number, fault.name, stream, seconds, "ok")
    result.crosstalk = bool({int(n) for n in CHAT_RE.findall(text)} - {number})
    body, notice = text, ""
    if text.rstrip().endswith(")") and ("\n\n(" in text or text.startswith("(")):
        cut = text.rindex("\n\n(") if "\n\n(" in text else 0  # a notice alone: no text
        body, notice = text[:cut], text[cut:]
    body = body.split("\n\nSources:\n", 1)[0]  # url_citation footer (hostile mix)
    own = [answer_for(number), f"CANNED REPLY: you said '{prompt}'"]
    if error is not None:
        from data.plugins.astrbot_plugin_openai_responses.provider.errors import (
            AbortedError,
            ResponsesPluginError,
        )

        result.outcome = "aborted" if isinstance(error, AbortedError) else "error"
        result.kind = _failure_kind(error)
        if not isinstance(error, ResponsesPluginError):
            result.problem = f"raw exception {type(error).__name__}"
    elif notice:
        result.outcome = "partial"
    elif body not in own:
        result.outcome = "stopped"
    if not result.problem and result.outcome not in fault.expect:
        wanted = " or ".join(fault.expect)
        result.problem = f"expected {wanted}, got {result.outcome} {result.kind}".strip()
    shown = " ".join(body.split())
    if (
        not result.problem
        and error is None
        and not any(" ".join(ans.split()).startswith(shown) for ans in own)
    ):
        result.problem = f"the answer is not (a prefix of) this chat's own: {body[:80]!r}"
    if seconds > bound:
        result.problem = result.problem or f"took {seconds:.2f} s (bound {bound:.1f} s)"
    return result


# -- the run ---------------------------------------------------------------------------------


class UpstreamThread:
    """Serve ``upstream`` from its own thread and event loop (``--hostile``): the relay is
    another machine as far as the provider's event loop is concerned, so encoding megabytes
    of hostile events does not count as the provider's loop lag."""

    def __init__(self, upstream: FakeUpstream) -> None:
        self.upstream = upstream
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="relay", daemon=True)

    async def _call(self, work: Any) -> Any:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self.loop))

    async def start(self) -> None:
        """Start the thread, then the server in it."""
        self.thread.start()
        await self._call(self.upstream.start())

    async def stop(self) -> None:
        """Stop the server, then the thread."""
        await self._call(self.upstream.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self.thread.join)
        self.loop.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], p: int) -> float:
    """The ``p``-th percentile (inclusive method) of ``values``."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


async def soak(args: argparse.Namespace) -> int:
    """Run the soak; print the report; return the exit status."""
    from data.plugins.astrbot_plugin_openai_responses.provider.adapter import ResponsesProvider

    rng = random.Random(args.seed)
    tasks_before = asyncio.all_tasks()
    upstream = FakeUpstream()
    relay = UpstreamThread(upstream) if args.hostile else None
    await (relay.start() if relay is not None else upstream.start())
    base = {
        "type": "openai_responses_plugin",
        "model": "fake-model",
        "timeout": args.timeout,
        "max_output_chars": args.max_output_chars,
    }
    provider = ResponsesProvider(
        {**base, "id": "soak/main", "key": KEYS, "api_base": upstream.api_base}, {}
    )
    dead = ResponsesProvider(
        {
            **base,
            "id": "soak/dead",
            "key": KEYS[:1],
            "api_base": f"http://127.0.0.1:{_closed_port()}/v1",
        },
        {},
    )
    faults = FAULTS
    if args.hostile:
        from tools.soak_hostile import hostile_faults

        faults = hostile_faults()
        # the shared payloads are hundreds of thousands of objects: keep them out of the
        # garbage collector's full passes, which would otherwise pause the loop for the
        # harness's sake, not the provider's
        gc.freeze()
    plans: dict[int, collections.deque[ScriptFor]] = {}
    chats: list[tuple[int, Fault, bool]] = []
    for number in range(args.n):
        fault = rng.choice(faults) if rng.random() < args.fault_rate else NO_FAULT
        plans[number] = collections.deque(fault.attempts)
        chats.append((number, fault, rng.random() < 0.5))
    router = Router(upstream, plans)
    for _ in range(args.concurrency + 5):
        upstream.enqueue(router)
    # attempts × timeout, a Retry-After of 1 s, the backoffs and scheduling (SLACK)
    bound = ATTEMPTS * args.timeout + 1.0 + SLACK
    gate = asyncio.Semaphore(args.concurrency)

    def bound_of(fault: Fault) -> float:
        return bound if fault.within is None else fault.within * args.timeout + SLACK

    async def one(number: int, fault: Fault, stream: bool) -> ChatResult:
        async with gate:
            return await run_chat(number, fault, stream, provider, dead, bound_of(fault))

    started = time.monotonic()
    jobs = [asyncio.ensure_future(one(*chat)) for chat in chats]
    async with LoopLag() as lag:
        done, pending = await asyncio.wait(jobs, timeout=args.max_seconds)
    for job in pending:
        job.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    wall = time.monotonic() - started
    results = [job.result() for job in done if not job.cancelled() and job.exception() is None]
    crashed = [job.exception() for job in done if not job.cancelled() and job.exception()]
    memory: dict[str, int] = {}
    alone_problems: list[ChatResult] = []
    if args.hostile:
        from tools.soak_hostile import memory_per_fault

        async def alone(fault: Fault, stream: bool) -> ChatResult:
            number = args.n + len(plans)
            plans[number] = collections.deque(fault.attempts)
            result = await run_chat(number, fault, stream, provider, dead, bound_of(fault))
            if result.problem:  # an unexpected outcome counts wherever it happens
                alone_problems.append(result)
            return result

        memory = await memory_per_fault(faults, alone)

    await provider.terminate()
    await dead.terminate()
    deadline = time.monotonic() + 3
    while upstream.connections_open and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    left_connections = upstream.connections_open
    await (relay.stop() if relay is not None else upstream.stop())
    await asyncio.sleep(0.05)
    current = asyncio.current_task()
    left_tasks = [t for t in asyncio.all_tasks() - tasks_before if t is not current]

    return report(
        args,
        results,
        crashed,
        len(pending),
        wall,
        bound,
        left_connections,
        len(left_tasks),
        len(upstream.requests),
        lag,
        memory,
        alone_problems,
    )


def report(
    args: argparse.Namespace,
    results: list[ChatResult],
    crashed: list[BaseException | None],
    unfinished: int,
    wall: float,
    bound: float,
    left_connections: int,
    left_tasks: int,
    requests: int,
    lag: LoopLag,
    memory: dict[str, int],
    alone_problems: list[ChatResult],
) -> int:
    """Print the figures; return 1 when anything unexpected happened."""
    outcomes = collections.Counter(r.outcome for r in results)
    kinds = collections.Counter(r.kind for r in results if r.kind)
    faults = collections.Counter(r.fault for r in results)
    problems = [r for r in results if r.problem] + alone_problems
    crosstalk = sum(r.crosstalk for r in results)
    latencies = sorted(r.seconds * 1000 for r in results)
    ok_latencies = sorted(r.seconds * 1000 for r in results if r.outcome == "ok")
    print(
        f"soak: {args.n} chats, concurrency {args.concurrency}, fault rate {args.fault_rate}, "
        f"seed {args.seed}, timeout {args.timeout:g} s, {ATTEMPTS} attempts per call"
    )
    print(
        f"finished {len(results)} in {wall:.1f} s ({requests} upstream requests); "
        f"unfinished {unfinished}; crashed {len(crashed)}"
    )
    print(
        "successes: "
        + ", ".join(f"{k} {outcomes[k]}" for k in ("ok", "partial", "stopped") if outcomes[k])
        + f"  (answers delivered: {outcomes['ok'] + outcomes['partial'] + outcomes['stopped']})"
    )
    print(
        f"failures: {outcomes['error'] + outcomes['aborted']} "
        f"(error {outcomes['error']}, aborted {outcomes['aborted']}); by kind:"
    )
    for kind, count in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {count:5d}  {kind}")
    print(
        "faults injected: "
        + ", ".join(
            f"{name} {count}" for name, count in sorted(faults.items(), key=lambda kv: -kv[1])
        )
    )
    print(
        f"latency ms (all): p50 {percentile(latencies, 50):.0f}  "
        f"p90 {percentile(latencies, 90):.0f}  p99 {percentile(latencies, 99):.0f}  "
        f"max {max(latencies, default=0):.0f}"
    )
    print(
        f"latency ms (clean+recovered answers): p50 {percentile(ok_latencies, 50):.0f}  "
        f"p99 {percentile(ok_latencies, 99):.0f}"
    )
    print(
        f"unexpected outcomes: {len(problems)}; cross-talk: {crosstalk}; bound {bound:.1f} s; "
        f"left behind: {left_connections} connection(s), {left_tasks} task(s)"
    )
    for r in problems[:20]:
        mode = "stream" if r.stream else "text_chat"
        print(f"  ! chat {r.number} [{r.fault}, {mode}, {r.seconds:.2f} s]: {r.problem}")
    print(
        f"event-loop stalls over {STALL * 1000:.0f} ms: {lag.stalls} (longest blocking "
        f"{lag.max_busy * 1000:.0f} ms; longest wake-up gap {lag.max_gap * 1000:.0f} ms, "
        "scheduling of the machine included)"
    )
    over_memory = []
    if memory:
        limit = 2 * args.max_output_chars + 10 * 1024 * 1024
        print(
            f"peak memory per chat (tracemalloc, each hostile fault alone, both modes): "
            f"max {max(memory.values()) / 1e6:.2f} MB, bound 2 × max_output_chars + 10 MiB "
            f"= {limit / 1e6:.2f} MB"
        )
        for name, peak in sorted(memory.items(), key=lambda kv: -kv[1]):
            print(f"  {peak / 1e6:8.2f} MB  {name}")
        over_memory = [name for name, peak in memory.items() if peak >= limit]
    bad = (
        problems
        or crosstalk
        or crashed
        or unfinished
        or left_connections
        or left_tasks
        or lag.stalls
        or over_memory
    )
    print("SOAK " + ("FAIL" if bad else "PASS"))
    return 1 if bad else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.soak", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--n", type=int, default=300, help="number of chats (default 300)")
    parser.add_argument("--concurrency", type=int, default=20, help="chats at once (default 20)")
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.6,
        help="share of chats that meet a fault (default 0.6)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--timeout", type=float, default=1.0, help="provider timeout in seconds (default 1)"
    )
    parser.add_argument(
        "--max-output-chars",
        type=int,
        default=200_000,
        help="provider max_output_chars (default 200000, the provider's default)",
    )
    parser.add_argument(
        "--hostile",
        action="store_true",
        help="hostile-relay fault mix (issue 14) and peak memory per chat",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=300.0,
        help="stop after this long whatever happens (default 300)",
    )
    parser.add_argument("--verbose", action="store_true", help="show the plugin's warnings")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    enter_plugin_root(os.environ.get("SOAK_ROOT"), "astrbot-soak-root-")
    from data.plugins.astrbot_plugin_openai_responses.provider.redaction import LOG

    LOG.setLevel(logging.DEBUG if args.verbose else logging.ERROR)
    return asyncio.run(soak(args))


if __name__ == "__main__":
    sys.exit(main())
