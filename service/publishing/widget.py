"""The embeddable widget: GET /embed.js and its stylesheet, versioned by their contents.

`/embed.js` is the address sites paste, so it is cached briefly and revalidated (ETag); it loads
its stylesheet from `/embed/<version>/embed.css`, which never changes and is cached for a year.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from flask import Blueprint, Response, request

bp = Blueprint("widget", __name__)

SHORT_CACHE = "public, max-age=300"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Assets:
    version: str
    js: bytes
    css: bytes


@cache
def assets() -> Assets:
    """Read the widget files once; the version is a hash of both."""
    folder = resources.files("mizan.service.publishing") / "static"
    js = (folder / "embed.js").read_bytes()
    css = (folder / "embed.css").read_bytes()
    version = hashlib.sha256(js + b"\0" + css).hexdigest()[:12]
    return Assets(version, js.replace(b"__MIZAN_VERSION__", version.encode()), css)


def _asset(body: bytes, mimetype: str, immutable: bool) -> Response:
    resp = Response(body, mimetype=mimetype)
    resp.headers["Cache-Control"] = IMMUTABLE if immutable else SHORT_CACHE
    resp.set_etag(assets().version + "-" + mimetype.split("/")[1])
    # Any page may load them (scripts and stylesheets, also with crossorigin or under COEP).
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return resp.make_conditional(request)  # type: ignore[return-value]


@bp.get("/embed.js", provide_automatic_options=False)
def embed_js():
    return _asset(assets().js, "text/javascript", immutable=False)


@bp.get("/embed/<version>/embed.js", provide_automatic_options=False)
def embed_js_versioned(version: str):
    # An old version asked for after a deploy gets today's file, cached briefly.
    return _asset(assets().js, "text/javascript", immutable=version == assets().version)


@bp.get("/embed/<version>/embed.css", provide_automatic_options=False)
def embed_css(version: str):
    return _asset(assets().css, "text/css", immutable=version == assets().version)
