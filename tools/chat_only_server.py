"""A loopback server that speaks Chat Completions but has no ``/responses`` route.

Stands in for llama.cpp, older Ollama or a Chat-Completions-only relay in the WebUI checks
(the "test" button must say that the endpoint has no Responses API).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class ChatCompletionsOnlyServer:
    """A loopback server that speaks Chat Completions but has no ``/responses`` route.

    Like llama.cpp, older Ollama or a Chat-Completions-only relay: ``GET /v1/models`` and
    ``POST /v1/chat/completions`` answer 200; anything else is ``404 page not found``
    (text/plain, the Go default).
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                path = urlsplit(self.path).path
                outer.requests.append((self.command, path))
                if self.command == "GET" and path == "/v1/models":
                    model = {"id": "chat-only-model", "object": "model"}
                    body = {"object": "list", "data": [model]}
                    self._reply(200, json.dumps(body).encode(), "application/json")
                elif self.command == "POST" and path == "/v1/chat/completions":
                    body = {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": "PONG"},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                    self._reply(200, json.dumps(body).encode(), "application/json")
                else:
                    self._reply(404, b"404 page not found", "text/plain; charset=utf-8")

            do_GET = do_POST = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def api_base(self) -> str:
        """``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> str:
        """Serve in a daemon thread; return ``api_base``."""
        self._thread.start()
        return self.api_base

    def stop(self) -> None:
        """Stop serving and close the socket. Idempotent."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
