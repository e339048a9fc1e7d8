"""Serving HTTP on a loopback address: the demo site, and the sites the tests and benchmarks
build. One way to start and stop a server, and a handler base with the settings every one of
them needs."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar

# How often the server thread checks for shutdown: socketserver's default of 0.5 s made
# every server take 0.4 s to stop, at the end of each test and of the demo.
POLL_S = 0.05

S = TypeVar("S", bound=socketserver.BaseServer)


class Handler(BaseHTTPRequestHandler):
    """Keep-alive (HTTP/1.1), headers and body sent at once, no log lines on stderr."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, delayed ACKs add ~40 ms.
    disable_nagle_algorithm = True

    def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def http_server(
    handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0
) -> ThreadingHTTPServer:
    """A threaded HTTP server bound to ``host:port`` (0: any free port), not started yet."""
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.request_queue_size = 128  # a benchmark's hundreds of connections at once
    return server


@contextmanager
def running(server: S) -> Iterator[S]:
    """``server`` answering in a thread of its own until the block ends, then closed."""
    thread = threading.Thread(target=server.serve_forever, args=(POLL_S,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def base_url(server: socketserver.TCPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"
