"""The `mizan` command: run the service (all at once or part by part) and manage it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click

from mizan.service.config import ConfigError, Settings, load_settings
from mizan.service.roles import ROLES


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Mizan: comment moderation for news websites."""
    # `mizan evaluate` routes scores with the worker's own policy function (models/ cannot
    # import the service, so the policy is handed to it here). Only then: the policy loads the
    # classifier's libraries, half a second that a health check should not pay.
    if ctx.invoked_subcommand == "evaluate":
        from mizan.service.policy import outcome

        ctx.meta["mizan.route"] = outcome


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.option(
    "--wait",
    "wait_seconds",
    default=0.0,
    type=click.FloatRange(0, 3600),
    show_default=True,
    help="Retry for up to this many seconds while the database cannot be reached "
    "(a server still starting).",
)
def db_upgrade(revision: str, wait_seconds: float) -> None:
    """Create the schema or migrate it to the latest revision."""
    from sqlalchemy.exc import DBAPIError

    from mizan.service.db import upgrade_when_reachable

    def retrying(exc: Exception, delay: float) -> None:
        # The exception's type only: a driver's message can name hosts and users.
        name = type(getattr(exc, "orig", None) or exc).__name__
        click.echo(f"database not reachable yet ({name}); retrying in {delay:.1f} s", err=True)

    try:
        upgrade_when_reachable(_settings().database_url, revision, wait_seconds, retrying)
    except DBAPIError as exc:
        name = type(exc.orig or exc).__name__
        raise click.ClickException(
            f"cannot reach the database ({name}); check MIZAN_DATABASE_URL"
        ) from None
    click.echo("database is at revision " + revision)


@main.command()
@click.option("--host", envvar="MIZAN_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="MIZAN_PORT", default=8000, type=int, show_default=True)
@click.option(
    "--workers",
    envvar="MIZAN_API_WORKERS",
    default=2,
    type=int,
    show_default=True,
    help="gunicorn worker processes.",
)
@click.option(
    "--threads",
    envvar="MIZAN_API_THREADS",
    default=8,
    type=int,
    show_default=True,
    help="Threads per worker (1: sync workers, each runs one request at a time).",
)
@click.option(
    "--front/--no-front",
    envvar="MIZAN_FRONT",
    default=True,
    show_default=True,
    help="Read whole requests, with deadlines, before a worker sees them (slow clients cannot "
    "hold workers). Turn off only behind a proxy that buffers requests (nginx).",
)
def api(host: str, port: int, workers: int, threads: int, front: bool) -> None:
    """Serve the HTTP API: the front on the port, gunicorn workers behind it."""
    settings = _settings()
    from mizan.service.http.metrics import prepare_multiprocess_dir

    # Before gunicorn forks: its workers share /metrics through this (emptied) directory.
    prepare_multiprocess_dir(settings.data_dir)
    from mizan.service.http import server

    if not front:
        server.serve(f"{host}:{port}" if ":" not in host else f"[{host}]:{port}", workers, threads)
        return
    from mizan.service.http.front import Limits
    from mizan.service.logs import configure_logging

    configure_logging(settings.log_level)
    limits = Limits(
        max_body=settings.max_request_bytes,
        header_timeout=settings.request_header_timeout,
        body_timeout=settings.request_body_timeout,
    )
    try:
        code = server.serve_with_front(host, port, workers, threads, settings.data_dir, limits)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sys.exit(code)


@main.command("worker-ready")
@click.option("--node", default=None, help="Celery node name (default celery@<this host>).")
@click.option("--timeout", default=2.0, type=float, show_default=True)
def worker_ready(node: str | None, timeout: float) -> None:
    """Exit 0 when this host's worker answers a ping and has its database and model."""
    import json

    from mizan.service.http.readiness import check

    _settings()
    result = check(node, timeout)
    click.echo(json.dumps(result))
    sys.exit(0 if result["ready"] else 1)


@main.command("healthcheck")
@click.argument("role", required=False, type=click.Choice(ROLES))
@click.option("--timeout", default=4.0, type=float, show_default=True)
def healthcheck(role: str | None, timeout: float) -> None:
    """Exit 0 when this container's Mizan process is healthy (its role found when not given).

    api: /healthz answers on MIZAN_PORT; worker: as `mizan worker-ready`; beat: it sent the
    sweep within the last three sweep intervals (at least 60 s).
    """
    from mizan.service import roles

    found = [role] if role else roles.running_roles()
    if not found:
        click.echo("no Mizan api, worker or beat runs here")
        return
    failures = []
    for name in found:
        problem = roles.check(name, timeout)
        click.echo(f"{name}: {problem or 'ok'}")
        if problem:
            failures.append(name)
    sys.exit(1 if failures else 0)


@main.command()
@click.option(
    "--concurrency", envvar="MIZAN_WORKER_CONCURRENCY", default=1, type=int, show_default=True
)
@click.option(
    "--beat/--no-beat",
    default=False,
    help="Also run the periodic sweep in this process (one such process only).",
)
@click.option("--loglevel", default="WARNING", show_default=True)
def worker(concurrency: int, beat: bool, loglevel: str) -> None:
    """Run a Celery worker that scores and decides comments."""
    settings = _settings()
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "mizan.worker.celery_app",
        "worker",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel}",
        "--without-gossip",
        "--without-mingle",
        "-Q",
        # Scoring and webhook deliveries (a deployment may give each its own workers).
        "mizan.score,mizan.webhooks",
    ]
    if beat:
        args += ["--beat", "--schedule", str(settings.data_dir / "celerybeat-schedule")]
    os.execv(sys.executable, args)  # noqa: S606 - replaces this process with Celery's


