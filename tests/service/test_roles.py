"""`mizan healthcheck` (one check per container role) and `mizan db upgrade --wait`."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text

from mizan.service import roles
from mizan.service.cli import main
from tests.conftest import PG_ADMIN_URL, SECRET

API = ["/opt/mizan/bin/python", "/opt/mizan/bin/mizan", "api"]
WORKER = [
    "/opt/mizan/bin/python",
    "-m",
    "celery",
    "-A",
    "mizan.worker.celery_app",
    "worker",
    "--concurrency=1",
]
BEAT = ["/opt/mizan/bin/python", "-m", "celery", "-A", "mizan.worker.celery_app", "beat"]


@pytest.mark.parametrize(
    ("argv", "role"),
    [
        (API, "api"),
        (["/usr/local/bin/mizan", "up"], "api"),
        ([sys.executable, "-m", "mizan.service.cli", "api", "--port", "8001"], "api"),
        (WORKER, "worker"),
        (BEAT, "beat"),
        (["/opt/mizan/bin/python", "/opt/mizan/bin/mizan", "healthcheck"], None),
        (["/opt/mizan/bin/python", "/opt/mizan/bin/mizan", "db", "upgrade"], None),
        (["/sbin/docker-init", "--", "mizan", "beat"], None),
        (["python", "-m", "celery", "-A", "other.app", "worker"], None),
        (["sleep", "10"], None),
    ],
)
def test_a_command_line_names_its_role(argv, role):
    assert roles.role_of(argv) == role


def test_roles_are_read_from_the_process_table(tmp_path):
    for pid, argv in {
        "1": ["/sbin/docker-init", "--", "mizan", "api"],
        "7": API,
        "9": BEAT,
    }.items():
        (tmp_path / pid).mkdir()
        (tmp_path / pid / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (tmp_path / "self").mkdir()
    (tmp_path / "12").mkdir()  # a process gone between listing and reading
    assert roles.running_roles(tmp_path) == ["api", "beat"]


def test_a_real_process_is_found_by_its_command_line():
    """A live process whose command line reads like beat's (this machine's real /proc)."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "celery", "mizan.worker.celery_app"]
        + ["beat"]
    )
    try:
        deadline = time.monotonic() + 10
        while "beat" not in roles.running_roles() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "beat" in roles.running_roles()
    finally:
        child.kill()
        child.wait()


def _env(tmp_path, **extra) -> dict[str, str]:
    return {
        "MIZAN_DATA_DIR": str(tmp_path),
        "MIZAN_SECRET_KEY": SECRET,
        "MIZAN_DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}",
        **extra,
    }


def test_beat_is_healthy_only_while_it_keeps_sending(tmp_path):
    env = _env(tmp_path, MIZAN_SWEEP_INTERVAL_SECONDS="30")
    res = CliRunner().invoke(main, ["healthcheck", "beat"], env=env)
    assert res.exit_code == 1 and "beat has sent no task yet" in res.output
    beat = tmp_path / roles.BEAT_HEARTBEAT
    beat.write_text("now\n")
    res = CliRunner().invoke(main, ["healthcheck", "beat"], env=env)
    assert res.exit_code == 0 and "beat: ok" in res.output, res.output
    # Three sweep intervals (90 s) without a task sent: stuck.
    old = time.time() - 100
    os.utime(beat, (old, old))
    res = CliRunner().invoke(main, ["healthcheck", "beat"], env=env)
    assert res.exit_code == 1 and "beat sent nothing for 100 s (more than 90 s)" in res.output
    # A short interval still allows a minute.
    assert roles.beat_stale_after(1) == 60


def test_the_scheduler_notes_its_start(tmp_path):
    from mizan.worker.beat import Scheduler
    from mizan.worker.celery_app import app

    scheduler = Scheduler(app=app, schedule_filename=str(tmp_path / "celerybeat-schedule"))
    try:
        age = roles.beat_heartbeat_age(tmp_path)
        assert age is not None and age < 5
    finally:
        scheduler.close()


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(("status", "code"), [(200, 0), (503, 1)])
def test_api_health_is_its_healthz(tmp_path, status, code):
    handler = type("Handler", (_Health,), {"status": status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = _env(tmp_path, MIZAN_PORT=str(server.server_address[1]))
        res = CliRunner().invoke(main, ["healthcheck", "api"], env=env)
    finally:
        server.shutdown()
        server.server_close()
    assert res.exit_code == code, res.output
    assert res.output.strip() == ("api: ok" if code == 0 else "api: /healthz answered 503")


def test_api_not_listening_is_unhealthy(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = CliRunner().invoke(main, ["healthcheck", "api"], env=_env(tmp_path, MIZAN_PORT=str(port)))
    assert res.exit_code == 1
    assert "api: /healthz does not answer (URLError)" in res.output


class _LateForwarder:
    """A TCP port that refuses connections until opened, then forwards to PostgreSQL."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()  # nothing listens here until open()
        self.server: socket.socket | None = None

    def open(self) -> None:
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        assert self.server is not None
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


@pytest.mark.postgres
def test_db_upgrade_waits_for_a_server_that_comes_up_late(tmp_path):
    name = f"mizan_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = admin.url
    forwarder = _LateForwarder((base.host or "127.0.0.1", base.port or 5432))
    url = base.set(port=forwarder.port, database=name).render_as_string(hide_password=False)
    timer = threading.Timer(2.0, forwarder.open)
    timer.start()
    try:
        res = CliRunner().invoke(
            main, ["db", "upgrade", "--wait", "60"], env=_env(tmp_path, MIZAN_DATABASE_URL=url)
        )
        assert res.exit_code == 0, res.output
        assert "database not reachable yet (OperationalError); retrying in" in res.output
        assert res.output.strip().endswith("database is at revision head")
        engine = create_engine(url)
        try:
            assert "comments" in inspect(engine).get_table_names()
        finally:
            engine.dispose()
    finally:
        timer.cancel()
        forwarder.close()
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_db_upgrade_gives_up_after_its_wait(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql+psycopg://mizan:secret-pw@127.0.0.1:{port}/mizan"
    res = CliRunner().invoke(
        main, ["db", "upgrade", "--wait", "1"], env=_env(tmp_path, MIZAN_DATABASE_URL=url)
    )
    assert res.exit_code == 1
    assert "retrying in" in res.output
    assert "Error: cannot reach the database (OperationalError)" in res.output
    assert "secret-pw" not in res.output and "127.0.0.1" not in res.output


def test_api_and_beat_health_checks_load_no_heavy_library(tmp_path):
    """Containers run `mizan healthcheck` every 30-60 s: the api and beat checks must not import
    Flask, SQLAlchemy or the classifier's libraries (it once cost 0.7 s of CPU each time)."""
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from mizan.service.cli import main\n"
        "for role in ('api', 'beat'):\n"
        "    CliRunner().invoke(main, ['healthcheck', role, '--timeout', '0.2'])\n"
        "heavy = ('flask', 'sqlalchemy', 'sklearn', 'scipy', 'numpy', 'celery')\n"
        "print(' '.join(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    env = {**os.environ, "MIZAN_DATA_DIR": str(tmp_path), "MIZAN_PORT": "9"}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == ""
