"""The Flask application factory: settings, database, queue and every feature's routes."""

from __future__ import annotations

import random
import time

from flask import Flask, g, request

from mizan.service.config import Settings, load_settings
from mizan.service.crypto import Keys
from mizan.service.db import make_engine
from mizan.service.http.sessions import CookieSessions
from mizan.service.intake import Repository, Service
from mizan.service.logs import configure_logging, request_id_var
from mizan.service.queue import TaskSender, make_sender


def create_app(settings: Settings | None = None, *, sender: TaskSender | None = None) -> Flask:
    """Build the app from settings (read from the environment when not given)."""
    settings = (settings or load_settings()).resolved()
    configure_logging(settings.log_level)
    # An explicit instance path: Flask's guess walks the import system, which cannot place a
    # module of the `mizan` namespace package when it is installed editable.
    app = Flask(
        "mizan.service",  # the package: its folder holds desk/static; the logger's name
        template_folder=None,  # each feature's blueprint brings its own templates/
        static_folder="desk/static",
        instance_path=str(settings.data_dir.resolve()),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.embedded,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.session_interface = CookieSessions()
    engine = make_engine(settings.database_url, settings.db_pool_size)
    service = Service(
        settings,
        Repository(engine),
        Keys(settings.secret_key),
        sender or make_sender(settings.broker_url, background=True),
    )
    app.extensions["mizan"] = service

    @app.before_request
    def _request_id():
        incoming = request.headers.get("X-Request-Id", "")
        rid = (
            incoming
            if 8 <= len(incoming) <= 64
            and incoming.isascii()
            and incoming.replace("-", "").isalnum()
            else f"{random.getrandbits(64):016x}"  # a label, not a secret: no system call
        )
        request.environ["mizan.request_id"] = rid
        g.request_started = time.perf_counter()
        request_id_var.set(rid)

    @app.after_request
    def _headers(resp):
        resp.headers["X-Request-Id"] = request.environ.get("mizan.request_id", "")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if resp.mimetype == "text/html":
            resp.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                "frame-ancestors 'self'; base-uri 'none'; form-action 'self'",
            )
        return resp

    from mizan.service import desk, intake, integrations, publishing
    from mizan.service.http import errors, health, metrics, openapi
    from mizan.service.http.requests import cors_public

    app.after_request(cors_public)

    app.register_blueprint(health.bp)
    metrics.init_app(app)
    errors.register_error_handlers(app)
    app.before_request(errors.reject_control_characters)
    intake.init_app(app)
    publishing.init_app(app)
    desk.init_app(app)
    integrations.init_app(app)
    openapi.init_app(app)
    desk.init_pages(app)
    return app
