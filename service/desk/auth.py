"""Who is asking: desk sessions (cookie + CSRF token) and personal API tokens.

Everything under /moderation and /api/v1/moderation goes through `require_api` or
`require_page`. API clients send `Authorization: Bearer mzn_...`; the web desk uses the Flask
session cookie (HttpOnly, SameSite, Secure outside embedded mode) and must echo the session's
CSRF token (form field `csrf_token` or header `X-CSRF-Token`) on every state-changing request.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import time
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request, session, url_for

from mizan.service.desk.repository import ModerationRepository
from mizan.service.desk.usecase import MSG_AUTH, Actor, Desk, Unauthorized
from mizan.service.errors import Forbidden, MizanError

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class CsrfFailed(MizanError):
    code, status = "csrf_failed", 403


def init_app(app: Flask) -> Desk:
    """Create the desk's use cases next to the service's (settings validated now, not later)."""
    svc = app.extensions["mizan"]
    desk = Desk(svc.settings, ModerationRepository(svc.repo.engine), svc.keys)
    app.extensions["mizan_desk"] = desk
    app.jinja_env.globals["csrf_token"] = csrf_token
    return desk


def desk() -> Desk:
    return current_app.extensions["mizan_desk"]


def client_ip() -> str | None:
    from mizan.service.http.requests import client_ip as _ip

    return _ip()


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def login_session(actor: Actor) -> None:
    """Start a fresh session for the account (a new CSRF token, nothing carried over)."""
    session.clear()
    session["mid"] = actor.id
    session["epoch"] = actor.session_epoch
    session["t"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(32)


def logout_session() -> None:
    session.clear()


def _session_actor() -> Actor | None:
    mid, started = session.get("mid"), session.get("t")
    if not isinstance(mid, int) or not isinstance(started, int):
        return None
    if time.time() - started > desk().conf.session_hours * 3600:
        session.clear()
        return None
    actor = desk().actor(mid, session.get("epoch"))
    if actor is None:
        session.clear()
    return actor


def current_actor() -> Actor | None:
    """The authenticated account of this request (token first, then session), or None."""
    if "mizan_actor" in g:
        return g.mizan_actor
    actor, via = None, None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(MSG_AUTH)
        actor = desk().actor_for_token(token.strip())
        if actor is None:
            raise Unauthorized(MSG_AUTH)
        via = "token"
    else:
        actor = _session_actor()
        via = "session" if actor else None
    g.mizan_actor, g.mizan_auth_via = actor, via
    return actor


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # browsers send Origin on cross-site POSTs; other clients may omit it
        return True
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}".lower() == request.host_url.rstrip("/").lower()


def check_csrf() -> None:
    """Refuse a state-changing request made with the session cookie but without its token."""
    if request.method in SAFE_METHODS or g.get("mizan_auth_via") != "session":
        return
    sent = request.headers.get("X-CSRF-Token") or (
        request.form.get("csrf_token")
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
        else None
    )
    expected = session.get("csrf")
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise CsrfFailed("The CSRF token is missing or does not match; reload the page.")
    if not _same_origin():
        raise CsrfFailed("Cross-site requests are not allowed.")


def require_api(admin: bool = False):
    """Guard an API view: 401 without valid credentials, 403 for a missing role or CSRF token."""

    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                raise Unauthorized(MSG_AUTH)
            check_csrf()
            if admin and not actor.is_admin:
                raise Forbidden("This action needs an admin account.")
            return view(*args, **kwargs)

        return inner

    return wrap


def wants_html() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "text/html"
        and request.accept_mimetypes[best] > request.accept_mimetypes["application/json"]
    )


def require_page(admin: bool = False):
    """Guard a desk page: browsers are sent to the login page, other clients get 401."""

    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                if request.method == "GET" and wants_html():
                    return redirect(url_for("desk.login", next=request.full_path.rstrip("?")), 303)
                raise Unauthorized(MSG_AUTH)
            check_csrf()
            if admin and not actor.is_admin:
                raise Forbidden("This action needs an admin account.")
            return view(*args, **kwargs)

        return inner

    return wrap
