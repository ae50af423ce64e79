"""Intake: accept a comment (JSON or form), check it at the door, store it, queue it.

Public interface for the other features and the worker (import from here, not from the
modules inside): the use case, its repository, the shared text field, how an article link is
stored (`article_link`) and `init_app`.
"""

from __future__ import annotations

from flask import Flask

from mizan.service.intake.repository import Repository
from mizan.service.intake.schemas import Text, article_link
from mizan.service.intake.usecase import Accepted, RequestMeta, Service

__all__ = ["Accepted", "Repository", "RequestMeta", "Service", "Text", "article_link", "init_app"]


def init_app(app: Flask) -> None:
    """Register the intake (and, for now, public read) endpoints and document them."""
    from mizan.service.intake import api_docs  # noqa: F401 - its document(...) calls
    from mizan.service.intake.api import bp

    app.register_blueprint(bp)