@main.command()
@click.option("--loglevel", default="WARNING", show_default=True)
def beat(loglevel: str) -> None:
    """Run Celery beat for the periodic sweep (exactly one per deployment)."""
    settings = _settings()
    os.execv(  # noqa: S606 - replaces this process with Celery beat
        sys.executable,
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mizan.worker.celery_app",
            "beat",
            f"--loglevel={loglevel}",
            "--schedule",
            str(settings.data_dir / "celerybeat-schedule"),
        ],
    )


@main.command()
def sweep() -> None:
    """Run the sweep once: re-queue stale pending comments, erase expired metadata."""
    from mizan.service.intake import Service

    svc = Service.from_settings(_settings())
    _require_schema(svc.repo.engine)
    click.echo(f"requeued {svc.requeue_stale()}, erased {svc.erase_expired_metadata()}")


@main.command()
@click.option("--host", envvar="MIZAN_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="MIZAN_PORT", default=8000, type=int, show_default=True)
def up(host: str, port: int) -> None:
    """Run everything: API, a worker and the sweep (embedded SQLite and Redis by default)."""
    settings = _settings()
    from mizan.service.db import upgrade
    from mizan.service.embedded import EmbeddedRedis

    env = dict(os.environ)
    redis_server = None
    if not os.environ.get("MIZAN_BROKER_URL"):
        redis_server = EmbeddedRedis(settings.data_dir)
        redis_server.start()
        env["MIZAN_BROKER_URL"] = redis_server.broker_url
    upgrade(settings.database_url)
    children = [
        subprocess.Popen([sys.executable, "-m", "mizan.service.cli", "worker", "--beat"], env=env),
        subprocess.Popen(
            [sys.executable, "-m", "mizan.service.cli", "api", "--host", host, "--port", str(port)],
            env=env,
        ),
    ]
    click.echo(f"Mizan is starting (data in {settings.data_dir}; Ctrl-C stops)")
    url = f"http://{host}:{port}"
    probe = _ReadyProbe(host, port)
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
                    click.echo(
                        f"a Mizan process exited with {child.returncode}; stopping", err=True
                    )
                    stopping, code = True, 1
            if not stopping and probe.due():
                # The banner only once the API answers and a worker consumes (/readyz).
                failing = probe.failing()
                if failing is None:
                    click.echo(f"Mizan is running at {url}  (ready: a worker is consuming)")
                    probe.done = True
                elif probe.late():
                    click.echo(f"not ready yet: {failing}", err=True)
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


class _ReadyProbe:
    """Asks the local API's /readyz until it says ready (for `mizan up`'s banner)."""

    def __init__(self, host: str, port: int) -> None:
        probe_host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104
        if ":" in probe_host:
            probe_host = f"[{probe_host}]"
        self.url = f"http://{probe_host}:{port}/readyz"
        self.done = False
        self._next = 0.0
        self._started = time.monotonic()
        self._warned = self._started

    def due(self) -> bool:
        if self.done or time.monotonic() < self._next:
            return False
        self._next = time.monotonic() + 0.25
        return True

    def late(self) -> bool:
        """True once every 30 s while not ready."""
        if time.monotonic() - self._warned < 30:
            return False
        self._warned = time.monotonic()
        return True

    def failing(self) -> str | None:
        """None when ready, else what is not ready yet."""
        import json
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(self.url, timeout=2) as resp:  # noqa: S310 - local API
                return None if resp.status == 200 else "the API"
        except urllib.error.HTTPError as exc:
            try:
                checks = json.loads(exc.read())["checks"]
            except (ValueError, KeyError, TypeError):
                return "the API"
            return ", ".join(n for n, c in checks.items() if not c.get("ok")) or "the API"
        except OSError:
            return "the API (not listening yet)"


def _desk():
    from mizan.service.crypto import Keys
    from mizan.service.db import make_engine
    from mizan.service.desk import Desk, ModerationRepository

    settings = _settings()
    engine = make_engine(settings.database_url, 0)
    _require_schema(engine)
    return Desk(settings, ModerationRepository(engine), Keys(settings.secret_key))


def _require_schema(engine) -> None:
    """One line with the fix instead of a `no such table` traceback."""
    from sqlalchemy.exc import DBAPIError

    from mizan.service.db import schema_ready

    try:
        ready = schema_ready(engine)
    except DBAPIError as exc:
        name = type(exc.orig or exc).__name__
        raise click.ClickException(
            f"cannot reach the database ({name}); check MIZAN_DATABASE_URL"
        ) from None
    if not ready:
        raise click.ClickException("the database has no schema yet; run `mizan db upgrade`")


def _cli_actor():
    import getpass

    from mizan.service.desk import Actor

    return Actor(id=None, email=f"cli:{getpass.getuser()}"[:100], role="admin", lang="en")


def _run(fn, *args, **kwargs):
    from mizan.service.errors import MizanError

    try:
        return fn(*args, **kwargs)
    except MizanError as exc:
        detail = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in (exc.fields or {}).items())
        raise click.ClickException(exc.message + (f" ({detail})" if detail else "")) from None


