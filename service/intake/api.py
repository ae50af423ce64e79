"""Public endpoints: comment intake (JSON and HTML form), publishing, status receipts."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from marshmallow import ValidationError

from mizan.service.errors import BadRequest, Unsupported, ValidationFailed
from mizan.service.http.errors import error_response
from mizan.service.http.messages import PAGES, prefers_arabic
from mizan.service.http.payload import parse_json
from mizan.service.http.requests import (
    check_origin,
    client_ip,
    cors,
    origin_and_path,
    read_body,
)
from mizan.service.intake.schemas import WORDPRESS_FIELDS, CommentIn, origin_of
from mizan.service.intake.usecase import RequestMeta, Service

bp = Blueprint("comments", __name__, template_folder="templates")

MSG_FIELDS = "The comment could not be accepted: see the fields."


def _service() -> Service:
    return current_app.extensions["mizan"]


def _encoding_error() -> ValidationFailed:
    return ValidationFailed(MSG_FIELDS, fields={"_body": ["The text is not valid UTF-8."]})


def _meta() -> RequestMeta:
    return RequestMeta(
        ip=client_ip(),
        user_agent=request.headers.get("User-Agent"),
        referrer=origin_and_path(request.headers.get("Referer")),
        accept_language=request.headers.get("Accept-Language"),
        request_id=request.environ.get("mizan.request_id"),
    )


def _schema(svc: Service) -> CommentIn:
    # One instance per app: building a marshmallow schema costs more than loading with it, and
    # loading keeps no state on the instance, so threads can share it.
    schema = current_app.extensions.get("mizan.comment_schema")
    if schema is None:
        schema = current_app.extensions["mizan.comment_schema"] = CommentIn(
            allowed_origins=svc.settings.allowed_origins,
            max_body_chars=svc.settings.max_body_chars,
        )
    return schema


def _load(data: dict) -> tuple[dict, bool]:
    svc = _service()
    honeypot = data.pop(svc.settings.honeypot_field, None)
    filled = (
        isinstance(honeypot, str)
        and honeypot.strip() != ""
        or (honeypot not in (None, "") and not isinstance(honeypot, str))
    )
    schema = _schema(svc)
    try:
        return schema.load(data), filled
    except ValidationError as exc:
        raise ValidationFailed(MSG_FIELDS, fields=exc.normalized_messages()) from None


_ID, _RECEIPT = "MIZANCOMMENTID", "MIZANRECEIPT"


def _status_url(comment_id: str, receipt: str) -> str:
    # url_for builds the route each time (a tenth of the request); ids and receipts are
    # URL-safe base64, so filling in a template the router built once gives the same URL.
    templates: dict[str, tuple[str, str, str]] = current_app.extensions.setdefault(
        "mizan.status_url", {}
    )
    root = request.script_root
    parts = templates.get(root)
    if parts is None:
        built = url_for("publishing.get_comment", comment_id=_ID, receipt=_RECEIPT)
        head, _, rest = built.partition(_ID)
        middle, _, tail = rest.partition(_RECEIPT)
        parts = templates[root] = (head, middle, tail)
    return f"{parts[0]}{comment_id}{parts[1]}{receipt}{parts[2]}"


def _accepted_body(accepted) -> dict:
    return {
        "id": accepted.id,
        "status": accepted.status,
        "status_url": _status_url(accepted.id, accepted.receipt),
    }


@bp.post("/api/v1/comments", provide_automatic_options=False)
def create_comment_json():
    check_origin(form=False)
    mimetype = request.mimetype
    if mimetype != "application/json":
        raise Unsupported("Unsupported content type.")
    raw = read_body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _encoding_error() from None
    data = parse_json(text)
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    loaded, filled = _load(data)
    new_token = _browser_token(loaded)
    accepted = _service().submit_comment(loaded, _meta(), honeypot_filled=filled)
    body = _accepted_body(accepted)
    resp = jsonify(body)
    resp.status_code = 202
    resp.headers["Location"] = body["status_url"]
    resp.headers["Cache-Control"] = "no-store"
    _set_browser_token(resp, new_token)
    return cors(resp)


@bp.post("/comments")
def create_comment_form():
    check_origin(form=True)
    if request.mimetype != "application/x-www-form-urlencoded":
        raise Unsupported("Unsupported content type.")
    raw = read_body()
    try:
        pairs = parse_qsl(
            raw.decode("ascii"),
            keep_blank_values=True,
            strict_parsing=False,
            encoding="utf-8",
            errors="strict",
            max_num_fields=100,
        )
    except UnicodeDecodeError:
        raise _encoding_error() from None
    except ValueError:
        raise BadRequest("The request was not understood.") from None
    svc = _service()
    known = set(_schema(svc).fields) | {svc.settings.honeypot_field}
    data: dict = {}
    for key, value in pairs:
        key = WORDPRESS_FIELDS.get(key, key)
        if key in known and key not in data:  # forms send submit buttons and the like: ignored
            data[key] = value
    loaded, filled = _load(data)
    new_token = _browser_token(loaded)
    accepted = svc.submit_comment(loaded, _meta(), honeypot_filled=filled)
    target = loaded.get("permalink") or request.headers.get("Referer")
    if target and origin_of(target) in svc.settings.allowed_origins:
        resp = Response(status=303)
        resp.headers["Location"] = target.split("#", 1)[0] + "#comment-pending"
        resp.headers["Cache-Control"] = "no-store"
        _set_browser_token(resp, new_token)
        return resp
    arabic = prefers_arabic(request.headers.get("Accept-Language"))
    html = render_template(
        "received.html",
        t=PAGES["ar" if arabic else "en"],
        lang="ar" if arabic else "en",
        dir="rtl" if arabic else "ltr",
        status_url=_accepted_body(accepted)["status_url"],
    )
    resp = Response(html, status=202, mimetype="text/html", headers={"Cache-Control": "no-store"})
    _set_browser_token(resp, new_token)
    return resp


def _browser_token(loaded: dict) -> str | None:
    """Put the signed browser-token cookie into the submission; a new token when it is missing."""
    from mizan.service.intake.rules import BROWSER_COOKIE, new_browser_token, verify_browser_token

    keys = _service().keys
    token = verify_browser_token(keys, request.cookies.get(BROWSER_COOKIE))
    fresh = None if token else new_browser_token(keys)
    loaded["browser_token"] = token or fresh
    return fresh


def _set_browser_token(resp: Response, token: str | None) -> None:
    # This comment already counts under the new token; the browser sends it from now on.
    from mizan.service.intake.rules import BROWSER_COOKIE, BROWSER_COOKIE_MAX_AGE

    if token:
        secure = not _service().settings.embedded
        resp.set_cookie(
            BROWSER_COOKIE,
            token,
            max_age=BROWSER_COOKIE_MAX_AGE,
            httponly=True,
            secure=secure,
            samesite="None" if secure else "Lax",
        )


@bp.route("/api/v1/comments", methods=["OPTIONS"])
@bp.route("/api/v1/comments/<path:_rest>", methods=["OPTIONS"])
@bp.route("/api/v1/posts/<path:_rest>", methods=["OPTIONS"])
def preflight(_rest: str | None = None):
    """Answer CORS preflights for the allowed site origins only."""
    origin = request.headers.get("Origin")
    if not origin or origin.lower() not in _service().settings.allowed_origins:
        return error_response(403, "forbidden", "This origin is not allowed.")
    resp = Response(status=204)
    resp.headers["Access-Control-Allow-Origin"] = origin
    resp.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    resp.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept-Language"
    resp.headers["Access-Control-Allow-Credentials"] = "true"
    resp.headers["Access-Control-Max-Age"] = "600"
    resp.vary.add("Origin")
    return resp
