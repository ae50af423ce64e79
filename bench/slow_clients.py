"""Latency of ordinary requests while 200 slow clients trickle, against the same layout unloaded.

For each layout (`mizan up`, embedded; `mizan api`, the production layout on PostgreSQL and
Redis; optionally the old layout, gunicorn alone with 2 x 4 gthread workers) wrk sends a paced
mix of `POST /api/v1/comments` and `GET /api/v1/posts/<id>/comments` (half each) for a few
seconds quiet, then again while 200 sockets send their headers or bodies one byte a second and
reconnect whenever they are cut off. Prints p50/p99 of both runs, the ratio of the p99s, and
wrk's timeouts (2 s); writes bench/results/slow_clients.json and .md.

    python -m bench.slow_clients [--rate 100] [--seconds 8] [--old]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.database import create_database
from bench.intake import wait_up

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SLOW = 200

LUA = r"""
local counter = 0
function setup(thread)
  thread:set("tid", tostring(math.random(1, 1000000)))
end
function init(args)
  rate_delay = tonumber(args[1]) or 0
end
function delay()
  return rate_delay
end
request = function()
  counter = counter + 1
  if counter % 2 == 0 then
    return wrk.format("GET", string.format("/api/v1/posts/slow-%d/comments?limit=20", counter % 10))
  end
  local body = string.format(
    '{"post_id":"slow-%d","author_name":"قارئ","author_email":"r%s.%d@example.org",' ..
    '"body":"تعليق عادي رقم %d من %s"}', counter % 10, tid, counter, counter, tid)
  return wrk.format("POST", "/api/v1/comments", {["Content-Type"]="application/json"}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %d, \"duration_us\": %d, \"errors_status\": %d, " ..
    "\"errors_connect\": %d, \"errors_read\": %d, \"errors_timeout\": %d, \"p50_ms\": %.3f, " ..
    "\"p99_ms\": %.3f, \"max_ms\": %.3f}\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.timeout, latency:percentile(50)/1000,
    latency:percentile(99)/1000, latency.max/1000))