@main.group()
def users() -> None:
    """Moderator and admin accounts of the desk."""


@users.command("add")
@click.argument("email")
@click.option(
    "--role", type=click.Choice(["moderator", "admin"]), default="moderator", show_default=True
)
@click.option("--lang", type=click.Choice(["ar", "en"]), default="ar", show_default=True)
@click.password_option(envvar="MIZAN_USER_PASSWORD", help="Prompted for when not given.")
def users_add(email: str, role: str, lang: str, password: str) -> None:
    """Create an account (the password is read from MIZAN_USER_PASSWORD or prompted for)."""
    mid = _run(_desk().add_user, email, role, password, lang)
    click.echo(f"created {role} #{mid}")


@users.command("passwd")
@click.argument("email")
@click.password_option(envvar="MIZAN_USER_PASSWORD", help="Prompted for when not given.")
def users_passwd(email: str, password: str) -> None:
    """Set a new password (ends the account's sessions)."""
    _run(_desk().set_password, email, password)
    click.echo("password changed")


@users.command("list")
def users_list() -> None:
    """List the accounts."""
    for m in _desk().repo.list_moderators():
        click.echo(f"#{m.id}\t{m.role}\t{'active' if m.active else 'disabled'}\t{m.email}")


@users.command("disable")
@click.argument("email")
def users_disable(email: str) -> None:
    """Disable an account: its sessions and tokens stop working at once."""
    desk = _desk()
    mod = desk.repo.moderator_by_email(email.strip().lower())
    if mod is None:
        raise click.ClickException("no such account")
    desk.repo.update_moderator(mod.id, active=False, session_epoch=mod.session_epoch + 1)
    click.echo("disabled")


