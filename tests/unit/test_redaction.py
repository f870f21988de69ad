"""Redaction of configured secrets and secret-looking tokens."""

from __future__ import annotations

import logging

import pytest

from data.plugins.astrbot_plugin_openai_responses.provider import redaction
from data.plugins.astrbot_plugin_openai_responses.provider.errors import UpstreamError

CASES = [
    ("key sk-abcdefghijklmnop123 leaked", "sk-abcdefghijklmnop123"),
    ("proj sk-proj-AbCdEf_123456789xyz leaked", "sk-proj-AbCdEf_123456789xyz"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"),
    ('{"api-key": "azure-key-value-123"}', "azure-key-value-123"),
    ("x-api-key: anthropic-ish-9876543", "anthropic-ish-9876543"),
    ("Cookie: session=abcdef123456", "session=abcdef123456"),
    ("via http://alice:s3cretPass@proxy.local:3128 failed", "s3cretPass"),
    ("socks5://bob:hunter22@10.0.0.1:1080", "hunter22"),
    # shapes nobody configured (issue 14, item 5)
    ("sk-proj-aBcD_eFgH-1234567890abcdefXYZ", "1234567890abcdefXYZ"),
    ("sk-None-aB_cDeFgH-1234567890", "1234567890"),
    ("sk-svcacct-aBcD_eFgH-12345678", "12345678"),
    ("key AIzaSyA1234567890abcdefghijklmnopqrstu", "SyA1234567890abcdefghij"),
    ("api-key 0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"),
    ("API KEY: 0123456789ABCDEF0123456789ABCDEF", "0123456789ABCDEF0123456789ABCDEF"),
    ("Ocp-Apim-Subscription-Key: 0123456789abcdef0123456789abcdef", "0123456789abcdef"),
    ("X-Auth-Token: tok-live-abcdef", "tok-live-abcdef"),
    ("{'x-auth-token': 'tok-live-abcdef'}", "tok-live-abcdef"),
    ("x-api-key=anthropic-ish-9876543", "anthropic-ish-9876543"),
    ("https://h.example/v1?key=qk-123&alt=json", "qk-123"),
    ("https://h.example/v1?alt=json&token=tk-456", "tk-456"),
    ("https://h.example/b?sv=1&sig=abc%3D", "abc%3D"),
    ("https://h.example/cb?code=oauth-789", "oauth-789"),
    ("https://h.example/v1?api_key=ak-1", "ak-1"),
    ("https://h.example/v1?access_token=at-2", "at-2"),
    ("socks5://bob:p@ss@10.0.0.1:1080 failed", "ss@"),
    ("http://bob:pa/ss@proxy.local:3128/x", "pa/ss"),
    ("http://bob:pa/ss@proxy.local:3128/x?y=1@2", "pa/ss"),
    ("https://ghp_tokenvalue@github.com/org/repo", "ghp_tokenvalue"),
]


@pytest.mark.parametrize(("text", "secret"), CASES)
def test_patterns(text: str, secret: str) -> None:
    out = redaction.redact(text)
    assert secret not in out, out
    assert redaction.MASK in out, out


def test_configured_secret_of_any_shape_is_masked_until_unregistered() -> None:
    odd = "my-weird-relay-token_42"
    added = redaction.register_secrets([odd])
    try:
        assert odd not in redaction.redact(f"error body echoes {odd}!")
        assert odd not in str(UpstreamError(f"HTTP 401: bad key {odd}"))
    finally:
        redaction.unregister_secrets(added)
    assert odd in redaction.redact(odd)


def test_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=redaction.LOG.name)
    redaction.LOG.warning("failed with %s", "Bearer abcdefghijklmnop")
    assert "abcdefghijklmnop" not in caplog.text


def test_extra_patterns_from_plugin_config() -> None:
    invalid = redaction.set_extra_patterns([r"tok-[0-9]{4}", "(unclosed"])
    try:
        assert [pattern for pattern, _ in invalid] == ["(unclosed"]
        assert invalid[0][1].startswith("not a valid regular expression")
        assert "tok-1234" not in redaction.redact("id tok-1234")
    finally:
        redaction.set_extra_patterns([])


def test_plain_text_is_unchanged() -> None:
    text = "The weather in Paris is 21°C; see https://example.com/a?b=c"
    assert redaction.redact(text) == text
