"""One JSON error body everywhere: {"error": {"code", "message", "fields"?}}."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from mizan.service.errors import MizanError
from mizan.service.http.messages import prefers_arabic, translate, translate_fields

log = logging.getLogger("mizan.api")

HTTP_CODES = {
    400: ("bad_request", "The request was not understood."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    413: ("too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Unsupported content type."),
}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    fields: dict | None = None,
    retry_after: int | None = None,
) -> Response:
    """Build the documented error body, in Arabic when the reader prefers it."""
    arabic = prefers_arabic(request.headers.get("Accept-Language")) if request else False
    body: dict = {"code": code, "message": translate(message, arabic)}
    if fields is not None:
        body["fields"] = translate_fields(fields, arabic)
    resp = jsonify({"error": body})
    resp.status_code = status
    if retry_after is not None:
        resp.headers["Retry-After"] = str(retry_after)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(MizanError)
    def _mizan(exc: MizanError):
        return error_response(
            exc.status, exc.code, exc.message, fields=exc.fields, retry_after=exc.retry_after
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code, message = HTTP_CODES.get(exc.code or 500, ("http_error", exc.name))
        resp = error_response(exc.code or 500, code, message)
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            resp.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return resp

    @app.errorhandler(DBAPIError)
    def _db(exc: DBAPIError):
        log.warning("database error: %s", type(exc.orig or exc).__name__)
        return error_response(
            503,
            "unavailable",
            "The service is temporarily unavailable; try again shortly.",
            retry_after=5,
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # Log the type and place only: the message could carry user input.
        log.error("unexpected error %s", type(exc).__name__, exc_info=app.debug or app.testing)
        return error_response(500, "internal_error", "An unexpected error occurred.")


_CONTROL = frozenset(chr(c) for c in range(32)) | {"\x7f"}


def reject_control_characters():
    """Refuse NUL and other control characters in the path or query string up front.

    PostgreSQL cannot store or compare text with NUL, so such ids would otherwise surface as a
    database error; they can never name anything real.
    """
    if not _CONTROL.isdisjoint(request.path) or any(
        not _CONTROL.isdisjoint(v) for values in request.args.lists() for v in values[1]
    ):
        return error_response(
            422,
            "validation_failed",
            "The comment could not be accepted: see the fields.",
            fields={"_request": ["Contains characters that are not allowed."]},
        )
    return None
