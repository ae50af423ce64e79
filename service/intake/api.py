"""Public endpoints: comment intake (JSON and HTML form), publishing, status receipts."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from marshmallow import ValidationError

from mizan.service.errors import BadRequest, MizanError, Unsupported, ValidationFailed
from mizan.service.http.errors import error_response
from mizan.service.http.messages import PAGES, page_language, translate, translate_fields
from mizan.service.http.payload import parse_json
from mizan.service.http.requests import (
    check_origin,
    client_ip,
    cors,
    origin_and_path,
    origin_of,
    own_origin,
    read_body,
)
from mizan.service.intake.schemas import WORDPRESS_FIELDS, CommentIn, normalize_http_url
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


def _wants_json() -> bool:
    """A plain form gets HTML; JSON only when the client asks for it (Accept)."""
    return request.accept_mimetypes.best_match(("text/html", "application/json")) == (
        "application/json"
    )


def _parse_form(raw: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
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


def _article(data: dict) -> tuple[str | None, str | None]:
    """Where the reader goes back to, and the permalink a page of ours must post again.

    In order: the form's permalink (on an allowed site), the site's MIZAN_POST_URL_TEMPLATE,
    the full Referer (on an allowed site; browsers send only the origin on a cross-site form
    post by default, and the site's home page is not the article), else nothing.
    """
    settings = _service().settings
    permalink = data.get("permalink")
    if isinstance(permalink, str) and permalink.strip():
        try:
            url = normalize_http_url(permalink.strip())
        except ValidationError:
            url = None
        if url and origin_of(url) in settings.allowed_origins:
            return url.split("#", 1)[0], url
    post_id = data.get("post_id")
    if settings.post_url_template and isinstance(post_id, str) and post_id.strip():
        url = settings.post_url_template.replace("{post_id}", quote(post_id.strip(), safe=""))
        return url, None
    referer = request.headers.get("Referer")
    if referer and origin_of(referer) in settings.allowed_origins and not own_origin(referer):
        parts = urlsplit(referer)
        if parts.path not in ("", "/") or parts.query:
            url = referer.split("#", 1)[0]
            return url, url
    return None, None


_VISIBLE = (
    # name, label key, input type, required, autocomplete
    ("author_name", "name", "text", True, "name"),
    ("author_email", "email", "email", True, "email"),
    ("author_url", "url", "url", False, "url"),
    ("body", "comment", "textarea", True, "off"),
)
_HIDDEN = ("post_id", "parent_id", "section", "title")


def _form_error_page(exc: MizanError, data: dict, lang_field: str | None) -> Response:
    """The plain form's error as a page in the reader's language, the text refilled."""
    svc = _service()
    lang = page_language(lang_field, request.headers.get("Accept-Language"))
    arabic = lang == "ar"
    fields = translate_fields(exc.fields or {}, arabic)
    visible = {name for name, *_ in _VISIBLE}
    field_errors = {k: [str(m) for m in v] for k, v in fields.items() if k in visible}
    other = [
        " ".join(str(m) for m in v) if isinstance(v, list) else str(v)
        for k, v in fields.items()
        if k not in visible
    ]
    back_url, carry = _article(data)
    hidden = [(k, data[k]) for k in _HIDDEN if isinstance(data.get(k), str) and data[k]]
    if carry:
        hidden.append(("permalink", carry))
    hidden.append(("lang", lang))
    values = {k: v for k, v in data.items() if isinstance(v, str)}
    html = render_template(
        "form_error.html",
        t=PAGES[lang],
        lang=lang,
        dir="rtl" if arabic else "ltr",
        message=translate(exc.message, arabic),
        retry_after=exc.retry_after if exc.status == 429 else None,
        field_errors=field_errors,
        first_invalid=next((n for n, *_ in _VISIBLE if n in field_errors), None),
        other_errors=other,
        # Without the body (too large, not a form) there is nothing to refill.
        show_form=bool(data),
        action=url_for("comments.create_comment_form"),
        hidden=hidden,
        visible=_VISIBLE,
        values=values,
        honeypot=svc.settings.honeypot_field,
        back_url=back_url,
    )
    resp = Response(html, status=exc.status, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-store"
    if exc.retry_after is not None:
        resp.headers["Retry-After"] = str(exc.retry_after)
    # Posting again from this page must be able to land back on the article (form-action
    # also governs the redirect that follows the post).
    targets = set(svc.settings.allowed_origins)
    template_origin = origin_of(svc.settings.post_url_template)
    if template_origin:
        targets.add(template_origin)
    resp.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self' " + " ".join(sorted(targets))
    ).strip()
    return resp


@bp.post("/comments")
def create_comment_form():
    """A plain HTML form's comment: 303 back to the article, or an HTML page that says why not."""
    svc = _service()
    data: dict = {}
    refill: dict = {}
    lang_field: str | None = None
    try:
        if request.mimetype != "application/x-www-form-urlencoded":
            raise Unsupported("Unsupported content type.")
        pairs = _parse_form(read_body())
        known = set(_schema(svc).fields) | {svc.settings.honeypot_field}
        for key, value in pairs:
            if key == "lang":
                lang_field = lang_field or value
                continue
            key = WORDPRESS_FIELDS.get(key, key)
            if key in known and key not in data:  # forms send submit buttons and the like
                data[key] = value
        refill = {k: v for k, v in data.items() if k != svc.settings.honeypot_field}
        check_origin(form=True)
        loaded, filled = _load(dict(data))
        article, _carry = _article(loaded)
        if article:
            loaded["article_url"] = article
        new_token = _browser_token(loaded)
        accepted = svc.submit_comment(loaded, _meta(), honeypot_filled=filled)
    except MizanError as exc:
        if _wants_json():
            raise
        return _form_error_page(exc, refill, lang_field)
    if _wants_json():
        body = _accepted_body(accepted)
        resp = jsonify(body)
        resp.status_code = 202
        resp.headers["Location"] = body["status_url"]
    elif article:
        # The receipt rides in the fragment (never sent to a server): the widget on the article
        # shows the comment as awaiting moderation and keeps the receipt in localStorage.
        resp = Response(status=303)
        resp.headers["Location"] = f"{article}#mizan-pending-{accepted.id}.{accepted.receipt}"
    else:
        lang = page_language(lang_field, request.headers.get("Accept-Language"))
        html = render_template(
            "received.html",
            t=PAGES[lang],
            lang=lang,
            dir="rtl" if lang == "ar" else "ltr",
            status_url=_accepted_body(accepted)["status_url"],
        )
        resp = Response(html, status=202, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-store"
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
    resp.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept, Accept-Language"
    resp.headers["Access-Control-Allow-Credentials"] = "true"
    resp.headers["Access-Control-Max-Age"] = "600"
    resp.vary.add("Origin")
    return resp
