"""HTTP API: blueprints and the shared error handling."""

from __future__ import annotations

from flask import Flask

from service.api.comments import bp as comments_bp
from service.api.errors import register_error_handlers


def register(app: Flask) -> None:
    """Attach every API blueprint and the JSON error handlers."""
    register_error_handlers(app)
    app.register_blueprint(comments_bp)
