"""The public read API: approved threads of an article, one comment, the author's status poll."""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, current_app, jsonify, request

from mizan.service.http.errors import error_response
from mizan.service.http.requests import cors
from mizan.service.publishing.usecase import Publishing

bp = Blueprint("publishing", __name__)


def _publishing() -> Publishing:
    return current_app.extensions["mizan.publishing"]


def _cache_seconds() -> int:
    return current_app.extensions["mizan"].settings.public_cache_seconds


@bp.get("/api/v1/posts/<post_id>/comments", provide_automatic_options=False)
def list_comments(post_id: str):
    body = _publishing().thread_page(
        post_id, request.args.get("limit", "50"), request.args.get("cursor")
    )
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    etag = hashlib.blake2b(payload, digest_size=12).hexdigest()
    resp = Response(payload, mimetype="application/json")
    resp.set_etag(etag, weak=True)
    resp.headers["Cache-Control"] = f"public, max-age={_cache_seconds()}"
    resp.vary.add("Origin")
    resp = resp.make_conditional(request)  # type: ignore[assignment]
    return cors(resp)


@bp.get("/api/v1/comments/<comment_id>", provide_automatic_options=False)
def get_comment(comment_id: str):
    pub = _publishing()
    if pub.receipt_valid(comment_id, request.args.get("receipt")):
        status = pub.status(comment_id)
        if status is None:
            return error_response(404, "not_found", "Not found.")
        resp = jsonify(status)
        resp.headers["Cache-Control"] = "no-store"
        return cors(resp)
    item = pub.comment(comment_id)
    if item is None:
        return error_response(404, "not_found", "Not found.")
    resp = jsonify(item)
    resp.headers["Cache-Control"] = f"public, max-age={_cache_seconds()}"
    return cors(resp)
