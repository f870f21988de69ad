"""Client of AstrBot's dashboard API that learns the host's routes by trying them.

Two generations exist. AstrBot 4.28+ serves ``/api/v1/…`` (``POST /api/v1/auth/login``,
``/api/v1/providers/{id}/test``, …); earlier 4.x serve ``/api/…`` (``/api/auth/login``,
``/api/config/provider/check_one?id=``, …), and some routes moved between releases (the
model list of a source is ``/api/config/provider_sources/{id}/models`` on 4.10 and
``…/models?source_id=`` later). Every operation lists its candidate requests, newest first;
the first one the host does not answer with 401/404/405 or its WebUI fallback page (once
logged in) is used and remembered. Login learns its route and whether the host wants the
password itself or its md5 (hosts before 4.24) from the first attempt that succeeds.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from .errors import AstrBotAPIError

DEFAULT_USERNAME = "astrbot"
#: 401 despite a valid dashboard token: a route of the Open API, which wants an API key
#: (``/api/v1/chat`` on 4.22 – 4.27), not the dashboard's.
_MISSING_ROUTE = frozenset({401, 404, 405})


def route_missing(resp: httpx.Response, *, stream: bool = False) -> bool:
    """Whether ``resp`` (to a request with a dashboard token) says this is not the host's
    dashboard route: 401/404/405, or (older hosts) the WebUI's fallback page — a 200 answer
    that is neither JSON nor (for ``stream``) SSE."""
    if resp.status_code in _MISSING_ROUTE:
        return True
    kind = resp.headers.get("content-type", "").partition(";")[0].strip()
    wanted = ("application/json", "text/event-stream") if stream else ("application/json",)
    return resp.status_code == 200 and kind not in wanted


@dataclass(frozen=True, slots=True)
class Route:
    """One candidate request: method, path (``{…}`` fields filled from the call's
    arguments), and how to build the JSON body and query from them."""

    method: str
    path: str
    body: Callable[[dict[str, Any]], Any] | None = None
    query: Callable[[dict[str, Any]], dict[str, str]] | None = None


#: Operation → candidate routes, newest host generation first.
ROUTES: dict[str, tuple[Route, ...]] = {
    "login": (
        Route("POST", "/api/v1/auth/login", lambda a: a),
        Route("POST", "/api/auth/login", lambda a: a),
    ),
    "chat": (
        Route("POST", "/api/v1/chat", lambda a: a),
        Route("POST", "/api/chat/send", lambda a: a),
    ),
    "test_provider": (
        Route("POST", "/api/v1/providers/{provider_id}/test"),
        Route("GET", "/api/config/provider/check_one", query=lambda a: {"id": a["provider_id"]}),
    ),
    "provider_schema": (
        Route("GET", "/api/v1/providers/schema"),
        Route("GET", "/api/config/provider/template"),
    ),
    "source_models": (
        Route("GET", "/api/v1/provider-sources/{source_id}/models"),
        Route(
            "GET",
            "/api/config/provider_sources/models",
            query=lambda a: {"source_id": a["source_id"]},
        ),
        Route("GET", "/api/config/provider_sources/{source_id}/models"),
    ),
    "reload_plugin": (
        Route("POST", "/api/v1/plugins/reload", lambda a: {"plugin_id": a["plugin"]}),
        Route("POST", "/api/plugin/reload", lambda a: {"name": a["plugin"]}),
    ),
    "set_plugin_enabled": (
        Route(
            "PATCH",
            "/api/v1/plugins/enabled",
            lambda a: {"plugin_id": a["plugin"], "enabled": a["enabled"]},
        ),
        Route("POST", "/api/plugin/{switch}", lambda a: {"name": a["plugin"]}),  # on / off
    ),
    "set_provider_enabled": (
        Route(
            "PATCH",
            "/api/v1/providers/enabled",
            lambda a: {"provider_id": a["provider_id"], "enabled": a["enabled"]},
        ),
        # older hosts replace the whole model entry (``entry``: the current one, switched)
        Route(
            "POST",
            "/api/config/provider/update",
            lambda a: {"id": a["provider_id"], "config": {**a["entry"], "enable": a["enabled"]}},
        ),
    ),
}


def json_or_text(resp: httpx.Response) -> Any:
    """The decoded JSON body, or the text when it is not JSON."""
    try:
        return resp.json()
    except ValueError:
        return resp.text


class Dashboard:
    """Authenticated calls to one AstrBot dashboard at ``base_url``."""

    def __init__(self, base_url: str, password: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url
        self.password = password
        self.client = httpx.Client(base_url=base_url, timeout=timeout, trust_env=False)
        self.token: str | None = None
        #: operation → the route this host answered (filled as operations are used)
        self.learned: dict[str, Route] = {}
        self._secret: str | None = None  # what the host accepted at login

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    # ------------------------------------------------------------------------------ routes
    def build(self, route: Route, args: dict[str, Any]) -> dict[str, Any]:
        """``httpx`` request arguments of ``route`` for ``args``."""
        return {
            "method": route.method,
            "url": route.path.format(**args),
            "json": route.body(args) if route.body else None,
            "params": route.query(args) if route.query else None,
        }

    def send(self, operation: str, **args: Any) -> httpx.Response:
        """Send ``operation``, trying its candidate routes until the host knows one."""
        learned = self.learned.get(operation)
        candidates = (learned,) if learned else ROUTES[operation]
        headers = self.headers()
        resp: httpx.Response | None = None
        for route in candidates:
            resp = self.client.request(headers=headers, **self.build(route, args))
            if not route_missing(resp):
                self.learned[operation] = route
                return resp
        assert resp is not None
        return resp

    @contextlib.contextmanager
    def stream(
        self, operation: str, *, timeout: httpx.Timeout, **args: Any
    ) -> Iterator[httpx.Response]:
        """Like :meth:`send`, but the chosen response is streamed (SSE) inside the block."""
        learned = self.learned.get(operation)
        candidates = (learned,) if learned else ROUTES[operation]
        headers = {**self.headers(), "Accept": "text/event-stream"}
        for n, route in enumerate(candidates, start=1):
            request = self.build(route, args)
            with self.client.stream(headers=headers, timeout=timeout, **request) as resp:
                if route_missing(resp, stream=True) and n < len(candidates):
                    continue
                self.learned[operation] = route
                yield resp
                return

    # ------------------------------------------------------------------------------- auth
    def login(self) -> str:
        """Log in and remember the JWT. Tries every login route with the password as is and
        with its md5 (hosts before 4.24): an old host answers an unknown ``/api`` route with
        401, not 404, so only a successful login tells which route and form it takes."""
        known = self.learned.get("login")
        routes = (known,) if known else ROUTES["login"]
        plain, md5 = self.password, hashlib.md5(self.password.encode()).hexdigest()
        secrets = (self._secret,) if self._secret else (plain, md5)
        status, body = 0, None
        for route in routes:
            for secret in secrets:
                args = {"username": DEFAULT_USERNAME, "password": secret}
                resp = self.client.request(**self.build(route, args))
                status, body = resp.status_code, json_or_text(resp)
                if status == 200 and isinstance(body, dict) and body.get("status") == "ok":
                    self.learned["login"], self._secret = route, secret
                    self.token = str(body["data"]["token"])
                    return self.token
        raise AstrBotAPIError(f"login failed: {body!r}", status, body)

    def headers(self) -> dict[str, str]:
        """The ``Authorization`` header (logging in first if needed)."""
        if self.token is None:
            self.login()
        return {"Authorization": f"Bearer {self.token}"}

    # ------------------------------------------------------------------------------ calls
    def request(self, method: str, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        """Authenticated raw request; ``path`` without ``/api`` gets the ``/api/v1`` prefix."""
        if not path.startswith("/api"):
            path = "/api/v1" + (path if path.startswith("/") else "/" + path)
        return self.client.request(method, path, json=json, headers=self.headers(), **kwargs)

    def api(self, method: str, path: str, json: Any = None, *, check: bool = True) -> Any:
        """Authenticated call returning the decoded body; with ``check`` an HTTP error or a
        ``status`` other than ``"ok"`` raises :class:`AstrBotAPIError`."""
        return checked(self.request(method, path, json), check=check)

    def call(self, operation: str, *, check: bool = True, **args: Any) -> Any:
        """:meth:`send` ``operation`` and return the decoded body (checked like :meth:`api`)."""
        return checked(self.send(operation, **args), check=check)


def checked(resp: httpx.Response, *, check: bool = True) -> Any:
    """The decoded body of ``resp``; raises :class:`AstrBotAPIError` (with ``check``) on an
    HTTP error or a body whose ``status`` is not ``"ok"``."""
    body = json_or_text(resp)
    if check and (
        resp.status_code >= 400 or (isinstance(body, dict) and body.get("status") != "ok")
    ):
        raise AstrBotAPIError(
            f"{resp.request.method} {resp.request.url.path} -> HTTP {resp.status_code}: "
            f"{str(body)[:500]}",
            resp.status_code,
            body,
        )
    return body
