"""gunicorn's error lines are scrubbed of addresses and emails before they are written."""

from __future__ import annotations

import pytest

from mizan.service.http.gunicorn_logs import scrub


@pytest.mark.parametrize(
    "line, kept",
    [
        ("Invalid request from ip=198.51.100.7: Invalid HTTP request line: 'GARBAGE'", "GARBAGE"),
        ("Invalid request from ip=2001:db8::17: bad header", "bad header"),
        ("Error handling request /x?email=reader@example.org", "Error handling request"),
        ("upstream 10.0.0.1 and fe80::1 said no", "said no"),
        ("Worker timeout (pid:42)", "Worker timeout (pid:42)"),
    ],
)
def test_scrub_removes_addresses_and_emails(line, kept):
    out = scrub(line)
    for secret in ("198.51.100.7", "2001:db8::17", "reader@example.org", "10.0.0.1", "fe80::1"):
        assert secret not in out
    assert kept in out
