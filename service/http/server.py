"""gunicorn embedded as a library, so `mizan api` needs no separate config file, and the front
that stands before it (see `front.py`): `mizan api` runs both, the front on the public port and
gunicorn on a unix socket in a private directory, unless told that a buffering proxy is there."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gunicorn.app.base import BaseApplication

log = logging.getLogger("mizan.front")


APP = "mizan.service.app:create_app"


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict, app: str = APP) -> None:
        self.options = options
        self.app_factory = app
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        import importlib

        module, _, name = self.app_factory.partition(":")
        return getattr(importlib.import_module(module), name)()


def gunicorn_options(bind: str, workers: int, threads: int, behind_front: bool) -> dict:
    """The gunicorn settings Mizan runs with (the intake bench serves its reference with them)."""
    options = {
        "bind": bind,
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
    if behind_front:
        # Only the front can reach the socket (a 0700 directory); its PROXY line names the reader.
        options["proxy_protocol"] = "v1"
    return options


def serve(
    bind: str, workers: int, threads: int, behind_front: bool = False, app: str = APP
) -> None:
    """Run gunicorn; no access log by default, since its default format prints client IPs."""
    _Gunicorn(gunicorn_options(bind, workers, threads, behind_front), app).run()


def socket_path(data_dir: Path, port: int) -> Path:
    """Where gunicorn listens behind the front: a 0700 directory only this user can enter."""
    run = Path(data_dir) / "run"
    path = run / f"api-{port}.sock"
    if len(os.fsencode(path)) > 100:  # unix socket paths are limited to 107 bytes
        return Path(tempfile.mkdtemp(prefix="mizan-")) / f"api-{port}.sock"
    run.mkdir(mode=0o700, parents=True, exist_ok=True)
    run.chmod(0o700)
    return path


def serve_with_front(
    host: str, port: int, workers: int, threads: int, data_dir: Path, limits, app: str = APP
) -> int:
    """Run the front on host:port and gunicorn behind it until a signal or gunicorn's exit."""
    path = socket_path(data_dir, port)
    try:
        return asyncio.run(_run(host, port, workers, threads, path, limits, app))
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        if path.parent.name.startswith("mizan-"):
            shutil.rmtree(path.parent, ignore_errors=True)


def _die_with_parent() -> None:
    """In the gunicorn child: be stopped if the front dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


async def _run(
    host: str, port: int, workers: int, threads: int, path: Path, limits, app: str
) -> int:
    from mizan.service.http.front import Front

    loop = asyncio.get_running_loop()
    front = Front(str(path), limits)
    # The public port first: a port in use fails here, before any worker starts.
    server = await loop.create_server(
        front.protocol, host, port, backlog=2048, reuse_address=True, start_serving=False
    )
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    child = subprocess.Popen(  # noqa: S603 - this interpreter, this package
        [
            sys.executable,
            "-m",
            "mizan.service.http.server",
            "--bind",
            f"unix:{path}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--app",
            app,
        ],
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads exist yet in this process
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: child.send_signal(signal.SIGHUP))
    code = 0
    try:
        while not path.exists() and child.poll() is None and not stop.is_set():
            await asyncio.sleep(0.05)
        if child.poll() is None and not stop.is_set():
            await server.start_serving()
            front.start_sweeping()
        while not stop.is_set() and child.poll() is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
        if not stop.is_set():
            log.error("the API workers exited with %s; stopping", child.returncode)
            code = 1
        server.close()
        # Requests already read are answered before gunicorn is asked to stop.
        deadline = time.monotonic() + 10
        while not front.idle() and child.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        front.close_all()
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        while child.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if child.poll() is None:
            child.kill()
            child.wait()
    return code


def main() -> None:
    """gunicorn behind the front (`python -m mizan.service.http.server`, started by the front)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--app", default=APP)
    args = parser.parse_args()
    serve(args.bind, args.workers, args.threads, behind_front=True, app=args.app)


if __name__ == "__main__":
    main()
