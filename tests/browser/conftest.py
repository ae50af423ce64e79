"""A real API server (`mizan api`, gunicorn) and a real headless Chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL, SECRET, RecordingSender
from tests.service.desk.test_support import build_app

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(tmp_path: Path, **env_extra: str):
    """Data set up in-process; pages served by a separate gunicorn process on the same database."""
    url = f"sqlite:///{tmp_path / 'mizan.sqlite3'}"
    from mizan.service.db import upgrade

    upgrade(url)
    from mizan.service.config import DeskSettings

    # The in-process app reads the desk settings the server gets (its time zone decides which
    # day "today" is: with MIZAN_TIMEZONE only on the server, the two disagreed near midnight).
    desk = DeskSettings.from_env({**os.environ, **env_extra})
    app = build_app(tmp_path, url, RecordingSender(), desk=desk)
    port = _free_port()
    env = {
        **os.environ,
        "MIZAN_DATABASE_URL": url,
        "MIZAN_DATA_DIR": str(tmp_path),
        "MIZAN_SECRET_KEY": SECRET,
        "MIZAN_BROKER_URL": REDIS_URL,
        "MIZAN_ALLOWED_ORIGINS": "https://news.example",
        "MIZAN_MODE": "embedded",
        **env_extra,
    }
    log = open(tmp_path / "api.log", "wb")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mizan.service.cli",
            "api",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--threads",
            "4",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "the API server did not start: "
                        + (tmp_path / "api.log").read_text()[-2000:]
                    ) from None
                time.sleep(0.1)
        app.config["BASE_URL"] = base
        yield app
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
        app.extensions["mizan"].repo.engine.dispose()


@pytest.fixture
def live(tmp_path):
    with serve(tmp_path) as app:
        yield app


AXE_VERSION = "4.10.3"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core from the npm registry, installed once into a cache directory."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed (the accessibility check needs axe-core from npm)")
    cache = Path(
        os.environ.get("MIZAN_NPM_CACHE") or Path.home() / ".cache" / "mizan-tests" / "npm"
    )
    script = cache / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(cache),
                "--no-save",
                "--no-audit",
                "--no-fund",
                f"axe-core@{AXE_VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return script.read_text(encoding="utf-8")


def axe_violations(page, source: str, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core on the page; the violations of the given impacts (id, impact, targets)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
    )
    return [v for v in found if v["impact"] in impacts]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
    pg.js_errors = errors
    try:
        yield pg
    finally:
        context.close()


def screenshot(page, name: str, docs: bool = False) -> Path:
    """Save under test-artifacts/; with MIZAN_DOCS_SCREENSHOTS=1, also refresh docs/screenshots/.

    Opt-in, so that an ordinary test run leaves the checkout clean.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if docs and os.environ.get("MIZAN_DOCS_SCREENSHOTS") == "1":
        target = REPO / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / f"{name}.png")
    return path
