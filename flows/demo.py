"""The demo: a small loopback news site written for this project, and one run against it.

Two "sites" (an RSS and an Atom feed) carry five articles in two languages, one page listed
twice under tracking URLs, one dead link, and a syndicated copy of the seed story under another
site's chrome and headline, so one run shows every stage: fetch, extract, dedupe, countries,
alerts.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from http.server import ThreadingHTTPServer
from pathlib import Path

from flows.loopback import Handler, running

SITE_DIR = Path(__file__).parent / "demo_site"
# A fixed port keeps the demo's URLs, and so its article ids, the same from run to run.
DEMO_PORT = 8765
_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml; charset=utf-8"}
_LAST_MODIFIED = formatdate(1764000000, usegmt=True)


class _Handler(Handler):
    server: _SiteServer
    protocol_version = "HTTP/1.0"  # a feed reader's plain requests, one per connection

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        with self.server.lock:
            self.server.hits[path] += 1
        target = (self.server.root / path.lstrip("/")).resolve()
        if self.server.root not in target.parents or not target.is_file():
            self.send_error(404, "no such page")
            return
        body = target.read_bytes()
        if target.suffix == ".xml":
            body = body.replace(b"{{base}}", self.server.base_url.encode())
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send(304, headers={"ETag": etag})
            return
        kind = _TYPES.get(target.suffix, "application/octet-stream")
        self.send(200, body, {"Content-Type": kind, "ETag": etag, "Last-Modified": _LAST_MODIFIED})


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.root = root.resolve()
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()


@dataclass(frozen=True)
class Site:
    """A running loopback site: its base URL and how often each path was requested."""

    url: str
    hits: Counter[str]


@contextmanager
def serve_site(root: Path = SITE_DIR, port: int = DEMO_PORT) -> Iterator[Site]:
    """Serve a folder on 127.0.0.1 (``{{base}}`` in .xml files becomes the base URL)."""
    with running(_SiteServer(root, port)) as server:
        yield Site(server.base_url, server.hits)


def write_feed_list(base_url: str, path: Path) -> Path:
    """The demo's feed list, as a user would write it."""
    path.write_text(
        "[[feeds]]\n"
        f'url = "{base_url}/harbor/rss.xml"\nname = "Harbor Daily"\ntags = ["demo", "en"]\n\n'
        "[[feeds]]\n"
        f'url = "{base_url}/courier/atom.xml"\nname = "Evening Courier"\ntags = ["demo"]\n',
        encoding="utf-8",
    )
    return path
