"""Response bodies read under a cap on their *decoded* size.

Bodies are streamed raw and decoded here, a bounded step at a time, so the size cap applies to
decompressed bytes (a gzip bomb is cut off early), and an encoding nobody asked for (zstd, a
stack of gzip layers) is refused instead of decoded without limit.
"""

from __future__ import annotations

import zlib
from typing import Any

import httpx


class BodyTooLarge(Exception):
    """The body (decoded) is larger than the cap, or uses an encoding that was not asked for."""


# The encodings the client asks for, and so the only ones it decodes.
ACCEPT_ENCODING = "gzip, deflate"


# Decoded bytes produced per decompression step: the most a compressed chunk can add to memory
# before the cap is checked again.
DECODE_STEP = 64 * 1024


class Decoder:
    """Incremental, bounded decoding of one advertised content encoding."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._zlib: Any = None
        self._first = False
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
            self._first = True

    def decode(self, data: bytes, room: int) -> list[bytes]:
        """Decoded pieces of ``data``; raises ``BodyTooLarge`` (naming what was too large) once
        they pass ``room`` bytes."""
        if self._zlib is None:
            if len(data) > room:
                raise BodyTooLarge("body")
            return [data]
        pieces, produced = [], 0
        while data and not self._zlib.eof:  # bytes after the end of the stream are ignored
            try:
                piece = self._zlib.decompress(data, DECODE_STEP)
            except zlib.error as exc:
                if self.encoding == "deflate" and self._first:
                    # Servers send raw deflate as often as the zlib format the name means.
                    self._zlib, self._first = zlib.decompressobj(-zlib.MAX_WBITS), False
                    continue
                raise httpx.DecodingError(f"{self.encoding} body cannot be decoded: {exc}") from exc
            self._first = False
            produced += len(piece)
            if produced > room:
                raise BodyTooLarge("decoded body")
            pieces.append(piece)
            data = self._zlib.unconsumed_tail
        return pieces


def decoder_for(headers: httpx.Headers) -> Decoder:
    encodings = [
        e.strip().lower()
        for e in headers.get("content-encoding", "").split(",")
        if e.strip() and e.strip().lower() != "identity"
    ]
    if len(encodings) > 1:
        raise BodyTooLarge(f"stacked content encodings refused ({', '.join(encodings)})")
    if encodings and encodings[0] not in ("gzip", "x-gzip", "deflate"):
        raise BodyTooLarge(f"content encoding {encodings[0]!r} was not asked for")
    return Decoder(encodings[0] if encodings else "identity")


async def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The decoded body, never more than ``max_bytes`` of it in memory: raw chunks are decoded
    here a bounded step at a time (httpx would decode a whole chunk, and every encoding it
    knows, before a cap could see the result)."""
    declared = response.headers.get("content-length", "")
    decoder = decoder_for(response.headers)
    if declared.isdigit() and int(declared) > max_bytes and decoder.encoding == "identity":
        raise BodyTooLarge(f"Content-Length {declared} exceeds the {max_bytes} byte limit")
    chunks: list[bytes] = []
    size = 0
    try:
        async for raw in response.aiter_raw():
            for piece in decoder.decode(raw, max_bytes - size):
                size += len(piece)
                chunks.append(piece)
    except BodyTooLarge as exc:
        raise BodyTooLarge(f"{exc} exceeds the {max_bytes} byte limit") from None
    return b"".join(chunks)
