"""Public endpoints: comment intake (JSON and HTML form), publishing, status receipts."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qsl

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from marshmallow import ValidationError

from mizan.service.db import decode_cursor, encode_cursor
from mizan.service.errors import BadRequest, Unsupported, ValidationFailed
from mizan.service.http.errors import error_response
from mizan.service.http.messages import PAGES, prefers_arabic
from mizan.service.http.requests import check_origin, client_ip, cors, read_body
from mizan.service.intake.schemas import WORDPRESS_FIELDS, CommentIn, PublicCommentOut, origin_of
from mizan.service.intake.usecase import RequestMeta, Service

bp = Blueprint("comments", __name__, template_folder="templates")

_public = PublicCommentOut()
MSG_FIELDS = "The comment could not be accepted: see the fields."


def _service() -> Service:
    return current_app.extensions["mizan"]


def _encoding_error() -> ValidationFailed:
    return ValidationFailed(MSG_FIELDS, fields={"_body": ["The text is not valid UTF-8."]})


def _meta() -> RequestMeta:
    return RequestMeta(
        ip=client_ip(),
        user_agent=request.headers.get("User-Agent"),
        referrer=request.headers.get("Referer"),
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


def _accepted_body(accepted) -> dict:
    return {
        "id": accepted.id,
        "status": accepted.status,
        "status_url": url_for(
            "comments.get_comment", comment_id=accepted.id, receipt=accepted.receipt
        ),
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
    try:
        data = json.loads(text)
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    loaded, filled = _load(data)
    new_token = _browser_token(loaded)
    accepted = _service().submit_comment(loaded, _meta(), honeypot_filled=filled)
    resp = jsonify(_accepted_body(accepted))
    resp.status_code = 202
    resp.headers["Location"] = resp.json["status_url"]
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


def _public_dict(row) -> dict:
    return _public.dump(
        {
            "id": row.id,
            "parent_id": row.parent_id,
            "author_name": row.author_name,
            "author_url": row.author_url,
            "body": row.body,
            "created_at": row.created_at,
        }
    )


@bp.get("/api/v1/posts/<post_id>/comments", provide_automatic_options=False)
def list_comments(post_id: str):
    svc = _service()
    raw_limit = request.args.get("limit", "50")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
        raise ValidationFailed(
            MSG_FIELDS, fields={"limit": ["Must be a whole number between 1 and 100."]}
        )
    cursor = request.args.get("cursor")
    after = None
    if cursor:
        after = decode_cursor(cursor)
        if after is None:
            raise ValidationFailed(MSG_FIELDS, fields={"cursor": ["Invalid cursor."]})
    roots, replies, more = svc.repo.public_threads(post_id, after, int(raw_limit))
    children: dict[str, list] = {}
    for r in replies:
        children.setdefault(r.root_id, []).append(_public_dict(r))
    threads = []
    for root in roots:
        item = _public_dict(root)
        item["replies"] = children.get(root.id, [])
        threads.append(item)
    body = {
        "post_id": post_id,
        "comments": threads,
        "next_cursor": encode_cursor(roots[-1].created_at, roots[-1].id) if more else None,
    }
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    etag = hashlib.blake2b(payload, digest_size=12).hexdigest()
    resp = Response(payload, mimetype="application/json")
    resp.set_etag(etag, weak=True)
    resp.headers["Cache-Control"] = f"public, max-age={svc.settings.public_cache_seconds}"
    resp.vary.add("Origin")
    resp = resp.make_conditional(request)  # type: ignore[assignment]
    return cors(resp)


@bp.get("/api/v1/comments/<comment_id>", provide_automatic_options=False)
def get_comment(comment_id: str):
    svc = _service()
    receipt = request.args.get("receipt")
    if (
        receipt is not None
        and len(comment_id) <= 64
        and svc.keys.check_receipt(comment_id, receipt)
    ):
        from mizan.service.policy import reason_category

        found = svc.repo.status_with_reasons(comment_id)
        if found is None:
            return error_response(404, "not_found", "Not found.")
        status, reasons = found
        resp = jsonify(
            {
                "id": comment_id,
                "status": status,
                "reason_category": reason_category(status, reasons),
            }
        )
        resp.headers["Cache-Control"] = "no-store"
        return cors(resp)
    row = svc.repo.public_comment(comment_id)
    if row is None:
        return error_response(404, "not_found", "Not found.")
    resp = jsonify(_public_dict(row))
    resp.headers["Cache-Control"] = f"public, max-age={svc.settings.public_cache_seconds}"
    return cors(resp)


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
