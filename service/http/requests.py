"""Request helpers every feature's endpoints share: client address, body, origin, CORS."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import Response, current_app, request

from mizan.service.config import Settings
from mizan.service.errors import BadRequest, Forbidden, MizanError, Unsupported
from mizan.service.http.payload import parse_json


class TooLarge(MizanError):
    code, status = "too_large", 413


def _settings() -> Settings:
    return current_app.extensions["mizan"].settings


def client_ip() -> str | None:
    """The client's address; X-Forwarded-For is honoured only from configured trusted proxies."""
    remote = request.remote_addr
    trusted = _settings().trusted_proxies
    if not remote or not trusted:
        return remote
    try:
        hops = [ipaddress.ip_address(remote)]
        for part in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
            part = part.strip()
            if part:
                hops.append(ipaddress.ip_address(part))
    except ValueError:
        return remote
    # Walk from the nearest hop outwards and stop at the first address we do not trust.
    for hop in hops:
        if not any(hop in net for net in trusted):
            return str(hop)
    return str(hops[-1])


def read_body() -> bytes:
    """The raw request body, refusing anything over the configured size before reading it all."""
    limit = _settings().max_request_bytes
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge("The request body is too large.")
    if request.content_length is None:
        # A chunked body: werkzeug's length-capped stream would cut it silently at the limit,
        # so one byte past the limit is read from the server's own (de-chunked) stream.
        data = request.environ["wsgi.input"].read(limit + 1)
    else:
        data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge("The request body is too large.")
    return data


def json_object() -> dict:
    """The request's JSON body as an object (415 unless JSON, 400 unless UTF-8 JSON object)."""
    if request.mimetype != "application/json":
        raise Unsupported("Unsupported content type.")
    try:
        text = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid JSON.") from None
    data = parse_json(text)
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    return data


def origin_of(url: str | None) -> str | None:
    """scheme://host[:port] of a URL, lower-cased; None when it has none."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def origin_and_path(url: str | None) -> str | None:
    """The referrer worth keeping: scheme://host/path; the query and fragment can identify a
    reader (session ids, emails in tracking links), so they are never stored."""
    origin = origin_of(url)
    if origin is None or url is None:
        return None
    return origin + (urlsplit(url).path or "/")


def own_origin(url: str | None) -> bool:
    """True when the URL is on this service's own host (a page Mizan served posting back)."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    # The host only: behind a TLS-terminating proxy the scheme seen here may differ.
    return bool(parts.netloc) and parts.netloc.lower() == request.host.lower()


def check_origin(form: bool) -> None:
    """Refuse posts from browsers on other sites; clients without Origin/Referer are let through.

    Mizan's own pages (the form's error page posting again) count as allowed.
    """
    allowed = _settings().allowed_origins
    origin = request.headers.get("Origin")
    if origin is None and form:
        origin = origin_of(request.headers.get("Referer"))
    if origin is not None and origin.lower() not in allowed and not own_origin(origin):
        raise Forbidden("This origin is not allowed.")


PUBLIC_API = "/api/v1/"
PRIVATE_API = "/api/v1/moderation"


def cors_public(resp: Response) -> Response:
    """After every request: the public API's answers, errors included, carry CORS headers for
    the allowed sites, so a site's script can read the messages and Retry-After. The moderation
    API never does: a site's script must not act with a moderator's cookies."""
    path = request.path
    if path == "/comments" or (path.startswith(PUBLIC_API) and not path.startswith(PRIVATE_API)):
        return cors(resp)
    return resp


def cors(resp: Response) -> Response:
    origin = request.headers.get("Origin")
    if origin and origin.lower() in _settings().allowed_origins:
        resp.headers["Access-Control-Allow-Origin"] = origin
        # Credentials let the site's script carry the signed browser token (trusted authors).
        resp.headers["Access-Control-Allow-Credentials"] = "true"
        resp.headers["Access-Control-Expose-Headers"] = "ETag, Location, Retry-After"
    resp.vary.add("Origin")
    return resp
