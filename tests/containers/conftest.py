"""The compose stack on a real Docker engine: stand-in base images, the image, `compose up`.

Runs only with `pytest --containers` (.ci/run's container step). Needs a running Docker engine,
docker compose (the v2 plugin or docker-compose v1) and, for the stand-ins, debootstrap.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STANDINS = Path(__file__).parent / "standins" / "build"
PROJECT = "mizan-ctest"
ORIGIN = "https://news.example"
MIZAN_SERVICES = ("migrate", "api", "worker", "beat")


def run(*argv: str, timeout: float = 600, check: bool = True, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and done.returncode != 0:
        out = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        raise AssertionError(f"{' '.join(argv)} exited {done.returncode}\n{out}")
    return done


def compose_command() -> list[str]:
    """`docker compose` (v2 plugin) where it exists, else docker-compose (v1)."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail("neither `docker compose` nor docker-compose is installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deployment_copy(dest: Path) -> Path:
    """The checkout's files as an operator gets them (tracked and new, not ignored)."""
    listed = run(
        "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT
    ).stdout.split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def write_env(project_dir: Path, port: int) -> dict[str, str]:
    """.env as docs/deploy.md says: copy .env.example, fill in the three required values."""
    values = {
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "MIZAN_SECRET_KEY": secrets.token_urlsafe(48),
        "MIZAN_ALLOWED_ORIGINS": ORIGIN,
    }
    text = (project_dir / ".env.example").read_text()
    for key, value in values.items():
        text, n = re.subn(rf"(?m)^{key}=$", f"{key}={value}", text)
        assert n == 1, f"{key}= not found once in .env.example"
    # Documented compose settings: a fixed project name and a free port on this machine.
    text += f"\nCOMPOSE_PROJECT_NAME={PROJECT}\nMIZAN_HTTP_PORT={port}\n"
    (project_dir / ".env").write_text(text)
    return values


@dataclass
class Stack:
    dir: Path
    compose: list[str]
    port: int
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __call__(self, *args: str, timeout: float = 600, check: bool = True):
        return run(*self.compose, *args, timeout=timeout, check=check, cwd=self.dir)

    def logs(self, tail: int = 60) -> str:
        done = self("logs", "--no-color", f"--tail={tail}", check=False, timeout=60)
        return done.stdout[-12000:]

    def containers(self, service: str | None = None, all_: bool = False) -> list[dict]:
        filters = ["--filter", f"label=com.docker.compose.project={PROJECT}"]
        if service:
            filters += ["--filter", f"label=com.docker.compose.service={service}"]
        ids = run("docker", "ps", "-q", *(["-a"] if all_ else []), *filters).stdout.split()
        if not ids:
            return []
        return json.loads(run("docker", "inspect", *ids).stdout)

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310
        req.add_header("Origin", ORIGIN)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - local stack
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, raw.decode(errors="replace")

    def wait_ready(self, timeout: float = 240, workers: int = 1) -> dict:
        """/readyz through the front's published port: 200 with at least `workers` workers."""
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            try:
                status, body = self.request("GET", "/readyz")
                last = (status, body)
                if status == 200 and body["checks"]["worker"].get("workers", 0) >= workers:
                    return body
            except (OSError, ValueError):
                last = "front not answering"
            time.sleep(2)
        raise AssertionError(f"not ready after {timeout} s: {last}\n{self.logs()}")

    def wait_healthy(self, services: tuple[str, ...], timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            states = {
                c["Name"]: (c["State"].get("Health") or {}).get("Status", "none")
                for s in services
                for c in self.containers(s)
            }
            if states and all(v == "healthy" for v in states.values()):
                return
            time.sleep(3)
        raise AssertionError(f"not all healthy after {timeout} s: {states}\n{self.logs()}")


def _docker_ready() -> None:
    done = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True)
    if done.returncode != 0:
        pytest.fail("no Docker engine answers (.ci/run installs and starts one)")


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    _docker_ready()
    env = dict(os.environ, DOCKER_BUILDKIT="0", COMPOSE_DOCKER_CLI_BUILD="0")
    os.environ.update(DOCKER_BUILDKIT="0", COMPOSE_DOCKER_CLI_BUILD="0")
    started = time.monotonic()
    run("bash", str(STANDINS), timeout=1800, env=env)
    standins = time.monotonic() - started
    project_dir = deployment_copy(tmp_path_factory.mktemp("deploy") / "mizan")
    port = free_port()
    values = write_env(project_dir, port)
    st = Stack(project_dir, compose_command(), port, values)
    st("down", "-v", "--remove-orphans", check=False, timeout=300)  # leftovers of a killed run
    started = time.monotonic()
    st("build", timeout=1800)
    build = time.monotonic() - started
    print(f"\n[containers] stand-ins {standins:.0f} s, image build {build:.0f} s")
    try:
        yield st
    finally:
        st("down", "-v", "--remove-orphans", check=False, timeout=300)
