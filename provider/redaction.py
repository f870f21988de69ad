"""Secret redaction and clipping for every log line, error message and chat notice.

Two layers: (1) the configured secrets of every live provider instance, verbatim, whatever
their shape (:func:`register_secrets`); (2) shapes nobody configured here: ``sk-…`` keys
(``sk-proj-``, ``sk-None-``, ``sk-svcacct-``…), Gemini ``AIza…`` keys, Bearer/Basic tokens,
the values of secret headers (``Authorization``, ``api-key``, ``x-api-key``,
``X-Auth-Token``, ``Ocp-Apim-Subscription-Key``, ``Cookie``…; ``Name: value``, ``name=value``
and JSON ``"name": "value"`` forms), a bare 32-hex key right after the word ``key``,
secret query values (``?key=``, ``?token=``, ``?sig=``, ``?code=``…) and URL userinfo
(``scheme://user:password@host``, the password may hold ``@`` or ``/``; not both).

Every text from outside (an upstream's error message or code, a file name, a log record)
goes through :func:`clip` before it is shown: it is cut to a few hundred characters
*before* anything scans it, then redacted, neutralised (control characters) and put on one
line. Every pattern runs in linear time (one literal or character class first, no nested
or adjacent unbounded quantifiers over the same characters); the admin's
``extra_redact_patterns`` must pass :func:`check_pattern` to be installed.

:data:`LOG` is the plugin's only logger; a filter on it clips and redacts each record
after formatting, so a caller cannot forget. Spec:
specs/001-redesign-responses-provider/spec.md §"Secrets".
"""

from __future__ import annotations

import logging
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit

MASK = "[REDACTED]"

#: Longest upstream text (error message) kept inside an error or a log line (characters).
MAX_UPSTREAM_MESSAGE = 500
#: Longest upstream error code kept (characters); codes are short identifiers.
MAX_UPSTREAM_CODE = 80
#: Longest whole error message (characters).
MAX_ERROR_CHARS = 1500
#: Longest plugin log message (characters; a traceback is kept apart and not cut).
MAX_LOG_CHARS = 2000
#: Characters read past the cut of :func:`clip` so that a secret crossing the cut is still
#: recognised (longer than any key).
CLIP_MARGIN = 1024

#: Time budget (seconds) of one pattern on one adversarial text (1 MB for the built-in
#: patterns in the tests, up to :data:`PROBE_MAX_CHARS` for the admin's patterns).
PATTERN_BUDGET = 0.05
#: Longest adversarial text an admin pattern is tried on before it is installed.
PROBE_MAX_CHARS = 256 * 1024

# Names whose value is a secret in "Name: value", "name=value" and '"name": "value"'.
# Matched anywhere in a word: "api-key" also covers x-api-key / x-goog-api-key,
# "authorization" proxy-authorization, "cookie" set-cookie, "auth-token" x-auth-token,
# "subscription-key" Ocp-Apim-Subscription-Key.
_SECRET_NAMES = (
    "authorization",
    "api-key",
    "api_key",
    "apikey",
    "auth-token",
    "subscription-key",
    "cookie",
    "access_token",
    "refresh_token",
    "client_secret",
    "password",
)
# Query parameters whose value is a secret (``?name=`` / ``&name=``); the names above are
# caught by their own pattern in that position too.
_SECRET_QUERY_NAMES = ("key", "token", "sig", "signature", "code", "auth", "secret")
_VALUE_SEPARATOR = r"""["']?[ \t]{0,8}[:=][ \t]{0,8}["']?"""

