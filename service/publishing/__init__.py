"""Publishing: the public read side (approved threads, one comment, the author's status poll).

Public interface (import from here, not from the modules inside).
"""

from __future__ import annotations

from flask import Flask

from mizan.service.publishing.repository import PublicRepository
from mizan.service.publishing.schemas import PublicCommentOut
from mizan.service.publishing.usecase import Publishing

__all__ = ["PublicCommentOut", "PublicRepository", "Publishing", "init_app"]


def init_app(app: Flask) -> None:
    """Register the read endpoints over the app's database and keys, and document them."""
    from mizan.service.publishing import (
        api_docs,  # noqa: F401 - its document(...) calls
        widget,
    )
    from mizan.service.publishing.api import bp

    svc = app.extensions["mizan"]
    app.extensions["mizan.publishing"] = Publishing(PublicRepository(svc.repo.engine), svc.keys)
    app.register_blueprint(bp)
    app.register_blueprint(widget.bp)
