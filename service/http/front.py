"""The front: whole requests are read here, within deadlines, before a gunicorn worker sees them.

A gunicorn worker reads its own socket, so a client that sends one byte every few seconds holds
a worker (or a thread) for as long as it likes: 8 such clients stopped `mizan up` and 50 stopped
`mizan api`. The front reads every request on one asyncio loop, where a waiting connection costs
a few kilobytes and no worker, with a deadline for the headers and one for the body. It refuses
what is malformed, too large or too slow with the API's one JSON error body, and only a complete
request goes on to gunicorn, over a unix socket in a private (0700) directory, one connection
per request. The reader's address travels as a PROXY protocol v1 line, so the app sees the same
REMOTE_ADDR it saw without the front and its trusted-proxy rules (`MIZAN_TRUSTED_PROXIES`) work
as before. The response streams back; the client's connection stays open for its next request.

Nothing here logs an address, a header value or a URL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus

from mizan.service.http.messages import prefers_arabic, translate

log = logging.getLogger("mizan.front")


@dataclass(frozen=True)
class Limits:
    """How much and how long the front waits for a request (and for gunicorn's answer)."""

    max_body: int = 64 * 1024  # MIZAN_MAX_REQUEST_BYTES: the app's own limit, enforced earlier
    max_request_line: int = 4094  # gunicorn's limit: a longer request line is 414
    max_head: int = 16 * 1024  # the header section: larger is 431
    max_fields: int = 100
    header_timeout: float = 10.0  # from a request's first byte to its blank line
    body_timeout: float = 30.0  # from the blank line to the body's last byte
    keepalive: float = 5.0  # an idle kept-alive connection is closed after this
    upstream_timeout: float = 60.0  # gunicorn's own worker timeout (30 s) comes first
    write_timeout: float = 30.0  # a client that stops reading its response
    max_connections: int = 4096
    max_upstream: int = 64  # requests handed to gunicorn at once; the rest wait here, complete


ERRORS = {
    400: ("bad_request", "The request was not understood."),
    408: ("request_timeout", "The request took too long to arrive."),
    413: ("too_large", "The request body is too large."),
    414: ("uri_too_long", "The request address is too long."),
    417: ("expectation_failed", "The request's expectation cannot be met."),
    431: ("headers_too_large", "The request headers are too large."),
    501: ("not_implemented", "This transfer encoding is not supported."),
    503: ("unavailable", "The service is temporarily unavailable; try again shortly."),
}

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_BAD_TARGET = re.compile(rb"[\x00-\x20\x7f]")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,8}\Z")
# Hop-by-hop headers, and the framing the front rewrites: never passed on to gunicorn.
_DROP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"transfer-encoding",
        b"te",
        b"trailer",
        b"upgrade",
        b"content-length",
        b"expect",
    }
)
# gunicorn believes these from any peer on its unix socket; without the front it believed them
# only from a loopback peer, and so does the front.
_SCHEME = frozenset({b"x-forwarded-proto", b"x-forwarded-protocol", b"x-forwarded-ssl"})
_LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})

_IDLE, _HEAD, _BODY, _WAIT, _LINGER, _CLOSED = range(6)


