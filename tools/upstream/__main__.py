"""CLI: ``python -m tools.upstream --port 18080 [--host 127.0.0.1] [--log F] [--api-key K]``.

Prints ``upstream ready http://127.0.0.1:PORT/v1`` once listening, runs until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from .server import FakeUpstream


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m tools.upstream", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port (0 = ephemeral)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--log", default=None, help="append each request to this JSONL file")
    parser.add_argument(
        "--api-key", action="append", default=None, help="accepted key (repeatable; default any)"
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Run the server until a termination signal arrives."""
    upstream = FakeUpstream(
        host=args.host, port=args.port, log_path=args.log, api_keys=args.api_key
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with upstream:
        print(f"upstream ready {upstream.api_base}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