# One literal (case-insensitive) or character class first in every pattern: the engine
# skips to it cheaply, and each attempt ends within a bounded number of steps or consumes
# what it scanned. No pattern starts with a lookbehind or \b (both cost a full attempt at
# every position).
BUILTIN_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # URL userinfo, up to the authority's last "@" (a password may hold "@"): each run stops
    # at the next "/", so the runs of successive URLs never overlap.
    (re.compile(r"""://(?<=[A-Za-z0-9]://)[^\s/?#'"<>]{1,256}@"""), "://" + MASK + "@"),
    # "user:pass/word@host": a password holding "/" (never host:port, never a "://" right
    # after the colon; possessive runs that stop at the next "://").
    (
        re.compile(
            r"""://(?<=[A-Za-z0-9]://)[^\s/?#@'"<>:]{1,128}+:(?!//|\d{1,5}+(?:[/?#\s'"<>]|\Z))"""
            r"""(?:[^\s'"<>@:]|:(?!//)){1,128}+@"""
        ),
        "://" + MASK + "@",
    ),
    *(
        (re.compile(rf"(?i)({re.escape(name)}{_VALUE_SEPARATOR})[^\"'\r\n,}}]+"), r"\1" + MASK)
        for name in _SECRET_NAMES
    ),
    *(
        (re.compile(rf"(?i)([?&]{name}=)[^&#\s\"'<>]+"), r"\1" + MASK)
        for name in _SECRET_QUERY_NAMES
    ),
    # Bearer / Basic tokens anywhere.
    (re.compile(r"(?i)(bearer[ \t]{1,8})[A-Za-z0-9._~+/=-]{6,}"), r"\1" + MASK),
    (re.compile(r"(?i)(basic[ \t]{1,8})[A-Za-z0-9._~+/=-]{6,}"), r"\1" + MASK),
    # A bare 32-hex key (Azure) after "api-key", "subscription key", "key:" …
    (re.compile(r"(?i)(key[^0-9a-z\r\n]{1,16})[0-9a-f]{32}(?![0-9a-z])"), r"\1" + MASK),
    # OpenAI-style keys (sk-, sk-proj-, sk-None-, sk-svcacct-, rk-, pk-) and similar.
    # The lookbehind after the prefix keeps "task-", "network-" … out.
    (re.compile(r"[srp]k-(?<![A-Za-z0-9][srp]k-)[A-Za-z0-9_-]{8,}"), MASK),
    (re.compile(r"sk_(?<![A-Za-z0-9]sk_)[A-Za-z0-9_]{12,}"), MASK),
    # Google API keys.
    (re.compile(r"AIza[0-9A-Za-z_-]{30,}"), MASK),
)

# Control and bidirectional-formatting characters: shown as "?" (no forged log lines,
# terminal escapes or reversed text). Whitespace controls are collapsed by clip() itself.
_UNSAFE_CHARS = dict.fromkeys(
    [
        *range(0x00, 0x09),
        *range(0x0E, 0x20),
        *range(0x7F, 0xA0),
        0x061C,
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ],
    "?",
)
for _ws in "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85":
    _UNSAFE_CHARS[ord(_ws)] = " "

_extra: tuple[re.Pattern[str], ...] = ()
_lock = threading.Lock()
_secrets: Counter[str] = Counter()
_secret_re: re.Pattern[str] | None = None
_live: tuple[str, ...] = ()


def _rebuild() -> None:
    global _secret_re, _live
    _live = tuple(sorted((s for s, n in _secrets.items() if n > 0), key=len, reverse=True))
    _secret_re = re.compile("|".join(re.escape(s) for s in _live)) if _live else None


def register_secrets(values: Iterable[str]) -> tuple[str, ...]:
    """Add configured secrets (API keys, proxy passwords, secret headers) to the registry.

    Returns the tuple registered; pass it to :func:`unregister_secrets` when the provider
    instance terminates. Values shorter than 4 characters are ignored (too common to mask).
    """
    added = tuple(v for v in values if v and len(v) >= 4)
    with _lock:
        _secrets.update(added)
        _rebuild()
    return added


def unregister_secrets(values: Iterable[str]) -> None:
    """Remove secrets added by :func:`register_secrets` (reference counted)."""
    with _lock:
        _secrets.subtract(values)
        for value in [s for s, n in _secrets.items() if n <= 0]:
            del _secrets[value]
        _rebuild()


