"""Mizan's HTTP service. ``create_app`` (in ``app.py``) builds the Flask application.

The package itself imports nothing: a command that needs one module (``mizan healthcheck``
runs every 30-60 s in each container) does not pay for Flask, SQLAlchemy and every feature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mizan.service.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from mizan.service.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
