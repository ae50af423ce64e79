"""The moderation desk: accounts, queue, actions, bans, word lists, reader reports, stats, the
JSON API and the pages.

Public interface (import from here, not from the modules inside).
"""

from __future__ import annotations

from flask import Flask

from mizan.service.desk.auth import current_actor, require_api, require_page
from mizan.service.desk.repository import ModerationRepository
from mizan.service.desk.usecase import Actor, Desk, DeskSettings
from mizan.service.desk.words import LANGS, words_with_prefix

__all__ = [
    "LANGS",
    "Actor",
    "Desk",
    "DeskSettings",
    "ModerationRepository",
    "current_actor",
    "init_app",
    "init_pages",
    "render_page",
    "require_api",
    "require_page",
    "words_with_prefix",
]


def render_page(template: str, http_status: int = 200, **ctx):
    """Render a page in the desk's frame (its language, navigation and headers)."""
    from mizan.service.desk.pages import _render

    return _render(template, http_status, **ctx)


def init_app(app: Flask) -> None:
    """Attach the desk (accounts, sessions), its JSON API and the public reader reports."""
    from mizan.service.desk import api_docs  # noqa: F401 - its document(...) calls
    from mizan.service.desk.api import bp as api_bp
    from mizan.service.desk.auth import init_app as init_auth
    from mizan.service.desk.reports import bp as reports_bp

    init_auth(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(reports_bp)


def init_pages(app: Flask) -> None:
    """Register the desk's HTML pages (after the API, as before)."""
    from mizan.service.desk.pages import bp

    app.register_blueprint(bp)
