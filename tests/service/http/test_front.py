"""The front reads whole requests, refuses bad ones with the JSON error, and hands complete ones
on unchanged but for framing. Its neighbour, gunicorn, is replaced here by a unix-socket server
that answers with the exact bytes it was handed (end-to-end runs use the real one)."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from mizan.service.http.front import Front, Limits

LIMITS = Limits(max_body=1024, header_timeout=0.6, body_timeout=0.6, keepalive=1.0)


class Running:
    def __init__(self, limits: Limits, upstream: bool = True) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="mizan-t-"))
        self.path = self.dir / "up.sock"
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.limits = limits
        self.with_upstream = upstream
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(10)

    async def _echo(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        seen = head + await reader.readexactly(length)
        writer.write(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(seen) + seen
        )
        await writer.drain()
        writer.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            if self.with_upstream:
                self.upstream = await asyncio.start_unix_server(self._echo, str(self.path))
            self.front = Front(str(self.path), self.limits)
            self.server = await self.loop.create_server(self.front.protocol, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
            self.front.start_sweeping()
            self.ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()
        self.loop.run_until_complete(self._close())
        self.loop.close()

    async def _close(self) -> None:
        self.server.close()
        self.front.close_all()
        if self.with_upstream:
            self.upstream.close()
            await self.upstream.wait_closed()
        await self.server.wait_closed()
        await asyncio.sleep(0.05)  # transports finish closing
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def front():
    running = Running(LIMITS)
    yield running
    running.stop()


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), 5, (source, 0))
    _LEFT.pop(sock.fileno(), None)
    return sock


_LEFT: dict[int, bytes] = {}  # bytes read past one response (pipelined answers), per socket


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response, framed by Content-Length (what both the front and the echo send)."""
    data = _LEFT.pop(sock.fileno(), b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError(data)
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
    length = int(headers.get("content-length", 0))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError(rest)
        rest += chunk
    if rest[length:]:
        _LEFT[sock.fileno()] = rest[length:]
    return int(lines[0].split()[1]), headers, rest[:length]


def exchange(port: int, raw: bytes, source: str = "127.0.0.1"):
    with connect(port, source) as sock:
        sock.sendall(raw)
        return read_response(sock)


def error_code(reply) -> str:
    status, headers, body = reply
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    return json.loads(body)["error"]["code"]


def test_requests_on_one_connection_reach_the_app_with_the_readers_address(front):
    with connect(front.port) as sock:
        for n in range(3):
            sock.sendall(b"GET /x?n=%d HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n" % n)
            status, headers, seen = read_response(sock)
            assert status == 200 and "connection" not in headers  # kept alive
            assert seen.startswith(b"PROXY TCP4 127.0.0.1 127.0.0.1 ")
            request = seen.split(b"\r\n", 1)[1]
            assert request.startswith(b"GET /x?n=%d HTTP/1.1\r\n" % n)
            # X-Forwarded-For goes on as sent: the app believes it only from trusted proxies.
            assert b"X-Forwarded-For: 1.2.3.4\r\n" in request
            assert request.endswith(b"Connection: close\r\n\r\n")


def test_pipelined_requests_are_answered_in_order(front):
    with connect(front.port) as sock:
        sock.sendall(b"GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        assert b"GET /a " in read_response(sock)[2]
        assert b"GET /b " in read_response(sock)[2]


def test_a_chunked_body_arrives_whole_with_a_length(front):
    raw = (
        b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    status, _h, seen = exchange(front.port, raw)
    assert status == 200
    assert b"Content-Length: 11\r\n" in seen and seen.endswith(b"\r\n\r\nhello world")
    assert b"chunked" not in seen.lower() and b"x-trailer" not in seen.lower()


def test_expect_100_continue_is_answered_by_the_front(front):
    with connect(front.port) as sock:
        sock.sendall(
            b"POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
        )
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"abc")
        status, _h, seen = read_response(sock)
    assert status == 200 and seen.endswith(b"abc") and b"expect" not in seen.lower()


@pytest.mark.parametrize(
    "raw, status, code",
    [
        (b"GARBAGE\r\n\r\n", 400, "bad_request"),
        (b"GET / HTTP/1.1\r\nBad\x01Header: x\r\n\r\n", 400, "bad_request"),
        (b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, "bad_request"),
        (b"GET / HTTP/2.0\r\n\r\n", 400, "bad_request"),
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n", 414, "uri_too_long"),
        (b"GET / HTTP/1.1\r\n" + b"X-A: " + b"b" * 17_000 + b"\r\n\r\n", 431, "headers_too_large"),
        (b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 101 + b"\r\n", 431, "headers_too_large"),
        # Two framings at once is how a request is smuggled past a proxy.
        (
            b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
            "bad_request",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            400,
            "bad_request",
        ),
        (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "bad_request"),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "not_implemented"),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad_request"),
        (b"POST / HTTP/1.1\r\nContent-Length: 1025\r\n\r\n", 413, "too_large"),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"200\r\n"
            + b"x" * 512
            + b"\r\n"
            + b"200\r\n"
            + b"x" * 512
            + b"\r\n"
            + b"1\r\nx\r\n0\r\n\r\n",
            413,
            "too_large",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nExpect: magic\r\n\r\nx",
            417,
            "expectation_failed",
        ),
    ],
)
def test_bad_requests_get_the_json_error_and_never_reach_the_app(front, raw, status, code):
    reply = exchange(front.port, raw)
    assert reply[0] == status and error_code(reply) == code


def test_errors_are_in_arabic_when_the_reader_prefers_it(front):
    reply = exchange(
        front.port, b"POST / HTTP/1.1\r\nAccept-Language: ar\r\nContent-Length: 5000\r\n\r\n"
    )
    assert json.loads(reply[2])["error"]["message"] == "جسم الطلب كبير جدًا."


@pytest.mark.parametrize(
    "raw",
    [
        b"POST /slow HTTP/1.1\r\nHost: a\r\nX-Pad: ",  # headers that never end
        b"POST /slow HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc",  # a body that never ends
        b"POST /slow HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n64\r\nab",
    ],
)
def test_a_request_slower_than_its_deadline_gets_408(front, raw):
    with connect(front.port) as sock:
        started = time.monotonic()
        sock.sendall(raw)
        reply = read_response(sock)
        waited = time.monotonic() - started
    assert reply[0] == 408 and error_code(reply) == "request_timeout"
    assert waited < 5  # cut off, not left to hang


def test_an_idle_connection_is_closed_quietly_after_keepalive(front):
    with connect(front.port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
        read_response(sock)
        assert sock.recv(10) == b""  # closed after the keep-alive time, with nothing sent


def test_scheme_headers_are_believed_only_from_loopback_as_gunicorn_did(front):
    raw = b"GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\nX_Under: 1\r\n\r\n"
    seen_local = exchange(front.port, raw)[2]
    seen_other = exchange(front.port, raw, source="127.0.0.9")[2]
    assert b"X-Forwarded-Proto: https" in seen_local
    assert b"X-Forwarded-Proto" not in seen_other and seen_other.startswith(
        b"PROXY TCP4 127.0.0.9 "
    )
    assert b"X_Under" not in seen_local  # gunicorn drops these; so does nginx


def test_503_with_retry_after_when_the_workers_cannot_be_reached():
    running = Running(LIMITS, upstream=False)
    try:
        reply = exchange(running.port, b"GET /healthz HTTP/1.1\r\n\r\n")
    finally:
        running.stop()
    assert reply[0] == 503 and error_code(reply) == "unavailable"
    assert reply[1]["retry-after"] == "5"
