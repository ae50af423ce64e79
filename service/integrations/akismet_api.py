"""The Akismet REST API 1.1 over HTTP: form-encoded fields in, Akismet's plain-text answers out.

Errors are answered the way Akismet answers them: status 200, a body that is neither `true` nor
`false` (nor `valid`, nor the thanks), and the `X-akismet-debug-help` header; errors a client
should act on (no decision in time, a revoked key) also carry `X-akismet-error`. Every client
then holds the comment for moderation instead of publishing it.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import DBAPIError

from mizan.service.http.payload import unusable
from mizan.service.http.requests import TooLarge, read_body
from mizan.service.integrations.akismet import (
    HAM,
    INVALID,
    KEY_PATTERN,
    SPAM,
    THANKS,
    VALID,
    Akismet,
    AkismetError,
)
from mizan.service.tables import Site

bp = Blueprint("akismet", __name__)
log = logging.getLogger("mizan.akismet")

INVALID_KEY_HELP = "We were unable to verify your API key."


def akismet() -> Akismet:
    return current_app.extensions["mizan.akismet"]


def _text(body: str, **headers: str) -> Response:
    resp = Response(body, mimetype="text/plain")
    resp.headers["Cache-Control"] = "no-store"
    for name, value in headers.items():
        # Header values travel as Latin-1: anything else is escaped, never a server error.
        safe = value.encode("ascii", "backslashreplace").decode("ascii")
        resp.headers[name.replace("_", "-")] = " ".join(safe.split())
    return resp


def _error(help_text: str, code: str | None = None, retry_after: int | None = None) -> Response:
    headers = {"X_akismet_debug_help": help_text}
    if code:
        headers["X_akismet_error"] = code
    resp = _text(help_text, **headers)
    if retry_after is not None:
        resp.headers["Retry-After"] = str(retry_after)
    return resp


def _fields() -> dict[str, str]:
    """The form fields (the first value of each); AkismetError when unreadable."""
    if request.mimetype not in ("application/x-www-form-urlencoded", ""):
        raise AkismetError(
            "Send the fields form-encoded (application/x-www-form-urlencoded).", "bad_request"
        )
    try:
        raw = read_body()
    except TooLarge:
        raise AkismetError("The request body is too large.", "too_large") from None
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, max_num_fields=500, errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        raise AkismetError("The fields must be UTF-8 and form-encoded.", "bad_request") from None
    out: dict[str, str] = {}
    for name, value in pairs:
        if unusable(name) or unusable(value):
            raise AkismetError(
                f"The field {name[:40]!r} contains NUL or broken characters.", "bad_request"
            )
        out.setdefault(name, value)
    return out


def _key(fields: dict[str, str]) -> str | None:
    """The key from `api_key`, `key`, or the first label of the host (KEY.host/1.1/...)."""
    key = fields.get("api_key") or fields.get("key")
    if key:
        return key.strip()
    label = (request.host or "").split(".", 1)[0].lower()
    return label if KEY_PATTERN.match(label) else None


def _site(fields: dict[str, str]) -> Site | None:
    return akismet().site_for_key(_key(fields))


def _same_site(site: Site, blog: str) -> bool:
    try:
        host = (urlsplit(blog.strip()).hostname or "").lower()
    except ValueError:
        return False
    want = (urlsplit(site.origin).hostname or "").lower()
    return host.removeprefix("www.") == want.removeprefix("www.")


def _answering(view):
    import functools

    @functools.wraps(view)
    def inner():
        akismet().warm()
        try:
            return view(_fields())
        except AkismetError as exc:
            return _error(exc.help_text, exc.code, exc.retry_after)
        except DBAPIError as exc:
            log.warning("database error in the Akismet API: %s", type(exc.orig or exc).__name__)
            return _error(
                "The service is temporarily unavailable; hold the comment and try again.",
                "unavailable",
                retry_after=5,
            )

    return inner


@bp.post("/1.1/verify-key", provide_automatic_options=False)
@_answering
def verify_key(fields: dict[str, str]):
    if not fields.get("blog"):
        return _error("Empty 'blog' value")
    site = _site(fields)
    if site is None:
        return _text(INVALID, X_akismet_debug_help=INVALID_KEY_HELP)
    if not _same_site(site, fields["blog"]):
        return _text(INVALID, X_akismet_debug_help="This key belongs to another site.")
    return _text(VALID)


def _required(fields: dict[str, str]) -> Site | Response:
    site = _site(fields)
    if site is None:
        return _text(INVALID, X_akismet_debug_help=INVALID_KEY_HELP)
    for name in ("blog", "user_ip"):
        if not (fields.get(name) or "").strip():
            return _error(f"Missing required field: {name}.")
    return site


@bp.post("/1.1/comment-check", provide_automatic_options=False)
@_answering
def comment_check(fields: dict[str, str]):
    site = _required(fields)
    if isinstance(site, Response):
        return site
    rid = request.environ.get("mizan.request_id")
    result = akismet().check(site, fields, rid)
    resp = _text(SPAM if result.spam else HAM, X_akismet_guid=result.guid)
    if result.discard:
        resp.headers["X-akismet-pro-tip"] = "discard"
    return resp


@bp.post("/1.1/submit-spam", provide_automatic_options=False)
@_answering
def submit_spam(fields: dict[str, str]):
    site = _required(fields)
    if isinstance(site, Response):
        return site
    akismet().submit(site, fields, spam=True)
    return _text(THANKS)


@bp.post("/1.1/submit-ham", provide_automatic_options=False)
@_answering
def submit_ham(fields: dict[str, str]):
    site = _required(fields)
    if isinstance(site, Response):
        return site
    akismet().submit(site, fields, spam=False)
    return _text(THANKS)
