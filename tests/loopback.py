"""A threaded loopback server for fetch tests that need concurrency or slow answers
(pytest-httpserver answers one request at a time)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flows.loopback import Handler, base_url, http_server, running

Route = Callable[[Handler], None]


@dataclass
class Stats:
    hits: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    starts: list[float] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    clients: set[tuple[str, int]] = field(default_factory=set)  # one per TCP connection
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def serve(routes: dict[str, Route]) -> Iterator[tuple[str, Stats]]:
    stats = Stats()

    class Routed(Handler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with stats.lock:
                stats.hits[path] += 1
                stats.in_flight += 1
                stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
                stats.starts.append(time.monotonic())
                stats.agents.append(self.headers.get("User-Agent", ""))
                stats.clients.add(self.client_address)
            try:
                route = routes.get(path)
                if route is None:
                    self.send(404)
                else:
                    route(self)
            finally:
                with stats.lock:
                    stats.in_flight -= 1

        do_POST = do_GET

    with running(http_server(Routed)) as server:
        yield base_url(server), stats


def body(
    data: bytes, delay: float = 0.0, status: int = 200, headers: dict[str, str] | None = None
) -> Route:
    def route(h: Handler) -> None:
        if delay:
            time.sleep(delay)
        h.send(status, data, headers)

    return route


def drip(chunks: int, pause: float) -> Route:
    """A slow-loris answer: one byte every ``pause`` seconds."""

    def route(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(chunks))
        h.end_headers()
        try:
            for _ in range(chunks):
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass

    return route


@dataclass
class Mailbox:
    """What a loopback SMTP server received: each message's raw bytes."""

    messages: list[bytes] = field(default_factory=list)


@contextmanager
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    """A minimal SMTP server on 127.0.0.1 (no TLS, no AUTH): enough for a mail client to
    deliver, and for a test to read what it delivered."""
    import socketserver

    box = Mailbox()

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.reply("220 loopback ESMTP")
            while line := self.rfile.readline():
                verb = line.strip().split(b" ", 1)[0].upper()
                if verb == b"EHLO":
                    self.reply("250-loopback")
                    self.reply("250 8BITMIME")
                elif verb == b"DATA":
                    self.reply("354 go on")
                    data = []
                    while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                        data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                    box.messages.append(b"".join(data))
                    self.reply("250 queued")
                elif verb == b"QUIT":
                    self.reply("221 bye")
                    return
                else:  # HELO, MAIL, RCPT, RSET, NOOP
                    self.reply("250 ok")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with running(server):
        yield server.server_address[1], box
