"""Real processes for the ops tests: a private redis-server, a private PostgreSQL, the API under
gunicorn (`mizan api`) and a Celery worker (`mizan worker`).

Private servers, because these tests stop and restart them; the shared ones on 6379/5432 serve
everyone else's tests. Every process is started in its own session and killed by a finalizer,
also when a test fails.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ORIGIN, SECRET

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def http(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict | None = None,
    timeout: float = 5.0,
) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _stop(proc: subprocess.Popen | None, grace: float = 10.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


class RedisServer:
    """A private redis-server that a test may kill, freeze and restart on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.fail("redis-server is not installed (scripts/services.sh installs it)")
        self.proc = subprocess.Popen(
            [
                exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)

        def up():
            try:
                return client.ping()
            except redis.ConnectionError:
                return False

        wait_for(up, 10, what="redis-server")
        client.close()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def freeze(self) -> None:
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.killpg(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.thaw()
        _stop(self.proc)


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        pytest.fail(f"PostgreSQL's {name} is not installed (scripts/services.sh installs it)")
    return found


class PostgresServer:
    """A private PostgreSQL cluster that a test may stop and start again."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.data = workdir / "data"
        self.port = free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(workdir, "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/mizan"

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*self._as, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stdout.decode(errors='replace')[-1500:]}")

    def init(self) -> None:
        self._run(
            _pg_bin("initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self.start()
        from sqlalchemy import create_engine, text

        admin = create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres",
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE mizan"))
        admin.dispose()

    def start(self) -> None:
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "pg.log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=50",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


def write_model_artifact(directory: Path, version: str = "ops-test-1") -> Path:
    """A model artifact that passes the API's cheap check (file, sidecar, hash, library versions).

    Its content is no classifier: workers given it hold comments ("failure"), which the ops tests
    accept; the API's readiness only verifies what it can without loading the model.
    """
    import hashlib
    from importlib import metadata

    directory.mkdir(parents=True, exist_ok=True)
    payload = b"not a real model; for readiness checks only\n"
    (directory / "model.skops").write_bytes(payload)
    (directory / "model.json").write_text(
        json.dumps(
            {
                "version": version,
                "libraries": {"scikit-learn": metadata.version("scikit-learn")},
                "model_file": "model.skops",
                "model_sha256": hashlib.sha256(payload).hexdigest(),
            }
        )
    )
    return directory


def base_env(data_dir: Path, database_url: str, broker_url: str, **extra: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MIZAN_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(
        {
            "MIZAN_MODE": "production",
            "MIZAN_DATA_DIR": str(data_dir),
            "MIZAN_DATABASE_URL": database_url,
            "MIZAN_BROKER_URL": broker_url,
            "MIZAN_SECRET_KEY": SECRET,
            "MIZAN_ALLOWED_ORIGINS": ORIGIN,
            "MIZAN_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class ApiServer:
    """`mizan api` (gunicorn) on a free port."""

    def __init__(self, env: dict, log_path: Path, workers: int = 2, threads: int = 2) -> None:
        self.env = env
        self.port = free_port()
        self.log_path = log_path
        self.workers, self.threads = workers, threads
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mizan.service.cli",
                "api",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
            ],
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"the API exited: {self.log_path.read_text()[-2000:]}")
            try:
                return http("GET", self.url + "/healthz", timeout=1)[0] == 200
            except OSError:
                return False

        wait_for(up, 60, interval=0.2, what="the API")

    def stop(self) -> None:
        _stop(self.proc)
        if getattr(self, "_log", None):
            self._log.close()


class WorkerProcess:
    """`mizan worker` (a real Celery worker consuming the scoring queue)."""

    def __init__(self, env: dict, log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mizan.service.cli",
                "worker",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        _stop(self.proc, grace=15)
        if getattr(self, "_log", None):
            self._log.close()


@pytest.fixture(scope="session")
def private_postgres() -> PostgresServer:
    import tempfile

    # Not under pytest's tmp dir: the postgres user must be able to reach it.
    workdir = Path(tempfile.mkdtemp(prefix="mizan-ops-pg-"))
    server = PostgresServer(workdir)
    try:
        server.init()
        from mizan.service.db import upgrade

        upgrade(server.url.replace("postgresql://", "postgresql+psycopg://"))
        yield server
    finally:
        try:
            server.stop("immediate")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def private_redis(tmp_path) -> RedisServer:
    server = RedisServer(tmp_path)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def model_dir(tmp_path) -> Path:
    return write_model_artifact(tmp_path / "model")
