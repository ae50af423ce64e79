"""Typed domain errors; only the API layer turns them into HTTP responses."""

from __future__ import annotations


class MizanError(Exception):
    """Base of the errors that domain code raises on purpose."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, fields: dict | None = None, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields
        self.retry_after = retry_after


class ValidationFailed(MizanError):
    code, status = "validation_failed", 422


class NotFound(MizanError):
    code, status = "not_found", 404


class Conflict(MizanError):
    code, status = "conflict", 409


class Forbidden(MizanError):
    code, status = "forbidden", 403


class TooManyRequests(MizanError):
    code, status = "too_many_requests", 429


class Unavailable(MizanError):
    code, status = "unavailable", 503


class BadRequest(MizanError):
    code, status = "bad_request", 400


class Unsupported(MizanError):
    code, status = "unsupported_media_type", 415
