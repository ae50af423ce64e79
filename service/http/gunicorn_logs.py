"""gunicorn's own logging: JSON lines like ours, with no address, email or request text in them.

gunicorn writes its error lines itself, outside the app: "Invalid request from ip=...", the
request line of a URI it refused, the header it could not parse. Those carry readers' addresses
and whatever they put in a URL, so every line is scrubbed here before it is written, and the
error pages gunicorn sends for requests it refuses (400, 414, 431, ...) are the API's JSON body.
"""

from __future__ import annotations

import json
import logging
import re

from gunicorn import glogging, util

from mizan.service.logs import JsonFormatter

_EMAIL = re.compile(r"[^\s'\"<>@]+@[^\s'\"<>@]+")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_INVALID_REQUEST = re.compile(r"^Invalid request from ip=\S*: ")
_CODES = {
    400: "bad_request",
    403: "forbidden",
    413: "too_large",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
}


def scrub(message: str) -> str:
    """The message without addresses or emails, and without the request text it quoted."""
    message = _INVALID_REQUEST.sub("invalid request: ", message)
    message = _EMAIL.sub("[email]", message)
    message = _IPV4.sub("[address]", message)
    message = _IPV6.sub("[address]", message)
    return message[:300]


class _Scrub(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub(record.getMessage()), ()
        return True


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's error page, as the API's one JSON error body (the detail stays out of it)."""
    body = json.dumps(
        {"error": {"code": _CODES.get(status_int, "bad_request"), "message": reason + "."}}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nCache-Control: no-store\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


class Logger(glogging.Logger):
    """gunicorn's logger class for Mizan: JSON error lines, scrubbed; no access log."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
            handler.addFilter(_Scrub())
        # The workers are forked after this: they answer refused requests with the JSON body.
        util.write_error = write_json_error

    def access(self, resp, req, environ, request_time) -> None:
        """No access log: its lines would carry readers' addresses."""
