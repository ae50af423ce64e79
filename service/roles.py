"""Which Mizan role runs in this container (api, worker, beat) and whether it is healthy.

One image runs every role, so its HEALTHCHECK (`mizan healthcheck`) looks at the processes it
can see (a container's own PID namespace) to know what to check; compose names the role.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

ROLES = ("api", "worker", "beat")
# Beat writes this file in the data directory after each task it sends (worker/beat.py);
# older than this many sweep intervals (and at least BEAT_MIN_STALE_SECONDS) means stuck.
BEAT_HEARTBEAT = "beat-heartbeat"
BEAT_STALE_INTERVALS = 3
BEAT_MIN_STALE_SECONDS = 60.0


def role_of(argv: list[str]) -> str | None:
    """The role a process's command line runs, or None (for anything else)."""
    words = [os.path.basename(a) for a in argv]
    if "celery" in words and "mizan.worker.celery_app" in argv:
        if "worker" in words:
            return "worker"
        if "beat" in words:
            return "beat"
        return None
    for i, word in enumerate(words[:-1]):
        if word == "mizan" or (word == "cli.py" and "service" in argv[i]):
            return "api" if words[i + 1] in ("api", "up") else None
    if argv[1:3] == ["-m", "mizan.service.cli"] and argv[3:4] == ["api"]:
        return "api"
    return None


def _command_lines(proc: Path = Path("/proc")) -> Iterable[list[str]]:
    me = os.getpid()
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # gone, or not ours to read
        if raw:
            yield raw.rstrip(b"\0").decode(errors="replace").split("\0")


def running_roles(proc: Path = Path("/proc")) -> list[str]:
    """The roles of the processes visible here, in ROLES order."""
    found = {role_of(argv) for argv in _command_lines(proc)}
    return [r for r in ROLES if r in found]


def check(role: str, timeout: float = 4.0) -> str | None:
    """None when the role is healthy, else what is wrong (one line, no address or secret)."""
    if role == "api":
        return _check_api(timeout)
    if role == "worker":
        return _check_worker(timeout)
    if role == "beat":
        return _check_beat()
    raise ValueError(role)


def _check_api(timeout: float) -> str | None:
    import urllib.error
    import urllib.request

    port = int(os.environ.get("MIZAN_PORT", "8000"))
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - local API
            return None if resp.status == 200 else f"/healthz answered {resp.status}"
    except urllib.error.HTTPError as exc:
        return f"/healthz answered {exc.code}"
    except OSError as exc:
        return f"/healthz does not answer ({type(exc).__name__})"


def _check_worker(timeout: float) -> str | None:
    from mizan.service.http.readiness import check as worker_check

    result = worker_check(None, timeout)
    if result["ready"]:
        return None
    failing = [name for name, c in result.get("checks", {}).items() if not c.get("ok")]
    return "not ready: " + (", ".join(failing) or "unknown")


def beat_heartbeat_age(data_dir: Path, now: float | None = None) -> float | None:
    """Seconds since beat last sent a task, None if it has sent none yet."""
    try:
        sent = (data_dir / BEAT_HEARTBEAT).stat().st_mtime
    except OSError:
        return None
    return max(0.0, (time.time() if now is None else now) - sent)


def beat_stale_after(sweep_interval_seconds: float) -> float:
    return max(BEAT_MIN_STALE_SECONDS, BEAT_STALE_INTERVALS * sweep_interval_seconds)


def _check_beat() -> str | None:
    from mizan.service.config import load_settings

    settings = load_settings()
    age = beat_heartbeat_age(settings.data_dir)
    if age is None:
        return "beat has sent no task yet"
    limit = beat_stale_after(settings.sweep_interval_seconds)
    if age > limit:
        return f"beat sent nothing for {age:.0f} s (more than {limit:.0f} s)"
    return None