def redact(text: object) -> str:
    """Return ``str(text)`` with every known secret and secret-looking token masked.

    Linear in the length of the text; callers showing outside text use :func:`clip`, which
    cuts it first.
    """
    out = str(text)
    pattern = _secret_re
    if pattern is not None:
        out = pattern.sub(MASK, out)
    for regex, repl in BUILTIN_PATTERNS:
        out = regex.sub(repl, out)
    for regex in _extra:
        out = regex.sub(MASK, out)
    return out


#: Query parameters whose values :func:`shown_url` keeps (no secret in them).
_PUBLIC_QUERY_NAMES = frozenset({"api-version"})


def shown_url(url: str) -> str:
    """``url`` as errors show it: no userinfo, and every query value masked except
    ``api-version`` (an ``api_base`` may carry a key as ``?key=…`` or under any name)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    params = []
    for param in parts.query.split("&") if parts.query else ():
        name, sep, _ = param.partition("=")
        params.append(
            param if name.lower() in _PUBLIC_QUERY_NAMES else f"{name}={MASK}" if sep else MASK
        )
    query = "?" + "&".join(params) if params else ""
    return f"{parts.scheme}://{netloc}{parts.path}{query}"


def _drop_cut_secret(head: str) -> str:
    """``head`` without a configured secret's beginning left at its end by a cut."""
    for secret in _live:
        tail = head[1 - len(secret) :]
        for i in range(len(tail) - 3):
            if secret.startswith(tail[i:]):
                return head[: len(head) - len(tail) + i]
    return head


def clip(text: object, limit: int = MAX_UPSTREAM_MESSAGE) -> str:
    """Outside text → at most ``limit`` characters on one line, secrets masked.

    The one step every upstream string, file name and log message passes before it is
    shown. Order: cut to ``limit`` + :data:`CLIP_MARGIN` characters (nothing scans more),
    redact (a configured secret cut at that point is dropped), show control and bidi
    characters as ``?``, collapse whitespace, cut to ``limit`` (ending in ``…``).
    """
    raw = str(text)
    head = raw[: limit + CLIP_MARGIN]
    cut = len(raw) > len(head)
    if cut:
        head = _drop_cut_secret(head)
    out = " ".join(redact(head).translate(_UNSAFE_CHARS).split())
    if len(out) > limit or cut:
        out = out[: limit - 1] + "…"
    return out


# -- the admin's extra_redact_patterns ------------------------------------------------------

#: Text pieces that make a backtracking regex slow when repeated: common separators and
#: letters/digits; :func:`adversarial_units` adds the words of the pattern itself.
_GENERIC_UNITS = (
    "a",
    "0",
    " ",
    "a.",
    "a-",
    "a_",
    "a:",
    "a=",
    "a@",
    "a/",
    "a://",
    "aa-",
    "a0",
    "-",
    "=",
    ":",
    "?",
    "&",
    "@",
    "'",
    '"',
    "\\",
)
_WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,40}")
#: Ends every adversarial text: a character few patterns accept, so a match must fail late.
_TAIL = "\x00!"


def adversarial_units(source: str, max_words: int = 8) -> list[str]:
    """Repeatable pieces of text that stress a regex whose source is ``source``.

    The generic units plus the pattern's own words (``api-key`` from ``api\\-key``) alone
    and followed by ``:``, ``=`` and a space.
    """
    words = list(dict.fromkeys(_WORD.findall(source.replace("\\", ""))))[:max_words]
    units = [*_GENERIC_UNITS]
    for word in words:
        units += [word, word + ":", word + "=", word + " "]
    return list(dict.fromkeys(units))


