"""The `mizan` command: run the service (all at once or part by part) and manage it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click

from service.config import ConfigError, Settings, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def main() -> None:
    """Mizan: comment moderation for news websites."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create the schema or migrate it to the latest revision."""
    from service.db import upgrade

    upgrade(_settings().database_url, revision)
    click.echo("database is at revision " + revision)


@main.command()
@click.option("--host", envvar="MIZAN_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="MIZAN_PORT", default=8000, type=int, show_default=True)
@click.option("--workers", envvar="MIZAN_API_WORKERS", default=2, type=int, show_default=True)
@click.option("--threads", envvar="MIZAN_API_THREADS", default=4, type=int, show_default=True)
def api(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the HTTP API with gunicorn."""
    _settings()
    from service.server import serve

    serve(host, port, workers, threads)


@main.command()
@click.option("--concurrency", envvar="MIZAN_WORKER_CONCURRENCY", default=1, type=int,
              show_default=True)
@click.option("--beat/--no-beat", default=False,
              help="Also run the periodic sweep in this process (one such process only).")
@click.option("--loglevel", default="WARNING", show_default=True)
def worker(concurrency: int, beat: bool, loglevel: str) -> None:
    """Run a Celery worker that scores and decides comments."""
    settings = _settings()
    args = [sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker",
            f"--concurrency={concurrency}", f"--loglevel={loglevel}", "--without-gossip",
            "--without-mingle", "-Q", "mizan.score"]
    if beat:
        args += ["--beat", "--schedule", str(settings.data_dir / "celerybeat-schedule")]
    os.execv(sys.executable, args)


@main.command()
@click.option("--loglevel", default="WARNING", show_default=True)
def beat(loglevel: str) -> None:
    """Run Celery beat for the periodic sweep (exactly one per deployment)."""
    settings = _settings()
    os.execv(sys.executable, [sys.executable, "-m", "celery", "-A", "worker.celery_app", "beat",
                              f"--loglevel={loglevel}", "--schedule",
                              str(settings.data_dir / "celerybeat-schedule")])


@main.command()
def sweep() -> None:
    """Run the sweep once: re-queue stale pending comments, erase expired metadata."""
    from worker.signals import service

    svc = service()
    click.echo(f"requeued {svc.requeue_stale()}, erased {svc.erase_expired_metadata()}")


@main.command()
@click.option("--host", envvar="MIZAN_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="MIZAN_PORT", default=8000, type=int, show_default=True)
def up(host: str, port: int) -> None:
    """Run everything: API, a worker and the sweep (embedded SQLite and Redis by default)."""
    settings = _settings()
    from service.db import upgrade
    from service.embedded import EmbeddedRedis

    env = dict(os.environ)
    redis_server = None
    if not os.environ.get("MIZAN_BROKER_URL"):
        redis_server = EmbeddedRedis(settings.data_dir)
        redis_server.start()
        env["MIZAN_BROKER_URL"] = redis_server.broker_url
    upgrade(settings.database_url)
    children = [
        subprocess.Popen([sys.executable, "-m", "service.cli", "worker", "--beat"], env=env),
        subprocess.Popen([sys.executable, "-m", "service.cli", "api", "--host", host,
                          "--port", str(port)], env=env),
    ]
    click.echo(f"Mizan is running at http://{host}:{port}  (data in {settings.data_dir}; "
               "Ctrl-C stops)")
    stopping = False

    def _stop(*_args):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    code = 0
    try:
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    click.echo(f"a Mizan process exited with {child.returncode}; stopping", err=True)
                    stopping, code = True, 1
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        if redis_server is not None:
            redis_server.stop()
    click.echo("stopped")
    sys.exit(code)


def _attach_model_commands() -> None:
    try:
        from models import commands
    except ImportError:  # the classifier's commands are optional at import time
        return
    for name in ("train", "evaluate"):
        cmd = getattr(commands, name, None)
        if cmd is not None:
            main.add_command(cmd, name)


_attach_model_commands()

if __name__ == "__main__":
    main()

