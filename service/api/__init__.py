"""HTTP API: blueprints and the shared error handling."""

from __future__ import annotations

from flask import Flask

from mizan.service.api.comments import bp as comments_bp
from mizan.service.api.errors import register_error_handlers, reject_control_characters
from mizan.service.api.moderation import bp as moderation_bp
from mizan.service.api.reports import bp as reports_bp


def register(app: Flask) -> None:
    """Attach every API blueprint and the JSON error handlers."""
    register_error_handlers(app)
    app.before_request(reject_control_characters)
    app.register_blueprint(comments_bp)
    from mizan.service.auth import init_app as init_desk

    init_desk(app)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(reports_bp)
    from mizan.service.api import openapi

    openapi.init_app(app)