def adversarial_text(unit: str, chars: int) -> str:
    """``unit`` repeated to ``chars`` characters, then a character that breaks matches."""
    return (unit * (chars // len(unit) + 1))[:chars] + _TAIL


def run_time(
    run: Callable[[str], object],
    text: str,
    budget: float = PATTERN_BUDGET,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Seconds ``run(text)`` takes on ``clock``: one run, or the median of three when the
    first is over ``budget`` but not far over (noise on a loaded machine)."""
    times: list[float] = []
    while len(times) < 3:
        start = clock()
        run(text)
        times.append(clock() - start)
        if len(times) == 1 and not budget < times[0] < 4 * budget:
            break
    return statistics.median(times)


def _probe_sizes(unit: str, max_chars: int) -> Iterator[int]:
    """Sizes to try, small steps first: an exponential pattern is caught at a few dozen
    characters, before a run can take long; then doubling up to ``max_chars``."""
    yield from range(len(unit), 25 * len(unit), len(unit))
    size = 64
    while size <= max_chars:
        yield size
        size *= 2


def check_pattern(
    pattern: re.Pattern[str],
    *,
    max_chars: int = PROBE_MAX_CHARS,
    budget: float = PATTERN_BUDGET,
) -> str | None:
    """Try ``pattern`` (as :func:`redact` uses it) on adversarial texts of growing size.

    Returns ``None`` when every run took less than ``budget`` seconds, else why not
    ("takes 0.41 s on 4096 characters of 'a.'"). Sizes grow step by step, so a
    catastrophic pattern is stopped after a run of at most a few times ``budget``.
    """

    def run(text: str) -> object:
        return pattern.sub(MASK, text)

    for unit in adversarial_units(pattern.pattern):
        for size in _probe_sizes(unit, max_chars):
            took = run_time(run, adversarial_text(unit, size), budget)
            if took > budget:
                return f"takes {took:.2f} s on {size} characters of {unit!r}"
    return None


def set_extra_patterns(patterns: Iterable[str]) -> list[tuple[str, str]]:
    """Install the plugin-wide ``extra_redact_patterns``.

    Each must compile and pass :func:`check_pattern` (linear enough to run on every log
    line); the others are skipped and returned as ``(pattern, reason)`` pairs.
    """
    global _extra
    compiled: list[re.Pattern[str]] = []
    rejected: list[tuple[str, str]] = []
    for pattern in patterns:
        try:
            regex = re.compile(pattern)
        except (re.error, TypeError) as exc:
            rejected.append((str(pattern), f"not a valid regular expression ({exc})"))
            continue
        slow = check_pattern(regex)
        if slow is None:
            compiled.append(regex)
        else:
            rejected.append((pattern, f"too slow: it {slow}"))
    _extra = tuple(compiled)
    return rejected


# -- the plugin's logger ----------------------------------------------------------------------


class RedactingFilter(logging.Filter):
    """Logging filter: each record's formatted message is clipped to :data:`MAX_LOG_CHARS`
    on one line and redacted; its traceback is redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = clip(record.getMessage(), MAX_LOG_CHARS)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def fit_plugin_logger(host: logging.Logger, plugin: logging.Logger) -> bool:
    """Give ``plugin`` the filters of ``host`` when ``host``'s handlers cannot format a
    plain record of ``plugin`` (AstrBot before 4.22 formats fields its own filters add);
    return whether it was needed. Spec: specs/001-redesign-responses-provider/spec.md
    §"Host compatibility"."""
    record = plugin.makeRecord(plugin.name, logging.INFO, __file__, 0, "probe", (), None)
    try:
        for handler in host.handlers:
            handler.format(record)
    except (KeyError, ValueError, AttributeError, TypeError):
        for host_filter in host.filters:
            if host_filter not in plugin.filters:
                plugin.addFilter(host_filter)
        return True
    return False


#: The plugin's one logger: a child of AstrBot's ``astrbot`` logger (AstrBot's per-plugin
#: name ``astrbot.plugin.<plugin>``), with the redacting filter. Every module logs here.
LOG = logging.getLogger("astrbot.plugin.astrbot_plugin_openai_responses")
if not any(isinstance(f, RedactingFilter) for f in LOG.filters):
    LOG.addFilter(RedactingFilter())
fit_plugin_logger(logging.getLogger("astrbot"), LOG)