@main.group()
def tokens() -> None:
    """Personal API tokens (stored hashed; shown once)."""


@tokens.command("create")
@click.argument("email")
@click.option("--name", default="api", show_default=True, help="What the token is for.")
def tokens_create(email: str, name: str) -> None:
    """Create a token for an account and print it (it cannot be shown again)."""
    token, prefix = _run(_desk().create_token, email, name)
    click.echo(token)
    click.echo(f"(revoke with: mizan tokens revoke {prefix})", err=True)


@tokens.command("list")
def tokens_list() -> None:
    """List tokens by prefix."""
    for t in _desk().repo.tokens():
        state = "revoked" if t.revoked_at else "live"
        click.echo(f"{t.prefix}\t#{t.moderator_id}\t{state}\t{t.name}")


@tokens.command("revoke")
@click.argument("prefix")
def tokens_revoke(prefix: str) -> None:
    """Revoke a token by the prefix printed when it was created."""
    n = _desk().revoke_token(prefix)
    if not n:
        raise click.ClickException("no live token with that prefix")
    click.echo(f"revoked {n}")


@main.group("models")
def models_group() -> None:
    """Classifier versions: list and activate (workers switch without a restart)."""


@models_group.command("list")
def models_list() -> None:
    """List the versions found on disk and in the database; * marks the active one."""
    from mizan.service import classifier as models_registry

    for v in models_registry.list_versions(_desk()):
        mark = "*" if v["active"] else " "
        where = v["source"] if v["available"] else "missing on this machine"
        click.echo(f"{mark} {v['version']}\t{where}")


@models_group.command("activate")
@click.argument("version")
def models_activate(version: str) -> None:
    """Make VERSION the active model (it must load); workers pick it up within seconds."""
    from mizan.service import classifier as models_registry

    _run(models_registry.activate, _desk(), version, _cli_actor())
    click.echo(f"activated {version}")


@main.group()
def feedback() -> None:
    """Moderators' decisions as training data."""


@feedback.command("export")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV for `mizan train --feedback` (text,label,task,lang,source,weight).",
)
def feedback_export(out: str) -> None:
    """Write moderators' labelled examples as a CSV."""
    n = _desk().export_feedback(out)
    click.echo(f"wrote {n} labelled examples to {out}")


def _integrations():
    from mizan.service.crypto import Keys
    from mizan.service.db import make_engine
    from mizan.service.integrations import Akismet, IntegrationRepository, Webhooks

    settings = _settings()
    engine = make_engine(settings.database_url, 0)
    _require_schema(engine)
    repo = IntegrationRepository(engine)
    keys = Keys(settings.secret_key)
    return Akismet(settings, repo, keys), Webhooks(settings, repo, keys)


@main.group()
def sites() -> None:
    """Sites calling the Akismet-compatible API (/1.1/...), with their keys."""


@sites.command("add")
@click.argument("name")
@click.option("--origin", required=True, help="The site's origin, e.g. https://news.example.")
def sites_add(name: str, origin: str) -> None:
    """Add a site and print its API key (shown once; only its hash is stored)."""
    akismet, _hooks = _integrations()
    key, site = _run(akismet.add_site, name, origin, _cli_actor().email)
    click.echo(key)
    click.echo(
        f"(site {site.name} at {site.origin}; revoke with: mizan sites revoke {name})", err=True
    )


