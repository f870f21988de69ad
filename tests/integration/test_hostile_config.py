"""Configuration that would fail late (issue 14, item 6).

``proxy`` is validated with the HTTP client's own parser (``httpx.Proxy``: ``http``,
``https``, ``socks5``, ``socks5h`` with a host), so a value the client would reject in its
constructor — ``socks4://``, an unescaped ``/`` in the password — loads the provider
"misconfigured": every call raises the configuration message naming ``proxy``, in
``text_chat`` and ``text_chat_stream``, and the password shows nowhere.
"""

from __future__ import annotations

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider.errors import ConfigError
from tests.integration.faults import MODES, Kit

REJECTED = {
    "socks4": "socks4://127.0.0.1:1080",
    "socks4a": "socks4a://bob:SECRETpw@127.0.0.1:1080",
    "slash-in-password": "http://bob:SECRET/pw@127.0.0.1:3128",
    "no-host": "socks5://:1080",
    "ftp": "ftp://bob:SECRETpw@127.0.0.1:21",
}
#: Accepted by the transport: the provider loads configured (the proxy is not used here).
ACCEPTED = {
    "socks5h": "socks5h://bob:SECRETpw@127.0.0.1:1080",
    "https": "https://127.0.0.1:8443",
    "escaped-at-in-password": "http://bob:SECRET%40pw@127.0.0.1:3128",
    "raw-at-in-password": "http://bob:SECRET@pw@127.0.0.1:3128",
}


@MODES
@pytest.mark.parametrize("proxy", REJECTED.values(), ids=REJECTED.keys())
async def test_proxy_the_transport_rejects_loads_misconfigured_and_names_proxy(
    kit: Kit, stream: bool, proxy: str
) -> None:
    provider = await kit.provider(proxy=proxy)  # the constructor must not raise
    out = await kit.chat(provider, stream, bound=0.3)
    message = out.raised(ConfigError)
    assert "has an invalid configuration: `proxy`: is not a proxy URL the HTTP client" in message
    assert "socks5h://" in message
    assert "%40" in message
    assert kit.requests() == 0


@pytest.mark.parametrize("proxy", ACCEPTED.values(), ids=ACCEPTED.keys())
async def test_proxy_the_transport_accepts_loads_configured(kit: Kit, proxy: str) -> None:
    provider = await kit.provider(proxy=proxy)
    assert provider.config_error == ""
    assert provider.cfg.proxy_url == proxy
    assert "SECRET" not in repr(provider.cfg)
