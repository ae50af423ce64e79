"""gunicorn embedded as a library, so `mizan api` needs no separate config file."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from mizan.service import create_app

        return create_app()


def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Run gunicorn; no access log by default, since its default format prints client IPs."""
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread" if threads > 1 else "sync",
            "accesslog": None,
            "errorlog": "-",
            "logger_class": "mizan.service.http.gunicorn_logs.Logger",
            "loglevel": "warning",
            "timeout": 30,
            "graceful_timeout": 10,
            "keepalive": 5,
        }
    ).run()