@sites.command("list")
def sites_list() -> None:
    """List the sites: name, origin, key prefix, state, comments checked, answered spam."""
    akismet, _hooks = _integrations()
    for s in akismet.sites():
        state = "revoked" if s["revoked"] else "live"
        click.echo(
            f"{s['name']}\t{s['origin']}\t{s['key_prefix']}…\t{state}\t"
            f"checked {s['checks']}\tspam {s['spam']}"
        )


@sites.command("revoke")
@click.argument("name")
def sites_revoke(name: str) -> None:
    """Revoke a site's key: its calls are answered `invalid` within seconds."""
    akismet, _hooks = _integrations()
    _run(akismet.revoke_site, name)
    click.echo("revoked")


@main.group()
def webhooks() -> None:
    """Signed webhooks: endpoints that receive comment events (and the backlog alert)."""


@webhooks.command("add")
@click.argument("url")
@click.option(
    "--events",
    default="comment.published,comment.held,comment.removed,comment.reported",
    show_default=True,
    help="Comma-separated events to send (also: queue.backlog, the held queue's alert).",
)
def webhooks_add(url: str, events: str) -> None:
    """Register an endpoint and print its signing secret (shown once)."""
    _akismet, hooks = _integrations()
    secret, endpoint_id = _run(hooks.add, url, events.split(","), _cli_actor().email)
    click.echo(secret)
    click.echo(f"(endpoint #{endpoint_id}; verify X-Mizan-Signature with this secret)", err=True)


@webhooks.command("list")
def webhooks_list() -> None:
    """List endpoints: id, state, failures in a row, events, URL, last error."""
    _akismet, hooks = _integrations()
    for e in hooks.endpoints():
        state = "enabled" if e["enabled"] else "disabled"
        click.echo(
            f"#{e['id']}\t{state}\tfailures {e['consecutive_failures']}\t"
            f"{','.join(e['events'])}\t{e['url']}\t{e['last_error'] or ''}"
        )


@webhooks.command("show")
@click.argument("endpoint_id", type=int)
def webhooks_show(endpoint_id: int) -> None:
    """Show an endpoint's latest deliveries (status, attempts, last error)."""
    _akismet, hooks = _integrations()
    e = _run(hooks.get, endpoint_id)
    for d in e["deliveries"]:
        click.echo(
            f"{d['id']}\t{d['event']}\t{d['comment_id'] or '-'}\t{d['status']}\t"
            f"attempts {d['attempts']}\t{d['last_status_code'] or ''}\t{d['last_error'] or ''}"
        )


@webhooks.command("enable")
@click.argument("endpoint_id", type=int)
def webhooks_enable(endpoint_id: int) -> None:
    """Enable an endpoint again (failures forgotten; waiting deliveries go out)."""
    _akismet, hooks = _integrations()
    _run(hooks.set_enabled, endpoint_id, True)
    click.echo("enabled")


@webhooks.command("disable")
@click.argument("endpoint_id", type=int)
def webhooks_disable(endpoint_id: int) -> None:
    """Disable an endpoint (its deliveries wait)."""
    _akismet, hooks = _integrations()
    _run(hooks.set_enabled, endpoint_id, False)
    click.echo("disabled")


@webhooks.command("remove")
@click.argument("endpoint_id", type=int)
def webhooks_remove(endpoint_id: int) -> None:
    """Remove an endpoint and its delivery records."""
    _akismet, hooks = _integrations()
    _run(hooks.remove, endpoint_id)
    click.echo("removed")


def _attach_model_commands() -> None:
    try:
        from mizan.models import commands
    except ImportError:  # the classifier's commands are optional at import time
        return
    for name in ("train", "evaluate"):
        cmd = getattr(commands, name, None)
        if cmd is not None:
            main.add_command(cmd, name)


_attach_model_commands()

if __name__ == "__main__":
    main()