end
"""

NO_LIMITS = {
    "MIZAN_FLOOD_EMAIL_LIMIT": "0",
    "MIZAN_FLOOD_IP_LIMIT": "0",
    "MIZAN_FLOOD_HOLD_EMAIL_LIMIT": "0",
    "MIZAN_FLOOD_HOLD_IP_LIMIT": "0",
    "MIZAN_DUPLICATE_WINDOW": "0",
    "MIZAN_LOG_LEVEL": "WARNING",
}


class Trickle(threading.Thread):
    """`count` sockets sending one byte of headers or body a second, reconnecting when cut."""

    HEAD = b"POST /api/v1/comments HTTP/1.1\r\nHost: news.example\r\nX-Pad: "
    BODY = (
        b"POST /api/v1/comments HTTP/1.1\r\nHost: news.example\r\n"
        b"Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{"
    )

    def __init__(self, port: int, count: int = SLOW) -> None:
        super().__init__(daemon=True)
        self.port, self.count = port, count
        self.stop = threading.Event()
        self.opened = self.cut = 0

    def _open(self, i: int) -> socket.socket | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), 2)
            sock.sendall(self.HEAD if i % 2 == 0 else self.BODY)
        except OSError:
            return None
        sock.setblocking(False)
        self.opened += 1
        return sock

    def run(self) -> None:
        slots = [self._open(i) for i in range(self.count)]
        while not self.stop.is_set():
            for i, sock in enumerate(slots):
                if sock is None:
                    slots[i] = self._open(i)
                    continue
                try:
                    data = sock.recv(4096)
                except BlockingIOError:
                    data = None
                except OSError:
                    data = b""
                if data is None:
                    try:
                        sock.send(b"a")
                        continue
                    except OSError:
                        pass
                self.cut += 1
                sock.close()
                slots[i] = self._open(i)
            self.stop.wait(1.0)
        for sock in slots:
            if sock is not None:
                sock.close()


def wrk(port: int, seconds: int, rate: float, lua: Path, connections: int = 8) -> dict:
    delay_ms = connections / rate * 1000
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "2s", "--latency"]
        + ["-s", str(lua), f"http://127.0.0.1:{port}", "--", str(delay_ms)],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("JSON "))
    res = json.loads(line[5:])
    res["rps"] = round(res["requests"] / (res["duration_us"] / 1e6), 1)
    return res


def run_layout(name: str, args, env: dict, cmd: list[str], port: int, lua: Path, log: Path):
    proc = subprocess.Popen(  # noqa: S603 - this interpreter, this package
        cmd,
        env=env,
        cwd=ROOT,
        stdout=open(log, "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_up(url + ("/readyz" if "up" in cmd else "/healthz"), proc, timeout=120)
        wrk(port, 2, args.rate, lua)  # warm-up
        quiet = wrk(port, args.seconds, args.rate, lua)
        trickle = Trickle(port)
        trickle.start()
        time.sleep(2)
        attacked = wrk(port, args.seconds, args.rate, lua)
        trickle.stop.set()
        trickle.join(10)
        attacked["slow_sockets_opened"] = trickle.opened
        attacked["slow_sockets_cut_off"] = trickle.cut
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    res = {"layout": name, "quiet": quiet, "slow_clients": attacked}
    served = attacked["requests"] and quiet["p99_ms"]
    res["p99_ratio"] = round(attacked["p99_ms"] / quiet["p99_ms"], 2) if served else None
    failed = attacked["errors_timeout"] + attacked["errors_connect"] + attacked["errors_read"]
    res["ordinary_failures_under_attack"] = failed + attacked["errors_status"]
    # wrk counts no timeout for a request that never got a connection slot: served vs offered
    # shows those (paced clients offer `rate` requests a second).
    res["offered_per_run"] = round(args.rate * args.seconds)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rate", type=float, default=100.0, help="ordinary requests per second")
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--old", action="store_true", help="also the old layout (front off, 2x4)")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    ap.add_argument("--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (Debian package 'wrk')")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("MIZAN_")}
    results = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        lua = tmp / "mix.lua"
        lua.write_text(LUA)
        cli = [sys.executable, "-m", "mizan.service.cli"]

        port = 18531
        env = dict(base_env, MIZAN_DATA_DIR=str(tmp / "up"), MIZAN_PORT=str(port), **NO_LIMITS)
        results.append(run_layout("mizan up", args, env, cli + ["up"], port, lua, tmp / "up.log"))

        url, drop_database = create_database("postgres", args.pg_admin, tmp)
        try:
            env = dict(
                base_env,
                MIZAN_MODE="production",
                MIZAN_DATABASE_URL=url,
                MIZAN_BROKER_URL=args.redis,
                MIZAN_DATA_DIR=str(tmp / "api"),
                MIZAN_SECRET_KEY="bench-secret-" + "s" * 40,
                MIZAN_ALLOWED_ORIGINS="https://news.example",
                **NO_LIMITS,
            )
            layouts = [("mizan api", [], 18532)]
            if args.old:
                old = ["--no-front", "--workers", "2", "--threads", "4"]
                layouts.append(("gunicorn alone, 2x4 gthread (before)", old, 18533))
            for name, extra, port in layouts:
                cmd = cli + ["api", "--port", str(port), *extra]
                results.append(run_layout(name, args, env, cmd, port, lua, tmp / "api.log"))
                import redis

                redis.Redis.from_url(args.redis).delete("mizan.score")
        finally:
            drop_database()
    for r in results:
        q, a = r["quiet"], r["slow_clients"]
        print(
            f"{r['layout']:40s} quiet p50 {q['p50_ms']:7.1f} p99 {q['p99_ms']:7.1f} ms | "
            f"200 slow: p50 {a['p50_ms']:7.1f} p99 {a['p99_ms']:7.1f} ms "
            f"({r['p99_ratio']}x), served {a['requests']} of ~{r['offered_per_run']}, "
            f"failed {r['ordinary_failures_under_attack']}"
        )
    report = {
        "command": "python -m bench.slow_clients " + " ".join(sys.argv[1:]),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "settings": {"rate": args.rate, "seconds": args.seconds, "slow_sockets": SLOW},
        "results": results,
    }
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "slow_clients.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
