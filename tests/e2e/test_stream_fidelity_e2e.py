"""End-to-end: a generated image reaches a streaming WebChat exactly once (issue 11, item 2).

A real AstrBot 4.29 with one provider of our type, ``builtin_tools: ["image_generation"]``,
on the embedded fake upstream (``tools.upstream``, brain rule 6: a ``DRAW`` prompt with the
hosted ``image_generation`` tool offered → an ``image_generation_call`` whose ``result`` is a
1×1 PNG, then the text :data:`~tools.upstream.brain.DRAW_TEXT`).

AstrBot sends a streaming chat's chunks to the platform (the final response only goes to the
history), so the image must come as a chunk: WebChat then stores it (under
``data/attachments``; 4.12: ``data/webchat/imgs``) and sends one ``image`` event. The
non-streamed chat gets it from the final response's ``result_chain``. Either way: one image,
the PNG the upstream made.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from tests.e2e.bots import RunningBot, assert_no_error, running_bot, start_bot
from tools.harness import AstrBotInstance, BackgroundUpstream, ChatResult, ProviderSpec
from tools.upstream.brain import DRAW_TEXT, TINY_PNG

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

SECRET = "sk-e2e-images-SECRET-0123456789abcdef"
MODEL = "fake-model"
#: the setting under test: the hosted image tool is offered
DRAWING = {"builtin_tools": ["image_generation"]}


@pytest.fixture(scope="module")
def drawing_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    """ONE AstrBot whose default chat model offers the hosted image_generation tool."""
    upstream = BackgroundUpstream(api_keys=[SECRET])
    with running_bot(tmp_path_factory.mktemp("astrbot-images"), upstream) as bot:
        start_bot(bot, [ProviderSpec("draw", MODEL, [SECRET], upstream.api_base, custom=DRAWING)])
        yield RunningBot(bot, upstream)


def image_events(result: ChatResult) -> list[dict]:
    """The WebChat ``image`` events of a turn."""
    return [e for e in result.events if e.get("type") == "image"]


#: where WebChat stores a chat's images: ``data/attachments`` (4.29), ``data/webchat/imgs``
#: (4.12; ``astrbot/core/platform/sources/webchat/webchat_event.py``)
IMAGE_HOMES = ("attachments", "webchat/imgs")


def stored_image(bot: AstrBotInstance, event: dict) -> bytes:
    """The bytes WebChat stored for an ``image`` event (``[IMAGE]<file name>``)."""
    name = str(event["data"]).removeprefix("[IMAGE]")
    (path,) = [p for home in IMAGE_HOMES if (p := bot.data_dir / home / name).is_file()]
    return path.read_bytes()


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
def test_generated_image_reaches_the_chat_exactly_once(
    drawing_bot: RunningBot, stream: bool
) -> None:
    bot = drawing_bot.bot
    before = len(drawing_bot.upstream.requests)
    result = bot.chat("DRAW a small cat, please", stream=stream)
    assert_no_error(result)
    (image,) = image_events(result)
    assert image["streaming"] is stream
    assert stored_image(bot, image) == base64.b64decode(TINY_PNG)
    if stream:
        assert "".join(result.deltas) == DRAW_TEXT
    else:
        assert result.plain == [DRAW_TEXT]
    # the chat's request, and the title request of a new session (not streamed)
    posts = [r.body for r in drawing_bot.upstream.requests[before:] if r.method == "POST"]
    assert stream in [b["stream"] for b in posts]
    assert all({"type": "image_generation"} in b["tools"] for b in posts)