def error_bytes(status: int, arabic: bool = False, retry_after: int | None = None) -> bytes:
    """A complete HTTP/1.1 error response with the API's JSON body; the connection closes."""
    code, message = ERRORS[status]
    body = json.dumps(
        {"error": {"code": code, "message": translate(message, arabic)}},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    extra = f"Retry-After: {retry_after}\r\n" if retry_after is not None else ""
    return (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nCache-Control: no-store\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1") + body


def _proxy_line(peer, local) -> tuple[bytes, bool]:
    """The PROXY v1 line naming the reader's address, and whether that address is loopback."""
    try:
        src, sport = str(peer[0]).split("%", 1)[0], int(peer[1])
        dst, dport = str(local[0]).split("%", 1)[0], int(local[1])
    except (TypeError, IndexError, ValueError):
        return b"", False
    family = "TCP6" if ":" in src else "TCP4"
    if (":" in dst) != (":" in src):
        dst = "::" if family == "TCP6" else "0.0.0.0"  # noqa: S104 - a label, not a bind
    return f"PROXY {family} {src} {dst} {sport} {dport}\r\n".encode(), src in _LOOPBACK


class Front:
    """The listening side: connections, the hand-off to gunicorn, and the deadline sweep."""

    def __init__(self, upstream_path: str, limits: Limits | None = None) -> None:
        self.path = upstream_path
        self.limits = limits or Limits()
        self.clients: set[_Client] = set()
        self.inflight = 0
        self.waiting: deque[tuple[_Client, bytes]] = deque()
        self.loop = asyncio.get_running_loop()
        self._sweeper: asyncio.Task | None = None

    def protocol(self) -> _Client:
        return _Client(self)

    def start_sweeping(self) -> None:
        self._sweeper = self.loop.create_task(self._sweep())

    async def _sweep(self) -> None:
        # One pass a quarter second over all connections instead of a timer per request.
        while True:
            await asyncio.sleep(0.25)
            now = time.monotonic()
            for client in [c for c in self.clients if c.deadline < now]:
                client.expire()

    def forward(self, client: _Client, payload: bytes) -> None:
        if self.inflight < self.limits.max_upstream:
            self.inflight += 1
            self.loop.create_task(self._connect(client, payload))
        else:
            self.waiting.append((client, payload))

    async def _connect(self, client: _Client, payload: bytes) -> None:
        try:
            await self.loop.create_unix_connection(
                lambda: _Upstream(self, client, payload), self.path
            )
        except OSError as exc:
            log.warning("the API workers cannot be reached: %s", type(exc).__name__)
            self.release()
            client.upstream_failed()

    def release(self) -> None:
        self.inflight -= 1
        while self.waiting:
            client, payload = self.waiting.popleft()
            if client.state == _WAIT:
                self.forward(client, payload)
                return

    def idle(self) -> bool:
        return self.inflight == 0 and not self.waiting

    def close_all(self) -> None:
        for client in list(self.clients):
            client.close()
        if self._sweeper is not None:
            self._sweeper.cancel()


class _Client(asyncio.Protocol):
    """One reader's connection: read a whole request, hand it on, relay the answer."""

    def __init__(self, front: Front) -> None:
        self.front = front
        self.limits = front.limits
        self.state = _HEAD
        self.deadline = time.monotonic() + self.limits.header_timeout
        self.buf = bytearray()
        self.arabic = False
        self.upstream: _Upstream | None = None
        self.paused = False

    # --- asyncio callbacks ----------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.t = transport
        if len(self.front.clients) >= self.limits.max_connections:
            self.state = _CLOSED
            transport.abort()
            return
        self.front.clients.add(self)
        self.proxy, self.loopback = _proxy_line(
            transport.get_extra_info("peername"), transport.get_extra_info("sockname")
        )
        transport.set_write_buffer_limits(high=1 << 20)

    def data_received(self, data: bytes) -> None:
        state = self.state
        if state in (_LINGER, _CLOSED):
            return
        self.buf += data
        if state == _WAIT:
            # The next pipelined request waits, within reason, until this answer is sent.
            if len(self.buf) > self.limits.max_body + self.limits.max_head and not self.paused:
                self.paused = True
                self.t.pause_reading()
            return
        self._advance()

    def eof_received(self) -> bool:
        if self.state == _WAIT:
            self.keep = False  # half-closed after sending: answer, then close
            return True
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.state = _CLOSED
        self.front.clients.discard(self)

    def pause_writing(self) -> None:
        if self.upstream is not None:
            self.upstream.t.pause_reading()
        self.deadline = time.monotonic() + self.limits.write_timeout

    def resume_writing(self) -> None:
        if self.upstream is not None:
            self.upstream.t.resume_reading()
        if self.state == _WAIT:
            self.deadline = time.monotonic() + self.limits.upstream_timeout
        elif self.state == _IDLE:
            self.deadline = time.monotonic() + self.limits.keepalive

    # --- reading a request ----------------------------------------------------------------
    def _advance(self) -> None:
        buf = self.buf
        if self.state == _IDLE:
            while buf[:2] == b"\r\n":  # stray line ends between requests are allowed
                del buf[:2]
            if not buf:
                return
            self.state = _HEAD
            self.deadline = time.monotonic() + self.limits.header_timeout
        if self.state == _HEAD:
            while buf[:2] == b"\r\n":
                del buf[:2]
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                lim = self.limits
                line_end = buf.find(b"\r\n")
                if (line_end < 0 and len(buf) > lim.max_request_line) or (
                    line_end > lim.max_request_line
                ):
                    self.refuse(414)
                elif len(buf) > lim.max_request_line + lim.max_head:
                    self.refuse(431)
                return
            head = bytes(buf[:end])
            del buf[: end + 4]
            if not self._parse_head(head):
                return
        if self.state == _BODY:
            if self.chunked:
                body = self._dechunk()
                if body is None:
                    return
            else:
                if len(buf) < self.need:
                    return
                body = bytes(buf[: self.need])
                del buf[: self.need]
            self._dispatch(body)

    def _parse_head(self, head: bytes) -> bool:
        lim = self.limits
        lines = head.split(b"\r\n")
        request_line = lines[0]
        if len(request_line) > lim.max_request_line:
            return self.refuse(414)
        parts = request_line.split(b" ")
        if len(parts) != 3:
            return self.refuse(400)
        method, target, version = parts
        if (
            version not in (b"HTTP/1.1", b"HTTP/1.0")
            or not target
            or not _TOKEN.match(method)
            or _BAD_TARGET.search(target)
        ):
            return self.refuse(400)
        if len(head) - len(request_line) > lim.max_head or len(lines) > lim.max_fields + 1:
            return self.refuse(431)
        kept: list[bytes] = []
        length: int | None = None
        coding: bytes | None = None
        connection: set[bytes] = set()
        expect: bytes | None = None
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            # A name with spaces or controls, or a folded line, is refused, never guessed at.
            if not sep or not _TOKEN.match(name):
                return self.refuse(400)
            value = value.strip(b" \t")
            if _BAD_VALUE.search(value):
                return self.refuse(400)
            lname = name.lower()
            if lname in _DROP:
                if lname == b"content-length":
                    if not value.isdigit() or len(value) > 15:
                        return self.refuse(400)
                    if length is not None and length != int(value):
                        return self.refuse(400)
                    length = int(value)
                elif lname == b"transfer-encoding":
                    coding = value.lower() if coding is None else coding + b"," + value.lower()
                elif lname == b"connection":
                    connection.update(t.strip().lower() for t in value.split(b","))
                elif lname == b"expect":
                    expect = value.lower()
                continue
            if b"_" in name or (lname in _SCHEME and not self.loopback):
                continue
            if lname == b"accept-language":
                self.arabic = prefers_arabic(value.decode("latin-1"))
            kept.append(name + b": " + value)
        if connection - {b"close", b"keep-alive", b""}:
            kept = [h for h in kept if h.partition(b":")[0].lower() not in connection]
        self.keep = version == b"HTTP/1.1" and b"close" not in connection
        self.method = method
        self.chunked = False
        self.need = 0
        if coding is not None:
            # Both framings at once is how requests get smuggled past a proxy: refused.
            if length is not None or version != b"HTTP/1.1":
                return self.refuse(400)
            if coding != b"chunked":
                return self.refuse(501)
            self.chunked = True
            self.chunks = bytearray()
            self.cpos = 0
            self.csize = 0
        elif length is not None:
            if length > lim.max_body:
                return self.refuse(413)
            self.need = length
        if expect is not None:
            if expect != b"100-continue":
                return self.refuse(417)
            if (self.chunked or self.need) and not self.buf and version == b"HTTP/1.1":
                self.t.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        kept.insert(0, request_line)
        kept.append(b"")
        self.head = b"\r\n".join(kept)
        self.framed_body = length is not None or self.chunked
        self.state = _BODY
        self.deadline = time.monotonic() + lim.body_timeout
        return True

    def _dechunk(self) -> bytes | None:
        """The de-chunked body once its last chunk is in; None while more is to come."""
        buf, pos, lim = self.buf, self.cpos, self.limits
        while True:
            if self.csize == 0:  # a size line
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    if len(buf) - pos > 1024:
                        self.refuse(400)
                    self.cpos = pos
                    return None
                field = bytes(buf[pos:eol]).split(b";", 1)[0].strip(b" \t")
                if not _HEX.match(field):
                    self.refuse(400)
                    return None
                size = int(field, 16)
                pos = eol + 2
                if size == 0:
                    self.csize = -1
                elif len(self.chunks) + size > lim.max_body:
                    self.refuse(413)
                    return None
                else:
                    self.csize = size
            elif self.csize < 0:  # trailers, dropped, up to the blank line
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    if len(buf) - pos > lim.max_head:
                        self.refuse(431)
                    self.cpos = pos
                    return None
                if eol == pos:
                    del buf[: pos + 2]
                    return bytes(self.chunks)
                pos = eol + 2
            else:
                size = self.csize
                if len(buf) - pos < size + 2:
                    self.cpos = pos
                    return None
                if buf[pos + size : pos + size + 2] != b"\r\n":
                    self.refuse(400)
                    return None
                self.chunks += buf[pos : pos + size]
                pos += size + 2
                self.csize = 0

    def _dispatch(self, body: bytes) -> None:
        head = self.head
        if self.framed_body:
            head += b"Content-Length: %d\r\n" % len(body)
        self.state = _WAIT
        self.deadline = time.monotonic() + self.limits.upstream_timeout
        self.started = False
        self.front.forward(self, self.proxy + head + b"Connection: close\r\n\r\n" + body)

    # --- answering ------------------------------------------------------------------------
    def refuse(self, status: int, retry_after: int | None = None) -> bool:
        """Answer with the JSON error and close, reading (and dropping) what still arrives."""
        if self.state in (_LINGER, _CLOSED):
            return False
        if status != 408:
            log.info("invalid request: %s", HTTPStatus(status).phrase.lower())
        self.t.write(error_bytes(status, self.arabic, retry_after))
        self._linger()
        return False

    def _linger(self) -> None:
        # Closing with unread input would reset the connection and could destroy the answer
        # before the client reads it: stop writing, drain for a moment, then close.
        self.state = _LINGER
        self.deadline = time.monotonic() + 2.0
        self.buf = bytearray()
        if self.paused:
            self.paused = False
            self.t.resume_reading()
        if self.t.can_write_eof():
            self.t.write_eof()
        else:
            self.close()

    def expire(self) -> None:
        state = self.state
        if state == _HEAD and self.buf or state == _BODY:
            log.debug("request timed out")
            self.refuse(408)
        elif state == _WAIT and self.upstream is not None:
            self.upstream.t.abort()
        elif state == _WAIT:
            self.upstream_failed()
        else:
            # A client that stopped reading would keep an unflushed transport open forever.
            self.close(abort=self.t.get_write_buffer_size() > 0)

    def close(self, abort: bool = False) -> None:
        self.state = _CLOSED
        self.front.clients.discard(self)
        if abort:
            self.t.abort()
        else:
            self.t.close()

    def upstream_failed(self) -> None:
        if self.state == _WAIT:
            self.keep = False
            self.refuse(503, retry_after=5)

    def response_head(self, head: bytes, framed: bool) -> bytes:
        """gunicorn's response head, with this connection's own Connection header."""
        self.started = True
        if not framed:
            self.keep = False
        if not self.keep:
            head += b"\r\nConnection: close"
        return head + b"\r\n\r\n"

    def response_done(self, complete: bool) -> None:
        self.upstream = None
        if self.state != _WAIT:
            return
        if not self.started:
            self.upstream_failed()
            return
        if not (complete and self.keep):
            self.close()
            return
        self.state = _IDLE
        self.deadline = time.monotonic() + self.limits.keepalive
        if self.paused:
            self.paused = False
            self.t.resume_reading()
        if self.buf:
            self._advance()


class _Upstream(asyncio.Protocol):
    """One request to gunicorn: write it, pass the answer back to the client."""

    def __init__(self, front: Front, client: _Client, payload: bytes) -> None:
        self.front = front
        self.client = client
        self.payload = payload
        self.buf = bytearray()
        self.passing = False
        self.remaining = -1  # body bytes still due when framed by Content-Length
        self.chunked = False
        self.tail = b""

    def connection_made(self, transport) -> None:
        self.t = transport
        transport.write(self.payload)
        # The request is whole: say so at once. gunicorn closes gracefully (it reads until
        # the peer's end-of-file before closing), and would otherwise wait a loop turn here.
        transport.write_eof()
        self.payload = b""
        if self.client.state == _WAIT:
            self.client.upstream = self

    def data_received(self, data: bytes) -> None:
        client = self.client
        if self.passing:
            self._count(data)
            if client.state == _WAIT:
                client.t.write(data)
            return
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buf) > 65536:
                self.t.abort()
            return
        head = bytes(self.buf[:end])
        rest = bytes(self.buf[end + 4 :])
        self.buf = bytearray()
        self.passing = True
        lines = head.split(b"\r\n")
        try:
            status = int(lines[0][9:12])
        except ValueError:
            self.t.abort()
            return
        kept = [lines[0]]
        framed = False
        for line in lines[1:]:
            lname = line.partition(b":")[0].strip().lower()
            if lname == b"connection" or lname == b"keep-alive":
                continue
            if lname == b"content-length":
                framed = True
                self.remaining = int(line.partition(b":")[2].strip() or 0)
            elif lname == b"transfer-encoding":
                framed = self.chunked = True
            kept.append(line)
        if client.method == b"HEAD" or status in (204, 304) or status < 200:
            framed, self.remaining, self.chunked = True, 0, False
        out = client.response_head(b"\r\n".join(kept), framed)
        self._count(rest)
        if client.state == _WAIT:
            client.t.write(out + rest if rest else out)

    def _count(self, data: bytes) -> None:
        if self.remaining > 0:
            self.remaining -= len(data)
        elif self.chunked:
            self.tail = (self.tail + data)[-7:]

    def connection_lost(self, exc: Exception | None) -> None:
        self.front.release()
        complete = self.passing and (
            self.remaining == 0 or (self.chunked and self.tail.endswith(b"0\r\n\r\n"))
        )
        self.client.response_done(complete)
