"""AbortWatch: the user's stop reaches exactly the wait inside a guard, nothing else."""

from __future__ import annotations

import asyncio

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.abort_watch import AbortWatch
from data.plugins.astrbot_plugin_openai_responses.provider.errors import AbortedError


async def test_a_stop_before_the_wait_raises_at_once() -> None:
    event = asyncio.Event()
    event.set()
    watch = AbortWatch(event)
    stopped = pytest.raises(AbortedError, match="stopped by the user before the answer started")
    with stopped, watch.guard("before the answer started"):
        await asyncio.sleep(10)


async def test_a_stop_during_the_wait_interrupts_it() -> None:
    event = asyncio.Event()
    watch = AbortWatch(event)
    asyncio.get_running_loop().call_later(0.01, event.set)
    started = asyncio.get_running_loop().time()
    stopped = pytest.raises(AbortedError, match="while the answer was streaming")
    with stopped, watch.guard("while the answer was streaming"):
        await asyncio.sleep(10)
    assert asyncio.get_running_loop().time() - started < 1
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]  # in a task
    watch.close()


async def test_a_stop_after_the_wait_leaves_later_awaits_alone() -> None:
    event = asyncio.Event()
    watch = AbortWatch(event)
    with watch.guard("before the answer started"):
        await asyncio.sleep(0)
    event.set()
    await asyncio.sleep(0.01)  # the watcher ran: nothing to interrupt
    await asyncio.sleep(0.01)
    watch.close()


@pytest.mark.parametrize("stopped_too", [False, True], ids=["alone", "with-a-stop"])
async def test_someone_elses_cancellation_passes_through(stopped_too: bool) -> None:
    """The host cancelling the task stays a cancellation, also when the user's stop came
    at the same moment (the watcher's own cancel is then one of two)."""
    event = asyncio.Event()
    watch = AbortWatch(event)

    async def waiting() -> None:
        with watch.guard("before the answer started"):
            await asyncio.sleep(10)

    task = asyncio.create_task(waiting())
    await asyncio.sleep(0.01)
    if stopped_too:  # the host cancels right after the watcher did, in the same loop pass
        host = asyncio.ensure_future(event.wait())  # woken after the watcher's own wait
        host.add_done_callback(lambda _: task.cancel())
        event.set()
    else:
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    watch.close()


async def test_close_stops_watching() -> None:
    event = asyncio.Event()
    watch = AbortWatch(event)
    with watch.guard("before the answer started"):
        await asyncio.sleep(0)
    watch.close()
    watch.close()  # twice is fine
    assert not event._waiters or all(w.cancelled() for w in event._waiters)
