"""What the HTTP server itself answers and logs: JSON error bodies, and no reader address.

Findings 3 and 6 of the hardening review: gunicorn's own error lines carried readers' IPs in
plain text, 414 was gunicorn's HTML page, and a chunked body over 64 KiB got 400, not 413.
"""

from __future__ import annotations

import json
import socket

import pytest

from tests.conftest import REDIS_URL
from tests.processes import mizan_env, start_api

pytestmark = [pytest.mark.e2e]

READER = "127.0.0.77"  # every raw request below comes from this loopback address
EMAIL = "reader.private@example.org"


def raw(port: int, data: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send bytes from the reader's address; parse the status line, headers and body."""
    with socket.create_connection(("127.0.0.1", port), timeout, (READER, 0)) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    reply = b"".join(chunks)
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def json_error(reply) -> dict:
    status, headers, body = reply
    assert headers.get("content-type", "").startswith("application/json"), reply
    return json.loads(body)["error"]


def test_server_errors_are_json_and_logs_carry_no_reader_address(tmp_path, pg_database):
    env = mizan_env(pg_database, REDIS_URL, tmp_path, MIZAN_LOG_LEVEL="DEBUG")
    api, base = start_api(env, tmp_path / "api.log")
    port = int(base.rsplit(":", 1)[1])
    try:
        garbage = raw(port, f"GARBAGE {EMAIL}\r\n\r\n".encode())
        assert garbage[0] == 400 and json_error(garbage)["code"] == "bad_request"

        long_uri = raw(port, f"GET /?q={EMAIL * 400} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert long_uri[0] == 414 and json_error(long_uri)["code"] == "uri_too_long"

        bad_header = raw(
            port, f"GET / HTTP/1.1\r\nHost: x\r\nBad\x01Header: {EMAIL}\r\n\r\n".encode()
        )
        assert bad_header[0] == 400 and json_error(bad_header)["code"] == "bad_request"

        body = json.dumps({"post_id": "p", "body": "x" * 70_000}).encode()
        chunks = (
            b"".join(
                b"%x\r\n%s\r\n" % (len(body[i : i + 4096]), body[i : i + 4096])
                for i in range(0, len(body), 4096)
            )
            + b"0\r\n\r\n"
        )
        chunked = raw(
            port,
            b"POST /api/v1/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks,
        )
        assert chunked[0] == 413 and json_error(chunked)["code"] == "too_large"
        logs = api.output()
    finally:
        api.stop()
    assert "invalid request" in logs.lower()  # the refusals were logged ...
    assert READER not in logs and EMAIL not in logs  # ... without the reader's address or email
